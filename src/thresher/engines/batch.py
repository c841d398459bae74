"""One raw batch in, its output payloads and tally out: the unit of work of every engine.

Workers return bytes (JSONL) or Arrow tables (Parquet) per destination, so the process
that writes files does no per-record work and the output depends only on the batch, not
on which worker or engine handled it.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from thresher.accounting import Tally
from thresher.document import Decision, Document, Reason, SegmentKind
from thresher.pii.matcher import PII_KINDS
from thresher.pipeline import Pipeline
from thresher.readers import FieldNames, Parsed, Quarantined, RawBatch, decode

if TYPE_CHECKING:  # imported by `_to_table`, for Parquet output only
    import pyarrow as pa

DESTINATIONS = ("kept", "removed", "quarantine")


@dataclass(frozen=True, slots=True)
class Job:
    """Everything a worker needs to process batches the way the run was asked to."""

    policy: str
    fields: FieldNames = field(default_factory=FieldNames)
    output_format: str = "jsonl"
    keep_original: bool = True
    keep_html: bool = True
    dedup_plan: str | None = None


@dataclass(slots=True)
class BatchResult:
    source_index: int
    batch_index: int
    tally: Tally
    payloads: dict[str, Any] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)


_PIPELINES: dict[Job, Pipeline] = {}


def pipeline_for(job: Job) -> Pipeline:
    """One pipeline per worker process and job, built on first use (models load once)."""
    pipeline = _PIPELINES.get(job)
    if pipeline is None:
        pipeline = Pipeline(
            Path(job.policy) if job.policy.endswith(".toml") else job.policy,
            fields=job.fields,
            keep_original=job.keep_original,
            keep_html=job.keep_html,
        )
        if job.dedup_plan is not None and pipeline.policy.dedup is None:
            from thresher.dedup import cached_plan

            # Settings given on the command line, not in the policy file: decide by them too.
            pipeline.policy.dedup = cached_plan(job.dedup_plan).settings
        _PIPELINES[job] = pipeline
    return pipeline


def process_batch(batch: RawBatch, job: Job) -> BatchResult:
    pipeline = pipeline_for(job)
    tally = Tally()
    items = list(decode(batch, job.fields))
    duplicates, before_decide = _apply_dedup_plan(batch, items, job)
    items = _analyze(pipeline, items, duplicates, before_decide)
    jsonl_output = job.output_format != "parquet"

    outputs: dict[str, list[Any]] = {name: [] for name in DESTINATIONS}
    for item in items:
        tally.read += 1
        tally.bytes_in += item.size
        if isinstance(item, Parsed):
            record = pipeline.output_record(item)
            encoded = _encode(record) if jsonl_output else record
            if isinstance(encoded, Quarantined):
                encoded.source, encoded.record_id, encoded.size = batch.source, item.document.id, item.size
                item = encoded
        if isinstance(item, Quarantined):
            tally.quarantined += 1
            tally.quarantined_by_error[item.error] += 1
            outputs["quarantine"].append(_dumps(item.to_record()))
            continue
        analysis = item.document.analysis
        _count_tokens(tally, analysis)

        _count_text_stage(tally, analysis)
        for segment in analysis.segments:
            if not segment.kept or analysis.decision is Decision.DROP:
                tally.chars_removed_by_kind[segment.kind] += segment.end - segment.start
        if analysis.decision is Decision.DROP:
            tally.removed += 1
            tally.removed_by_reason[analysis.reasons[0].rule if analysis.reasons else "unspecified"] += 1
            outputs["removed"].append(encoded)
            continue
        if analysis.decision is Decision.TRIM:
            tally.trimmed += 1
            for reason in analysis.reasons:
                tally.trimmed_by_reason[reason.rule] += 1
        else:
            tally.kept += 1
        tally.bytes_kept += len(record[job.fields.text].encode("utf-8", errors="surrogatepass"))
        outputs["kept"].append(encoded)

    result = BatchResult(batch.source_index, batch.batch_index, tally)
    for name, records in outputs.items():
        if not records:
            continue
        result.records[name] = len(records)
        if name != "quarantine" and not jsonl_output:
            result.payloads[name] = _to_table(records)
        else:
            result.payloads[name] = b"".join(records)
    return result


def _count_tokens(tally: Tally, analysis: Any) -> None:
    """Add a document's tokens ([tokens] policies) to the kept and removed totals."""
    tokens = analysis.signals.get("tokens")
    if not isinstance(tokens, int):
        return
    if analysis.decision is Decision.DROP:
        tally.tokens_removed += tokens
    elif analysis.decision is Decision.TRIM:
        kept = analysis.signals.get("tokens_kept", tokens)
        tally.tokens_kept += kept
        tally.tokens_removed += max(0, tokens - kept)
    else:
        tally.tokens_kept += tokens


def _count_text_stage(tally: Tally, analysis: Any) -> None:
    """PII found and redacted, and Unicode repairs, for summary.json and the report."""
    signals = analysis.signals
    if signals.get("pii_total"):
        for kind in PII_KINDS:
            count = signals.get(f"pii_{kind}")
            if count:
                tally.pii_by_kind[kind] += count
    for reason in analysis.redactions:
        tally.redacted_by_kind[str(reason.signal).removeprefix("pii_")] += 1
    repairs = signals.get("unicode_repairs")
    if repairs:
        tally.unicode_repairs += repairs
        tally.unicode_repaired_documents += 1


def _encode(record: dict[str, Any]) -> bytes | Quarantined:
    """One output line, or a quarantine entry for a record JSON cannot hold (e.g. nested 255 deep)."""
    try:
        return _dumps(record)
    except (TypeError, orjson.JSONEncodeError) as error:
        return Quarantined(
            "", "unserializable_record", f"record cannot be written as JSON: {error}", raw=repr(record)[:4096]
        )


def _apply_dedup_plan(
    batch: RawBatch, items: list[Parsed | Quarantined], job: Job
) -> tuple[set[int], Callable[[list[Document]], None] | None]:
    """Drop the batch's duplicates by the run's dedup plan; return their positions and a line marker.

    Duplicates are decided before annotation (they need no signals), so their cost is
    only the lookup. Lines the plan calls boilerplate, repeated or quoted are marked on
    the segments after annotation, for the policy to trim.
    """
    if job.dedup_plan is None:
        return set(), None
    from thresher.dedup import cached_plan, mark_document

    plan = cached_plan(job.dedup_plan)
    first = plan.batch_start(batch.source_index, batch.batch_index)
    duplicates = set()
    for offset, item in enumerate(items):
        if isinstance(item, Parsed):
            reason = plan.lookup_global(first + offset)
            if reason is not None:
                mark_document(item.document, reason, plan)
                duplicates.add(offset)
    if not plan.settings.lines:
        return duplicates, None

    def mark_lines(documents: list[Document]) -> None:
        for document in documents:
            marks = plan.line_marks(document.text)
            if not marks:
                continue
            for segment in document.analysis.segments:
                for mark in marks:
                    if mark.start <= segment.start and segment.end <= mark.end:
                        segment.kind = SegmentKind.BOILERPLATE.value
                        segment.kept = False
                        segment.reasons.append(Reason(rule=mark.rule, signal="line", message=mark.message))
                        break

    return duplicates, mark_lines


def _analyze(
    pipeline: Pipeline,
    items: list[Parsed | Quarantined],
    skip: set[int],
    before_decide: Callable[[list[Document]], None] | None,
) -> list[Parsed | Quarantined]:
    """Analyse the batch; if an annotator fails, isolate the documents that make it fail.

    A crash on one odd document must not take its batch-mates (or the run) with it: the
    batch is retried document by document and only the failing ones are quarantined.
    Items at the positions in `skip` are already decided (duplicates) and not analysed.
    """
    parsed = [item for i, item in enumerate(items) if isinstance(item, Parsed) and i not in skip]
    if skip:  # duplicates are written too: repaired and redacted like the rest
        pipeline.prepare_text([item.document for i, item in enumerate(items) if i in skip and isinstance(item, Parsed)])
    if skip and pipeline._after_decide is not None:  # duplicates are decided unannotated: count their tokens
        pipeline._after_decide([items[i].document for i in sorted(skip) if isinstance(items[i], Parsed)])
    try:
        pipeline.analyze_documents([item.document for item in parsed], before_decide)
        return items
    except Exception:  # any annotator failure is isolated below
        pass
    result: list[Parsed | Quarantined] = []
    for index, item in enumerate(items):
        if isinstance(item, Quarantined) or index in skip:
            result.append(item)
            continue
        document = item.document
        document.analysis = type(document.analysis)()
        try:
            pipeline.analyze_documents([document], before_decide)
            result.append(item)
        except Exception as error:
            where = traceback.extract_tb(error.__traceback__)[-1]
            result.append(
                Quarantined(
                    source="<pipeline>",
                    error="annotator_error",
                    message=f"{type(error).__name__}: {error} (at {where.filename}:{where.lineno}); "
                    f"please report this document",
                    record_id=document.id,
                    raw=document.text[:4096],
                    size=item.size,
                )
            )
    return result


def _dumps(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record, default=_fallback, option=orjson.OPT_APPEND_NEWLINE)


def _fallback(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _to_table(records: list[dict[str, Any]]) -> pa.Table:
    """Records as an Arrow table; the analysis is a JSON column so every batch has one schema.

    JSON input often mixes types in one field (a number here, a string there), which
    Arrow cannot store in one column; such a batch is retried with every input field
    other than text, id and url stored as a JSON string.
    """
    import pyarrow as pa

    rows = []
    for record in records:
        row = dict(record)
        thresher = row.pop("thresher")
        row["thresher_decision"] = thresher["decision"]
        row["thresher"] = orjson.dumps(thresher, default=_fallback).decode()
        rows.append(row)
    try:
        return pa.Table.from_pylist(rows)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        plain = {"id", "text", "url", "thresher", "thresher_decision"}
        for row in rows:
            for key, value in row.items():
                if key not in plain:
                    row[key] = orjson.dumps(value, default=_fallback).decode()
        return pa.Table.from_pylist(rows)
