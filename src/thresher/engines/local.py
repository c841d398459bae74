"""The local engine: batches stream through a pool of worker processes, in order.

The reading process frames input into batches and keeps at most `2 x workers` of them
in flight, so memory is bounded by the batch size and the worker count, not the corpus.
Results are consumed in submission order, which makes the output byte-identical for
any number of workers. With one worker everything runs in-process (no pool to start);
by default a small input gets fewer workers than cores (`default_workers`).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from thresher.accounting import Tally
from thresher.engines.batch import BatchResult, Job, process_batch
from thresher.engines.checkpoint import Checkpoint, remove_unfinished_shards, split_finished
from thresher.readers import RawBatch, ReadLimits, Source, parquet
from thresher.writers import OutputWriter

if TYPE_CHECKING:
    from concurrent.futures import Future

# Input bytes that make one more worker worth starting. A worker process pays its own
# imports and model loads (~0.5 s on the 2-core machine of benchmarks/startup.py), and the
# pool's server process the imports once more, while the analysis runs at ~0.75 MB/s per
# core (benchmarks/throughput.py): under ~1 MB of input, one process is done before a
# second one would be ready.
BYTES_PER_WORKER = 1 << 20
# A compressed file's bytes on disk stand for about this many of text (web text compresses
# 3-5x with gzip or zstd; Parquet columns are compressed too).
_COMPRESSED_SUFFIXES = (".gz", ".zst", ".zstd", ".lz4", ".parquet")
_EXPANSION = 4


def default_workers(sources: Iterable[Source], cores: int | None = None) -> int:
    """Workers for a run that did not ask for a number: one per `BYTES_PER_WORKER` of input, at most `cores`.

    One worker means no pool at all: the run stays in this process, so `thresher run` on a
    few documents starts as fast as `Pipeline` in a script. The output is identical for any
    number of workers, so this only decides how fast it comes. Sizes are read from the file
    system (stat, no reading) until the input is known to be large enough for every core.
    """
    cores = max(1, cores or os.cpu_count() or 1)
    enough = cores * BYTES_PER_WORKER
    total = 0
    for source in sources:
        paths = [source.path] if source.path is not None else [path for path, _ in source.files]
        for path in paths:
            try:
                size = path.stat().st_size
            except OSError:
                continue  # unreadable: the reader quarantines it; it does no work here
            total += size * _EXPANSION if path.name.lower().endswith(_COMPRESSED_SUFFIXES) else size
            if total >= enough:
                return cores
    return max(1, min(cores, -(-total // BYTES_PER_WORKER)))


@dataclass(frozen=True, slots=True)
class SourceEnd:
    """Travels through the ordered pipeline after a source's last batch."""

    source: Source


@dataclass(frozen=True, slots=True)
class RunOptions:
    workers: int = 1
    limit: int | None = None
    batch_docs: int = 256
    batch_bytes: int = 512 << 10
    records_per_shard: int = 100_000
    limits: ReadLimits = field(default_factory=ReadLimits)


def process_batches(items: Iterable[RawBatch | SourceEnd], job: Job, workers: int) -> Iterator[BatchResult | SourceEnd]:
    """Process batches with `workers` processes, yielding results (and source ends) in input order."""
    if workers <= 1:
        for item in items:
            yield item if isinstance(item, SourceEnd) else process_batch(item, job)
        return
    # imported here: a one-process run (a small input) does not pay for them (~10 ms)
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["thresher.engines.batch"])
    window = 2 * workers
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[BatchResult] | SourceEnd] = deque()
        try:
            for item in items:
                pending.append(item if isinstance(item, SourceEnd) else pool.submit(process_batch, item, job))
                if len(pending) >= window:
                    yield _resolve(pending.popleft())
            while pending:
                yield _resolve(pending.popleft())
        finally:
            for future in pending:
                if isinstance(future, Future):
                    future.cancel()


def _resolve(item: Future[BatchResult] | SourceEnd) -> BatchResult | SourceEnd:
    return item if isinstance(item, SourceEnd) else item.result()


def run_sources(
    sources: list[Source],
    job: Job,
    out: Path,
    options: RunOptions,
    checkpoint: Checkpoint,
    on_progress: Callable[[Tally], None] = lambda tally: None,
) -> Tally:
    """Process every unfinished source into OUT, marking each finished; return the run's tally."""
    total, todo = split_finished(sources, checkpoint)
    for source in todo:
        remove_unfinished_shards(out, source.index)
    remaining = None if options.limit is None else max(0, options.limit - total.read)

    writer = OutputWriter(out, job.output_format, options.records_per_shard)
    source_tally = Tally()
    try:
        items = _with_source_ends(todo, options, remaining)
        for item in process_batches(items, job, options.workers):
            if isinstance(item, SourceEnd):
                writer.close()
                checkpoint.mark_finished(item.source.index, item.source.display, source_tally)
                total.add(source_tally)
                source_tally = Tally()
                on_progress(total)
                continue
            for destination, payload in item.payloads.items():
                writer.write(destination, item.source_index, payload, item.records[destination])
            source_tally.add(item.tally)
            running = Tally()
            running.add(total)
            running.add(source_tally)
            on_progress(running)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return total


def _with_source_ends(sources: list[Source], options: RunOptions, limit: int | None) -> Iterator[RawBatch | SourceEnd]:
    remaining = limit
    for source in sources:
        for batch in source.batches(options.batch_docs, options.batch_bytes, options.limits):
            if remaining is not None:
                if remaining <= 0:
                    break
                remaining -= _take(batch, remaining)
            yield batch
        yield SourceEnd(source)


def _take(batch: RawBatch, limit: int) -> int:
    """Cut `batch` to at most `limit` input units; return how many it keeps."""
    if batch.kind != parquet.KIND:
        batch.units = batch.units[:limit]
        return len(batch.units)
    taken = 0
    units = []
    for unit in batch.units:
        if taken >= limit:
            break
        if isinstance(unit, tuple):
            first_row, record_batch = unit
            piece = record_batch.slice(0, limit - taken)
            units.append((first_row, piece))
            taken += piece.num_rows
        else:
            units.append(unit)
            taken += 1
    batch.units = units
    return taken
