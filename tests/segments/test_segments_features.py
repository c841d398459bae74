"""Each text feature on hand-made lines, with exact expected values."""

from __future__ import annotations

import numpy as np
import pytest

from thresher.segments import features as f


def test_word_counts_count_tokens_and_unspaced_scripts():
    # "日本語です" is one token plus five unspaced characters (two characters count as a word).
    assert f.word_counts(["Hello world", "日本語です", "a  b\u00a0c"]).tolist() == [2.0, 3.0, 3.0]


def test_log_chars():
    assert f.log_chars(["abc", ""]).tolist() == pytest.approx([np.log(4), 0.0])


def test_ends_sentence():
    lines = ["It rained.", "Menu", "He said “yes.”", "(see above.)", "Why?", "Photo (AP)"]
    assert f.ends_sentence(lines).tolist() == [1.0, 0.0, 1.0, 1.0, 1.0, 0.0]


def test_capital_ratio_counts_tokens_starting_with_a_letter():
    assert f.capital_ratio(["The Big Cat", "the big Cat", "123 go", "42"]).tolist() == pytest.approx(
        [1.0, 1 / 3, 0.0, 0.0]
    )


def test_digit_ratio():
    assert f.digit_ratio(["a1b2", "none"]).tolist() == [0.5, 0.0]


def test_separators():
    lines = ["Home | News | Sport", "a - b", "no|sep", "x » y / z"]
    assert f.separator_counts(lines).tolist() == [2.0, 1.0, 0.0, 2.0]
    assert f.separator_rate(lines).tolist() == pytest.approx([2 / 5, 1 / 3, 0.0, 2 / 5])


def test_person_rate_ignores_quoted_speech():
    lines = ["I think you are wrong", 'He said "we will win"', "Our view: “we” matter"]
    # line 3: "Our" counts, the quoted “we” does not; 4 tokens.
    assert f.person_rate(lines).tolist() == pytest.approx([2 / 5, 0.0, 1 / 4])


def test_has_question_outside_quotes_only():
    assert f.has_question(["Why not?", 'He asked "why?" today', "Fine."]).tolist() == [1.0, 0.0, 0.0]


def test_informal():
    assert f.informal(["Wow...", "lol ok", "Fine.", "Great!!", "so…"]).tolist() == [1.0, 1.0, 0.0, 1.0, 1.0]


def test_reporting():
    assert f.reporting(["Police said on Monday", "It rained", "According to the report"]).tolist() == [1.0, 0.0, 1.0]


def test_comment_phrase():
    assert f.comment_phrase(["Reply", "3 hours ago", "The answer came", "John says:"]).tolist() == [
        1.0, 1.0, 0.0, 1.0,
    ]  # fmt: skip


def test_boilerplate_phrase():
    lines = ["© 2024 Example Inc.", "Privacy Policy", "The river rose.", "Share on Facebook"]
    assert f.boilerplate_phrase(lines).tolist() == [1.0, 1.0, 0.0, 1.0]


def test_list_marker():
    assert f.list_marker(["- item", "1. first", "-5 degrees", "• dot"]).tolist() == [1.0, 1.0, 0.0, 1.0]


def test_urlish():
    lines = ["see https://x.org", "mail me@example.com", "#tag here", "plain", "follow @thresher"]
    assert f.urlish(lines).tolist() == [1.0, 1.0, 1.0, 0.0, 1.0]


def test_heading_like():
    lines = ["Storm Hits The Coast", "The storm hit the coast.", "Storm", "Storm hits the coast"]
    # the last: only 1 of 4 words capitalised, so not headline-shaped
    assert f.heading_like(lines).tolist() == [1.0, 0.0, 0.0, 0.0]


def test_earlier_overlap_counts_trigrams_seen_in_earlier_lines():
    lines = ["the cat sat on the mat", "she saw the cat sat there", "xyz", "The Cat Sat on"]
    # line 2: 1 of 4 trigrams seen; line 4 (case-folded): (the cat sat), (cat sat on) both seen
    assert f.earlier_overlap(lines).tolist() == pytest.approx([0.0, 0.25, 0.0, 1.0])


def test_repeated_in_document():
    assert f.repeated_in_document(["Share", "Text", "Share"]).tolist() == [1.0, 0.0, 1.0]


def test_relative_position():
    assert f.relative_position(["a", "b", "c"]).tolist() == [0.0, 0.5, 1.0]
    assert f.relative_position(["a"]).tolist() == [0.0]


def test_window_mean():
    assert f.window_mean(np.array([1.0, 2.0, 3.0, 4.0]), 1).tolist() == [1.5, 2.0, 3.0, 3.5]


def test_batch_window_stops_at_document_edges():
    batch = f.LineBatch([["a", "b"], ["c"]])
    assert batch.window(np.array([1.0, 3.0, 5.0]), 1).tolist() == [2.0, 2.0, 5.0]


def test_prose_distance():
    batch = f.LineBatch([["x", "y", "z", "w"]])
    assert batch.prose_distance(np.array([0.0, 1.0, 0.0, 0.0])).tolist() == pytest.approx(
        [np.log(2), 0.0, np.log(2), np.log(3)]
    )


def test_title_overlap():
    assert f.title_overlap(["Storm hits coast", "Other words"], "Storm hits the coast | News").tolist() == [1.0, 0.0]


def test_container_shares():
    shares = f.container_shares(np.array([[0], [0], [1], [-1]]), np.array([1.0, 1.0, 2.0, 4.0]))
    assert shares[:, 0].tolist() == [0.25, 0.25, 0.25, 0.0]


def test_batch_features_equal_per_document_features():
    docs = [
        ["Big Storm Hits Coast", "The storm hit the coast on Monday, officials said.", "Share | Tweet | Email"],
        ["I think you are wrong...", "Reply", "the cat sat on the mat"],
        ["日本語の文章です。"],
    ]
    together = f.batch_text_features(f.LineBatch(docs))
    alone = np.concatenate([f.text_features(lines) for lines in docs])
    assert together.shape == (7, len(f.TEXT_FEATURE_NAMES))
    np.testing.assert_allclose(together, alone)


def test_empty_inputs():
    assert f.text_features([]).shape == (0, len(f.TEXT_FEATURE_NAMES))
    assert f.batch_text_features(f.LineBatch([[], []])).shape == (0, len(f.TEXT_FEATURE_NAMES))
