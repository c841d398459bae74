"""The Ray engine: the local engine's pipeline, one Ray task per input source.

Why one task per source: a source is already the unit of output (its own shard series,
`<source>-<part>`) and of resumption (its own `_progress` marker), so a task that reads a
source, runs `process_batch` over its batches and writes that source's shards produces
the same files, byte for byte, as the local engine, whatever node ran it and in whatever
order tasks finish. Nothing but a small `Tally` travels back to the driver; the records
go straight from the worker to OUT, which must therefore be on a filesystem every node
sees (a local disk for a one-machine instance, NFS or similar for a cluster).

Faults: a task whose worker dies is retried by Ray (`MAX_RETRIES`). Each attempt first
deletes whatever an earlier attempt left of its source (published shards and temporary
files), and shards are only published by rename when complete, so a retried source is
written exactly once. The driver writes the source's marker only after the task has
returned, i.e. after its shards are published: the same contract as the local engine,
so `--resume` works across engines.

`--limit`: the local engine keeps the first N input units in source order. Here the
driver first counts units per source (in parallel, each count capped at what is left,
stopping once the limit is reached) and gives each source the allowance the local engine
would have had left when it reached it, so the kept records are the same.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ray

from thresher.accounting import Tally
from thresher.engines.batch import Job, process_batch
from thresher.engines.checkpoint import Checkpoint, remove_unfinished_shards, split_finished
from thresher.engines.local import RunOptions, _take
from thresher.readers import Source
from thresher.writers import OutputWriter

# Retries of a task whose worker process (or node) died. Application errors are not
# retried: `process_batch` already quarantines bad records, so an exception is a bug or
# an unreadable OUT, and retrying it would only hide it.
MAX_RETRIES = 3


class SourceFailed(RuntimeError):
    """A source's task raised: names the source and the worker's error, not Ray's wrapper."""


def process_source(source: Source, job: Job, out: Path, options: RunOptions, allowance: int | None) -> Tally:
    """Read one source, process its batches in order and write its shards; return its tally.

    `allowance` is the number of input units this source may still read under `--limit`
    (None: no limit). Starts by removing anything an earlier (killed) attempt left of
    this source, so a retry never duplicates a record.
    """
    remove_unfinished_shards(out, source.index)
    writer = OutputWriter(out, job.output_format, options.records_per_shard)
    tally = Tally()
    remaining = allowance
    try:
        for batch in source.batches(options.batch_docs, options.batch_bytes, options.limits):
            if remaining is not None:
                if remaining <= 0:
                    break
                remaining -= _take(batch, remaining)
            result = process_batch(batch, job)
            for destination, payload in result.payloads.items():
                writer.write(destination, source.index, payload, result.records[destination])
            tally.add(result.tally)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return tally


def count_units(source: Source, options: RunOptions, cap: int) -> int:
    """Input units of `source` as `--limit` counts them, reading no further than `cap`."""
    remaining = cap
    for batch in source.batches(options.batch_docs, options.batch_bytes, options.limits):
        if remaining <= 0:
            break
        remaining -= _take(batch, remaining)
    return cap - remaining


def _in_driver_directory(cwd: str) -> None:
    """Relative input paths mean the driver's directory; Ray workers may start elsewhere."""
    if os.getcwd() != cwd and os.path.isdir(cwd):
        os.chdir(cwd)


@ray.remote(max_retries=MAX_RETRIES, retry_exceptions=False)
def _source_task(source: Source, job: Job, out: str, options: RunOptions, allowance: int | None, cwd: str) -> Tally:
    _in_driver_directory(cwd)
    return process_source(source, job, Path(out), options, allowance)


@ray.remote(max_retries=MAX_RETRIES, retry_exceptions=False)
def _count_task(source: Source, options: RunOptions, cap: int, cwd: str) -> int:
    _in_driver_directory(cwd)
    return count_units(source, options, cap)


def connect(address: str | None, workers: int) -> bool:
    """Join the cluster at `address`, or start a quiet local instance; True if we started Ray here.

    An already initialised Ray (a notebook, a test fixture, a Ray job) is used as it is,
    and left running.
    """
    if ray.is_initialized():
        return False
    if address:
        ray.init(address=address, logging_level=logging.WARNING)
    else:
        ray.init(num_cpus=workers, include_dashboard=False, logging_level=logging.WARNING)
    return True


def parallelism(started_here: bool, workers: int) -> int:
    """Tasks in flight: `workers` on an instance we started, else the cluster's CPUs.

    On a cluster `--workers` defaults to the driver machine's cores, which says nothing
    about the cluster, so the cluster's own CPU count bounds the work in flight there.
    """
    if started_here:
        return max(1, workers)
    return max(1, int(ray.cluster_resources().get("CPU", workers)))


def allowances(todo: list[Source], options: RunOptions, remaining: int, slots: int, cwd: str) -> list[int]:
    """What each source may read under the limit: the local engine's `remaining` on reaching it.

    Counts run `slots` sources at a time, in source order, and stop once the limit is
    used up, so a small limit over a large corpus reads only the first few sources.
    """
    result: list[int] = []
    position = 0
    while position < len(todo):
        if remaining <= 0:
            result.extend(0 for _ in todo[position:])
            break
        window = todo[position : position + slots]
        counts = ray.get([_count_task.remote(source, options, remaining, cwd) for source in window])
        for count in counts:
            result.append(remaining)
            remaining = max(0, remaining - count)
        position += len(window)
    return result


def run_sources(
    sources: list[Source],
    job: Job,
    out: Path,
    options: RunOptions,
    checkpoint: Checkpoint,
    on_progress: Callable[[Tally], None] = lambda tally: None,
    *,
    address: str | None = None,
) -> Tally:
    """Process every unfinished source into OUT as Ray tasks, marking each finished; return the tally.

    The same contract as `thresher.engines.local.run_sources`: finished sources (by their
    markers) are skipped and their tallies reused; the output equals the local engine's.
    """
    total, todo = split_finished(sources, checkpoint)
    remaining = None if options.limit is None else max(0, options.limit - total.read)
    out = Path(out).resolve()
    cwd = os.getcwd()

    started_here = connect(address, options.workers)
    pending: dict[Any, Source] = {}
    try:
        slots = parallelism(started_here, options.workers)
        plan: list[int | None] = (
            [None] * len(todo) if remaining is None else list(allowances(todo, options, remaining, slots, cwd))
        )
        queue = deque(zip(todo, plan, strict=True))
        while queue or pending:
            while queue and len(pending) < slots:
                source, allowance = queue.popleft()
                if allowance == 0:  # the limit was used up before this source: nothing to read
                    remove_unfinished_shards(out, source.index)
                    checkpoint.mark_finished(source.index, source.display, Tally())
                    continue
                pending[_source_task.remote(source, job, str(out), options, allowance, cwd)] = source
            if not pending:
                break
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                source = pending.pop(ref)
                try:
                    tally: Tally = ray.get(ref)
                except ray.exceptions.RayTaskError as error:
                    cause = getattr(error, "cause", None) or error
                    raise SourceFailed(f"source {source.display!r}: {type(cause).__name__}: {cause}") from cause
                checkpoint.mark_finished(source.index, source.display, tally)
                total.add(tally)
                on_progress(total)
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started_here:
            ray.shutdown()
    return total


# --- Deduplication on Ray -----------------------------------------------------------------
#
# The same plan as `thresher.dedup.plan.plan`, computed without gathering the corpus:
#   1. one task per source hashes its batches (`hash_batch`: exact keys, LSH band keys,
#      line hashes) and returns them already split into `reducers` partitions by key; the
#      partitions stay in the object store of the node that made them;
#   2. one task per (kind, partition) receives that partition from every source (Ray moves
#      the objects: the shuffle by bucket key), groups equal keys and returns only edges
#      between duplicates (or, for lines, the boilerplate keys);
#   3. the driver joins clusters over the duplicate graph alone (documents that share no
#      key never reach it) and asks each source's id list, where it lives, for its heads;
#   4. pass 2 is `thresher run` itself (the Job carries the plan's path), so with
#      `--engine ray` it already runs as the per-source tasks above.
# With `verify`, candidate pairs are checked by one task per pair of sources, which gets
# only those two sources' evidence (shingle sets, or signature rows). Global record indices need each source's record
# count, which only the per-source metadata (a few integers per batch) carries to the driver.


def _dedup_imports() -> Any:
    """Dedup is imported only when used, so `--engine ray` runs without touching it.

    By module path: `thresher.dedup` re-exports a function named `plan` over its module.
    """
    import importlib

    return tuple(importlib.import_module(f"thresher.dedup.{name}") for name in ("plan", "shards"))


def hash_source(
    source: Source, fields: Any, settings: Any, batch_docs: int, batch_bytes: int, reducers: int, cwd: str
) -> list:
    """Pass 1 for one source: [meta, ids, verify evidence or None, exact parts..., band parts..., line parts...].

    Documents are numbered by position within the source; the reducers add the source's
    global start once the driver knows every source's size.
    """
    _in_driver_directory(cwd)
    plan_module, shards = _dedup_imports()
    import numpy as np

    offset = 0
    parsed = 0
    batches: list[tuple[int, int]] = []
    ids: list[str | None] = []
    verify = settings.near and settings.verify > 0
    rows: list[np.ndarray] = []
    set_values: list[np.ndarray] = []
    set_counts: list[np.ndarray] = []
    pairs: dict[str, tuple[list, list]] = {"exact": ([], []), "bands": ([], []), "lines": ([], [])}
    for batch in source.batches(batch_docs, batch_bytes):
        result = plan_module.hash_batch(batch, fields, settings)
        batches.append((result.batch_index, offset))
        ids.extend(result.ids)
        pairs["exact"][0].append(result.exact_keys)
        pairs["exact"][1].append(result.exact_local + offset)
        if len(result.band_local):
            pairs["bands"][0].append(result.band_keys.reshape(-1))
            pairs["bands"][1].append(np.repeat(result.band_local + offset, settings.num_buckets))
        pairs["lines"][0].append(result.line_keys)
        pairs["lines"][1].append(result.line_local + offset)
        if verify and settings.verify_exact:
            counts = result.shingle_counts
            set_counts.append(counts if counts is not None else np.zeros(result.items, np.int64))
            if result.shingle_values is not None:
                set_values.append(result.shingle_values)
        elif verify:
            signatures = result.signatures
            if signatures is None:
                signatures = np.zeros((result.items, settings.minhash.num_hashes), dtype=np.uint32)
            rows.append(signatures)
        offset += result.items
        parsed += result.parsed
    parts: list[np.ndarray] = []
    for keys_list, docs_list in pairs.values():
        keys = np.concatenate(keys_list).astype(np.uint64) if keys_list else np.empty(0, np.uint64)
        docs = np.concatenate(docs_list).astype(np.int64) if docs_list else np.empty(0, np.int64)
        which = shards._partition_of(keys, reducers) if len(keys) else np.empty(0, np.int64)
        for reducer in range(reducers):
            chosen = which == reducer
            part = np.empty(int(chosen.sum()), dtype=shards.PAIR)
            part["key"], part["doc"] = keys[chosen], docs[chosen]
            parts.append(part)
    meta = {"items": offset, "parsed": parsed, "batches": batches}
    evidence: Any = None
    if verify and settings.verify_exact:
        # The source's shingle sets, flattened: (values, offsets), as `minhash.set_jaccard` reads them.
        counts = np.concatenate(set_counts).astype(np.int64) if set_counts else np.empty(0, np.int64)
        values = np.concatenate(set_values) if set_values else np.empty(0, np.uint32)
        evidence = (values, np.concatenate(([0], np.cumsum(counts))).astype(np.int64))
    elif verify:
        evidence = np.concatenate(rows) if rows else np.empty((0, settings.minhash.num_hashes), np.uint32)
    return [meta, ids, evidence, *parts]


def reduce_partition(kind: str, starts: Any, min_docs: int, *parts: Any) -> tuple[Any, Any]:
    """One key partition from every source: duplicate edges (exact/bands) or boilerplate keys (lines).

    `parts[i]` comes from source i and holds source-local positions; `starts[i]` makes them
    global. Within a key, documents are ordered by global index, as in the local plan, so
    the first (kept) document of a key is the same.
    """
    _, shards = _dedup_imports()
    import numpy as np

    pairs = np.concatenate(parts) if parts else np.empty(0, dtype=shards.PAIR)
    if len(pairs):
        lengths = [len(part) for part in parts]
        pairs["doc"] += np.repeat(np.asarray(starts[: len(parts)], dtype=np.int64), lengths)
    pairs = pairs[np.lexsort((pairs["doc"], pairs["key"]))]
    if kind == "lines":
        keys, counts = np.unique(pairs["key"], return_counts=True)
        return keys[counts > min_docs], None
    left, right = shards.group_edges(pairs)
    if len(left):
        packed = np.unique(np.stack([left, right], axis=1), axis=0)
        return packed[:, 0], packed[:, 1]
    return np.empty(0, np.int64), np.empty(0, np.int64)


def verify_pairs(left_evidence: Any, right_evidence: Any, left: Any, right: Any, threshold: float) -> Any:
    """Which candidate pairs (source-local positions) pass the check the local plan makes.

    Evidence is a source's signature rows (`verify_by = "signature"`: estimated Jaccard) or
    its shingle sets as (values, offsets) (`"shingles"`: exact Jaccard, the default).
    """
    if isinstance(left_evidence, tuple):
        import numpy as np

        from thresher.dedup.minhash import set_jaccard

        (left_values, left_offsets), (right_values, right_offsets) = left_evidence, right_evidence
        # One address space for both sources: shift the right source's offsets past the left's values.
        values = np.concatenate([left_values, right_values])
        offsets = np.concatenate([left_offsets[:-1], right_offsets + len(left_values)])
        shifted = np.asarray(right, dtype=np.int64) + len(left_offsets) - 1
        return set_jaccard(values, offsets, np.asarray(left, dtype=np.int64), shifted) >= threshold
    return (left_evidence[left] == right_evidence[right]).mean(axis=1) >= threshold


def head_ids_of(ids: list[str | None], start: int, heads: list[int]) -> dict[int, str]:
    """Ids of the kept heads that live in one source (by global index)."""
    return {head: ids[head - start] or "" for head in heads}


def _join_clusters(left: Any, right: Any) -> Any:
    """`components` over the documents that have an edge only; everything else is its own head.

    Labels are the smallest global index of each cluster, as in the local plan; memory on
    the driver is O(documents with a duplicate), not O(corpus).
    """
    _, shards = _dedup_imports()
    import numpy as np

    nodes = np.unique(np.concatenate([left, right])) if len(left) else np.empty(0, np.int64)
    labels = shards.components(len(nodes), np.searchsorted(nodes, left), np.searchsorted(nodes, right))
    return nodes, nodes[labels]


def _verify_on_ray(outputs: list, source_starts: Any, left: Any, right: Any, threshold: float) -> Any:
    """Check candidate pairs where their evidence lives: one task per (source, source) pair."""
    import numpy as np

    task = ray.remote(max_retries=MAX_RETRIES)(verify_pairs)
    owner_left = np.searchsorted(source_starts, left, side="right") - 1
    owner_right = np.searchsorted(source_starts, right, side="right") - 1
    keep = np.empty(len(left), dtype=bool)
    groups = np.unique(np.stack([owner_left, owner_right], axis=1), axis=0)
    refs = []
    for a, b in groups:
        chosen = np.flatnonzero((owner_left == a) & (owner_right == b))
        local_left = left[chosen] - source_starts[a]
        local_right = right[chosen] - source_starts[b]
        refs.append((chosen, task.remote(outputs[a][2], outputs[b][2], local_left, local_right, threshold)))
    for chosen, ref in refs:
        keep[chosen] = ray.get(ref)
    return keep


def plan_on_ray(
    sources: list[Source],
    fields: Any,
    settings: Any,
    *,
    address: str | None = None,
    workers: int | None = None,
    batch_docs: int = 256,
    batch_bytes: int = 512 << 10,
    reducers: int | None = None,
) -> Any:
    """`thresher.dedup.plan.plan` on Ray (joined or started as `connect` does); returns an equal `DuplicatePlan`.

    `reducers` is the number of key partitions of the shuffle (default: 2 x the cluster's
    CPUs, at most `settings.partitions`); the plan does not depend on it.
    """
    started_here = connect(address, workers or os.cpu_count() or 1)
    try:
        return _plan_on_ray(sources, fields, settings, batch_docs, batch_bytes, reducers)
    finally:
        if started_here:
            ray.shutdown()


def _plan_on_ray(
    sources: list[Source], fields: Any, settings: Any, batch_docs: int, batch_bytes: int, reducers: int | None
) -> Any:
    cwd = os.getcwd()
    import time

    import numpy as np

    plan_module, _ = _dedup_imports()
    started = time.perf_counter()
    reducers = reducers or max(1, min(settings.partitions, 2 * int(ray.cluster_resources().get("CPU", 1))))
    hash_task = ray.remote(max_retries=MAX_RETRIES)(hash_source)
    outputs = [
        hash_task.options(num_returns=3 + 3 * reducers).remote(
            source, fields, settings, batch_docs, batch_bytes, reducers, cwd
        )
        for source in sources
    ]
    metas = ray.get([refs[0] for refs in outputs])
    sizes = np.asarray([meta["items"] for meta in metas], dtype=np.int64)
    source_starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    total = int(source_starts[-1])
    batch_keys = np.asarray(
        [s.index * (1 << 32) + b for s, m in zip(sources, metas, strict=True) for b, _ in m["batches"]], np.int64
    )
    batch_firsts = np.asarray(
        [source_starts[i] + first for i, m in enumerate(metas) for _, first in m["batches"]], np.int64
    )
    hashed = time.perf_counter()

    reduce_task = ray.remote(max_retries=MAX_RETRIES)(reduce_partition)
    starts_ref = ray.put(source_starts[:-1])
    kinds = [("exact", 0), ("bands", 1)] if settings.near else [("exact", 0)]
    if settings.boilerplate_min_docs > 0:
        kinds.append(("lines", 2))
    reduced: dict[str, list] = {}
    for kind, slot in kinds:
        reduced[kind] = [
            reduce_task.options(num_returns=2).remote(
                kind,
                starts_ref,
                settings.boilerplate_min_docs,
                *[refs[3 + slot * reducers + reducer] for refs in outputs],
            )
            for reducer in range(reducers)
        ]

    def edges(kind: str) -> tuple[Any, Any]:
        if kind not in reduced:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        parts = [(ray.get(a), ray.get(b)) for a, b in reduced[kind]]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    exact_left, exact_right = edges("exact")
    near_left, near_right = edges("bands")
    rejected = 0
    if settings.near and settings.verify > 0 and len(near_left):
        # A pair sharing bands in several partitions is checked (and counted) once.
        packed = np.unique(np.stack([near_left, near_right], axis=1), axis=0)
        near_left, near_right = packed[:, 0], packed[:, 1]
        keep = _verify_on_ray(outputs, source_starts, near_left, near_right, settings.verify)
        rejected = int(len(keep) - np.count_nonzero(keep))
        near_left, near_right = near_left[keep], near_right[keep]
    nodes, labels = _join_clusters(np.concatenate([exact_left, near_left]), np.concatenate([exact_right, near_right]))
    moved = labels != nodes
    removed, heads = nodes[moved], labels[moved]
    kind_of = np.full(len(removed), plan_module._KIND_NEAR, dtype=np.int8)
    if len(exact_right):
        kind_of[np.isin(removed, exact_right)] = plan_module._KIND_EXACT
    boilerplate = np.empty(0, dtype=np.uint64)
    if "lines" in reduced:
        common = [ray.get(keys) for keys, _ in reduced["lines"]]
        boilerplate = np.sort(np.concatenate(common)) if common else boilerplate

    lookup_task = ray.remote(max_retries=MAX_RETRIES)(head_ids_of)
    unique_heads = np.unique(heads)
    owner = np.searchsorted(source_starts, unique_heads, side="right") - 1
    lookups = [
        lookup_task.remote(outputs[i][1], int(source_starts[i]), [int(h) for h in unique_heads[owner == i]])
        for i in np.unique(owner)
    ]
    head_ids: dict[int, str] = {}
    for found in ray.get(lookups):
        head_ids.update(found)
    clustered = time.perf_counter()
    stats = {
        "records": total,
        "parsed": int(sum(meta["parsed"] for meta in metas)),
        "exact_duplicate": int(np.count_nonzero(kind_of == plan_module._KIND_EXACT)),
        "near_duplicate": int(np.count_nonzero(kind_of == plan_module._KIND_NEAR)),
        "clusters_with_duplicates": len(head_ids),
        "boilerplate_line_hashes": len(boilerplate),
        "candidate_pairs_rejected_by_verify": rejected,
        "engine": "ray",
        "reducers": reducers,
        "pass1_hash_seconds": round(hashed - started, 3),
        "pass1_cluster_seconds": round(clustered - hashed, 3),
    }
    order = np.argsort(batch_keys, kind="stable")
    return plan_module.DuplicatePlan(
        settings=settings,
        source_starts=source_starts,
        batch_keys=batch_keys[order],
        batch_firsts=batch_firsts[order],
        removed=removed,
        removed_kind=kind_of,
        removed_head=heads,
        head_ids=head_ids,
        boilerplate=boilerplate,
        stats=stats,
    )
