"""A user's fastText classifiers (`[[classifiers]]`): label probabilities as signals.

The model runs in fastText's own C++ (`fasttext-predict`, already a dependency for language
ID), so any supervised model fastText trains works: softmax, one-vs-all or hierarchical
softmax, word n-grams, quantized `.ftz` or full `.bin`. Each worker loads each model once
(cached by path, size and modification time) and scores a batch's texts in one pass.

A text is prepared as datatrove's `FastTextClassifierFilter` prepares it with
`newline_replacement=" "` (stripped, newlines become spaces, whole text), so a model trained
for a datatrove or DCLM pipeline gives the same scores here (`benchmarks/byo.py` prints the
largest difference). The strip matters: Python strips Unicode spaces such as U+00A0, which
fastText would read as part of the last word. A blank text has no score (no rule fires on it).
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from thresher.annotator import SignalSpec
from thresher.document import Document


@cache
def _load(path: str, size: int, mtime_ns: int) -> Any:
    import fasttext

    return fasttext.load_model(path)


def load_model(path: str) -> Any:
    """The fastText model at `path`, loaded once per process (again only if the file changed)."""
    stat = os.stat(path)
    return _load(path, stat.st_size, stat.st_mtime_ns)


def label_probabilities(model: Any, texts: list[str], labels: tuple[str, ...]) -> list[tuple[float, ...] | None]:
    """Each label's probability for each text (None for a blank text), from one batched call."""
    out: list[tuple[float, ...] | None] = [None] * len(texts)
    chosen = [i for i, text in enumerate(texts) if text and not text.isspace()]
    if not chosen:
        return out
    # fasttext-predict's multilinePredict returns labels without probabilities, so each line
    # is one C++ call (a few microseconds of overhead against the model's own work).
    predict = model.f.predict
    for i in chosen:
        line = texts[i].strip().replace("\n", " ") + "\n"
        try:
            predictions = predict(line, -1, 0.0, "replace")
        except TypeError:  # a lone surrogate (undecodable input byte) cannot cross into C++ as UTF-8
            predictions = predict(line.encode("utf-8", "replace").decode("utf-8"), -1, 0.0, "replace")
        scores = {label: probability for probability, label in predictions}
        out[i] = tuple(min(1.0, float(scores.get(label, 0.0))) for label in labels)
    return out


class ClassifierSignals:
    """Writes one `[[classifiers]]` entry's signals at document level, segment level, or both."""

    def __init__(
        self,
        name: str,
        model: str,
        labels: tuple[str, ...],
        signals: tuple[str, ...],
        level: str,
        specs: tuple[SignalSpec, ...],
    ) -> None:
        self.name = f"byo.classifier.{name}"
        self.model = load_model(model)
        self.labels, self.signal_names, self.level = labels, signals, level
        self.signals = specs

    def annotate(self, documents: list[Document]) -> None:
        owners: list[dict[str, Any]] = []
        texts: list[str] = []
        if self.level in ("document", "both"):
            for document in documents:
                owners.append(document.analysis.signals)
                texts.append(document.text)
        if self.level in ("segment", "both"):
            for document in documents:
                text = document.text
                for segment in document.analysis.segments:
                    owners.append(segment.signals)  # type: ignore[arg-type]
                    texts.append(text[segment.start : segment.end])
        for signals, scores in zip(owners, label_probabilities(self.model, texts, self.labels), strict=True):
            for name, index in zip(self.signal_names, range(len(self.labels)), strict=True):
                signals[name] = None if scores is None else scores[index]
