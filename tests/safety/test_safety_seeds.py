"""The two seed documents, scored line by line against ../shared/seeds/labels.json.

Each line is a segment (the line segmenter); the expectations come from the labels file,
not from this test, so a relabelled seed changes the test without editing it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from thresher.document import Document
from thresher.safety.adult import AdultAnnotator
from thresher.safety.spam import SpamAnnotator
from thresher.safety.toxicity import ToxicityAnnotator
from thresher.segments.lines import LineSegmenter

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SEED_000 = "000_55663d768ce9efe5.txt"
SEED_004 = "004_e10280a752caf9e8.txt"


@pytest.fixture(scope="module")
def seeds() -> Path:
    """../shared/seeds relative to the repository root, or skip: the seeds are not in the repo."""
    path = SHARED.resolve() / "seeds"
    if not (path / "labels.json").exists():
        pytest.skip(f"{path} is absent: these tests need the project's ../shared seeds (present in CI)")
    return path


@pytest.fixture(scope="module")
def labels(seeds: Path) -> dict[str, Any]:
    return json.loads((seeds / "labels.json").read_text(encoding="utf-8"))


def scored_lines(seeds: Path, name: str) -> dict[int, dict[str, Any]]:
    """Line number (1-based, blank lines counted) -> the signals of that line's segment."""
    text = (seeds / name).read_text(encoding="utf-8")
    document = Document(id=name, text=text)
    for annotator in (LineSegmenter(), ToxicityAnnotator(), AdultAnnotator(), SpamAnnotator()):
        annotator.annotate([document])
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    by_line: dict[int, dict[str, Any]] = {}
    for segment in document.analysis.segments:
        line = sum(1 for start in starts if start <= segment.start)
        by_line[line] = segment.signals
    return by_line


def lines_of_kind(labels: dict[str, Any], name: str, kind: str) -> list[int]:
    spans = [s["lines"] for s in labels[name]["segments"] if s["kind"] == kind]
    return [line for first, last in spans for line in range(first, last + 1)]


@pytest.fixture(scope="module")
def seed_000(seeds: Path) -> dict[int, dict[str, Any]]:
    return scored_lines(seeds, SEED_000)


@pytest.fixture(scope="module")
def seed_004(seeds: Path) -> dict[int, dict[str, Any]]:
    return scored_lines(seeds, SEED_004)


def test_004_link_farm_line_is_adult_and_spam(labels: dict[str, Any], seed_004: dict[int, dict[str, Any]]) -> None:
    adult_lines = labels[SEED_004]["adult_lines"]
    spam_lines = lines_of_kind(labels, SEED_004, "link_spam")
    assert 14 in adult_lines and 14 in spam_lines
    for line in adult_lines:
        assert seed_004[line]["adult"] >= 0.5, seed_004[line]
    for line in spam_lines:
        assert seed_004[line]["spam"] >= 0.5, seed_004[line]


def test_004_link_farm_evidence_is_explained(seed_004: dict[int, dict[str, Any]]) -> None:
    signals = seed_004[14]
    terms = set(str(signals["adult_terms"]).split(","))
    assert {"xvideos", "sexy"} <= terms  # "HomemadeXvideos", "VioletteStrongsexy": words inside handles
    assert signals["spam_repeated_items"] >= 1  # one headline appears twice
    assert signals["spam_separators"] >= 40


@pytest.mark.xfail(
    strict=True,
    reason="documented miss: the n-gram model scores seed 000's toxic lines 11, 37 and 67 at about "
    "0.48, 0.17 and 0.02 (threat and death wish with no insult or slur); the threat patterns written "
    "after reading these lines were removed (issue 16), and nothing else catches them. Strict: if a "
    "model ever catches them, this marker must go.",
)
def test_000_toxic_lines_flagged(labels: dict[str, Any], seed_000: dict[int, dict[str, Any]]) -> None:
    toxic = labels[SEED_000]["toxic_lines"]
    assert {37, 67} <= set(toxic)
    for line in toxic:
        assert seed_000[line]["toxicity"] >= 0.5, (line, seed_000[line])


def test_000_toxic_lines_are_scored(labels: dict[str, Any], seed_000: dict[int, dict[str, Any]]) -> None:
    """The seed is English, so every labelled toxic line gets a value (the miss above is the model's)."""
    for line in labels[SEED_000]["toxic_lines"]:
        assert isinstance(seed_000[line]["toxicity"], float), (line, seed_000[line])


def test_000_article_not_flagged(labels: dict[str, Any], seed_000: dict[int, dict[str, Any]]) -> None:
    article = lines_of_kind(labels, SEED_000, "main")
    assert article == [1, 2, 3, 4, 5, 6, 7]
    for line in article:
        if line not in seed_000:  # line 6 is blank: no segment
            continue
        assert seed_000[line]["adult"] < 0.5, (line, seed_000[line])
        assert seed_000[line]["spam"] < 0.5, (line, seed_000[line])
        assert seed_000[line]["toxicity"] < 0.5, (line, seed_000[line])


def test_004_body_not_adult_or_spam(labels: dict[str, Any], seed_004: dict[int, dict[str, Any]]) -> None:
    body = lines_of_kind(labels, SEED_004, "main")
    assert body == list(range(2, 14))
    for line in body:
        assert seed_004[line]["adult"] < 0.5, (line, seed_004[line])
        assert seed_004[line]["spam"] < 0.5, (line, seed_004[line])


def test_004_document_signals_roll_up(seeds: Path, labels: dict[str, Any]) -> None:
    """Document `adult`/`spam` are the segment maxima; `main_*` only read title+main segments."""
    text = (seeds / SEED_004).read_text(encoding="utf-8")
    document = Document(id=SEED_004, text=text)
    LineSegmenter().annotate([document])
    kinds = {line: s["kind"] for s in labels[SEED_004]["segments"] for line in range(s["lines"][0], s["lines"][1] + 1)}
    for line, segment in enumerate(document.analysis.segments, start=1):  # seed 004 has no blank line
        segment.kind = kinds[line]
    for annotator in (AdultAnnotator(), SpamAnnotator()):
        annotator.annotate([document])
    signals = document.analysis.signals
    footer = document.analysis.segments[13]
    assert signals["adult"] == footer.signals["adult"] >= 0.5
    assert signals["spam"] == footer.signals["spam"] >= 0.5
    # The footer is labelled link_spam, so the main text itself is clean: trim, do not drop.
    assert signals["main_adult"] == 0.0
    assert signals["main_spam"] == 0.0
