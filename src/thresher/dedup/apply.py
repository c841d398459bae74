"""Pass 2: the plan's decisions applied to documents, and `thresher dedup` as a function.

Pass 2 is `thresher run` itself (the engine consults the saved plan per batch), so a
dedup output is read, explained and accounted for like any other Thresher output:
read = kept + trimmed + removed + quarantined.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from thresher.dedup.plan import DuplicatePlan
from thresher.dedup.settings import DedupSettings
from thresher.document import Decision, Document, Reason
from thresher.readers import FieldNames
from thresher.writers import DEFAULT_RECORDS_PER_SHARD

WORKDIR_NAME = ".dedup-work"


def mark_document(document: Document, reason: Reason, plan: DuplicatePlan) -> None:
    """Drop a duplicate with its reason (the plan's `DuplicateReason`: rule, cluster and kept id).

    Lines the plan marks (corpus boilerplate, repeats, quotes) are not handled here: the
    engine marks them on the document's segments after annotation, for the policy to trim.
    """
    document.analysis.decision = Decision.DROP
    document.analysis.reasons = [reason]


def run_dedup(
    inputs: Sequence[str | Path],
    output: str | Path,
    settings: DedupSettings | None = None,
    *,
    workers: int | None = None,
    fields: FieldNames | None = None,
    output_format: str | None = None,
    keep_original: bool = True,
    keep_html: bool = True,
    batch_docs: int = 256,
    batch_bytes: int = 8 << 20,
    records_per_shard: int = DEFAULT_RECORDS_PER_SHARD,
) -> dict[str, Any]:
    """`thresher dedup` as a function: `thresher run` with the built-in `dedup` policy.

    Pass 1 plans (finds every duplicate), pass 2 is the ordinary engine, so formats,
    shards, quarantine, resume and accounting are those of `thresher run`.
    """
    from thresher.runner import run

    summary = run(
        inputs,
        output,
        policy="dedup",
        dedup=settings or DedupSettings(),
        workers=workers,
        fields=fields,
        output_format=output_format,
        keep_original=keep_original,
        keep_html=keep_html,
        batch_docs=batch_docs,
        batch_bytes=batch_bytes,
        records_per_shard=records_per_shard,
    )
    summary["command"] = "dedup"
    return summary
