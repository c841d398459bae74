"""`machine`: the probability that a text was written by a language model, per segment and document.

Scored: every `main` and `comment` segment with at least the model's `min_words` words
(fewer say too little: `training/machine_text.py` prints the AUROC of texts cut to N words),
and the document over all its `main` segments together. Everything else (titles,
boilerplate, link spam, short segments) gets no value, so a rule on it never fires there.

English only: the model was trained on English text alone, so a document whose language
(the `language` signal, or fastText lid.176 on its main text when no earlier annotator set
it) is not English gets no value at all, rather than a guess.

The score is the model's probability under equal priors of human and machine text; the
`default` policy's threshold was chosen on human news paragraphs (at most 1% flagged), not
at 0.5.

The document's value is the word-weighted mean of its main segments' log-odds, not the
score of all its main text as one unit. Why: the model's log-odds grow with a text's
length (its evidence is summed over words and divided by only their square root), so a
whole page scored at once lands further from 0.5 than the paragraphs the threshold was
chosen on, and a threshold that flags 1% of human news paragraphs flagged 2.4% of the
English documents of a 2019 crawl (5 of 208) that way; the mean keeps a document on the
paragraphs' scale (`benchmarks/machine_text.py` prints both). A page that is machine-written
throughout still scores like its paragraphs; one machine-written paragraph among human
ones is diluted by the words around it, and its segment keeps its own value.
"""

from __future__ import annotations

import numpy as np

from thresher.annotator import LazyModel, SignalSpec
from thresher.document import Document, SegmentKind
from thresher.signals.language import identify
from thresher.signals.machine_model import MachineTextModel, shipped_model

SCORED_KINDS: frozenset[str] = frozenset({SegmentKind.MAIN.value, SegmentKind.COMMENT.value})
MAIN = SegmentKind.MAIN.value
ENGLISH = "en"


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Probabilities from log-odds, without overflow warnings for large negative logits."""
    return 0.5 * (1.0 + np.tanh(0.5 * logits))


def document_languages(documents: list[Document]) -> list[str | None]:
    """The `language` signal of each document, identified here on the main text when missing."""
    languages: list[str | None] = [d.analysis.signals.get("language") for d in documents]  # type: ignore[misc]
    missing = [i for i, d in enumerate(documents) if "language" not in d.analysis.signals]
    if missing:
        texts = []
        for i in missing:
            document = documents[i]
            parts = [document.text[s.start : s.end] for s in document.analysis.segments if s.kind == MAIN]
            texts.append(" ".join(parts) if parts else document.text)
        for i, (language, _, _) in zip(missing, identify(texts), strict=True):
            languages[i] = language
    return languages


class MachineTextAnnotator:
    """Writes `machine` to main and comment segments and to the document (its main text)."""

    name = "signals.machine"
    signals = (
        SignalSpec(
            "machine",
            "float",
            "segment",
            "P(written by a language model) of a main or comment segment of >= 30 words, English documents only",
        ),
        SignalSpec(
            "machine",
            "float",
            "document",
            "P(written by a language model) of the main text (>= 30 words): the word-weighted mean "
            "of its main segments' log-odds; "
            "English only: other languages get no value, the model saw English alone",
        ),
    )

    model: LazyModel[MachineTextModel] = LazyModel(shipped_model)  # loaded by the first `annotate`

    def __init__(self, model: MachineTextModel | None = None) -> None:
        if model is not None:
            self.model = model

    def annotate(self, documents: list[Document]) -> None:
        languages = document_languages(documents)
        model = self.model
        texts: list[str] = []
        targets: list[dict] = []  # each scored segment's signals
        owner: list[int] = []  # each scored segment's document
        is_main: list[bool] = []
        for d, document in enumerate(documents):
            if languages[d] != ENGLISH:
                document.analysis.signals["machine"] = None
                continue
            text = document.text
            for segment in document.analysis.segments:
                if segment.kind in SCORED_KINDS:
                    texts.append(text[segment.start : segment.end])
                    targets.append(segment.signals)
                    owner.append(d)
                    is_main.append(segment.kind == MAIN)
        raw, count, words = model.parts(texts)  # one feature pass for the whole batch
        logits = model.logits(raw, count)
        probability = np.round(sigmoid(logits), 4).tolist()
        for k in np.flatnonzero(words >= model.min_words).tolist():
            targets[k]["machine"] = probability[k]
        # The document: the word-weighted mean of its main segments' log-odds (see the module doc).
        # bincount adds each document's terms in segment order, as a loop over them would.
        main = np.array(is_main, dtype=bool)
        main_owner = np.array(owner, dtype=np.int64)[main]
        weighted = np.bincount(main_owner, weights=(logits * words)[main], minlength=len(documents))
        doc_words = np.bincount(main_owner, weights=words[main], minlength=len(documents))
        doc_probability = np.round(sigmoid(weighted / np.maximum(doc_words, 1.0)), 4).tolist()
        enough = (doc_words >= model.min_words).tolist()
        for d, document in enumerate(documents):
            if languages[d] == ENGLISH:
                document.analysis.signals["machine"] = doc_probability[d] if enough[d] else None
