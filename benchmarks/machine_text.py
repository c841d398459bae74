"""False alarms of the `machine` score on human text, and the two seeds, at the policy threshold.

    python benchmarks/machine_text.py [--show 15]

* human news: paragraphs of >= 50 words of the article bodies of
  ../shared/data/article-extraction/ground-truth.json (written before 2020), scored as
  single segments;
* the 2019 crawl: every document of ../shared/data/crawl/dolma_CC-MAIN-2019-30_697docs.jsonl.gz,
  run through the segmenters, language ID and the machine-text annotator as `thresher run`
  does; the rate is over the documents that got a value (English, >= 30 main words) and
  over all documents, beside the rate of the main text scored as one unit (the roll-up
  before). The flagged documents are printed so they can be read;
* the seeds: seed 004's story (lines 2-13) and seed 000's article (lines 1-7) scored as one
  text each, and each whole seed document as the pipeline scores it.

The threshold is the `machine_written` rule's value in the `default` policy.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import numpy as np

from thresher.annotators import build_annotators
from thresher.document import Document
from thresher.policy import load_policy
from thresher.signals.machine_model import shipped_model

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
NEWS = SHARED / "data" / "article-extraction" / "ground-truth.json"
CRAWL = SHARED / "data" / "crawl" / "dolma_CC-MAIN-2019-30_697docs.jsonl.gz"
SEEDS = SHARED / "seeds"
ANNOTATORS = ["segments.html", "segments.text", "segments.lines", "signals.language", "signals.machine"]


def policy_threshold() -> float:
    rules = [r for r in load_policy("default").document_rules if r.name == "machine_written"]
    if not rules:
        raise SystemExit("the default policy has no machine_written rule")
    return float(rules[0].value)


def annotate(documents: list[Document]) -> None:
    for annotator in build_annotators(ANNOTATORS):
        annotator.annotate(documents)


def lines(path: Path, first: int, last: int) -> str:
    return "\n".join(path.read_text(encoding="utf-8").split("\n")[first - 1 : last])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show", type=int, default=15, help="flagged crawl documents to print")
    args = parser.parse_args()
    threshold = policy_threshold()
    model = shipped_model()
    print(f"policy threshold: machine >= {threshold}")

    pages = json.loads(NEWS.read_text(encoding="utf-8"))
    paragraphs = [
        p.strip()
        for page in pages.values()
        for p in (page.get("articleBody") or "").split("\n")
        if len(p.split()) >= 50
    ]
    scores = model.probabilities(paragraphs)
    print(
        f"human news paragraphs (>= 50 words): {len(paragraphs)}, flagged {int((scores >= threshold).sum())} "
        f"({np.mean(scores >= threshold):.2%}); median score {np.median(scores):.3f}"
    )

    # Whole articles as the annotator rolls up a document: word-weighted mean of its paragraphs' log-odds.
    article_scores = []
    for page in pages.values():
        parts = [p.strip() for p in (page.get("articleBody") or "").split("\n") if p.strip()]
        raw, count, words = model.parts(parts)
        if words.sum() >= model.min_words:
            logit = float((model.logits(raw, count) * words).sum() / words.sum())
            article_scores.append(1.0 / (1.0 + np.exp(-logit)))
    articles = np.array(article_scores)
    print(
        f"human news articles as documents (>= {model.min_words} words): {articles.size}, "
        f"flagged {int((articles >= threshold).sum())} ({np.mean(articles >= threshold):.2%})"
    )

    with gzip.open(CRAWL, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    documents = [Document(id=str(r.get("id", i)), text=r.get("text") or "") for i, r in enumerate(records)]
    annotate(documents)
    valued = [d for d in documents if isinstance(d.analysis.signals.get("machine"), float)]
    flagged = sorted(
        (d for d in valued if d.analysis.signals["machine"] >= threshold),
        key=lambda d: -float(d.analysis.signals["machine"]),
    )
    languages: dict[str, int] = {}
    for d in documents:
        language = str(d.analysis.signals.get("language"))
        languages[language] = languages.get(language, 0) + 1
    top = ", ".join(f"{k} {v}" for k, v in sorted(languages.items(), key=lambda kv: -kv[1])[:6])
    print(
        f"2019 crawl: {len(documents)} documents ({top}, ...); {len(valued)} got a value (English, >= 30 main words); "
        f"flagged {len(flagged)} = {len(flagged) / max(len(valued), 1):.2%} of those, "
        f"{len(flagged) / max(len(documents), 1):.2%} of all"
    )
    # The roll-up used before (all main text scored as one unit), for comparison.
    as_one = model.probabilities(
        [" ".join(d.text[s.start : s.end] for s in d.analysis.segments if s.kind == "main") for d in valued]
    )
    print(
        f"  (main text scored as one unit instead of the annotator's word-weighted mean of segment log-odds: "
        f"flagged {int((as_one >= threshold).sum())} = {np.mean(as_one >= threshold):.2%})"
    )
    segment_scores = [
        float(s.signals["machine"]) for d in valued for s in d.analysis.segments if "machine" in s.signals
    ]
    if segment_scores:
        seg = np.array(segment_scores)
        print(f"  segments with a value: {seg.size}, at or above the threshold {np.mean(seg >= threshold):.2%}")
    for d in flagged[: args.show]:
        main = " ".join(d.text[s.start : s.end] for s in d.analysis.segments if s.kind == "main")
        print(f"  {d.analysis.signals['machine']:.3f} {d.id}: {main[:300]!r}")

    story = lines(SEEDS / "004_e10280a752caf9e8.txt", 2, 13)
    article = lines(SEEDS / "000_55663d768ce9efe5.txt", 1, 7)
    story_score, article_score = model.probabilities([story, article]).tolist()
    print(
        f"seed 004 story (lines 2-13): {story_score:.4f} -> {'flagged' if story_score >= threshold else 'NOT flagged'}"
    )
    print(
        f"seed 000 article (lines 1-7): {article_score:.4f} -> "
        f"{'flagged' if article_score >= threshold else 'not flagged'}"
    )
    seeds = [Document(id=p.name, text=p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("0*.txt"))]
    annotate(seeds)
    for d in seeds:
        print(f"  pipeline, whole document {d.id}: machine {d.analysis.signals.get('machine')}")


if __name__ == "__main__":
    main()
