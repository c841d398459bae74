"""The adult lexicon on hand-made strings: exact scores, handle splitting, domains and the allow-list."""

from __future__ import annotations

import json
import math

import pytest

from thresher.document import Document, Segment
from thresher.safety.adult import (
    _PART,
    LEXICON_PATH,
    STRONG,
    WEAK,
    WEAK_IN_HANDLE,
    AdultAnnotator,
    AdultLexicon,
    shipped_lexicon,
    url_is_adult,
)

ALLOW = json.loads(LEXICON_PATH.read_text(encoding="utf-8"))["allow"]


def expected(weight_sum: float, words: int) -> float:
    return round(1.0 - math.exp(-weight_sum / (1.0 + words / 300.0)), 4)


@pytest.mark.parametrize(
    ("token", "parts"),
    [
        ("HomemadeXvideos", ["Homemade", "Xvideos"]),
        ("VioletteStrongsexy", ["Violette", "Strongsexy"]),
        ("KinkyKitty", ["Kinky", "Kitty"]),
        ("Sheenee33", ["Sheenee", "33"]),
        ("COPRICIOUSJES", ["COPRICIOUSJES"]),
        ("HTMLParser", ["HTML", "Parser"]),
        ("landfrauenküche", ["landfrauenküche"]),
    ],
)
def test_handle_splitting(token: str, parts: list[str]) -> None:
    assert _PART.findall(token) == parts


@pytest.mark.parametrize(
    ("text", "terms", "weight_sum"),
    [
        ("watch free porn", ["porn"], STRONG),
        ("HomemadeXvideos", ["xvideos"], STRONG),  # a strong term glued inside a handle
        ("mollyfoxxxo", ["xxx"], STRONG),
        ("VioletteStrongsexy", ["sexy"], WEAK_IN_HANDLE),  # a weak term glued inside a handle
        ("KinkyKitty", ["kinky"], WEAK_IN_HANDLE),
        ("filthy_one", ["filthy"], WEAK),  # underscores split: a whole weak word
        ("a sexy dress", ["sexy"], WEAK),  # the same word standing alone is weak
        ("child pornography charges", ["pornograph"], WEAK),  # news register beats "porn"
        ("the slut shaming debate", ["slut"], STRONG),
    ],
)
def test_exact_scores(text: str, terms: list[str], weight_sum: float) -> None:
    score, hits = shipped_lexicon().score(text)
    assert [hit.term for hit in hits] == terms
    assert sum(hit.weight for hit in hits) == pytest.approx(weight_sum)
    assert score == expected(weight_sum, len(text.split()))


def test_whole_word_terms_do_not_match_inside_words() -> None:
    lexicon = shipped_lexicon()
    for text in ("Hancock", "peacocks", "canals", "scumbag", "tomtits", "Cockburn"):
        assert lexicon.score(text) == (0.0, []), text


def test_one_weak_word_in_a_long_paragraph_is_not_flagged() -> None:
    text = "The report on sexual health services " + "covers clinics across the region " * 12
    score, _ = shipped_lexicon().score(text)
    assert 0.0 < score < 0.5


def test_domains() -> None:
    lexicon = shipped_lexicon()
    _, hits = lexicon.score("see https://www.pornhub.com/view?id=1 now")
    assert [(h.term, h.weight) for h in hits] == [("pornhub", STRONG), ("www.pornhub.com", 1.0)]
    assert lexicon.is_adult_host("cams.example.xxx")
    assert lexicon.is_adult_host("de.xhamster.com")
    assert not lexicon.is_adult_host("www.essex.ac.uk")
    assert not lexicon.is_adult_host("xhamster.com.example.org")
    assert url_is_adult("https://www.xvideos.com/video1")
    assert not url_is_adult("https://www.bbc.co.uk/news/uk-england-essex")
    assert not url_is_adult(None)


@pytest.mark.parametrize("word", ALLOW)
def test_allow_list_entry_is_never_adult(word: str) -> None:
    """Every allow-list entry: alone, capitalised, in a sentence and glued into a handle."""
    lexicon = shipped_lexicon()
    for text in (
        word,
        word.capitalize(),
        word.upper(),
        f"News from {word} today.",
        f"{word.capitalize()}News",
    ):
        assert lexicon.score(text) == (0.0, []), text


def test_allow_list_is_what_saves_the_scunthorpe_cases() -> None:
    """Without the allow-list the inside-token terms would fire: the list does real work."""
    data = json.loads(LEXICON_PATH.read_text(encoding="utf-8"))
    base = AdultLexicon.load()
    no_allow = AdultLexicon(base.weights_inside, base.weights_whole, ("\x00",), base.domains, base.tlds)
    for word in ("Essex", "Sussex", "Middlesex", "bisexual", "Milford", "thorny", "XXXL"):
        assert base.score(word)[0] == 0.0
        assert no_allow.score(word)[0] > 0.0, word
    assert "scunthorpe" in data["allow"] and "therapist" in data["allow"]


def test_annotator_segment_and_document_signals() -> None:
    text = "A quiet report from Essex.\nHomemadeXvideos | KinkyKitty | mollyfoxxxo"
    document = Document(id="d", text=text, url="https://news.example.com/a")
    document.analysis.segments = [Segment(0, 26, "main"), Segment(27, len(text), "main")]
    AdultAnnotator().annotate([document])
    first, second = document.analysis.segments
    assert first.signals == {"adult": 0.0, "adult_terms": ""}
    assert second.signals["adult_terms"] == "kinky,xvideos,xxx"
    assert second.signals["adult"] == expected(2 * STRONG + WEAK_IN_HANDLE, 5)
    signals = document.analysis.signals
    assert signals["adult"] == second.signals["adult"]
    assert signals["adult_url"] is False
    assert signals["main_adult"] == round((len(text) - 27) / (len(text) - 1), 4)


def test_adult_site_url_flags_the_document() -> None:
    document = Document(id="d", text="Welcome back.", url="https://www.onlyfans.com/someone")
    document.analysis.segments = [Segment(0, 13, "main")]
    AdultAnnotator().annotate([document])
    assert document.analysis.segments[0].signals["adult"] == 0.0
    assert document.analysis.signals == {"adult_url": True, "adult": 1.0, "main_adult": 1.0}
