"""Helpers every safety annotator shares: segment texts of a batch and document roll-ups.

Each safety score exists twice: per segment (so a policy can trim one toxic comment and
keep the article) and per document. The document carries the maximum over segments (the
worst thing in it) and, for adult and spam, the share of its title+main characters that
are flagged, because dropping a whole document is only right when its *main* text is the
problem; a link-farm footer under a good article should be trimmed, not drop the article.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from types import ModuleType

from thresher.document import Document, SegmentKind

try:
    from thresher import _native_safety
except ImportError:  # not compiled (no compiler at install): the Python/NumPy definitions run
    _native_safety = None  # type: ignore[assignment]

FLAG = 0.5
MAIN_KINDS: frozenset[str] = frozenset({SegmentKind.TITLE.value, SegmentKind.MAIN.value})


def segment_signals(documents: list[Document]) -> list[dict[str, object]]:
    """The signal dicts of every segment of the batch, in `segment_texts` order."""
    return [segment.signals for document in documents for segment in document.analysis.segments]


def write_columns(targets: list[dict[str, object]], names: tuple[str, ...], columns: list[list[object]]) -> None:
    """`targets[i][names[k]] = columns[k][i]`, names in order (the C kernel when built)."""
    native = native_safety()
    if native is not None:
        native.write_columns(targets, names, columns)
        return
    for target, values in zip(targets, zip(*columns, strict=True), strict=True):
        target.update(zip(names, values, strict=True))


def segment_texts(documents: list[Document]) -> tuple[list[str], list[tuple[int, int]]]:
    """All segment texts of the batch in order, and (document index, segment index) for each."""
    texts: list[str] = []
    where: list[tuple[int, int]] = []
    for d, document in enumerate(documents):
        text = document.text
        for s, segment in enumerate(document.analysis.segments):
            texts.append(text[segment.start : segment.end])
            where.append((d, s))
    return texts, where


def main_flagged_share(document: Document, signal: str, threshold: float = FLAG) -> float:
    """Share of the characters of title+main segments whose `signal` is >= `threshold`.

    0.0 when the document has no title or main segment: nothing of its main text is flagged.
    """
    total = 0
    flagged = 0
    for segment in document.analysis.segments:
        if segment.kind not in MAIN_KINDS:
            continue
        size = segment.end - segment.start
        total += size
        value = segment.signals.get(signal)
        if isinstance(value, int | float) and value >= threshold:
            flagged += size
    return round(flagged / total, 4) if total else 0.0


def document_max(document: Document, signal: str) -> float:
    """The largest value of a segment signal in the document (0.0 without segments)."""
    values = [v for s in document.analysis.segments if isinstance(v := s.signals.get(signal), int | float)]
    return float(max(values)) if values else 0.0


def native_safety() -> ModuleType | None:
    """The compiled kernels (`thresher._native_safety`), or None when not built or THRESHER_NATIVE=0.

    Read at each call, so THRESHER_NATIVE=0 set in a running process (the tests) takes effect.
    """
    if _native_safety is None or os.environ.get("THRESHER_NATIVE", "1") == "0":
        return None
    return _native_safety


def literal_candidates(texts: list[str], literals: list[str], pattern: re.Pattern[str]) -> list[bool]:
    """For each text, whether its lower-cased form may hold one of `literals` (lower-case ASCII).

    `pattern` matches exactly the literals (a `trie_pattern`): the Python test, one search per
    lower-cased text. The C kernel reads each str in place and may answer True for a text
    holding none ("İ", which lower-cases to "i" and a dot, makes it give up), never False for
    one that holds one; callers run their exact code on every True.
    """
    native = native_safety()
    if native is not None:
        return [flag == 1 for flag in native.literal_candidates(texts, _minimal_literals(tuple(literals)))]
    return [pattern.search(text.lower()) is not None for text in texts]


@lru_cache(maxsize=8)
def _minimal_literals(literals: tuple[str, ...]) -> list[bytes]:
    """The literals that hold no other one ("porn" stands for "porno"), ASCII-encoded: the same test."""
    return [w.encode("ascii") for w in literals if not any(o != w and o in w for o in literals)]


def document_rollups(
    documents: list[Document], values: list[float], threshold: float = FLAG
) -> tuple[list[float], list[float]]:
    """`document_max` and `main_flagged_share` of every document, from its segments' `values`.

    `values` holds one number per segment of the batch, in `segment_texts` order (what the
    annotator just wrote): the same results as the two functions reading them back.
    """
    maxima: list[float] = []
    shares: list[float] = []
    position = 0
    for document in documents:
        segments = document.analysis.segments
        own = values[position : position + len(segments)]
        position += len(segments)
        maxima.append(float(max(own)) if own else 0.0)
        total = flagged = 0
        for segment, value in zip(segments, own, strict=True):
            if segment.kind in MAIN_KINDS:
                size = segment.end - segment.start
                total += size
                if value >= threshold:
                    flagged += size
        shares.append(round(flagged / total, 4) if total else 0.0)
    return maxima, shares
