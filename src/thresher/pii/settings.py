"""Parsing the policy's `[text]` and `[redact]` tables, with errors that say how to fix them."""

from __future__ import annotations

from typing import Any

from thresher.errors import PolicyError
from thresher.pii.matcher import PII_KINDS
from thresher.pii.redact import DEFAULT_PLACEHOLDERS, RedactSettings
from thresher.text.stage import TextSettings


def _error(message: str) -> Exception:
    return PolicyError(message)


def parse_text_settings(table: Any, source: str) -> TextSettings:
    if not isinstance(table, dict) or set(table) - {"fix_unicode"}:
        raise _error(f"{source}: [text] may only hold 'fix_unicode' (true or false).")
    fix = table.get("fix_unicode", False)
    if not isinstance(fix, bool):
        raise _error(f"{source}: [text].fix_unicode must be true or false, got {fix!r}.")
    return TextSettings(fix_unicode=fix)


def parse_redact_settings(table: Any, source: str) -> RedactSettings:
    """`[redact]`: `kinds` (default all) and `placeholders` (kind -> text, default `<EMAIL>`, ...)."""
    if not isinstance(table, dict) or set(table) - {"kinds", "placeholders"}:
        raise _error(
            f"{source}: [redact] may only hold 'kinds' (a list from {list(PII_KINDS)}) and 'placeholders' "
            '(a table of kind = "text").'
        )
    kinds = table.get("kinds", list(PII_KINDS))
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise _error(f"{source}: [redact].kinds must be a list of PII kinds from {list(PII_KINDS)}.")
    unknown = [k for k in kinds if k not in PII_KINDS]
    if unknown:
        raise _error(f"{source}: [redact].kinds: unknown kind(s) {unknown}; known: {list(PII_KINDS)}.")
    placeholders = dict(DEFAULT_PLACEHOLDERS)
    given = table.get("placeholders", {})
    if not isinstance(given, dict):
        raise _error(f'{source}: [redact].placeholders must be a table of kind = "text".')
    for kind, text in given.items():
        if kind not in PII_KINDS:
            raise _error(f"{source}: [redact].placeholders: unknown kind {kind!r}; known: {list(PII_KINDS)}.")
        if not isinstance(text, str):
            raise _error(f"{source}: [redact].placeholders.{kind} must be a string, got {text!r}.")
        placeholders[kind] = text
    return RedactSettings(kinds=tuple(kinds), placeholders=placeholders)
