"""The batched toxicity path: normaliser, feature layout, scoring and threat prefilter.

Each fast path is checked against a slow reference that states the definition directly
(per-text normalisation, a sparse dot product, the per-pattern threat loop).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from thresher.safety.features import (
    FeatureConfig,
    feature_blocks,
    hashed_features,
    normalize,
    normalize_batch,
)
from thresher.safety.toxicity import threat, threats
from thresher.safety.toxicity_model import ToxicityModel, combine_evidence, log_count_ratio

HOSTILE = [
    "",
    "  ",
    "a",
    "a\x00b",
    "RT @user: Don’t   go!!! &amp; see https://t.co/x",
    "WWW.Example.com/path x",
    "ﬁne ＡＢＣ",
    "a_b__c",
    "ΑΣ Σ",
    "İstanbul",
    "bad \udcff byte",
    "🔥🔥🔥 hi",
    "Sooooo GOOOOD",
    "&#8220;quoted&#8221;",
    "hate RT you",
    "x" * 1000,
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sooooo GOOOOD", "soo good"),
        ("a_b__c", "a b c"),
        ("RT @x: hi", "hi"),
        ("ART RTx RT", "art rtx"),
        ("WWW.Example.com x", "x"),
        ("http://t.co/a b", "b"),
        ("ﬁne ＡＢＣ", "fine abc"),
        ("x\x00y", "x y"),
        ("don’t `x` 'y'", "dont x y"),
        ("I&amp;me", "i me"),
        ("ΑΣ", "ας"),
        ("  ", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_normalize_batch_is_normalize_per_text() -> None:
    assert normalize_batch(HOSTILE) == [normalize(text) for text in HOSTILE]
    assert normalize_batch([]) == []


def test_feature_layout_on_a_hand_made_text() -> None:
    """The padded " ab cd " holds 6 + 5 + 4 + 3 character 2..5-grams; the words are "ab", "cd", one bigram."""
    rows, cols, vals = hashed_features(["ab cd"], FeatureConfig(buckets=1 << 12))
    assert rows.tolist() == [0] * 21
    # Every occurrence weighs 1/sqrt(its block's size): 1/sqrt(18) and 1/sqrt(3).
    assert sorted(np.round(np.abs(vals), 6).tolist()) == [0.235702] * 18 + [0.57735] * 3
    assert int(cols.max()) < 1 << 12


def test_repeats_share_features() -> None:
    config = FeatureConfig(buckets=1 << 12)
    a = hashed_features(["fuuuck you"], config)
    b = hashed_features(["FUUUUUUCK you!!"], config)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_raw_and_normalised_inputs_give_the_same_features() -> None:
    config = FeatureConfig(buckets=1 << 14)
    raw = hashed_features(HOSTILE, config)
    pre = hashed_features(normalize_batch(HOSTILE), config, normalized=True)
    assert all(np.array_equal(x, y) for x, y in zip(raw, pre, strict=True))


def test_character_blocks_start_at_each_row() -> None:
    config = FeatureConfig(buckets=1 << 10)
    blocks = feature_blocks(["ab", "", "cde"], config)
    chars = [block for block in blocks if block.starts is not None]
    assert len(chars) == 4  # n = 2, 3, 4, 5
    # Rows " ab ", " ", " cde " joined by NUL: row 1 opens at the first NUL (position 4).
    assert chars[0].starts.tolist() == [0, 4, 6]
    assert chars[0].rows.tolist() == [0, 0, 0, 0, 1, 1, 2, 2, 2, 2, 2][: chars[0].slots.size]


def test_logits_equal_the_sparse_dot_product() -> None:
    config = FeatureConfig(buckets=1 << 10)
    rng = np.random.default_rng(0)
    model = ToxicityModel(
        weights=rng.standard_normal((config.buckets, 3)).astype(np.float32),
        bias=np.array([0.1, -0.2, 0.3]),
        config=config,
        train_prior=np.full(3, 1 / 3),
        target_prior=np.full(3, 1 / 3),
    )
    rows, cols, vals = hashed_features(HOSTILE, config)
    expected = np.tile(model.bias, (len(HOSTILE), 1))
    np.add.at(expected, rows, model.weights[cols].astype(np.float64) * vals[:, None])
    # Scores are relative to "none" (softmax-invariant): compare the differences.
    assert np.allclose(model.logits(HOSTILE), expected - expected[:, 2:3])
    assert model.logits([]).shape == (0, 3)
    _, words = model.scores(["Hello, wide-world!", "", "@user RT https://x.y"])
    assert words.tolist() == [3.0, 0.0, 0.0]


@pytest.mark.parametrize(
    "texts",
    [
        ["x", "Hang them all", "kİll them", "ſhoot them", "KILL THEM", "a\x00b kill them"],
        ["İstanbul first: lower() lengthens it", "I hope he dıes", "nothing here", "Death to the invaders"],
        ["we hope no more soldiers die", "Police did not shoot him", ""],
    ],
)
def test_threats_match_the_per_text_loop(texts: list[str]) -> None:
    assert threats(texts) == [threat(text) for text in texts]
    assert threats([]) == []


def test_log_count_ratio_on_hand_made_counts() -> None:
    """p = 1 + [1, 1, 0] and q = 1 + [0, 2, 1]: scale 1 + |log((p / 5) / (q / 6))| per bucket."""
    scale = log_count_ratio(
        np.array([0, 1, 1, 2]), np.array([1.0, 1.0, 2.0, 1.0]), np.array([True, True, False, False]), 3
    )
    assert scale == pytest.approx([1 + np.log(2.4), 1 - np.log(0.8), 1 - np.log(0.6)])


def test_log_count_ratio_of_a_text_against_itself_is_one() -> None:
    """The same text once toxic, once not: every bucket is as frequent in both classes, scale 1."""
    config = FeatureConfig(buckets=1 << 10)
    rows, cols, vals = hashed_features(["you suck", "you suck"], config)
    scale = log_count_ratio(cols, np.abs(vals), rows == 0, config.buckets)
    assert np.array_equal(scale, np.ones(config.buckets))


def test_combine_evidence_adds_the_binary_expert_to_both_toxic_columns() -> None:
    weights, bias = combine_evidence(
        np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -0.5]), np.array([10.0, 20.0]), 1.0
    )
    assert weights.tolist() == [[11.0, 12.0, 0.0], [23.0, 24.0, 0.0]]
    assert bias.tolist() == [1.5, 0.5, 0.0]


def test_combined_model_is_a_product_of_experts() -> None:
    """log P(toxic)/P(none) of the combined table = the 3-class expert's + the binary expert's."""
    config = FeatureConfig(buckets=1 << 10)
    rng = np.random.default_rng(1)
    classes, class_bias = rng.standard_normal((config.buckets, 2)), np.array([0.2, -0.1])
    toxic, toxic_bias = rng.standard_normal(config.buckets), -0.3

    def model(weights: np.ndarray, bias: np.ndarray) -> ToxicityModel:
        return ToxicityModel(weights, bias, config, np.full(3, 1 / 3), np.full(3, 1 / 3))

    combined = model(*combine_evidence(classes, class_bias, toxic, toxic_bias)).logits(HOSTILE)
    three = model(*combine_evidence(classes, class_bias, np.zeros(config.buckets), 0.0)).logits(HOSTILE)
    binary = model(*combine_evidence(np.zeros((config.buckets, 2)), np.zeros(2), toxic, toxic_bias)).logits(HOSTILE)
    assert np.allclose(np.logaddexp(*combined[:, :2].T), np.logaddexp(*three[:, :2].T) + binary[:, 0])
    assert np.allclose(combined[:, 0] - combined[:, 1], three[:, 0] - three[:, 1])  # the label is the 3-class call


def test_load_refuses_a_file_of_another_layout(tmp_path: Path) -> None:
    config = FeatureConfig(buckets=1 << 4)
    good = ToxicityModel(
        np.zeros((config.buckets, 3), np.float32), np.zeros(3), config, np.full(3, 1 / 3), np.full(3, 1 / 3)
    )
    path = tmp_path / "model.npz"
    good.save(path)
    assert ToxicityModel.load(path).weights.shape == (config.buckets, 3)
    np.savez_compressed(
        path,
        weights=np.zeros((config.buckets, 2)),
        bias=np.zeros(3),
        meta=np.array(
            json.dumps(
                {
                    "classes": ["hate", "offensive", "none"],
                    "config": {"buckets": config.buckets},
                    "train_prior": [0.5, 0.5, 0.0],
                    "target_prior": [0.5, 0.5, 0.0],
                }
            )
        ),
    )
    with pytest.raises(ValueError, match=r"not a toxicity model of this layout: weights \(16, 2\)"):
        ToxicityModel.load(path)
    np.savez_compressed(path, weights=np.zeros((config.buckets, 3)), bias=np.zeros(3))
    with pytest.raises(ValueError, match="is not a toxicity model file"):
        ToxicityModel.load(path)
