"""The safety kernels (thresher._native_safety) and their Python fallbacks give the same values.

The C prefilters may only answer "maybe" where the Python test says "no", never the reverse;
the typo kernel must count exactly the words `words_for_typos` reads and the frozenset holds;
the adult domain search per dotted run must find exactly `_HOST.finditer`'s matches; the
batched stop words of texts with non-ASCII letters must equal the per-text regex. Checked on
hand-made strings with exact values, on seeded random strings, and on real crawl text.
"""

from __future__ import annotations

import gzip
import random
import re

import numpy as np
import orjson
import pytest

from conftest import shared_path
from thresher.document import Document, Segment
from thresher.safety import common
from thresher.safety import spam as spam_module
from thresher.safety.adult import _HOST, _HOST_HINT, AdultAnnotator, host_matches, shipped_lexicon
from thresher.safety.common import literal_candidates
from thresher.signals import typo as typo_module
from thresher.signals.typo import TypoSignals, english_words, segment_word_counts, words_for_typos

native = pytest.mark.skipif(
    common.native_safety() is None, reason="thresher._native_safety is not built (or THRESHER_NATIVE=0)"
)

FRAGMENTS = [
    " ", "  ", "\n", ".", "-", "_", "'", "’", "/", ":", "?", "#", "(", "9", "42", "١٢", "½",
    "a", "s", "'s", "’s", "S", "x", "K", "\u212a", "İ", "ı", "ſ", "é", "Σ", "ß", "ﬁ", "Привет",
    "PORN", "porno", "Essex", "xxx", "Sexy", "shock", "STUNS", "viral", "epic", "the", "and", "für",
    "die", "und", "der", "ist", "nicht", "más", "está", "não", "é", "è", "don't", "it's", "Zelensky's",
    "http://", "https://", "www.", "xvideos.com", "foo-bar.co.uk", "a.b", "e.g.", "q." * 3,
    "k" * 62, "m" * 70 + ".", "https://" + "d" * 63 + ".org", "🤦",
]  # fmt: skip


def random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 25))) for _ in range(count)]


def crawl_lines(limit: int = 150) -> list[str]:
    path = shared_path("data", "crawl", "dolma_CC-MAIN-2019-30_697docs.jsonl.gz")
    with gzip.open(path, "rb") as handle:
        texts = [r["text"] for r in map(orjson.loads, handle) if isinstance(r.get("text"), str)][:limit]
    return [line for text in texts for line in text.split("\n")] + texts


def both_ways(monkeypatch: pytest.MonkeyPatch, function, *args):  # type: ignore[no-untyped-def]
    """`function(*args)` with the kernel, then with THRESHER_NATIVE=0."""
    with_kernel = function(*args)
    monkeypatch.setenv("THRESHER_NATIVE", "0")
    try:
        return with_kernel, function(*args)
    finally:
        monkeypatch.delenv("THRESHER_NATIVE")


def test_only_kelvin_and_dotted_i_lower_case_to_ascii() -> None:
    """The kernel's fold: no other non-ASCII character has an ASCII character in its lower case."""
    found = {
        code
        for code in range(128, 0x110000)
        if not 0xD800 <= code < 0xE000 and any(c.isascii() for c in chr(code).lower())
    }
    assert found == {0x130, 0x212A}


def test_host_characters_under_ignorecase() -> None:
    """The non-ASCII characters `[a-z0-9.-]` matches under IGNORECASE (the kernel's and `_DOTTED_RUN`'s)."""
    everything = "".join(chr(i) for i in range(128, 0x110000) if not 0xD800 <= i < 0xE000)
    assert set(re.findall(r"[a-z0-9.\-]", everything, re.IGNORECASE)) == set("\u0130\u0131\u017f\u212a")


@native
def test_literal_candidates_exact_values(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["A PORNo star", "nothing here", "", "p", "xpor", "\u212aINKY", "İmport", "SHOCK", "x\u0130"]
    literals = ["porn", "kinky", "shock", "p"]
    pattern = re.compile("|".join(literals))
    with_kernel, fallback = both_ways(monkeypatch, literal_candidates, texts, literals, pattern)
    assert fallback == [True, False, False, True, True, True, True, True, False]
    # "İ" lower-cases to "i" and a dot: the kernel gives up on the text and answers True.
    assert with_kernel == [True, False, False, True, True, True, True, True, True]
    assert literal_candidates(["abc", "xyz"], ["bc", "yzz"], re.compile("bc|yzz")) == [True, False]


@native
@pytest.mark.parametrize("seed", [1, 2])
def test_literal_candidates_never_miss(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    texts = random_texts(3000, seed)
    lexicon = shipped_lexicon()
    for literals, pattern in ((lexicon._terms, lexicon._any_term), (spam_module._STEM_LIST, spam_module._STEMS)):
        with_kernel, fallback = both_ways(monkeypatch, literal_candidates, texts, literals, pattern)
        for text, maybe, exact in zip(texts, with_kernel, fallback, strict=True):
            assert maybe == exact or (maybe and "İ" in text), text


@native
def test_literal_candidates_on_crawl_text(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = crawl_lines()
    lexicon = shipped_lexicon()
    for literals, pattern in ((lexicon._terms, lexicon._any_term), (spam_module._STEM_LIST, spam_module._STEMS)):
        with_kernel, fallback = both_ways(monkeypatch, literal_candidates, texts, literals, pattern)
        assert [m for m, t in zip(with_kernel, texts, strict=True) if "İ" not in t] == [
            f for f, t in zip(fallback, texts, strict=True) if "İ" not in t
        ]


@native
def test_host_hint_candidates_equal_the_regex() -> None:
    texts = ["see foo.com", "a.b", ".com", "x.", "e.g. this", "1.5", "a.1", "ſ.K", "é.x", ""] + random_texts(3000, 3)
    expected = ["." in t and _HOST_HINT.search(t) is not None for t in texts]
    assert expected[:10] == [True, True, False, False, True, False, False, True, False, False]
    assert [flag == 1 for flag in common._native_safety.host_hint_candidates(texts)] == expected


def test_host_matches_equal_finditer() -> None:
    texts = [
        "visit https://www.xvideos.com/v and xnxx.com, or foo.sex or a.porn",
        "xhttps://a.com b.c_d.com e.fr/g.h",
        "a.com/b.com c.com:80 d.comé " + "q" * 64 + ".com",
    ] + random_texts(4000, 4)
    for text in texts:
        expected = [(m.span(), m.group(0), m.group(1)) for m in _HOST.finditer(text)]
        assert [(m.span(), m.group(0), m.group(1)) for m in host_matches(text)] == expected, text
    # "xnxx.com," is followed by a comma: no host for `_HOST`, nor here.
    assert [m.group(1) for m in host_matches(texts[0])] == ["www.xvideos.com", "foo.sex", "a.porn"]
    assert [m.group(0) for m in host_matches(texts[1])] == ["https://a.com", "d.com", "e.fr"]


def test_host_matches_on_crawl_text() -> None:
    for text in crawl_lines(60):
        assert [m.span() for m in host_matches(text)] == [m.span() for m in _HOST.finditer(text)]


def typo_reference(texts: list[str]) -> list[tuple[int, int]]:
    vocabulary = english_words()
    return [(len(w), sum(word not in vocabulary for word in w)) for w in map(words_for_typos, texts)]


@native
def test_typo_counts_exact_values(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["The cat’s hat", "Zelensky's don't xqzt", "", "42 _ 7", "it's", "rock'n'roll 's x'", "Ⅻ ½"]
    with_kernel, fallback = both_ways(monkeypatch, segment_word_counts, texts)
    assert with_kernel == fallback == typo_reference(texts)
    assert with_kernel[:5] == [(3, 0), (3, 2), (0, 0), (0, 0), (1, 0)]
    assert words_for_typos(texts[5]) == ["rock'n'roll", "s", "x"]  # a lone "'s" is the word "s"


@native
def test_typo_counts_random_and_crawl(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = random_texts(5000, 5) + crawl_lines(100)
    with_kernel, fallback = both_ways(monkeypatch, segment_word_counts, texts)
    assert with_kernel == fallback == typo_reference(texts)


@native
def test_typo_annotator_with_and_without_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    def run() -> list[object]:
        pieces = random_texts(200, 6)
        document = Document(id="d", text="\n".join(pieces))
        start = 0
        for piece in pieces:
            document.analysis.segments.append(Segment(start, start + len(piece), "main"))
            start += len(piece) + 1
        TypoSignals().annotate([document])
        return [document.analysis.signals] + [s.signals for s in document.analysis.segments]

    with_kernel, fallback = both_ways(monkeypatch, run)
    assert with_kernel == fallback
    assert typo_module._vocabulary_table() is typo_module._vocabulary_table()  # built once


def test_language_counts_of_texts_with_non_ascii_letters() -> None:
    texts = [
        "für die und der ist. The cat and the dog of it is",  # German and English stop words
        "Straße für die Kinder und der Hund",  # German only
        "el niño está más feliz que los otros, pero no",  # Spanish, with non-ASCII stop words
        "İstanbul için the and of is was",  # "İ" lower-cases to two characters
        "café",  # under 10 Latin letters
    ]
    assert spam_module.language_counts(texts) == [2, 1, 1, 1, 0]
    assert spam_module.language_counts(texts) == [spam_module.language_count(t) for t in texts]


@pytest.mark.parametrize("seed", [7, 8])
def test_adult_annotator_with_and_without_kernel(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    def run() -> list[dict[str, object]]:
        pieces = random_texts(400, seed)
        document = Document(id="d", text="\n".join(pieces))
        start = 0
        for piece in pieces:
            document.analysis.segments.append(Segment(start, start + len(piece), "main"))
            start += len(piece) + 1
        AdultAnnotator().annotate([document])
        lexicon = shipped_lexicon()
        for piece, segment in zip(pieces, document.analysis.segments, strict=True):
            score, hits = lexicon.score(piece)  # the per-text definition, no prefilter from a batch
            assert segment.signals == {"adult": score, "adult_terms": ",".join(sorted({h.term for h in hits}))}
        return [document.analysis.signals] + [s.signals for s in document.analysis.segments]

    with_kernel, fallback = both_ways(monkeypatch, run)
    assert with_kernel == fallback


@native
def test_toxicity_scores_bit_equal_with_and_without_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    from thresher.safety.toxicity_model import shipped_model

    model = shipped_model()
    for texts in (random_texts(2000, 9), crawl_lines(80), [""], ["a"], ["", "x", "\x00y"]):
        (logits, words), (expected_logits, expected_words) = both_ways(monkeypatch, model.scores, texts)
        assert np.array_equal(logits, expected_logits) and np.array_equal(words, expected_words)


@native
def test_char_ngram_sums_small_case() -> None:
    """Two texts " ab " and " c " (NUL-joined), n = 2: each bigram's row, none across the NUL."""
    codes = np.array([32, 97, 98, 32, 0, 32, 99, 32], dtype=np.uint64)
    table = np.arange(12, dtype=np.float32).reshape(6, 2)  # 2 heads; slots 0..3 used, pad row 5
    out = np.zeros((7, 2), dtype=np.float32)
    common._native_safety.char_ngram_sums(out, table, codes, 2, 2, 2, 62, 5)
    prime, mix = 1099511628211, 0x9E3779B97F4A7C15
    expected = np.zeros((7, 2), dtype=np.float32)
    for i in range(7):
        inside = 0 not in codes[i : i + 2].tolist()
        key = (int(codes[i]) * prime + int(codes[i + 1]) + 2) % 2**64
        expected[i] += table[(key * mix % 2**64) >> 62 if inside else 5]
    assert np.array_equal(out, expected)
    with pytest.raises(ValueError):
        common._native_safety.char_ngram_sums(out, table, codes, 2, 2, 2, 61, 5)  # slots beyond the table


def spam_batch_values(texts: list[str]) -> tuple[list[float], list[int]]:
    batch = spam_module._Batch.of(texts)
    return spam_module.headline_ratios(texts, batch), spam_module.language_counts(texts, batch)


@native
def test_headline_ratios_with_and_without_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["Mainz Stuns Hoffenheim in Thriller", "", "the mayor met Anna Lee on Friday", "9Abc Def-1 Ghi’s x"]
    with_kernel, fallback = both_ways(monkeypatch, spam_batch_values, texts)
    assert with_kernel == fallback
    assert with_kernel[0] == [0.8, 0.0, round(3 / 7, 4), 0.75]
    texts = random_texts(3000, 10) + crawl_lines(100)
    with_kernel, fallback = both_ways(monkeypatch, spam_batch_values, texts)
    assert with_kernel == fallback
    assert with_kernel[0][:3000] == [spam_module.headline_ratio(t) for t in texts[:3000]]


@native
def test_language_counts_with_and_without_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [
        "für die und der ist. The cat and the dog of it is",
        "Привет мир, как дела сегодня? The cat and the dog",
        "Atlético, landfrauenküche, liège, ñandú and the çà ğş",
        "İstanbul için the and of is was",
        "",
    ]
    with_kernel, fallback = both_ways(monkeypatch, spam_batch_values, texts)
    assert with_kernel[1] == fallback[1] == [2, 2, 2, 1, 0]  # 4 diacritic groups count as 2
    texts = random_texts(3000, 11) + crawl_lines(100)
    with_kernel, fallback = both_ways(monkeypatch, spam_batch_values, texts)
    assert with_kernel[1] == fallback[1]
    assert with_kernel[1][:3000] == [spam_module.language_count(t) for t in texts[:3000]]


@native
def test_write_columns_with_and_without_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    def run() -> list[list[tuple[str, object]]]:
        targets: list[dict[str, object]] = [{"b": 0}, {}, {"x": 1}]
        common.write_columns(targets, ("a", "b"), [[1, 2.5, None], ["p", "q", "r"]])
        return [list(target.items()) for target in targets]

    with_kernel, fallback = both_ways(monkeypatch, run)
    assert (
        with_kernel
        == fallback
        == [[("b", "p"), ("a", 1)], [("a", 2.5), ("b", "q")], [("x", 1), ("a", None), ("b", "r")]]
    )
    with pytest.raises(ValueError):
        common._native_safety.write_columns([{}], ("a",), [[1, 2]])


def test_document_rollups_equal_reading_the_segments_back() -> None:
    rng = random.Random(12)
    documents, values = [], []
    for d in range(60):
        document = Document(id=str(d), text="x" * 400)
        for s in range(rng.randint(0, 6)):
            value = rng.choice([0.0, 0.2, 0.5, 0.7, 1.0])
            segment = Segment(s * 50, s * 50 + rng.randint(1, 50), rng.choice(["title", "main", "boilerplate"]))
            segment.signals["score"] = value
            document.analysis.segments.append(segment)
            values.append(value)
        documents.append(document)
    maxima, shares = common.document_rollups(documents, values)
    assert maxima == [common.document_max(d, "score") for d in documents]
    assert shares == [common.main_flagged_share(d, "score") for d in documents]


PII_FRAGMENTS = [
    "0",
    "7",
    "12",
    "345",
    " ",
    "\u00a0",
    ".",
    "(",
    ")",
    "/",
    "x",
    "#",
    "-",
    "+",
    "GB",
    "DE",
    "89",
    "a",
    "X",
    "\n",
]


@native
def test_pii_scans_equal_their_regexes() -> None:
    from thresher.pii import matcher

    rng = random.Random(13)
    texts = ["GB82 WEST 1234 5698 7654 32", "call 030 1234567 or (0161) 4960066", "AB12CD34", "1 2 3 4 5 6 7 8", ""]
    texts += ["".join(rng.choice(PII_FRAGMENTS) for _ in range(rng.randint(0, 40))) for _ in range(5000)]
    texts += crawl_lines(40)
    for text in texts:
        assert common._native_safety.iban_starts(text) == [m.start() for m in matcher._IBAN_START.finditer(text)]
        flat = [i for m in matcher._DIGIT_RUN.finditer(text) for i in m.span()]
        assert common._native_safety.digit_runs(text) == flat, text
    assert common._native_safety.iban_starts(texts[2]) == [0, 4]
    assert common._native_safety.digit_runs(texts[1]) == [5, 16, 21, 34]  # (0161) from its first digit


@native
def test_find_pii_with_and_without_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    from thresher.pii.matcher import find_pii

    rng = random.Random(14)
    texts = ["".join(rng.choice(PII_FRAGMENTS + FRAGMENTS) for _ in range(rng.randint(0, 60))) for _ in range(3000)]
    texts += crawl_lines(60) + ["IBAN GB82 WEST 1234 5698 7654 32, card 4111 1111 1111 1111, +44 20 7946 0958"]
    with_kernel, fallback = both_ways(monkeypatch, lambda: [find_pii(text) for text in texts])
    assert with_kernel == fallback
    assert [span.kind for span in with_kernel[-1]] == ["iban", "card", "phone"]


def test_adult_hits_equal_the_unfiltered_definition() -> None:
    """`hits` reads term matches off one scan of the lower-cased text; every run checked by hand."""
    from thresher.safety.adult import _RUN

    lexicon = shipped_lexicon()
    texts = (
        ["ΑΣ'Α porn", "İPORNhub xxx_sex", "Essex sexy", "KINKY\u212aitty"] + random_texts(3000, 15) + crawl_lines(60)
    )
    for text in texts:
        unfiltered = [hit for run in _RUN.findall(text) if len(run) >= 3 for hit in lexicon.run_hits(run)]
        if "." in text:
            unfiltered += lexicon.domain_hits(text)
        assert lexicon.hits(text) == unfiltered, text


@native
@pytest.mark.parametrize("bigrams", [True, False])
def test_toxicity_scores_of_other_layouts(monkeypatch: pytest.MonkeyPatch, bigrams: bool) -> None:
    from thresher.safety.features import FeatureConfig
    from thresher.safety.toxicity_model import ToxicityModel

    rng = np.random.default_rng(16)
    config = FeatureConfig(buckets=1 << 10, char_min=3, char_max=4, word_bigrams=bigrams, scale_power=1.0)
    model = ToxicityModel(
        weights=rng.standard_normal((1 << 10, 4)).astype(np.float32), bias=rng.standard_normal(4), config=config
    )
    for texts in (random_texts(500, 17), ["one"], ["", ""], ["a b", "c"], ["x"]):
        (logits, words), (expected_logits, expected_words) = both_ways(monkeypatch, model.scores, texts)
        assert np.array_equal(logits, expected_logits) and np.array_equal(words, expected_words), texts


@native
def test_handle_counts_equal_the_regex() -> None:
    texts = [
        "(fooBar), abc١٢ ABCDEFGHI ABCDEFGH x_y _a a_ __ _a_ 'Sheenee33' HomemadeXvideos KinkyKitty",
        "hello world 2024 UK's iPhone YouTube",
        "",
    ]
    texts += random_texts(4000, 18) + crawl_lines(60)
    counts = np.frombuffer(common._native_safety.handle_counts(texts), dtype=np.int64).tolist()
    assert counts == [len(spam_module._HANDLE_TOKEN.findall(text)) for text in texts]
    assert counts[:3] == [8, 0, 0]


@native
def test_normalized_text_with_and_without_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    from thresher.safety.features import normalize_batch

    texts = ["Fuuuuck   you!!! don’t `it` @user http://x.y/z RT this", "", "\x00a\x00", "ǅ ½ ١٢ ___ ...."]
    with_kernel, fallback = both_ways(monkeypatch, normalize_batch, texts)
    assert with_kernel == fallback == ["fuuck you dont it this", "", "a", "dž 1 2 ١٢"]  # NFKC: "½" is "1⁄2"
    texts = random_texts(3000, 19) + crawl_lines(60)
    with_kernel, fallback = both_ways(monkeypatch, normalize_batch, texts)
    assert with_kernel == fallback


@native
def test_ipv6_hints_equal_the_regex() -> None:
    from thresher.pii import matcher

    rng = random.Random(20)
    pieces = [":", "::", "a", "F", "0", "12", "abcd", "12345", "g", " ", "fe80", "ß", "２"]
    texts = ["fe80::1:2 and 2001:db8:0:0:0:0:2:1, 10:30:45", "::", ":a:", "abcde:f:"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(5000)]
    texts += crawl_lines(40)
    for text in texts:
        flat = [i for m in matcher._IPV6_HINT.finditer(text) for i in m.span()]
        assert common._native_safety.ipv6_hints(text) == flat, text
    assert common._native_safety.ipv6_hints(texts[1]) == []
    assert common._native_safety.ipv6_hints(texts[3]) == [0, 8]  # "a" then "bcde:" then "f:"


@native
def test_host_runs_equal_the_dotted_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    from thresher.safety.adult import _DOTTED_RUN, _HOST_FOLLOWERS

    def expected(text: str) -> list[int]:
        spans = [m.span() for m in _DOTTED_RUN.finditer(text)]
        kept = [(a, b) for a, b in spans if b == len(text) or text[b] in _HOST_FOLLOWERS or text[b].isspace()]
        return [i for span in kept for i in span]

    texts = ["see a.com, b.org/x c.net\u00a0d.io_e.fr", "ſ.K İ.x ı-.a", ""] + random_texts(4000, 21) + crawl_lines(60)
    for text in texts:
        assert common._native_safety.host_runs(text) == expected(text), text
    assert common._native_safety.host_runs(texts[0]) == [11, 16, 19, 24, 30, 34]  # not "a.com," nor "d.io_"
    with_kernel, fallback = both_ways(monkeypatch, lambda: [[m.span() for m in host_matches(t)] for t in texts])
    assert with_kernel == fallback
