"""Counting every record: the tally each batch reports and the run's summary.

The invariant `read == kept + trimmed + removed + quarantined` is checked at the end of
every run; a run that cannot account for a record fails rather than reporting success.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


class AccountingError(RuntimeError):
    """The counts of a run do not add up: some record was lost or written twice."""


@dataclass(slots=True)
class Tally:
    read: int = 0
    kept: int = 0
    trimmed: int = 0
    removed: int = 0
    quarantined: int = 0
    bytes_in: int = 0
    bytes_kept: int = 0
    removed_by_reason: Counter[str] = field(default_factory=Counter)
    trimmed_by_reason: Counter[str] = field(default_factory=Counter)
    quarantined_by_error: Counter[str] = field(default_factory=Counter)
    chars_removed_by_kind: Counter[str] = field(default_factory=Counter)
    # Token counts ([tokens] policies only): of the text written to kept/, and of the rest.
    tokens_kept: int = 0
    tokens_removed: int = 0

    # Personal data found (pii_* signals, kept and removed records alike), replaced by
    # placeholders ([redact]), and Unicode repairs ([text] fix_unicode).
    pii_by_kind: Counter[str] = field(default_factory=Counter)
    redacted_by_kind: Counter[str] = field(default_factory=Counter)
    unicode_repairs: int = 0
    unicode_repaired_documents: int = 0

    def add(self, other: Tally) -> None:
        self.read += other.read
        self.kept += other.kept
        self.trimmed += other.trimmed
        self.removed += other.removed
        self.quarantined += other.quarantined
        self.bytes_in += other.bytes_in
        self.bytes_kept += other.bytes_kept
        self.removed_by_reason.update(other.removed_by_reason)
        self.trimmed_by_reason.update(other.trimmed_by_reason)
        self.quarantined_by_error.update(other.quarantined_by_error)
        self.chars_removed_by_kind.update(other.chars_removed_by_kind)
        self.tokens_kept += other.tokens_kept
        self.tokens_removed += other.tokens_removed

        self.pii_by_kind.update(other.pii_by_kind)
        self.redacted_by_kind.update(other.redacted_by_kind)
        self.unicode_repairs += other.unicode_repairs
        self.unicode_repaired_documents += other.unicode_repaired_documents

    @property
    def balanced(self) -> bool:
        return self.read == self.kept + self.trimmed + self.removed + self.quarantined

    def summary(self, seconds: float, **extra: Any) -> dict[str, Any]:
        return {
            "read": self.read,
            "kept": self.kept,
            "trimmed": self.trimmed,
            "removed": self.removed,
            "quarantined": self.quarantined,
            "removed_by_reason": dict(sorted(self.removed_by_reason.items())),
            "trimmed_by_reason": dict(sorted(self.trimmed_by_reason.items())),
            "quarantined_by_error": dict(sorted(self.quarantined_by_error.items())),
            "chars_removed_by_kind": dict(sorted(self.chars_removed_by_kind.items())),
            "pii_by_kind": dict(sorted(self.pii_by_kind.items())),
            "redacted_by_kind": dict(sorted(self.redacted_by_kind.items())),
            "unicode_repairs": self.unicode_repairs,
            "unicode_repaired_documents": self.unicode_repaired_documents,
            "bytes_in": self.bytes_in,
            "bytes_kept": self.bytes_kept,
            "seconds": round(seconds, 3),
            "docs_per_second": round(self.read / seconds, 1) if seconds > 0 else None,
            "mb_per_second": round(self.bytes_in / 1e6 / seconds, 3) if seconds > 0 else None,
            "accounting_ok": self.balanced,
            **extra,
        }

    def check(self) -> None:
        if not self.balanced:
            raise AccountingError(
                f"accounting failed: read {self.read} != kept {self.kept} + trimmed {self.trimmed} + "
                f"removed {self.removed} + quarantined {self.quarantined}. Output is incomplete; "
                f"please report this as a bug with summary.json attached"
            )
