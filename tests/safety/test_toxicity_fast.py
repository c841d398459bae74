"""The batched toxicity path: normaliser, feature layout, scoring and threat prefilter.

Each fast path is checked against a slow reference that states the definition directly
(per-text normalisation, a sparse dot product, the per-pattern threat loop).
"""

from __future__ import annotations

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
from thresher.safety.toxicity_model import ToxicityModel

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
