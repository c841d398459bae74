"""Readers: turn input paths into a stream of raw batches, chosen by file extension.

| extension                                   | reader  |
|---------------------------------------------|---------|
| .jsonl .ndjson (+ .gz, .zst)                | jsonl   |
| .parquet                                    | parquet |
| .warc .warc.gz .wet .wet.gz (+ .zst, .lz4)  | warc    |
| a folder                                    | its files, by the rules above; .txt/.html/.htm files are documents |
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from thresher.readers import files, jsonl, parquet, warc
from thresher.readers.base import FieldNames, Parsed, Quarantined, RawBatch, ReadLimits

__all__ = [
    "FieldNames",
    "InputError",
    "Parsed",
    "Quarantined",
    "RawBatch",
    "ReadLimits",
    "Source",
    "decode",
    "discover_sources",
]

_JSONL_SUFFIXES = (".jsonl", ".ndjson")
_COMPRESSION_SUFFIXES = ("", ".gz", ".zst", ".zstd")
_WARC_SUFFIXES = (".warc", ".wet")
_DECODERS = {jsonl.KIND: jsonl.decode, parquet.KIND: parquet.decode, files.KIND: files.decode, warc.KIND: warc.decode}
# Text/HTML files of one folder are grouped into sources of this many files, so progress
# and output shards stay a sensible size for folders of millions of small files.
FILES_PER_SOURCE = 10_000


class InputError(ValueError):
    """An input path that cannot be used at all (missing, or of an unknown type)."""


@dataclass(slots=True)
class Source:
    """One unit of input the engine processes in order: a file, or a group of small files."""

    kind: str
    display: str
    index: int
    path: Path | None = None
    files: list[tuple[Path, str]] = field(default_factory=list)

    def batches(self, batch_docs: int, batch_bytes: int, limits: ReadLimits | None = None) -> Iterator[RawBatch]:
        limits = limits or ReadLimits()
        if self.kind == files.KIND:
            return files.read_batches(self.files, self.display, self.index, batch_docs, batch_bytes, limits)
        assert self.path is not None
        reader = {jsonl.KIND: jsonl, parquet.KIND: parquet, warc.KIND: warc}[self.kind]
        return reader.read_batches(self.path, self.display, self.index, batch_docs, batch_bytes, limits)


def kind_of(path: Path) -> str | None:
    """The reader kind for a file name, or None if Thresher does not read such files."""
    name = path.name.lower()
    for compression in _COMPRESSION_SUFFIXES:
        if any(name.endswith(suffix + compression) for suffix in _JSONL_SUFFIXES):
            return jsonl.KIND
    if name.endswith(".parquet"):
        return parquet.KIND
    for compression in ("", ".gz", ".zst", ".lz4"):
        if any(name.endswith(suffix + compression) for suffix in _WARC_SUFFIXES):
            return warc.KIND
    if name.endswith(files.TEXT_SUFFIXES + files.HTML_SUFFIXES):
        return files.KIND
    return None


def discover_sources(inputs: list[str | Path]) -> tuple[list[Source], list[str]]:
    """Expand inputs into ordered sources, and list the files skipped for their type.

    Order is the order of the inputs, folders walked in sorted order, so the output of a
    run does not depend on the file system's listing order.
    """
    sources: list[Source] = []
    skipped: list[str] = []
    for raw in inputs:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"input {str(raw)!r} does not exist; check the path")
        if path.is_dir():
            loose: list[tuple[Path, str]] = []
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                kind = kind_of(child)
                relative = child.relative_to(path).as_posix()
                if kind == files.KIND:
                    loose.append((child, relative))
                elif kind is None:
                    skipped.append(str(child))
                else:
                    sources.append(Source(kind, str(child), len(sources), child))
            for start in range(0, len(loose), FILES_PER_SOURCE):
                group = loose[start : start + FILES_PER_SOURCE]
                display = str(path) if len(loose) <= FILES_PER_SOURCE else f"{path}[{start}:]"
                sources.append(Source(files.KIND, display, len(sources), None, group))
        else:
            kind = kind_of(path)
            if kind is None:
                raise InputError(
                    f"input {str(raw)!r}: unknown file type; Thresher reads .jsonl/.ndjson (optionally "
                    f".gz/.zst), .parquet, .warc/.wet (optionally .gz/.zst), .txt and .html files, and folders"
                )
            if kind == files.KIND:
                sources.append(Source(kind, str(path), len(sources), None, [(path, path.name)]))
            else:
                sources.append(Source(kind, str(path), len(sources), path))
    return sources, skipped


def decode(batch: RawBatch, fields: FieldNames) -> Iterator[Parsed | Quarantined]:
    """Decode a raw batch into parsed records and quarantined units, in input order."""
    return _DECODERS[batch.kind](batch, fields)
