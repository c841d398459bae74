"""Peer side of benchmarks/pii.py, run in the peer venv (datatrove, presidio-analyzer).

Reads a JSON list of texts, writes {tool: {"spans": [[[start, end, kind], ...] per text],
"seconds": float}} where `seconds` times the tool's own work over all texts, one core.
"""

from __future__ import annotations

import json
import sys
import time
from functools import partial


def datatrove_spans(texts: list[str]) -> tuple[list[list[list]], float]:
    from datatrove.pipeline.formatters import PIIFormatter
    from datatrove.pipeline.formatters.pii import public_ip_validator

    formatter = PIIFormatter()  # as shipped: e-mails and public IPv4 addresses
    started = time.perf_counter()
    for text in texts:
        formatter.format(text)
    seconds = time.perf_counter() - started
    valid_ip = partial(public_ip_validator, public_only=True)
    result = []
    for text in texts:
        spans = [[*m.span(), "email"] for m in formatter.emails_replacer.regex.finditer(text)]
        spans += [[*m.span(), "ip"] for m in formatter.ip_replacer.regex.finditer(text) if valid_ip(m.group())]
        result.append(spans)
    return result, seconds


PRESIDIO_KINDS = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "IP_ADDRESS": "ip",
    "CREDIT_CARD": "card",
    "IBAN_CODE": "iban",
    "US_SSN": "ssn",
}


def presidio_spans(texts: list[str]) -> tuple[list[list[list]], float]:
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        UsSsnRecognizer,
    )

    # Pattern recognizers only: the NER recognizers need a spaCy model download.
    recognizers = [
        EmailRecognizer(),
        PhoneRecognizer(),
        IpRecognizer(),
        CreditCardRecognizer(),
        IbanRecognizer(),
        UsSsnRecognizer(),
    ]
    result = []
    started = time.perf_counter()
    for text in texts:
        spans = []
        for recognizer in recognizers:
            for found in recognizer.analyze(text, recognizer.supported_entities, None) or []:
                if found.score > 0:
                    spans.append([found.start, found.end, PRESIDIO_KINDS[found.entity_type]])
        result.append(spans)
    return result, time.perf_counter() - started


def main() -> None:
    texts = json.load(open(sys.argv[1], encoding="utf-8"))
    out = {}
    for name, function in (("datatrove", datatrove_spans), ("presidio", presidio_spans)):
        spans, seconds = function(texts)
        out[name] = {"spans": spans, "seconds": seconds}
    json.dump(out, open(sys.argv[2], "w", encoding="utf-8"))


if __name__ == "__main__":
    main()
