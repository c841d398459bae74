"""signals.size: exact counts, and the C pass (`_native.size_counts`) equal to the Python loop."""

from __future__ import annotations

import random

import pytest

from thresher.document import Document, Segment
from thresher.signals import basic
from thresher.signals.basic import SizeSignals

needs_native = pytest.mark.skipif(
    basic._native is None or not hasattr(basic._native, "size_counts"), reason="thresher._native is not built"
)


def _documents() -> list[Document]:
    texts = [
        "one two\tthree\n\n  \nfour\u3000five\x85six\n",  # wide and Latin-1 white space
        "",
        "   \n\t\n",
        "héllo wörld\u00a0x",  # Latin-1 text
        "日本 語\u2028テキスト",  # two-byte text with a wide line separator
        "😀 a\nb😀 c\n\n",  # four-byte text
    ]
    documents = [Document(id=str(i), text=text) for i, text in enumerate(texts)]
    documents[0].analysis.segments = [Segment(0, 7), Segment(5, 12), Segment(14, 100), Segment(9, 3)]
    documents[3].analysis.segments = [Segment(2, 8)]
    documents[4].analysis.segments = [Segment(0, 2), Segment(1, 11)]
    documents[5].analysis.segments = [Segment(0, 4), Segment(3, 7)]
    return documents


def _values(documents: list[Document]) -> list[tuple[dict, list[dict]]]:
    return [(d.analysis.signals, [s.signals for s in d.analysis.segments]) for d in documents]


@pytest.mark.parametrize("native", [pytest.param("0", id="python"), pytest.param("1", id="native", marks=needs_native)])
def test_exact_counts(native: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THRESHER_NATIVE", native)
    documents = _documents()
    SizeSignals().annotate(documents)
    first = documents[0]
    assert first.analysis.signals == {"char_count": 32, "word_count": 6, "line_count": 2, "segment_count": 4}
    assert [s.signals for s in first.analysis.segments] == [
        {"char_count": 7, "word_count": 2},  # "one two"
        {"char_count": 7, "word_count": 2},  # "wo\tthre": cut words count
        {"char_count": 18, "word_count": 3},  # past the end: cut as slicing cuts
        {"char_count": 0, "word_count": 0},  # end before start: empty
    ]
    assert documents[1].analysis.signals == {"char_count": 0, "word_count": 0, "line_count": 0, "segment_count": 0}
    assert documents[2].analysis.signals["line_count"] == 0
    assert documents[3].analysis.signals["word_count"] == 3
    assert documents[4].analysis.signals["word_count"] == 3  # U+2028 separates words, not lines
    assert documents[4].analysis.signals["line_count"] == 1
    assert documents[5].analysis.signals["line_count"] == 2


@needs_native
def test_native_equals_python_on_random_text(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    alphabet = "ab \n\t\x0b\x1c\x85\xa0é\u1680\u2000\u3000日\U0001f600"
    documents = []
    for i in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60)))
        document = Document(id=str(i), text=text)
        for _ in range(rng.randrange(0, 5)):
            start, end = rng.randrange(0, 70), rng.randrange(0, 70)
            document.analysis.segments.append(Segment(start, end))
        documents.append(document)
    copies = [Document(id=d.id, text=d.text) for d in documents]
    for copy, document in zip(copies, documents, strict=True):
        copy.analysis.segments = [Segment(s.start, s.end) for s in document.analysis.segments]
    monkeypatch.setenv("THRESHER_NATIVE", "0")
    SizeSignals().annotate(documents)
    monkeypatch.setenv("THRESHER_NATIVE", "1")
    SizeSignals().annotate(copies)
    assert _values(copies) == _values(documents)


@needs_native
def test_negative_bounds_use_the_python_slicing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THRESHER_NATIVE", "1")
    document = Document(id="n", text="a b c d")
    document.analysis.segments = [Segment(-3, 7)]
    SizeSignals().annotate([document])
    assert document.analysis.segments[0].signals == {"char_count": 3, "word_count": 2}
