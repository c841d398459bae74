"""Writers: sharded output files under OUT/kept, OUT/removed and OUT/quarantine.

Each input source writes its own shards, named `<source>-<part>.<ext>`, so the same
input gives the same files whatever the engine or the number of workers, and a later
resume can tell which sources are finished. A shard is written under a temporary name
and renamed into place when complete: a reader of OUT never sees half a file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where a Parquet shard is opened: JSONL runs never load pyarrow
    import pyarrow as pa
    import pyarrow.parquet as pq

DEFAULT_RECORDS_PER_SHARD = 100_000


class ShardWriter:
    """Appends payloads of one destination (kept/removed/quarantine) into rotating shards."""

    def __init__(self, directory: Path, fmt: str, records_per_shard: int = DEFAULT_RECORDS_PER_SHARD) -> None:
        self.directory = directory
        self.fmt = fmt
        self.records_per_shard = records_per_shard
        self.written: list[Path] = []
        self._source: int | None = None
        self._part = 0
        self._records = 0
        self._temp: Path | None = None
        self._final: Path | None = None
        self._file: Any = None
        self._parquet: pq.ParquetWriter | None = None

    def write(self, source_index: int, payload: bytes | pa.Table, records: int) -> None:
        if source_index != self._source:
            self.close()
            self._source = source_index
            self._part = 0
        elif self._records >= self.records_per_shard:
            self.close()
            self._part += 1
        if not isinstance(payload, bytes):  # an Arrow table
            if self._parquet is not None and not self._parquet.schema.equals(payload.schema):
                self.close()
                self._part += 1
            if self._parquet is None:
                import pyarrow.parquet as pq

                self._open()
                self._parquet = pq.ParquetWriter(str(self._temp), payload.schema, compression="zstd")
            self._parquet.write_table(payload)
        else:
            if self._file is None:
                self._open()
                self._file = open(self._temp, "wb")
            self._file.write(payload)
        self._records += records

    def _open(self) -> None:
        assert self._source is not None
        self.directory.mkdir(parents=True, exist_ok=True)
        extension = "parquet" if self.fmt == "parquet" else "jsonl"
        name = f"{self._source:05d}-{self._part:04d}.{extension}"
        self._final = self.directory / name
        self._temp = self.directory / f".{name}.tmp-{os.getpid()}"
        self._records = 0

    def close(self) -> None:
        """Finish the open shard: flush, fsync and rename it into place."""
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
        if self._temp is not None and self._final is not None:
            os.replace(self._temp, self._final)
            self.written.append(self._final)
        self._temp = None
        self._final = None
        self._records = 0

    def abort(self) -> None:
        """Drop the open shard without publishing it (the run failed)."""
        for handle in (self._parquet, self._file):
            if handle is not None:
                handle.close()
        self._parquet = None
        self._file = None
        if self._temp is not None and self._temp.exists():
            self._temp.unlink()
        self._temp = None
        self._final = None


class OutputWriter:
    """The three destinations of a run."""

    def __init__(self, out: Path, fmt: str, records_per_shard: int = DEFAULT_RECORDS_PER_SHARD) -> None:
        self.writers = {
            "kept": ShardWriter(out / "kept", fmt, records_per_shard),
            "removed": ShardWriter(out / "removed", fmt, records_per_shard),
            # Quarantined units may not fit any schema, so they are always JSON Lines.
            "quarantine": ShardWriter(out / "quarantine", "jsonl", records_per_shard),
        }

    def write(self, destination: str, source_index: int, payload: bytes | pa.Table, records: int) -> None:
        self.writers[destination].write(source_index, payload, records)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()

    def abort(self) -> None:
        for writer in self.writers.values():
            writer.abort()
