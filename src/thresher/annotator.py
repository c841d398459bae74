"""The contract between the pipeline and everything that adds segments or signals.

An annotator works on a batch of documents at once, so it can vectorise (one regex pass
over a list, one model call for many segments) instead of paying Python overhead per
document. It declares the signals it writes, with their types, so a policy that names a
signal nobody computes, or compares it with the wrong kind of value, is rejected when it
is loaded rather than silently never firing.

Building an annotator reads no file: a model, lexicon or table is loaded the first time
`annotate` needs it (`LazyModel`), by a loader cached per process, so each worker loads
it once, and only for the annotators its policy runs on documents that reach them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar, runtime_checkable

from thresher.document import Document

SignalType = Literal["int", "float", "bool", "str"]
Model = TypeVar("Model")


class LazyModel(Generic[Model]):
    """An annotator attribute loaded on first read: `model = LazyModel(shipped_model)`.

    Why: a run that never reaches an annotator (an annotate-only policy that skips it, a
    short-circuited batch, a JSONL run that never sees HTML, a one-record file) should not
    pay for loading its model. `loader` is called with no argument, once per instance; make
    it a `functools.cache`d function so every instance of a process shares one copy.
    Assigning the attribute (`self.model = injected`) replaces the default, as before.
    """

    def __init__(self, loader: Callable[[], Model]) -> None:
        self.loader = loader
        self.slot = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_lazy_{name}"

    def __get__(self, instance: Any, owner: type | None = None) -> Model:
        if instance is None:
            return self  # type: ignore[return-value]
        values = instance.__dict__
        if self.slot not in values:
            values[self.slot] = self.loader()
        return values[self.slot]

    def __set__(self, instance: Any, value: Model) -> None:
        instance.__dict__[self.slot] = value


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
