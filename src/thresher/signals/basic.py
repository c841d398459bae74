"""Size signals every policy needs: characters, words and lines, per document and segment.

Words here are white-space separated tokens: cheap, language-neutral and exact enough
for size limits. Quality signals that must match a reference tokenizer live elsewhere.
"""

from __future__ import annotations

from itertools import chain
from operator import attrgetter

import numpy as np

from thresher.annotator import SignalSpec
from thresher.document import Document
from thresher.signals._tokens import native_available

try:
    from thresher import _native
except ImportError:  # not compiled: the per-document Python loop below
    _native = None  # type: ignore[assignment]


def char_count(text: str) -> int:
    """Characters of `text`, counting every code point."""
    return len(text)


def whitespace_word_count(text: str) -> int:
    """White-space separated tokens of `text`."""
    return len(text.split())


def non_blank_line_count(text: str) -> int:
    """Lines of `text` holding anything but white space."""
    return sum(1 for line in text.split("\n") if line.strip())


class SizeSignals:
    """Writes `char_count`, `word_count`, `line_count` (document) and sizes per segment."""

    name = "signals.size"
    signals = (
        SignalSpec("char_count", "int", "document", "characters in the text"),
        SignalSpec("word_count", "int", "document", "white-space separated words"),
        SignalSpec("line_count", "int", "document", "non-blank lines"),
        SignalSpec("segment_count", "int", "document", "segments the text was split into"),
        SignalSpec("char_count", "int", "segment", "characters in the segment"),
        SignalSpec("word_count", "int", "segment", "white-space separated words in the segment"),
    )

    def annotate(self, documents: list[Document]) -> None:
        if native_available() and hasattr(_native, "size_counts") and self._annotate_native(documents):
            return
        for document in documents:
            text = document.text
            signals = document.analysis.signals
            signals["char_count"] = char_count(text)
            signals["word_count"] = whitespace_word_count(text)
            signals["line_count"] = non_blank_line_count(text)
            signals["segment_count"] = len(document.analysis.segments)
            for segment in document.analysis.segments:
                piece = text[segment.start : segment.end]
                segment.signals["char_count"] = len(piece)
                segment.signals["word_count"] = whitespace_word_count(piece)

    @staticmethod
    def _annotate_native(documents: list[Document]) -> bool:
        """`annotate` with the counts from one C pass over each text (no str per word, line or
        segment); False, having written nothing, when a segment has a negative bound (Python's
        slicing counts those from the end: the loop handles them)."""
        count = len(documents)
        texts = [document.text for document in documents]
        segments = [document.analysis.segments for document in documents]
        all_segments = list(chain.from_iterable(segments))
        per_text = np.fromiter(map(len, segments), dtype=np.int64, count=count)
        bounds = chain.from_iterable(map(attrgetter("start", "end"), all_segments))
        flat = np.fromiter(bounds, dtype=np.int64, count=2 * len(all_segments))
        if (flat < 0).any():
            return False
        starts, ends = flat[0::2].copy(), flat[1::2].copy()
        out = np.empty(2 * count + len(starts), dtype=np.int64)
        _native.size_counts(texts, starts, ends, per_text, out)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=count)
        text_length = np.repeat(lengths, per_text)
        clipped = np.minimum(ends, text_length) - np.minimum(starts, text_length)  # as slicing cuts
        _native.set_columns(
            [document.analysis.signals for document in documents],
            ("char_count", "word_count", "line_count", "segment_count"),
            [lengths.tolist(), out[:count].tolist(), out[count : 2 * count].tolist(), per_text.tolist()],
        )
        _native.set_columns(
            [segment.signals for segment in all_segments],
            ("char_count", "word_count"),
            [np.maximum(clipped, 0).tolist(), out[2 * count :].tolist()],
        )
        return True
