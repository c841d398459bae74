"""The `thresher` command. Exit codes: 0 success, 1 the run failed, 2 usage error."""

from __future__ import annotations

import argparse
import os
import sys
from importlib import resources
from pathlib import Path

import orjson

from thresher import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
WORKERS_HELP = (
    "worker processes (default: all cores; one per MB of input when that is fewer, so a small input runs in-process)"
)


def _add_field_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("input fields (JSONL and Parquet)")
    group.add_argument("--text-field", default="text", help="field holding the text (default: text)")
    group.add_argument(
        "--id-field", default="id", help="field holding the id (default: id); a missing id becomes a stable hash"
    )
    group.add_argument("--url-field", default="url", help="field holding the URL (default: url)")
    group.add_argument(
        "--html-field", default="html", help="field holding HTML, used when there is no text (default: html)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="thresher",
        description="Curate crawled web text: label every part of every document, score it, keep the grain "
        "and drop the chaff, with a reason for every removal.",
    )
    parser.add_argument("--version", action="version", version=f"thresher {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="process inputs into OUT/kept, OUT/removed, OUT/quarantine and OUT/summary.json",
        description="Read INPUTs (JSONL[.gz|.zst], Parquet, WARC/WET, .txt/.html files or folders of them), "
        "annotate every document, apply the policy and write OUT/kept (kept and trimmed records), "
        "OUT/removed, OUT/quarantine (unreadable input, with file, line and error) and OUT/summary.json.",
    )
    run.add_argument("inputs", nargs="+", metavar="INPUT", help="files or folders to read")
    run.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="output folder (new, empty, or a previous Thresher output, whose results are replaced)",
    )
    run.add_argument(
        "--policy",
        default="default",
        help="built-in policy name (default, annotate, ...) or a path to a policy .toml file (default: default)",
    )
    run.add_argument("--workers", type=int, default=None, help=WORKERS_HELP)
    run.add_argument("--limit", type=int, default=None, help="stop after N input records")
    run.add_argument(
        "--output-format",
        choices=["jsonl", "parquet"],
        default=None,
        help="format of kept/removed shards (default: Parquet for Parquet input, else JSONL)",
    )
    run.add_argument(
        "--no-original",
        action="store_true",
        help="do not store the original text of trimmed records in thresher.original_text",
    )
    run.add_argument("--no-html", action="store_true", help="do not keep the HTML source in output records")
    run.add_argument(
        "--batch-size",
        type=int,
        default=256,
        help="records per batch sent to a worker (default: 256; a batch also ends at 512 KiB of input)",
    )
    run.add_argument(
        "--resume",
        action="store_true",
        help="continue a killed run of the same command in OUT: finished sources are kept, the rest "
        "redone; the result equals an uninterrupted run",
    )
    run.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="local: a process pool on this machine (default); ray: a Ray cluster (pip install 'thresher[ray]')",
    )
    run.add_argument(
        "--ray-address", default=None, help="address of a running Ray cluster (default: start a local Ray instance)"
    )
    run.add_argument(
        "--max-record-bytes",
        type=int,
        default=64 << 20,
        help="records larger than this are quarantined as record_too_large (default: 64 MiB)",
    )
    run.add_argument(
        "--max-decompression-ratio",
        type=float,
        default=200.0,
        help="a compressed input that expands more than this many times (checked past 16 MiB "
        "of output) is stopped as a decompression_bomb (default: 200)",
    )
    run.add_argument("--quiet", action="store_true", help="no progress output")
    run.add_argument("--no-report", action="store_true", help="do not write OUT/report.html after the run")
    _add_field_options(run)

    explain = commands.add_parser(
        "explain",
        help="show one document's segments, signals, decision and reasons",
        description="Explain one document of FILE (an input file, or a shard Thresher wrote): its segments "
        "coloured by kind with removed spans struck through, its signals, the decision and every reason.",
    )
    explain.add_argument("file", metavar="FILE")
    explain.add_argument("--id", dest="record_id", default=None, help="record id (default: the first record)")
    explain.add_argument("--json", action="store_true", help="print the analysis as JSON (the thresher object)")
    explain.add_argument("--policy", default="default", help="policy used when FILE is an input (default: default)")
    _add_field_options(explain)

    demo = commands.add_parser(
        "demo",
        help="run the default policy on the demo corpus shipped in the package and print the summary",
    )
    demo.add_argument(
        "-o",
        "--output",
        default="thresher-demo-out",
        metavar="OUT",
        help="output folder (default: ./thresher-demo-out)",
    )
    demo.add_argument("--workers", type=int, default=None, help=WORKERS_HELP)
    demo.add_argument("--policy", default="default", help="policy to apply (default: default)")

    report = commands.add_parser(
        "report",
        help="write OUT/report.html: funnel, signal histograms with thresholds, samples per reason",
        description="Read a Thresher output folder in one streaming pass and write one self-contained HTML "
        "file (no network needed): the funnel, histograms of signals for kept vs removed records with the "
        "policy's thresholds, languages, characters removed by segment kind, dedup clusters and sample "
        "documents for each removal reason with the removed spans highlighted.",
    )
    report.add_argument("out", metavar="OUT", help="output folder of a finished `thresher run`")
    report.add_argument(
        "-o", "--output", default=None, metavar="FILE", help="where to write (default: OUT/report.html)"
    )
    report.add_argument(
        "--policy", default=None, help="policy whose thresholds to draw (default: the one named in OUT/summary.json)"
    )
    report.add_argument("--samples", type=int, default=3, help="sample documents per reason (default: 3)")
    report.add_argument(
        "--max-records",
        type=int,
        default=None,
        help="read at most N records of each of kept/, removed/ and quarantine/ (default: all)",
    )
    report.add_argument("--text-field", default="text", help="field holding the text (default: text)")

    signals = commands.add_parser("signals", help="list every signal a policy can use, with its scope and type")
    signals.add_argument(
        "--policy",
        default=None,
        metavar="FILE",
        help="also list the signals of this policy's [[classifiers]], [urls], [decontaminate] and [tokens] tables",
    )
    _add_decontaminate_parser(commands)
    _add_dedup_parser(commands)
    return parser


def _add_dedup_parser(commands: argparse._SubParsersAction) -> None:
    dedup = commands.add_parser(
        "dedup",
        help="remove exact and near-duplicate records (MinHash-LSH) and repeated boilerplate lines",
        description="Two passes over INPUTs: hash every record (normalised text, MinHash signatures, line "
        "hashes), cluster duplicates, then write OUT/kept, OUT/removed (reason exact_duplicate or "
        "near_duplicate with cluster_id and kept_id), OUT/quarantine and OUT/summary.json. The first record "
        "of each cluster in input order is kept.",
    )
    dedup.add_argument("inputs", nargs="+", metavar="INPUT", help="files or folders to read")
    dedup.add_argument("-o", "--output", required=True, metavar="OUT", help="output folder")
    dedup.add_argument(
        "--exact",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="remove exact duplicates of normalised text (default: on)",
    )
    dedup.add_argument(
        "--near",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="remove MinHash-LSH near duplicates (default: on)",
    )
    dedup.add_argument(
        "--lines",
        type=int,
        default=0,
        metavar="N",
        help="trim lines found in more than N documents, and repeated or quoted-back lines "
        "within a document (default: off)",
    )
    dedup.add_argument(
        "--no-within-document",
        action="store_true",
        help="with --lines: do not trim repeated/quoted lines inside a document",
    )
    dedup.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="target Jaccard similarity; picks the band shape (default: 14 x 8 bands, ~0.72)",
    )
    dedup.add_argument("--ngram", type=int, default=5, help="words per shingle (default: 5)")
    dedup.add_argument("--buckets", type=int, default=None, help="LSH bands (default: 14)")
    dedup.add_argument("--hashes-per-bucket", type=int, default=None, help="hashes per band (default: 8)")
    dedup.add_argument("--seed", type=int, default=1, help="MinHash seed (default: 1)")
    dedup.add_argument("--memory-mb", type=int, default=256, help="spill buffer before shards go to disk (MB)")
    dedup.add_argument("--workers", type=int, default=None, help=WORKERS_HELP)
    dedup.add_argument("--output-format", choices=["jsonl", "parquet"], default=None)
    dedup.add_argument("--batch-size", type=int, default=256, help="records per batch (default: 256)")
    _add_field_options(dedup)


def main(argv: list[str] | None = None) -> int:
    # OpenBLAS (NumPy's BLAS in its wheels) starts a thread per core when NumPy loads: ~30 ms
    # of a one-file `thresher run` (benchmarks/startup.py). The annotators do no BLAS-sized
    # algebra, and the local engine already runs a process per core, so the command asks
    # for one BLAS thread (inherited by its workers) unless the user chose a number.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "explain":
            return _explain(args)
        if args.command == "demo":
            return _demo(args)
        if args.command == "signals":
            return _signals(args.policy)
        if args.command == "decontaminate-index":
            return _decontaminate_index(args)
        if args.command == "dedup":
            return _dedup(args)
        if args.command == "report":
            return _report(args)
    except KeyboardInterrupt:
        print("thresher: interrupted", file=sys.stderr)
        return EXIT_FAILED
    parser.error(f"unknown command {args.command}")
    return EXIT_USAGE


def _fields(args: argparse.Namespace):
    from thresher.readers import FieldNames

    return FieldNames(text=args.text_field, id=args.id_field, url=args.url_field, html=args.html_field)


def _usage_errors() -> tuple[type[Exception], ...]:
    from thresher.engines.checkpoint import ResumeError
    from thresher.policy import PolicyError
    from thresher.readers import InputError
    from thresher.runner import OutputDirError

    return (PolicyError, InputError, OutputDirError, ResumeError)


def _run(args: argparse.Namespace) -> int:
    from thresher.accounting import AccountingError
    from thresher.runner import run

    if args.workers is not None and args.workers < 1:
        return _fail("--workers must be at least 1", EXIT_USAGE)
    if args.limit is not None and args.limit < 0:
        return _fail("--limit must be 0 or more", EXIT_USAGE)
    try:
        summary = run(
            args.inputs,
            args.output,
            policy=args.policy,
            workers=args.workers,
            limit=args.limit,
            fields=_fields(args),
            output_format=args.output_format,
            keep_original=not args.no_original,
            keep_html=not args.no_html,
            batch_docs=max(1, args.batch_size),
            max_record_bytes=args.max_record_bytes,
            max_decompression_ratio=args.max_decompression_ratio,
            resume=args.resume,
            engine=args.engine,
            ray_address=args.ray_address,
            progress=not args.quiet,
        )
    except _usage_errors() as error:
        return _fail(str(error), EXIT_USAGE)
    except AccountingError as error:
        return _fail(str(error), EXIT_FAILED)
    except ImportError as error:
        return _fail(f"{error}; for --engine ray install the extra: pip install 'thresher[ray]'", EXIT_FAILED)
    except Exception as error:  # a failed run reports why, not a traceback
        return _fail(f"run failed: {type(error).__name__}: {error}", EXIT_FAILED)
    _print_summary(summary, Path(args.output))
    if not args.no_report:
        _write_report_after_run(Path(args.output), args.policy)
    return EXIT_OK


def _write_report_after_run(out: Path, policy: str) -> None:
    """Write OUT/report.html; a failure here is a warning, because the run's output is complete."""
    from thresher.report import write_report

    try:
        print(f"report: {write_report(out, policy=policy)}")
    except Exception as error:
        print(
            f"thresher: warning: report not written ({type(error).__name__}: {error}); "
            f"retry with `thresher report {out}`",
            file=sys.stderr,
        )


def _report(args: argparse.Namespace) -> int:
    from thresher.report import ReportError, write_report

    if args.samples < 0:
        return _fail("--samples must be 0 or more", EXIT_USAGE)
    if args.max_records is not None and args.max_records < 1:
        return _fail("--max-records must be at least 1", EXIT_USAGE)
    try:
        path = write_report(
            args.out,
            policy=args.policy,
            output=args.output,
            samples=args.samples,
            max_records=args.max_records,
            text_field=args.text_field,
        )
    except ReportError as error:
        return _fail(str(error), EXIT_USAGE if not Path(args.out, "summary.json").exists() else EXIT_FAILED)
    print(f"report: {path}")
    return EXIT_OK


def _print_summary(summary: dict, out: Path) -> None:
    read = summary["read"]
    print(
        f"read {read}  kept {summary['kept']}  trimmed {summary['trimmed']}  removed {summary['removed']}  "
        f"quarantined {summary['quarantined']}  ({summary['seconds']} s, {summary['docs_per_second']} docs/s)"
    )
    for title, key in (
        ("removed by", "removed_by_reason"),
        ("trimmed by", "trimmed_by_reason"),
        ("quarantined by", "quarantined_by_error"),
    ):
        if summary[key]:
            print(f"  {title}: " + ", ".join(f"{name} {count}" for name, count in summary[key].items()))
    print(f"output: {out}/kept  {out}/removed  {out}/quarantine  {out}/summary.json")


def _explain(args: argparse.Namespace) -> int:
    from rich.console import Console

    from thresher.explain import RecordNotFound, explain, render

    try:
        explanation = explain(args.file, args.record_id, args.policy, _fields(args))
    except RecordNotFound as error:
        return _fail(str(error), EXIT_FAILED)
    except _usage_errors() as error:
        return _fail(str(error), EXIT_USAGE)
    if args.json:
        sys.stdout.write(orjson.dumps(explanation, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        render(explanation, Console())
    return EXIT_OK


def demo_inputs() -> list[Path]:
    """The demo corpus inside the installed package."""
    root = Path(str(resources.files("thresher") / "demo"))
    return [root / "corpus.jsonl", root / "broken.jsonl", root / "pages"]


def _demo(args: argparse.Namespace) -> int:
    from thresher.runner import run

    inputs = [path for path in demo_inputs() if path.exists()]
    try:
        summary = run(inputs, args.output, policy=args.policy, workers=args.workers, progress=False)
    except _usage_errors() as error:
        return _fail(str(error), EXIT_USAGE)
    print(f"demo corpus: {', '.join(str(p) for p in inputs)}")
    _print_summary(summary, Path(args.output))
    balanced = summary["read"] == summary["kept"] + summary["trimmed"] + summary["removed"] + summary["quarantined"]
    print(f"accounting: read {summary['read']} = kept + trimmed + removed + quarantined: {balanced}")
    _write_report_after_run(Path(args.output), args.policy)
    print(f"try: thresher explain {args.output}/kept/00000-0000.jsonl")
    return EXIT_OK


def _signals(policy: str | None = None) -> int:
    from thresher.annotators import REGISTRY

    loaded = None
    if policy is not None:
        from thresher.policy import PolicyError, load_policy

        try:
            loaded = load_policy(policy)
        except PolicyError as error:
            return _fail(str(error), EXIT_USAGE)
    for name, factory in REGISTRY.items():
        for spec in factory.signals:  # type: ignore[attr-defined]
            print(f"{spec.scope:9} {spec.name:32} {spec.type:6} {name:22} {spec.description}")
    from thresher.text.stage import STAGE_NAME, UNICODE_REPAIRS

    spec = UNICODE_REPAIRS  # computed by the [text] stage when a policy sets fix_unicode = true
    print(f"{spec.scope:9} {spec.name:32} {spec.type:6} {'[' + STAGE_NAME + ']':22} {spec.description}")
    if loaded is not None and loaded.byo is not None:
        for spec in loaded.byo.specs:
            print(f"{spec.scope:9} {spec.name:32} {spec.type:6} {'policy ' + loaded.name:22} {spec.description}")
    return EXIT_OK


def _add_decontaminate_parser(commands: argparse._SubParsersAction) -> None:
    index = commands.add_parser(
        "decontaminate-index",
        help="index the word n-grams of eval sets (benchmarks) for a policy's [decontaminate] table",
        description="Read EVAL files (JSON Lines, optionally .gz or .zst; one eval set a file, named by the "
        "file name), normalise every string of every record (or only --field FIELD) as deduplication does, "
        "and write the hashes of their N-word n-grams to INDEX.",
    )
    index.add_argument("inputs", nargs="+", metavar="EVAL", help="eval set files (.jsonl, .jsonl.gz, .jsonl.zst)")
    index.add_argument("-o", "--output", required=True, metavar="INDEX", help="index file to write")
    index.add_argument("--ngram", type=int, default=13, metavar="N", help="words per n-gram (default: 13)")
    index.add_argument(
        "--field",
        action="append",
        default=None,
        metavar="FIELD",
        help="index only this top-level field (repeat for several; default: every string)",
    )


def _decontaminate_index(args: argparse.Namespace) -> int:
    from thresher.byo.decontaminate import IndexError_, build_index

    if args.ngram < 1:
        return _fail("--ngram must be at least 1", EXIT_USAGE)
    missing = [path for path in args.inputs if not Path(path).is_file()]
    if missing:
        return _fail(f"eval file(s) not found: {missing}", EXIT_USAGE)
    try:
        stats = build_index(args.inputs, args.output, n=args.ngram, fields=args.field)
    except IndexError_ as error:
        return _fail(str(error), EXIT_FAILED)
    except OSError as error:
        return _fail(f"cannot write {args.output}: {error.strerror or error}", EXIT_FAILED)
    for item in stats:
        short = f" ({item.short_texts} texts shorter than {args.ngram} words not indexed)" if item.short_texts else ""
        grams = f"{item.ngrams} distinct {args.ngram}-grams"
        print(f"{item.name}: {item.records} records, {item.texts} texts, {grams}{short}")
    print(f"index: {args.output}")
    return EXIT_OK


def _dedup(args: argparse.Namespace) -> int:
    """`thresher dedup`: options become a `[dedup]` table, validated like a policy section."""
    from thresher.accounting import AccountingError
    from thresher.dedup import parse_dedup_settings
    from thresher.runner import run_dedup

    if args.workers is not None and args.workers < 1:
        return _fail("--workers must be at least 1", EXIT_USAGE)
    table: dict = {
        "exact": args.exact,
        "near": args.near,
        "ngram": args.ngram,
        "seed": args.seed,
        "memory_mb": args.memory_mb,
        "boilerplate_min_docs": max(0, args.lines),
        "within_document": args.lines > 0 and not args.no_within_document,
    }
    if args.threshold is not None:
        table["threshold"] = args.threshold
    if args.buckets is not None:
        table["num_buckets"] = args.buckets
    if args.hashes_per_bucket is not None:
        table["hashes_per_bucket"] = args.hashes_per_bucket
    try:
        settings = parse_dedup_settings(table, "command line")
        summary = run_dedup(
            args.inputs,
            args.output,
            settings,
            workers=args.workers,
            fields=_fields(args),
            output_format=args.output_format,
            batch_docs=max(1, args.batch_size),
        )
    except _usage_errors() as error:
        return _fail(str(error), EXIT_USAGE)
    except AccountingError as error:
        return _fail(str(error), EXIT_FAILED)
    except OSError as error:
        return _fail(f"dedup failed: {error}", EXIT_FAILED)
    _print_summary(summary, Path(args.output))
    dedup = summary["dedup"]
    print(
        f"  dedup: exact {dedup['exact_duplicate']}, near {dedup['near_duplicate']}, "
        f"clusters {dedup['clusters_with_duplicates']}, boilerplate lines {dedup['boilerplate_line_hashes']}"
    )
    return EXIT_OK


def _fail(message: str, code: int) -> int:
    print(f"thresher: error: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
