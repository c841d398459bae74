"""A policy rule, `signal op value`, and the operators it may use.

A leaf module (it imports only `thresher.document`), so that stages which add rules of their
own to a policy (the bring-your-own tables) can build them without importing the policy that
imports them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from thresher.document import Reason

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "in": lambda value, threshold: value in threshold,
    "not in": lambda value, threshold: value not in threshold,
}


@dataclass(frozen=True, slots=True)
class Rule:
    """`signal op value`: when true for a document (or segment), the rule removes it."""

    name: str
    scope: str
    signal: str
    op: str
    value: Any
    kinds: tuple[str, ...] | None = None

    def fires(self, signals: dict[str, Any]) -> bool:
        observed = signals.get(self.signal)
        if observed is None:
            return False
        return bool(OPERATORS[self.op](observed, self.value))

    def reason(self, signals: dict[str, Any]) -> Reason:
        observed = signals.get(self.signal)
        return Reason(
            rule=self.name,
            signal=self.signal,
            value=observed,
            op=self.op,
            threshold=self.value,
            message=f"{self.signal} = {show_value(observed)} {self.op} {show_value(self.value)}",
        )


def show_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return repr(value) if isinstance(value, str) else str(value)
