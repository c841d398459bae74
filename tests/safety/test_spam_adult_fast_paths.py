"""The prefilters of safety.spam and safety.adult change no result.

Each fast path (a trie search, a byte-class test, a stem test) only decides when the exact
regex may be skipped; these tests pin exact values on hand-made strings and compare the fast
functions with the plain definitions on seeded random strings built from tricky fragments
(case folds such as "ſ" and "İ", handles, domains, allow-listed words).
"""

from __future__ import annotations

import random
import re

import pytest

import thresher.safety.spam as spam_module
from thresher.document import Document, Segment
from thresher.safety.adult import _RUN, shipped_lexicon, trie_pattern
from thresher.safety.spam import (
    _CLICKBAIT_PHRASES,
    _FOLDS_TO_ASCII,
    _HANDLE,
    _STRIP,
    CLICKBAIT,
    CLICKBAIT_STEMS,
    SpamAnnotator,
    clickbait_count,
    handle_count,
    script_counts,
    spam_features,
)

FRAGMENTS = [
    " ",
    " ",
    " ",
    "\n",
    ".",
    ",",
    "_",
    "-",
    "'",
    "(",
    ")",
    "?",
    "33",
    "7",
    "١٢",
    "the",
    "and",
    "of",
    "Shocking",
    "ſhock",
    "SHOCKS",
    "stuns",
    "thrİlling",
    "thrılling",
    "Sparks",
    "frenzy",
    "you",
    "won't",
    "believe",
    "goes",
    "viral",
    "epic",
    "Epicenter",
    "must-see",
    "number",
    "will",
    "doctors",
    "hate",
    "porn",
    "Porno",
    "sexy",
    "Essex",
    "middlesex",
    "XXX",
    "xxxl",
    "Kinky",
    "Kitty",
    "Homemade",
    "Xvideos",
    "anal",
    "analysis",
    "Cum",
    "document",
    "escort",
    "pornhub.com",
    "www.xvideos.com/v",
    "essex.ac.uk",
    "e.g.",
    "abc",
    "ABCDEFGHIJ",
    "soul",
    "kate",
    "Σ",
    "Ωmega",
    "café",
    "Привет",
]


def random_texts(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 30))) for _ in range(count)]


def test_trie_pattern_shape_and_matches() -> None:
    assert trie_pattern(["porn", "porno", "pornhub"]) == "porn(?:hub|o)?"
    assert trie_pattern(["ab", "a"]) == "ab?"
    assert trie_pattern(["sex", "sexy", "sexcam"]) == "sex(?:cam|y)?"
    words = ["the", "then", "there", "a", "an", "and", "für", "è"]
    pattern = re.compile(trie_pattern(words))
    assert all(pattern.fullmatch(word) for word in words)
    assert not any(pattern.fullmatch(word) for word in ("th", "thenn", "ann", "fu", "e"))


def test_every_clickbait_phrase_has_a_stem_of_its_literal_text() -> None:
    assert list(CLICKBAIT_STEMS) == list(_CLICKBAIT_PHRASES)
    for phrase, stems in CLICKBAIT_STEMS.items():
        assert stems and all(stem in phrase for stem in stems), phrase


def test_folds_to_ascii_are_all_the_non_ascii_ignorecase_matches_of_ascii_letters() -> None:
    everything = "".join(chr(i) for i in range(128, 0x110000) if not 0xD800 <= i < 0xE000)
    folds = set(re.findall("[a-z]", everything, re.IGNORECASE))
    # The Kelvin sign lower-cases to "k", so a lower-cased text keeps it findable.
    assert folds - {"\u212a"} == set(_FOLDS_TO_ASCII)


def test_clickbait_count_exact_values() -> None:
    assert clickbait_count("Shocking! Fans react as Mainz stuns Bayern") == 3
    assert clickbait_count("ſhocking news") == 1  # "ſ" folds to "s" under IGNORECASE
    assert clickbait_count("The council approved the budget.") == 0
    assert clickbait_count("an epicenter of trade") == 0  # the stem passes, the phrase does not


def test_handle_count_exact_values() -> None:
    assert handle_count("abc١٢") == 1  # `\d` also matches Arabic-Indic digits
    assert handle_count("(fooBar),") == 1
    assert handle_count("ABCDEFGHI and ABCDEFGH") == 1
    assert handle_count("hello world 2024 UK's") == 0


def test_script_counts_exact_values() -> None:
    assert script_counts("Привет abc!") == {"LATIN": 3, "CYRILLIC": 6}
    assert script_counts("café 42") == {"LATIN": 4}
    assert script_counts("123 ...") == {}


def test_fast_spam_functions_equal_their_definitions_on_random_text() -> None:
    for text in random_texts(3000):
        assert clickbait_count(text) == len(CLICKBAIT.findall(text)), text
        expected = sum(1 for token in text.split() if _HANDLE.match(token.strip(_STRIP)))
        assert handle_count(text) == expected, text


@pytest.mark.parametrize("seed", [1, 2])
def test_adult_prefilters_change_no_hit(seed: int) -> None:
    lexicon = shipped_lexicon()
    for text in random_texts(1500, seed):
        unfiltered = [hit for run in _RUN.findall(text) if len(run) >= 3 for hit in lexicon.run_hits(run)]
        if "." in text:
            unfiltered += lexicon.domain_hits(text)
        assert lexicon.hits(text) == unfiltered, text


BATCH_EDGES = [
    "", "Aa", "", "İs It The Best", "The and Of It For A B", "3Abc Def Ghi", "ǅa Bb Cc", "Ⅻ Ab Cd",
    "Der Hund und die Katze ist nicht mit dem Mann. The cat and the dog of the house",
    "Привет мир, как дела сегодня? The cat and the dog", "Atlético, landfrauenküche, liège, ñandú and the",
    "x_y", "abcDe", "ABCDEFGHI", "abc١٢", "shock", "ſhock", "İ", "plain words only here",
]  # fmt: skip


def test_batched_features_equal_the_per_text_functions() -> None:
    texts = random_texts(2000, 3) + BATCH_EDGES
    batch = spam_module._Batch.of(texts)
    assert spam_module.headline_ratios(texts, batch) == [spam_module.headline_ratio(t) for t in texts]
    assert spam_module.language_counts(texts, batch) == [spam_module.language_count(t) for t in texts]
    handles = spam_module.handle_candidates(batch)
    clickbait = spam_module.clickbait_candidates(texts, batch)
    for text, maybe_handles, maybe_clickbait in zip(texts, handles, clickbait, strict=True):
        assert maybe_handles or handle_count(text) == 0, text
        assert maybe_clickbait or clickbait_count(text) == 0, text


def test_batched_edge_values() -> None:
    texts = ["Mainz Stuns Hoffenheim in Thriller", "", "the mayor met Anna Lee on Friday"]
    assert spam_module.headline_ratios(texts) == [0.8, 0.0, round(3 / 7, 4)]
    assert spam_module.language_counts(["Der Hund und die Katze ist nicht. The cat and the dog of it", ""]) == [2, 0]
    assert spam_module.headline_ratios([]) == [] and spam_module.language_counts([]) == []


def test_annotator_equals_spam_features_per_segment() -> None:
    texts = random_texts(300, 5) + BATCH_EDGES
    text = "\n".join(texts)
    document = Document(id="d", text=text)
    start = 0
    for piece in texts:
        document.analysis.segments.append(Segment(start, start + len(piece), "main"))
        start += len(piece) + 1
    SpamAnnotator().annotate([document])
    for piece, segment in zip(texts, document.analysis.segments, strict=True):
        features = spam_features(piece)
        assert segment.signals == {
            "spam": features.score(),
            "spam_separators": features.separators,
            "spam_repeated_items": features.repeated_items,
            "spam_headline_ratio": features.headline_ratio,
            "spam_clickbait": features.clickbait,
            "spam_handles": features.handles,
            "spam_languages": features.languages,
        }, piece


def test_no_non_ascii_non_letter_lower_cases_to_a_letter_or_to_ascii() -> None:
    """What `language_counts` relies on to read stop words off the ASCII letters."""
    letter = re.compile(r"[^\W\d_]")
    for code in range(128, 0x110000):
        char = chr(code)
        if not letter.match(char):
            lower = char.lower()
            if lower != char:
                assert not any(letter.match(c) or c.isascii() for c in lower), hex(code)
