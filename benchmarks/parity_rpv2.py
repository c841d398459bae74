"""Parity and speed of Thresher's `rps_*` signals against RedPajama-v2's own code, signal by signal.

Documents (real web text read from ../shared at run time): the article bodies and the
tag-stripped pages (Thresher's HTML-to-text) of ../shared/data/article-extraction, the two
seeds, and every document of the JSONL files in ../shared/data/crawl. Each document's
language is Thresher's lid.176 guess when it is one of RPv2's five (en fr it es de), else
English; both sides get the same one (it picks the stop-word and LDNOOBW lists).

RPv2's side: RedPajama-Data's `app/src` from ../shared/ref/redpajama-v2 (unchanged), run by
`benchmarks/_rpv2_worker.py` in a separate virtual environment, never the project's:

    python3 -m venv /work/venvs/rpv2-ref
    /work/venvs/rpv2-ref/bin/pip install nltk==3.8.1 numpy msgspec typing_extensions

Thresher's side: the `signals.rpv2` annotator over the same documents, segmented by the line
segmenter (one segment per non-blank line), as `thresher run` computes them.

Agreement, per signal: document signals compare each document's value; per-line signals
compare each non-blank line's value (RPv2's value of that line against the value written on
the line's segment). Equal means both None, or equal, or within 1e-6 relative / 5e-9
absolute (RPv2 rounds to 8 decimals). Not compared, and named in the output: RPv2's ML
classifier and importance-weight signals (they need RPv2's trained files) and
rps_doc_ut1_blacklist (it needs UT1's domain index, which is not obtainable here).

Speed: CPU seconds (time.process_time) of the signal work alone in each process (RPv2:
building its Document with precomputed n-grams plus its signal functions; Thresher: the
annotator's `annotate`), one core each, documents already in memory, per-process tables
built by a warm-up first. `--rounds` fresh RPv2 processes are timed; Thresher is timed
after each; the script prints every round's ratio and their median. The machine may be
shared: only the ratio, measured in the same run, means something.

    python benchmarks/parity_rpv2.py [--rpv2-python /work/venvs/rpv2-ref/bin/python] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))

from _corpus import SHARED, base_documents  # noqa: E402
from thresher.document import Document, Segment  # noqa: E402
from thresher.segments.lines import line_spans  # noqa: E402
from thresher.signals.language import identify  # noqa: E402
from thresher.signals.rpv2 import LANGUAGES, LINE_SIGNALS, RedPajamaSignals  # noqa: E402

RPV2_SRC = SHARED / "ref" / "redpajama-v2" / "app" / "src"
NOT_COMPARED = {
    "rps_doc_ml_wikiref_score": "ML classifier: needs RPv2's trained fastText files",
    "rps_doc_ml_palm_score": "ML classifier: needs RPv2's trained fastText files",
    "rps_doc_ml_wikipedia_score": "ML classifier: needs RPv2's trained fastText files",
    "rps_doc_wikipedia_importance": "importance weight: needs RPv2's trained DSIR files",
    "rps_doc_wikipedia_importance_length_correction": "importance weight: needs RPv2's trained DSIR files",
    "rps_doc_books_importance": "importance weight: needs RPv2's trained DSIR files",
    "rps_doc_books_importance_length_correction": "importance weight: needs RPv2's trained DSIR files",
    "rps_doc_openwebtext_importance": "importance weight: needs RPv2's trained DSIR files",
    "rps_doc_openwebtext_importance_length_correction": "importance weight: needs RPv2's trained DSIR files",
    "rps_doc_ut1_blacklist": "needs UT1's domain index, not obtainable here (THRESHER_UT1_INDEX points at a copy)",
}


def documents() -> list[tuple[str, str, str]]:
    """(id, source, text) of every document compared."""
    out: list[tuple[str, str, str]] = []
    truth = json.loads((SHARED / "data" / "article-extraction" / "ground-truth.json").read_text(encoding="utf-8"))
    bodies = {body for body in (v.get("articleBody") or "" for v in truth.values()) if body.strip()}
    seeds = {p.read_text(encoding="utf-8") for p in (SHARED / "seeds").glob("*.txt")}
    for index, text in enumerate(base_documents()):
        source = "article body" if text in bodies else "seed" if text in seeds else "tag-stripped page"
        out.append((f"base-{index}", source, text))
    for path in sorted((SHARED / "data" / "crawl").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for index, line in enumerate(lines):
                record = json.loads(line)
                if isinstance(record.get("text"), str):
                    out.append((f"{path.name}-{index}", "crawl jsonl", record["text"]))
    return out


def agree(ours: Any, theirs: Any) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    a, b = float(ours), float(theirs)
    if a == b:
        return True
    if math.isnan(a) or math.isnan(b):
        return False
    return abs(a - b) <= 5e-9 or abs(a - b) <= 1e-6 * max(abs(a), abs(b))


def run_rpv2(python: str, ldnoobw: Path, records: Path, out: Path) -> float:
    command = [python, str(BENCHMARKS / "_rpv2_worker.py"), str(RPV2_SRC), str(ldnoobw), str(records), str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"RPv2's worker failed ({' '.join(command)}):\n{done.stderr[-3000:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["cpu_seconds"])


def thresher_documents(docs: list[tuple[str, str, str]], languages: list[str]) -> list[Document]:
    made = []
    for (doc_id, _, text), language in zip(docs, languages, strict=True):
        document = Document(id=doc_id, text=text)
        document.analysis.segments = [Segment(start, end, "main") for start, end in line_spans(text)]
        document.analysis.signals["language"] = language
        made.append(document)
    return made


def time_thresher(docs: list[tuple[str, str, str]], languages: list[str]) -> tuple[float, list[Document]]:
    annotator = RedPajamaSignals()
    annotator.annotate(thresher_documents(docs[:5], languages[:5]))  # builds the per-process tables
    made = thresher_documents(docs, languages)
    started = time.process_time()
    annotator.annotate(made)
    return time.process_time() - started, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rpv2-python", default="/work/venvs/rpv2-ref/bin/python")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--show", type=int, default=3, help="disagreements to print per signal")
    args = parser.parse_args()
    if not Path(args.rpv2_python).exists():
        sys.exit(f"{args.rpv2_python} not found: make RPv2's venv first (see this script's docstring)")
    if not RPV2_SRC.exists():
        sys.exit(f"{RPV2_SRC} not found: RPv2's reference code is read from ../shared/ref/redpajama-v2")
    docs = documents()
    texts = [text for _, _, text in docs]
    languages = [lang if lang in LANGUAGES else "en" for lang, _, _ in identify(texts)]
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    by_source: dict[str, int] = defaultdict(int)
    for _, source, _ in docs:
        by_source[source] += 1
    print(f"{len(docs)} documents, {megabytes:.2f} MB: " + ", ".join(f"{n} {s}" for s, n in sorted(by_source.items())))
    print("languages: " + ", ".join(f"{lang} {languages.count(lang)}" for lang in LANGUAGES))

    with tempfile.TemporaryDirectory(prefix="thresher-parity-rpv2-") as tmp:
        work = Path(tmp)
        ldnoobw = work / "ldnoobw"
        ldnoobw.mkdir()
        for lang in LANGUAGES:
            shutil.copyfile(SHARED / "data" / "ldnoobw" / lang, ldnoobw / f"{lang}.txt")
        records = work / "records.jsonl"
        with records.open("w", encoding="utf-8") as out:
            for (doc_id, _, text), language in zip(docs, languages, strict=True):
                out.write(json.dumps({"id": doc_id, "text": text, "language": language}) + "\n")
        rounds: list[tuple[float, float]] = []
        made: list[Document] = []
        for _ in range(max(1, args.rounds)):
            theirs_cpu = run_rpv2(args.rpv2_python, ldnoobw, records, work / "rpv2.jsonl")
            ours_cpu, made = time_thresher(docs, languages)
            rounds.append((theirs_cpu, ours_cpu))
        results = {r["id"]: r["signals"] for r in map(json.loads, (work / "rpv2.jsonl").open(encoding="utf-8"))}

    compared: dict[str, int] = defaultdict(int)
    agreed: dict[str, int] = defaultdict(int)
    examples: dict[str, list[str]] = defaultdict(list)
    theirs_names: set[str] = set()
    for document in made:
        theirs = results[document.id]
        theirs_names.update(theirs)
        for name, values in theirs.items():
            if name in LINE_SIGNALS:
                continue
            ours = document.analysis.signals.get(name)
            compared[name] += 1
            if agree(ours, values[0][2]):
                agreed[name] += 1
            elif len(examples[name]) < args.show:
                examples[name].append(f"{document.id}: ours {ours!r}, RPv2 {values[0][2]!r}")
        for name in LINE_SIGNALS:
            spans = theirs[name]
            starts = [start for start, _, _ in spans]
            for segment in document.analysis.segments:
                index = _line_at(starts, segment.start)
                start, end, value = spans[index]
                ours = segment.signals.get(name)
                compared[name] += 1
                if agree(ours, value):
                    agreed[name] += 1
                elif len(examples[name]) < args.show:
                    line = document.text[start:end]
                    examples[name].append(f"{document.id} line {line[:60]!r}: ours {ours!r}, RPv2 {value!r}")

    ours_names = {spec.name for spec in RedPajamaSignals.signals}
    print(f"\n{'signal':50} {'compared':>9} {'agree':>9} {'agreement':>10}")
    for name in sorted(compared):
        share = agreed[name] / compared[name] if compared[name] else 0.0
        scope = "line" if name in LINE_SIGNALS else "doc"
        print(f"{name:50} {compared[name]:9d} {agreed[name]:9d} {100 * share:9.3f}%  {scope}")
    computable = [name for name in compared if name in ours_names]
    full = sum(1 for name in computable if agreed[name] == compared[name])
    print(f"\n{full} of {len(computable)} computable signals at 100% agreement")
    missing = sorted(theirs_names - ours_names)
    if missing:
        print(f"RPv2 computes, Thresher does not: {missing}")
    print("not compared:")
    for name, why in NOT_COMPARED.items():
        print(f"  {name:50} {why}")
    for name, lines in sorted(examples.items()):
        print(f"disagreements in {name}:")
        for line in lines:
            print(f"  {line}")

    print(f"\nspeed (CPU seconds of the signal work, one core each; {megabytes:.2f} MB; machine may be shared):")
    ratios = []
    for index, (theirs_cpu, ours_cpu) in enumerate(rounds, 1):
        ratio = theirs_cpu / max(ours_cpu, 1e-9)
        ratios.append(ratio)
        print(
            f"  round {index}: RPv2 {theirs_cpu:7.2f} s ({megabytes / theirs_cpu:6.2f} MB/s)   "
            f"Thresher {ours_cpu:6.3f} s ({megabytes / ours_cpu:6.2f} MB/s)   {ratio:5.1f}x"
        )
    best = min(r[0] for r in rounds) / max(min(r[1] for r in rounds), 1e-9)
    print(f"  median ratio {statistics.median(ratios):.1f}x per core (fastest run each side: {best:.1f}x)")


def _line_at(starts: list[int], position: int) -> int:
    """Index of the RPv2 line holding `position` (lines are sorted and contiguous)."""
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= position:
            low = middle
        else:
            high = middle - 1
    return low


if __name__ == "__main__":
    main()
