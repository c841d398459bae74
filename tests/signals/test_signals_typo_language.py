"""Typo rate on hand-made strings, and language ID with the packaged lid.176.ftz."""

from __future__ import annotations

import pytest

from thresher.document import Document
from thresher.segments.lines import LineSegmenter
from thresher.signals.language import (
    LanguageSignals,
    SegmentLanguageSignals,
    identify,
    identify_fasttext,
    identify_numpy,
)
from thresher.signals.typo import TypoSignals, typo_rate, words_for_typos


def test_words_for_typos() -> None:
    words = words_for_typos("Zelensky’s men don't 2day ling-time")
    assert words == ["zelensky", "men", "don't", "day", "ling", "time"]


def test_typo_rate() -> None:
    assert typo_rate("The cat sat on teh mat") == 1 / 6
    assert typo_rate("It was a ling time sgo, wastingnhuman lufe") == 4 / 8
    assert typo_rate("1234 !!") is None


def test_typo_annotator_per_segment_and_document() -> None:
    document = Document(id="d", text="The cat sat.\nteh cta sta.\n")
    LineSegmenter().annotate([document])
    TypoSignals().annotate([document])
    assert [s.signals["typo_rate"] for s in document.analysis.segments] == [0.0, 1.0]
    assert document.analysis.signals["typo_rate"] == 0.5


def test_identify_languages() -> None:
    results = identify(
        [
            "This is an English sentence about the weather in the city today.",
            "Ceci est une phrase en français sur le temps qu'il fait aujourd'hui.",
            "   ",
        ]
    )
    language, score, en_score = results[0]
    assert language == "en" and score is not None and score > 0.9 and en_score == score
    language, score, en_score = results[1]
    assert language == "fr" and score is not None and score > 0.9
    assert en_score is not None and 0.0 <= en_score < 0.05
    assert results[2] == (None, None, None)


def test_language_annotator_scores_documents_and_segments() -> None:
    text = "The weather is lovely today in London.\nDer Hund läuft schnell über die Straße."
    document = Document(id="d", text=text)
    LineSegmenter().annotate([document])
    LanguageSignals().annotate([document])
    SegmentLanguageSignals().annotate([document])
    first, second = document.analysis.segments
    assert first.signals["language"] == "en"
    assert second.signals["language"] == "de"
    assert second.signals["en_score"] == pytest.approx(second.signals["en_score"])  # a float, not None
    assert isinstance(document.analysis.signals["en_score"], float)


def test_numpy_engine_matches_fasttext() -> None:
    texts = [
        "This is an English sentence about the weather in the city today.",
        "Ceci est une phrase en français sur le temps qu'il fait aujourd'hui.",
        "RT @someone: lol ur so funny &#8220;smh&#8221; #winning",
        "Привет, как дела? Всё хорошо, спасибо.",
        "東京は日本の首都です。",
        "__label__en is a label-looking token, and naïve café façade words",
        "x",
    ]
    ours = identify_numpy(texts)
    reference = identify_fasttext(texts)
    for (lang, score, en), (ref_lang, ref_score, ref_en) in zip(ours, reference, strict=True):
        assert lang == ref_lang
        assert score == pytest.approx(ref_score, abs=1e-5)
        assert en == pytest.approx(ref_en, abs=1e-5)
