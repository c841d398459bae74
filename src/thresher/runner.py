"""`thresher run` as a function: sources -> engine -> writers -> summary.json."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from thresher._version import __version__
from thresher.engines.batch import Job
from thresher.engines.checkpoint import PROGRESS_DIR, Checkpoint
from thresher.engines.local import RunOptions, default_workers, run_sources
from thresher.engines.progress import Progress
from thresher.policy import load_policy, policy_text
from thresher.readers import FieldNames, ReadLimits, Source, discover_sources, parquet
from thresher.readers.base import DEFAULT_MAX_DECOMPRESSION_RATIO, DEFAULT_MAX_RECORD_BYTES
from thresher.writers import DEFAULT_RECORDS_PER_SHARD

if TYPE_CHECKING:
    from thresher.dedup.settings import DedupSettings

DEDUP_WORKDIR = ".dedup-work"
OUTPUT_PARTS = ("kept", "removed", "quarantine", "summary.json", PROGRESS_DIR, "report.html", DEDUP_WORKDIR)
DEFAULT_BATCH_DOCS = 256
# A batch's analysis holds arrays of a few tens of bytes per character of its text (code
# points, chunk and word ids, per-line features), so the bytes of a batch, not its
# documents, bound a worker's memory. At 512 KiB, `default` on real crawl peaks at ~330-340
# MiB per worker whatever the document size (8 MiB batches of 33 KB documents peaked at
# ~800 MiB); the CPU time per MB is the same as with larger batches.
DEFAULT_BATCH_BYTES = 512 << 10
ENGINES = ("local", "ray")


class OutputDirError(ValueError):
    """OUT holds something that is not a Thresher output; refusing to overwrite it."""


def run(
    inputs: Sequence[str | Path],
    output: str | Path,
    *,
    policy: str | Path = "default",
    workers: int | None = None,
    limit: int | None = None,
    fields: FieldNames | None = None,
    output_format: str | None = None,
    keep_original: bool = True,
    keep_html: bool = True,
    batch_docs: int = DEFAULT_BATCH_DOCS,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    records_per_shard: int = DEFAULT_RECORDS_PER_SHARD,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    max_decompression_ratio: float = DEFAULT_MAX_DECOMPRESSION_RATIO,
    dedup: Any = None,
    resume: bool = False,
    engine: str = "local",
    ray_address: str | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Process `inputs` into `output` (kept/, removed/, quarantine/, summary.json).

    With `resume=True`, sources that a previous run of the same command finished are
    skipped and the rest redone, so the result equals an uninterrupted run's. Returns the
    summary. Raises `PolicyError`, `InputError`, `OutputDirError` or `ResumeError` before
    any work, and `AccountingError` if the counts of the run do not add up.
    """
    started = time.perf_counter()
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; use one of {ENGINES}")
    loaded_policy = load_policy(policy)  # validate before any work
    if dedup is not None:  # `thresher dedup`'s options override the policy's [dedup] table
        loaded_policy.dedup = dedup
    sources, skipped = discover_sources(list(inputs))
    out = Path(output)
    fmt = output_format or _default_format(sources)
    if fmt not in ("jsonl", "parquet"):
        raise ValueError(f"output format {fmt!r}: use jsonl or parquet")
    if not workers and engine == "local":  # a small input gets fewer workers than cores
        workers = default_workers(sources)
        if limit is not None:  # no more workers than the batches `limit` records make
            workers = max(1, min(workers, -(-limit // batch_docs)))
    workers = workers or os.cpu_count() or 1
    fields = fields or FieldNames()
    job = Job(policy=str(policy), fields=fields, output_format=fmt, keep_original=keep_original, keep_html=keep_html)
    settings = {
        "inputs": [source.display for source in sources],
        "policy": loaded_policy.source,
        "policy_sha256": hashlib.sha256(policy_text(policy).encode()).hexdigest(),
        "fields": [fields.text, fields.id, fields.url, fields.html],
        "output_format": fmt,
        "keep_original": keep_original,
        "keep_html": keep_html,
        "limit": limit,
        "batch_docs": batch_docs,
        "batch_bytes": batch_bytes,
        "records_per_shard": records_per_shard,
        "max_record_bytes": max_record_bytes,
        "max_decompression_ratio": max_decompression_ratio,
        "dedup": loaded_policy.dedup.to_dict() if loaded_policy.dedup is not None else None,
        "thresher_version": __version__,
    }
    checkpoint = Checkpoint(out)
    if resume:
        checkpoint.check_resumable(settings)
    else:
        _prepare_output(out)
        checkpoint.start(settings)

    meter = Progress(enabled=progress)
    limits = ReadLimits(max_record_bytes=max_record_bytes, max_decompression_ratio=max_decompression_ratio)
    options = RunOptions(workers, limit, batch_docs, batch_bytes, records_per_shard, limits)
    dedup_stats: dict[str, Any] | None = None
    if engine == "ray":
        from thresher.engines import ray as ray_engine

        started_ray = ray_engine.connect(ray_address, workers)  # once, for the dedup pass and the main pass
        try:
            if loaded_policy.dedup is not None:
                plan_path, dedup_stats = _dedup_plan(
                    sources, loaded_policy.dedup, out, fields, workers, batch_docs, batch_bytes, resume, on_ray=True
                )
                job = dataclasses.replace(job, dedup_plan=str(plan_path))
            tally = ray_engine.run_sources(sources, job, out, options, checkpoint, meter.update, address=ray_address)
        finally:
            if started_ray:
                ray_engine.ray.shutdown()
    else:
        if loaded_policy.dedup is not None:
            plan_path, dedup_stats = _dedup_plan(
                sources, loaded_policy.dedup, out, fields, workers, batch_docs, batch_bytes, resume
            )
            job = dataclasses.replace(job, dedup_plan=str(plan_path))
        tally = run_sources(sources, job, out, options, checkpoint, meter.update)
    meter.update(tally, final=True)

    summary = tally.summary(
        time.perf_counter() - started,
        policy=loaded_policy.name,
        inputs=[source.display for source in sources],
        skipped_files=len(skipped),
        output_format=fmt,
        engine=engine,
        workers=workers,
        resumed=resume,
        thresher_version=__version__,
    )
    if loaded_policy.byo is not None and loaded_policy.byo.tokens is not None:
        summary.update(
            tokenizer=loaded_policy.byo.tokens.label, tokens_kept=tally.tokens_kept, tokens_removed=tally.tokens_removed
        )
    if dedup_stats is not None:
        assert loaded_policy.dedup is not None
        counted = ("exact_duplicate", "near_duplicate", "nothing_kept")
        summary["dedup"] = {
            **{rule: tally.removed_by_reason.get(rule, 0) for rule in counted},
            **{
                rule: tally.trimmed_by_reason.get(rule, 0)
                for rule in ("boilerplate_line", "repeated_line", "quoted_text")
            },
            "settings": loaded_policy.dedup.to_dict(),
            **dedup_stats,
        }
        shutil.rmtree(out / DEDUP_WORKDIR, ignore_errors=True)
    _write_json_atomically(out / "summary.json", summary)
    tally.check()
    return summary


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
    batch_docs: int = DEFAULT_BATCH_DOCS,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    records_per_shard: int = DEFAULT_RECORDS_PER_SHARD,
) -> dict[str, Any]:
    """`thresher dedup` as a function: `run` with the built-in `dedup` policy.

    `settings` defaults to `DedupSettings()` (datatrove's MinHash defaults). Pass 1 plans
    (finds every duplicate), pass 2 is the ordinary engine, so formats, shards, quarantine,
    resume and accounting are those of `thresher run`.
    """
    if settings is None:
        from thresher.dedup.settings import DedupSettings

        settings = DedupSettings()
    summary = run(
        inputs,
        output,
        policy="dedup",
        dedup=settings,
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


def _dedup_plan(
    sources: list[Source],
    settings: Any,
    out: Path,
    fields: FieldNames,
    workers: int,
    batch_docs: int,
    batch_bytes: int,
    reuse: bool,
    on_ray: bool = False,
) -> tuple[Path, dict[str, Any]]:
    """Pass 1 of deduplication: find the corpus's duplicates before the main pass.

    The plan is kept in OUT until the run ends, so a resumed run reuses it (it depends
    only on the inputs and settings, which the run's fingerprint pins).
    """
    from thresher.dedup import DuplicatePlan, plan

    workdir = out / DEDUP_WORKDIR
    plan_path = workdir / "plan.npz"
    if reuse and plan_path.exists():
        return plan_path, dict(DuplicatePlan.load(plan_path).stats)
    if on_ray:
        from thresher.engines.ray import plan_on_ray

        duplicate_plan = plan_on_ray(sources, fields, settings, batch_docs=batch_docs, batch_bytes=batch_bytes)
    else:
        duplicate_plan = plan(
            sources,
            fields,
            settings,
            workdir / "pass1",
            workers=workers,
            batch_docs=batch_docs,
            batch_bytes=batch_bytes,
        )
    workdir.mkdir(parents=True, exist_ok=True)
    duplicate_plan.save(plan_path)
    return plan_path, dict(duplicate_plan.stats)


def _default_format(sources: list[Source]) -> str:
    """Parquet in, Parquet out; everything else becomes JSON Lines."""
    if sources and all(source.kind == parquet.KIND for source in sources):
        return "parquet"
    return "jsonl"


def _prepare_output(out: Path) -> None:
    """Make OUT ready: empty or new, or a previous Thresher output whose results are replaced."""
    if out.exists() and not out.is_dir():
        raise OutputDirError(f"output {str(out)!r} is a file; give a folder path with -o")
    if out.exists():
        entries = {entry.name for entry in out.iterdir()}
        foreign = entries - set(OUTPUT_PARTS)
        if foreign and not entries & {"summary.json", "kept"}:
            raise OutputDirError(
                f"output folder {str(out)!r} is not empty and is not a Thresher output "
                f"(it holds {sorted(foreign)[:5]}); choose a new or empty folder"
            )
        for part in OUTPUT_PARTS:
            target = out / part
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)


def _write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
    os.replace(temp, path)
