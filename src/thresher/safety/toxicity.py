"""Toxicity per segment: four heads of one multi-source n-gram model, language-gated, with context.

Why language gating: the model was trained and measured on English comments, posts and
ordinary web text (`training/toxicity.py`). German, Korean and Chinese labelled sets exist,
but trained on them the model flagged neutral news and blog text in those languages (no
ordinary web text of theirs to learn from), so they are not scored. Scoring another language would be a
guess from those languages' n-grams ("negro" is Spanish for black), so a segment in any
other language, or one whose language is unknown, gets no value (None): a policy rule does
not fire on it. The language is the segment's `language` from the language annotator when
it ran before this one, and is computed here otherwise.

Why context for short segments: a segment of a few words (a name in a cast list, a dish, a
menu item) gives the model one or two words to go on, and a single word is not enough to
call text hostile. Its evidence is shrunk towards ordinary web text in proportion to the
words it lacks, and a short segment still flagged is scored again together with its
neighbouring segments, keeping the lower of the two scores, so it stays flagged only when
its surroundings are hostile too (a short reply in a thread of insults).

Why a cascade: the linear n-gram model scores every segment; the toxicity head's second
stage (a linear head over static sentence embeddings, stacked with the linear logit; see
`toxicity_model.SecondStage`) rescores only the segments the linear model cannot call clean.
Ordinary web text is mostly far below that line, so few segments pay for the embedding,
and the embedding table is loaded only when the first such segment arrives. The shipped
model has no second stage (measured, it did not pay: see `toxicity_model`), so today every
segment is scored by the n-gram model alone and no embedding is ever loaded.

Why separate heads: `profanity` (obscene words whatever the tone) is not `toxicity`; the
default policy trims on `toxicity` only. `identity_attack` and `threat` are weakly
supervised (see the training script) and are signals, not policy defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from thresher.annotator import LazyModel, SignalSpec
from thresher.document import Document
from thresher.safety.common import segment_signals, write_columns
from thresher.safety.toxicity_model import HEADS, ToxicityModel, shipped_model
from thresher.text.embeddings import StaticEmbeddings, shipped_embeddings

Embedder = Callable[[], StaticEmbeddings]

FLAG = 0.5
SHORT_WORDS = 6  # under this many words a segment's evidence is shrunk, and a flagged one judged in context
# The languages the shipped model scores (its file says so too; a test checks they agree), named
# here so `thresher signals` can say it without loading the model.
SCORED_LANGUAGES: tuple[str, ...] = ("en",)
SHORT_PRIOR = -4.0  # log-odds assumed for a text with no words: P = 0.018, ordinary web text


def _languages(documents: list[Document], texts: list[str]) -> list[str | None]:
    """The language of every segment: the language annotator's value, or identified here."""
    segments = [s for d in documents for s in d.analysis.segments]
    if segments and all("language" in s.signals for s in segments):
        return [s.signals["language"] for s in segments]  # type: ignore[misc]
    from thresher.signals.language import identify

    return [language for language, _, _ in identify(texts)]


def context_windows(texts: list[str], owners: list[int], rows: list[int]) -> list[str]:
    """For each row index, its text between the texts of its neighbours in the same document.

    `owners[i]` is the document of text i; a neighbour from another document is left out.
    """
    windows = []
    for i in rows:
        parts = [texts[j] for j in (i - 1, i, i + 1) if 0 <= j < len(texts) and owners[j] == owners[i]]
        windows.append("\n".join(parts))
    return windows


def score_segments(
    model: ToxicityModel,
    texts: list[str],
    languages: list[str | None],
    owners: list[int],
    embeddings: Embedder | None = shipped_embeddings,
) -> np.ndarray:
    """P(flag) `(len(texts), heads)` of every segment; NaN where its language is not scored.

    One model call for the scored segments, one more for the flagged short ones in context.
    `embeddings` gives the static embeddings of the second stage (called only when a
    segment needs it); None scores with the linear model alone.
    """
    out = np.full((len(texts), len(HEADS)), np.nan)
    scored = [i for i, language in enumerate(languages) if language in model.languages]
    if not scored:
        return out
    probs, words = _shrunk_proba(model, [texts[i] for i in scored], embeddings)
    out[scored] = probs
    short = np.asarray(scored)[(words < SHORT_WORDS) & (probs.max(axis=1) >= FLAG)].tolist()
    if short:
        context, _ = _shrunk_proba(model, context_windows(texts, owners, short), embeddings)
        out[short] = np.minimum(out[short], context)
    return out


def cascade_logits(
    model: ToxicityModel, texts: list[str], embeddings: Embedder | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-odds per head, word counts, and the rows the second stage rescored.

    The linear model scores every text; where its toxicity logit is >= the second stage's
    `low`, the toxicity logit is replaced by the stacked one. The other heads stay linear.
    """
    logits, words = model.scores(texts)
    stage = model.second
    if stage is None or embeddings is None:
        return logits, words, np.zeros(0, dtype=np.int64)
    uncertain = np.flatnonzero(logits[:, 0] >= stage.low)
    if uncertain.size:
        table = embeddings()
        if table.dims != stage.dims:
            raise ValueError(f"the toxicity model's second stage expects {stage.dims}-d embeddings, not {table.dims}")
        embedded = table.encode([texts[i] for i in uncertain])
        logits[uncertain, 0] = stage.combine(logits[uncertain, 0], embedded)
    return logits, words, uncertain


def _shrunk_proba(model: ToxicityModel, texts: list[str], embeddings: Embedder | None) -> tuple[np.ndarray, np.ndarray]:
    """P(flag) per head, each text's log-odds pulled towards SHORT_PRIOR in proportion to its missing words.

    A text of w < SHORT_WORDS words keeps w / SHORT_WORDS of its own evidence: one word
    ("F", a surname) cannot reach the threshold unless the model is very sure of it.
    """
    logits, words, _ = cascade_logits(model, texts, embeddings)
    scale = np.minimum(1.0, words / SHORT_WORDS)[:, None]
    logits = scale * logits + (1.0 - scale) * SHORT_PRIOR
    return 1.0 / (1.0 + np.exp(-logits)), words


class ToxicityAnnotator:
    """Writes `toxicity`, `profanity`, `identity_attack` and `threat` per segment; toxicity's maximum per document."""

    name = "safety.toxicity"
    signals = (
        SignalSpec(
            "toxicity",
            "float",
            "segment",
            "P(hostile, insulting, hateful or threatening); >= 0.5 is flagged; scored language(s): "
            f"{', '.join(SCORED_LANGUAGES)} (None for any other); a short segment is judged with its neighbours",
        ),
        SignalSpec("profanity", "float", "segment", "P(obscene words, whatever the tone); not toxicity by itself"),
        SignalSpec("identity_attack", "float", "segment", "P(attack on a group's identity); weakly supervised"),
        SignalSpec("threat", "float", "segment", "P(threat or call for violence); weakly supervised, English data"),
        SignalSpec("toxicity", "float", "document", "maximum segment toxicity; None when no segment was scored"),
    )

    model: LazyModel[ToxicityModel] = LazyModel(shipped_model)  # loaded by the first `annotate`
    # Loaded when the first segment reaches the second stage (most batches of ordinary text need it rarely).
    embeddings: LazyModel[StaticEmbeddings] = LazyModel(shipped_embeddings)

    def __init__(self, model: ToxicityModel | None = None) -> None:
        if model is not None:
            self.model = model

    def _embeddings(self) -> StaticEmbeddings:
        return self.embeddings

    def annotate(self, documents: list[Document]) -> None:
        texts: list[str] = []
        owners: list[int] = []
        for d, document in enumerate(documents):
            for segment in document.analysis.segments:
                texts.append(document.text[segment.start : segment.end])
                owners.append(d)
        languages = _languages(documents, texts) if texts else []
        probs = score_segments(self.model, texts, languages, owners, self._embeddings)
        columns: list[list[Any]] = np.where(np.isnan(probs), None, np.round(probs, 4)).T.tolist()
        if not texts:
            columns = [[] for _ in HEADS]
        write_columns(segment_signals(documents), HEADS, columns)
        position = 0
        for document in documents:
            worst: float | None = None
            count = len(document.analysis.segments)
            for value in columns[0][position : position + count]:
                if value is not None:
                    worst = value if worst is None else max(worst, value)
            position += count
            document.analysis.signals["toxicity"] = worst
