"""Replacing personal data with placeholders, keeping a record of every replacement.

A replacement is recorded as a `Reason` (rule `redact`, signal `pii_<kind>`, value the
placeholder) whose `span` is where the personal data was in the text before redaction;
the reason never holds the data itself, so the output carries no copy of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from thresher.document import Reason
from thresher.pii.matcher import PII_KINDS, PiiSpan

DEFAULT_PLACEHOLDERS: dict[str, str] = {
    "email": "<EMAIL>",
    "phone": "<PHONE>",
    "ip": "<IP_ADDRESS>",
    "card": "<CARD_NUMBER>",
    "iban": "<IBAN>",
    "ssn": "<SSN>",
}
KIND_LABELS: dict[str, str] = {
    "email": "e-mail address",
    "phone": "phone number",
    "ip": "IP address",
    "card": "payment card number",
    "iban": "IBAN",
    "ssn": "US social security number",
}
REDACT_RULE = "redact"


@dataclass(frozen=True, slots=True)
class RedactSettings:
    """The policy's `[redact]` table: which kinds to replace, and with what."""

    kinds: tuple[str, ...] = PII_KINDS
    placeholders: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PLACEHOLDERS))

    def placeholder(self, kind: str) -> str:
        return self.placeholders.get(kind, DEFAULT_PLACEHOLDERS[kind])


def redact(text: str, spans: Sequence[PiiSpan], settings: RedactSettings) -> tuple[str, list[Reason]]:
    """`text` with each span of a redacted kind replaced; one reason per replacement.

    `spans` must not overlap and be in text order, as `find_pii` returns them.
    """
    pieces: list[str] = []
    reasons: list[Reason] = []
    position = 0
    written = 0
    for span in spans:
        if span.kind not in settings.kinds:
            continue
        placeholder = settings.placeholder(span.kind)
        pieces.append(text[position : span.start])
        written += span.start - position
        pieces.append(placeholder)
        reasons.append(
            Reason(
                rule=REDACT_RULE,
                signal=f"pii_{span.kind}",
                value=placeholder,
                message=f"{KIND_LABELS[span.kind]} of {span.end - span.start} characters at "
                f"{span.start}-{span.end} replaced by {placeholder} (at {written}-{written + len(placeholder)} "
                "of the text written out)",
                span=(span.start, span.end),
            )
        )
        written += len(placeholder)
        position = span.end
    if not reasons:
        return text, reasons
    pieces.append(text[position:])
    return "".join(pieces), reasons


def output_spans(redactions: Sequence[Reason]) -> list[tuple[int, int, str]]:
    """Where each placeholder is in the redacted text: (start, end, kind), in text order."""
    result = []
    shift = 0
    for reason in redactions:
        if reason.span is None or not isinstance(reason.value, str):
            continue
        start, end = reason.span
        placeholder = reason.value
        result.append((start + shift, start + shift + len(placeholder), str(reason.signal)[len("pii_") :]))
        shift += len(placeholder) - (end - start)
    return result
