"""Pass 2: the plan's decisions applied to documents, and `thresher dedup` as a function.

Pass 2 is `thresher run` itself (the engine consults the saved plan per batch), so a
dedup output is read, explained and accounted for like any other Thresher output:
read = kept + trimmed + removed + quarantined.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from thresher.dedup.lines import LineMark, mark_lines
from thresher.dedup.plan import DuplicatePlan
from thresher.dedup.settings import DedupSettings
from thresher.document import Decision, Document, Reason, Segment, SegmentKind
from thresher.readers import FieldNames
from thresher.writers import DEFAULT_RECORDS_PER_SHARD

WORKDIR_NAME = ".dedup-work"


def mark_document(document: Document, reason: Reason | None, plan: DuplicatePlan) -> None:
    """Set the document's decision from the plan: drop a duplicate, trim marked lines, else keep.

    This is the hook `thresher run` can call per document (before or instead of its policy)
    to apply deduplication with the same reasons and segments as `thresher dedup`.
    """
    analysis = document.analysis
    if reason is not None:
        analysis.decision = Decision.DROP
        analysis.reasons = [reason]
        return
    settings = plan.settings
    if not settings.lines:
        return
    lines, marks = mark_lines(
        document.text,
        plan.boilerplate if settings.boilerplate_min_docs > 0 else None,
        settings.boilerplate_min_docs,
        settings.within_document,
        settings.repeated_min_words,
        settings.quote_min_words,
    )
    if not any(marks):
        return
    segments: list[Segment] = []
    by_rule: dict[str, list[int]] = {}
    for line, mark in zip(lines, marks, strict=True):
        if mark is None:
            segments.append(Segment(line.start, line.end, SegmentKind.MAIN.value))
            continue
        segment = Segment(line.start, line.end, SegmentKind.BOILERPLATE.value, kept=False)
        segment.reasons.append(_line_reason(mark))
        segments.append(segment)
        count_chars = by_rule.setdefault(mark.rule, [0, 0])
        count_chars[0] += 1
        count_chars[1] += line.end - line.start
    analysis.segments = segments
    if all(not segment.kept for segment in segments):
        analysis.decision = Decision.DROP
        analysis.reasons = [
            Reason(
                rule="nothing_kept",
                signal="kept_segments",
                value=0,
                op="==",
                threshold=0,
                message=f"every line was trimmed (by {', '.join(sorted(by_rule))})",
            )
        ]
        return
    analysis.decision = Decision.TRIM
    analysis.reasons = [
        Reason(rule=rule, signal="line", message=f"trimmed {count} line(s), {chars} characters")
        for rule, (count, chars) in by_rule.items()
    ]


def _line_reason(mark: LineMark) -> Reason:
    return Reason(rule=mark.rule, signal="line", message=mark.message)


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
