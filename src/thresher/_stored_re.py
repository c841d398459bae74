"""Regular expressions rebuilt from stored regex code, so a fresh process skips `re.compile`.

Why: `re.compile` parses a pattern and optimises each character class in Python; the
spaCy-derived word splitter's four patterns (12-16 KB each, Unicode letter and symbol
classes repeated in many alternatives) take ~50 ms to compile, a tenth of what
`thresher run` on one small file costs. What `re.compile` hands CPython's regex engine
(`_sre.compile`: flags, the code list, group names) depends only on the pattern and the
interpreter, so it is computed once, stored with the package data, and given back to
`_sre.compile` at start-up (~0.1 ms for the four).

Safety: a stored entry is used only by the interpreter it was made by (its
`sys.implementation.cache_tag` and the regex engine's `_sre.MAGIC`, which changes with the
code format) and only for the pattern and flags it was made from (their CRC-32); anything
else, or an entry `_sre.compile` rejects (it validates the code), falls back to
`re.compile`. Tests check that a stored pattern equals `re.compile`'s (`Pattern.__eq__`
compares the code) on the interpreter that runs them. This mirrors `re._compiler.compile`,
which is the same in CPython 3.11 to 3.13.
"""

from __future__ import annotations

import re
import sys
import zlib
from typing import Any

try:
    import _sre  # CPython's regex engine: what `re` compiles for
except ImportError:  # pragma: no cover - another implementation: always compile from source
    _sre = None


def interpreter_key() -> str:
    """The interpreter a stored entry is valid for: its bytecode tag and regex code version."""
    return f"{sys.implementation.cache_tag}-{getattr(_sre, 'MAGIC', 0)}"


def _fingerprint(pattern: str, flags: int) -> int:
    return zlib.crc32(pattern.encode("utf-8", errors="surrogatepass") + b"\x00" + str(flags).encode())


def export(pattern: str, flags: int = 0) -> list[Any]:
    """What `re.compile(pattern, flags)` gives `_sre.compile` on this interpreter, as JSON values:
    [fingerprint, flags, code, groups, group index, index group]."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return [
        _fingerprint(pattern, flags),
        flags | parsed.state.flags,
        [int(value) for value in code],
        parsed.state.groups - 1,
        groupindex,
        indexgroup,
    ]


def compile_stored(pattern: str, stored: list[Any] | None, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, from `stored` (an `export` made by this interpreter) when it fits."""
    if _sre is not None and stored is not None and len(stored) == 6 and stored[0] == _fingerprint(pattern, flags):
        _, final_flags, code, groups, groupindex, indexgroup = stored
        try:
            return _sre.compile(pattern, final_flags, code, groups, groupindex, tuple(indexgroup))  # type: ignore[no-any-return]
        except (TypeError, ValueError, RuntimeError, OverflowError):
            pass  # not this engine's code: compile from source
    return re.compile(pattern, flags)
