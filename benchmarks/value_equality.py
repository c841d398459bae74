"""Value equality of two code paths: the same decisions, and every signal equal within 1e-9.

A rewrite that changes how the text is analysed (issue 23: one shared analysis every
annotator reads) must keep every value. This runs two trees over one fixed corpus and lists
each difference, per signal:

- decisions (and the rules that fired, and the text written) that differ;
- each document or segment signal whose values differ by more than the tolerance
  (|a - b| <= tol * max(1, |a|, |b|) for numbers; exact equality for strings, booleans and
  None), or that one side has and the other lacks;
- segments whose spans, kinds or kept flags differ.

The corpus is fixed: the demo corpus shipped in the package and the first `--crawl-docs`
records of the real Common Crawl sample in ../shared/data/crawl (skipped, with a note, when
../shared is absent). Every signal is computed for every document (`short_circuit` off,
whatever the policy file says), so a document an early rule drops still has its later
signals compared; `--as-shipped` keeps the policy's own setting.

Each side runs in a fresh process with its tree's `src` first on PYTHONPATH; `--baseline
REV` exports that git revision's `src/` to a temporary folder (with this tree's compiled
kernel copied in, as benchmarks/startup.py does), `--baseline-src DIR` takes a checkout's
`src` as it is.

    python benchmarks/value_equality.py --baseline main [--policy default] [--crawl-docs 200]
    python benchmarks/value_equality.py --baseline-src /work/main/src --policy annotate
    python benchmarks/value_equality.py --baseline 'e015e57^1' --candidate e015e57   # one merge's effect

Exit status 1 when anything differs. tests/test_value_equality.py runs the same comparison
in-process (this tree against itself, and against a planted difference).
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "src" / "thresher" / "demo" / "corpus.jsonl"
CRAWL = REPO.parent / "shared" / "data" / "crawl" / "dolma_CC-MAIN-2019-30_697docs.jsonl.gz"
TOLERANCE = 1e-9


def fixed_corpus(crawl_docs: int = 200, crawl: Path = CRAWL) -> list[dict[str, Any]]:
    """The demo corpus, then the first `crawl_docs` crawl records (id, text, url only)."""
    records = [orjson.loads(line) for line in DEMO.read_bytes().splitlines() if line.strip()]
    if crawl_docs > 0:
        if not crawl.exists():
            print(f"note: {crawl} not found; demo corpus only", file=sys.stderr)
        else:
            with gzip.open(crawl, "rb") as handle:
                for number, line in enumerate(handle):
                    if number >= crawl_docs:
                        break
                    record = orjson.loads(line)
                    url = (record.get("metadata") or {}).get("url")
                    records.append({"id": f"crawl-{record['id']}", "text": record["text"], "url": url})
    return records


def analyse(records: list[dict[str, Any]], pipeline: Any, batch_size: int = 256) -> dict[str, dict[str, Any]]:
    """Each record's decision, fired rules, written text, signals and segments, keyed by id.

    Runs `pipeline.process`, the path `thresher run` and the Python API share (record to
    document, annotators, policy, output record), so reading and writing are compared too.
    """
    results: dict[str, dict[str, Any]] = {}
    for record, out in zip(records, pipeline.process(records, batch_size=batch_size), strict=True):
        field_ = out["thresher"]
        results[str(record["id"])] = {
            "decision": field_["decision"],
            "rules": [reason.get("rule") for reason in field_.get("reasons", [])],
            "text": out.get("text"),
            "signals": field_.get("signals", {}),
            "segments": [
                {
                    "span": [segment["start"], segment["end"]],
                    "kind": segment["kind"],
                    "kept": segment["kept"],
                    "signals": segment.get("signals", {}),
                }
                for segment in field_.get("segments", [])
            ],
        }
    return results


def make_pipeline(policy: str, as_shipped: bool = False) -> Any:
    """A Pipeline of the given policy, every signal computed unless `as_shipped`."""
    from thresher.pipeline import Pipeline

    pipeline = Pipeline(policy=policy)
    if not as_shipped and hasattr(pipeline.policy, "short_circuit"):
        pipeline.policy.short_circuit = False
    return pipeline


def values_equal(a: Any, b: Any, tolerance: float) -> tuple[bool, float]:
    """Whether two signal values are equal (numbers within the relative tolerance), and |a - b|."""
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b), 0.0
        if math.isinf(a) or math.isinf(b):
            return a == b, math.inf if a != b else 0.0
        gap = abs(a - b)
        return gap <= tolerance * max(1.0, abs(a), abs(b)), gap
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False, math.inf
        worst = 0.0
        for x, y in zip(a, b, strict=True):
            same, gap = values_equal(x, y, tolerance)
            if not same:
                return False, gap
            worst = max(worst, gap)
        return True, worst
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return False, math.inf
        for key in a:
            same, gap = values_equal(a[key], b[key], tolerance)
            if not same:
                return False, gap
        return True, 0.0
    return type(a) is type(b) and a == b, 0.0


@dataclass
class SignalDiff:
    """Where one signal differs: how many documents, the largest gap, the first example."""

    documents: int = 0
    max_gap: float = 0.0
    example: tuple[str, Any, Any] | None = None


@dataclass
class Comparison:
    """Everything that differs between two analyses of the same corpus."""

    documents: int = 0
    compared_values: int = 0
    signals_seen: set[str] = field(default_factory=set)
    decisions: list[tuple[str, str, str]] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    missing_documents: list[str] = field(default_factory=list)
    signals: dict[str, SignalDiff] = field(default_factory=dict)

    @property
    def equal(self) -> bool:
        return not (
            self.decisions or self.rules or self.texts or self.segments or self.missing_documents or self.signals
        )

    def lines(self) -> Iterator[str]:
        """A readable report, one difference kind a line block."""
        yield (
            f"{self.documents} documents, {len(self.signals_seen)} signals, {self.compared_values:,} values compared"
        )
        if self.equal:
            yield "no difference: same decisions, rules, text and segments; every signal equal within tolerance"
            return
        if self.missing_documents:
            yield f"documents on one side only: {len(self.missing_documents)} (e.g. {self.missing_documents[:3]})"
        if self.decisions:
            yield f"decisions differ: {len(self.decisions)} documents"
            for doc_id, a, b in self.decisions[:10]:
                yield f"  {doc_id}: {a} -> {b}"
        if self.rules:
            yield f"fired rules differ: {len(self.rules)} documents (e.g. {self.rules[:3]})"
        if self.texts:
            yield f"written text differs: {len(self.texts)} documents (e.g. {self.texts[:3]})"
        if self.segments:
            yield f"segments (spans, kinds, kept) differ: {len(self.segments)} documents (e.g. {self.segments[:3]})"
        if self.signals:
            yield f"{'signal':44} {'docs':>5} {'max |a-b|':>10}  first example (id: a -> b)"
            for name, diff in sorted(self.signals.items()):
                doc_id, a, b = diff.example or ("", None, None)
                yield f"{name:44} {diff.documents:>5} {diff.max_gap:>10.3g}  {doc_id}: {a!r} -> {b!r}"


def _compare_signals(
    result: Comparison, doc_id: str, prefix: str, a: dict[str, Any], b: dict[str, Any], tolerance: float
) -> set[str]:
    """Compare two signal dicts; returns the names (with prefix) that differ in this document."""
    differing: set[str] = set()
    for name in a.keys() | b.keys():
        key = prefix + name
        result.signals_seen.add(key)
        result.compared_values += 1
        missing = object()
        x, y = a.get(name, missing), b.get(name, missing)
        if x is missing or y is missing:
            same, gap = False, math.inf
            x = "<absent>" if x is missing else x
            y = "<absent>" if y is missing else y
        else:
            same, gap = values_equal(x, y, tolerance)
        if same:
            continue
        differing.add(key)
        diff = result.signals.setdefault(key, SignalDiff())
        diff.max_gap = max(diff.max_gap, gap)
        if diff.example is None:
            diff.example = (doc_id, x, y)
    return differing


def compare(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]], tolerance: float = TOLERANCE) -> Comparison:
    """Every difference between two `analyse` results of the same corpus."""
    result = Comparison()
    result.missing_documents = sorted(a.keys() ^ b.keys())
    for doc_id in a.keys() & b.keys():
        x, y = a[doc_id], b[doc_id]
        result.documents += 1
        if x["decision"] != y["decision"]:
            result.decisions.append((doc_id, x["decision"], y["decision"]))
        if x["rules"] != y["rules"]:
            result.rules.append(doc_id)
        if x["text"] != y["text"]:
            result.texts.append(doc_id)
        differing = _compare_signals(result, doc_id, "", x["signals"], y["signals"], tolerance)
        shape_x = [(s["span"], s["kind"], s["kept"]) for s in x["segments"]]
        shape_y = [(s["span"], s["kind"], s["kept"]) for s in y["segments"]]
        if shape_x != shape_y:
            result.segments.append(doc_id)
        elif x["segments"]:
            for seg_x, seg_y in zip(x["segments"], y["segments"], strict=True):
                differing |= _compare_signals(result, doc_id, "segment:", seg_x["signals"], seg_y["signals"], tolerance)
        for name in differing:  # count documents, not segments
            result.signals[name].documents += 1
    result.decisions.sort()
    return result


def _dump(args: argparse.Namespace) -> None:
    """Child-process side: analyse the corpus with whatever `thresher` is on the path."""
    records = [orjson.loads(line) for line in Path(args.dump[0]).read_bytes().splitlines()]
    results = analyse(records, make_pipeline(args.policy, args.as_shipped))
    Path(args.dump[1]).write_bytes(orjson.dumps(results))


def run_tree(src: Path, corpus: Path, out: Path, policy: str, as_shipped: bool) -> dict[str, dict[str, Any]]:
    """Analyse the corpus in a fresh process whose `thresher` is the one in `src`."""
    env = dict(os.environ, PYTHONPATH=str(src))
    command = [sys.executable, __file__, "--dump", str(corpus), str(out), "--policy", policy]
    if as_shipped:
        command.append("--as-shipped")
    subprocess.run(command, env=env, check=True, cwd=src.parent)
    return orjson.loads(out.read_bytes())


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="git revision whose src/ is the first code path (e.g. main)")
    parser.add_argument("--baseline-src", help="a checkout's src directory as the first code path")
    parser.add_argument("--candidate-src", default=str(REPO / "src"), help="second code path (default: this tree)")
    parser.add_argument("--candidate", help="git revision as the second code path (instead of --candidate-src)")
    parser.add_argument("--policy", default="default")
    parser.add_argument("--crawl-docs", type=int, default=200, help="crawl records after the demo corpus")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE)
    parser.add_argument("--as-shipped", action="store_true", help="keep the policy's short_circuit setting")
    parser.add_argument("--dump", nargs=2, metavar=("CORPUS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.dump:
        _dump(args)
        return 0
    if bool(args.baseline) == bool(args.baseline_src):
        parser.error("give exactly one of --baseline REV or --baseline-src DIR")

    with tempfile.TemporaryDirectory(prefix="thresher-equality-") as scratch:
        work = Path(scratch)
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from startup import export_revision

        candidate_src = Path(args.candidate_src).resolve()
        if args.candidate:
            (work / "candidate").mkdir()
            candidate_src = export_revision(args.candidate, work / "candidate")
        if args.baseline:
            (work / "baseline").mkdir()
            baseline_src = export_revision(args.baseline, work / "baseline")
            label = args.baseline
        else:
            baseline_src, label = Path(args.baseline_src).resolve(), args.baseline_src
        records = fixed_corpus(args.crawl_docs)
        corpus = work / "corpus.jsonl"
        corpus.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
        before = run_tree(baseline_src, corpus, work / "before.json", args.policy, args.as_shipped)
        after = run_tree(candidate_src, corpus, work / "after.json", args.policy, args.as_shipped)
    result = compare(before, after, args.tolerance)
    print(
        f"policy {args.policy}; {label} -> {args.candidate or args.candidate_src}; "
        f"tolerance {args.tolerance:g} (relative, floor 1); "
        f"short_circuit {'as shipped' if args.as_shipped else 'off'}"
    )
    for line in result.lines():
        print(line)
    return 0 if result.equal else 1


if __name__ == "__main__":
    sys.exit(main())
