"""The text stage: Unicode repair and PII redaction, after segmentation, before any signal.

Why here: segmenters decide where the spans are (the HTML segmenter even builds the
text from the page), and every signal after them must see the text that is written out.
The stage rewrites `document.text` piece by piece between segment boundaries and line
breaks, and moves every segment's offsets with it, so after it segments index the text
as written out; the text as read is kept in `document.read_text`.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

from thresher.annotator import SignalSpec
from thresher.document import Document
from thresher.pii.matcher import find_pii
from thresher.pii.redact import RedactSettings, redact
from thresher.text.repair import repair_text

UNICODE_REPAIRS = SignalSpec(
    "unicode_repairs",
    "int",
    "document",
    "Unicode repairs made before any signal ([text] fix_unicode): wrong decodings undone, entities, "
    "control characters, NFC (odd spaces are unified but not counted)",
)
STAGE_NAME = "text"


@dataclass(frozen=True, slots=True)
class TextSettings:
    """The policy's `[text]` table."""

    fix_unicode: bool = False


class TextStage:
    """Repairs and redacts the documents' text in place, moving their segments with it."""

    name = STAGE_NAME

    def __init__(self, text: TextSettings | None, redaction: RedactSettings | None) -> None:
        self.fix_unicode = text is not None and text.fix_unicode
        self.redaction = redaction
        self.signals: tuple[SignalSpec, ...] = (UNICODE_REPAIRS,) if self.fix_unicode else ()

    def annotate(self, documents: list[Document]) -> None:
        for document in documents:
            if document.read_text is not None:  # analysed again after a failure: start from what was read
                document.text = document.read_text
                document.read_text = None
            read = document.text
            if self.fix_unicode:
                self._repair(document)
            if self.redaction is not None:
                self._redact(document, self.redaction)
            if document.text != read:
                document.read_text = read

    def _repair(self, document: Document) -> None:
        text = document.text
        bounds = _boundaries(document)
        pieces: list[str] = []
        moved: dict[int, int] = {}
        repairs = 0
        length = 0
        changed = False
        for start, end in itertools.pairwise(bounds):
            moved[start] = length
            piece, count = repair_text(text[start:end])
            repairs += count
            changed = changed or piece != text[start:end]
            pieces.append(piece)
            length += len(piece)
        moved[len(text)] = length
        document.analysis.signals[UNICODE_REPAIRS.name] = repairs
        if changed:
            document.text = "".join(pieces)
            for segment in document.analysis.segments:
                segment.start, segment.end = moved[segment.start], moved[segment.end]

    def _redact(self, document: Document, settings: RedactSettings) -> None:
        spans = find_pii(document.text)
        if not spans:
            return
        redacted, reasons = redact(document.text, spans, settings)
        document.analysis.redactions = reasons
        # Shift each offset by the size change of the replacements before it; an offset
        # inside a replaced span moves to the end of its placeholder.
        starts = [span.start for span in spans if span.kind in settings.kinds]
        shifts: list[int] = []
        ends: list[int] = []
        total = 0
        for reason in reasons:
            assert reason.span is not None and isinstance(reason.value, str)
            total += len(reason.value) - (reason.span[1] - reason.span[0])
            shifts.append(total)
            ends.append(reason.span[1])

        def move(offset: int) -> int:
            index = bisect.bisect_right(starts, offset - 1) - 1  # last replacement starting before offset
            if index < 0:
                return offset
            if offset < ends[index]:  # inside it: to the end of its placeholder
                return ends[index] + shifts[index]
            return offset + shifts[index]

        for segment in document.analysis.segments:
            segment.start, segment.end = move(segment.start), move(segment.end)
        document.text = redacted


def _boundaries(document: Document) -> list[int]:
    """Offsets the repair must not cross: segment edges and the starts of lines."""
    text = document.text
    bounds = {0, len(text)}
    for segment in document.analysis.segments:
        bounds.add(segment.start)
        bounds.add(segment.end)
    position = text.find("\n")
    while position != -1:
        bounds.add(position + 1)
        position = text.find("\n", position + 1)
    return sorted(b for b in bounds if 0 <= b <= len(text))
