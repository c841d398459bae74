"""C4's line rules as bit codes (`line_codes`): the C kernel, the Python columns and `c4_line`
agree, on hand-made lines with exact bits and on every distinct line of real crawl."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from thresher.document import Document
from thresher.segments.lines import LineSegmenter
from thresher.signals import c4
from thresher.signals.c4 import (
    CITATION,
    CITED,
    CURLY_BRACKET,
    JAVASCRIPT,
    LOREM_IPSUM,
    NO_TERMINAL_PUNCT,
    POLICY,
    REMOVED,
    TOO_FEW_WORDS,
    TOO_LONG_WORD,
    C4Signals,
    c4_line,
    line_codes,
    python_line_codes,
    verdict_code,
)

CRAWL = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "crawl" / "dolma_CC-MAIN-2019-30_697docs.jsonl.gz"
)
native = pytest.mark.skipif(c4._native_c4 is None, reason="thresher._native_c4 is not built")

# stripped line -> its bits
EXPECTED = {
    "": NO_TERMINAL_PUNCT | TOO_FEW_WORDS | REMOVED,
    "short": NO_TERMINAL_PUNCT | TOO_FEW_WORDS | REMOVED,
    "three words here.": 0,
    "Wait for it...": NO_TERMINAL_PUNCT,
    "He said 'yes'": 0,
    'A "quoted" end"': 0,
    "Is it?": TOO_FEW_WORDS | REMOVED,
    "We use cookies on this site.": POLICY | REMOVED,
    "Our COOKIE Policy is here.": POLICY | REMOVED,
    "This site uses cookies ok.": POLICY | REMOVED,
    "Read the Terms of Use now.": POLICY | REMOVED,
    "See our privacy  policy now.": 0,  # two spaces: not the phrase
    "Enable JavaScript to see it.": JAVASCRIPT | REMOVED,
    "javascript{x} and more.": JAVASCRIPT | REMOVED | CURLY_BRACKET,
    "Lorem Ipsum dolor sit amet.": LOREM_IPSUM,
    "a { b c": NO_TERMINAL_PUNCT | CURLY_BRACKET,
    "java[1]script is here.": JAVASCRIPT | REMOVED | CITED,
    "Cited here, see [12] and [edit].": CITED,
    "Ends with a marker. [citation needed]": CITED | NO_TERMINAL_PUNCT,  # cleaned: ends with a space
    "a b " + "x" * 1001: NO_TERMINAL_PUNCT | TOO_LONG_WORD | REMOVED,
    "a b " + "x" * 1000 + ".": TOO_LONG_WORD | REMOVED,  # the stop belongs to the word
    "a b " + "x" * 1000: NO_TERMINAL_PUNCT,  # 1,000 characters: not too long
    "x" * 1001: NO_TERMINAL_PUNCT | TOO_FEW_WORDS | TOO_LONG_WORD | REMOVED,
    "one\u00a0two\u2003three.": 0,  # no-break and em spaces split words
    "one\u200btwo three.": TOO_FEW_WORDS | REMOVED,  # a zero-width space does not
    "Our coo\u212aie policy applies.": POLICY | REMOVED,  # KELVIN SIGN lowers to 'k'
    "\u0130n javascr\u0130pt we trust.": 0,  # U+0130 lowers to 'i' + U+0307
    "Caf\u00e9 uses cookies, 👍 fine.": POLICY | REMOVED,
    "Ça va très bien?": 0,
}


def _reference(line: str) -> int:
    """The bits of `c4_line`'s verdict: the rules as they were written first."""
    return verdict_code(c4_line(line), "[" in line)


def test_reference_bits_on_hand_made_lines() -> None:
    for line, bits in EXPECTED.items():
        assert _reference(line) == bits, line


@pytest.mark.parametrize("switch", ["0", "1"])
def test_line_codes_exact(monkeypatch: pytest.MonkeyPatch, switch: str) -> None:
    monkeypatch.setenv("THRESHER_NATIVE", switch)
    lines = list(EXPECTED)
    assert line_codes(lines) == [EXPECTED[line] for line in lines]
    assert c4._CLEANED["Ends with a marker. [citation needed]"] == "Ends with a marker. "


@native
def test_kernel_flags_lines_only_python_lowers() -> None:
    lines = ["\u0130 here", "\u212a", "plain line here."]
    codes = c4._native_c4.line_codes(lines, lines)
    assert [code & c4.NEEDS_PYTHON for code in codes] == [c4.NEEDS_PYTHON, c4.NEEDS_PYTHON, 0]


def _crawl_lines() -> list[str]:
    with gzip.open(CRAWL, "rt", encoding="utf-8") as handle:
        texts = [json.loads(row)["text"] for row in handle]
    return list(dict.fromkeys(line.strip() for text in texts for line in text.splitlines()))


@native
@pytest.mark.skipif(not CRAWL.exists(), reason="no crawl sample")
def test_kernel_equals_python_and_reference_on_crawl() -> None:
    lines = _crawl_lines()
    cleaned = [CITATION.sub("", line) if "[" in line else line for line in lines]
    python = python_line_codes(lines, cleaned)
    kernel = c4._native_c4.line_codes(lines, cleaned)
    assert all(k == p or k & c4.NEEDS_PYTHON for k, p in zip(kernel, python, strict=True))
    with_cited = [code | CITED * ("[" in line) for code, line in zip(python, lines, strict=True)]
    assert line_codes(lines) == with_cited  # native: the flagged lines decided in Python
    reference = [_reference(line) & ~CITED for line in lines[:3000]]
    assert python[:3000] == reference


def test_segments_match_c4_line_on_mixed_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    # a `\r` inside a text line: one segment, two C4 lines; removed only when both are.
    text = "Enable javascript now.\rshort\nA fine line of text.\n\nx\u2028We use cookies here."
    for switch in ("0", "1"):
        monkeypatch.setenv("THRESHER_NATIVE", switch)
        document = Document(id="d", text=text)
        LineSegmenter().annotate([document])
        C4Signals().annotate([document])
        for segment in document.analysis.segments:
            piece = text[segment.start : segment.end]
            verdicts = [c4_line(line) for line in piece.splitlines() if line.strip()]
            for name, value in segment.signals.items():
                if name.startswith("c4_line_"):
                    assert value == all(v.segment_signals[name] for v in verdicts), (piece, name)
