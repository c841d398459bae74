"""The labelling segmenters: HTML pages from their DOM, plain text from what the lines show.

`HtmlSegmenter` runs first: for a document that carries its HTML source it rebuilds the
text as the page's whole visible text, one block a line, from one DOM pass, and labels every
block (so comments and navigation stay in `text` as labelled segments instead of being
dropped). `TextSegmenter` labels the lines of every other document from text features
alone, the case of WET files and published corpora. Both score lines with the two-stage
linear model in `models/segmenter.json` (trained by `training/segmenter.py`), decode the
article as one contiguous run, then name the rest with the structural rules of
`thresher.segments.labelling`. Each segment gets `segment_score` (confidence in its kind) and
`main_probability`.

`TextSegmenter` does every step once per batch: the per-document sequences of the second
stage and the decoding run through `segments.model.window_means` & co. (one C call for the
batch, or the one-document NumPy functions per document without the kernel), and the
labelling rules run over the batch's arrays (`label_text_batch`), with the few documents
that have a comment section labelled by `label_lines` itself.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from thresher.annotator import LazyModel, SignalSpec
from thresher.document import Document, Segment
from thresher.segments._kernels import native_available, stripped_lines
from thresher.segments.dom import CUE_NAMES, html_blocks
from thresher.segments.features import (
    TEXT_FEATURE_NAMES,
    LineBatch,
    batch_text_features,
    html_feature_names,
    html_features_batch,
)
from thresher.segments.labelling import (
    BOILERPLATE,
    KIND_NAMES,
    MAIN,
    TITLE,
    LineLabels,
    apply_batch_repeats,
    batch_repeats,
    label_lines,
    label_text_batch,
    title_line,
    title_lines,
)
from thresher.segments.lines import line_spans
from thresher.segments.model import MODEL_PATH, TwoStageModel, load_models

SEGMENT_SIGNALS: tuple[SignalSpec, ...] = (
    SignalSpec("segment_score", "float", "segment", "segmenter's confidence (0..1) in the segment's kind"),
    SignalSpec("main_probability", "float", "segment", "segmenter's P(the line is article text)"),
)

_WORDS_COLUMN = TEXT_FEATURE_NAMES.index("log_words")
_MODELS: dict[str, TwoStageModel] = {}


def _model(mode: str) -> TwoStageModel:
    """The shipped model for `mode`, loaded once per process."""
    if not _MODELS:
        _MODELS.update(load_models())
    if mode not in _MODELS:
        raise RuntimeError(f"segmenter model {mode!r} missing from {MODEL_PATH}; run training/segmenter.py")
    return _MODELS[mode]


def _segments(
    spans: Sequence[tuple[int, int]], text: str, labels: LineLabels, probabilities: np.ndarray
) -> list[Segment]:
    """One segment per line; a glued prefix becomes its own boilerplate segment before the line's main text."""
    scores = np.round(labels.scores, 4).tolist()
    return _line_segments(spans, text, labels.kinds, labels.glued, scores, np.round(probabilities, 4).tolist())


def _line_segments(
    spans: Sequence[tuple[int, int]],
    text: str,
    kinds: Sequence[str],
    glued: Sequence[int],
    scores: Sequence[float],
    main_p: Sequence[float],
) -> list[Segment]:
    """`_segments` from a document's kinds, glued prefix lengths and rounded scores and P(main)."""
    segments: list[Segment] = []
    for (start, end), kind, prefix, score, p in zip(spans, kinds, glued, scores, main_p, strict=True):
        signals = {"segment_score": score, "main_probability": p}
        if prefix:
            rest = start + prefix
            while rest < end and text[rest] == " ":
                rest += 1
            segments.append(Segment(start, start + prefix, BOILERPLATE, {"segment_score": 0.9, "main_probability": p}))
            segments.append(Segment(rest, end, kind, signals))
        else:
            segments.append(Segment(start, end, kind, signals))
    return segments


def _apply_repeats(labels: LineLabels, repeated: np.ndarray) -> None:
    for i in np.flatnonzero(repeated):
        if labels.kinds[i] in (MAIN, TITLE):
            labels.kinds[i] = BOILERPLATE
            labels.glued[i] = 0


_HEADING_COLUMN = TEXT_FEATURE_NAMES.index("heading_like")


class TextSegmenter:
    """Labels the lines of plain-text documents (no HTML source) title/main/comment/boilerplate/link_spam."""

    name = "segments.text"
    signals: tuple[SignalSpec, ...] = SEGMENT_SIGNALS

    model: LazyModel[TwoStageModel] = LazyModel(lambda: _model("text"))  # loaded by the first `annotate`

    def annotate(self, documents: list[Document]) -> None:
        todo = [d for d in documents if not d.analysis.segments and d.html is None]
        if native_available():
            lines, spans, sizes = stripped_lines([d.text for d in todo])
            batch = LineBatch([], flat=(lines, sizes, spans[:, 1] - spans[:, 0]))
            lines_of = [lines[a:b] for a, b in itertools.pairwise(batch.offsets.tolist())]
            starts, ends = spans[:, 0].tolist(), spans[:, 1].tolist()
        else:
            spans_of = [line_spans(d.text) for d in todo]
            lines_of = [[d.text[s:e] for s, e in spans] for d, spans in zip(todo, spans_of, strict=True)]
            batch = LineBatch(lines_of)
            starts = [start for spans in spans_of for start, _ in spans]
            ends = [end for spans in spans_of for _, end in spans]
        if not len(batch):
            return
        features = batch_text_features(batch)
        first = self.model.stage1.probabilities(features)
        # The C kernels assume finite numbers (NumPy's NaN rules are not reproduced there).
        native = native_available() and bool(np.isfinite(first).all())
        words, separators, offsets = batch.words, batch.separators, batch.offsets
        probabilities = self.model.rescore_text_batch(first, words, offsets, native)
        main = self.model.decode_batch(probabilities, words, offsets, native)
        titles = title_lines(features[:, _HEADING_COLUMN] > 0, main, offsets, native)
        labels = label_text_batch(batch.lines, features, probabilities, main, titles, offsets, separators)
        apply_batch_repeats(labels, np.concatenate(batch_repeats(lines_of)))
        kinds = [KIND_NAMES[code] for code in labels.kinds.tolist()]
        main_p = np.round(probabilities, 4).tolist()
        scores = np.round(labels.scores, 4).tolist()
        glued_documents = set(batch.doc_of_line[labels.glued > 0].tolist())
        bounds = offsets.tolist()
        for number, document in enumerate(todo):
            a, b = bounds[number], bounds[number + 1]
            if a == b:
                continue
            if number in glued_documents:
                spans = list(zip(starts[a:b], ends[a:b], strict=True))
                document.analysis.segments = _line_segments(
                    spans, document.text, kinds[a:b], labels.glued[a:b].tolist(), scores[a:b], main_p[a:b]
                )
            else:
                document.analysis.segments = [
                    Segment(start, end, kind, {"segment_score": score, "main_probability": p})
                    for start, end, kind, score, p in zip(
                        starts[a:b], ends[a:b], kinds[a:b], scores[a:b], main_p[a:b], strict=True
                    )
                ]


_HTML_NAMES = html_feature_names(CUE_NAMES, 0)
_TITLE_OVERLAP = _HTML_NAMES.index("title_overlap")
_CUE_HEADING = _HTML_NAMES.index("cue_heading")
_CUE_COMMENT = _HTML_NAMES.index("cue_comment")


def html_title_line(features: np.ndarray, main: np.ndarray, heading: np.ndarray) -> int | None:
    """The headline block: a heading (h1-h6) that echoes the page's <title>, at or before the article.

    Among headings up to one block into the article with at least half their words in the
    <title>, the best match wins (ties: the one nearest the article). Without one, fall back to
    the plain-text rule (a heading-like line just above the first main line).
    """
    main_positions = np.flatnonzero(main)
    limit = int(main_positions[0]) + 2 if len(main_positions) else len(main)
    overlap = features[:limit, _TITLE_OVERLAP]
    candidates = np.flatnonzero((features[:limit, _CUE_HEADING] > 0) & (overlap >= 0.5))
    if len(candidates):
        best = candidates[overlap[candidates] == overlap[candidates].max()]
        return int(best[-1])
    return title_line(heading, main)


class HtmlSegmenter:
    """For documents with an HTML source: text := the page's visible text by blocks, every block labelled."""

    name = "segments.html"
    signals: tuple[SignalSpec, ...] = SEGMENT_SIGNALS

    model: LazyModel[TwoStageModel] = LazyModel(lambda: _model("html"))  # loaded when a page with HTML comes

    def annotate(self, documents: list[Document]) -> None:
        todo = [d for d in documents if not d.analysis.segments and d.html is not None]
        pages = [html_blocks(d.html or "") for d in todo]
        features, batch = html_features_batch(pages)
        first = self.model.stage1.probabilities(features) if len(batch) else np.zeros(0)
        words, separators = batch.words, batch.separators
        repeats = batch_repeats([blocks.lines for blocks in pages])
        offset = 0
        for document, blocks, repeated in zip(todo, pages, repeats, strict=True):
            lines = blocks.lines
            part = slice(offset, offset + len(lines))
            offset += len(lines)
            document.text = blocks.text
            if not lines:
                continue
            spans: list[tuple[int, int]] = []
            start = 0
            for line in lines:
                spans.append((start, start + len(line)))
                start += len(line) + 1
            containers = np.asarray(blocks.containers, dtype=np.int64).reshape(len(lines), -1)
            probabilities = self.model.rescore(first[part], words[part], containers)
            main = self.model.decode(probabilities, words[part])
            title = html_title_line(features[part], main, features[part, _HEADING_COLUMN] > 0)
            labels = label_lines(
                lines, features[part], probabilities, main, title, blocks.title,
                comment_mask=features[part, _CUE_COMMENT] > 0, find_comments=False, separators=separators[part],
            )  # fmt: skip
            _apply_repeats(labels, repeated)
            document.analysis.segments = _segments(spans, document.text, labels, probabilities)
