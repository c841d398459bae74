"""A small logistic regression with NumPy inference, and the sequence smoothing over its output.

The line classifier is linear on purpose: it trains in seconds on a hundred labelled pages,
ships as a few hundred numbers of JSON in the package, scores a batch with one matrix
product and can be read (each weight names a feature). Smoothing then uses the fact that a
page is runs, not confetti: article paragraphs come together, so a lone line's label
should not flip against its neighbours without strong evidence.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from thresher.segments import _kernels
from thresher.segments.features import window_mean

MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "segmenter.json"


@dataclass(slots=True)
class LogisticModel:
    """P(main | features) = sigmoid(((x - mean) / scale) . weights + bias)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float = 0.5
    switch_cost: float = 0.0

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        """P(main) for each row of `matrix` (columns in `self.features` order)."""
        if matrix.shape[0] == 0:
            return np.zeros(0)
        logits = ((matrix - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "weights": [round(float(v), 6) for v in self.weights],
            "bias": round(float(self.bias), 6),
            "threshold": self.threshold,
            "switch_cost": self.switch_cost,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LogisticModel:
        return cls(
            features=tuple(data["features"]),
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            weights=np.asarray(data["weights"], dtype=np.float64),
            bias=float(data["bias"]),
            threshold=float(data.get("threshold", 0.5)),
            switch_cost=float(data.get("switch_cost", 0.0)),
        )


def fit_logistic(
    matrix: np.ndarray,
    labels: np.ndarray,
    features: tuple[str, ...],
    l2: float = 1.0,
    iterations: int = 30,
    sample_weight: np.ndarray | None = None,
) -> LogisticModel:
    """Fit by Newton's method (IRLS) with an L2 penalty; deterministic, no learning rate to tune."""
    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale < 1e-9] = 1.0
    x = np.column_stack([(matrix - mean) / scale, np.ones(len(matrix))])
    y = labels.astype(np.float64)
    w_sample = np.ones(len(y)) if sample_weight is None else sample_weight
    beta = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -30, 30)))
        gradient = x.T @ (w_sample * (p - y)) + penalty * beta
        hessian = (x * (w_sample * p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return LogisticModel(features, mean, scale, beta[:-1], float(beta[-1]))


def smooth_labels(probabilities: np.ndarray, switch_cost: float, threshold: float = 0.5) -> np.ndarray:
    """Two-state Viterbi over lines: the best main/other labelling given a cost per label switch.

    Emission scores are log-odds against `threshold`; `switch_cost` (in log units) is what a
    flip must earn. With cost 0 this is the plain threshold. Runs in O(lines) with NumPy
    arrays for the scores and a short Python loop over lines (no per-character work).
    """
    count = len(probabilities)
    plain = probabilities >= threshold
    if count == 0 or switch_cost <= 0:
        return plain
    p = np.clip(probabilities, 1e-6, 1 - 1e-6)
    prior = np.log(threshold / (1 - threshold))
    log_odds = np.log(p / (1 - p)) - prior
    main_score = (log_odds / 2).tolist()
    other_score = (-log_odds / 2).tolist()
    back = np.zeros((count, 2), dtype=np.int8)
    score_other, score_main = other_score[0], main_score[0]
    for i in range(1, count):
        stay_other, from_main_to_other = score_other, score_main - switch_cost
        stay_main, from_other_to_main = score_main, score_other - switch_cost
        if stay_other >= from_main_to_other:
            new_other = stay_other + other_score[i]
        else:
            new_other = from_main_to_other + other_score[i]
            back[i, 0] = 1
        if stay_main >= from_other_to_main:
            new_main = stay_main + main_score[i]
            back[i, 1] = 1
        else:
            new_main = from_other_to_main + main_score[i]
        score_other, score_main = new_other, new_main
    state = 1 if score_main >= score_other else 0
    path = np.zeros(count, dtype=bool)
    for i in range(count - 1, -1, -1):
        path[i] = bool(state)
        state = int(back[i, state])
    return path


def span_mask(scores: np.ndarray) -> np.ndarray:
    """The contiguous run of lines with the largest total score (maximum subarray), as a mask.

    Vectorised with prefix sums: the best span ends where the prefix sum minus the lowest
    earlier prefix sum peaks. An article is one run of lines; this finds it.
    """
    count = len(scores)
    mask = np.zeros(count, dtype=bool)
    if count == 0:
        return mask
    prefix = np.concatenate(([0.0], np.cumsum(scores)))
    lowest = np.minimum.accumulate(prefix[:-1])
    gains = prefix[1:] - lowest
    end = int(np.argmax(gains))
    if gains[end] <= 0:
        return mask
    start = int(np.argmin(prefix[: end + 1]))
    mask[start : end + 1] = True
    return mask


def best_spans(scores: np.ndarray, ratio: float, most: int = 4) -> np.ndarray:
    """The best-scoring contiguous run plus further disjoint runs worth at least `ratio` of it.

    An article is one run, except where the page breaks it with an inline block (a "related"
    box, an embedded table of links): a second run of strongly positive lines, nearly as
    heavy as the first, is the article's continuation, not a teaser. Each pass is one
    vectorised `span_mask` over scores with the runs found so far blocked out.
    """
    mask = span_mask(scores)
    if ratio <= 0 or not mask.any():
        return mask
    best = float(scores[mask].sum())
    blocked = scores.copy()
    for _ in range(most - 1):
        blocked[mask] = -np.inf
        finite = np.where(np.isfinite(blocked), blocked, -1e18)
        extra = span_mask(finite)
        if not extra.any() or float(scores[extra].sum()) < ratio * best:
            break
        mask |= extra
    return mask


def _window_max(values: np.ndarray, radius: int) -> np.ndarray:
    """Maximum of `values` over the lines within `radius` of each line."""
    padded = np.concatenate((np.full(radius, -np.inf), values, np.full(radius, -np.inf)))
    return np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1).max(axis=1)


def distance_to(mask: np.ndarray) -> np.ndarray:
    """log1p(lines from each line to the nearest True line of `mask`); log1p(len) when none is."""
    count = len(mask)
    positions = np.flatnonzero(mask)
    if len(positions) == 0:
        return np.full(count, np.log1p(count), dtype=np.float64)
    index = np.arange(count)
    right = np.clip(np.searchsorted(positions, index), 0, len(positions) - 1)
    left = np.clip(right - 1, 0, len(positions) - 1)
    distance = np.minimum(np.abs(positions[right] - index), np.abs(index - positions[left]))
    return np.log1p(distance.astype(np.float64))


STAGE2_BASE = ("logit", "ctx_p_1", "ctx_p_2", "ctx_p_4", "ctx_p_8", "span_40", "span_25", "page_max_p", "log_words")
STAGE2_TEXT = ("span_distance", "page_mean_p", "ctx_p_max_2")


def stage2_feature_names(levels: int) -> tuple[str, ...]:
    """Names of the second-stage columns: context of first-stage probabilities (+ per container).

    `levels` 0 is the plain-text mode, which has no containers and gets the page-shape columns
    of STAGE2_TEXT instead (in HTML mode the containers already say where the article is).
    """
    if levels == 0:
        return STAGE2_BASE + STAGE2_TEXT
    return STAGE2_BASE + tuple(f"container_p_{level}" for level in range(levels))


def stage2_features(p: np.ndarray, words: np.ndarray, containers: np.ndarray | None) -> np.ndarray:
    """Second-stage features: what the first stage said about a line's neighbours and container.

    A line between article paragraphs, or inside the element that holds them, is article
    even when it looks weak alone (a subhead, a one-line paragraph); a lone prose-looking
    line in a footer is not. `containers` (blocks, levels) is given in HTML mode only.
    """
    clipped = np.clip(p, 1e-4, 1 - 1e-4)
    weight = np.sqrt(words + 1.0)
    span_40 = span_mask(weight * (p - 0.4))
    columns = [
        np.log(clipped / (1 - clipped)), window_mean(p, 1), window_mean(p, 2), window_mean(p, 4), window_mean(p, 8),
        span_40.astype(np.float64), span_mask(weight * (p - 0.25)).astype(np.float64),
        np.full(len(p), p.max() if len(p) else 0.0), np.log1p(words),
    ]  # fmt: skip
    if containers is None:
        columns += [distance_to(span_40), np.full(len(p), p.mean()), _window_max(p, 2)]
    else:
        for level in range(containers.shape[1]):
            ids = containers[:, level]
            unique, inverse = np.unique(ids, return_inverse=True)
            total = np.bincount(inverse, weights=p * weight, minlength=len(unique))
            norm = np.bincount(inverse, weights=weight, minlength=len(unique))
            columns.append(np.where(ids >= 0, total[inverse] / np.maximum(norm[inverse], 1e-9), 0.0))
    return np.column_stack(columns)


def _per_document(
    one: Callable[[np.ndarray], np.ndarray], values: np.ndarray, offsets: np.ndarray, dtype: Any
) -> np.ndarray:
    """The fallback of the batch kernels below: `one` over each document's slice of `values`."""
    out = np.zeros(len(values), dtype=dtype)
    for a, b in _kernels.document_bounds(offsets):
        out[a:b] = one(values[a:b])
    return out


def window_means(values: np.ndarray, offsets: np.ndarray, radius: int, native: bool) -> np.ndarray:
    """`window_mean(values, radius)` per document of a batch (`offsets`: see segments/_kernels.py)."""
    if native:
        return _kernels.window_means(values, offsets, radius)
    return _per_document(lambda part: window_mean(part, radius), values, offsets, float)


def span_masks(scores: np.ndarray, offsets: np.ndarray, native: bool) -> np.ndarray:
    """`span_mask(scores)` per document of a batch."""
    if native:
        return _kernels.span_masks(scores, offsets)
    return _per_document(span_mask, scores, offsets, bool)


def window_maxes(values: np.ndarray, offsets: np.ndarray, radius: int, native: bool) -> np.ndarray:
    """`_window_max(values, radius)` per document of a batch."""
    if native:
        return _kernels.window_maxes(values, offsets, radius)
    return _per_document(lambda part: _window_max(part, radius), values, offsets, float)


def distances_to(mask: np.ndarray, offsets: np.ndarray, native: bool) -> np.ndarray:
    """`distance_to(mask)` per document of a batch."""
    if native:
        return _kernels.distances_to(mask, offsets)
    return _per_document(distance_to, mask, offsets, float)


def stage2_text_batch(p: np.ndarray, words: np.ndarray, offsets: np.ndarray, native: bool) -> np.ndarray:
    """`stage2_features(p, words, None)` of every document of a batch, stacked (plain-text mode).

    Element-wise columns are computed once for the batch (the same operations on the same
    values); the per-document sequences run through `segments._kernels` in one call each; the
    page mean keeps NumPy's own per-document sum (pairwise, so no running sum reproduces it).
    """
    clipped = np.clip(p, 1e-4, 1 - 1e-4)
    weight = np.sqrt(words + 1.0)
    span_40 = span_masks(weight * (p - 0.4), offsets, native)
    sizes = np.diff(offsets)
    documents = np.flatnonzero(sizes)
    firsts = offsets[documents]
    page_max = np.repeat(np.maximum.reduceat(p, firsts), sizes[documents]) if len(p) else p
    bounds = offsets.tolist()
    means = np.asarray([np.add.reduce(p[a:b]) / (b - a) for a, b in itertools.pairwise(bounds) if b > a])
    columns = [
        np.log(clipped / (1 - clipped)), window_means(p, offsets, 1, native), window_means(p, offsets, 2, native),
        window_means(p, offsets, 4, native), window_means(p, offsets, 8, native), span_40.astype(np.float64),
        span_masks(weight * (p - 0.25), offsets, native).astype(np.float64), page_max, np.log1p(words),
        distances_to(span_40, offsets, native), np.repeat(means, sizes[documents]), window_maxes(p, offsets, 2, native),
    ]  # fmt: skip
    return np.column_stack(columns)


@dataclass(slots=True)
class TwoStageModel:
    """Stage 1 scores lines from their features; stage 2 rescores them in context; a span decode labels.

    Decoding keeps the lines with P(main) >= `low` inside the best-scoring contiguous span of
    sqrt(words) * (P - `threshold`): the article is one run, and lines inside it only need to be
    not clearly chaff.
    """

    stage1: LogisticModel
    stage2: LogisticModel
    threshold: float = 0.5
    low: float = 0.3
    ratio: float = 0.0

    def probabilities(self, matrix: np.ndarray, words: np.ndarray, containers: np.ndarray | None) -> np.ndarray:
        if matrix.shape[0] == 0:
            return np.zeros(0)
        return self.rescore(self.stage1.probabilities(matrix), words, containers)

    def rescore(self, first: np.ndarray, words: np.ndarray, containers: np.ndarray | None) -> np.ndarray:
        """Stage 2 over one document's stage-1 probabilities (stage 1 can run on a whole batch)."""
        if len(first) == 0:
            return first
        return self.stage2.probabilities(stage2_features(first, words, containers))

    def rescore_text_batch(self, first: np.ndarray, words: np.ndarray, offsets: np.ndarray, native: bool) -> np.ndarray:
        """`rescore(first[d], words[d], None)` of every document d of a batch (`offsets`), concatenated.

        The stage-2 matrix product stays per document: a BLAS product's rounding may depend on
        where a row sits in the matrix, so each document's rows are multiplied as they were alone.
        """
        if len(first) == 0:
            return np.zeros(0)
        model = self.stage2
        scaled = (stage2_text_batch(first, words, offsets, native) - model.mean) / model.scale
        logits = np.empty(len(first))
        bounds = offsets.tolist()
        for a, b in itertools.pairwise(bounds):
            if b > a:
                logits[a:b] = scaled[a:b] @ model.weights
        logits += model.bias
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))

    def decode_batch(
        self, probabilities: np.ndarray, words: np.ndarray, offsets: np.ndarray, native: bool
    ) -> np.ndarray:
        """`decode` of every document of a batch (`offsets`), concatenated (the text model: `ratio` 0)."""
        if self.ratio > 0:
            raise ValueError("decode_batch decodes one span a document; this model keeps further spans")
        inside = span_masks(np.sqrt(words + 1.0) * (probabilities - self.threshold), offsets, native)
        return inside & (probabilities >= self.low)

    def decode(self, probabilities: np.ndarray, words: np.ndarray) -> np.ndarray:
        """Main mask from second-stage probabilities."""
        inside = best_spans(np.sqrt(words + 1.0) * (probabilities - self.threshold), self.ratio)
        return inside & (probabilities >= self.low)

    def to_dict(self) -> dict[str, Any]:
        return {"stage1": self.stage1.to_dict(), "stage2": self.stage2.to_dict(), "threshold": self.threshold,
                "low": self.low, "ratio": self.ratio}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TwoStageModel:
        return cls(LogisticModel.from_dict(data["stage1"]), LogisticModel.from_dict(data["stage2"]),
                   float(data["threshold"]), float(data["low"]), float(data.get("ratio", 0.0)))  # fmt: skip


def load_models(path: Path = MODEL_PATH) -> dict[str, TwoStageModel]:
    """The shipped models by mode ("text", "html"); empty when the file is missing."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: TwoStageModel.from_dict(value) for name, value in data["models"].items()}
