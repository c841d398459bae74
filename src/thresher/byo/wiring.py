"""Where bring-your-own features join a policy and a pipeline: their rules and their annotators.

Two tables decide without a rule of the user's: a URL on a block list drops the document
(rule `url_blocked`, first, since it needs no text), and `[decontaminate]` drops the
document or trims the segments that share an n-gram with an eval set (rule `decontaminate`;
a drop rule comes after the user's document rules, so `short_circuit` can still stop early
on them). Their reasons name the list and the entry, or the eval set and the n-gram.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from thresher.annotator import Annotator, SignalSpec
from thresher.byo.settings import ByoSettings
from thresher.document import Document, Reason
from thresher.rules import Rule
from thresher.text.stage import STAGE_NAME as TEXT_STAGE

_SEGMENTERS_PREFIX = "segments."


@dataclass(frozen=True, slots=True)
class MessageRule(Rule):
    """A rule whose reason message is written from two signals (the value and what matched)."""

    detail: str = ""
    template: str = "{value}"

    def reason(self, signals: dict[str, Any]) -> Reason:
        reason = Rule.reason(self, signals)
        reason.message = self.template.format(value=signals.get(self.signal), detail=signals.get(self.detail))
        return reason


URL_RULE = MessageRule(
    name="url_blocked",
    scope="document",
    signal="url_blocked",
    op="!=",
    value="",
    detail="url_block_match",
    template="URL matched block list {value!r} (entry {detail!r})",
)


def _contamination_rule(scope: str) -> MessageRule:
    return MessageRule(
        name="decontaminate",
        scope=scope,
        signal="contaminated",
        op="!=",
        value="",
        detail="contamination_ngram",
        template="shares the n-gram {detail!r} with eval set {value!r}",
    )


def byo_rules(
    settings: ByoSettings, segment_rules: list[Rule], document_rules: list[Rule]
) -> tuple[list[Rule], list[Rule]]:
    """The policy's rule lists with the tables' own rules added."""
    segment_rules, document_rules = list(segment_rules), list(document_rules)
    if settings.urls is not None and settings.urls.block:
        document_rules.insert(0, URL_RULE)
    if settings.decontaminate is not None:
        if settings.decontaminate.action == "trim":
            segment_rules.append(_contamination_rule("segment"))
        else:
            document_rules.append(_contamination_rule("document"))
    return segment_rules, document_rules


def _specs(settings: ByoSettings, names: set[str]) -> tuple[SignalSpec, ...]:
    return tuple(spec for spec in settings.specs if spec.name in names)


def add_byo_annotators(
    annotators: list[Annotator], settings: ByoSettings
) -> tuple[list[Annotator], Callable[[list[Document]], None] | None]:
    """The annotator list with the tables' annotators in place, and a step to run after deciding.

    URL lists run first (they read only the URL); classifiers and decontamination right after
    the segmenters and the text stage (they read segments of the repaired text); token counts last.
    """
    from thresher.byo.classifiers import ClassifierSignals
    from thresher.byo.decontaminate import DecontaminateSignals
    from thresher.byo.tokens import TokenSignals
    from thresher.byo.urls import UrlSignals

    first: list[Annotator] = []
    middle: list[Annotator] = []
    last: list[Annotator] = []
    after: Callable[[list[Document]], None] | None = None
    if settings.urls is not None:
        first.append(
            UrlSignals(
                [(u.name, u.file) for u in settings.urls.block],
                [(u.name, u.file) for u in settings.urls.allow],
                _specs(settings, {"url_blocked", "url_block_match", "url_allowed"}),
            )
        )
    for classifier in settings.classifiers:
        middle.append(
            ClassifierSignals(
                classifier.name,
                classifier.model,
                classifier.labels,
                classifier.signals,
                classifier.level,
                _specs(settings, set(classifier.signals)),
            )
        )
    if settings.decontaminate is not None:
        middle.append(
            DecontaminateSignals(
                settings.decontaminate.index,
                settings.decontaminate.action,
                _specs(settings, {"contaminated", "contamination_ngram"}),
            )
        )
    if settings.tokens is not None:
        tokens = TokenSignals(settings.tokens, _specs(settings, {"tokens"}))
        last.append(tokens)
        after = tokens.after_decide
    # after the segmenters and the [text] stage (repair, redaction), so classifiers read the text as written out
    split = max(
        (i + 1 for i, a in enumerate(annotators) if a.name.startswith(_SEGMENTERS_PREFIX) or a.name == TEXT_STAGE),
        default=0,
    )
    return first + annotators[:split] + middle + annotators[split:] + last, after
