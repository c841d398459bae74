from thresher.document import Document, Segment
from thresher.segments.lines import LineSegmenter, line_spans


def test_line_spans_skip_blank_lines_and_edge_spaces():
    text = "Title\n\n  indented line  \nlast"
    assert line_spans(text) == [(0, 5), (9, 22), (25, 29)]
    assert [text[s:e] for s, e in line_spans(text)] == ["Title", "indented line", "last"]


def test_line_spans_of_empty_and_blank_text():
    assert line_spans("") == []
    assert line_spans(" \n\t\n") == []


def test_segments_cover_every_non_blank_character():
    text = "a b\n\n c \nd\n"
    document = Document("x", text)
    LineSegmenter().annotate([document])
    covered = {i for s in document.analysis.segments for i in range(s.start, s.end)}
    assert {i for i, ch in enumerate(text) if not ch.isspace()} <= covered


def test_kept_text_keeps_separators_between_consecutive_kept_segments():
    text = "one\ntwo\n\nthree\nfour"
    document = Document("x", text)
    document.analysis.segments = [
        Segment(0, 3),
        Segment(4, 7),
        Segment(9, 14, kept=False),
        Segment(15, 19),
    ]
    assert document.kept_text() == "one\ntwo\nfour"
    document.analysis.segments[2].kept = True
    assert document.kept_text() == "one\ntwo\n\nthree\nfour"


def test_kept_text_with_first_segment_removed():
    document = Document("x", "spam\nbody")
    document.analysis.segments = [Segment(0, 4, kept=False), Segment(5, 9)]
    assert document.kept_text() == "body"
