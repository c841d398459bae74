"""The NumPy character counting behind RedPajama-v2's line signals agrees with the str methods."""

from __future__ import annotations

import sys

from thresher.document import Document, Segment
from thresher.signals import rpv2
from thresher.signals.rpv2 import (
    RedPajamaSignals,
    code_point_table,
    code_points,
    prefix_counts,
    rps_line_signals,
    words_with,
)


def test_tables_agree_with_str_methods_on_tricky_characters() -> None:
    sample = "A1b²½Ⅻ٣ ÉßǅⒶ\u3000x"
    for predicate in (str.isupper, str.isnumeric, str.isalpha, str.isspace):
        table = code_point_table(predicate)
        assert [bool(table[p]) for p in code_points(sample)] == [predicate(c) for c in sample]


def test_tables_grow_as_far_as_the_text_reaches(monkeypatch) -> None:
    monkeypatch.setattr(rpv2, "_TABLES", {})
    assert len(code_point_table(str.isupper, ord("Z"))) == 4096
    # Mathematical bold capitals (plane 1) and a plane-14 tag character: the table grows to cover them.
    sample = "A\U0001d400\U0001d41a\U000e0041"
    points = code_points(sample)
    table = code_point_table(str.isupper, rpv2.highest_code_point(points))
    assert len(table) == 0xE1000  # the 4,096-code-point block holding U+E0041, and all below
    assert [bool(table[p]) for p in points] == [True, True, False, False]
    assert len(code_point_table(str.isupper)) == sys.maxunicode + 1
    monkeypatch.setattr(rpv2, "_TABLES", {})
    full = code_point_table(str.isupper)
    assert (table == full[: len(table)]).all()
    assert rpv2.highest_code_point(code_points("")) == 0


def test_prefix_counts_give_span_counts() -> None:
    counts = prefix_counts(code_point_table(str.isupper), code_points("AbC dE"))
    assert counts.tolist() == [0, 1, 1, 2, 2, 2, 3]
    assert counts[6] - counts[3] == 1


def test_words_with_counts_words_holding_a_letter() -> None:
    alpha = code_point_table(str.isalpha)
    assert words_with(code_points("12 ab -- c3\tx\u3000 99"), alpha) == 3
    assert words_with(code_points(""), alpha) == 0
    assert words_with(code_points("1 2 3"), alpha) == 0
    assert words_with(code_points("  a"), alpha) == 1


def test_line_signals_exact_values() -> None:
    signals = rps_line_signals("  ABC 12, def! ")
    assert signals["rps_lines_num_words"] == 3
    assert signals["rps_lines_numerical_chars_fraction"] == 2 / 10
    assert signals["rps_lines_uppercase_letter_fraction"] == 3 / 12
    assert signals["rps_lines_ending_with_terminal_punctution_mark"] is True


def test_annotator_segment_counts_equal_per_line_function() -> None:
    text = "Title IN CAPS 2024\nbody ½ text, ok.\nwarSmoke 3"
    spans = [(0, 18), (19, 35), (36, 39), (39, len(text))]
    document = Document(id="d", text=text)
    document.analysis.segments = [Segment(start=s, end=e, kind="main") for s, e in spans]
    RedPajamaSignals().annotate([document])
    for (start, end), segment in zip(spans, document.analysis.segments, strict=True):
        expected = rps_line_signals(text[start:end])
        assert {k: v for k, v in segment.signals.items() if k.startswith("rps_lines")} == expected
    assert document.analysis.signals["rps_doc_frac_no_alph_words"] == 3 / 10  # 2024, ½, 3
