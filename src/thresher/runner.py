"""`thresher run` as a function: sources -> engine -> writers -> summary.json."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from thresher import __version__
from thresher.accounting import Tally
from thresher.engines.batch import Job
from thresher.engines.local import process_batches
from thresher.engines.progress import Progress
from thresher.policy import load_policy
from thresher.readers import FieldNames, RawBatch, Source, discover_sources, parquet
from thresher.writers import DEFAULT_RECORDS_PER_SHARD, OutputWriter

OUTPUT_PARTS = ("kept", "removed", "quarantine", "summary.json")
DEFAULT_BATCH_DOCS = 256
DEFAULT_BATCH_BYTES = 8 << 20


class OutputDirError(ValueError):
    """OUT holds something that is not a Thresher output; refusing to overwrite it."""


def run(
    inputs: Sequence[str | Path],
    output: str | Path,
    *,
    policy: str | Path = "default",
    workers: int | None = None,
    limit: int | None = None,
    fields: FieldNames | None = None,
    output_format: str | None = None,
    keep_original: bool = True,
    keep_html: bool = True,
    batch_docs: int = DEFAULT_BATCH_DOCS,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    records_per_shard: int = DEFAULT_RECORDS_PER_SHARD,
    progress: bool = False,
) -> dict[str, Any]:
    """Process `inputs` into `output` (kept/, removed/, quarantine/, summary.json).

    Returns the summary. Raises `PolicyError`, `InputError` or `OutputDirError` before any
    work for a bad policy, input or output folder, and `AccountingError` if the counts of
    the run do not add up.
    """
    started = time.perf_counter()
    loaded_policy = load_policy(policy)  # validate before any work
    sources, skipped = discover_sources(list(inputs))
    out = Path(output)
    _prepare_output(out)
    fmt = output_format or _default_format(sources)
    if fmt not in ("jsonl", "parquet"):
        raise ValueError(f"output format {fmt!r}: use jsonl or parquet")
    workers = workers or os.cpu_count() or 1
    job = Job(
        policy=str(policy),
        fields=fields or FieldNames(),
        output_format=fmt,
        keep_original=keep_original,
        keep_html=keep_html,
    )

    tally = Tally()
    meter = Progress(enabled=progress)
    writer = OutputWriter(out, fmt, records_per_shard)
    try:
        batches = _limited(_all_batches(sources, batch_docs, batch_bytes), limit)
        for result in process_batches(batches, job, workers):
            for destination, payload in result.payloads.items():
                writer.write(destination, result.source_index, payload, result.records[destination])
            tally.add(result.tally)
            meter.update(tally)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    meter.update(tally, final=True)

    summary = tally.summary(
        time.perf_counter() - started,
        policy=loaded_policy.name,
        inputs=[source.display for source in sources],
        skipped_files=len(skipped),
        output_format=fmt,
        workers=workers,
        thresher_version=__version__,
    )
    _write_json_atomically(out / "summary.json", summary)
    tally.check()
    return summary


def _all_batches(sources: list[Source], batch_docs: int, batch_bytes: int) -> Iterator[RawBatch]:
    for source in sources:
        yield from source.batches(batch_docs, batch_bytes)


def _limited(batches: Iterator[RawBatch], limit: int | None) -> Iterator[RawBatch]:
    """Stop after `limit` input units (records, files, or rows)."""
    if limit is None:
        yield from batches
        return
    remaining = limit
    for batch in batches:
        if remaining <= 0:
            return
        if batch.kind == parquet.KIND:
            units = []
            for unit in batch.units:
                if remaining <= 0:
                    break
                if isinstance(unit, tuple):
                    first_row, record_batch = unit
                    taken = record_batch.slice(0, remaining)
                    units.append((first_row, taken))
                    remaining -= taken.num_rows
                else:
                    units.append(unit)
                    remaining -= 1
            batch.units = units
        else:
            batch.units = batch.units[:remaining]
            remaining -= len(batch.units)
        yield batch


def _default_format(sources: list[Source]) -> str:
    """Parquet in, Parquet out; everything else becomes JSON Lines."""
    if sources and all(source.kind == parquet.KIND for source in sources):
        return "parquet"
    return "jsonl"


def _prepare_output(out: Path) -> None:
    """Make OUT ready: empty or new, or a previous Thresher output whose results are replaced."""
    if out.exists() and not out.is_dir():
        raise OutputDirError(f"output {str(out)!r} is a file; give a folder path with -o")
    if out.exists():
        entries = {entry.name for entry in out.iterdir()}
        foreign = entries - set(OUTPUT_PARTS) - {"report.html"}
        if foreign and not entries & {"summary.json", "kept"}:
            raise OutputDirError(
                f"output folder {str(out)!r} is not empty and is not a Thresher output "
                f"(it holds {sorted(foreign)[:5]}); choose a new or empty folder"
            )
        for part in OUTPUT_PARTS:
            target = out / part
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)


def _write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
    os.replace(temp, path)
