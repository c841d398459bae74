"""Gopher quality and repetition signals on hand-made strings, values worked out by hand
(the n-gram helpers' values were also checked against datatrove 0.10.1's functions)."""

from __future__ import annotations

import pytest

from thresher.signals.gopher import (
    duplicate_ngram_chars,
    find_duplicates,
    gopher_quality_signals,
    gopher_repetition_signals,
    line_pieces,
    paragraph_pieces,
    top_ngram_chars,
)


def test_quality_signals() -> None:
    text = "The cat sat with the dog.\n- Then ... #1\n  • last one…"
    words = ["The", "cat", "sat", "with", "the", "dog", ".", "-", "Then", "...", "#", "1", "•", "last"]
    words += ["one", "…"]
    signals = gopher_quality_signals(text, words)
    # symbol words (only punctuation): . - ... # …  -> 11 others, 32 characters
    assert signals["gopher_word_count"] == 11
    assert signals["gopher_mean_word_length"] == 32 / 11
    assert signals["gopher_hash_word_ratio"] == 1 / 16
    assert signals["gopher_ellipsis_word_ratio"] == 2 / 16
    assert signals["gopher_bullet_lines_ratio"] == 2 / 3
    assert signals["gopher_ellipsis_lines_ratio"] == 1 / 3
    assert signals["gopher_alpha_words_ratio"] == 9 / 16
    assert signals["gopher_stop_word_count"] == 2  # "the", "with"; "The" is not lowercase


def test_quality_signals_without_words() -> None:
    signals = gopher_quality_signals("", [])
    assert signals["gopher_word_count"] == 0
    assert signals["gopher_mean_word_length"] is None
    assert signals["gopher_hash_word_ratio"] is None


def test_repetition_signals() -> None:
    text = "ab cd\n\nab cd\n\nef"
    signals = gopher_repetition_signals(text, ["ab", "cd", "ab", "cd", "ef"])
    assert signals["gopher_dup_para_frac"] == 1 / 3
    assert signals["gopher_dup_para_char_frac"] == 5 / 16
    assert signals["gopher_dup_line_frac"] == 1 / 3
    assert signals["gopher_dup_line_char_frac"] == 5 / 16
    assert signals["gopher_top_2_gram_char_frac"] == 10 / 16  # "ab cd" twice
    assert signals["gopher_top_3_gram_char_frac"] == 8 / 16  # tie: the first, "ab cd ab"
    assert signals["gopher_top_4_gram_char_frac"] == 11 / 16
    assert signals["gopher_dup_5_gram_char_frac"] == 0.0


def test_lines_keep_edge_newlines_as_datatrove() -> None:
    # re.split("\n+") on "\nx\n" gives ["", "x", ""]: one repeated empty line.
    signals = gopher_repetition_signals("\nx\n", ["x"])
    assert signals["gopher_dup_line_frac"] == 1 / 3
    assert signals["gopher_dup_line_char_frac"] == 0.0
    assert signals["gopher_top_2_gram_char_frac"] is None


def test_empty_text_has_no_values() -> None:
    assert set(gopher_repetition_signals("", []).values()) == {None}


@pytest.mark.parametrize(
    ("words", "n", "expected"),
    [
        (["a"] * 12, 5, 10),
        (["ab", "c", "x", "a", "bc"], 2, 3),  # n-grams compare as concatenations: "abc" twice
        ("the cat sat on the mat the cat sat on the mat again".split(), 5, 14),
        (["a", "b"], 5, 0),
    ],
)
def test_duplicate_ngram_chars(words: list[str], n: int, expected: int) -> None:
    assert duplicate_ngram_chars(words, n) == expected


def test_top_ngram_and_duplicates() -> None:
    assert top_ngram_chars(["ab", "cd", "ab", "cd", "ef"], 2) == 10
    assert top_ngram_chars(["a"], 2) is None
    assert find_duplicates(["x", "yy", "x", "yy", "yy"]) == (3, 5)
    assert find_duplicates([]) == (0, 0) and find_duplicates(["", ""]) == (1, 0)


@pytest.mark.parametrize(
    "text", ["", "a", "\n", "\n\n", "a\nb", "\na\n\n\nb\n", "a\n\n", "\n\na", "a\r\n\nb", " \n \n\n x"]
)
def test_line_and_paragraph_pieces_equal_datatrove_regex_splits(text: str) -> None:
    import re

    assert line_pieces(text) == re.split("\n+", text)
    assert paragraph_pieces(text.strip()) == re.split("\n{2,}", text.strip())
    assert line_pieces("\na\n\n\nb\n") == ["", "a", "b", ""]
