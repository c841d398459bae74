"""Size signals every policy needs: characters, words and lines, per document and segment.

Words here are white-space separated tokens: cheap, language-neutral and exact enough
for size limits. Quality signals that must match a reference tokenizer live elsewhere.
"""

from __future__ import annotations

from thresher.annotator import SignalSpec
from thresher.document import Document


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
