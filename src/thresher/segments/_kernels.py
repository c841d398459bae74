"""The C kernels of the plain-text segmenter (`thresher._native_segtext`), as NumPy in, NumPy out.

The second stage and the decoding of the segmenter model walk each document's lines in
order (running sums, the best contiguous span, windows clipped at the document's edges).
Called once per document in NumPy, they cost a dozen small calls each, and the call
overhead, not the arithmetic, dominated `segments.text` on crawl batches of short pages;
the line features read every character a few times over. Each kernel does its part for a
whole batch in one call.

The sequence kernels take the batch's lines with `offsets` (int64, documents + 1 entries:
document d owns lines offsets[d]..offsets[d + 1]) and give what the one-document function
named in their docstring gives, document by document, concatenated. This module only wraps
the C side (it is built at install when a compiler is there): the callers in
segments/model.py, labelling.py and features.py choose it when `native_available()` and run
the one-document NumPy code otherwise (or with THRESHER_NATIVE=0), and the tests check both
give the same values.
"""

from __future__ import annotations

import itertools
import os

import numpy as np

try:
    from thresher import _native_segtext
except ImportError:  # not compiled (no compiler at install): the per-document NumPy fallback
    _native_segtext = None  # type: ignore[assignment]


def native_available() -> bool:
    """Whether the C kernels are built and not switched off (THRESHER_NATIVE=0)."""
    return _native_segtext is not None and os.environ.get("THRESHER_NATIVE", "1") != "0"


def offsets_of(sizes: np.ndarray) -> np.ndarray:
    """Document offsets (int64, len(sizes) + 1) from the documents' line counts."""
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return offsets


def document_bounds(offsets: np.ndarray) -> list[tuple[int, int]]:
    """(first, end) line of every document with at least one line."""
    return [(a, b) for a, b in itertools.pairwise(offsets.tolist()) if b > a]


def window_means(values: np.ndarray, offsets: np.ndarray, radius: int) -> np.ndarray:
    """`segments.features.window_mean(values, radius)` per document (C only; see `segments.model.window_means`)."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    out = np.empty(len(values))
    _native_segtext.window_means(values, offsets, radius, out)
    return out


def span_masks(scores: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """`segments.model.span_mask(scores)` per document, boolean (C only)."""
    out = np.empty(len(scores), dtype=np.uint8)
    _native_segtext.span_masks(np.ascontiguousarray(scores, dtype=np.float64), offsets, out)
    return out.view(bool)


def window_maxes(values: np.ndarray, offsets: np.ndarray, radius: int) -> np.ndarray:
    """`segments.model._window_max(values, radius)` per document (C only)."""
    out = np.empty(len(values))
    _native_segtext.window_maxes(np.ascontiguousarray(values, dtype=np.float64), offsets, radius, out)
    return out


def distances_to(mask: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """`segments.model.distance_to(mask)` per document: log1p(lines to the nearest True line) (C only)."""
    out = np.empty(len(mask))
    _native_segtext.nearest_distances(np.ascontiguousarray(mask, dtype=bool).view(np.uint8), offsets, out)
    return np.log1p(out)


def title_lines(heading: np.ndarray, main: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """`segments.labelling.title_line(heading, main)` per document: its line in the document, -1 for none (C only)."""
    out = np.full(len(offsets) - 1, -1, dtype=np.int64)
    heading = np.ascontiguousarray(heading, dtype=bool).view(np.uint8)
    _native_segtext.title_lines(heading, np.ascontiguousarray(main, dtype=bool).view(np.uint8), offsets, 5, out)
    return out


def gram_overlap(lower: str, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hits, totals) per line of `lower` (lines joined by "\\n"): its word 3-grams and how many of
    them an earlier line of its document holds (C only; `LineBatch.earlier_overlap` is the fallback)."""
    lines = int(offsets[-1])
    hits = np.empty(lines)
    totals = np.empty(lines, dtype=np.int64)
    _native_segtext.gram_overlap(lower, offsets, hits, totals)
    return hits, totals


STAT_NAMES = ("tokens", "unspaced", "alpha", "upper", "separators", "digits", "questions", "tabs", "first", "last",
              "second", "person", "list_marker")  # fmt: skip
_LOWER_STATS = ("person", "list_marker")


def line_stats(
    text: str,
    lower: str | None,
    starts: np.ndarray,
    ends: np.ndarray,
    space: np.ndarray,
    separator: np.ndarray,
    alpha: np.ndarray,
    upper: np.ndarray,
    unspaced: np.ndarray,
    first_table: np.ndarray,
    second_table: np.ndarray,
    pairs: np.ndarray,
) -> dict[str, np.ndarray]:
    """The C pass behind `LineBatch`'s character features (C only; LineBatch's NumPy masks are the fallback).

    Per line (int64): STAT_NAMES; "quoted" (bool per character); with `lower` (the
    lower-cased text, when as long as `text`), "needles" (uint16 needle-group bits),
    "first_keys" (int64 key at the line's start) and the matches of `_PERSON` outside quotes
    ("person") and of `_LIST_MARKER` ("list_marker"); without it, none of these four.
    """
    count = len(starts)
    stats = np.empty((count, len(STAT_NAMES)), dtype=np.int64)
    needles = np.empty(count, dtype=np.uint16)
    first_keys = np.empty(count, dtype=np.int64)
    quoted = np.empty(len(text), dtype=np.uint8)
    _native_segtext.line_stats(
        text, lower, np.ascontiguousarray(starts, dtype=np.int64), np.ascontiguousarray(ends, dtype=np.int64),
        space.view(np.uint8), separator.view(np.uint8), alpha.view(np.uint8), upper.view(np.uint8), unspaced,
        first_table, second_table, pairs.view(np.uint8), stats, needles, first_keys, quoted,
    )  # fmt: skip
    out = {name: stats[:, column] for column, name in enumerate(STAT_NAMES)}
    out["quoted"] = quoted.view(bool)
    if lower is None:
        for name in _LOWER_STATS:
            del out[name]
    else:
        out["needles"] = needles
        out["first_keys"] = first_keys
    return out


def literal_lines(
    lower: str, starts: np.ndarray, ends: np.ndarray, literals: tuple[str, ...], flags: np.ndarray, groups: np.ndarray
) -> np.ndarray:
    """Per line (rows) and group (columns), whether the line holds one of the group's literals, with
    the \\b before (flags & 1) and after (flags & 2) that the literal asks for (C only)."""
    found = np.zeros((len(starts), int(groups.max()) + 1 if len(groups) else 0), dtype=np.uint8)
    _native_segtext.literal_lines(
        lower, literals, np.ascontiguousarray(starts, dtype=np.int64), np.ascontiguousarray(ends, dtype=np.int64),
        flags, groups, found,
    )  # fmt: skip
    return found.view(bool)


def byline_lines(lower: str, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per line, whether `segments.features._BYLINE_DATE` matches in it (C only)."""
    found = np.zeros(len(starts), dtype=np.uint8)
    _native_segtext.byline_lines(
        lower, np.ascontiguousarray(starts, dtype=np.int64), np.ascontiguousarray(ends, dtype=np.int64), found
    )
    return found.view(bool)


def stripped_lines(texts: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """`segments.lines.line_spans` of every text, flat (C only): the lines (str), their (start, end) in
    their text (int64, lines x 2) and the line count of each text (int64)."""
    lines, spans, counts = _native_segtext.stripped_lines(texts)
    return lines, np.frombuffer(spans, dtype=np.int64).reshape(-1, 2), np.frombuffer(counts, dtype=np.int64)
