"""Parquet files, read one record batch at a time (never the whole file).

pyarrow is imported when a Parquet file is read, not with this module: it is a quarter
of a second of start-up that a run over JSON Lines or WARC never needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from thresher.readers.base import (
    DEFAULT_LIMITS,
    FieldNames,
    Parsed,
    Quarantined,
    RawBatch,
    ReadLimits,
    document_from_record,
)

KIND = "parquet"


def read_batches(
    path: Path,
    display: str,
    source_index: int,
    batch_docs: int,
    batch_bytes: int,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Iterator[RawBatch]:
    """Yield (first row number, Arrow record batch) units; a broken file is quarantined."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    row = 0
    batch_index = 0
    try:
        parquet = pq.ParquetFile(path)
        for record_batch in parquet.iter_batches(batch_size=batch_docs):
            batch = RawBatch(KIND, display, source_index, batch_index, [(row, record_batch)])
            batch.nbytes = record_batch.nbytes
            row += record_batch.num_rows
            batch_index += 1
            yield batch
    except (OSError, pa.ArrowException) as error:
        quarantined = Quarantined(
            display,
            "unreadable_file" if row == 0 else "truncated_or_corrupt_stream",
            f"cannot read Parquet past row {row}: {type(error).__name__}: {error}. "
            f"The rest of this file is skipped; re-fetch or rewrite the file",
            offset=row,
        )
        yield RawBatch(KIND, display, source_index, batch_index, [quarantined])


def decode(batch: RawBatch, fields: FieldNames) -> Iterator[Parsed | Quarantined]:
    for unit in batch.units:
        if isinstance(unit, Quarantined):
            yield unit
            continue
        first_row, record_batch = unit
        for position, record in enumerate(record_batch.to_pylist(), start=first_row):
            text = record.get(fields.text)
            size = len(text.encode("utf-8")) if isinstance(text, str) else 0
            parsed = document_from_record(record, fields, batch.source, position, size, None)
            if isinstance(parsed, Quarantined):
                parsed.offset = position
                parsed.message += f" (row {position})"
            yield parsed
