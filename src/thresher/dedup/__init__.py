"""Deduplication at corpus scale: exact, MinHash-LSH near duplicates, repeated lines.

Two passes over the inputs. Pass 1 (`plan`) hashes every record in worker processes and
spills the hashes to disk, then groups them into clusters and returns a `DuplicatePlan`
(record identity -> reason). Pass 2 (`thresher run` with a `[dedup]` policy section, or
`thresher.runner.run_dedup`) streams the records again and writes them by the plan.

    thresher dedup crawl/*.jsonl.zst -o out/                   # exact + near, datatrove defaults
    thresher dedup data.parquet -o out/ --no-exact --threshold 0.8
    thresher dedup pages/ -o out/ --lines 50                   # + lines in more than 50 documents

The first record of each cluster in input order (source order, then position) is kept;
every other one goes to OUT/removed with a reason `exact_duplicate` or `near_duplicate`,
its `cluster_id` (the kept record's global index) and `kept_id`. Empty texts (after
normalisation) are never exact duplicates, and texts of fewer than `ngram` words have no
MinHash signature, so they are never near duplicates (as in datatrove). Settings:
`thresher.dedup.settings` (the `[dedup]` policy table).
"""

from thresher.dedup.apply import mark_document
from thresher.dedup.minhash import MinHasher, MinHashParams, reference_signature
from thresher.dedup.normalize import simplify_text
from thresher.dedup.plan import EXACT_DUPLICATE, NEAR_DUPLICATE, DuplicatePlan, DuplicateReason, cached_plan, plan
from thresher.dedup.settings import DedupSettings, parse_dedup_settings

__all__ = [
    "EXACT_DUPLICATE",
    "NEAR_DUPLICATE",
    "DedupSettings",
    "DuplicatePlan",
    "DuplicateReason",
    "MinHashParams",
    "MinHasher",
    "cached_plan",
    "mark_document",
    "parse_dedup_settings",
    "plan",
    "reference_signature",
    "simplify_text",
]
