"""Toxicity: the hashed features, the shipped model file, the threat patterns and the annotator."""

from __future__ import annotations

import numpy as np
import pytest

from thresher.document import Document, Segment
from thresher.safety.features import FeatureConfig, hashed_features, normalize
from thresher.safety.toxicity import THREAT_SCORE, ToxicityAnnotator, model_scores, threat
from thresher.safety.toxicity_model import MODEL_PATH, ToxicityModel, shipped_model


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
    assert model.weights.shape == (model.config.buckets, 3)
    assert model.train_prior.sum() == pytest.approx(1.0)
    assert model.target_prior.sum() == pytest.approx(1.0)


def test_model_separates_obvious_cases() -> None:
    probs = model_scores(
        shipped_model(),
        [
            "shut up you stupid bitch, nobody likes your ugly ass",
            "The council approved the new library budget on Tuesday after a short debate.",
        ],
    )
    assert 1 - probs[0, 2] >= 0.5
    assert 1 - probs[1, 2] < 0.2


def test_short_fragments_need_strong_evidence() -> None:
    """A one-word fragment is blended with a web prior: its score is far below the raw model's."""
    model = shipped_model()
    raw = 1 - model.predict_proba(["meth."])[0, 2]
    blended = 1 - model_scores(model, ["meth."])[0, 2]
    assert blended < raw
    assert 1 - model_scores(model, [""])[0, 2] == pytest.approx(0.1)  # no words: the web prior itself


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("Hang them all from the lampposts!", "call_to_violence"),
        ("Traitors, shoot them like dogs", "call_to_violence"),
        ("I hope he dies slowly", "death_wish"),
        ("Praying that every one of them gets shot", "death_wish"),
        ("Those people should be executed.", "should_die"),
        ("Death to the invaders", "should_die"),
        ("They can rot in hell.", "should_die"),
        # Reporting and negation are not threats.
        ("The gang threatened to kill them if they talked.", ""),
        ("We hope no more soldiers die this winter.", ""),
        ("Police did not shoot him, the report said.", ""),
        ("Officials hope the evacuation will keep civilians safe from the shelling that killed dozens.", ""),
        ("The soldiers were killed in the attack.", ""),
    ],
)
def test_threat_patterns(text: str, pattern: str) -> None:
    assert threat(text) == pattern


def test_annotator_batch() -> None:
    text = "The library opens at nine every weekday morning for readers.\nHang them all, the traitors!"
    documents = [Document(id="a", text=text), Document(id="b", text="")]
    split = text.index("\n")
    documents[0].analysis.segments = [Segment(0, split, "main"), Segment(split + 1, len(text), "comment")]
    ToxicityAnnotator().annotate(documents)
    clean, threatening = documents[0].analysis.segments
    assert clean.signals["toxicity"] < 0.5 and clean.signals["toxicity_label"] == "none"
    assert clean.signals["toxicity_threat"] == ""
    assert threatening.signals["toxicity_threat"] == "call_to_violence"
    assert threatening.signals["toxicity"] == max(THREAT_SCORE, threatening.signals["toxicity_model"])
    assert threatening.signals["toxicity_label"] in ("hate", "offensive")
    assert documents[0].analysis.signals["toxicity"] == threatening.signals["toxicity"]
    assert documents[1].analysis.signals["toxicity"] == 0.0


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
        for name in ("toxicity", "adult", "spam"):
            assert 0.0 <= float(signals[name]) <= 1.0
            assert document.analysis.signals[name] == signals[name]
    # Rows stay aligned: a NUL inside one text must not shift the next text's features.
    alone = model_scores(shipped_model(), ["bad \udcff byte"])
    batched = model_scores(shipped_model(), ["a\x00b\x00c hate you", "bad \udcff byte"])
    assert np.allclose(alone[0], batched[1])
