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

KIND = "jsonl"
_STREAM_ERRORS = (OSError, EOFError, zlib.error, zstandard.ZstdError)


class ZstdStream(io.RawIOBase):
    """Zstandard frames, one after another, as a raw stream that notices truncation.

    python-zstandard's own stream reader ends quietly when a frame is cut short, which
    would lose the tail of a file without a word. This one raises `ZstdError` instead.
    Compressed input is fed in small chunks, so even a crafted frame of run-length
    blocks expands to a bounded amount (about 32x the chunk per block) per step.
    """

    CHUNK = 4096

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._context = zstandard.ZstdDecompressor()
        self._frame = self._context.decompressobj()
        self._in_frame = False
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = self._raw.read(self.CHUNK)
            if not chunk:
                if self._in_frame:
                    raise zstandard.ZstdError("zstd stream ends inside a frame: the file is truncated")
                return 0
            self._pending = self._feed(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _feed(self, chunk: bytes) -> bytes:
        output = []
        while chunk:
            if self._frame.eof:
                self._frame = self._context.decompressobj()
            self._in_frame = True
            output.append(self._frame.decompress(chunk))
            if not self._frame.eof:
                break
            self._in_frame = False
            chunk = self._frame.unused_data
        return b"".join(output)

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_decompressed(path: Path) -> tuple[IO[bytes], IO[bytes] | None]:
    """A binary stream of the file's decompressed bytes, chosen by extension.

    Also returns the compressed file underneath (None for an uncompressed file): its
    position is how much compressed input has been consumed, which the bomb check needs.
    """
    name = path.name.lower()
    if name.endswith(".gz"):
        raw = path.open("rb")
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    if name.endswith(".zst") or name.endswith(".zstd"):
        raw = path.open("rb")
        return io.BufferedReader(ZstdStream(raw), buffer_size=1 << 20), raw
    return path.open("rb", buffering=1 << 20), None


# How often (in decompressed bytes) the expansion ratio is checked once past `ratio_check_after`.
RATIO_CHECK_EVERY = 1 << 20


class DecompressionBomb(Exception):
    pass


def _lines(stream: IO[bytes], max_bytes: int) -> Iterator[bytes | int]:
    """Lines of `stream`; a line longer than `max_bytes` is skipped and yields its size instead.

    Reading with a length bound means a 100 MB line (or a decompression bomb of one line)
    never sits in memory whole.
    """
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        if len(line) <= max_bytes or line.endswith(b"\n"):
            yield line
            continue
        skipped = len(line)
        while True:
            chunk = stream.readline(1 << 20)
            skipped += len(chunk)
            if not chunk or chunk.endswith(b"\n"):
                break
        yield skipped


def read_batches(
    path: Path,
    display: str,
    source_index: int,
    batch_docs: int,
    batch_bytes: int,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Iterator[RawBatch]:
    """Frame the file into batches of (line number, byte offset, line bytes).

    A stream that fails part-way (truncated gzip, corrupt zstd frame, I/O error, a
    decompression bomb) ends the source with one quarantine unit naming the line and
    offset where it broke; the lines before it are processed normally.
    """
    batch_index = 0
    batch = RawBatch(KIND, display, source_index, batch_index)
    line_no = 0
    offset = 0
    next_ratio_check = limits.ratio_check_after
    try:
        stream, compressed = open_decompressed(path)
    except OSError as error:
        yield RawBatch(
            KIND,
            display,
            source_index,
            0,
            [
                Quarantined(
                    display,
                    "unreadable_file",
                    f"cannot open: {error.strerror or error}; check the path and its permissions",
                )
            ],
        )
        return
    try:
        with stream:
            for line in _lines(stream, limits.max_record_bytes):
                line_no += 1
                start = offset
                if isinstance(line, int):
                    offset += line
                    batch.units.append(too_large(display, line, limits, line=line_no, offset=start))
                    continue
                offset += len(line)
                if compressed is not None and offset > next_ratio_check:
                    # Checked once per RATIO_CHECK_EVERY of output, against the compressed bytes
                    # read so far (read-ahead makes that an over-count: the check errs lenient).
                    next_ratio_check = offset + RATIO_CHECK_EVERY
                    consumed = max(1, compressed.tell())
                    if offset > limits.max_decompression_ratio * consumed:
                        raise DecompressionBomb(
                            f"{consumed:,} compressed bytes expanded to {offset:,} "
                            f"(over {limits.max_decompression_ratio:.0f}x; real text compresses 3-20x). "
                            f"If the file is genuine, raise --max-decompression-ratio"
                        )
                if not line.strip():
                    continue
                batch.units.append((line_no, start, line))
                batch.nbytes += len(line)
                if len(batch.units) >= batch_docs or batch.nbytes >= batch_bytes:
                    yield batch
                    batch_index += 1
                    batch = RawBatch(KIND, display, source_index, batch_index)
    except DecompressionBomb as error:
        batch.units.append(
            Quarantined(
                display,
                "decompression_bomb",
                f"stopped reading at line {line_no}: {error}. The rest of this file is skipped; "
                f"check where it came from",
                line=line_no,
                offset=offset,
            )
        )
    except _STREAM_ERRORS as error:
        batch.units.append(
            Quarantined(
                display,
                "truncated_or_corrupt_stream",
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
    nul = line.find(b"\x00")
    if nul >= 0:
        return Quarantined(
            source,
            "nul_byte",
            f"raw NUL byte at byte {nul} of the line (JSON needs it escaped as \\u0000)",
            line=line_no,
            offset=offset,
            raw=raw_preview(line.replace(b"\x00", b"\\0")),
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
