"""RedPajama-v2's signals on hand-made strings: one test per cause of disagreement in issue 19.

Expected values are worked out by hand from RPv2's definitions (RedPajama-Data app/src/core);
each was also checked against RPv2's own code (benchmarks/_rpv2_worker.py) when written.
"""

from __future__ import annotations

import math

from thresher.signals.rpv2 import (
    ngram_char_fractions,
    normalize,
    normalized_words,
    rps_document_signals,
    rps_line_signals,
    rps_lines,
    unigram_entropy,
    wordpunct_tokens,
)


def test_normalize_deletes_ascii_punctuation_lowercases_collapses_and_decomposes() -> None:
    assert normalize("Hello, World!  Über\n") == "hello world u\u0308ber"
    assert normalized_words("don't  co-op ... «x»") == ["dont", "coop", "«x»"]


def test_wordpunct_tokens_split_words_from_punctuation() -> None:
    assert wordpunct_tokens("Don't stop-me, NASA's 3.5!") == [
        "Don", "'", "t", "stop", "-", "me", ",", "NASA", "'", "s", "3", ".", "5", "!",
    ]  # fmt: skip


def test_no_alph_words_reads_wordpunct_tokens_and_ascii_letters_only() -> None:
    # tokens: café 12 élan don ' t -> with an ASCII letter: café élan don t
    assert rps_document_signals("café 12 élan don't")["rps_doc_frac_no_alph_words"] == round(1 - 4 / 6, 8)
    # "ñó" has letters, but no ASCII letter
    assert rps_document_signals("ñó ab")["rps_doc_frac_no_alph_words"] == 0.5


def test_all_caps_words_is_isupper_over_wordpunct_tokens() -> None:
    # tokens: NASA ' s LAUNCH , ok -> NASA and LAUNCH
    assert rps_document_signals("NASA's LAUNCH, ok")["rps_doc_frac_all_caps_words"] == round(2 / 6, 8)


def test_symbol_to_word_ratio_divides_by_wordpunct_tokens() -> None:
    # symbols: '#' and '...'; tokens: # tag ... end
    assert rps_document_signals("#tag ... end")["rps_doc_symbol_to_word_ratio"] == 0.5


def test_top_ngram_ties_go_to_the_first_seen_ngram() -> None:
    # (aa, b) and (c, d) both occur twice; (aa, b) comes first: 3 characters x 2 / 10
    out = ngram_char_fractions(["aa", "b", "aa", "b", "c", "d", "c", "d"])
    assert out["rps_doc_frac_chars_top_2gram"] == 0.6
    out = ngram_char_fractions(["c", "d", "c", "d", "aa", "b", "aa", "b"])
    assert out["rps_doc_frac_chars_top_2gram"] == 0.4


def test_top_ngram_seen_once_scores_zero() -> None:
    out = ngram_char_fractions(["a", "b", "c", "d", "a", "b"])
    assert out["rps_doc_frac_chars_top_2gram"] == round(2 * 2 / 6, 8)
    assert out["rps_doc_frac_chars_top_3gram"] == 0.0  # every 3-gram occurs once
    assert out["rps_doc_frac_chars_top_4gram"] == 0.0


def test_ngrams_with_fewer_words_than_n_are_zero_not_none() -> None:
    out = ngram_char_fractions(["one", "two"])
    assert out["rps_doc_frac_chars_top_2gram"] == 0.0
    assert out["rps_doc_frac_chars_top_3gram"] == 0.0
    assert all(out[f"rps_doc_frac_chars_dupe_{n}grams"] == 0.0 for n in range(5, 11))


def test_duplicated_ngrams_count_each_covered_word_once() -> None:
    repeated = ngram_char_fractions("x y z w v x y z w v q".split())
    assert repeated["rps_doc_frac_chars_dupe_5grams"] == round(10 / 11, 8)
    assert repeated["rps_doc_frac_chars_dupe_6grams"] == 0.0


def test_uppercase_fraction_divides_by_the_raw_line_with_its_newline() -> None:
    lines = rps_lines(" AB \ncd")
    assert lines.values[0][5] == 0.4  # 2 upper-case of " AB \n" (5 characters)
    assert lines.values[1][5] == 0.0
    assert rps_line_signals("ABCd")["rps_lines_uppercase_letter_fraction"] == 0.75


def test_numerical_fraction_reads_the_normalised_line() -> None:
    # "  12, ab  \n" -> "12 ab": 2 numerals of 5 characters
    assert rps_line_signals("  12, ab  \n")["rps_lines_numerical_chars_fraction"] == 0.4
    # NFD makes "é" two characters: "e\u0301" + "1"
    assert rps_line_signals("é1")["rps_lines_numerical_chars_fraction"] == round(1 / 3, 8)
    assert rps_line_signals("...")["rps_lines_numerical_chars_fraction"] == 0.0


def test_terminal_marks_include_the_right_double_quote_not_the_ascii_one() -> None:
    assert rps_line_signals("He said \u201chi.\u201d  \n")["rps_lines_ending_with_terminal_punctution_mark"] is True
    assert rps_line_signals('He said "hi"')["rps_lines_ending_with_terminal_punctution_mark"] is False
    assert rps_line_signals("Why?")["rps_lines_ending_with_terminal_punctution_mark"] is True


def test_empty_document_values_are_rpv2s() -> None:
    out = rps_document_signals("")
    assert out["rps_doc_word_count"] == 0
    assert out["rps_doc_num_sentences"] == 0
    for name in ("rps_doc_frac_chars_top_2gram", "rps_doc_frac_chars_dupe_5grams", "rps_doc_curly_bracket"):
        assert out[name] == 0.0
    assert out["rps_doc_lorem_ipsum"] == 0.0
    assert out["rps_doc_stop_word_fraction"] == 0.0
    assert out["rps_doc_ldnoobw_words"] == 0
    for name in (
        "rps_doc_frac_lines_end_with_ellipsis",
        "rps_doc_mean_word_length",
        "rps_doc_frac_unique_words",
        "rps_doc_unigram_entropy",
        "rps_doc_symbol_to_word_ratio",
        "rps_doc_frac_all_caps_words",
        "rps_doc_frac_no_alph_words",
    ):
        assert out[name] is None, name


def test_punctuation_only_document_has_tokens_but_no_words() -> None:
    out = rps_document_signals("!!!")
    assert out["rps_doc_word_count"] == 0
    assert out["rps_doc_mean_word_length"] is None
    assert out["rps_doc_symbol_to_word_ratio"] == 0.0
    assert out["rps_doc_frac_no_alph_words"] == 1.0
    assert out["rps_doc_frac_all_caps_words"] == 0.0
    assert out["rps_doc_stop_word_fraction"] == 0.0  # no normalised word: 0.0, as RPv2
    assert out["rps_doc_frac_lines_end_with_ellipsis"] == 0.0


def test_a_final_newline_adds_no_line_and_blank_lines_count() -> None:
    assert rps_document_signals("x...\ny...\nz\n")["rps_doc_frac_lines_end_with_ellipsis"] == round(2 / 3, 8)
    assert rps_document_signals("a...\n\nb")["rps_doc_frac_lines_end_with_ellipsis"] == round(1 / 3, 8)
    assert rps_document_signals("a \u2026 \t")["rps_doc_frac_lines_end_with_ellipsis"] == 1.0
    lines = rps_lines("a\n\nb\n")
    assert lines.starts.tolist() == [0, 2, 3]
    assert lines.ends.tolist() == [2, 3, 5]


def test_javascript_counts_whole_normalised_words() -> None:
    assert rps_line_signals("nojavascript here")["rps_lines_javascript_counts"] == 0
    # "java-script" loses its hyphen in normalisation
    assert rps_line_signals("JavaScript, javascript! java-script")["rps_lines_javascript_counts"] == 3


def test_stop_word_fraction_is_case_sensitive_over_wordpunct_tokens() -> None:
    # tokens: The cat and THE dog -> only "and" (RPv2's English list has "the", not "The")
    assert rps_document_signals("The cat and THE dog")["rps_doc_stop_word_fraction"] == 0.2
    # "don't" is don ' t: "t" is in the list
    assert rps_document_signals("don't")["rps_doc_stop_word_fraction"] == round(1 / 3, 8)
    assert rps_document_signals("le chat", language="fr")["rps_doc_stop_word_fraction"] == 0.5
    assert rps_document_signals("the cat", language="ru")["rps_doc_stop_word_fraction"] is None


def test_ldnoobw_counts_word_ngrams_of_every_entry_length() -> None:
    # words: barely legal the bastard barely -> "barely legal" (2 words) and "bastard"
    assert rps_document_signals("Barely legal? The bastard. barely")["rps_doc_ldnoobw_words"] == 2
    # RPv2 compares entries as written with NFD words: a precomposed "ö" entry never matches
    assert rps_document_signals("dödel", language="de")["rps_doc_ldnoobw_words"] == 0
    assert rps_document_signals("bastard", language="ru")["rps_doc_ldnoobw_words"] is None


def test_lorem_ipsum_and_curly_brackets() -> None:
    assert rps_document_signals("Lorem ipsum dolor")["rps_doc_lorem_ipsum"] == round(1 / 17, 8)
    assert rps_document_signals("dolorem, ipsum")["rps_doc_lorem_ipsum"] == round(1 / 13, 8)  # a substring
    assert rps_document_signals("{}")["rps_doc_curly_bracket"] == 1.0


def test_document_word_signals() -> None:
    out = rps_document_signals("Hello world. Hello again...\nBYE now #1")
    assert out["rps_doc_word_count"] == 7
    assert out["rps_doc_mean_word_length"] == round(27 / 7, 8)
    assert out["rps_doc_frac_unique_words"] == round(6 / 7, 8)
    assert out["rps_doc_num_sentences"] == 3
    p = [2 / 7] + [1 / 7] * 5
    assert math.isclose(out["rps_doc_unigram_entropy"], -sum(x * math.log(x) for x in p), abs_tol=5e-9)


def test_unigram_entropy() -> None:
    assert unigram_entropy(["a", "a", "b", "b"]) == round(math.log(2), 8)
    assert unigram_entropy(["a"]) == 0.0
    assert unigram_entropy([]) is None


def test_line_signals_of_a_bullet_line() -> None:
    assert rps_line_signals("• Price: 100 USD!") == {
        "rps_lines_num_words": 4,  # • price 100 usd
        "rps_lines_javascript_counts": 0,
        "rps_lines_ending_with_terminal_punctution_mark": True,
        "rps_lines_start_with_bulletpoint": True,
        "rps_lines_numerical_chars_fraction": 0.2,  # "• price 100 usd": 3 of 15
        "rps_lines_uppercase_letter_fraction": round(4 / 17, 8),
    }
