"""Progress for people: a live line on a terminal, a log line every few seconds otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from thresher.accounting import Tally


class Progress:
    def __init__(self, stream: TextIO | None = None, enabled: bool = True, log_every: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.interactive = enabled and self.stream.isatty()
        self.interval = 0.2 if self.interactive else log_every
        self.started = time.perf_counter()
        self._last = 0.0

    def update(self, tally: Tally, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not final and now - self._last < self.interval:
            return
        self._last = now
        elapsed = max(now - self.started, 1e-9)
        done = tally.kept + tally.trimmed
        kept_share = 100.0 * done / tally.read if tally.read else 0.0
        line = (
            f"{tally.read:,} docs  {tally.read / elapsed:,.0f} docs/s  "
            f"{tally.bytes_in / 1e6 / elapsed:,.2f} MB/s  kept {kept_share:.1f}%  "
            f"(trimmed {tally.trimmed:,}, removed {tally.removed:,}, quarantined {tally.quarantined:,})"
        )
        if self.interactive:
            self.stream.write("\r\x1b[2K" + line + ("\n" if final else ""))
        else:
            self.stream.write(f"[thresher] {line}\n")
        self.stream.flush()
