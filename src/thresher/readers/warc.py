"""WARC and WET archives: HTML responses become documents with their visible text, WET
conversion records are documents as they are. Other record types (request, metadata,
warcinfo) are not documents and are not counted."""

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

KIND = "warc"


def read_batches(
    path: Path,
    display: str,
    source_index: int,
    batch_docs: int,
    batch_bytes: int,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Iterator[RawBatch]:
    from fastwarc import ArchiveIterator, WarcRecordType  # here: a run without archives skips it (~1.5 ms)

    wanted = WarcRecordType.response | WarcRecordType.conversion | WarcRecordType.resource
    batch_index = 0
    batch = RawBatch(KIND, display, source_index, batch_index)
    records = 0
    position = 0
    try:
        for record in ArchiveIterator(str(path), record_types=wanted, parse_http=True, fsspec_args=False):
            position = record.stream_pos
            records += 1
            content_type = (record.http_content_type or "") if record.is_http else ""
            if record.content_length > limits.max_record_bytes:
                batch.units.append(
                    too_large(display, record.content_length, limits, offset=position, record_id=record.record_id)
                )
                continue
            payload = record.reader.read()
            is_conversion = record.record_type == WarcRecordType.conversion
            if not is_conversion and "html" not in content_type.lower() and content_type:
                # A response that is not a page (an image, a PDF): not a document.
                records -= 1
                continue
            unit = {
                "id": record.record_id,
                "url": record.headers.get("WARC-Target-URI"),
                "date": record.headers.get("WARC-Date"),
                "type": "text" if is_conversion else "html",
                "charset": record.http_charset if record.is_http else None,
                "offset": position,
                "payload": payload,
            }
            batch.units.append(unit)
            batch.nbytes += len(payload)
            if len(batch.units) >= batch_docs or batch.nbytes >= batch_bytes:
                yield batch
                batch_index += 1
                batch = RawBatch(KIND, display, source_index, batch_index)
    except (OSError, ValueError) as error:
        batch.units.append(
            Quarantined(
                display,
                "unreadable_file" if records == 0 else "truncated_or_corrupt_stream",
                f"cannot read WARC past record {records} (offset {position}): {type(error).__name__}: "
                f"{error}. The rest of this file is skipped",
                offset=position,
            )
        )
    if batch.units:
        yield batch


def decode(batch: RawBatch, fields: FieldNames) -> Iterator[Parsed | Quarantined]:
    for unit in batch.units:
        if isinstance(unit, Quarantined):
            yield unit
            continue
        payload: bytes = unit["payload"]
        if unit["type"] == "text":
            try:
                text = payload.decode("utf-8")
            except UnicodeDecodeError as error:
                yield Quarantined(
                    batch.source,
                    "invalid_utf8",
                    f"conversion record is not UTF-8 at byte {error.start}: {error.reason}",
                    offset=unit["offset"],
                    record_id=unit["id"],
                    raw=raw_preview(payload),
                    size=len(payload),
                )
                continue
            record = {fields.id: unit["id"], fields.url: unit["url"], "warc_date": unit["date"], fields.text: text}
        else:
            html = decode_html_bytes(payload, unit["charset"])
            record = {
                fields.id: unit["id"],
                fields.url: unit["url"],
                "warc_date": unit["date"],
                fields.text: html_to_text(html),
                fields.html: html,
            }
        yield document_from_record(record, fields, batch.source, unit["offset"], len(payload), None)
