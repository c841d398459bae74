"""The phrase features scan only the lines that can match (needle prefilter); counts must equal a full scan."""

from __future__ import annotations

import numpy as np
import pytest

from thresher.segments import features as F

_LINES = [
    "He said: “I'm sure we'll win.” According to the report, they announced it.",
    "Posted by admin on Nov 18, 2019 at 11:47am",
    "by the way, lol... btw this is great!! imho ?? :) ;) smh",
    "Copyright © 2019 All rights reserved | Privacy Policy | Terms of Use",
    "Ad",
    "bad ad.",
    "adé is not an ad",
    "reader",
    "Ad_ vs ad-",
    "Read more » Share this",
    "3 hours ago · Reply · Permalink · Flag as inappropriate",
    "Visit https://example.com or www.example.org, mail me@example.com #tag @user",
    "2019-11-18",
    "١٢:٣٤ ص",
    "１２:３０",
    "18th November, 2019",
    "posted",
    "BY",
    "last updated",
    "İstanbul said İİ",
    "Log in to reply",
    "logout login log out",
    "— spokesperson —",
    "…",
    "Ünïcödé wörds wïthout any phrase at all",
    "",
    "plain words only here",
    "Subscribe to our newsletter",
    "Sept. 5 2020 update",
    "By-line",
    "byé",
    "Written by me",
    "Updated: 5 Mar 2020",
    "on ١٢ may ٢٠٢٠",
    "12 May 2021",
    "may 12, 2021",
    "Search Home Menu",
    "Click here",
    "getty images",
]
_PATTERNS = [F._INFORMAL, F._REPORTING, F._COMMENT_PHRASE, F._URLISH, F._BOILERPLATE, F._BYLINE_DATE, F._PERSON]


def _full_scan(batch: F.LineBatch, pattern) -> np.ndarray:
    positions = [m.start() for m in pattern.finditer(batch.lower)]
    return np.bincount(batch.line_of(positions), minlength=len(batch)).astype(np.float64)


@pytest.mark.parametrize("drop_turkish", [False, True])
def test_prefiltered_counts_equal_full_scan(drop_turkish: bool) -> None:
    lines = [line for line in _LINES if not (drop_turkish and "İ" in line)]
    documents = [lines[:7], lines[7:20], [], lines[20:], ["by"]]
    batch = F.LineBatch(documents)
    for pattern in _PATTERNS:
        assert np.array_equal(batch.match_counts(pattern), _full_scan(batch, pattern)), pattern.pattern[:40]


def test_prefilter_skips_lines_without_needles() -> None:
    batch = F.LineBatch([["some plain words", "He said so.", "Nov 18, 2019"]])
    assert batch.candidate_lines(F._REPORTING).tolist() == [False, True, False]
    assert batch.candidate_lines(F._BYLINE_DATE).tolist() == [False, False, True]


def test_prefilter_off_when_lower_casing_moves_characters() -> None:
    batch = F.LineBatch([["İstanbul said so."]])
    assert batch.candidate_lines(F._REPORTING) is None


def test_code_tables_match_isin_over_every_code_point() -> None:
    codes = np.arange(0x110000, dtype=np.uint32)
    assert np.array_equal(F._member(codes, F._SPACE_TABLE), np.isin(codes, F._SPACE_CODES))
    assert np.array_equal(F._member(codes, F._SEPARATOR_TABLE), np.isin(codes, F._SEPARATOR_CODES))


# One line per alternative of the phrase patterns, each alone on its line: a needle missing from
# the prefilter drops its line's match and fails the comparison with the full scan.
_PHRASES = [
    "...", "…", "!!", "??", ":)", ":(", ";)", "lol", "imo", "imho", "btw", "omg", "smh",
    "said", "says", "told", "according to", "reported", "announced", "stated", "spokesman", "spokeswoman",
    "spokesperson", "reply", "replies", "says:", "wrote:", "3 days ago", "12 years ago", "log in to", "upvote",
    "permalink", "flag as", "in reply to", "https://x", "http://x", "www.x", "@ab.c", "#tag", "@handle",
    "©", "copyright", "all rights", "privacy policy", "privacy notice", "terms of use", "terms and conditions",
    "terms of service", "cookie", "subscribe", "newsletter", "sign up", "sign in", "login", "log in", "logout",
    "log out", "follow us", "share", "share this", "share on", "tweet", "advertisement", "sponsored", "read more",
    "related articles", "related stories", "related posts", "recommended", "you may also like", "more from",
    "click here", "contact us", "about us", "skip to", "back to top", "menu", "search", "home", "previous article",
    "previous post", "next article", "next post", "leave a comment", "leave a reply", "comment", "comments",
    "loading", "watch:", "photo:", "photograph:", "image:", "getty images", "credit:", "ad", "trending",
    "most popular", "email", "facebook", "twitter", "linkedin", "whatsapp", "pinterest",
    "by", "posted", "published", "updated", "written by", "last updated", "nov 18, 2019", "november 18th 2019",
    "18 nov, 2019", "18th sept. 2019", "2019-11-18", "2019/11/18", "11:47", "1:05 pm",
]  # fmt: skip


def test_every_phrase_alternative_passes_the_prefilter() -> None:
    lines = [variant for phrase in _PHRASES for variant in (phrase, f"x {phrase.title()} x")]
    batch = F.LineBatch([lines])
    for pattern in _PATTERNS:
        assert np.array_equal(batch.match_counts(pattern), _full_scan(batch, pattern)), pattern.pattern[:40]
