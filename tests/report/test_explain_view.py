"""`thresher explain` in a terminal: segments coloured by kind, removed spans struck through,
signals beside the thresholds of the rules that read them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from conftest import good_records, write_jsonl
from thresher.explain import body_text, explain, render
from thresher.readers import FieldNames

SEED_004 = "004_e10280a752caf9e8.txt"
SPAM_START = "HomemadeXvideos | Mainz"

# No keep_kinds: the segment rule alone trims, whatever kinds the segmenters give.
TRIM_LONG_LINES = """
name = "trim-long-lines"
[[segment_rules]]
name = "long_line"
signal = "char_count"
op = ">"
value = 1500
[[document_rules]]
name = "too_few_words"
signal = "word_count"
op = "<"
value = 50
"""


def thresher(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "240", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "thresher.cli", *args], capture_output=True, text=True, timeout=300, env=env
    )


def struck_styles(text, needle: str) -> list[str]:
    """The styles of the body's spans that cover the first occurrence of `needle`."""
    start = text.plain.index(needle)
    return [str(span.style) for span in text.spans if span.start <= start < span.end]


def plain_render(explanation: dict) -> str:
    console = Console(record=True, width=240, color_system=None, force_terminal=False)
    render(explanation, console)
    return console.export_text()


@pytest.fixture
def seed_004(seeds_dir: Path) -> Path:
    return seeds_dir / SEED_004


def test_removed_span_is_struck_through_and_tagged(seed_004: Path, tmp_path: Path):
    """A segment rule trims line 14 (the 2,000-character link farm), independent of the segmenters' labels."""
    policy = tmp_path / "trim-long-lines.toml"
    policy.write_text(TRIM_LONG_LINES)
    explanation = explain(seed_004, None, str(policy), FieldNames())
    spam = next(s for s in explanation["segments"] if explanation["text"][s["start"] :].startswith("HomemadeX"))
    assert not spam["kept"] and spam["reasons"][0]["rule"] == "long_line"
    body = body_text(explanation)
    assert any("strike" in style for style in struck_styles(body, SPAM_START))
    assert not any("strike" in style for style in struck_styles(body, "Smoke curled"))
    assert re.search(r"\[\w+: long_line\]", body.plain)

    shown = plain_render(explanation)
    assert re.search(r"│\s+8015-10226\s+│\s+\w+\s+│\s+REMOVED\s+│\s+2211\s+│\s+-\s+│\s+char_count = 2211 > 1500", shown)
    # The signal table names each rule on word_count, its threshold and what happened.
    assert re.search(r"word_count\s+│\s+1770\s+│\s+too_few_words\s+│\s+< 50\s+│\s+ok", shown)
    assert explanation["decision"] == "trim" and "long_line: trimmed 1 segment(s), 2211 characters" in shown

    # And in a real terminal: ANSI strike-through (SGR 9) right before the link farm.
    result = thresher("explain", str(seed_004), "--policy", str(policy))
    assert result.returncode == 0, result.stderr
    assert re.search(r"\x1b\[(?:[0-9]+;)*9(?:;[0-9]+)*m" + re.escape(SPAM_START), result.stdout)


def test_crossed_but_not_fired_is_told_apart(tmp_path: Path):
    policy = tmp_path / "two.toml"
    policy.write_text(
        'name = "two"\n[[document_rules]]\nname = "first"\nsignal = "word_count"\nop = ">"\nvalue = 5\n'
        '[[document_rules]]\nname = "second"\nsignal = "line_count"\nop = ">"\nvalue = 1\n'
    )
    source = write_jsonl(tmp_path / "in.jsonl", good_records(1))
    shown = plain_render(explain(source, None, str(policy), FieldNames()))
    assert re.search(r"first\s+│\s+> 5\s+│\s+FIRED", shown)
    assert re.search(r"second\s+│\s+> 1\s+│\s+crossed \(an earlier rule decided\)", shown)


def test_output_records_are_judged_by_the_runs_policy(tmp_path: Path):
    source = write_jsonl(tmp_path / "in.jsonl", good_records(2))
    out = tmp_path / "out"
    run = thresher("run", str(source), "-o", str(out), "--quiet", "--no-report", "--policy", "annotate")
    assert run.returncode == 0, run.stderr
    shard = next((out / "kept").glob("*.jsonl"))
    explanation = explain(shard, "doc-1", "default", FieldNames())
    assert explanation["policy"] == "annotate"  # from OUT/summary.json, not the --policy default
    assert "too_few_words" not in plain_render(explanation)


def test_seed_004_link_spam_segment_is_shown_removed(seed_004: Path):
    """The segmenter's job (line 14 is link spam); this turns on once a segmenter labels link_spam."""
    explanation = explain(seed_004, None, "default", FieldNames())
    spam = [s for s in explanation["segments"] if s["kind"] == "link_spam"]
    if not spam:
        pytest.skip(
            "no segmenter labels link_spam yet (the segments issue); the removed-span rendering is "
            "tested with a segment rule in test_removed_span_is_struck_through_and_tagged"
        )
    text = explanation["text"]
    line_14 = text.index(SPAM_START)
    covering = [s for s in spam if s["start"] <= line_14 < s["end"]]
    assert covering, "the link farm on line 14 is labelled link_spam"
    assert all(not s["kept"] for s in covering)
    body = body_text(explanation)
    assert any("strike" in style for style in struck_styles(body, SPAM_START))
    assert "[link_spam:" in body.plain or explanation["decision"] == "drop"
    assert re.search(r"link_spam\s+│\s+REMOVED", plain_render(explanation))
