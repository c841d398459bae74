"""The contract between the pipeline and everything that adds segments or signals.

An annotator works on a batch of documents at once, so it can vectorise (one regex pass
over a list, one model call for many segments) instead of paying Python overhead per
document. It declares the signals it writes, with their types, so a policy that names a
signal nobody computes, or compares it with the wrong kind of value, is rejected when it
is loaded rather than silently never firing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from thresher.document import Document

SignalType = Literal["int", "float", "bool", "str"]


@dataclass(frozen=True, slots=True)
class SignalSpec:
    """A signal an annotator writes: its name, its value type and where it lives."""

    name: str
    type: SignalType
    scope: Literal["document", "segment"]
    description: str = ""


@runtime_checkable
class Annotator(Protocol):
    """Adds segments or signals to a batch of documents, in place.

    `name` identifies the annotator in policies and errors; `signals` lists what it
    writes. An annotator that segments (sets `document.analysis.segments`) runs before
    the ones that score segments; the registry in `thresher.annotators` fixes that order.
    """

    name: str
    signals: tuple[SignalSpec, ...]

    def annotate(self, documents: list[Document]) -> None: ...
