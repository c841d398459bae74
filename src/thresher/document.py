"""The document model every stage shares.

A reader turns input into `Document`s; annotators add segments and signals to the
document's `Analysis`; the policy fills in the decision; writers serialise it. Keeping
this one small structure the only thing stages exchange is what lets the same
annotators run inside the CLI, the Python API, a worker process or a Ray task.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

SignalValue = float | int | bool | str | None


class SegmentKind(str, Enum):
    """What a span of a document is. Policies keep or trim spans by kind."""

    TITLE = "title"
    MAIN = "main"
    COMMENT = "comment"
    BOILERPLATE = "boilerplate"
    LINK_SPAM = "link_spam"


SEGMENT_KINDS: tuple[str, ...] = tuple(kind.value for kind in SegmentKind)


class Decision(str, Enum):
    KEEP = "keep"
    TRIM = "trim"
    DROP = "drop"


@dataclass(slots=True)
class Reason:
    """Why something was removed: the rule, the signal it read, the value seen and the threshold.

    A reason is data, not prose, so a user can count, filter and tune on it; `message`
    is only the human rendering of the same facts.
    """

    rule: str
    signal: str | None = None
    value: SignalValue = None
    op: str | None = None
    threshold: Any = None
    message: str = ""
    # [start, end) of what the reason is about in the text before redaction (a redaction's
    # replaced span); absent from the output for reasons about a whole document or segment.
    span: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {
            "rule": self.rule,
            "signal": self.signal,
            "value": self.value,
            "op": self.op,
            "threshold": self.threshold,
            "message": self.message,
        }
        if self.span is not None:
            data["span"] = list(self.span)
        return data


@dataclass(slots=True)
class Segment:
    """A character span `[start, end)` of the document's original text, with a kind.

    Segments index into the original text (``thresher.original_text`` in output), so a
    trimmed record can always be mapped back to what the crawler stored. When the policy
    repairs or redacts the text first ([text], [redact]), they index that text instead
    (``thresher.analysed_text`` for a trimmed record; see `Pipeline.thresher_field`).
    """

    start: int
    end: int
    kind: str = SegmentKind.MAIN.value
    signals: dict[str, SignalValue] = field(default_factory=dict)
    kept: bool = True
    reasons: list[Reason] = field(default_factory=list)

    def text_of(self, text: str) -> str:
        return text[self.start : self.end]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
            "kept": self.kept,
            "signals": self.signals,
            "reasons": [reason.to_dict() for reason in self.reasons],
        }


@dataclass(slots=True)
class Analysis:
    """Everything Thresher learned about a document and what it decided."""

    segments: list[Segment] = field(default_factory=list)
    signals: dict[str, SignalValue] = field(default_factory=dict)
    decision: Decision = Decision.KEEP
    reasons: list[Reason] = field(default_factory=list)
    # Personal data replaced by placeholders before any signal (the policy's [redact]
    # table): one reason per replacement, with its span in the text before redaction.
    redactions: list[Reason] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "decision": self.decision.value,
            "reasons": [reason.to_dict() for reason in self.reasons],
            "signals": self.signals,
            "segments": [segment.to_dict() for segment in self.segments],
        }
        if self.redactions:
            data["redactions"] = [reason.to_dict() for reason in self.redactions]
        return data


@dataclass(slots=True)
class Document:
    """One input record: its text and identity, the record it came from, and its analysis."""

    id: str
    text: str
    url: str | None = None
    html: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    analysis: Analysis = field(default_factory=Analysis)
    # The text as read, when Unicode repair or redaction changed `text` before analysis
    # (None otherwise): segments and signals always describe `text`.
    read_text: str | None = None

    def kept_text(self) -> str:
        """The text a trimmed document keeps: its kept segments in order.

        Consecutive kept segments keep the original separator between them (usually a
        newline); where segments were cut out, the joint is one newline, so a paragraph
        structure of one paragraph a line survives trimming.
        """
        pieces: list[str] = []
        previous_end: int | None = None
        previous_kept = False
        for segment in self.analysis.segments:
            if segment.kept:
                if previous_end is not None and pieces:
                    gap = self.text[previous_end : segment.start]
                    pieces.append(gap if previous_kept and gap.strip() == "" else "\n")
                pieces.append(self.text[segment.start : segment.end])
            previous_end = segment.end
            previous_kept = segment.kept
        return "".join(pieces)
