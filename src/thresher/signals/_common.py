"""Shared pieces of the quality signals: datatrove's punctuation sets and per-token facts.

The punctuation characters are datatrove's (`datatrove.utils.text`, Apache-2.0), exported
by `training/export_datatrove_punctuation.py`, because Gopher's "symbol word" test and
FineWeb's line-ending test must see exactly the characters datatrove sees to decide alike.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import numpy as np

from thresher.annotator import SignalSpec
from thresher.document import Document


@cache
def _punctuation() -> dict[str, str]:
    path = resources.files("thresher") / "models" / "datatrove_punctuation.json"
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def punctuation_chars() -> str:
    """datatrove's PUNCTUATION_SET as one string (for `str.strip`)."""
    return _punctuation()["punctuation_set"]


@cache
def punctuation_table() -> np.ndarray:
    """PUNCTUATION_SET as a uint8 flag per code point (for the C word-facts kernel)."""
    table = np.zeros(0x110000, dtype=np.uint8)
    table[[ord(char) for char in punctuation_chars()]] = 1
    return table


@cache
def terminal_punctuation() -> tuple[str, ...]:
    """datatrove's TERMINAL_PUNCTUATION as a tuple (for `str.endswith`)."""
    return tuple(_punctuation()["terminal_punctuation"])


_TOKEN_FACTS: dict[str, tuple[bool, bool]] = {}


def token_facts(token: str) -> tuple[bool, bool]:
    """(is a symbol word: only punctuation characters, has an alphabetic character), cached.

    Tokens repeat heavily in text, so a dict lookup replaces two scans per word.
    """
    facts = _TOKEN_FACTS.get(token)
    if facts is None:
        facts = (token.strip(punctuation_chars()) == "", any(char.isalpha() for char in token))
        if len(_TOKEN_FACTS) > 1_000_000:
            _TOKEN_FACTS.clear()
        _TOKEN_FACTS[token] = facts
    return facts


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None where the denominator is 0 (no value, no rule fires)."""
    return numerator / denominator if denominator else None


def set_signals(document: Document, values: dict[str, object]) -> None:
    """Write document-scope signals."""
    document.analysis.signals.update(values)  # type: ignore[arg-type]


def spec(name: str, kind: str, description: str, scope: str = "document") -> SignalSpec:
    """A SignalSpec, shorter to write in the annotators' tables."""
    return SignalSpec(name, kind, scope, description)  # type: ignore[arg-type]
