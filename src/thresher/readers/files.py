"""A folder of documents, one a file: `.txt` as plain text, `.html`/`.htm` as pages.

The id of each document is its path relative to the folder, which is what a user will
search for when a document is questioned.
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
    raw_preview,
    too_large,
)
from thresher.readers.html import decode_html_bytes, html_to_text

KIND = "files"
TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm")


def read_batches(
    files: list[tuple[Path, str]],
    display: str,
    source_index: int,
    batch_docs: int,
    batch_bytes: int,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Iterator[RawBatch]:
    """Read the given (path, relative id) files in order; an unreadable one is quarantined."""
    batch_index = 0
    batch = RawBatch(KIND, display, source_index, batch_index)
    for path, relative in files:
        try:
            size = path.stat().st_size
            if size > limits.max_record_bytes:
                batch.units.append(too_large(str(path), size, limits, record_id=relative))
                continue
            data = path.read_bytes()
        except OSError as error:
            batch.units.append(
                Quarantined(
                    str(path),
                    "unreadable_file",
                    f"cannot read file: {error.strerror or error}; check its permissions",
                    record_id=relative,
                )
            )
            continue
        batch.units.append((relative, str(path), data))
        batch.nbytes += len(data)
        if len(batch.units) >= batch_docs or batch.nbytes >= batch_bytes:
            yield batch
            batch_index += 1
            batch = RawBatch(KIND, display, source_index, batch_index)
    if batch.units:
        yield batch


def decode(batch: RawBatch, fields: FieldNames) -> Iterator[Parsed | Quarantined]:
    for position, unit in enumerate(batch.units):
        if isinstance(unit, Quarantined):
            yield unit
            continue
        relative, path, data = unit
        if relative.lower().endswith(HTML_SUFFIXES):
            html = decode_html_bytes(data)
            record = {fields.id: relative, fields.text: html_to_text(html), fields.html: html}
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as error:
                yield Quarantined(
                    path,
                    "invalid_utf8",
                    f"file is not UTF-8 at byte {error.start}: {error.reason}; convert it to UTF-8",
                    offset=error.start,
                    record_id=relative,
                    raw=raw_preview(data),
                    size=len(data),
                )
                continue
            record = {fields.id: relative, fields.text: text}
        yield document_from_record(record, fields, path, position, len(data), None)
