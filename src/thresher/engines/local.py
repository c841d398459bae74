"""The local engine: batches stream through a pool of worker processes, in order.

The reading process frames input into batches and keeps at most `2 x workers` of them
in flight, so memory is bounded by the batch size and the worker count, not the corpus.
Results are consumed in submission order, which makes the output byte-identical for
any number of workers. With one worker everything runs in-process (no pool to start).
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from thresher.engines.batch import BatchResult, Job, process_batch
from thresher.readers import RawBatch


def process_batches(batches: Iterable[RawBatch], job: Job, workers: int) -> Iterator[BatchResult]:
    """Process `batches` with `workers` processes, yielding results in input order."""
    if workers <= 1:
        for batch in batches:
            yield process_batch(batch, job)
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["thresher.engines.batch"])
    window = 2 * workers
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[BatchResult]] = deque()
        try:
            for batch in batches:
                pending.append(pool.submit(process_batch, batch, job))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
