"""The machinery behind RedPajama-v2's signals: code point tables, batches, segments, UT1."""

from __future__ import annotations

import json
import re
import string
import sys
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thresher.document import Document, Segment
from thresher.signals import rpv2
from thresher.signals._tokens import native_available
from thresher.signals.rpv2 import (
    LINE_SIGNALS,
    RedPajamaSignals,
    UT1IndexError,
    batch_lines,
    char_tables,
    code_points,
    rps_document_signals,
    rps_line_signals,
    rps_lines,
    ut1_category,
)


def test_char_tables_agree_with_str_methods_on_every_code_point() -> None:
    """The tables skip the unassigned planes; this checks that skipping changes nothing."""
    tables = char_tables()
    chars = list(map(chr, range(sys.maxunicode + 1)))
    punct = set(string.punctuation)
    space = np.fromiter(map(str.isspace, chars), dtype=bool)
    upper = np.fromiter(map(str.isupper, chars), dtype=bool)
    assert np.array_equal((tables.flags & rpv2._SPACE) != 0, space)
    assert np.array_equal((tables.flags & rpv2._UPPER) != 0, upper)
    word = np.fromiter((re.match(r"\w", c) is not None for c in chars), dtype=bool)
    assert np.array_equal((tables.flags & rpv2._WORD) != 0, word)
    spoils_upper = np.fromiter((not (c + "A").isupper() for c in chars), dtype=bool)
    assert np.array_equal((tables.flags & rpv2._LOWER_OR_TITLE) != 0, spoils_upper)
    assert np.flatnonzero(tables.flags & rpv2._ASCII_LETTER_FLAG).tolist() == sorted(map(ord, string.ascii_letters))
    decomposed = [unicodedata.normalize("NFD", c.lower()) for c in chars]
    length = np.array([0 if c.isspace() or c in punct else len(d) for c, d in zip(chars, decomposed, strict=True)])
    numeric = np.array([sum(map(str.isnumeric, d)) for d in decomposed])
    assert np.array_equal(tables.normalized_length, length)
    assert np.array_equal(tables.normalized_numeric, numeric)
    # The C kernel's per-character normalisation: each character's NFD(lower) in the pool
    # (or the character itself), and the flag on those a word must be normalised whole for.
    pool = rpv2.expansion_pool()
    start = tables.expansion_start
    expanded = [
        c if start[i] == rpv2._IDENTITY else "".join(map(chr, pool[start[i] : start[i] + len(d)].tolist()))
        for i, (c, d) in enumerate(zip(chars, decomposed, strict=True))
    ]
    assert expanded == decomposed
    unsafe = np.array(
        [
            c == "\u03a3" or (d != "" and unicodedata.combining(d[0]) != 0)
            for c, d in zip(chars, decomposed, strict=True)
        ]
    )
    assert np.array_equal((tables.flags & rpv2._UNSAFE_NORM) != 0, unsafe)
    assert not any(ch.isspace() for c, d in zip(chars, decomposed, strict=True) if not c.isspace() for ch in d)


def test_batch_of_texts_gives_each_text_its_own_values() -> None:
    texts = ["AB\ncd 12.", "", "x y\n\n", "javascript here\nnone"]
    lines = batch_lines(texts, [False, False, False, True])
    for text, found in zip(texts, lines, strict=True):
        alone = rps_lines(text)
        assert found.starts.tolist() == alone.starts.tolist()
        assert found.values == alone.values
    assert [len(found.values) for found in lines] == [2, 0, 2, 2]
    assert lines[3].values[0][1] == 1


def test_words_do_not_run_across_texts_in_a_batch() -> None:
    lines = batch_lines(["ab", "cd"], [False, False])
    assert [found.values[0][0] for found in lines] == [1, 1]
    texts = ["ab ...", "!! cd", "x.", "?"]
    lines = batch_lines(texts, [False] * 4)
    assert [found.values for found in lines] == [rps_lines(text).values for text in texts]
    assert [found.values[0][0] for found in lines] == [1, 1, 1, 0]


def test_batch_document_signals_equal_one_by_one() -> None:
    texts = ["The cat sat. The cat sat.", "Lorem ipsum, lorem ipsum", "!!!", "", "bastard bastard"]
    chunks = rpv2._Chunks()
    together, javascript = rpv2.batch_document_signals(texts, ["en"] * len(texts), chunks)
    assert together == [rps_document_signals(text) for text in texts]
    assert javascript == [False] * len(texts)


@pytest.mark.skipif(not native_available(), reason="thresher._native is not built")
def test_python_token_table_gives_the_same_signals(seeds_dir: Path) -> None:
    texts = [path.read_text(encoding="utf-8") for path in sorted(seeds_dir.glob("*.txt"))]
    native = rpv2.batch_document_signals(texts, ["en"] * len(texts), rpv2._Chunks(native=True))
    python = rpv2.batch_document_signals(texts, ["en"] * len(texts), rpv2._Chunks(native=False))
    assert native == python


_REGISTER_EDGES = [
    "The the THE the, (the) don't Don't isn't",  # stop words: case-sensitive \\w tokens
    "e\u0301t\u00e9 \u00e9t\u00e9 \u1e69 s\u0323\u0307 a\u0301\u0323",  # NFD reorders marks: Python normalises these
    "\u03a3\u0399\u03a3\u03a5\u03a6\u039f\u03a3 \u03a3 \u03bf\u03a3. \u212a \u0130stanbul \u00df \ufb01",
    "JavaScript java.script JAVASCRIPT; nojavascript",
    "Lorem-ipsum LOREM IPSUM dolorem ipsumque lorem\nipsum",
    "two girls one cup, blue waffle; ball sack ball-sack",  # LDNOOBW entries of two and more words
    "\ud800x\udfff \U0001f600 \U000e0001 \U0010ffff \U00030000 \u4e00\u4e01",
    "!!! ... \u2026 #hash {x} 12,5\u20ac \u00bd \u00b2 ___",
]


def test_native_chunk_registration_equals_python(seeds_dir: Path) -> None:
    """The C kernel's chunk facts and normalised words (and the words it leaves to Python)
    give the Python path's signals, in every language's lists."""
    if not rpv2._kernels_built() or not native_available():
        pytest.skip("thresher._native is not built")
    texts = _REGISTER_EDGES + [path.read_text(encoding="utf-8") for path in sorted(seeds_dir.glob("*.txt"))]
    texts += [" ".join(_REGISTER_EDGES)]
    for language in (*rpv2.LANGUAGES, "zz"):
        languages = [language] * len(texts)
        native = rpv2.batch_document_signals(texts, languages, rpv2._Chunks(native=True))
        python = rpv2.batch_document_signals(texts, languages, rpv2._Chunks(native=False))
        assert native == python
    # registered a batch at a time (chunks seen before are not registered again)
    chunks = rpv2._Chunks(native=True)
    one_by_one = [rpv2.batch_document_signals([text], ["en"], chunks) for text in texts]
    together = rpv2.batch_document_signals(texts, ["en"] * len(texts), rpv2._Chunks(native=True))
    assert [signals[0] for signals, _ in one_by_one] == together[0]
    assert [found[0] for _, found in one_by_one] == together[1]


_NATIVE_OR_NOT = [
    False,
    pytest.param(True, marks=pytest.mark.skipif(not native_available(), reason="thresher._native is not built")),
]


def _chunk_rows(chunks: list[str], native: bool) -> np.ndarray:
    """Per chunk (no white space in any): WordPunct tokens, those str.isupper, those with an
    ASCII letter, then \\w stop-word tokens per language; by the C kernel (`rpv2_register`)
    or by the NumPy fallback."""
    if not native:
        tokens, caps, alpha, word_chunk = rpv2._chunk_token_stats("\n".join(chunks), len(chunks))
        stops = rpv2._chunk_stop_counts(chunks, tokens, word_chunk)
        return np.column_stack((tokens, caps, alpha, stops.T)).astype(np.int64)
    table = rpv2._Chunks(native=True)
    ids, _ = table.lookup([" ".join(chunks)])
    return table.counts[ids].astype(np.int64)


@pytest.mark.parametrize("native", _NATIVE_OR_NOT)
def test_chunk_token_counts_equal_wordpunct_on_each_chunk(native: bool) -> None:
    chunks = ["Don't", "NASA's", "ǅemal", "ⒶⒷ", "12,5€", "___", "é\ud800x", "ab-CD!!", "\u03a3\u0301A"]
    rows = _chunk_rows(chunks, native)
    expected = [rpv2.wordpunct_tokens(chunk) for chunk in chunks]
    assert rows[:, 0].tolist() == [len(e) for e in expected]
    assert rows[:, 1].tolist() == [sum(map(str.isupper, e)) for e in expected]
    assert rows[:, 2].tolist() == [sum(re.search("[a-zA-Z]", t) is not None for t in e) for e in expected]
    _, _, _, word_chunk = rpv2._chunk_token_stats("\n".join(chunks), len(chunks))
    assert word_chunk.tolist() == [i for i, chunk in enumerate(chunks) for _ in re.findall(r"\w+", chunk)]


def test_chunk_table_is_cleared_past_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    chunks = rpv2._Chunks()
    monkeypatch.setattr(rpv2._Chunks, "LIMIT", 3)
    first, _ = rpv2.batch_document_signals(["a b c d e f"], ["en"], chunks)
    again, _ = rpv2.batch_document_signals(["a b c d e f"], ["en"], chunks)
    assert first == again
    assert len(chunks.table) == 6


def test_segments_get_the_values_of_the_line_they_lie_in() -> None:
    text = "Title IN CAPS 2024\n  body ½ text, ok.  \nwarSmoke 3\n"
    spans = [(0, 18), (21, 37), (40, 43), (43, 50)]  # the last line split in two segments
    document = Document(id="d", text=text)
    document.analysis.segments = [Segment(start=s, end=e, kind="main") for s, e in spans]
    RedPajamaSignals().annotate([document])
    lines = [text[0:19], text[19:40], text[40:]]
    for (start, _), segment in zip(spans, document.analysis.segments, strict=True):
        line = next(line for line, at in zip(lines, (0, 19, 40), strict=True) if at <= start < at + len(line))
        assert {k: v for k, v in segment.signals.items() if k in LINE_SIGNALS} == rps_line_signals(line)
    signals = document.analysis.signals
    assert signals["rps_doc_frac_no_alph_words"] == round(1 - 7 / 12, 8)  # 2024 ½ , . 3 have none
    assert signals["rps_doc_ut1_blacklist"] is None


def test_segments_read_the_language_signal() -> None:
    document = Document(id="d", text="le chat et le chien")
    document.analysis.signals["language"] = "fr"
    RedPajamaSignals().annotate([document])
    assert (
        document.analysis.signals["rps_doc_stop_word_fraction"]
        == rps_document_signals(document.text, language="fr")["rps_doc_stop_word_fraction"]
    )


def test_ut1_category_is_looked_up_by_the_urls_netloc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = tmp_path / "domain_to_category_id.json"
    index.write_text(json.dumps({"example.com": 3}), encoding="utf-8")
    monkeypatch.setenv(rpv2.UT1_SETTING, str(index))
    documents = [
        Document(id="a", text="x", url="https://example.com/page"),
        Document(id="b", text="x", url="https://www.example.com/page"),
        Document(id="c", text="x"),
        Document(id="d", text="x", url="http://[::1"),
    ]
    RedPajamaSignals().annotate(documents)
    assert [d.analysis.signals["rps_doc_ut1_blacklist"] for d in documents] == [3, None, None, None]
    assert ut1_category("https://example.com", {"example.com": 1}) == 1


def test_an_unreadable_ut1_index_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(rpv2.UT1_SETTING, str(tmp_path / "missing.json"))
    with pytest.raises(UT1IndexError, match=r"domain_to_category_id\.json"):
        RedPajamaSignals()
    bad = tmp_path / "bad.json"
    bad.write_text('["not", "a", "mapping"]', encoding="utf-8")
    monkeypatch.setenv(rpv2.UT1_SETTING, str(bad))
    with pytest.raises(UT1IndexError, match="domain -> integer category id"):
        RedPajamaSignals()


def test_vectorised_rounding_equals_pythons_round() -> None:
    rng = np.random.default_rng(7)
    values = np.concatenate(
        (
            rng.random(20_000),
            np.arange(1, 2000) / 7,  # fractions RPv2 divides: k / n
            np.array([0.123456785, 0.000000005, 0.5, 2.5e-9, 0.999999995, 0.0]),
            (np.arange(0, 1000) + 0.5) / 1e8,  # exact-looking halves
        )
    )
    expected = [round(v, 8) for v in values.tolist()]
    assert rpv2.round_like_python(values).tolist() == expected


def test_code_points_keep_lone_surrogates() -> None:
    assert code_points("a\ud800").tolist() == [97, 0xD800]
    out = rps_document_signals("a\ud800 b")
    assert out["rps_doc_word_count"] == 2


def test_tables_grown_block_by_block_give_the_values_of_full_tables() -> None:
    """A process that first sees ASCII, then CJK, Cyrillic and emoji, builds the tables lazily;
    its values must equal those of a process that built every code point up front."""
    import subprocess

    script = (
        "import json, sys\n"
        "from thresher.signals import rpv2\n"
        "if sys.argv[1] == 'full':\n"
        "    rpv2.char_tables()\n"
        "texts = ['Plain ASCII text.\\nA SECOND line!',"
        " 'Ёлки ПАЛКИ 12 ½ ٣.\\n漢字テキスト 😀 “quoted”', 'ǅemal ﬁne Ⅻ',"
        " 'a\\u3000b\\u2028c\\u1680d \\u16a0 \\u0f0c…\\U0001d7d8'] \n"
        # the line kernel first: white space of blocks no chunk has reached yet
        "lines = [rpv2.rps_lines(t).values for t in texts[::-1]]\n"
        "print(json.dumps([lines, [rpv2.rps_document_signals(t) for t in texts]], sort_keys=True))\n"
    )
    lazy, full = (
        subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True, check=True).stdout
        for mode in ("lazy", "full")
    )
    assert lazy == full


# Edges of the C kernels' scans: empty texts and lines, a text ending in "\n", lone
# surrogates, white space other than "\n" (\r, \x85, U+3000) around ellipses, "_" (a word
# character), terminal marks and bullets after and before white space, words of punctuation.
_KERNEL_EDGES = [
    "",
    "\n",
    "\n\n",
    "a",
    "...",
    "x...\n",
    "\u2026 \t\n...\r\n. ..",
    "Hi! ... ok?? yes.",
    "é. Ünd\u2026\u3000 ",
    "_x_ .!? __ ?!a",
    "\ud800 abc\udfff...",
    "\n\n  \u2022 item\n \u25b6\n",
    "— ... \x85...\x85",
    "Quote\u201d  \nJS: javascript, JavaScript!\n",
    "ǅemal ⒶⒷ 12,5€ -- ½ ²",
]


@pytest.mark.skipif(not native_available(), reason="thresher._native is not built")
def test_native_line_and_text_kernels_equal_the_numpy_fallback(seeds_dir: Path) -> None:
    texts = _KERNEL_EDGES + [path.read_text(encoding="utf-8") for path in sorted(seeds_dir.glob("*.txt"))]
    texts += ["".join(_KERNEL_EDGES), "\n".join(_KERNEL_EDGES)]
    javascript = ["javascript" in rpv2.normalized_words(text) for text in texts]
    python = rpv2._line_values(texts, javascript, native=False)
    native = rpv2._line_values(texts, javascript, native=True)
    for ours, theirs in zip((*python[:2], python[3]), (*native[:2], native[3]), strict=True):
        assert np.array_equal(ours, theirs)
    for ours, theirs in zip(python[2], native[2], strict=True):
        assert ours.dtype == theirs.dtype
        assert np.array_equal(ours, theirs)
    assert python[4] == native[4]
    assert rpv2._text_counts(texts, native=False) == rpv2._text_counts(texts, native=True)
    chunks = [chunk for text in texts for chunk in text.split()]
    assert np.array_equal(_chunk_rows(chunks, native=False), _chunk_rows(chunks, native=True))


@pytest.mark.parametrize("native", _NATIVE_OR_NOT)
def test_text_counts_by_hand(native: bool) -> None:
    texts = ["", "Hi! ... ok?? yes.", "x...\n", "a...  \r\nb \u2026\n...", ".!?", "_a. b", "#..... {}}\u2026\u2026"]
    counts = rpv2._text_counts(texts, native=native)
    assert [row[0] for row in counts] == [0, 3, 1, 2, 0, 2, 0]  # sentences
    assert [row[1] for row in counts] == [0, 0, 1, 3, 0, 0, 1]  # lines ending with an ellipsis
    assert [row[2] for row in counts] == [0, 1, 1, 3, 0, 0, 4]  # "#", "..." (non-overlapping), "\u2026"
    assert [row[3] for row in counts] == [0, 0, 0, 0, 0, 0, 3]  # "{" and "}"
    assert [row[4] for row in counts] == [0, 0, 1, 2, 0, 0, 0]  # "\n"


_KERNEL_ALPHABET = "aZé_1½ .!?\n\r\t\x85\u3000\u2026\u201d\u2022\u2013-#'{}ǅⒶ\ud800"


@pytest.mark.skipif(not native_available(), reason="thresher._native is not built")
@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=_KERNEL_ALPHABET, max_size=40), min_size=1, max_size=6))
def test_native_kernels_equal_the_fallback_on_generated_texts(texts: list[str]) -> None:
    javascript = [False] * len(texts)
    python = rpv2._line_values(texts, javascript, native=False)
    native = rpv2._line_values(texts, javascript, native=True)
    assert np.array_equal(python[0], native[0])
    for ours, theirs in zip(python[2], native[2], strict=True):
        assert np.array_equal(ours, theirs)
    assert rpv2._text_counts(texts, native=False) == rpv2._text_counts(texts, native=True)
    chunks = [chunk for text in texts for chunk in text.split()]
    if chunks:
        assert np.array_equal(_chunk_rows(chunks, native=False), _chunk_rows(chunks, native=True))


def _word_stats_equal(ids: list[int], lengths: list[int], docs: list[int], count: int) -> None:
    arrays = [np.array(values, dtype=np.int64) for values in (ids, lengths, docs)]
    python = rpv2._WordStats.of(*arrays, count, native=False)
    native = rpv2._WordStats.of(*arrays, count, native=True)
    assert python.chars.tolist() == native.chars.tolist()
    assert python.distinct.tolist() == native.distinct.tolist()
    assert python.entropy.tolist() == native.entropy.tolist()  # the same sums in the same order
    assert {k: v.tolist() for k, v in python.numerators.items()} == {
        k: v.tolist() for k, v in native.numerators.items()
    }


@pytest.mark.skipif(not native_available(), reason="thresher._native is not built")
def test_native_word_grouping_gives_the_same_ngram_statistics() -> None:
    # Ties between top n-grams, n-grams repeated across documents but not within, a document
    # of one word, empty documents, runs of one word longer than any n.
    _word_stats_equal([0, 1, 0, 1, 2, 3, 2, 3], [1, 2, 1, 2, 3, 1, 3, 1], [0] * 8, 1)
    _word_stats_equal([0, 1, 2, 0, 1, 2, 5], [2, 2, 2, 2, 2, 2, 4], [0, 0, 0, 2, 2, 2, 3], 5)
    _word_stats_equal([7] * 25, [3] * 25, [1] * 25, 2)
    _word_stats_equal([], [], [], 3)


@pytest.mark.skipif(not native_available(), reason="thresher._native is not built")
@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 6), max_size=40), min_size=1, max_size=5))
def test_native_word_grouping_equals_sorting_on_generated_documents(documents: list[list[int]]) -> None:
    ids = [word for document in documents for word in document]
    docs = [d for d, document in enumerate(documents) for _ in document]
    _word_stats_equal(ids, [1 + word % 4 for word in ids], docs, len(documents))


@pytest.mark.parametrize("native", _NATIVE_OR_NOT)
def test_stop_words_per_chunk_count_each_word_token(native: bool) -> None:
    # Whole-chunk lookups (one \w+ token) and split chunks must count the same tokens.
    chunks = [
        "the",
        "The",
        "don't",
        "of-the",
        "the_x",
        "(the)",
        "x",
        "of.the.is",
        "the,",
        "«the»",
        "_the",
        "--",
        "(x).",
    ]
    english = _chunk_rows(chunks, native)[:, 3 + rpv2.LANGUAGES.index("en")]
    stops = rpv2.stop_words("en")
    assert stops is not None
    assert english.tolist() == [sum(t in stops for t in re.findall(r"\w+", chunk)) for chunk in chunks]
    assert english.tolist() == [1, 0, 1, 2, 0, 1, 1, 3, 1, 1, 0, 0, 1]


_CHUNK_PIECES = ["the", "The", "of", "x", "und", "le", "é", "_", "'", ",", "(", ")", "«", "»", "-", ".", "½", "a1"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_CHUNK_PIECES), min_size=1, max_size=5).map("".join), min_size=1, max_size=12))
def test_stop_words_per_chunk_equal_the_regex_on_generated_chunks(chunks: list[str]) -> None:
    for native in (False, True) if native_available() and rpv2._kernels_built() else (False,):
        counts = _chunk_rows(chunks, native)
        for row, language in enumerate(rpv2.LANGUAGES):
            stops = rpv2.stop_words(language)
            assert stops is not None
            assert counts[:, 3 + row].tolist() == [sum(t in stops for t in re.findall(r"\w+", c)) for c in chunks]


def test_lorem_ipsum_word_flags_equal_str_methods() -> None:
    words = ["lorem", "xlorem", "loremx", "ipsum", "ipsumx", "xipsum", "", "ipsumlorem", "a", "lorem"]
    lengths = np.array([len(word) for word in words], dtype=np.int64)
    lorem, ipsum = rpv2._lorem_ipsum_words(words, lengths, " ".join(words))
    assert lorem.tolist() == [word.endswith("lorem") for word in words]
    assert ipsum.tolist() == [word.startswith("ipsum") for word in words]
    none = rpv2._lorem_ipsum_words(["ab", "c"], np.array([2, 1]), "ab c")
    assert [flags.tolist() for flags in none] == [[False, False], [False, False]]


def test_a_native_build_without_the_rpv2_kernels_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """A `_native` built from older sources has the token table but not RPv2's kernels."""
    texts = ["Hi! ... ok?? yes.\nThe cat sat. The cat sat.", "x...\n\u2022 item"]
    expected = rpv2.batch_document_signals(texts, ["en", "en"], rpv2._Chunks(native=False))
    monkeypatch.setattr(rpv2, "_native", SimpleNamespace())  # a module without the kernels
    chunks = rpv2._Chunks()  # the token table is still native where it is built
    assert chunks.table.native == native_available()
    assert chunks.native is False
    assert rpv2.batch_document_signals(texts, ["en", "en"], chunks) == expected
    assert not rpv2._kernels_built()


@pytest.mark.parametrize("native", _NATIVE_OR_NOT)
def test_javascript_counts_of_a_whole_text_equal_line_by_line(native: bool) -> None:
    """The lines of a text are normalised at once; each must count as it does alone."""
    text = (
        "JavaScript, javascript!\nno\u03a3 JAVASCRIPT \u03a3x\n\ud800javascript\r\n"
        "java-script\n\nnojavascript javascript"
    )
    lines = rpv2._line_values([text, "javascript"], [True, False], native=native)
    starts, ends, columns = lines[0], lines[1], lines[2]
    expected = [
        rpv2.normalized_words(text[a:b]).count("javascript") for a, b in zip(starts[:-1], ends[:-1], strict=True)
    ]
    assert columns[1][:-1].tolist() == expected == [2, 1, 0, 1, 0, 1]
    assert columns[1][-1] == 0  # a text not flagged is not counted


@pytest.mark.parametrize("native", _NATIVE_OR_NOT)
def test_a_pickled_annotator_gives_the_values_of_a_fresh_one(native: bool) -> None:
    """Workers get annotators pickled: the chunk and word tables travel as their strings."""
    import pickle

    first = ["two girls one cup here. Lorem ipsum!", "JavaScript\nthe end"]
    later = ["blue waffle and two girls one cup", "lorem ipsum dolor\njavascript javascript"]
    used = RedPajamaSignals(native=native)
    used.annotate([Document(id=str(i), text=text) for i, text in enumerate(first)])
    copied = pickle.loads(pickle.dumps(used))
    fresh = RedPajamaSignals(native=native)
    results = []
    for annotator in (copied, fresh):
        documents = [Document(id=str(i), text=text) for i, text in enumerate(later)]
        for document in documents:
            document.analysis.segments = [Segment(0, len(document.text))]
        annotator.annotate(documents)
        results.append([(d.analysis.signals, [s.signals for s in d.analysis.segments]) for d in documents])
    assert results[0] == results[1]
    assert results[1][0][0]["rps_doc_ldnoobw_words"] == 2  # "blue waffle", "two girls one cup"


def test_a_batch_reaching_several_unbuilt_blocks_gets_them_in_one_retry() -> None:
    """rpv2_texts stops its per-line work at the first text that reaches a block not built
    and only collects the blocks of the texts after it: one retry gives the values of full tables."""
    import subprocess

    script = (
        "import json, sys\n"
        "from thresher.signals import rpv2\n"
        "if not rpv2._kernels_built():\n"
        "    print('no kernel'); sys.exit(0)\n"
        "if sys.argv[1] == 'full':\n"
        "    rpv2.char_tables()\n"
        "calls = []\n"
        "build = rpv2._build_blocks\n"
        "rpv2._build_blocks = lambda blocks: (calls.append(list(blocks)), build(blocks))\n"
        "texts = ['plain.\\nmore', 'Ёлки ПАЛКИ.', 'x', '漢字 😀 ok...', 'ﬁne Ⅻ\\n\\n']\n"
        "scan = rpv2._scan_texts(texts)\n"
        "print(json.dumps([scan.counts.tolist(), scan.starts.tolist(), scan.ends.tolist(),\n"
        "    [c.tolist() for c in scan.columns]], sort_keys=True))\n"
        "print(len(calls))\n"
    )
    lazy, full = (
        subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True, check=True).stdout
        for mode in ("lazy", "full")
    )
    if lazy.strip() == "no kernel":
        pytest.skip("thresher._native has no RPv2 kernels")
    assert lazy.split("\n")[0] == full.split("\n")[0]
    assert (lazy.split("\n")[1], full.split("\n")[1]) == ("1", "0")  # one retry, for every block at once
