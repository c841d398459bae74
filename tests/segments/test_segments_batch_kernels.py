"""The plain-text segmenter's per-batch kernels (thresher._native_segtext via segments/_kernels.py).

Each C kernel must give, bit for bit, what the one-document NumPy function it replaces gives
document by document (that function is also the fallback); the segmenter must give the same
segments with and without the kernels.
"""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

import numpy as np
import orjson
import pytest

from thresher.document import Document
from thresher.segments import _kernels, labelling, model
from thresher.segments import features as f
from thresher.segments.features import LineBatch, batch_text_features
from thresher.segments.lines import line_spans
from thresher.segments.segmenter import TextSegmenter

needs_native = pytest.mark.skipif(not _kernels.native_available(), reason="thresher._native_segtext is not built")
CRAWL = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "crawl" / "dolma_CC-MAIN-2019-30_697docs.jsonl.gz"
)

# Three documents (3, 0 and 4 lines): the kernels must not look across a document's edges.
OFFSETS = np.asarray([0, 3, 3, 7], dtype=np.int64)
VALUES = np.asarray([0.25, 1.0, 0.5, 0.125, 0.75, 0.0, 1.0])


@pytest.fixture(params=[True, pytest.param(False, id="fallback")], ids=["native", "fallback"])
def native(request: pytest.FixtureRequest) -> bool:
    if request.param and not _kernels.native_available():
        pytest.skip("thresher._native_segtext is not built")
    return request.param


def test_offsets_of():
    assert _kernels.offsets_of(np.asarray([3, 0, 4])).tolist() == [0, 3, 3, 7]


def test_window_means_stay_inside_each_document(native: bool):
    out = model.window_means(VALUES, OFFSETS, 1, native)
    assert out.tolist() == [0.625, 0.5833333333333334, 0.75, 0.4375, 0.2916666666666667, 0.5833333333333334, 0.5]


def test_span_masks_find_each_documents_best_run(native: bool):
    scores = np.asarray([-1.0, 2.0, -0.5, 1.0, -3.0, 0.5, 0.25])
    assert model.span_masks(scores, OFFSETS, native).tolist() == [False, True, False, True, False, False, False]
    # ties: the first best end, then the first lowest start; nothing when no run gains
    assert model.span_masks(np.asarray([1.0, -1.0, 1.0]), np.asarray([0, 3]), native).tolist() == [
        True, False, False,
    ]  # fmt: skip
    assert not model.span_masks(np.asarray([-1.0, 0.0]), np.asarray([0, 2]), native).any()


def test_window_maxes(native: bool):
    out = model.window_maxes(VALUES, OFFSETS, 2, native)
    assert out.tolist() == [1.0, 1.0, 1.0, 0.75, 1.0, 1.0, 1.0]


def test_distances_to(native: bool):
    mask = np.asarray([False, False, True, False, False, False, False])
    expected = np.log1p([2.0, 1.0, 0.0, 4.0, 4.0, 4.0, 4.0])
    assert np.array_equal(model.distances_to(mask, OFFSETS, native), expected)


def test_title_lines(native: bool):
    heading = np.asarray([True, False, False, False, True, False, False])
    main = np.asarray([False, True, True, False, True, False, False])
    # document 0: the heading above its first main line; 2: its first main line is a heading, but no more main
    assert labelling.title_lines(heading, main, OFFSETS, native).tolist() == [0, -1, -1]
    main[6] = True
    assert labelling.title_lines(heading, main, OFFSETS, native).tolist() == [0, -1, 1]


@needs_native
def test_gram_overlap_counts_3grams_seen_in_earlier_lines_of_the_document():
    lines = ["the cat sat on", "so the cat sat", "the cat sat", "x", "the cat sat down"]
    lower = "\n".join(lines)
    hits, totals = _kernels.gram_overlap(lower, np.asarray([0, 3, 5], dtype=np.int64))
    # the last line is another document: nothing of the first is "earlier" for it
    assert totals.tolist() == [2, 2, 1, 0, 2]
    assert hits.tolist() == [0.0, 1.0, 1.0, 0.0, 0.0]
    # words as _ALPHA_WORD reads them: a letter first, then word characters, apostrophes, hyphens
    hits, totals = _kernels.gram_overlap("1 don’t stop-me now_ 2x\ndon’t stop-me now_", np.asarray([0, 2]))
    assert totals.tolist() == [2, 1] and hits.tolist() == [0.0, 1.0]


@needs_native
def test_kernels_reject_bad_offsets():
    with pytest.raises(ValueError, match="offsets"):
        model.window_means(VALUES, np.asarray([0, 5], dtype=np.int64), 1, True)


HAND_MADE = [
    [
        "Home | News | Sport » World",
        'He said “yes?” and she asked "why?" then left?',
        "\tTabbed\tline with 2 digits 42",
        "İstanbul’da HAVA güzel: “open quote runs on?",
        "日本語のテキストです。",
        "ภาษาไทย ข้อความ",
        "by John Smith, Nov 18, 2019 11:47am",
        "Copyright © 2019 … all rights reserved",
        "the cat sat on the mat and the cat sat again",
    ],
    [],
    ["x", "ΟΔΟΣ οδος Σ", "a - b / c · d", "lol!! :) www.example.com #tag @handle.com", "\ud800 lone surrogate"],
    ["- item one", " \t12) twelfth", "1234. not a marker", "•\tbullet", "٣. Arabic-Indic digit", "-no space"],
    ["I said “you and me” to you", "We're OURS, yours: u use i2 my_ me?", '"my" mine', "Your/our", "us"],
]


def test_person_and_list_marker_counts_from_the_c_pass_match_the_regexes(monkeypatch: pytest.MonkeyPatch):
    lines = HAND_MADE[3] + HAND_MADE[4]
    expected_person, expected_list = [0.0] * 6 + [2.0, 5.0, 1.0, 2.0, 1.0], [1.0, 1.0, 0.0, 1.0, 1.0, 0.0] + [0.0] * 5
    for setting in ("1", "0"):
        monkeypatch.setenv("THRESHER_NATIVE", setting)
        batch = LineBatch([lines])
        assert batch.match_counts(f._PERSON, exclude_quoted=True).tolist() == expected_person
        assert batch.match_counts(f._LIST_MARKER).tolist() == expected_list


def _features(lines_of: list[list[str]]) -> np.ndarray:
    return batch_text_features(LineBatch(lines_of))


@needs_native
def test_line_features_native_equal_fallback_on_hand_made_lines(monkeypatch: pytest.MonkeyPatch):
    native = _features(HAND_MADE)
    monkeypatch.setenv("THRESHER_NATIVE", "0")
    fallback = _features(HAND_MADE)
    assert native.shape == fallback.shape == (25, 34)
    assert np.array_equal(native, fallback)


def _crawl_texts(count: int) -> list[str]:
    if not CRAWL.exists():
        pytest.skip(f"{CRAWL} not found")
    with gzip.open(CRAWL, "rb") as handle:
        texts = [r["text"] for r in map(orjson.loads, handle) if isinstance(r.get("text"), str)]
    return texts[:count]


def _segments(texts: list[str]) -> list[list[tuple]]:
    documents = [Document(id=str(i), text=text) for i, text in enumerate(texts)]
    TextSegmenter().annotate(documents)
    return [
        [(s.start, s.end, s.kind, s.kept, tuple(s.signals.items())) for s in d.analysis.segments] for d in documents
    ]


@needs_native
def test_native_equal_fallback_on_real_crawl(monkeypatch: pytest.MonkeyPatch):
    texts = _crawl_texts(150) + ["", "\n \n", "One line only", *("\n".join(lines) for lines in HAND_MADE)]
    # without "İ" (lower-casing makes it two characters) the needle bits come from the C pass too
    texts = [text.replace("İ", "I") for text in texts]
    lines_of = [[text[s:e] for s, e in line_spans(text)] for text in texts]
    assert "needles" in LineBatch(lines_of).native_stats
    native_features, native_segments = _features(lines_of), _segments(texts)
    monkeypatch.setenv("THRESHER_NATIVE", "0")
    assert np.array_equal(native_features, _features(lines_of))
    assert native_segments == _segments(texts)


def _generated_lines(count: int, seed: int = 23) -> list[str]:
    """Lines stitched from the phrase patterns' literals, their near misses and word/non-word neighbours."""
    rng = np.random.default_rng(seed)
    literals = [literal for pattern in f._LITERALS.values() for literal, _, _ in pattern]
    pieces = (
        literals
        + [w[:-1] for w in literals if len(w) > 2]
        + [w + "s" for w in literals]
        + [w.upper() for w in literals[:20]]
        + ["i", "me", "you're", "ours", "use", "my_", "“you”", '"we"', "- ", "12) ", "1234. ", "•\t", "٣. ", "2019"]
    )
    joins = [
        "",
        " ",
        "  ",
        "_",
        "-",
        "'",
        "’",
        ".",
        ":",
        "(",
        ")",
        "é",
        "ß",
        "1",
        "中",
        "\t",
        "©",
        "…",
        "!",
        "?",
        ";",
        "x",
    ]
    lines = []
    for _ in range(count):
        parts = [str(rng.choice(joins)) if rng.random() < 0.5 else ""]
        for _ in range(int(rng.integers(1, 6))):
            parts += [str(rng.choice(pieces)), str(rng.choice(joins))]
        lines.append("".join(parts))
    return lines


@needs_native
def test_c_phrase_matching_agrees_with_the_regexes_on_generated_lines(monkeypatch: pytest.MonkeyPatch):
    documents = [_generated_lines(400, seed) for seed in range(6)]
    native = LineBatch(documents)
    assert native.native_literals is not None and "person" in native.native_stats
    monkeypatch.setenv("THRESHER_NATIVE", "0")
    fallback = LineBatch(documents)
    for pattern in f._LITERALS:
        expected = (fallback.match_counts(pattern) > 0).astype(np.float64)
        assert np.array_equal(native.has_match(pattern), expected), pattern.pattern
        assert 100 < expected.sum() < len(fallback) - 100  # both outcomes well represented
    person = (f._PERSON, True)
    assert np.array_equal(native.match_counts(*person), fallback.match_counts(*person))
    assert np.array_equal(native.match_counts(f._LIST_MARKER), fallback.match_counts(f._LIST_MARKER))
    assert np.array_equal(batch_text_features(native), batch_text_features(fallback))


def _generated_dates(count: int, seed: int = 7) -> list[str]:
    """Lines of bylines, dates and times, whole and broken, in and out of words."""
    rng = np.random.default_rng(seed)
    pieces = [
        "by", "By ", "posted", "Published ", "updated:", "written by", "last updated", "bye", "jan", "Nov", "nov.",
        "November", "sept", "Sept.", "sep", "mayo", "decx", "Dec.", "oct,", "1", "18", "018", "2019", "20191", "201",
        "٣", "٢٠١٩", "st", "nd", "rd", "th", "xx", "11:47", "1:05", "11:475", "111:47", "am", "pm", " am", "pmx",
        "2019-11-18", "2019/11/18", "2019-1-18", "2019-11-181", "12019-11-18", "a", "_", "x1",
    ]  # fmt: skip
    joins = ["", " ", " ", ",", ", ", ".", "-", "/", ":", "_", "é", "\t", "(", "1"]
    lines = []
    for _ in range(count):
        parts = []
        for _ in range(int(rng.integers(1, 7))):
            parts += [str(rng.choice(pieces)), str(rng.choice(joins))]
        lines.append("".join(parts))
    return lines


@needs_native
def test_c_byline_date_matching_agrees_with_the_regex_on_generated_lines(monkeypatch: pytest.MonkeyPatch):
    documents = [_generated_dates(500, seed) for seed in range(8)]
    documents.append(["Nov 18, 2019", "18th November 2019", "11:47am", "2019-11-18", "By Jane", "Posted by x", "x by"])
    native = LineBatch(documents)
    found = native.has_match(f._BYLINE_DATE)
    monkeypatch.setenv("THRESHER_NATIVE", "0")
    expected = (LineBatch(documents).match_counts(f._BYLINE_DATE) > 0).astype(np.float64)
    assert np.array_equal(found, expected)
    assert found[-7:].tolist() == [1.0] * 6 + [0.0]
    assert 500 < expected.sum() < len(expected) - 500


def test_comment_documents_are_those_where_comment_split_finds_comments():
    texts = _crawl_texts(697)
    batch = LineBatch([[text[s:e] for s, e in line_spans(text)] for text in texts])
    features = batch_text_features(batch)
    model = TextSegmenter().model
    probabilities = model.rescore_text_batch(model.stage1.probabilities(features), batch.words, batch.offsets, False)
    main = model.decode_batch(probabilities, batch.words, batch.offsets, False)
    prose = np.expm1(features[:, labelling._COLUMN["log_words"]]) >= 4
    evidence = labelling.comment_evidence(features)
    expected = []
    bounds = batch.offsets.tolist()
    for a, b in itertools.pairwise(bounds):
        positions = np.flatnonzero(main[a:b])
        first = int(positions[0]) if len(positions) else 0
        if b > a and labelling.comment_split(evidence[a:b], prose[a:b], first) is not None:
            expected.append((a, b))
    assert len(expected) > 10
    assert labelling._comment_documents(features, main, batch.offsets) == expected


@needs_native
def test_stripped_lines_are_line_spans():
    texts = [
        "", "\n\n", "  a  \n\tb\r\n\u2028c\u2028 \n", "\u3000x y\u3000\n\x1c\x1d", "one", "😀 emoji\n \n\ud800 lone",
        "a\rb\x85c\n", *_crawl_texts(60),
    ]  # fmt: skip
    lines, spans, counts = _kernels.stripped_lines(texts)
    expected = [line_spans(text) for text in texts]
    assert counts.tolist() == [len(spans_of) for spans_of in expected]
    assert [tuple(span) for span in spans.tolist()] == [span for spans_of in expected for span in spans_of]
    assert lines == [text[s:e] for text, spans_of in zip(texts, expected, strict=True) for s, e in spans_of]
    assert expected[2] == [(2, 3), (7, 8), (11, 12)]
