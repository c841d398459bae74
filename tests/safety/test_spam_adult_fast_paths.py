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

from thresher.safety.adult import _RUN, shipped_lexicon, trie_pattern
from thresher.safety.spam import (
    _CLICKBAIT_PHRASES,
    _FOLDS_TO_ASCII,
    _HANDLE,
    _STRIP,
    CLICKBAIT,
    CLICKBAIT_STEMS,
    clickbait_count,
    handle_count,
    script_counts,
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
