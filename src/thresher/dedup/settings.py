"""Deduplication settings: the `[dedup]` policy section and the `thresher dedup` options.

Candidate pairs come from datatrove's MinHash defaults (word 5-grams, 14 buckets x 8
hashes, seed 1, LSH cut-off about 0.72 Jaccard), so a user moving from datatrove gets the
same candidates. By default each candidate pair is then verified on the exact Jaccard of
the two documents' shingle sets (>= 0.8): plain LSH keeps pairs well below its cut-off and
chains them into clusters (on the planted benchmark, 25% of the base/variant pairs it
joins have a true Jaccard under 0.8), and the 112-value signature's estimate of Jaccard
has a standard error of about 0.04 at 0.8, which still lets 5% of them through.

Validation happens at policy load time with the file and key in every message:
a typo in a dedup setting would otherwise silently keep every duplicate of a corpus.

Policy TOML (every key optional):

    [dedup]
    exact = true                 # remove exact duplicates of normalised text
    near = true                  # remove MinHash-LSH near duplicates
    ngram = 5                    # word n-gram shingle size
    num_buckets = 14             # LSH bands
    hashes_per_bucket = 8        # rows per band (num_buckets x hashes_per_bucket hashes)
    threshold = 0.8              # optional: pick the band shape for this Jaccard instead
    seed = 1
    verify = 0.8                 # > 0: keep an LSH candidate pair only if its Jaccard is at
                                 # least this (0: plain LSH, as datatrove)
    verify_by = "shingles"       # "shingles": exact Jaccard of the shingle sets (kept on disk
                                 # during pass 1); "signature": estimated from the signature
                                 # (equal values / hashes); both engines do either
    boilerplate_min_docs = 0     # > 0: trim lines found in more than this many documents
    within_document = false      # trim repeated lines and quoted-back text inside a document
    memory_mb = 256              # spill buffer before writing to disk
    partitions = 64              # hash partitions of the on-disk shards
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from thresher.dedup.minhash import MinHashParams, lsh_threshold, shape_for_threshold
from thresher.errors import PolicyError

VERIFY_BY = ("shingles", "signature")


@dataclass(frozen=True, slots=True)
class DedupSettings:
    """What deduplication does; `MinHashParams` is derived from it."""

    exact: bool = True
    near: bool = True
    ngram: int = 5
    num_buckets: int = 14
    hashes_per_bucket: int = 8
    seed: int = 1
    verify: float = 0.8
    verify_by: str = "shingles"
    boilerplate_min_docs: int = 0
    within_document: bool = False
    repeated_min_words: int = 3
    quote_min_words: int = 8
    memory_mb: int = 256
    partitions: int = 64

    @property
    def minhash(self) -> MinHashParams:
        return MinHashParams(self.ngram, self.num_buckets, self.hashes_per_bucket, self.seed)

    def __post_init__(self) -> None:
        if self.verify_by not in VERIFY_BY:
            raise ValueError(f"verify_by must be one of {list(VERIFY_BY)}, got {self.verify_by!r}")

    @property
    def verify_exact(self) -> bool:
        """Whether pass 1 keeps shingle sets to verify candidate pairs on their exact Jaccard."""
        return self.near and self.verify > 0 and self.verify_by == "shingles"

    @property
    def lines(self) -> bool:
        """Whether pass 2 looks at lines at all."""
        return self.boilerplate_min_docs > 0 or self.within_document

    @property
    def threshold(self) -> float:
        return lsh_threshold(self.num_buckets, self.hashes_per_bucket)

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["lsh_threshold"] = round(self.threshold, 4)
        return data


_BOOL_KEYS = ("exact", "near", "within_document")
_INT_KEYS = {
    "ngram": 1,
    "num_buckets": 1,
    "hashes_per_bucket": 1,
    "seed": 0,
    "boilerplate_min_docs": 0,
    "repeated_min_words": 1,
    "quote_min_words": 1,
    "memory_mb": 1,
    "partitions": 1,
}
KNOWN_KEYS = frozenset((*_BOOL_KEYS, *_INT_KEYS, "threshold", "verify", "verify_by"))


def parse_dedup_settings(table: Any, source: str = "<memory>") -> DedupSettings:
    """Validate a `[dedup]` table (as parsed by tomllib) into settings; raise PolicyError naming file and key."""
    if not isinstance(table, dict):
        raise PolicyError(f"{source}: [dedup] must be a table, e.g. [dedup] with exact = true.")
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        raise PolicyError(f"{source}: [dedup]: unknown key(s) {unknown}; known: {sorted(KNOWN_KEYS)}.")
    values: dict[str, Any] = {}
    for key in _BOOL_KEYS:
        if key in table:
            if not isinstance(table[key], bool):
                raise PolicyError(f"{source}: [dedup].{key} must be true or false, got {table[key]!r}.")
            values[key] = table[key]
    for key, minimum in _INT_KEYS.items():
        if key in table:
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, int):
                raise PolicyError(f"{source}: [dedup].{key} must be an integer, got {value!r}.")
            if value < minimum:
                raise PolicyError(f"{source}: [dedup].{key} must be at least {minimum}, got {value}.")
            values[key] = value
    if "verify" in table:
        verify = table["verify"]
        if isinstance(verify, bool) or not isinstance(verify, int | float) or not 0 <= verify <= 1:
            raise PolicyError(f"{source}: [dedup].verify must be a number from 0 (off) to 1, got {verify!r}.")
        values["verify"] = float(verify)
    if "verify_by" in table:
        if table["verify_by"] not in VERIFY_BY:
            raise PolicyError(
                f"{source}: [dedup].verify_by must be one of {list(VERIFY_BY)}, got {table['verify_by']!r}."
            )
        values["verify_by"] = table["verify_by"]
    if "threshold" in table:
        threshold = table["threshold"]
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold < 1:
            raise PolicyError(f"{source}: [dedup].threshold must be a number between 0 and 1, got {threshold!r}.")
        if "num_buckets" in table or "hashes_per_bucket" in table:
            raise PolicyError(f"{source}: [dedup]: give either threshold or num_buckets/hashes_per_bucket, not both.")
        total = DedupSettings().minhash.num_hashes
        values["num_buckets"], values["hashes_per_bucket"] = shape_for_threshold(float(threshold), total)
    return DedupSettings(**values)
