"""C4's line and document rules and FineWeb's ratios, on hand-made text (the C4 text left was
checked against datatrove 0.10.1's C4QualityFilter(filter_no_terminal_punct=False))."""

from __future__ import annotations

from thresher.document import Document
from thresher.segments.lines import LineSegmenter
from thresher.signals.c4 import C4Signals, c4_document, c4_line, fineweb_signals

TEXT = (
    "Hello there my friend. This is fine [1]\n"
    "short\n"
    "We use cookies on this site ok.\n"
    "Enable JavaScript to see it.\n"
    "One. Two. Three? Four! Five and more."
)
C4_TEXT = "Hello there my friend. This is fine \nOne. Two. Three? Four! Five and more."


def test_line_rules() -> None:
    assert c4_line("short").too_few_words
    assert c4_line("We use cookies on this site ok.").policy
    assert c4_line("Enable JavaScript to see it.").javascript
    verdict = c4_line("  Cited here, see [12] and [edit] [citation needed].  ")
    assert verdict.cleaned == "Cited here, see  and  ."
    assert not verdict.removed and not verdict.no_terminal_punct
    assert c4_line("Wait for it...").no_terminal_punct
    assert c4_line("a b " + "x" * 1001).too_long_word


def test_document_rules_and_text_left() -> None:
    result = c4_document(TEXT)
    assert result.text == C4_TEXT
    assert result.sentence_count == 2 + 5
    assert result.first_document_rule is None
    assert result.removed_lines == 3


def test_first_document_rule_follows_datatrove_order() -> None:
    # javascript removes the line before the curly bracket check; lorem ipsum is checked first.
    assert c4_document("Turn on javascript {now} please.").first_document_rule is None
    assert c4_document("a b { c\nlorem ipsum dolor sit").first_document_rule == "curly_bracket"
    assert c4_document("lorem ipsum dolor { sit").first_document_rule == "lorem_ipsum"
    assert c4_document("x {\nlorem ipsum dolor").first_document_rule == "lorem_ipsum"  # "x {" has < 3 words


def test_fineweb_ratios_on_c4_text() -> None:
    signals = fineweb_signals(C4_TEXT)
    assert signals["fineweb_line_punct_ratio"] == 1 / 2  # the first line ends with a space
    assert signals["fineweb_short_line_ratio"] == 0.0
    assert signals["fineweb_char_dup_ratio"] == 0.0
    assert signals["fineweb_list_ratio"] == 1 / 20
    repeated = fineweb_signals("same line here\nsame line here\nother")
    assert repeated["fineweb_char_dup_ratio"] == 14 / 33
    assert repeated["fineweb_short_line_ratio"] == 1.0


def test_annotator_writes_segment_and_document_signals() -> None:
    document = Document(id="d", text=TEXT)
    LineSegmenter().annotate([document])
    C4Signals().annotate([document])
    removed = [segment.signals["c4_line_removed"] for segment in document.analysis.segments]
    assert removed == [False, True, True, True, False]
    assert document.analysis.segments[3].signals["c4_line_javascript"] is True
    assert document.analysis.signals["c4_sentence_count"] == 7
    assert document.analysis.signals["c4_kept_lines"] == 2
    assert document.analysis.signals["fineweb_list_ratio"] == 1 / 20
