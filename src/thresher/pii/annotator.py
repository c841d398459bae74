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

_SIGNAL_NAMES = {kind: f"pii_{kind}" for kind in PII_KINDS}


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
            if not segments:
                continue
            starts = [start for start, _, _ in found]
            for segment in segments:
                low = bisect.bisect_left(starts, segment.start)
                high = bisect.bisect_left(starts, segment.end)
                seg_counts = dict.fromkeys(PII_KINDS, 0)
                for _, _, kind in found[low:high]:
                    seg_counts[kind] += 1
                seg_signals = segment.signals
                for kind, count in seg_counts.items():
                    seg_signals[_SIGNAL_NAMES[kind]] = count
                seg_signals["pii_total"] = high - low
