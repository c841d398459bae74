"""Train the line classifiers of thresher.segments (plain-text and HTML modes) and print held-out metrics.

Data: the 121 pages of ../shared/data/article-extraction (HTML plus a person's article body).
Each page is flattened two ways: the plain-text mode sees the lines of the page's whole
visible text (what `thresher.readers.html.html_to_text` gives and what a WET file holds);
the HTML mode sees the DOM blocks of `thresher.segments.dom`. A line is labelled main when it
is (mostly) part of the ground-truth body: its whitespace-normalised text is a substring of the
body, or at least half of its word 3-grams are.

The HTML mode also learns from trafilatura's evaluation pages (../shared/data/crawl, this
checkout's half): only the lines a snippet falls on are labelled (must-keep: main; unwanted: not),
the rest weigh nothing. Those pages are folded by site, never by page.

Held-out figures come from 5-fold cross-validation by page (each page scored by a model that
never saw it); the smoothing cost and threshold are picked on those folds. The shipped model is
then fitted on all pages. Fixed seed, deterministic. Nothing from the data is written to the
repository except the fitted weights.

    python training/segmenter.py            # CV metrics, then writes src/thresher/models/segmenter.json
    python training/segmenter.py --no-save  # metrics only
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tarfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from thresher.readers.html import decode_html_bytes, html_to_text
from thresher.segments.dom import CONTAINER_LEVELS, CUE_NAMES, html_blocks
from thresher.segments.features import TEXT_FEATURE_NAMES, html_feature_names, html_features, text_features
from thresher.segments.model import (
    MODEL_PATH,
    LogisticModel,
    TwoStageModel,
    best_spans,
    fit_logistic,
    smooth_labels,
    stage2_feature_names,
    stage2_features,
)

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "article-extraction"
# trafilatura's own evaluation pages (half of them), labelled by snippets that must / must not be kept.
SNIPPETS = REPO.parent / "shared" / "data" / "crawl" / "trafilatura_test_pages.tar.gz"
# How much a snippet-labelled line weighs against an article-extraction line (picked by the CV below).
SNIPPET_WEIGHT = 1.0
SEED = 20240601
FOLDS = 5
SPAN_THRESHOLDS = (0.3, 0.4, 0.5)
SPAN_LOWS = (0.1, 0.2, 0.3, 0.4)
SPAN_RATIOS = (0.0, 0.3)  # 0: one run only; 0.3: also runs worth 30% of the best (an article split by a box)
# HTML mode also tries 0.1: pages that are not one article (product pages, recipes, portals) hold
# their text in several runs, and trafilatura's evaluation pages are full of them.
HTML_SPAN_RATIOS = (0.0, 0.05, 0.1, 0.3)
HTML_SPAN_LOWS = (0.1, 0.2, 0.3, 0.4, 0.45, 0.5)  # a finer top end: short lines inside the span decide precision


@dataclass(slots=True)
class Page:
    """One labelled page in one mode: its lines, feature matrix, labels and the true body."""

    page_id: str
    lines: list[str]
    matrix: np.ndarray
    labels: np.ndarray
    body: str
    containers: np.ndarray | None = None
    site: str = ""  # pages of one site share a fold (the page id when the data names no site)
    weight: float = 1.0  # multiplies the lines' sample weights
    snippets: tuple[tuple[str, ...], tuple[str, ...]] | None = None  # (with, without) for snippet-labelled pages

    @property
    def words(self) -> np.ndarray:
        return np.expm1(self.matrix[:, 1])  # column 1 is log_words in both modes


def load_pages(data: Path = DATA) -> list[tuple[str, str, str]]:
    """(id, html, article body) for every page, sorted by id."""
    if not (data / "ground-truth.json").exists():
        sys.exit(f"training needs {data} (the project's shared data); not found")
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        raw = gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append((page_id, decode_html_bytes(raw), truth[page_id].get("articleBody") or ""))
    return pages


SnippetItem = tuple[str, str, tuple[str, ...], tuple[str, ...]]  # (url, html, with, without)


def load_snippet_pages(path: Path = SNIPPETS) -> list[SnippetItem]:
    """(url, html, snippets that must be kept, snippets that must not) for every labelled page, by URL.

    Read straight from the tarball (see ../shared/data/crawl/README.md); [] when it is absent.
    """
    if not path.exists():
        return []
    with tarfile.open(path) as tar:
        files = {m.name.split("/", 1)[-1]: m for m in tar.getmembers() if m.isfile()}

        def read(name: str) -> bytes:
            member = tar.extractfile(files[name])
            assert member is not None
            return member.read()

        truth = json.loads(read("evaldata.json"))
        out = []
        for url in sorted(truth):
            entry = truth[url]
            name = f"eval/{entry['file']}" if f"eval/{entry['file']}" in files else f"cache/{entry['file']}"
            html = decode_html_bytes(read(name))
            out.append((url, html, tuple(entry.get("with") or ()), tuple(entry.get("without") or ())))
    return out


def site_of(url: str) -> str:
    """The site a page belongs to, for folds by site: the host without "www." (web.archive.org: the
    archived page's host; trafilatura's "hard::name-word.html" keys: the name)."""
    if "::" in url and "://" not in url:
        return url.split("::", 1)[1].removesuffix(".html").split("-", 1)[0].lower()
    rest = url.split("://", 1)[-1]
    if rest.startswith("web.archive.org/web/"):
        rest = rest.split("/", 3)[-1].split("://", 1)[-1]
    return rest.split("/", 1)[0].split(":", 1)[0].lower().removeprefix("www.")


def snippet_counts(text: str, keep: tuple[str, ...], drop: tuple[str, ...]) -> tuple[int, int, int]:
    """(true positives, false negatives, false positives) of one page's extract, as trafilatura scores
    itself: a kept snippet found is a true positive, one missing a false negative; an unwanted snippet
    found is a false positive. Plain substring tests on the extract."""
    found = sum(1 for snippet in keep if snippet in text)
    return found, len(keep) - found, sum(1 for snippet in drop if snippet in text)


def snippet_prf(counts: list[tuple[int, int, int]]) -> tuple[float, float, float]:
    """Precision, recall and F1 over all snippets of all pages (micro-averaged, as trafilatura reports)."""
    tp, fn, fp = (sum(c[i] for c in counts) for i in range(3))
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    return precision, recall, 2 * tp / max(2 * tp + fp + fn, 1)


def snippet_labels(lines: list[str], keep: tuple[str, ...], drop: tuple[str, ...]) -> np.ndarray:
    """1 for lines a must-keep snippet touches, 0 for lines an unwanted one touches, -1 (unknown) else."""
    labels = np.full(len(lines), -1, dtype=np.int8)
    if not lines:
        return labels
    text = "\n".join(lines)
    starts = np.cumsum([0] + [len(line) + 1 for line in lines[:-1]])
    for snippets, value in ((drop, 0), (keep, 1)):
        for snippet in snippets:
            at = text.find(snippet)
            if at < 0 or not snippet.strip():
                continue
            first = int(np.searchsorted(starts, at, side="right")) - 1
            last = int(np.searchsorted(starts, at + len(snippet) - 1, side="right")) - 1
            labels[first : last + 1] = value
    return labels


def snippet_page(url: str, html: str, keep: tuple[str, ...], drop: tuple[str, ...], weight: float = 1.0) -> Page:
    """A page of trafilatura's evaluation set in HTML mode: lines labelled only where a snippet falls."""
    blocks = html_blocks(html)
    matrix = html_features(blocks)
    containers = np.asarray(blocks.containers, dtype=np.int64).reshape(len(blocks.lines), -1)
    labels = snippet_labels(blocks.lines, keep, drop)
    return Page(url, blocks.lines, matrix, labels, "", containers, site_of(url), weight, (keep, drop))


def label_lines(lines: list[str], body: str) -> np.ndarray:
    """1 for lines that are (mostly) part of the ground-truth body, else 0."""
    normal_body = " ".join(body.split())
    tokens = normal_body.split()
    shingles = set(zip(tokens, tokens[1:], tokens[2:], strict=False))
    labels = np.zeros(len(lines), dtype=np.int8)
    for i, line in enumerate(lines):
        normal = " ".join(line.split())
        if not normal:
            continue
        if normal in normal_body:
            labels[i] = 1
            continue
        words = normal.split()
        if len(words) >= 3:
            grams = list(zip(words, words[1:], words[2:], strict=False))
            labels[i] = sum(1 for gram in grams if gram in shingles) / len(grams) >= 0.5
    return labels


def token_f1(predicted: str, true: str) -> float:
    """The benchmark's token-level F1: whitespace tokens, shared as a multiset."""
    p, t = Counter(predicted.split()), Counter(true.split())
    shared = sum((p & t).values())
    if not shared:
        return 0.0
    precision, recall = shared / sum(p.values()), shared / sum(t.values())
    return 2 * precision * recall / (precision + recall)


def text_page(page_id: str, html: str, body: str) -> Page:
    lines = [line.strip() for line in html_to_text(html).split("\n") if line.strip()]
    return Page(page_id, lines, text_features(lines), label_lines(lines, body), body)


def html_page(page_id: str, html: str, body: str) -> Page:
    blocks = html_blocks(html)
    matrix = html_features(blocks)
    containers = np.asarray(blocks.containers, dtype=np.int64).reshape(len(blocks.lines), -1)
    return Page(page_id, blocks.lines, matrix, label_lines(blocks.lines, body), body, containers)


def sample_weights(pages: list[Page]) -> np.ndarray:
    """Weight lines by sqrt(words): the F1 counts tokens, so long lines matter more, but not linearly.

    Unlabelled lines (label -1: a snippet-labelled page says nothing about them) weigh 0.
    """
    return np.concatenate([np.sqrt(1.0 + p.words) * p.weight * (p.labels >= 0) for p in pages])


def fit(
    pages: list[Page], names: tuple[str, ...], l2: float, matrices: list[np.ndarray] | None = None
) -> LogisticModel:
    """Fit one stage on `pages` (their feature matrices, or the given per-page matrices)."""
    matrix = np.concatenate(matrices if matrices is not None else [p.matrix for p in pages])
    labels = np.concatenate([p.labels for p in pages])
    known = labels >= 0  # unlabelled lines (most of a snippet-labelled page) weigh 0: leave them out
    if known.all():
        return fit_logistic(matrix, labels > 0, names, l2=l2, sample_weight=sample_weights(pages))
    return fit_logistic(matrix[known], labels[known] > 0, names, l2=l2, sample_weight=sample_weights(pages)[known])


def folds(count: int, k: int = FOLDS, groups: list[str] | None = None) -> list[np.ndarray]:
    """k folds of page indexes, shuffled with the fixed seed; pages of one group (site) share a fold.

    With no groups (or one group per page) the folds are the by-page folds used since the start.
    """
    if groups is None:
        order = np.random.default_rng(SEED).permutation(count)
        return [order[i::k] for i in range(k)]
    names = list(dict.fromkeys(groups))
    order = np.random.default_rng(SEED).permutation(len(names))
    fold_of = {names[g]: rank % k for rank, g in enumerate(order.tolist())}
    members: list[list[int]] = [[] for _ in range(k)]
    for index, group in enumerate(groups):
        members[fold_of[group]].append(index)
    rank_of = {g: rank for rank, g in enumerate(order.tolist())}
    position = {name: rank_of[i] for i, name in enumerate(names)}
    return [np.asarray(sorted(m, key=lambda i: position[groups[i]]), dtype=np.int64) for m in members]


def site_folds(pages: list[Page], k: int = FOLDS) -> list[np.ndarray]:
    """`folds` grouped by the pages' sites."""
    return folds(len(pages), k, [p.site or p.page_id for p in pages])


def fit_two_stage(
    pages: list[Page],
    names: tuple[str, ...],
    l2: float,
    threshold: float,
    low: float,
    inner: int = FOLDS,
    ratio: float = 0.0,
) -> TwoStageModel:
    """Fit both stages on `pages`: stage 2 learns from stage-1 probabilities out-of-fold (inner CV), as at run time."""
    levels = 0 if pages[0].containers is None else pages[0].containers.shape[1]
    names2 = stage2_feature_names(levels)
    first: list[np.ndarray] = [np.zeros(0)] * len(pages)
    for held in site_folds(pages, inner):
        held_set = set(held.tolist())
        model = fit([p for i, p in enumerate(pages) if i not in held_set], names, l2)
        for i in held:
            first[i] = model.probabilities(pages[i].matrix)
    second_matrices = [stage2_features(p1, page.words, page.containers) for p1, page in zip(first, pages, strict=True)]
    return TwoStageModel(fit(pages, names, l2), fit(pages, names2, l2, second_matrices), threshold, low, ratio)


def cross_validated_probabilities(
    pages: list[Page],
    names: tuple[str, ...],
    l2: float,
    matrices: list[np.ndarray] | None = None,
    extra: list[Page] | None = None,
) -> list[np.ndarray]:
    """P(main) for every line of every page from a model trained on the other folds (plus all `extra` pages)."""
    out: list[np.ndarray] = [np.zeros(0)] * len(pages)
    more = extra or []
    for held in folds(len(pages)):
        held_set = set(held.tolist())
        train = [i for i in range(len(pages)) if i not in held_set]
        if more:
            model = fit([pages[i] for i in train] + more, names, l2)
            for i in held:
                out[i] = model.probabilities(pages[i].matrix)
            continue
        model = fit([pages[i] for i in train], names, l2, None if matrices is None else [matrices[i] for i in train])
        for i in held:
            out[i] = model.probabilities(pages[i].matrix if matrices is None else matrices[i])
    return out


def nested_probabilities(
    pages: list[Page], names: tuple[str, ...], l2: float, extra: list[Page] | None = None
) -> list[np.ndarray]:
    """Second-stage P(main) for every page from a two-stage model fitted exactly as shipped, on the other folds.

    Stage 2 is fitted on inner-fold stage-1 probabilities, as `fit_two_stage` does for the
    shipped model, so the decoder is picked on the probabilities the benchmark will see. Folds
    are by site (by page where pages name no site); every `extra` page joins each fold's training.
    """
    out: list[np.ndarray] = [np.zeros(0)] * len(pages)
    for held in site_folds(pages):
        held_set = set(held.tolist())
        train = [p for i, p in enumerate(pages) if i not in held_set] + (extra or [])
        model = fit_two_stage(train, names, l2, 0.5, 0.4)
        for i in held:
            out[i] = model.probabilities(pages[i].matrix, pages[i].words, pages[i].containers)
    return out


Decoder = Callable[[np.ndarray, np.ndarray], np.ndarray]


def evaluate(pages: list[Page], probabilities: list[np.ndarray], decode: Decoder) -> dict[str, float]:
    """Line accuracy, main precision/recall and mean page token F1 (main lines only) for one decoder."""
    f1s, correct, total, tp, fp, fn = [], 0, 0, 0, 0, 0
    for page, prob in zip(pages, probabilities, strict=True):
        predicted = decode(prob, page.words)
        truth = page.labels.astype(bool)
        correct += int((predicted == truth).sum())
        total += len(truth)
        tp += int((predicted & truth).sum())
        fp += int((predicted & ~truth).sum())
        fn += int((~predicted & truth).sum())
        f1s.append(token_f1("\n".join(line for line, keep in zip(page.lines, predicted, strict=True) if keep),
                            page.body))  # fmt: skip
    return {
        "line_accuracy": correct / max(total, 1),
        "main_precision": tp / max(tp + fp, 1),
        "main_recall": tp / max(tp + fn, 1),
        "token_f1": float(np.mean(f1s)),
    }


def _span_decoder(threshold: float, low: float, ratio: float) -> Decoder:
    def decode(p: np.ndarray, words: np.ndarray) -> np.ndarray:
        return best_spans(np.sqrt(words + 1.0) * (p - threshold), ratio) & (p >= low)

    return decode


def snippet_scores(pages: list[Page], probabilities: list[np.ndarray], decode: Decoder) -> tuple[float, float, float]:
    """Snippet precision, recall and F1 (trafilatura's scoring) of the main lines `decode` keeps."""
    counts = []
    for page, prob in zip(pages, probabilities, strict=True):
        kept = "\n".join(line for line, keep in zip(page.lines, decode(prob, page.words), strict=True) if keep)
        assert page.snippets is not None
        counts.append(snippet_counts(kept, *page.snippets))
    return snippet_prf(counts)


def train_mode(
    name: str, pages: list[Page], names: tuple[str, ...], l2: float, snippet_pages: list[Page] | None = None
) -> TwoStageModel:
    """Cross-validate both stages, compare decoders on the folds, print metrics, then fit on all pages.

    With `snippet_pages` (trafilatura's evaluation pages, labelled only where a snippet falls)
    both sets train every model: the article pages are scored by models that saw all snippet
    pages and the other article folds, the snippet pages by models that saw all article pages
    and the other *site* folds; the decoder is picked on the sum of the two held-out F1s.
    """
    started = time.perf_counter()
    snippets = snippet_pages or []
    first = cross_validated_probabilities(pages, names, l2, extra=snippets)
    second = nested_probabilities(pages, names, l2, extra=snippets)
    held_snippets = nested_probabilities(snippets, names, l2, extra=pages) if snippets else []
    lines = sum(len(p.lines) for p in pages)
    positives = sum(int(p.labels.sum()) for p in pages)
    print(f"\n== {name} mode: {len(pages)} pages, {lines} lines, {positives} main; {FOLDS}-fold CV by page ==")
    print(f"{'stage':>5} {'decoder':<32} {'line_acc':>8} {'main_P':>7} {'main_R':>7} {'token_F1':>8}")
    rows: list[tuple[str, str, dict[str, float]]] = []
    for stage, probabilities in (("1", first), ("2", second)):
        for threshold in (0.4, 0.5):
            metrics = evaluate(pages, probabilities, lambda p, w, t=threshold: p >= t)
            rows.append((stage, f"threshold {threshold}", metrics))
        for cost in (1.0, 2.0):
            rows.append((stage, f"viterbi cost {cost}",
                         evaluate(pages, probabilities, lambda p, w, c=cost: smooth_labels(p, c, 0.5))))  # fmt: skip
    spans: dict[tuple[float, float, float], dict[str, float]] = {}
    html = pages[0].containers is not None
    for ratio in HTML_SPAN_RATIOS if html else SPAN_RATIOS:
        for threshold in SPAN_THRESHOLDS:
            for low in HTML_SPAN_LOWS if html else SPAN_LOWS:
                key = (threshold, low, ratio)
                spans[key] = evaluate(pages, second, _span_decoder(*key))
                rows.append(("2", f"span t={threshold} low={low} r={ratio}", spans[key]))
    for stage, label, m in rows:
        print(f"{stage:>5} {label:<32} {m['line_accuracy']:>8.4f} {m['main_precision']:>7.4f} "
              f"{m['main_recall']:>7.4f} {m['token_f1']:>8.4f}")  # fmt: skip
    objective = {key: spans[key]["token_f1"] for key in spans}
    if snippets:
        sites = len({p.site for p in snippets})
        print(f"-- {len(snippets)} snippet-labelled pages ({sites} sites), {FOLDS}-fold CV by site, main lines only --")
        print(f"{'decoder':<32} {'snip_P':>7} {'snip_R':>7} {'snip_F1':>7} {'art_F1':>7}")
        for key in spans:
            precision, recall, f1 = snippet_scores(snippets, held_snippets, _span_decoder(*key))
            objective[key] += f1
            print(f"span t={key[0]} low={key[1]} r={key[2]:<12} {precision:>7.4f} {recall:>7.4f} {f1:>7.4f} "
                  f"{spans[key]['token_f1']:>7.4f}")  # fmt: skip
    best = max(objective, key=lambda key: objective[key])
    print(
        f"chosen decoder: span t={best[0]} low={best[1]} r={best[2]} -> CV token F1 {spans[best]['token_f1']:.4f} "
        f"(main lines only); {time.perf_counter() - started:.1f}s"
    )
    pages = pages + snippets
    final = fit_two_stage(pages, names, l2, best[0], best[1], ratio=best[2])
    for stage_name, model in (("stage 1", final.stage1), ("stage 2", final.stage2)):
        order = np.argsort(-np.abs(model.weights))[:8]
        weights = ", ".join(f"{model.features[i]}={model.weights[i]:+.2f}" for i in order)
        print(f"{stage_name} largest weights: {weights}")
    return final


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-save", action="store_true", help="print metrics, do not write the model")
    parser.add_argument("--l2", type=float, default=1.0, help="L2 penalty (default 1.0)")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--snippet-weight", type=float, default=SNIPPET_WEIGHT, help="weight of snippet-labelled lines")
    parser.add_argument("--no-snippets", action="store_true", help="HTML mode: article pages only (the old model)")
    args = parser.parse_args(argv)
    raw = load_pages()
    text_pages = [text_page(*item) for item in raw]
    html_pages = [html_page(*item) for item in raw]
    snippet_pages = (
        [] if args.no_snippets else [snippet_page(*item, weight=args.snippet_weight) for item in load_snippet_pages()]
    )
    if not snippet_pages and not args.no_snippets:
        print(f"note: {SNIPPETS} not found; the HTML model learns from the article pages only")
    html_names = html_feature_names(CUE_NAMES, CONTAINER_LEVELS)
    models = {
        "text": train_mode("plain-text", text_pages, TEXT_FEATURE_NAMES, args.l2),
        "html": train_mode("HTML", html_pages, html_names, args.l2, snippet_pages),
    }
    if not args.no_save:
        payload = {
            "about": "thresher.segments line classifiers, trained by training/segmenter.py on "
            "../shared/data/article-extraction (121 pages; HTML mode also on the snippet-labelled lines of "
            f"{len(snippet_pages)} of trafilatura's evaluation pages); P(main) per line.",
            "seed": SEED,
            "models": {name: model.to_dict() for name, model in models.items()},
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
