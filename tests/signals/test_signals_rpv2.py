"""RedPajama-v2 rule-based signals on hand-made strings, values worked out by hand."""

from __future__ import annotations

import math

from thresher.signals.rpv2 import (
    ngram_char_fractions,
    normalize,
    rps_document_signals,
    rps_line_signals,
    unigram_entropy,
)


def test_normalize() -> None:
    assert normalize("Hello, World!  Über\n") == "hello world u\u0308ber"


def test_unigram_entropy() -> None:
    assert unigram_entropy(["a", "a", "b", "b"]) == math.log(2)
    assert unigram_entropy(["a"]) == 0.0
    assert unigram_entropy([]) is None


def test_ngram_fractions() -> None:
    out = ngram_char_fractions(["a", "b", "a", "b", "c"])
    assert out["rps_doc_frac_chars_top_2gram"] == 4 / 5
    assert out["rps_doc_frac_chars_top_3gram"] == 3 / 5
    assert out["rps_doc_frac_chars_top_4gram"] == 4 / 5
    assert out["rps_doc_frac_chars_dupe_5grams"] == 0.0
    assert out["rps_doc_frac_chars_dupe_6grams"] is None
    repeated = ngram_char_fractions("x y z w v x y z w v q".split())
    assert repeated["rps_doc_frac_chars_dupe_5grams"] == 10 / 11
    assert repeated["rps_doc_frac_chars_dupe_6grams"] == 0.0


def test_document_signals() -> None:
    text = "Hello world. Hello again...\nBYE now #1"
    out = rps_document_signals(text)
    assert out["rps_doc_word_count"] == 7
    assert out["rps_doc_mean_word_length"] == 27 / 7
    assert out["rps_doc_frac_unique_words"] == 6 / 7
    assert out["rps_doc_num_sentences"] == 3
    assert out["rps_doc_symbol_to_word_ratio"] == 2 / 7
    assert out["rps_doc_frac_all_caps_words"] == 1 / 7
    assert out["rps_doc_frac_no_alph_words"] == 1 / 7
    assert out["rps_doc_frac_lines_end_with_ellipsis"] == 1 / 2
    assert out["rps_doc_curly_bracket"] == 0.0
    assert out["rps_doc_lorem_ipsum"] == 0.0


def test_line_signals() -> None:
    out = rps_line_signals("• Price: 100 USD!")
    assert out == {
        "rps_lines_num_words": 4,
        "rps_lines_javascript_counts": 0,
        "rps_lines_ending_with_terminal_punctution_mark": True,
        "rps_lines_start_with_bulletpoint": True,
        "rps_lines_numerical_chars_fraction": 3 / 14,
        "rps_lines_uppercase_letter_fraction": 4 / 17,
    }
