"""Out-of-core grouping: (key, doc) pairs spill to hash-partitioned shards, merged one at a time.

Why partitions and not one big sort: equal keys always land in the same partition (the
partition is the key's top bits), so each partition can be loaded, sorted and grouped
alone. Memory is the spill buffer (`memory_mb`) while pass 1 runs, then one partition
while merging: about 16 bytes x (band keys of the corpus) / `partitions`, e.g. 3.5 MB per
partition for 1M documents with 14 bands and 64 partitions. Each partition is sorted on
merge (a stable sort, so documents stay in input order within a key).

Connected components run over document indices with int64 arrays (O(documents) small
integers: 8 bytes a document, 8 MB per million), which is the one structure that grows
with the corpus; it is far smaller than the text and the signatures, which stay on disk.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

PAIR = np.dtype([("key", "<u8"), ("doc", "<i8")])


class PartitionedSpill:
    """Append (key, doc) pairs; they are buffered and written to `partitions` shard files."""

    def __init__(self, directory: Path, name: str, partitions: int, buffer_bytes: int) -> None:
        self.directory = directory
        self.name = name
        self.partitions = partitions
        self.buffer_bytes = max(buffer_bytes, 1 << 16)
        self.count = 0
        self.bytes_written = 0
        self._keys: list[np.ndarray] = []
        self._docs: list[np.ndarray] = []
        self._buffered = 0
        directory.mkdir(parents=True, exist_ok=True)

    def path(self, partition: int) -> Path:
        return self.directory / f"{self.name}-{partition:04d}.bin"

    def add(self, keys: np.ndarray, docs: np.ndarray) -> None:
        if len(keys) == 0:
            return
        self._keys.append(np.asarray(keys, dtype=np.uint64))
        self._docs.append(np.asarray(docs, dtype=np.int64))
        self._buffered += len(keys) * PAIR.itemsize
        self.count += len(keys)
        if self._buffered >= self.buffer_bytes:
            self.flush()

    def flush(self) -> None:
        """Write the buffer: one append per partition, pairs in arrival (= input) order."""
        if not self._keys:
            return
        pairs = np.empty(sum(len(k) for k in self._keys), dtype=PAIR)
        pairs["key"] = np.concatenate(self._keys)
        pairs["doc"] = np.concatenate(self._docs)
        self._keys.clear()
        self._docs.clear()
        self._buffered = 0
        part = _partition_of(pairs["key"], self.partitions)
        order = np.argsort(part, kind="stable")
        pairs = pairs[order]
        bounds = np.searchsorted(part[order], np.arange(self.partitions + 1))
        for partition in range(self.partitions):
            lo, hi = bounds[partition], bounds[partition + 1]
            if hi > lo:
                with open(self.path(partition), "ab") as handle:
                    handle.write(pairs[lo:hi].tobytes())
                self.bytes_written += int(hi - lo) * PAIR.itemsize

    def partitions_sorted(self) -> Iterator[np.ndarray]:
        """Each non-empty partition, loaded and sorted by key (stable: doc order kept within a key)."""
        self.flush()
        for partition in range(self.partitions):
            path = self.path(partition)
            if not path.exists():
                continue
            pairs = np.fromfile(path, dtype=PAIR)
            yield pairs[np.argsort(pairs["key"], kind="stable")]

    def remove(self) -> None:
        for partition in range(self.partitions):
            self.path(partition).unlink(missing_ok=True)


def _partition_of(keys: np.ndarray, partitions: int) -> np.ndarray:
    """The partition of each key: the high bits, scaled (keys are already uniform hashes)."""
    return ((keys >> np.uint64(32)) * np.uint64(partitions) >> np.uint64(32)).astype(np.int64)


def group_edges(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted pairs, (first doc of the key, other doc) for every key shared by 2+ docs."""
    keys = pairs["key"]
    docs = pairs["doc"]
    if len(keys) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    new_group = np.empty(len(keys), dtype=bool)
    new_group[0] = True
    np.not_equal(keys[1:], keys[:-1], out=new_group[1:])
    group_start = np.flatnonzero(new_group)
    group_of = np.cumsum(new_group) - 1
    heads = docs[group_start][group_of]
    mask = heads != docs
    return heads[mask], docs[mask]


def components(count: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Label each of `count` documents with the smallest index in its connected component.

    Min-label propagation with pointer jumping, all in NumPy: the label of a component is
    its first document in input order, which is the one kept, so no second pass is needed
    to choose it.
    """
    labels = np.arange(count, dtype=np.int64)
    if len(left) == 0:
        return labels
    while True:
        low = np.minimum(labels[left], labels[right])
        np.minimum.at(labels, left, low)
        np.minimum.at(labels, right, low)
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(labels[left], labels[right]):
            return labels
