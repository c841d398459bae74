"""The batched toxicity path: normaliser, feature layout and scoring.

Each fast path is checked against a slow reference that states the definition directly
(per-text normalisation, a sparse dot product).
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
from thresher.safety.toxicity_model import HEADS, ToxicityModel

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


def _random_model(config: FeatureConfig, seed: int = 0) -> ToxicityModel:
    rng = np.random.default_rng(seed)
    weights = rng.standard_normal((config.buckets, len(HEADS))).astype(np.float32)
    return ToxicityModel(weights=weights, bias=np.array([0.1, -0.2, 0.3, 0.0]), config=config)


def test_logits_equal_the_sparse_dot_product() -> None:
    config = FeatureConfig(buckets=1 << 10)
    model = _random_model(config)
    rows, cols, vals = hashed_features(HOSTILE, config)
    expected = np.tile(model.bias, (len(HOSTILE), 1))
    np.add.at(expected, rows, model.weights[cols].astype(np.float64) * vals[:, None])
    assert np.allclose(model.logits(HOSTILE), expected, atol=1e-4)
    assert model.logits([]).shape == (0, len(HEADS))
    _, words = model.scores(["Hello, wide-world!", "", "@user RT https://x.y"])
    assert words.tolist() == [3.0, 0.0, 0.0]


def test_probabilities_are_the_logistic_of_the_logits() -> None:
    model = _random_model(FeatureConfig(buckets=1 << 10), seed=3)
    assert np.allclose(model.predict_proba(HOSTILE), 1 / (1 + np.exp(-model.logits(HOSTILE))))


def test_load_refuses_a_file_of_another_layout(tmp_path: Path) -> None:
    config = FeatureConfig(buckets=1 << 4)
    good = ToxicityModel(np.zeros((config.buckets, len(HEADS)), np.float32), np.zeros(len(HEADS)), config, ("en", "de"))
    path = tmp_path / "model.npz"
    good.save(path)
    loaded = ToxicityModel.load(path)
    assert loaded.weights.shape == (config.buckets, len(HEADS)) and loaded.languages == ("en", "de")
    meta = {"heads": list(HEADS), "languages": ["en"], "config": {"buckets": config.buckets}}
    np.savez_compressed(path, weights=np.zeros((config.buckets, 2)), bias=np.zeros(4), meta=np.array(json.dumps(meta)))
    with pytest.raises(ValueError, match=r"not a toxicity model of this layout: weights \(16, 2\)"):
        ToxicityModel.load(path)
    np.savez_compressed(path, weights=np.zeros((config.buckets, 4)), bias=np.zeros(4))
    with pytest.raises(ValueError, match="is not a toxicity model file"):
        ToxicityModel.load(path)
