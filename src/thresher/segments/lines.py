"""The baseline segmenter: one segment per non-blank line, every one labelled `main`.

Web text as crawlers store it (WET, most published corpora) has one paragraph a line, so
lines are the natural unit to trim. This segmenter labels nothing; it gives every later
annotator and the policy spans to work on until a labelling segmenter replaces it.
"""

from __future__ import annotations

import re

from thresher.annotator import SignalSpec
from thresher.document import Document, Segment, SegmentKind

# From the first to the last non-space character of a line: `\S` never matches a line
# break and `[^\n]` never crosses one, so each match is one stripped, non-blank line.
_STRIPPED_LINE = re.compile(r"\S(?:[^\n]*\S)?")
_MAIN = SegmentKind.MAIN.value


def line_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the non-blank lines of `text`, without their line breaks or edge spaces."""
    return [match.span() for match in _STRIPPED_LINE.finditer(text)]


class LineSegmenter:
    """Gives each document without segments one `main` segment per non-blank line."""

    name = "segments.lines"
    signals: tuple[SignalSpec, ...] = ()

    def annotate(self, documents: list[Document]) -> None:
        for document in documents:
            if document.analysis.segments:
                continue
            document.analysis.segments = [Segment(start, end, _MAIN) for start, end in line_spans(document.text)]
