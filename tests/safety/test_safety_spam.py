"""Spam features on hand-made strings, with exact expected values."""

from __future__ import annotations

import pytest

from thresher.document import Document, Segment
from thresher.safety.spam import (
    CLICKBAIT,
    SpamAnnotator,
    SpamFeatures,
    handle_count,
    headline_ratio,
    language_count,
    repeated_items,
    spam_features,
    split_items,
)


def test_split_items_needs_spaces_around_the_separator() -> None:
    assert split_items("Home | News • Sport / Weather · Jobs") == ["Home", "News", "Sport", "Weather", "Jobs"]
    assert split_items("and/or 24/7 A|B") == ["and/or 24/7 A|B"]


def test_repeated_items_ignore_case_and_spacing() -> None:
    assert repeated_items(["Shock Win", "shock  win", "Other", "SHOCK WIN"]) == 2
    assert repeated_items(["a", "b"]) == 0


@pytest.mark.parametrize(
    ("text", "ratio"),
    [
        ("Mainz Stuns Hoffenheim in Thriller", 0.8),  # "in" neither counts nor breaks the run
        ("the mayor met Anna Lee and her son on Friday", 0.0),  # runs of names shorter than 3
        ("the mayor met Anna Lee on Friday", round(3 / 7, 4)),  # small words bridge: a known weak spot
        ("Critical Turning Point As Bakhmut Falls today", round(6 / 7, 4)),
        ("", 0.0),
    ],
)
def test_headline_ratio(text: str, ratio: float) -> None:
    assert headline_ratio(text) == ratio


def test_handle_count() -> None:
    assert handle_count("soul_kate Sheenee33 HomemadeXvideos __kitty COPRICIOUSJES") == 5
    # Ordinary capitalisation, brands and acronyms are not handles.
    assert handle_count("hello World NATO iPhone YouTube McDonald 2024 UK's") == 0


def test_clickbait_phrases() -> None:
    found = CLICKBAIT.findall("mvv Sparks Global Frenzy; Celebrity Apprentice Shocks Fans. You won't believe it")
    assert [f.lower() for f in found] == ["sparks global frenzy", "shocks", "you won't believe"]
    assert CLICKBAIT.findall("The council approved the budget on Tuesday.") == []


def test_language_count() -> None:
    english = "The cat and the dog of the house is in the garden with you."
    german = "Der Hund und die Katze ist nicht mit dem Mann."
    assert language_count(english) == 1
    assert language_count(english + " " + german) == 2
    assert language_count("Привет мир, как дела сегодня? " + english) == 2
    assert language_count("Atlético, landfrauenküche, liège, ñandú and the other things with text") == 2


def test_feature_counts_and_score() -> None:
    text = "Home | News | Sport | Weather | Contact | About | Jobs | Shop | Help | Login | Search | Blog"
    features = spam_features(text)
    assert features == SpamFeatures(
        words=23,
        separators=11,
        items=12,
        repeated_items=0,
        headline_ratio=1.0,
        clickbait=0,
        handles=0,
        languages=1,
    )
    # 1 - (1 - 0.7 * 1) * (1 - 0.35 * 1): separators saturate at 10, headline ratio at 0.7.
    assert features.score() == round(1 - 0.3 * 0.65, 4)


def test_each_feature_alone_stays_below_the_flag_except_long_lists() -> None:
    assert SpamFeatures(50, 0, 1, 0, 0.0, 20, 0, 1).score() == 0.4
    assert SpamFeatures(50, 0, 1, 0, 0.0, 0, 20, 1).score() == 0.4
    assert SpamFeatures(50, 0, 1, 0, 1.0, 0, 0, 1).score() == 0.35
    assert SpamFeatures(50, 3, 4, 5, 0.0, 0, 0, 1).score() == round(1 - (1 - 0.7 / 8) * 0.7, 4)
    assert SpamFeatures(50, 0, 1, 0, 0.0, 0, 0, 3).score() == 0.25
    assert SpamFeatures(50, 12, 13, 0, 0.0, 0, 0, 1).score() == 0.7


def test_ordinary_news_is_not_spam() -> None:
    text = (
        "An economic advisor to Ukrainian President Volodymyr Zelensky said on Wednesday that forces "
        "might pull out of the eastern city, where they have been taking heavy losses, a shocking turn."
    )
    assert spam_features(text).score() < 0.5


def test_annotator_document_signals() -> None:
    article = "A long and ordinary paragraph about the town council and its budget for the coming year."
    farm = "Star Shocks Fans | soul_kate | Epic Match Stuns City | Sheenee33 | Star Shocks Fans | x_y | a | b"
    text = f"{article}\n{farm}"
    document = Document(id="d", text=text)
    document.analysis.segments = [
        Segment(0, len(article), "main"),
        Segment(len(article) + 1, len(text), "link_spam"),
    ]
    SpamAnnotator().annotate([document])
    first, second = document.analysis.segments
    assert first.signals["spam"] == 0.0
    assert second.signals["spam"] >= 0.5
    assert second.signals["spam_repeated_items"] == 1
    assert second.signals["spam_handles"] == 3
    assert document.analysis.signals == {"spam": second.signals["spam"], "main_spam": 0.0}
    second.kind = "main"
    SpamAnnotator().annotate([document])
    assert document.analysis.signals["main_spam"] == round(len(farm) / (len(article) + len(farm)), 4)
