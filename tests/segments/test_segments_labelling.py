"""The structural rules and decoders, on hand-made inputs with exact expected values."""

from __future__ import annotations

import numpy as np

from thresher.segments import labelling as lab
from thresher.segments.features import text_features
from thresher.segments.model import LogisticModel, smooth_labels, span_mask


def test_glued_prefix_echoing_the_title_is_split():
    title = "Russian Ukraine War: Critical Turning Point"
    assert lab.glued_prefix("russian ukraine warSmoke curled over the city", title) == len("russian ukraine war")


def test_glued_prefix_needs_title_words_or_two_words():
    assert lab.glued_prefix("iPhone sales rose", "iPhone 15 review") == 0  # "i" is too short
    assert lab.glued_prefix("eBay shares fell", "") == 0
    assert lab.glued_prefix("breaking newsThe mayor resigned", "") == len("breaking news")
    assert lab.glued_prefix("sportsThe match ended", "Election results") == 0  # tag not in the title
    assert lab.glued_prefix("The mayor resigned", "") == 0


def test_comment_split_finds_the_point_after_which_comments_add_up():
    evidence = np.array([-1.0, -1.0, 0.0, -1.0, 1.0, 1.5, 0.0, 1.0, 1.0])
    prose = np.ones(9, dtype=bool)
    assert lab.comment_split(evidence, prose, 0) == 4


def test_comment_split_refuses_weak_or_early_splits():
    prose = np.ones(6, dtype=bool)
    assert lab.comment_split(np.array([-1.0, -1.0, -1.0, 0.3, 0.3, 0.3]), prose, 0) is None  # gain 0.15 < 2
    # a first-person article (mean evidence > 0 before the split) is not cut
    assert lab.comment_split(np.array([1.0, 0.5, 1.0, 2.0, 2.0, 2.0]), prose, 0) is None
    # fewer than COMMENT_MIN_ARTICLE_LINES article lines before the split
    assert lab.comment_split(np.array([-1.0, 2.0, 2.0, 2.0, 2.0, 2.0]), prose, 0) is None


def test_comment_evidence_weights():
    features = text_features(["I think you are wrong?", "Officials said the bridge was closed.", "Reply"])
    assert lab.comment_evidence(features).tolist() == [1.5, -1.0, 1.0]


def test_link_spam_lines():
    farm = " | ".join(["Shocking Win Stuns City Rivals", "user123", "Market Breaks Open Overnight"] * 4)
    menu = " | ".join(["Home", "News", "Sport", "Weather", "Culture", "Travel", "Video", "Contact"] * 4)
    lines = [farm, menu, "plain text"]
    separators = np.array([float(farm.count(" | ")), float(menu.count(" | ")), 0.0])
    assert lab.link_spam_lines(lines, separators).tolist() == [True, False, False]


def test_title_line():
    heading = np.array([False, True, False, False])
    main = np.array([False, False, True, True])
    assert lab.title_line(heading, main) == 1
    assert lab.title_line(np.array([True, False]), np.array([True, False])) is None  # the only main line
    assert lab.title_line(heading, np.zeros(4, dtype=bool)) is None


def test_batch_repeats():
    docs = [["Share", "a"], ["Share", "b"], ["Share", "c"], ["d"]]
    masks = lab.batch_repeats(docs)
    assert [m.tolist() for m in masks] == [[True, False], [True, False], [True, False], [False]]
    assert [m.tolist() for m in lab.batch_repeats(docs[:2])] == [[False, False], [False, False]]


def test_span_mask_is_the_maximum_subarray():
    assert span_mask(np.array([-1.0, 2.0, -0.5, 2.0, -3.0])).tolist() == [False, True, True, True, False]
    assert span_mask(np.array([-1.0, -2.0])).tolist() == [False, False]


def test_viterbi_smoothing_removes_a_lone_flip():
    p = np.array([0.9, 0.9, 0.4, 0.9, 0.9])
    assert smooth_labels(p, 0.0).tolist() == [True, True, False, True, True]
    assert smooth_labels(p, 2.0).tolist() == [True] * 5


def test_logistic_model_round_trips():
    model = LogisticModel(("a", "b"), np.zeros(2), np.ones(2), np.array([1.0, -1.0]), 0.0)
    again = LogisticModel.from_dict(model.to_dict())
    assert again.probabilities(np.array([[1.0, 1.0], [2.0, 0.0]])).tolist() == [0.5, 1 / (1 + np.exp(-2.0))]
