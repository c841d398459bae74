"""The registry of annotators, in the order they run.

Segmenters come first because every segment-level signal needs spans to score. New
annotators are added here, once; policies, the pipeline and validation all read this list.
"""

from __future__ import annotations

from collections.abc import Callable

from thresher.annotator import Annotator, SignalSpec
from thresher.pii.annotator import PiiSignals
from thresher.safety.adult import AdultAnnotator
from thresher.safety.spam import SpamAnnotator
from thresher.safety.toxicity import ToxicityAnnotator
from thresher.segments.lines import LineSegmenter
from thresher.segments.segmenter import HtmlSegmenter, TextSegmenter
from thresher.signals.basic import SizeSignals
from thresher.signals.c4 import C4Signals
from thresher.signals.gopher import GopherSignals
from thresher.signals.language import LanguageSignals, SegmentLanguageSignals
from thresher.signals.machine import MachineTextAnnotator
from thresher.signals.rpv2 import RedPajamaSignals
from thresher.signals.typo import TypoSignals

AnnotatorFactory = Callable[[], Annotator]

# name -> factory, in run order.
REGISTRY: dict[str, AnnotatorFactory] = {
    HtmlSegmenter.name: HtmlSegmenter,
    TextSegmenter.name: TextSegmenter,
    LineSegmenter.name: LineSegmenter,
    SizeSignals.name: SizeSignals,
    LanguageSignals.name: LanguageSignals,
    SegmentLanguageSignals.name: SegmentLanguageSignals,
    GopherSignals.name: GopherSignals,
    C4Signals.name: C4Signals,
    RedPajamaSignals.name: RedPajamaSignals,
    TypoSignals.name: TypoSignals,
    ToxicityAnnotator.name: ToxicityAnnotator,
    AdultAnnotator.name: AdultAnnotator,
    SpamAnnotator.name: SpamAnnotator,
    PiiSignals.name: PiiSignals,
    MachineTextAnnotator.name: MachineTextAnnotator,
}


def build_annotators(names: list[str] | None = None) -> list[Annotator]:
    """Instantiate the named annotators (all when `names` is None), in registry order."""
    wanted = set(REGISTRY) if names is None else set(names)
    unknown = wanted - set(REGISTRY)
    if unknown:
        raise KeyError(f"unknown annotator(s) {sorted(unknown)}; known: {list(REGISTRY)}")
    return [factory() for name, factory in REGISTRY.items() if name in wanted]


def signal_specs(names: list[str] | None = None) -> dict[tuple[str, str], SignalSpec]:
    """(scope, signal name) -> spec for every signal the named annotators write."""
    specs: dict[tuple[str, str], SignalSpec] = {}
    for name, factory in REGISTRY.items():
        if names is not None and name not in names:
            continue
        for spec in factory.signals:  # type: ignore[attr-defined]
            specs[(spec.scope, spec.name)] = spec
    return specs
