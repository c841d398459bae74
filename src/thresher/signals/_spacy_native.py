"""spaCy's affix rules as flat tables for the C tokenizer (`thresher._native_words`).

Why: the spaCy-compatible splitter (`words.SpacyEnglishSplitter`) spends most of its time on
chunks it has never seen, in Python: three regex searches per affix step, an infix scan and
the special-case matcher. Every prefix, suffix and infix alternative of the English rules is a
short, fixed sequence of single characters (a literal or a character class), optionally with
a fixed look-behind, a one-character look-ahead, a greedy run of one character (`\\.\\.+`) and
the `$` anchor. Such alternatives are compiled here, from the parsed patterns, into int32
programs the kernel runs with Python's own semantics (prefix: `^`, the first alternative that
matches wins; suffix: `search`, the leftmost match, i.e. the longest, since all end at `$`;
infix: `finditer`, left to right, the first alternative at each position), and every
character class becomes one bit of a per-code-point table. A pattern holding anything else
(a category such as `\\w`, a case-insensitive flag, a repeat that is not at the end) is not
compiled: `compile_rules` returns None and the Python splitter does all the work.

What the kernel cannot decide alone it hands back to Python: the URL rule (only for a core
holding a ".", which every URL needs) and the special-case matcher (only when some pair of
tokens in a row is a matcher pattern's start; the Python `_apply_matcher` then resolves it).
`benchmarks/spacy_tokenizer_check.py` compares the kernel with the Python splitter on every
distinct chunk of the shared data sets; the tests on hand-made strings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from re import _parser  # type: ignore[attr-defined]
from typing import Any

import numpy as np

UNICODE_SIZE = 0x110000
CLASS_BITS = 29  # bits 29-31 of the table: can start a prefix / end a suffix / start an infix
PREFIX_FIRST, SUFFIX_LAST, INFIX_FIRST = 1 << 29, 1 << 30, 1 << 31
_AT_END = (_parser.AT, _parser.AT_END)
_AT_BEGIN = (_parser.AT, _parser.AT_BEGINNING)


class Unsupported(ValueError):
    """The pattern holds a construct the kernel's programs cannot express."""


@dataclass(frozen=True)
class Alternative:
    """One expanded alternative: look-behind chars, core chars, an optional greedy run
    (char, minimum count), an optional look-ahead (char, negated), and anchors."""

    behind: tuple[Any, ...]
    core: tuple[Any, ...]
    run: tuple[Any, int] | None
    ahead: tuple[Any, bool] | None
    at_end: bool


def _char(item: tuple[Any, Any]) -> Any:
    """A single-character item as an int (literal) or a tuple of (low, high) ranges (class)."""
    op, arg = item
    if op == _parser.LITERAL:
        return int(arg)
    if op == _parser.IN:
        ranges: list[tuple[int, int]] = []
        for sub_op, sub_arg in arg:
            if sub_op == _parser.LITERAL:
                ranges.append((int(sub_arg), int(sub_arg)))
            elif sub_op == _parser.RANGE:
                ranges.append((int(sub_arg[0]), int(sub_arg[1])))
            else:  # NEGATE, CATEGORY, ...: not expressible as listed ranges
                raise Unsupported(f"class item {sub_op}")
        return tuple(sorted(set(ranges)))
    raise Unsupported(f"item {op}")


def _expand(items: list[tuple[Any, Any]]) -> list[list[tuple[Any, Any]]]:
    """The sequences of plain items a subpattern can match, in the order Python tries them
    (branches and groups flattened; each branch's alternatives keep their order)."""
    sequences: list[list[tuple[Any, Any]]] = [[]]
    for op, arg in items:
        if op == _parser.BRANCH:
            options = [seq for alternative in arg[1] for seq in _expand(list(alternative.data))]
        elif op == _parser.SUBPATTERN:
            _group, add_flags, del_flags, sub = arg
            if add_flags or del_flags:
                raise Unsupported("inline flags")
            options = _expand(list(sub.data))
        else:
            options = [[(op, arg)]]
        sequences = [seq + option for seq in sequences for option in options]
        if len(sequences) > 10_000:
            raise Unsupported("too many alternatives")
    return sequences


def _alternative(items: list[tuple[Any, Any]]) -> Alternative:
    """One flattened sequence as an Alternative (raises Unsupported for other shapes)."""
    behind: tuple[Any, ...] = ()
    core: list[Any] = []
    run: tuple[Any, int] | None = None
    ahead: tuple[Any, bool] | None = None
    at_end = False
    for index, (op, arg) in enumerate(items):
        last = index == len(items) - 1
        if at_end or ahead is not None:
            raise Unsupported("items after an anchor or a look-ahead")
        if (op, arg) == _AT_BEGIN:
            if index != 0:
                raise Unsupported("^ inside")
        elif (op, arg) == _AT_END:
            if not last:
                raise Unsupported("$ inside")
            at_end = True
        elif op == _parser.ASSERT and arg[0] == -1:
            if core or behind or run:
                raise Unsupported("look-behind inside")
            behind = tuple(_char(sub) for seq in _single(arg[1]) for sub in seq)
        elif op in (_parser.ASSERT, _parser.ASSERT_NOT) and arg[0] == 1:
            (seq,) = _single(arg[1])
            if len(seq) != 1:
                raise Unsupported("look-ahead wider than one character")
            ahead = (_char(seq[0]), op == _parser.ASSERT_NOT)
        elif op == _parser.ASSERT_NOT:
            raise Unsupported("negative look-behind")
        elif op == _parser.MAX_REPEAT:
            low, high, sub = arg
            (seq,) = _single(sub)
            if run is not None or high != _parser.MAXREPEAT or len(seq) != 1 or low < 1:
                raise Unsupported("repeat")
            run = (_char(seq[0]), int(low))
        else:
            if run is not None:
                raise Unsupported("characters after a repeat")
            core.append(_char((op, arg)))
    if not core and run is None:
        raise Unsupported("empty alternative")
    return Alternative(behind, tuple(core), run, ahead, at_end)


def _single(sub: Any) -> list[list[tuple[Any, Any]]]:
    """The one plain sequence a look-around or repeat body matches (else Unsupported)."""
    sequences = _expand(list(sub.data))
    if len(sequences) != 1:
        raise Unsupported("alternation inside a look-around or repeat")
    return sequences


def parse_alternatives(pattern: str) -> list[Alternative]:
    """The pattern's alternatives, expanded and in Python's order of trying them."""
    tree = _parser.parse(pattern)
    if tree.state.flags & ~(_parser.SRE_FLAG_UNICODE):
        raise Unsupported("flags")
    return [_alternative(seq) for seq in _expand(list(tree.data))]


@dataclass(frozen=True)
class Programs:
    """The int32 programs of the three patterns and the class-bit table they index."""

    prefix: np.ndarray
    suffix: np.ndarray
    infix: np.ndarray
    table: np.ndarray  # uint32 per code point: bit k set = in class k (and the FIRST/LAST bits)


def _encode(alternatives: list[Alternative], classes: dict[Any, int]) -> np.ndarray:
    """Flat int32 program: per alternative [n_behind, n_core, run_min, ahead_kind, ahead_item,
    run_item, behind items..., core items...]; an item >= 0 is a code point, -1-k class bit k;
    ahead_kind 0 none, 1 positive, 2 negative; run_min 0 = no run. A header holds the count
    and, per alternative, whether it needs `$`."""

    def item(char: Any) -> int:
        if isinstance(char, int):
            return char
        if char not in classes:
            if len(classes) >= CLASS_BITS:
                raise Unsupported(f"more than {CLASS_BITS} character classes")
            classes[char] = len(classes)
        return -1 - classes[char]

    out: list[int] = [len(alternatives)]
    for alt in alternatives:
        ahead_kind = 0 if alt.ahead is None else (2 if alt.ahead[1] else 1)
        out += [
            len(alt.behind),
            len(alt.core),
            alt.run[1] if alt.run else 0,
            ahead_kind,
            item(alt.ahead[0]) if alt.ahead else 0,
            item(alt.run[0]) if alt.run else 0,
            int(alt.at_end),
        ]
        out += [item(c) for c in alt.behind]
        out += [item(c) for c in alt.core]
    return np.array(out, dtype=np.int32)


def compile_rules(patterns: dict[str, str]) -> Programs | None:
    """Programs for the prefix, suffix and infix patterns, or None if one is not expressible
    (or a token-match rule exists, which the kernel does not run)."""
    if "token_match" in patterns:
        return None
    try:
        prefix = parse_alternatives(patterns["prefix"])
        suffix = parse_alternatives(patterns["suffix"])
        infix = parse_alternatives(patterns["infix"])
    except (Unsupported, KeyError, ValueError):
        return None
    if not all(alt.at_end for alt in suffix) or any(alt.at_end for alt in prefix + infix):
        return None
    classes: dict[Any, int] = {}
    try:
        programs = [_encode(alts, classes) for alts in (prefix, suffix, infix)]
    except Unsupported:
        return None
    table = np.zeros(UNICODE_SIZE, dtype=np.uint32)
    for ranges, bit in classes.items():
        _mark(table, ranges, 1 << bit)
    for alt in prefix:
        _mark(table, alt.core[0] if alt.core else alt.run[0], PREFIX_FIRST)  # type: ignore[index]
    for alt in suffix:
        _mark(table, alt.run[0] if alt.run else alt.core[-1], SUFFIX_LAST)
    for alt in infix:
        _mark(table, alt.core[0] if alt.core else alt.run[0], INFIX_FIRST)  # type: ignore[index]
    return Programs(*programs, table)


def _mark(table: np.ndarray, char: Any, bit: int) -> None:
    """Set `bit` for the code point or the ranges of `char`."""
    ranges = [(char, char)] if isinstance(char, int) else char
    for low, high in ranges:
        table[low : high + 1] |= np.uint32(bit)


try:
    from thresher import _native_words
except ImportError:  # not compiled (no compiler at install): words.py runs its Python paths
    _native_words = None  # type: ignore[assignment]


def native_words_available() -> bool:
    """Whether the tokenizer kernel is built and not switched off (THRESHER_NATIVE=0)."""
    return _native_words is not None and os.environ.get("THRESHER_NATIVE", "1") != "0"
