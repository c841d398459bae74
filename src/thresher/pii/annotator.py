"""PII counts per document and per segment: `pii_email`, `pii_phone`, ... and `pii_total`.

Counts include what the text stage already replaced with placeholders (the policy's
`[redact]` table), so a rule such as `pii_total > 20` reads the same whether or not the
policy redacts. IPv4 and IPv6 addresses both count as `pii_ip`.
"""

from __future__ import annotations

import bisect

from thresher.annotator import SignalSpec
from thresher.document import Document
from thresher.pii.matcher import PII_KINDS, find_pii
from thresher.pii.redact import KIND_LABELS, output_spans
from thresher.safety.common import segment_signals, write_columns

_SIGNAL_NAMES = {kind: f"pii_{kind}" for kind in PII_KINDS}
_SEGMENT_SIGNALS = (*(_SIGNAL_NAMES[kind] for kind in PII_KINDS), "pii_total")


def _specs() -> tuple[SignalSpec, ...]:
    specs = []
    for scope in ("document", "segment"):
        for kind in PII_KINDS:
            where = "in the document" if scope == "document" else "in the segment"
            specs.append(
                SignalSpec(
                    _SIGNAL_NAMES[kind],
                    "int",
                    scope,
                    f"{KIND_LABELS[kind]} count {where} (IPv4 and IPv6 alike)"
                    if kind == "ip"
                    else f"{KIND_LABELS[kind]} count {where}",
                )
            )  # type: ignore[arg-type]
        specs.append(SignalSpec("pii_total", "int", scope, "personal data spans of every kind"))  # type: ignore[arg-type]
    return tuple(specs)


class PiiSignals:
    """Finds personal data (e-mail, phone, IP, card, IBAN, SSN) and counts it by kind."""

    name = "pii"
    signals: tuple[SignalSpec, ...] = _specs()

    def annotate(self, documents: list[Document]) -> None:
        targets = segment_signals(documents)
        # One column per signal over every segment of the batch: zeros, filled in below for
        # the segments that hold personal data, then written a column at a time.
        columns: list[list[object]] = [[0] * len(targets) for _ in range(len(PII_KINDS) + 1)]
        column_of = {kind: k for k, kind in enumerate(PII_KINDS)}
        first = 0
        for document in documents:
            found = [(s.start, s.end, s.kind) for s in find_pii(document.text)]
            if document.analysis.redactions:
                found = sorted(found + output_spans(document.analysis.redactions))
            counts = dict.fromkeys(PII_KINDS, 0)
            for _, _, kind in found:
                counts[kind] += 1
            signals = document.analysis.signals
            for kind, count in counts.items():
                signals[_SIGNAL_NAMES[kind]] = count
            signals["pii_total"] = len(found)
            segments = document.analysis.segments
            if found and segments:
                starts = [start for start, _, _ in found]
                for row, segment in enumerate(segments, first):
                    low = bisect.bisect_left(starts, segment.start)
                    high = bisect.bisect_left(starts, segment.end)
                    for _, _, kind in found[low:high]:
                        columns[column_of[kind]][row] += 1  # type: ignore[operator]
                    columns[-1][row] = high - low
            first += len(segments)
        write_columns(targets, _SEGMENT_SIGNALS, columns)
