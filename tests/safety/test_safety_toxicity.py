"""Toxicity: the hashed features, the shipped model file, language gating, context and the annotator."""

from __future__ import annotations

import numpy as np
import pytest

from thresher.document import Document, Segment
from thresher.safety.features import FeatureConfig, hashed_features, normalize
from thresher.safety.toxicity import SCORED_LANGUAGES, ToxicityAnnotator, context_windows, score_segments
from thresher.safety.toxicity_model import HEADS, MODEL_PATH, SecondStage, ToxicityModel, shipped_model


def test_normalize_removes_tweet_noise() -> None:
    assert normalize("RT @someone: Don’t   go!!! &amp; see https://t.co/x") == "dont go see"
    assert normalize("Sooooo GOOOOD") == "soo good"


def test_features_are_deterministic_and_l2_normalised_per_block() -> None:
    config = FeatureConfig(buckets=1 << 12)
    texts = ["the quick brown fox", "", "the quick brown fox"]
    rows, cols, vals = hashed_features(texts, config)
    assert rows.dtype == np.int64 and cols.max() < config.buckets
    first = sorted(zip(cols[rows == 0].tolist(), vals[rows == 0].tolist(), strict=True))
    third = sorted(zip(cols[rows == 2].tolist(), vals[rows == 2].tolist(), strict=True))
    assert first == third  # same text, same features, wherever it sits in the batch
    # Two blocks (characters, words), each of unit length: squared values sum to 2.
    assert float(np.sum(vals[rows == 0] ** 2)) == pytest.approx(2.0)
    # An empty text is the padding " " alone: shorter than a 2-gram, no words, no features.
    assert not np.any(rows == 1)


def test_features_do_not_cross_documents() -> None:
    config = FeatureConfig(buckets=1 << 12)
    alone = hashed_features(["ab"], config)
    batched = hashed_features(["ab", "cd"], config)
    assert sorted(alone[1].tolist()) == sorted(batched[1][batched[0] == 0].tolist())


def test_shipped_model_is_small_and_loads_without_pickle() -> None:
    assert MODEL_PATH.stat().st_size < 3_000_000
    model = ToxicityModel.load()
    assert model.weights.shape == (model.config.buckets, len(HEADS))
    assert model.languages == SCORED_LANGUAGES  # what `thresher signals` says is scored


def test_model_separates_obvious_cases() -> None:
    probs = shipped_model().predict_proba(
        [
            "shut up you stupid bitch, nobody likes your ugly ass",
            "The council approved the new library budget on Tuesday after a short debate.",
        ]
    )
    assert probs[0, 0] >= 0.5
    assert probs[1, 0] < 0.2
    assert probs[1].max() < 0.5  # no head flags the council


def test_heads_separate_profanity_insult_and_identity_mentions() -> None:
    """Swearing in praise is profanity, not toxicity; an insult is toxic without a swear word;
    neutral mentions of identity groups are neither. (Not every case holds: see the report.)"""
    cake, wine, blind, insult = shipped_model().predict_proba(
        [
            "Holy shit, this fucking cake recipe is amazing",
            "We served white wine with the fish, and the gay couple next door brought dessert.",
            "Blind people can use screen readers to browse the web.",
            "You are a worthless idiot and everyone hates you",
        ]
    )
    toxicity, profanity = HEADS.index("toxicity"), HEADS.index("profanity")
    assert cake[profanity] >= 0.5 and cake[toxicity] < 0.5
    assert wine.max() < 0.5 and blind.max() < 0.5
    assert insult[toxicity] >= 0.5 and insult[profanity] < 0.5


class _CountingModel:
    """A stand-in model: every head's log-odds is 10 x (share of the words that are "bad") - 5."""

    languages = ("en",)
    second: SecondStage | None = None

    def scores(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        words = np.array([len(t.split()) for t in texts], dtype=float)
        bad = np.array([t.split().count("bad") for t in texts], dtype=float)
        logit = 10 * bad / np.maximum(words, 1) - 5
        return np.repeat(logit[:, None], len(HEADS), axis=1), words

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return 1 / (1 + np.exp(-self.scores(texts)[0]))


def test_context_windows_stay_inside_the_document() -> None:
    texts = ["a", "b", "c", "d"]
    assert context_windows(texts, [0, 0, 0, 1], [0, 1, 3]) == ["a\nb", "a\nb\nc", "d"]


def _sigmoid(x: float) -> float:
    return float(1 / (1 + np.exp(-x)))


def test_unscored_language_gets_no_value() -> None:
    six = "bad bad bad bad bad bad"
    out = score_segments(_CountingModel(), [six, six, "x"], ["en", "es", None], [0, 1, 2])  # type: ignore[arg-type]
    assert out[0, 0] == pytest.approx(_sigmoid(5))
    assert np.isnan(out[1]).all() and np.isnan(out[2]).all()


def test_a_short_segment_is_shrunk_and_judged_with_its_neighbours() -> None:
    """3 words keep half their evidence: (5 - 4) / 2 = 0.5, flagged alone; between two neutral lines
    the window is 3 bad words in 12 (log-odds -2.5), so it is not; among bad neighbours it stays flagged."""
    texts = ["the menu lists soup and", "bad bad bad", "bread for the table", "bad bad bad", "bad bad bad bad bad bad"]
    out = score_segments(_CountingModel(), texts, ["en"] * 5, [0, 0, 0, 1, 1])  # type: ignore[arg-type]
    assert out[1, 0] == pytest.approx(_sigmoid(-2.5))
    assert out[3, 0] == pytest.approx(_sigmoid(0.5))
    assert out[4, 0] == pytest.approx(_sigmoid(5))
    # One word with no evidence at all is the web prior's 1 / 6 + 5 / 6 * SHORT_PRIOR mix of -5 and -4.
    single = score_segments(_CountingModel(), ["soup"], ["en"], [0])  # type: ignore[arg-type]
    assert single[0, 0] == pytest.approx(_sigmoid(-5 / 6 - 4 * 5 / 6))


class _Embedder:
    """A stand-in embedding table: [1 if "hate" in the text else 0, 1]; records what it was asked."""

    dims = 2

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        return np.array([[float("hate" in t), 1.0] for t in texts])


def test_the_second_stage_rescores_only_what_the_linear_model_cannot_call_clean() -> None:
    """Linear logits -5 (clean, never embedded), -5/3 and 5; the second stage adds 4 * hate - 2 to toxicity only."""
    model = _CountingModel()
    model.second = SecondStage(
        weights=np.array([4.0, 0.0], dtype=np.float32), bias=-2.0, stack=np.array([1.0, 1.0, 0.0]), low=-3.0
    )
    embedder = _Embedder()
    texts = ["the soup is warm and good today", "bad bad hate soup is warm", "bad bad bad bad bad bad"]
    out = score_segments(model, texts, ["en"] * 3, [0, 1, 2], lambda: embedder)  # type: ignore[arg-type, return-value]
    assert embedder.seen == texts[1:]
    assert out[0, 0] == pytest.approx(_sigmoid(-5))
    assert out[1, 0] == pytest.approx(_sigmoid(-5 / 3 + 2))
    assert out[2, 0] == pytest.approx(_sigmoid(5 - 2))
    assert out[1, 1] == pytest.approx(_sigmoid(-5 / 3))  # profanity stays linear
    linear = score_segments(model, texts, ["en"] * 3, [0, 1, 2], None)  # type: ignore[arg-type]
    assert linear[1, 0] == pytest.approx(_sigmoid(-5 / 3))


def test_a_second_stage_survives_save_and_load(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = FeatureConfig(buckets=64)
    stage = SecondStage(weights=np.arange(4, dtype=np.float32), bias=-1.5, stack=np.array([0.8, 0.2, 0.5]), low=-3.0)
    model = ToxicityModel(np.ones((64, len(HEADS)), np.float32), np.zeros(len(HEADS)), config, second=stage)
    model.save(tmp_path / "m.npz")
    loaded = ToxicityModel.load(tmp_path / "m.npz")
    assert loaded.second is not None and loaded.second.dims == 4 and loaded.second.low == -3.0
    assert np.array_equal(loaded.second.weights, stage.weights) and np.allclose(loaded.second.stack, stage.stack)
    assert loaded.second.bias == -1.5
    assert ToxicityModel.load(MODEL_PATH).second is None  # measured, it did not pay: not shipped


def test_annotator_batch_and_document_roll_up() -> None:
    text = (
        "The library opens at nine every weekday morning for readers and families.\n"
        "Shut up you stupid bitch, nobody likes your ugly ass, you worthless idiot.\n"
        "La biblioteca abre a las nueve todos los días laborables por la mañana."
    )
    documents = [Document(id="a", text=text), Document(id="b", text="")]
    bounds = [0, text.index("\n"), text.rindex("\n"), len(text)]
    documents[0].analysis.segments = [
        Segment(bounds[0], bounds[1], "main"),
        Segment(bounds[1] + 1, bounds[2], "comment"),
        Segment(bounds[2] + 1, bounds[3], "main"),
    ]
    ToxicityAnnotator().annotate(documents)
    clean, hostile, spanish = documents[0].analysis.segments
    assert clean.signals["toxicity"] < 0.5
    assert hostile.signals["toxicity"] >= 0.5
    assert set(HEADS) <= set(hostile.signals)
    assert spanish.signals["toxicity"] is None and spanish.signals["profanity"] is None
    assert documents[0].analysis.signals["toxicity"] == hostile.signals["toxicity"]
    assert documents[1].analysis.signals["toxicity"] is None  # no segment scored


def test_hostile_text_does_not_break_any_safety_annotator() -> None:
    """NUL (the batch separator), lone surrogates, emoji, a 100k-character token, an empty segment."""
    from thresher.safety.adult import AdultAnnotator
    from thresher.safety.spam import SpamAnnotator

    texts = ["a\x00b\x00c hate you", "bad \udcff byte", "🔥🔥 great 🔥", "x" * 100_000, ""]
    documents = [Document(id=str(i), text=text) for i, text in enumerate(texts)]
    for document in documents:
        document.analysis.segments = [Segment(0, len(document.text), "main")]
    for annotator in (ToxicityAnnotator(), AdultAnnotator(), SpamAnnotator()):
        annotator.annotate(documents)
    for document in documents:
        signals = document.analysis.segments[0].signals
        for name in ("adult", "spam"):
            assert 0.0 <= float(signals[name]) <= 1.0
            assert document.analysis.signals[name] == signals[name]
        for name in HEADS:
            assert signals[name] is None or 0.0 <= float(signals[name]) <= 1.0
        assert document.analysis.signals["toxicity"] == signals["toxicity"]
    # Rows stay aligned: a NUL inside one text must not shift the next text's features.
    alone = shipped_model().predict_proba(["bad \udcff byte"])
    batched = shipped_model().predict_proba(["a\x00b\x00c hate you", "bad \udcff byte"])
    assert np.allclose(alone[0], batched[1])
