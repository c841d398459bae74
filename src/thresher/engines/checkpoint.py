"""Per-source progress markers: what makes a killed run resumable without loss or repeats.

A source (one input file, or a group of small files) is the unit of resumption. Its
shards are published (renamed into place) first, and only then is its marker written,
atomically, holding the source's tally. On resume, a source with a marker is skipped and
its tally reused; any shard of a source without one is deleted and the source redone. So
whatever instant a run is killed at, the rerun's output equals an uninterrupted run's.

A run fingerprint (inputs, policy text, options) guards against resuming into an OUT made
by a different command, which would silently mix two runs.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

import orjson

from thresher.accounting import Tally

PROGRESS_DIR = "_progress"
FINGERPRINT = "run.json"


class ResumeError(ValueError):
    """The output folder cannot be resumed by this command."""


def _write_atomically(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def fingerprint(settings: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(settings, option=orjson.OPT_SORT_KEYS)).hexdigest()


class Checkpoint:
    """Reads and writes OUT/_progress/: the run fingerprint and one marker per finished source."""

    def __init__(self, out: Path) -> None:
        self.directory = out / PROGRESS_DIR

    def start(self, settings: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        data = {"fingerprint": fingerprint(settings), "settings": settings}
        _write_atomically(self.directory / FINGERPRINT, orjson.dumps(data, option=orjson.OPT_INDENT_2))

    def check_resumable(self, settings: dict[str, Any]) -> None:
        path = self.directory / FINGERPRINT
        if not path.exists():
            raise ResumeError(
                f"{self.directory.parent}: nothing to resume (no {PROGRESS_DIR}/{FINGERPRINT}); run without --resume"
            )
        stored = orjson.loads(path.read_bytes())
        if stored.get("fingerprint") != fingerprint(settings):
            before = stored.get("settings", {})
            changed = sorted(k for k in set(before) | set(settings) if before.get(k) != settings.get(k))
            raise ResumeError(
                f"{self.directory.parent} was written by a different command (changed: {', '.join(changed)}); "
                f"rerun the same command to resume, or run without --resume to start over"
            )

    def _marker(self, source_index: int) -> Path:
        return self.directory / f"{source_index:05d}.done"

    def finished(self, source_index: int) -> Tally | None:
        """The tally of a finished source, or None if it must be (re)done."""
        marker = self._marker(source_index)
        if not marker.exists():
            return None
        data = orjson.loads(marker.read_bytes())
        return tally_from_dict(data["tally"])

    def mark_finished(self, source_index: int, display: str, tally: Tally) -> None:
        data = {"source": display, "tally": tally_to_dict(tally)}
        _write_atomically(self._marker(source_index), orjson.dumps(data))


def tally_to_dict(tally: Tally) -> dict[str, Any]:
    # Not dataclasses.asdict: it rebuilds a Counter from its items and garbles the keys.
    values = {item.name: getattr(tally, item.name) for item in fields(tally)}
    return {key: dict(value) if isinstance(value, dict) else value for key, value in values.items()}


def tally_from_dict(data: dict[str, Any]) -> Tally:
    from collections import Counter

    tally = Tally()
    for key, value in data.items():
        setattr(tally, key, Counter(value) if isinstance(value, dict) else value)
    return tally


def split_finished(sources: list[Any], checkpoint: Checkpoint) -> tuple[Tally, list[Any]]:
    """The summed tally of the sources a previous run finished, and the sources still to do."""
    total = Tally()
    todo = []
    for source in sources:
        done = checkpoint.finished(source.index)
        if done is None:
            todo.append(source)
        else:
            total.add(done)
    return total, todo


def remove_unfinished_shards(out: Path, source_index: int) -> None:
    """Delete what a killed run left of a source: partial shards and temporary files."""
    prefix = f"{source_index:05d}-"
    for part in ("kept", "removed", "quarantine"):
        directory = out / part
        if not directory.exists():
            continue
        for path in directory.iterdir():
            name = path.name
            if name.startswith(prefix) or (name.startswith(f".{prefix}") and ".tmp-" in name):
                path.unlink()
