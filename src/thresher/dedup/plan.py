"""Pass 1: read every record once, hash it, and decide which records are duplicates.

The result is a `DuplicatePlan`: record identity (source index, position within the
source) -> why it is removed, plus the set of boilerplate line hashes. Pass 2 (`thresher
dedup`, or `thresher run` with a `[dedup]` policy section) streams the records again and
applies the plan; nothing of the text is held between the passes.

Record identity: positions count the items `thresher.readers.decode` yields for a source,
in order (a JSON line, a Parquet row, a file, a WARC record, or a quarantined unit), so a
record's position is the same in both passes. The plan also keeps where each raw batch
starts, so a worker that gets batch k of a source knows its first position without
seeing the batches before it (batches are framed identically when batch_docs and
batch_bytes are the same in both passes).

Memory: the workers return only hashes; the main process spills them to partitioned
shards (`shards.py`) past `memory_mb`; the plan itself holds O(removed records) integers,
the ids of kept cluster heads, and the distinct boilerplate line hashes. Exact
verification (the default) writes every record's distinct shingle values to one file in
the work folder (4 bytes a shingle, about the size of the text's words) and keeps a count
per record (8 bytes) in memory; candidate pairs are then checked by memory map.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import orjson
import xxhash

from thresher.dedup.lines import LineMark, document_line_hashes, mark_lines
from thresher.dedup.minhash import MinHasher, set_jaccard, shingle_sets
from thresher.dedup.normalize import simplify_text
from thresher.dedup.settings import DedupSettings
from thresher.dedup.shards import PartitionedSpill, components, group_edges
from thresher.document import Reason
from thresher.readers import FieldNames, Parsed, RawBatch, Source, decode

EXACT_DUPLICATE = "exact_duplicate"
NEAR_DUPLICATE = "near_duplicate"
_KIND_EXACT = 1
_KIND_NEAR = 2

T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True)
class DuplicateReason(Reason):
    """A removal reason that also names the cluster and the document kept for it."""

    cluster_id: int | None = None
    kept_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = Reason.to_dict(self)
        data["cluster_id"] = self.cluster_id
        data["kept_id"] = self.kept_id
        return data


@dataclass(slots=True)
class BatchHashes:
    """What a pass-1 worker returns for one raw batch: hashes, never text."""

    source_index: int
    batch_index: int
    items: int
    ids: list[str | None]
    exact_local: np.ndarray
    exact_keys: np.ndarray
    band_local: np.ndarray
    band_keys: np.ndarray
    line_local: np.ndarray
    line_keys: np.ndarray
    parsed: int = 0
    signatures: np.ndarray | None = None  # only when pass 1 verifies candidate pairs
    shingle_values: np.ndarray | None = None  # with exact verification: each item's distinct shingles
    shingle_counts: np.ndarray | None = None  # ... and how many each item has (0 for no signature)


_HASHERS: dict[DedupSettings, MinHasher] = {}
# Shingle values gathered per chunk of candidate pairs in exact verification (~100 MB of work arrays).
_VERIFY_CHUNK_VALUES = 4 << 20


def hash_batch(batch: RawBatch, fields: FieldNames, settings: DedupSettings) -> BatchHashes:
    """Decode one raw batch and compute its exact keys, LSH band keys and line hashes."""
    items = list(decode(batch, fields))
    ids: list[str | None] = []
    parsed_local: list[int] = []
    texts: list[str] = []
    line_local: list[np.ndarray] = []
    line_keys: list[np.ndarray] = []
    for local, item in enumerate(items):
        if isinstance(item, Parsed):
            ids.append(item.document.id)
            parsed_local.append(local)
            texts.append(item.document.text)
            if settings.boilerplate_min_docs > 0:
                hashes = document_line_hashes(item.document.text)
                line_keys.append(hashes)
                line_local.append(np.full(len(hashes), local, dtype=np.int64))
        else:
            ids.append(None)
    norms = [simplify_text(text) for text in texts]
    local_index = np.asarray(parsed_local, dtype=np.int64)
    empty_i = np.empty(0, dtype=np.int64)
    empty_u = np.empty(0, dtype=np.uint64)
    exact_local, exact_keys = empty_i, empty_u
    if settings.exact:
        nonempty = [i for i, norm in enumerate(norms) if norm]
        exact_local = local_index[nonempty] if nonempty else empty_i
        exact_keys = np.fromiter(
            (xxhash.xxh3_64_intdigest(norms[i].encode("utf-8", "surrogatepass")) for i in nonempty),
            dtype=np.uint64,
            count=len(nonempty),
        )
    band_local, band_keys = empty_i, np.empty((0, settings.num_buckets), dtype=np.uint64)
    rows: np.ndarray | None = None
    set_values: np.ndarray | None = None
    set_counts: np.ndarray | None = None
    if settings.near and settings.verify > 0:
        # Signature rows whenever pass 1 verifies: the Ray engine checks pairs on them.
        rows = np.zeros((len(items), settings.minhash.num_hashes), dtype=np.uint32)
    if settings.verify_exact:
        set_values, set_counts = np.empty(0, dtype=np.uint32), np.zeros(len(items), dtype=np.int64)
    if settings.near and norms:
        hasher = _HASHERS.get(settings)
        if hasher is None:
            hasher = _HASHERS[settings] = MinHasher(settings.minhash)
        shingles, owners = hasher.shingles(norms)
        signatures, has = hasher.signatures_of(shingles, owners, len(norms))
        band_local = local_index[has]
        band_keys = hasher.band_keys(signatures[has])
        if rows is not None:
            rows[band_local] = signatures[has]
        if set_counts is not None:
            set_values, counts = shingle_sets(shingles, owners, len(norms))
            set_counts[local_index] = counts
    return BatchHashes(
        batch.source_index,
        batch.batch_index,
        len(items),
        ids,
        exact_local,
        exact_keys,
        band_local,
        band_keys,
        np.concatenate(line_local) if line_local else empty_i,
        np.concatenate(line_keys) if line_keys else empty_u,
        parsed=len(parsed_local),
        signatures=rows,
        shingle_values=set_values,
        shingle_counts=set_counts,
    )


@dataclass
class DuplicatePlan:
    """Which records are duplicates (by global index) and which lines are boilerplate."""

    settings: DedupSettings
    source_starts: np.ndarray  # global index of each source's first item; last entry = total
    batch_keys: np.ndarray  # (source_index, batch_index) pairs, sorted
    batch_firsts: np.ndarray  # global index of each batch's first item
    removed: np.ndarray  # sorted global indices of removed records
    removed_kind: np.ndarray  # _KIND_EXACT or _KIND_NEAR
    removed_head: np.ndarray  # global index of the record kept for the cluster
    head_ids: dict[int, str] = field(default_factory=dict)
    boilerplate: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return int(self.source_starts[-1])

    def global_index(self, source_index: int, position: int) -> int:
        return int(self.source_starts[source_index]) + position

    def batch_start(self, source_index: int, batch_index: int) -> int:
        """Global index of the first item of a raw batch (as framed in pass 1)."""
        key = source_index * (1 << 32) + batch_index
        where = int(np.searchsorted(self.batch_keys, key))
        if where >= len(self.batch_keys) or int(self.batch_keys[where]) != key:
            raise KeyError(f"batch {batch_index} of source {source_index} was not seen in pass 1")
        return int(self.batch_firsts[where])

    def lookup(self, source_index: int, position: int) -> DuplicateReason | None:
        """Why the record at (source index, position) is removed, or None if it is not a duplicate."""
        return self.lookup_global(self.global_index(source_index, position))

    def lookup_global(self, index: int) -> DuplicateReason | None:
        where = int(np.searchsorted(self.removed, index))
        if where >= len(self.removed) or int(self.removed[where]) != index:
            return None
        head = int(self.removed_head[where])
        kept_id = self.head_ids.get(head)
        source = int(np.searchsorted(self.source_starts, head, side="right")) - 1
        position = head - int(self.source_starts[source])
        where_kept = f"{kept_id!r} (source {source}, position {position})"
        if int(self.removed_kind[where]) == _KIND_EXACT:
            return DuplicateReason(
                rule=EXACT_DUPLICATE,
                signal="normalised_text_hash",
                op="==",
                message=f"same normalised text as an earlier record; kept {where_kept}",
                cluster_id=head,
                kept_id=kept_id,
            )
        settings = self.settings
        band = f"{settings.num_buckets} x {settings.hashes_per_bucket}"
        if settings.verify > 0:
            how = "exact shingle" if settings.verify_exact else "signature-estimated"
            return DuplicateReason(
                rule=NEAR_DUPLICATE,
                signal="shingle_jaccard" if settings.verify_exact else "signature_jaccard",
                op=">=",
                threshold=settings.verify,
                message=f"{how} Jaccard >= {settings.verify:g} with a document of its cluster (MinHash-LSH "
                f"{band} candidate); kept {where_kept}",
                cluster_id=head,
                kept_id=kept_id,
            )
        return DuplicateReason(
            rule=NEAR_DUPLICATE,
            signal="minhash_lsh",
            op=">=",
            threshold=round(settings.threshold, 4),
            message=f"shares a MinHash-LSH band ({band}, ~{settings.threshold:.2f} Jaccard) with its cluster; "
            f"kept {where_kept}",
            cluster_id=head,
            kept_id=kept_id,
        )

    def line_marks(self, text: str) -> list[LineMark]:
        """The lines of `text` to trim (corpus boilerplate, repeats, quotes), for a segmenter to mark."""
        settings = self.settings
        if not settings.lines:
            return []
        _, marks = mark_lines(
            text,
            self.boilerplate if settings.boilerplate_min_docs > 0 else None,
            settings.boilerplate_min_docs,
            settings.within_document,
            settings.repeated_min_words,
            settings.quote_min_words,
        )
        return [mark for mark in marks if mark is not None]

    def save(self, path: Path) -> None:
        """Write the plan to one .npz file (plus its ids and settings as JSON inside it)."""
        meta = {
            "settings": {k: v for k, v in self.settings.to_dict().items() if k != "lsh_threshold"},
            "head_ids": [[k, v] for k, v in self.head_ids.items()],
            "stats": self.stats,
        }
        with open(path, "wb") as handle:
            np.savez(
                handle,
                source_starts=self.source_starts,
                batch_keys=self.batch_keys,
                batch_firsts=self.batch_firsts,
                removed=self.removed,
                removed_kind=self.removed_kind,
                removed_head=self.removed_head,
                boilerplate=self.boilerplate,
                meta=np.frombuffer(orjson.dumps(meta), dtype=np.uint8),
            )

    @classmethod
    def load(cls, path: Path | str) -> DuplicatePlan:
        with np.load(path) as data:
            meta = orjson.loads(data["meta"].tobytes())
            return cls(
                settings=DedupSettings(**meta["settings"]),
                source_starts=data["source_starts"],
                batch_keys=data["batch_keys"],
                batch_firsts=data["batch_firsts"],
                removed=data["removed"],
                removed_kind=data["removed_kind"],
                removed_head=data["removed_head"],
                head_ids={int(k): v for k, v in meta["head_ids"]},
                boilerplate=data["boilerplate"],
                stats=meta["stats"],
            )


_LOADED: dict[str, DuplicatePlan] = {}


def cached_plan(path: str) -> DuplicatePlan:
    """The plan at `path`, loaded once per process (workers get the path, not the arrays)."""
    loaded = _LOADED.get(path)
    if loaded is None:
        loaded = _LOADED[path] = DuplicatePlan.load(path)
    return loaded


def ordered_map(function: Callable[..., R], items: Iterable[T], workers: int, *args: Any) -> Iterator[R]:
    """`function(item, *args)` over items on a process pool, results in input order.

    At most 2 x workers items are in flight, so memory stays bounded by the batch size.
    """
    if workers <= 1:
        for item in items:
            yield function(item, *args)
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["thresher.dedup.plan", "thresher.dedup.apply"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[R]] = deque()
        try:
            for item in items:
                pending.append(pool.submit(function, item, *args))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def all_batches(sources: list[Source], batch_docs: int, batch_bytes: int) -> Iterator[RawBatch]:
    for source in sources:
        yield from source.batches(batch_docs, batch_bytes)


def plan(
    sources: list[Source],
    fields: FieldNames,
    settings: DedupSettings,
    workdir: Path | str,
    *,
    workers: int | None = None,
    batch_docs: int = 256,
    batch_bytes: int = 8 << 20,
) -> DuplicatePlan:
    """Pass 1 over `sources`: hash every record and return which ones are duplicates.

    `workdir` holds the spilled shards while this runs (removed at the end). The caller
    must frame batches with the same `batch_docs`/`batch_bytes` in pass 2 to use
    `DuplicatePlan.batch_start`.
    """
    started = time.perf_counter()
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 1
    buffer = settings.memory_mb << 20
    exact_spill = PartitionedSpill(workdir, "exact", settings.partitions, buffer // 4)
    band_spill = PartitionedSpill(workdir, "bands", settings.partitions, buffer // 2)
    line_spill = PartitionedSpill(workdir, "lines", settings.partitions, buffer // 4)
    ids_path = workdir / "ids.jsonl"
    # With `verify`, every item's signature row goes to one flat file (zeros for items with
    # none), read back by memory map: candidate pairs are checked without holding them all.
    sigs_path = workdir / "signatures.u32"
    verify_signature = settings.near and settings.verify > 0 and not settings.verify_exact
    sigs_file = open(sigs_path, "wb") if verify_signature else None
    # With exact verification, every item's distinct shingle values go to one flat file and
    # their count per item to memory (8 bytes an item): pairs are checked on the true sets.
    sets_path = workdir / "shingles.u32"
    sets_file = open(sets_path, "wb") if settings.verify_exact else None
    set_counts: list[np.ndarray] = []
    source_starts = np.zeros(len(sources) + 1, dtype=np.int64)
    batch_keys: list[int] = []
    batch_firsts: list[int] = []
    total = 0
    parsed = 0
    seen_sources = 0
    with open(ids_path, "wb") as ids_file:
        for result in ordered_map(hash_batch, all_batches(sources, batch_docs, batch_bytes), workers, fields, settings):
            while seen_sources <= result.source_index:
                source_starts[seen_sources] = total
                seen_sources += 1
            batch_keys.append(result.source_index * (1 << 32) + result.batch_index)
            batch_firsts.append(total)
            exact_spill.add(result.exact_keys, result.exact_local + total)
            if len(result.band_local):
                docs = np.repeat(result.band_local + total, settings.num_buckets)
                band_spill.add(result.band_keys.reshape(-1), docs)
            line_spill.add(result.line_keys, result.line_local + total)
            ids_file.write(orjson.dumps([total, result.ids]) + b"\n")
            if sigs_file is not None:
                rows = result.signatures
                if rows is None:
                    rows = np.zeros((result.items, settings.minhash.num_hashes), dtype=np.uint32)
                sigs_file.write(rows.tobytes())
            if sets_file is not None:
                counts = result.shingle_counts
                set_counts.append(counts if counts is not None else np.zeros(result.items, dtype=np.int64))
                if result.shingle_values is not None:
                    sets_file.write(result.shingle_values.tobytes())
            total += result.items
            parsed += result.parsed
    if sigs_file is not None:
        sigs_file.close()
    if sets_file is not None:
        sets_file.close()
    while seen_sources <= len(sources):
        source_starts[seen_sources] = total
        seen_sources += 1
    hashed = time.perf_counter()

    exact_left, exact_right = _edges(exact_spill)
    near_left, near_right = _edges(band_spill) if settings.near else (np.empty(0, np.int64),) * 2
    rejected = 0
    if settings.near and settings.verify > 0 and len(near_left):
        # A pair sharing bands in several partitions is checked (and counted) once, as on Ray.
        packed = np.unique(np.stack([near_left, near_right], axis=1), axis=0)
        near_left, near_right = packed[:, 0], packed[:, 1]
    if sigs_file is not None and len(near_left):
        keep = _verified(sigs_path, total, settings.minhash.num_hashes, near_left, near_right, settings.verify)
        rejected = int(len(keep) - np.count_nonzero(keep))
        near_left, near_right = near_left[keep], near_right[keep]
    if sets_file is not None and len(near_left):
        counts = np.concatenate(set_counts) if set_counts else np.zeros(total, dtype=np.int64)
        keep = _verified_exact(sets_path, counts, near_left, near_right, settings.verify)
        rejected = int(len(keep) - np.count_nonzero(keep))
        near_left, near_right = near_left[keep], near_right[keep]
    labels = components(total, np.concatenate([exact_left, near_left]), np.concatenate([exact_right, near_right]))
    removed = np.flatnonzero(labels != np.arange(total, dtype=np.int64))
    heads = labels[removed]
    kind = np.full(len(removed), _KIND_NEAR, dtype=np.int8)
    if len(exact_right):
        kind[np.isin(removed, exact_right)] = _KIND_EXACT
    boilerplate = np.empty(0, dtype=np.uint64)
    if settings.boilerplate_min_docs > 0:
        common: list[np.ndarray] = []
        for pairs in line_spill.partitions_sorted():
            keys, counts = np.unique(pairs["key"], return_counts=True)
            common.append(keys[counts > settings.boilerplate_min_docs])
        boilerplate = np.sort(np.concatenate(common)) if common else boilerplate
    head_ids = _read_head_ids(ids_path, np.unique(heads))
    clustered = time.perf_counter()

    stats = {
        "records": total,
        "parsed": parsed,
        "exact_duplicate": int(np.count_nonzero(kind == _KIND_EXACT)),
        "near_duplicate": int(np.count_nonzero(kind == _KIND_NEAR)),
        "clusters_with_duplicates": len(head_ids),
        "boilerplate_line_hashes": len(boilerplate),
        "candidate_pairs_rejected_by_verify": rejected,
        "exact_keys": exact_spill.count,
        "band_keys": band_spill.count,
        "line_keys": line_spill.count,
        "spilled_bytes": exact_spill.bytes_written + band_spill.bytes_written + line_spill.bytes_written,
        "pass1_hash_seconds": round(hashed - started, 3),
        "pass1_cluster_seconds": round(clustered - hashed, 3),
    }
    for spill in (exact_spill, band_spill, line_spill):
        spill.remove()
    ids_path.unlink(missing_ok=True)
    sigs_path.unlink(missing_ok=True)
    sets_path.unlink(missing_ok=True)
    order = np.argsort(np.asarray(batch_keys, dtype=np.int64), kind="stable")
    return DuplicatePlan(
        settings=settings,
        source_starts=source_starts,
        batch_keys=np.asarray(batch_keys, dtype=np.int64)[order],
        batch_firsts=np.asarray(batch_firsts, dtype=np.int64)[order],
        removed=removed,
        removed_kind=kind,
        removed_head=heads,
        head_ids=head_ids,
        boilerplate=boilerplate,
        stats=stats,
    )


def _edges(spill: PartitionedSpill) -> tuple[np.ndarray, np.ndarray]:
    """Star edges (first doc of a key -> each other doc) over every partition, deduplicated."""
    lefts: list[np.ndarray] = []
    rights: list[np.ndarray] = []
    for pairs in spill.partitions_sorted():
        left, right = group_edges(pairs)
        if len(left):
            packed = np.unique(np.stack([left, right], axis=1), axis=0)
            lefts.append(packed[:, 0])
            rights.append(packed[:, 1])
    if not lefts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(lefts), np.concatenate(rights)


def _verified(
    path: Path, total: int, num_hashes: int, left: np.ndarray, right: np.ndarray, threshold: float
) -> np.ndarray:
    """Which candidate pairs have an estimated Jaccard (share of equal signature values) >= threshold."""
    signatures = np.memmap(path, dtype=np.uint32, mode="r", shape=(total, num_hashes))
    keep = np.empty(len(left), dtype=bool)
    step = 65_536
    for start in range(0, len(left), step):
        a = signatures[left[start : start + step]]
        b = signatures[right[start : start + step]]
        keep[start : start + step] = (a == b).mean(axis=1) >= threshold
    del signatures
    return keep


def _verified_exact(
    path: Path, counts: np.ndarray, left: np.ndarray, right: np.ndarray, threshold: float
) -> np.ndarray:
    """Which candidate pairs have an exact shingle-set Jaccard >= threshold.

    Pairs go in chunks of about 4M gathered values, and each chunk reads only its
    documents' sets from the file (one positioned read a document). A memory map would be
    simpler, but every page it touches counts in the process's resident memory, which
    then grows with the corpus (~260 MB more at 1M documents) although nothing is held.
    """
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    keep = np.zeros(len(left), dtype=bool)
    if offsets[-1] == 0:
        return keep
    gathered = np.cumsum(counts[left] + counts[right])
    with open(path, "rb") as sets_file:
        descriptor = sets_file.fileno()
        start = 0
        while start < len(left):
            before = int(gathered[start - 1]) if start else 0
            stop = max(int(np.searchsorted(gathered, before + _VERIFY_CHUNK_VALUES, side="right")), start + 1)
            docs = np.unique(np.concatenate([left[start:stop], right[start:stop]]))
            local_offsets = np.concatenate(([0], np.cumsum(counts[docs]))).astype(np.int64)
            values = np.empty(int(local_offsets[-1]), dtype=np.uint32)
            view = memoryview(values).cast("B")
            for doc, at in zip(docs.tolist(), local_offsets[:-1].tolist(), strict=True):
                size = int(counts[doc]) * 4
                if size:
                    view[at * 4 : at * 4 + size] = os.pread(descriptor, size, int(offsets[doc]) * 4)
            local_left = np.searchsorted(docs, left[start:stop])
            local_right = np.searchsorted(docs, right[start:stop])
            keep[start:stop] = set_jaccard(values, local_offsets, local_left, local_right) >= threshold
            start = stop
    return keep


def _read_head_ids(ids_path: Path, heads: np.ndarray) -> dict[int, str]:
    """The ids of the kept heads, read back from the spilled id list (only those are held)."""
    found: dict[int, str] = {}
    if len(heads) == 0:
        return found
    with open(ids_path, "rb") as handle:
        for line in handle:
            start, ids = orjson.loads(line)
            lo, hi = np.searchsorted(heads, [start, start + len(ids)])
            for head in heads[lo:hi]:
                value = ids[int(head) - start]
                found[int(head)] = value if value is not None else ""
    return found
