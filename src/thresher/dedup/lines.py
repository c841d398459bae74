"""Line-level duplicates: corpus boilerplate (CCNet-style) and repeats inside one document.

CCNet's observation: a line that appears in many documents of a crawl is site furniture
("Share this article", cookie banners, footers), not content. Pass 1 hashes every
normalised line, once per document; a line whose hash occurs in more than
`boilerplate_min_docs` documents is boilerplate everywhere it occurs. Inside one document,
a line seen earlier in the same document (a repeated headline, a "Reply" under every
comment) and a line whose text already appeared earlier (a comment quoting the article
back) add nothing and are marked too.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import xxhash

from thresher.dedup.normalize import _ASCII_PUNCTUATION, _NUMBERS, _PUNCTUATION_TRANS, _combining_marks

BOILERPLATE_LINE = "boilerplate_line"
REPEATED_LINE = "repeated_line"
QUOTED_TEXT = "quoted_text"


@dataclass(slots=True)
class Line:
    """One non-blank line: its span in the original text, its normalised text and hash."""

    start: int
    end: int
    norm: str
    hash: int


def split_lines(text: str) -> list[Line]:
    """Non-blank lines with original offsets, normalised as `simplify_text` does, line by line.

    The folding runs once over the whole text with newlines kept (no folding step crosses a
    newline), then each line's white space is collapsed: one pass instead of one per line.
    """
    folded = _NUMBERS.sub("0", text.lower())
    if folded.isascii():
        folded = folded.encode().translate(_ASCII_PUNCTUATION).decode()
    else:
        folded = folded.translate(_PUNCTUATION_TRANS)
    folded_lines = folded.split("\n")
    lines: list[Line] = []
    start = 0
    for raw, fold in zip(text.split("\n"), folded_lines, strict=True):
        end = start + len(raw)
        norm = " ".join(fold.split())
        if norm:
            if not norm.isascii():
                norm = unicodedata.normalize("NFD", norm).translate(_combining_marks()).strip()
            if norm:
                lines.append(Line(start, end, norm, xxhash.xxh3_64_intdigest(norm.encode("utf-8", "surrogatepass"))))
        start = end + 1
    return lines


def document_line_hashes(text: str) -> np.ndarray:
    """The distinct normalised-line hashes of one document (each counts once per document)."""
    lines = split_lines(text)
    if not lines:
        return np.empty(0, dtype=np.uint64)
    return np.unique(np.fromiter((line.hash for line in lines), dtype=np.uint64, count=len(lines)))


@dataclass(slots=True)
class LineMark:
    """A line to trim and why."""

    start: int
    end: int
    rule: str
    message: str


def mark_lines(
    text: str,
    boilerplate: np.ndarray | None,
    min_docs: int,
    within_document: bool,
    repeated_min_words: int,
    quote_min_words: int,
) -> tuple[list[Line], list[LineMark | None]]:
    """Every non-blank line of `text`, and for each the mark that trims it (None: kept)."""
    lines = split_lines(text)
    marks: list[LineMark | None] = [None] * len(lines)
    if not lines:
        return lines, marks
    if boilerplate is not None and len(boilerplate):
        hashes = np.fromiter((line.hash for line in lines), dtype=np.uint64, count=len(lines))
        where = np.searchsorted(boilerplate, hashes)
        where[where >= len(boilerplate)] = 0
        common = boilerplate[where] == hashes
        for index in np.flatnonzero(common):
            marks[index] = LineMark(
                lines[index].start,
                lines[index].end,
                BOILERPLATE_LINE,
                f"line found in more than {min_docs} documents of the corpus",
            )
    if within_document:
        seen: set[int] = set()
        earlier: set[tuple[str, ...]] = set()  # word q-grams of the lines before this one
        q = quote_min_words
        for index, line in enumerate(lines):
            words = line.norm.split(" ")
            grams = [tuple(words[i : i + q]) for i in range(len(words) - q + 1)]
            if marks[index] is None:
                if line.hash in seen and len(words) >= repeated_min_words:
                    marks[index] = LineMark(line.start, line.end, REPEATED_LINE, "line repeats an earlier line")
                elif grams and sum(gram in earlier for gram in grams) * 2 >= len(grams):
                    marks[index] = LineMark(
                        line.start,
                        line.end,
                        QUOTED_TEXT,
                        f"most of the line's {q}-word runs appear earlier in the document (quoted back)",
                    )
            seen.add(line.hash)
            earlier.update(grams)
    return lines, marks
