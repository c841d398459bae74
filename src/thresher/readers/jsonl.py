"""JSON Lines, plain or compressed with gzip or zstd, read as a stream of lines."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import orjson
import zstandard

from thresher.readers.base import (
    FieldNames,
    Parsed,
    Quarantined,
    RawBatch,
    document_from_record,
    raw_preview,
)

KIND = "jsonl"
_STREAM_ERRORS = (OSError, EOFError, zlib.error, zstandard.ZstdError)


def open_decompressed(path: Path) -> IO[bytes]:
    """A binary stream of the file's decompressed bytes, chosen by extension."""
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".zst") or name.endswith(".zstd"):
        raw = path.open("rb")
        reader = zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)
        return io.BufferedReader(reader, buffer_size=1 << 20)  # type: ignore[arg-type]
    return path.open("rb", buffering=1 << 20)


def read_batches(
    path: Path, display: str, source_index: int, batch_docs: int, batch_bytes: int
) -> Iterator[RawBatch]:
    """Frame the file into batches of (line number, byte offset, line bytes).

    A stream that fails part-way (truncated gzip, corrupt zstd frame, I/O error) ends
    the source with one quarantine unit naming the line and offset where it broke; the
    lines before it are processed normally.
    """
    batch_index = 0
    batch = RawBatch(KIND, display, source_index, batch_index)
    line_no = 0
    offset = 0
    try:
        with open_decompressed(path) as stream:
            for line in stream:
                line_no += 1
                start = offset
                offset += len(line)
                if not line.strip():
                    continue
                batch.units.append((line_no, start, line))
                batch.nbytes += len(line)
                if len(batch.units) >= batch_docs or batch.nbytes >= batch_bytes:
                    yield batch
                    batch_index += 1
                    batch = RawBatch(KIND, display, source_index, batch_index)
    except _STREAM_ERRORS as error:
        error_kind = "unreadable_file" if line_no == 0 and offset == 0 else "truncated_or_corrupt_stream"
        batch.units.append(
            Quarantined(
                display,
                error_kind,
                f"cannot read past line {line_no} (decompressed byte {offset}): "
                f"{type(error).__name__}: {error}. The rest of this file is skipped; "
                f"re-fetch or repair the file",
                line=line_no + 1,
                offset=offset,
            )
        )
    if batch.units:
        yield batch


def decode(batch: RawBatch, fields: FieldNames) -> Iterator[Parsed | Quarantined]:
    for unit in batch.units:
        if isinstance(unit, Quarantined):
            yield unit
            continue
        line_no, offset, line = unit
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield _bad_line(batch.source, line_no, offset, line, error)
            continue
        if not isinstance(record, dict):
            yield Quarantined(
                batch.source,
                "not_an_object",
                f"line is JSON but a {type(record).__name__}, not an object",
                line=line_no,
                offset=offset,
                raw=raw_preview(line),
                size=len(line),
            )
            continue
        yield document_from_record(record, fields, batch.source, line_no, len(line), line_no)


def _bad_line(source: str, line_no: int, offset: int, line: bytes, error: Exception) -> Quarantined:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        return Quarantined(
            source,
            "invalid_utf8",
            f"bytes are not UTF-8 at byte {utf8_error.start} of the line: {utf8_error.reason}",
            line=line_no,
            offset=offset,
            raw=raw_preview(line),
            size=len(line),
        )
    return Quarantined(
        source,
        "malformed_json",
        f"not valid JSON: {error}",
        line=line_no,
        offset=offset,
        raw=raw_preview(line),
        size=len(line),
    )
