"""Vectorised MinHash signatures and LSH band keys for a whole batch of documents at once.

Why not one document at a time: datatrove (and datasketch) hash every shingle with a
Python call and permute it with a NumPy call per document, so the interpreter dominates.
Here the only per-token Python work is one C-level xxh3 call through `map`; shingling,
the 112 permutations, the per-document minima and the band keys are NumPy operations over
every shingle of the batch, in cache-sized chunks.

Definitions (the reference in `reference_signature` spells them out in plain Python):

* tokens: `simplify_text(text).split(" ")` (datatrove's normalisation; datatrove then runs
  spaCy's tokenizer, which on already-folded text differs only on a few contractions);
* token hash: xxh3-64 of the token's UTF-8 bytes;
* shingle hash: fmix64(sum_k token_hash[i + k] * C_k mod 2^64) over n consecutive tokens; a
  document with fewer than n tokens has no shingle and no signature (as in datatrove);
* permutation j: (a_j * shingle + b_j) mod 2^64 with a_j odd; the signature value is the
  top 32 bits of the minimum over the document's shingles (multiply-add-shift hashing);
* band key of band t: fmix64(sum_r sig[t*R + r] * K_r + (t + 1) * K_B mod 2^64), a 64-bit key
  per band, so one sorted key space holds every band.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xxhash

from thresher.dedup.normalize import simplify_text

MASK64 = (1 << 64) - 1
# Shingle rows per permutation chunk: 2048 x 112 x 8 bytes = 1.8 MB stays in L2/L3.
CHUNK_SHINGLES = 2048
_FMIX_1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX_2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)
_S32 = np.uint64(32)


def fmix64(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: spreads every input bit over the output (uint64 -> uint64)."""
    with np.errstate(over="ignore"):
        values = values ^ (values >> _S33)
        values = values * _FMIX_1
        values = values ^ (values >> _S33)
        values = values * _FMIX_2
        return values ^ (values >> _S33)


def fmix64_int(value: int) -> int:
    """`fmix64` on one Python int, for the reference implementation."""
    value ^= value >> 33
    value = (value * 0xFF51AFD7ED558CCD) & MASK64
    value ^= value >> 33
    value = (value * 0xC4CEB9FE1A85EC53) & MASK64
    return value ^ (value >> 33)


@dataclass(frozen=True, slots=True)
class MinHashParams:
    """Shingle size, LSH shape and seed; the permutation constants derive from the seed only."""

    ngram: int = 5
    num_buckets: int = 14
    hashes_per_bucket: int = 8
    seed: int = 1

    @property
    def num_hashes(self) -> int:
        return self.num_buckets * self.hashes_per_bucket

    def constants(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.uint64]:
        """(a, b, shingle multipliers C, band multipliers K, band salt K_B), all uint64."""
        rng = np.random.Generator(np.random.PCG64(self.seed))
        a = rng.integers(0, 1 << 64, size=self.num_hashes, dtype=np.uint64, endpoint=False) | np.uint64(1)
        b = rng.integers(0, 1 << 64, size=self.num_hashes, dtype=np.uint64, endpoint=False)
        c = rng.integers(0, 1 << 64, size=self.ngram, dtype=np.uint64, endpoint=False) | np.uint64(1)
        k = rng.integers(0, 1 << 64, size=self.hashes_per_bucket, dtype=np.uint64, endpoint=False) | np.uint64(1)
        salt = rng.integers(0, 1 << 64, dtype=np.uint64, endpoint=False) | np.uint64(1)
        return a, b, c, k, np.uint64(salt)


class MinHasher:
    """Signatures and band keys for batches of already-normalised texts."""

    def __init__(self, params: MinHashParams) -> None:
        self.params = params
        self.a, self.b, self.c, self.k, self.salt = params.constants()

    def shingles(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """All shingle hashes of the batch and the batch index of the document each belongs to."""
        n = self.params.ngram
        counts = np.zeros(len(texts), dtype=np.int64)
        tokens: list[str] = []
        for index, text in enumerate(texts):
            if text:
                words = text.split(" ")
                counts[index] = len(words)
                tokens.extend(words)
        total = len(tokens)
        if total < n:
            return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
        token_hashes = np.fromiter(map(xxhash.xxh3_64_intdigest, map(str.encode, tokens)), dtype=np.uint64, count=total)
        windows = total - n + 1
        with np.errstate(over="ignore"):
            mixed = token_hashes[:windows] * self.c[0]
            for offset in range(1, n):
                mixed += token_hashes[offset : offset + windows] * self.c[offset]
        shingles = fmix64(mixed)
        doc_of_token = np.repeat(np.arange(len(texts), dtype=np.int64), counts)
        doc_end = np.cumsum(counts)
        first = doc_of_token[:windows]
        valid = np.arange(windows, dtype=np.int64) + n <= doc_end[first]
        return shingles[valid], first[valid]

    def signatures(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(signatures uint32 [docs, num_hashes], has_signature bool [docs]) for normalised texts."""
        shingles, owners = self.shingles(texts)
        return self.signatures_of(shingles, owners, len(texts))

    def signatures_of(self, shingles: np.ndarray, owners: np.ndarray, docs: int) -> tuple[np.ndarray, np.ndarray]:
        """`signatures` from already computed `shingles` (owners ascending), so a caller that also
        needs the shingle sets (exact verification) hashes each text once."""
        sig = np.full((docs, self.params.num_hashes), np.iinfo(np.uint64).max, dtype=np.uint64)
        has = np.zeros(docs, dtype=bool)
        has[owners] = True
        buffer = np.empty((CHUNK_SHINGLES, self.params.num_hashes), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for start in range(0, len(shingles), CHUNK_SHINGLES):
                chunk = shingles[start : start + CHUNK_SHINGLES]
                chunk_owners = owners[start : start + CHUNK_SHINGLES]
                rows = buffer[: len(chunk)]
                np.multiply(chunk[:, None], self.a[None, :], out=rows)
                rows += self.b
                change = np.flatnonzero(np.diff(chunk_owners)) + 1
                starts = np.concatenate(([0], change))
                minima = np.minimum.reduceat(rows, starts, axis=0)
                docs_here = chunk_owners[starts]
                sig[docs_here] = np.minimum(sig[docs_here], minima)
        return (sig >> _S32).astype(np.uint32), has

    def band_keys(self, signatures: np.ndarray) -> np.ndarray:
        """One uint64 key per (document, band): equal keys = the same 8 values in the same band."""
        docs = signatures.shape[0]
        bands = signatures.reshape(docs, self.params.num_buckets, self.params.hashes_per_bucket).astype(np.uint64)
        salts = (np.arange(1, self.params.num_buckets + 1, dtype=np.uint64) * self.salt)[None, :]
        with np.errstate(over="ignore"):
            mixed = (bands * self.k[None, None, :]).sum(axis=2, dtype=np.uint64) + salts
        return fmix64(mixed)


def shingle_sets(shingles: np.ndarray, owners: np.ndarray, docs: int) -> tuple[np.ndarray, np.ndarray]:
    """(distinct shingle values uint32, sorted within each document; count per document int64).

    The exact shingle sets that candidate pairs are verified on. A value is the top 32 bits
    of the 64-bit shingle hash: two distinct shingles of a pair of documents with n and m
    shingles collide with probability about n * m / 2^32 (2e-4 for two 1,000-shingle
    documents), so the Jaccard computed on them is the exact one to well under 0.001.
    """
    keyed = (owners.astype(np.uint64) << _S32) | (shingles >> _S32)
    keyed.sort()  # a plain sort and a mask: ~5x faster than np.unique here
    if len(keyed):
        distinct = np.empty(len(keyed), dtype=bool)
        distinct[0] = True
        np.not_equal(keyed[1:], keyed[:-1], out=distinct[1:])
        keyed = keyed[distinct]
    counts = np.bincount((keyed >> _S32).astype(np.int64), minlength=docs).astype(np.int64)
    return (keyed & np.uint64(0xFFFFFFFF)).astype(np.uint32), counts


def set_jaccard(values: np.ndarray, offsets: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Exact Jaccard of documents `left[i]` and `right[i]` whose sets are `values[offsets[d]:offsets[d + 1]]`.

    Each set holds distinct values, sorted. All pairs at once, no Python loop per pair: each
    side's values are gathered and tagged with their pair number in the high 32 bits, which
    keeps both sides sorted, so one binary search of the right side in the left side finds
    every value present in both sets of a pair; the union is |A| + |B| - |A & B|. Two empty
    sets give 0.
    """
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    size_left = offsets[left + 1] - offsets[left]
    size_right = offsets[right + 1] - offsets[right]
    pair = np.arange(len(left), dtype=np.uint64)
    left_keys = (np.repeat(pair, size_left) << _S32) | values[_ragged(offsets[left], size_left)].astype(np.uint64)
    right_keys = (np.repeat(pair, size_right) << _S32) | values[_ragged(offsets[right], size_right)].astype(np.uint64)
    common = np.zeros(len(left), dtype=np.int64)
    if len(left_keys) and len(right_keys):
        where = np.minimum(np.searchsorted(left_keys, right_keys), len(left_keys) - 1)
        found = right_keys[left_keys[where] == right_keys]
        common = np.bincount((found >> _S32).astype(np.int64), minlength=len(left))
    union = size_left + size_right - common
    return np.divide(common, union, out=np.zeros(len(left), dtype=np.float64), where=union > 0)


def _ragged(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Indices of the concatenated slices [starts[i], starts[i] + sizes[i]) (a ragged arange)."""
    total = int(sizes.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    ends = np.cumsum(sizes)
    return np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - sizes), sizes)


def reference_signature(text: str, params: MinHashParams) -> list[int] | None:
    """The signature of one raw text computed the slow, obvious way (tests compare against it)."""
    a, b, c, _, _ = params.constants()
    words = simplify_text(text).split(" ") if simplify_text(text) else []
    if len(words) < params.ngram:
        return None
    hashes = [xxhash.xxh3_64_intdigest(word.encode()) for word in words]
    shingles = []
    for i in range(len(hashes) - params.ngram + 1):
        total = sum(hashes[i + k] * int(c[k]) for k in range(params.ngram)) & MASK64
        shingles.append(fmix64_int(total))
    return [min(((int(a[j]) * s + int(b[j])) & MASK64) for s in shingles) >> 32 for j in range(params.num_hashes)]


def lsh_threshold(num_buckets: int, hashes_per_bucket: int) -> float:
    """The Jaccard similarity at which a pair becomes more likely than not to share a band: (1/b)^(1/r)."""
    return (1.0 / num_buckets) ** (1.0 / hashes_per_bucket)


def shape_for_threshold(threshold: float, num_hashes: int = 112) -> tuple[int, int]:
    """(buckets, hashes per bucket) using at most `num_hashes` whose LSH threshold is closest to `threshold`."""
    best: tuple[float, int, int] | None = None
    for rows in range(1, num_hashes + 1):
        buckets = num_hashes // rows
        if buckets < 1:
            break
        distance = abs(lsh_threshold(buckets, rows) - threshold)
        if best is None or distance < best[0] - 1e-12:
            best = (distance, buckets, rows)
    assert best is not None
    return best[1], best[2]
