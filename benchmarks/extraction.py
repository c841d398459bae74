"""Main-text extraction benchmark: token-level F1 on ../shared/data/article-extraction, then
trafilatura's own snippet scoring on its evaluation pages (../shared/data/crawl), two tables.

Systems, all on the same 121 pages in one run:
  all text             resiliparse visible text, everything (the baseline)
  resiliparse mc       resiliparse extract_plain_text(main_content=True)
  trafilatura          trafilatura.extract(fast=True, include_comments=False) (`pip install -e '.[bench]'`)
  thresher HTML        segments.html: text of the title + main segments
  thresher plain text  segments.text on the page's full visible text (resiliparse), title + main

Thresher's line model is trained on these same pages, so its rows are 5-fold
cross-validated by page: each page is segmented by a model fitted (both stages) on the
other four folds. The shipped model's in-sample figure is printed too, marked as such.
F1 (see ../shared/data/README.md): whitespace tokens, shared as a multiset, per page, averaged.
The second table runs resiliparse, trafilatura and Thresher on the 500 labelled pages of
trafilatura's evaluation set in this checkout's half (mostly German) and scores them the way
trafilatura's comparison script does: must-keep snippets found, unwanted snippets found.
Thresher's HTML model is trained on those pages too, so its row there is 5-fold cross-validated
by site. Speed is pages per second per core: pages over this process's CPU time (time.process_time), extraction
only, so other load on a shared machine does not distort it.

    python benchmarks/extraction.py
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))

import segmenter as training
from thresher.document import Document
from thresher.readers.html import html_to_text
from thresher.segments.dom import CONTAINER_LEVELS, CUE_NAMES
from thresher.segments.features import TEXT_FEATURE_NAMES, html_feature_names
from thresher.segments.model import TwoStageModel, load_models
from thresher.segments.segmenter import HtmlSegmenter, TextSegmenter


def scores(predicted: str, true: str) -> tuple[float, float, float]:
    """(precision, recall, F1) of whitespace tokens as multisets."""
    p, t = Counter(predicted.split()), Counter(true.split())
    shared = sum((p & t).values())
    if not shared:
        return 0.0, 0.0, 0.0
    precision, recall = shared / sum(p.values()), shared / sum(t.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def kept(document: Document, kinds: tuple[str, ...]) -> str:
    return "\n".join(document.text[s.start : s.end] for s in document.analysis.segments if s.kind in kinds)


Row = tuple[str, float, float, float, float, float]


def row(name: str, predictions: list[str], bodies: list[str], seconds: float, nbytes: int) -> Row:
    triples = np.asarray([scores(p, b) for p, b in zip(predictions, bodies, strict=True)])
    precision, recall, f1 = triples.mean(axis=0)
    return name, f1, precision, recall, len(bodies) / seconds, nbytes / seconds / 1e6


def run_extractor(fn: Callable[[str], str], htmls: list[str]) -> tuple[list[str], float]:
    started = time.process_time()
    out = [fn(html) for html in htmls]
    return out, time.process_time() - started


def segment(
    annotator: HtmlSegmenter | TextSegmenter, documents: list[Document], model: TwoStageModel | None = None
) -> float:
    """Segment the documents (in one batch) with `model` swapped in; returns seconds taken."""
    if model is not None:
        annotator.model = model
    started = time.process_time()
    annotator.annotate(documents)
    return time.process_time() - started


def cross_validated(
    mode: str,
    raw: list[tuple[str, str, str]],
    texts: list[str],
    shipped: TwoStageModel,
    extra: list[training.Page] | None = None,
) -> tuple[list[Document], float]:
    """Documents segmented by fold models that never saw them (decoder settings as shipped).

    `extra` pages (HTML mode: the snippet-labelled pages the shipped model also learns from) join
    every fold's training, as they join the shipped model's.
    """
    if mode == "html":
        pages = [training.html_page(*item) for item in raw]
        names = html_feature_names(CUE_NAMES, CONTAINER_LEVELS)
        annotator: HtmlSegmenter | TextSegmenter = HtmlSegmenter()
    else:
        pages = [training.text_page(*item) for item in raw]
        names = TEXT_FEATURE_NAMES
        annotator = TextSegmenter()
    documents = [
        Document(id=pid, text="" if mode == "html" else text, html=html if mode == "html" else None)
        for (pid, html, _), text in zip(raw, texts, strict=True)
    ]
    seconds = 0.0
    for held in training.folds(len(pages)):
        held_set = set(held.tolist())
        train = [p for i, p in enumerate(pages) if i not in held_set] + (extra or [])
        model = training.fit_two_stage(train, names, 1.0, shipped.threshold, shipped.low, ratio=shipped.ratio)
        seconds += segment(annotator, [documents[i] for i in held], model)
    return documents, seconds


SnippetRow = tuple[str, float, float, float, float]


def snippet_row(name: str, outputs: list[str], items: list[training.SnippetItem], seconds: float) -> SnippetRow:
    """Trafilatura's own scoring of one system's extracts: snippet precision, recall, F1; pages per CPU second."""
    pairs = zip(outputs, items, strict=True)
    counts = [training.snippet_counts(text, keep, drop) for text, (_, _, keep, drop) in pairs]
    precision, recall, f1 = training.snippet_prf(counts)
    return name, precision, recall, f1, len(items) / seconds


def snippet_benchmark(
    items: list[training.SnippetItem],
    pages: list[training.Page],
    articles: list[training.Page],
    shipped: TwoStageModel,
) -> list[SnippetRow]:
    """All systems on trafilatura's evaluation pages (the half in ../shared/data/crawl), scored by snippets.

    Thresher's HTML model learns from these pages too, so its figure is cross-validated by site:
    each page is segmented by a model fitted (both stages, decoder as shipped) on the article
    pages and the snippet pages of the other four site folds. The shipped model's in-sample
    figure is printed too, marked as such.
    """
    if not items:
        print(f"snippet benchmark skipped: {training.SNIPPETS} not found")
        return []
    htmls = [html for _, html, _, _ in items]
    rows: list[SnippetRow] = []
    from resiliparse.extract.html2text import extract_plain_text

    out, seconds = run_extractor(lambda h: extract_plain_text(h, main_content=True), htmls)
    rows.append(snippet_row("resiliparse main_content=True", out, items, seconds))
    try:
        import trafilatura

        out, seconds = run_extractor(lambda h: trafilatura.extract(h) or "", htmls)
        rows.append(snippet_row("trafilatura 2 extract (defaults)", out, items, seconds))
        out, seconds = run_extractor(lambda h: trafilatura.extract(h, fast=True, include_comments=False) or "", htmls)
        rows.append(snippet_row("trafilatura 2 (fast, no comments)", out, items, seconds))
    except ImportError as error:
        print(f"trafilatura skipped: {error} (pip install -e '.[bench]')")
    title_main = ("title", "main")
    names = html_feature_names(CUE_NAMES, CONTAINER_LEVELS)
    documents = [Document(id=url, text="", html=html) for url, html, _, _ in items]
    seconds = 0.0
    for held in training.site_folds(pages):
        held_set = set(held.tolist())
        train = [p for i, p in enumerate(pages) if i not in held_set] + articles
        model = training.fit_two_stage(train, names, 1.0, shipped.threshold, shipped.low, ratio=shipped.ratio)
        seconds += segment(HtmlSegmenter(), [documents[i] for i in held], model)
    rows.append(snippet_row("thresher HTML, title+main (5-fold CV by site)", [kept(d, title_main) for d in documents],
                            items, seconds))  # fmt: skip
    rows.append(snippet_row("thresher HTML, main only (5-fold CV by site)", [kept(d, ("main",)) for d in documents],
                            items, seconds))  # fmt: skip
    documents = [Document(id=url, text="", html=html) for url, html, _, _ in items]
    seconds = segment(HtmlSegmenter(), documents)
    rows.append(snippet_row("thresher HTML, title+main (shipped, IN-SAMPLE)", [kept(d, title_main) for d in documents],
                            items, seconds))  # fmt: skip
    sites = len({training.site_of(url) for url, _, _, _ in items})
    keep, drop = sum(len(k) for _, _, k, _ in items), sum(len(d) for _, _, _, d in items)
    print(f"\ntrafilatura's evaluation pages: {len(items)} pages, {sites} sites, {keep} must-keep and {drop} unwanted "
          "snippets")  # fmt: skip
    print(f"{'system':<52} {'P':>6} {'R':>6} {'F1':>6} {'pages/s':>8}")
    for name, precision, recall, f1, pages_per_second in rows:
        print(f"{name:<52} {precision:>6.4f} {recall:>6.4f} {f1:>6.4f} {pages_per_second:>8.1f}")
    print("Scored as trafilatura scores itself: a must-keep snippet found in the extract is a true positive, "
          "an unwanted one found a false positive; micro-averaged over all snippets.")  # fmt: skip
    return rows


def main() -> int:
    raw = training.load_pages()
    htmls = [html for _, html, _ in raw]
    bodies = [body for _, _, body in raw]
    html_bytes = sum(len(h.encode("utf-8")) for h in htmls)
    rows: list[Row] = []

    from resiliparse.extract.html2text import extract_plain_text

    texts, seconds = run_extractor(html_to_text, htmls)
    text_bytes = sum(len(t.encode("utf-8")) for t in texts)
    rows.append(row("all text (resiliparse, baseline)", texts, bodies, seconds, html_bytes))
    out, seconds = run_extractor(lambda h: extract_plain_text(h, main_content=True), htmls)
    rows.append(row("resiliparse main_content=True", out, bodies, seconds, html_bytes))
    try:
        import trafilatura

        out, seconds = run_extractor(lambda h: trafilatura.extract(h, fast=True, include_comments=False) or "", htmls)
        rows.append(row("trafilatura 2 (fast, no comments)", out, bodies, seconds, html_bytes))
    except ImportError as error:
        print(f"trafilatura skipped: {error} (pip install -e '.[bench]')")

    shipped = load_models()
    title_main = ("title", "main")
    items = training.load_snippet_pages()
    snippet_pages = [training.snippet_page(*item, weight=training.SNIPPET_WEIGHT) for item in items]
    docs, seconds = cross_validated("html", raw, texts, shipped["html"], snippet_pages)
    rows.append(row("thresher HTML, title+main (5-fold CV)", [kept(d, title_main) for d in docs], bodies, seconds,
                    html_bytes))  # fmt: skip
    rows.append(row("thresher HTML, main only (5-fold CV)", [kept(d, ("main",)) for d in docs], bodies, seconds,
                    html_bytes))  # fmt: skip
    docs = [Document(id=pid, text="", html=html) for pid, html, _ in raw]
    seconds = segment(HtmlSegmenter(), docs)
    rows.append(row("thresher HTML, title+main (shipped, IN-SAMPLE)", [kept(d, title_main) for d in docs], bodies,
                    seconds, html_bytes))  # fmt: skip
    docs, seconds = cross_validated("text", raw, texts, shipped["text"])
    rows.append(row("thresher plain text, title+main (5-fold CV)", [kept(d, title_main) for d in docs], bodies,
                    seconds, text_bytes))  # fmt: skip
    rows.append(row("thresher plain text, main only (5-fold CV)", [kept(d, ("main",)) for d in docs], bodies,
                    seconds, text_bytes))  # fmt: skip
    docs = [Document(id=pid, text=text) for (pid, _, _), text in zip(raw, texts, strict=True)]
    seconds = segment(TextSegmenter(), docs)
    rows.append(row("thresher plain text, title+main (shipped, IN-SAMPLE)", [kept(d, title_main) for d in docs],
                    bodies, seconds, text_bytes))  # fmt: skip

    print(f"\n{len(raw)} pages, {html_bytes / 1e6:.1f} MB HTML, {text_bytes / 1e6:.2f} MB visible text; one core")
    print(f"{'system':<52} {'F1':>6} {'P':>6} {'R':>6} {'pages/s':>8} {'MB/s':>6}")
    for name, f1, precision, recall, pages_per_second, mb_per_second in rows:
        print(f"{name:<52} {f1:>6.4f} {precision:>6.4f} {recall:>6.4f} {pages_per_second:>8.1f} {mb_per_second:>6.2f}")
    print(
        "MB/s is of the system's input: HTML, except plain-text rows (visible text). Published (181 pages): "
        "trafilatura 0.958, html-text all text 0.665."
    )
    snippet_benchmark(items, snippet_pages, [training.html_page(*item) for item in raw], shipped["html"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
