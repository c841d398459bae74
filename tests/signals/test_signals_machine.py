"""The `machine` annotator: which segments get a value, the document roll-up, English only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import shared_path
from thresher.annotators import REGISTRY
from thresher.document import Document, Segment
from thresher.pipeline import Pipeline
from thresher.safety.features import FeatureConfig
from thresher.signals.machine import MachineTextAnnotator, sigmoid
from thresher.signals.machine_model import MachineTextModel, shipped_model

CONFIG = FeatureConfig(buckets=1 << 10, char_min=3, char_max=2, word_bigrams=True)
ENGLISH = (
    "The city council met on Tuesday evening to discuss the new budget for the coming year, and "
    "several members said they were worried about the cost of repairing the old bridge near the "
    "river before winter arrives."
)
SHORT = "Thanks for sharing this."
FRENCH = (
    "Le conseil municipal s'est réuni mardi soir pour discuter du nouveau budget de l'année "
    "prochaine, et plusieurs membres ont dit qu'ils étaient inquiets du coût de la réparation du "
    "vieux pont près de la rivière avant l'arrivée de l'hiver."
)


def small_model(seed: int = 3, min_words: int = 30) -> MachineTextModel:
    weights = np.random.default_rng(seed).normal(0.0, 1.0, CONFIG.buckets).astype(np.float32)
    return MachineTextModel(weights=weights, bias=-0.25, config=CONFIG, min_words=min_words)


def document(text_parts: list[tuple[str, str]]) -> Document:
    """A document whose segments are the given (kind, text) parts, joined by newlines."""
    text = ""
    segments = []
    for kind, part in text_parts:
        start = len(text)
        text += part
        segments.append(Segment(start, len(text), kind))
        text += "\n"
    doc = Document(id="d", text=text)
    doc.analysis.segments = segments
    return doc


def test_sigmoid_exact_values() -> None:
    assert sigmoid(np.array([0.0]))[0] == 0.5
    assert sigmoid(np.array([np.log(3.0)]))[0] == pytest.approx(0.75)
    assert sigmoid(np.array([-1000.0]))[0] == 0.0


def test_segments_with_enough_words_and_the_right_kind_get_a_value() -> None:
    doc = document(
        [("title", ENGLISH), ("main", ENGLISH), ("main", SHORT), ("comment", ENGLISH), ("boilerplate", ENGLISH)]
    )
    MachineTextAnnotator(small_model()).annotate([doc])
    title, main, short, comment, boiler = doc.analysis.segments
    expected = round(float(small_model().probabilities([ENGLISH])[0]), 4)
    assert main.signals["machine"] == expected
    assert comment.signals["machine"] == expected
    assert "machine" not in title.signals
    assert "machine" not in short.signals  # 4 words < 30
    assert "machine" not in boiler.signals


def test_document_score_of_one_main_segment_is_that_segment() -> None:
    model = small_model()
    doc = document([("main", ENGLISH), ("comment", FRENCH)])
    MachineTextAnnotator(model).annotate([doc])
    # One main segment: the document is exactly that segment (the comment does not count).
    assert doc.analysis.signals["machine"] == round(float(model.probabilities([ENGLISH])[0]), 4)


def test_document_score_is_the_word_weighted_mean_of_main_log_odds() -> None:
    model = small_model()
    first, second = ENGLISH[:100], ENGLISH[100:]
    raw, count, words = model.parts([first, second])
    logits = model.logits(raw, count)
    expected = float(sigmoid(np.array([(logits * words).sum() / words.sum()]))[0])
    doc = document([("main", first), ("main", second)])
    MachineTextAnnotator(model).annotate([doc])
    assert doc.analysis.signals["machine"] == round(expected, 4)
    # Not the two halves scored as one text (that is further from 0.5 the longer the text).
    as_one = float(model.probabilities([first + " " + second])[0])
    assert round(as_one, 4) != round(expected, 4)
    # Both halves are under 30 words: neither segment is scored on its own.
    assert all("machine" not in s.signals for s in doc.analysis.segments)


def test_too_little_main_text_gives_no_document_value() -> None:
    doc = document([("main", SHORT), ("comment", ENGLISH)])
    MachineTextAnnotator(small_model()).annotate([doc])
    assert doc.analysis.signals["machine"] is None
    assert "machine" in doc.analysis.segments[1].signals


def test_non_english_documents_get_no_value() -> None:
    doc = document([("main", FRENCH), ("main", FRENCH)])
    MachineTextAnnotator(small_model(min_words=5)).annotate([doc])
    assert doc.analysis.signals["machine"] is None
    assert all("machine" not in s.signals for s in doc.analysis.segments)


def test_language_signal_of_an_earlier_annotator_is_respected() -> None:
    doc = document([("main", ENGLISH)])
    doc.analysis.signals["language"] = "de"
    MachineTextAnnotator(small_model()).annotate([doc])
    assert doc.analysis.signals["machine"] is None


def test_empty_batch_and_documents_without_segments() -> None:
    MachineTextAnnotator(small_model()).annotate([])
    doc = Document(id="e", text="")
    MachineTextAnnotator(small_model()).annotate([doc])
    assert doc.analysis.signals["machine"] is None


def test_model_round_trip_and_refusal(tmp_path: Path) -> None:
    model = small_model()
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = MachineTextModel.load(path)
    assert loaded.min_words == 30 and loaded.config == CONFIG
    np.testing.assert_allclose(loaded.probabilities([ENGLISH]), model.probabilities([ENGLISH]), atol=2e-3)
    np.savez(tmp_path / "other.npz", weights=np.zeros(3))
    with pytest.raises(ValueError, match="not a machine-text model"):
        MachineTextModel.load(tmp_path / "other.npz")


def test_shipped_model_is_registered_and_small() -> None:
    assert MachineTextAnnotator.name in REGISTRY
    model = shipped_model()
    assert model.weights.shape == (model.config.buckets,)
    assert model.config.char_min > model.config.char_max  # words and bigrams only
    assert 0.0 < float(model.meta["policy_threshold"]) < 1.0


def test_seed_documents_get_a_document_value_through_the_pipeline() -> None:
    """Both seeds are English with long main text, so each gets a value (whatever it is)."""
    seeds = shared_path("seeds")
    pipeline = Pipeline(policy="annotate")
    for name in ("000_55663d768ce9efe5.txt", "004_e10280a752caf9e8.txt"):
        doc = Document(id=name, text=(seeds / name).read_text(encoding="utf-8"))
        for annotator in pipeline.annotators:
            annotator.annotate([doc])
        value = doc.analysis.signals["machine"]
        assert isinstance(value, float) and 0.0 <= value <= 1.0
        assert any("machine" in s.signals for s in doc.analysis.segments if s.kind in ("main", "comment"))
