"""False alarms and speed of the safety detectors on ordinary news and blog paragraphs.

    python benchmarks/safety.py [--repeat 3] [--profanity-python /work/venvs/tox-peer/bin/python]
    python benchmarks/safety.py --crawl      # every toxic segment of the 697 Common Crawl documents
    python benchmarks/safety.py --hatecheck  # HateCheck accuracy per functionality

The article bodies a person marked in ../shared/data/article-extraction (121 real news and
blog pages) are ordinary text: any paragraph flagged adult or spam there is a false alarm
(target <= 1%). Toxicity's rate is printed too, with the paragraphs flagged, because news
quotes insults and crime; read the list before calling them errors. `training/toxicity.py`
trains on the paragraphs of the first third of these pages (sorted ids 0, 3, 6...) and
calibrates on the second, so toxicity's rate is also printed for the last third alone
(ids 2, 5, 8...), the only figure on pages the model never saw.

Speed is segments per second of one process, measured in CPU seconds (time.process_time)
as well as wall seconds: the CPU figure is the per-core rate even on a shared machine.
alt-profanity-check cannot live in the run-time environment (it pins scikit-learn), so
its speed is measured in a subprocess of the interpreter given by --profanity-python.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from thresher.document import Document  # noqa: E402
from thresher.safety.adult import AdultAnnotator  # noqa: E402
from thresher.safety.spam import SpamAnnotator  # noqa: E402
from thresher.safety.toxicity import ToxicityAnnotator  # noqa: E402
from thresher.segments.lines import LineSegmenter  # noqa: E402

TRUTH = REPO.parent / "shared" / "data" / "article-extraction" / "ground-truth.json"
CRAWL = REPO.parent / "shared" / "data" / "crawl" / "dolma_CC-MAIN-2019-30_697docs.jsonl.gz"
HATECHECK = REPO.parent / "shared" / "data" / "toxicity" / "hatecheck.jsonl.gz"

_PROFANITY_TIMER = """
import json, sys, time
from profanity_check import predict_prob
texts = json.load(open(sys.argv[1], encoding="utf-8"))
scores = predict_prob(texts).tolist()
best = None
for _ in range(int(sys.argv[2])):
    wall, cpu = time.perf_counter(), time.process_time()
    predict_prob(texts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    best = (wall, cpu) if best is None or cpu < best[1] else best
print(json.dumps({"wall": best[0], "cpu": best[1], "scores": scores}))
"""


def documents() -> list[Document]:
    """One document per article body, one `main` segment per non-blank line (paragraph)."""
    if not TRUTH.exists():
        sys.exit(f"benchmark needs {TRUTH} (the project's shared data); not found")
    truth = json.loads(TRUTH.read_text(encoding="utf-8"))
    docs = [
        Document(id=page, text=entry.get("articleBody") or "", url=entry.get("url"))
        for page, entry in sorted(truth.items())
    ]
    LineSegmenter().annotate(docs)
    return docs


def fresh(docs: list[Document]) -> list[Document]:
    """Copies with the same segments and no signals, so each timing run does all the work."""
    copies = []
    for doc in docs:
        copy = Document(id=doc.id, text=doc.text, url=doc.url)
        LineSegmenter().annotate([copy])
        copies.append(copy)
    return copies


def timed(annotate: Callable[[list[Document]], None], docs: list[Document], repeat: int) -> tuple[float, float]:
    """Best (wall, CPU) seconds of `repeat` runs over fresh copies of the batch."""
    best: tuple[float, float] | None = None
    for _ in range(repeat):
        batch = fresh(docs)
        wall, cpu = time.perf_counter(), time.process_time()
        annotate(batch)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if best is None or cpu < best[1]:
            best = (wall, cpu)
    assert best is not None
    return best


def profanity_check(python: str, texts: list[str], repeat: int) -> tuple[float, float, list[float]] | None:
    """(wall, CPU seconds, scores) of alt-profanity-check on `texts`, run by another interpreter."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        json.dump(texts, handle)
    result = subprocess.run(
        [python, "-c", _PROFANITY_TIMER, handle.name, str(repeat)],
        capture_output=True,
        text=True,
        check=False,
    )
    Path(handle.name).unlink()
    if result.returncode != 0:
        print(f"  alt-profanity-check not measured: {result.stderr.strip().splitlines()[-1:]}")
        return None
    data = json.loads(result.stdout)
    return data["wall"], data["cpu"], data["scores"]


def crawl(limit: int) -> None:
    """Every segment of the crawl documents flagged toxic, with its score, so a reader can judge.

    All annotators run (the `annotate` policy: nothing is dropped first), as `thresher run`
    segments and labels languages; then the default policy decides, to count trimmed documents.
    """
    import gzip

    from thresher.pipeline import Pipeline

    if not CRAWL.exists():
        sys.exit(f"--crawl needs {CRAWL} (the project's shared data); not found")
    with gzip.open(CRAWL, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    docs = [Document(id=str(r["id"]), text=r.get("text") or "") for r in records]
    Pipeline(policy="annotate").analyze_documents(docs)
    segments = [(doc, seg) for doc in docs for seg in doc.analysis.segments]
    scored = [(doc, seg) for doc, seg in segments if seg.signals.get("toxicity") is not None]
    languages: dict[str, int] = {}
    for _, seg in scored:
        languages[str(seg.signals.get("language"))] = languages.get(str(seg.signals.get("language")), 0) + 1
    print(f"{len(docs)} crawl documents, {len(segments)} segments, {len(scored)} scored (by language: {languages})")
    for head in ("toxicity", "profanity", "identity_attack", "threat"):
        flagged = [(d, s) for d, s in scored if float(s.signals[head]) >= 0.5]  # type: ignore[arg-type]
        distinct = {s.text_of(d.text) for d, s in flagged}
        pages = len({d.id for d, _ in flagged})
        print(
            f"  {head:<16} {len(flagged)} segments ({len(distinct)} distinct) in {pages} documents = "
            f"{1000 * pages / len(docs):.1f} documents per 1,000"
        )
    flagged = sorted(
        ((d, s) for d, s in scored if float(s.signals["toxicity"]) >= 0.5),  # type: ignore[arg-type]
        key=lambda item: -float(item[1].signals["toxicity"]),  # type: ignore[arg-type]
    )
    print("\n== toxic segments (toxicity >= 0.5): score, language, kind, document, text")
    seen: set[str] = set()
    for doc, seg in flagged:
        text = seg.text_of(doc.text).replace("\n", " ")
        if text in seen:
            continue
        seen.add(text)
        s = seg.signals
        print(f"  {float(s['toxicity']):.3f} {s.get('language')} {seg.kind:<11} {doc.id[:10]}  {text[:limit]}")  # type: ignore[arg-type]
    default = Pipeline(policy="default")
    fresh_docs = [Document(id=str(r["id"]), text=r.get("text") or "") for r in records]
    default.analyze_documents(fresh_docs)
    trimmed = sum(
        1 for d in fresh_docs if any(r.rule == "toxic_segment" for s in d.analysis.segments for r in s.reasons)
    )
    print(f"\ndefault policy: {trimmed} of {len(fresh_docs)} documents have a segment trimmed as toxic_segment")


def hatecheck() -> None:
    """HateCheck's functional tests: accuracy of `toxicity` and of `identity_attack` per functionality.

    HateCheck's gold label is hateful / non-hateful. `toxicity` is broader than hate (abuse of
    an individual or of a non-protected group is toxic, HateCheck calls it non-hateful), so
    both heads are shown; read the functionality before calling a miss an error.
    """
    import gzip

    if not HATECHECK.exists():
        sys.exit(f"--hatecheck needs {HATECHECK} (the project's shared data); not found")
    with gzip.open(HATECHECK, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    rows = [r for r in rows if r["split"] == "test_suite"]
    docs = [Document(id=str(i), text=r["text"]) for i, r in enumerate(rows)]
    LineSegmenter().annotate(docs)
    ToxicityAnnotator().annotate(docs)
    by_function: dict[str, list[tuple[int, float, float]]] = {}
    for row, doc in zip(rows, docs, strict=True):
        signals = doc.analysis.segments[0].signals if doc.analysis.segments else {}
        tox, ident = signals.get("toxicity"), signals.get("identity_attack")
        by_function.setdefault(row["fine_label"], []).append(
            (int(row["label"]), float(tox if tox is not None else 0.0), float(ident if ident is not None else 0.0))  # type: ignore[arg-type]
        )
    print(f"{len(rows)} HateCheck test-suite cases; accuracy = flagged (>= 0.5) agrees with the gold label")
    print(f"  {'functionality':<28} {'gold':<12} {'n':>4} {'toxicity':>9} {'identity_attack':>16}")
    for name in sorted(by_function, key=lambda n: (n.endswith("_h"), n)):
        cases = by_function[name]
        gold = cases[0][0]
        tox = sum(1 for y, t, _ in cases if (t >= 0.5) == bool(y)) / len(cases)
        ident = sum(1 for y, _, i in cases if (i >= 0.5) == bool(y)) / len(cases)
        label = "hateful" if gold else "non-hateful"
        print(f"  {name:<28} {label:<12} {len(cases):>4} {tox:>9.1%} {ident:>16.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="timing runs per detector (best is kept)")
    parser.add_argument("--profanity-python", help="an interpreter with alt-profanity-check installed")
    parser.add_argument("--show", type=int, default=10, help="flagged paragraphs to print per signal")
    parser.add_argument("--crawl", action="store_true", help="print every toxic segment of the crawl sample")
    parser.add_argument("--hatecheck", action="store_true", help="HateCheck accuracy per functionality")
    parser.add_argument("--width", type=int, default=160, help="characters of each flagged segment to print")
    args = parser.parse_args()
    if args.crawl or args.hatecheck:
        if args.crawl:
            crawl(args.width)
        if args.hatecheck:
            hatecheck()
        return

    docs = documents()
    annotators = {"toxicity": ToxicityAnnotator(), "adult": AdultAnnotator(), "spam": SpamAnnotator()}
    for annotator in annotators.values():
        annotator.annotate(docs)
    segments = [(doc, seg) for doc in docs for seg in doc.analysis.segments]
    print(f"{len(docs)} article bodies, {len(segments)} paragraphs (segments)")

    print("\n== false alarms on article paragraphs (score >= 0.5); target <= 1% for adult and spam")
    for signal in ("adult", "spam", "toxicity"):
        flagged = [(doc, seg) for doc, seg in segments if float(seg.signals[signal] or 0.0) >= 0.5]  # type: ignore[arg-type]
        rate = len(flagged) / len(segments)
        pages = len({doc.id for doc, _ in flagged})
        print(f"  {signal:<9} {len(flagged):>4} / {len(segments)} = {rate:.2%}  ({pages} pages)")
        for doc, seg in flagged[: args.show]:
            snippet = seg.text_of(doc.text)[:100].replace("\n", " ")
            print(f"      {float(seg.signals[signal]):.3f}  {snippet}")  # type: ignore[arg-type]
    unseen = {doc.id for doc in docs[2::3]}
    held_out = [(doc, seg) for doc, seg in segments if doc.id in unseen]
    flagged_held_out = sum(1 for _, seg in held_out if float(seg.signals["toxicity"] or 0.0) >= 0.5)  # type: ignore[arg-type]
    print(
        f"  toxicity on the third of pages unseen in training and calibration: {flagged_held_out} / "
        f"{len(held_out)} = {flagged_held_out / max(1, len(held_out)):.2%}"
    )
    for signal in ("main_adult", "main_spam"):
        dropped = sum(1 for doc in docs if float(doc.analysis.signals[signal]) >= 0.5)  # type: ignore[arg-type]
        print(f"  documents with {signal} >= 0.5: {dropped} / {len(docs)}")

    print(f"\n== speed, one process (best of {args.repeat})")
    texts = [seg.text_of(doc.text) for doc, seg in segments]
    chars = sum(len(t) for t in texts)
    print(f"  {len(texts)} segments, mean {chars / len(texts):.0f} characters")
    for name, annotator in annotators.items():
        wall, cpu = timed(annotator.annotate, docs, args.repeat)
        print(f"  {name:<9} {len(texts) / cpu:>9,.0f} segments per CPU-second   ({len(texts) / wall:,.0f}/s wall)")
    if args.profanity_python:
        measured = profanity_check(args.profanity_python, texts, args.repeat)
        if measured:
            wall, cpu, scores = measured
            flagged = sum(1 for score in scores if score >= 0.5)
            print(
                f"  alt-profanity-check false alarms on the same paragraphs: {flagged} / {len(scores)} = "
                f"{flagged / len(scores):.2%}"
            )
            print(
                f"  {'alt-profanity-check':<9} {len(texts) / cpu:>9,.0f} segments per CPU-second   "
                f"({len(texts) / wall:,.0f}/s wall; one predict_prob call, its model only)"
            )
    else:
        print("  alt-profanity-check: pass --profanity-python PATH (an interpreter that has it) to compare")


if __name__ == "__main__":
    main()
