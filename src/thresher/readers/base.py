"""What readers hand the engine: raw units in batches, decoded later in a worker.

A reader in the main process only does I/O (read bytes, decompress, frame records);
parsing JSON, decoding UTF-8 and turning HTML into text happen in `decode` inside the
worker processes. That keeps the single reading process from becoming the bottleneck and
keeps a bad record's failure inside the batch that holds it.

Every unit decodes to either a `Parsed` record or a `Quarantined` one, never to nothing:
that is what lets the run prove `read == kept + trimmed + removed + quarantined`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import xxhash

from thresher.document import Document

# How many characters of a bad record quarantine keeps, so a 100 MB broken line cannot
# turn the quarantine folder into a copy of the input.
QUARANTINE_RAW_CHARS = 4096


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Bounds that keep hostile input from costing unbounded memory or time.

    `max_record_bytes`: a record (JSONL line, file, WARC payload, Parquet text) larger than
    this is quarantined as `record_too_large` without being held in memory whole.
    `max_decompression_ratio` applies once a compressed file has expanded past
    `ratio_check_after` bytes, to the compressed bytes read so far: real text compresses
    3-20x (zstd -19 on repetitive JSONL ~30x), so 200x over 16 MiB is a bomb, not a corpus.
    Checking early matters even though reading streams: a bomb of tiny records costs a
    quarantine record each, and 1.5 MB of gzip can hold 500 million of them.
    """

    max_record_bytes: int = 64 << 20
    max_decompression_ratio: float = 200.0
    ratio_check_after: int = 16 << 20


DEFAULT_LIMITS = ReadLimits()
DEFAULT_MAX_RECORD_BYTES = DEFAULT_LIMITS.max_record_bytes
DEFAULT_MAX_DECOMPRESSION_RATIO = DEFAULT_LIMITS.max_decompression_ratio


def too_large(source: str, size: int, limits: ReadLimits, **where: Any) -> Quarantined:
    return Quarantined(
        source,
        "record_too_large",
        f"record of {size:,} bytes exceeds the limit of {limits.max_record_bytes:,} bytes; "
        f"raise it with --max-record-bytes if such records are wanted",
        size=size,
        **where,
    )


@dataclass(frozen=True, slots=True)
class FieldNames:
    """Which input fields hold the text, id, url and html of a record."""

    text: str = "text"
    id: str = "id"
    url: str = "url"
    html: str = "html"


@dataclass(slots=True)
class Quarantined:
    """A unit that could not become a document, with where it was and what was wrong."""

    source: str
    error: str
    message: str
    line: int | None = None
    offset: int | None = None
    record_id: str | None = None
    raw: str | None = None
    size: int = 0

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"source": self.source, "error": self.error, "message": self.message}
        if self.line is not None:
            record["line"] = self.line
        if self.offset is not None:
            record["offset"] = self.offset
        if self.record_id is not None:
            record["record_id"] = self.record_id
        if self.raw is not None:
            record["raw"] = self.raw
        return record


@dataclass(slots=True)
class Parsed:
    """A readable record: the input fields as read, and the document built from them."""

    record: dict[str, Any]
    document: Document
    size: int


@dataclass(slots=True)
class RawBatch:
    """Consecutive raw units from one source, in input order.

    `units` hold reader-specific raw data (bytes, Arrow rows, ...); `kind` names the
    decoder. Batches are numbered per source so output is identical whatever the number
    of workers that decode them.
    """

    kind: str
    source: str
    source_index: int
    batch_index: int
    units: list[Any] = field(default_factory=list)
    nbytes: int = 0


def raw_preview(data: bytes | str) -> str:
    """A bounded, always-printable excerpt of bad input for the quarantine record."""
    if isinstance(data, bytes):
        data = data[: QUARANTINE_RAW_CHARS * 4].decode("utf-8", errors="replace")
    return data[:QUARANTINE_RAW_CHARS]


def stable_id(source: str, position: int) -> str:
    """The id of a record that has none: a hash of where it was read, stable across runs."""
    return xxhash.xxh3_64_hexdigest(f"{source}\0{position}".encode())


def document_from_record(
    record: dict[str, Any], fields: FieldNames, source: str, position: int, size: int, line: int | None
) -> Parsed | Quarantined:
    """Build the document of one input record, or say exactly why it cannot be one."""
    raw_id = record.get(fields.id)
    doc_id = str(raw_id) if raw_id is not None and raw_id != "" else stable_id(source, position)
    text = record.get(fields.text)
    html = record.get(fields.html)
    if text is None and isinstance(html, str):
        from thresher.readers.html import html_to_text

        text = html_to_text(html)
    if text is None:
        return Quarantined(
            source,
            "missing_text",
            f"record has no {fields.text!r} field (fields: {sorted(record)[:20]}); "
            f"name the text field with --text-field",
            line=line,
            record_id=doc_id,
            raw=raw_preview(repr(record)),
            size=size,
        )
    if not isinstance(text, str):
        return Quarantined(
            source,
            "non_string_text",
            f"field {fields.text!r} holds a {type(text).__name__}, not a string",
            line=line,
            record_id=doc_id,
            raw=raw_preview(repr(record)),
            size=size,
        )
    url = record.get(fields.url)
    document = Document(
        id=doc_id,
        text=text,
        url=url if isinstance(url, str) else None,
        html=html if isinstance(html, str) else None,
    )
    return Parsed(record, document, size)
