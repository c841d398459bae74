"""Train the line classifiers of thresher.segments (plain-text and HTML modes) and print held-out metrics.

Data: the 121 pages of ../shared/data/article-extraction (HTML plus a person's article body).
Each page is flattened two ways: the plain-text mode sees the lines of the page's whole
visible text (what `thresher.readers.html.html_to_text` gives and what a WET file holds);
the HTML mode sees the DOM blocks of `thresher.segments.dom`. A line is labelled main when it
is (mostly) part of the ground-truth body: its whitespace-normalised text is a substring of the
body, or at least half of its word 3-grams are.

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
SEED = 20240601
FOLDS = 5
SPAN_THRESHOLDS = (0.3, 0.4, 0.5)
SPAN_LOWS = (0.1, 0.2, 0.3, 0.4)
SPAN_RATIOS = (0.0, 0.3)  # 0: one run only; 0.3: also runs worth 30% of the best (an article split by a box)


@dataclass(slots=True)
class Page:
    """One labelled page in one mode: its lines, feature matrix, labels and the true body."""

    page_id: str
    lines: list[str]
    matrix: np.ndarray
    labels: np.ndarray
    body: str
    containers: np.ndarray | None = None

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
    """Weight lines by sqrt(words): the F1 counts tokens, so long lines matter more, but not linearly."""
    return np.concatenate([np.sqrt(1.0 + p.words) for p in pages])


def fit(
    pages: list[Page], names: tuple[str, ...], l2: float, matrices: list[np.ndarray] | None = None
) -> LogisticModel:
    """Fit one stage on `pages` (their feature matrices, or the given per-page matrices)."""
    matrix = np.concatenate(matrices if matrices is not None else [p.matrix for p in pages])
    labels = np.concatenate([p.labels for p in pages])
    return fit_logistic(matrix, labels, names, l2=l2, sample_weight=sample_weights(pages))


def folds(count: int, k: int = FOLDS) -> list[np.ndarray]:
    """k folds of page indexes, shuffled with the fixed seed."""
    order = np.random.default_rng(SEED).permutation(count)
    return [order[i::k] for i in range(k)]


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
    for held in folds(len(pages), inner):
        held_set = set(held.tolist())
        model = fit([p for i, p in enumerate(pages) if i not in held_set], names, l2)
        for i in held:
            first[i] = model.probabilities(pages[i].matrix)
    second_matrices = [stage2_features(p1, page.words, page.containers) for p1, page in zip(first, pages, strict=True)]
    return TwoStageModel(fit(pages, names, l2), fit(pages, names2, l2, second_matrices), threshold, low, ratio)


def cross_validated_probabilities(
    pages: list[Page], names: tuple[str, ...], l2: float, matrices: list[np.ndarray] | None = None
) -> list[np.ndarray]:
    """P(main) for every line of every page from a model trained on the other folds."""
    out: list[np.ndarray] = [np.zeros(0)] * len(pages)
    for held in folds(len(pages)):
        held_set = set(held.tolist())
        train = [i for i in range(len(pages)) if i not in held_set]
        model = fit([pages[i] for i in train], names, l2, None if matrices is None else [matrices[i] for i in train])
        for i in held:
            out[i] = model.probabilities(pages[i].matrix if matrices is None else matrices[i])
    return out


def nested_probabilities(pages: list[Page], names: tuple[str, ...], l2: float) -> list[np.ndarray]:
    """Second-stage P(main) for every page from a two-stage model fitted exactly as shipped, on the other folds.

    Stage 2 is fitted on inner-fold stage-1 probabilities, as `fit_two_stage` does for the
    shipped model, so the decoder is picked on the probabilities the benchmark will see.
    """
    out: list[np.ndarray] = [np.zeros(0)] * len(pages)
    for held in folds(len(pages)):
        held_set = set(held.tolist())
        model = fit_two_stage([p for i, p in enumerate(pages) if i not in held_set], names, l2, 0.5, 0.4)
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


def train_mode(name: str, pages: list[Page], names: tuple[str, ...], l2: float) -> TwoStageModel:
    """Cross-validate both stages, compare decoders on the folds, print metrics, then fit on all pages."""
    started = time.perf_counter()
    first = cross_validated_probabilities(pages, names, l2)
    second = nested_probabilities(pages, names, l2)
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
    for ratio in SPAN_RATIOS:
        for threshold in SPAN_THRESHOLDS:
            for low in SPAN_LOWS:
                key = (threshold, low, ratio)
                spans[key] = evaluate(pages, second, _span_decoder(*key))
                rows.append(("2", f"span t={threshold} low={low} r={ratio}", spans[key]))
    for stage, label, m in rows:
        print(f"{stage:>5} {label:<32} {m['line_accuracy']:>8.4f} {m['main_precision']:>7.4f} "
              f"{m['main_recall']:>7.4f} {m['token_f1']:>8.4f}")  # fmt: skip
    best = max(spans, key=lambda key: spans[key]["token_f1"])
    print(
        f"chosen decoder: span t={best[0]} low={best[1]} r={best[2]} -> CV token F1 {spans[best]['token_f1']:.4f} "
        f"(main lines only); {time.perf_counter() - started:.1f}s"
    )
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
    args = parser.parse_args(argv)
    raw = load_pages()
    text_pages = [text_page(*item) for item in raw]
    html_pages = [html_page(*item) for item in raw]
    models = {
        "text": train_mode("plain-text", text_pages, TEXT_FEATURE_NAMES, args.l2),
        "html": train_mode("HTML", html_pages, html_feature_names(CUE_NAMES, CONTAINER_LEVELS), args.l2),
    }
    if not args.no_save:
        payload = {
            "about": "thresher.segments line classifiers, trained by training/segmenter.py on "
            "../shared/data/article-extraction (121 pages); P(main) per line.",
            "seed": SEED,
            "models": {name: model.to_dict() for name, model in models.items()},
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
