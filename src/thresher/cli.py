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
    run.add_argument("-o", "--output", required=True, metavar="OUT", help="output folder (new, empty, or a "
                     "previous Thresher output, whose results are replaced)")
    run.add_argument("--policy", default="default", help="built-in policy name (default, annotate, ...) or a "
                     "path to a policy .toml file (default: default)")
    run.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    run.add_argument("--limit", type=int, default=None, help="stop after N input records")
    run.add_argument("--output-format", choices=["jsonl", "parquet"], default=None,
                     help="format of kept/removed shards (default: Parquet for Parquet input, else JSONL)")
    run.add_argument("--no-original", action="store_true",
                     help="do not store the original text of trimmed records in thresher.original_text")
    run.add_argument("--no-html", action="store_true", help="do not keep the HTML source in output records")
    run.add_argument("--batch-size", type=int, default=256, help="records per batch sent to a worker (default: 256)")
    run.add_argument("--quiet", action="store_true", help="no progress output")
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
    demo.add_argument("-o", "--output", default="thresher-demo-out", metavar="OUT",
                      help="output folder (default: ./thresher-demo-out)")
    demo.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    demo.add_argument("--policy", default="default", help="policy to apply (default: default)")

    commands.add_parser("signals", help="list every signal a policy can use, with its scope and type")
    return parser


def main(argv: list[str] | None = None) -> int:
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
            return _signals()
    except KeyboardInterrupt:
        print("thresher: interrupted", file=sys.stderr)
        return EXIT_FAILED
    parser.error(f"unknown command {args.command}")
    return EXIT_USAGE


def _fields(args: argparse.Namespace):
    from thresher.readers import FieldNames

    return FieldNames(text=args.text_field, id=args.id_field, url=args.url_field, html=args.html_field)


def _usage_errors() -> tuple[type[Exception], ...]:
    from thresher.policy import PolicyError
    from thresher.readers import InputError
    from thresher.runner import OutputDirError

    return (PolicyError, InputError, OutputDirError)


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
            progress=not args.quiet,
        )
    except _usage_errors() as error:
        return _fail(str(error), EXIT_USAGE)
    except AccountingError as error:
        return _fail(str(error), EXIT_FAILED)
    except OSError as error:
        return _fail(f"run failed: {error}", EXIT_FAILED)
    _print_summary(summary, Path(args.output))
    return EXIT_OK


def _print_summary(summary: dict, out: Path) -> None:
    read = summary["read"]
    print(
        f"read {read}  kept {summary['kept']}  trimmed {summary['trimmed']}  removed {summary['removed']}  "
        f"quarantined {summary['quarantined']}  ({summary['seconds']} s, {summary['docs_per_second']} docs/s)"
    )
    for title, key in (("removed by", "removed_by_reason"), ("trimmed by", "trimmed_by_reason"),
                       ("quarantined by", "quarantined_by_error")):
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
    print(f"try: thresher explain {args.output}/kept/00000-0000.jsonl")
    return EXIT_OK


def _signals() -> int:
    from thresher.annotators import REGISTRY

    for name, factory in REGISTRY.items():
        for spec in factory.signals:  # type: ignore[attr-defined]
            print(f"{spec.scope:9} {spec.name:32} {spec.type:6} {name:22} {spec.description}")
    return EXIT_OK


def _fail(message: str, code: int) -> int:
    print(f"thresher: error: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
