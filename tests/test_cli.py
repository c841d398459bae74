"""The `thresher` command as a user runs it: real subprocesses, real exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import good_records, write_jsonl


def thresher(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "thresher.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_help_documents_every_command():
    result = thresher("--help")
    assert result.returncode == 0
    for command in ("run", "explain", "demo", "signals"):
        assert command in result.stdout
    run_help = thresher("run", "--help").stdout
    for option in (
        "--policy",
        "--workers",
        "--limit",
        "--text-field",
        "--id-field",
        "--output-format",
        "--no-original",
        "--no-html",
    ):
        assert option in run_help


def test_demo_prints_a_summary_that_adds_up(tmp_path: Path):
    result = thresher("demo", "-o", str(tmp_path / "demo"), "--workers", "2")
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "demo" / "summary.json").read_text())
    assert summary["read"] >= 35
    assert summary["read"] == summary["kept"] + summary["trimmed"] + summary["removed"] + summary["quarantined"]
    assert summary["quarantined"] >= 3 and summary["removed"] >= 1
    assert f"read {summary['read']}" in result.stdout and "accounting" in result.stdout


def test_run_on_the_seeds(tmp_path: Path, seeds_dir: Path):
    result = thresher("run", str(seeds_dir), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["read"] == 2
    assert summary["read"] == summary["kept"] + summary["trimmed"] + summary["removed"] + summary["quarantined"]
    for part in ("kept", "removed", "quarantine"):
        (tmp_path / "out" / part).mkdir(exist_ok=True)  # a destination with no records has no shard
    assert (tmp_path / "out" / "kept").exists()


def test_explain_json_segments_cover_the_text(seeds_dir: Path):
    result = thresher("explain", str(seeds_dir / "004_e10280a752caf9e8.txt"), "--json")
    assert result.returncode == 0, result.stderr
    explanation = json.loads(result.stdout)
    text = explanation["text"]
    assert explanation["id"] == "004_e10280a752caf9e8.txt"
    assert explanation["decision"] in ("keep", "trim", "drop")
    covered = set()
    for segment in explanation["segments"]:
        assert 0 <= segment["start"] < segment["end"] <= len(text)
        covered.update(range(segment["start"], segment["end"]))
    assert {i for i, ch in enumerate(text) if not ch.isspace()} <= covered


def test_explain_terminal_view_and_output_records(tmp_path: Path):
    source = write_jsonl(tmp_path / "in.jsonl", good_records(3))
    result = thresher("explain", str(source), "--id", "doc-1")
    assert result.returncode == 0, result.stderr
    assert "doc-1" in result.stdout and "decision" in result.stdout and "word_count" in result.stdout
    assert thresher("run", str(source), "-o", str(tmp_path / "out"), "--quiet").returncode == 0
    shard = next((tmp_path / "out" / "kept").glob("*.jsonl"))
    stored = json.loads(thresher("explain", str(shard), "--id", "doc-2", "--json").stdout)
    assert stored["id"] == "doc-2" and stored["decision"] == "keep"
    missing = thresher("explain", str(source), "--id", "nope")
    assert missing.returncode == 1 and "no record with id 'nope'" in missing.stderr


def test_usage_errors_exit_2_and_say_where(tmp_path: Path):
    source = write_jsonl(tmp_path / "in.jsonl", good_records(1))
    missing = thresher("run", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o1"))
    assert missing.returncode == 2 and "nope.jsonl" in missing.stderr and "does not exist" in missing.stderr
    bad_policy = tmp_path / "p.toml"
    bad_policy.write_text('[[document_rules]]\nname = "r"\nsignal = "wordcount"\nop = "<"\nvalue = 5\n')
    result = thresher("run", str(source), "-o", str(tmp_path / "o2"), "--policy", str(bad_policy))
    assert result.returncode == 2 and "p.toml" in result.stderr
    assert "unknown document signal 'wordcount'" in result.stderr
    assert thresher("run", str(source)).returncode == 2  # -o is required
    assert thresher("run", str(source), "-o", str(tmp_path / "o3"), "--workers", "0").returncode == 2


def test_signals_lists_what_policies_can_use():
    result = thresher("signals")
    assert result.returncode == 0 and "word_count" in result.stdout and "segment" in result.stdout
