"""A killed run resumes to exactly the output of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from conftest import GOOD_TEXT, read_jsonl_dir, write_jsonl
from thresher.engines.checkpoint import Checkpoint, ResumeError
from thresher.runner import run


def build_shards(root: Path, shards: int, per_shard: int) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for shard in range(shards):
        records = []
        for i in range(per_shard):
            text = f"Item {shard}-{i}.\n" + GOOD_TEXT if i % 7 else "tiny"
            records.append({"id": f"s{shard}-{i}", "text": text})
        if shard == 2:
            records.append({"id": "bad", "text": 5})
        paths.append(write_jsonl(root / f"part-{shard:02d}.jsonl", records))
    return paths


def light_policy(root: Path) -> Path:
    """Size rules only: this file tests the engine's bookkeeping, not the annotators' cost."""
    path = root / "light.toml"
    path.write_text(
        'name = "light"\nannotators = ["segments.lines", "signals.size"]\n'
        '[[document_rules]]\nname = "too_few_words"\nsignal = "word_count"\nop = "<"\nvalue = 5\n'
    )
    return path


def outputs(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.parent.name in ("kept", "removed", "quarantine")
    }


def start_run(inputs: list[Path], out: Path, workers: int, *extra: str) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "thresher.cli",
        "run",
        *map(str, inputs),
        "-o",
        str(out),
        "--workers",
        str(workers),
        "--batch-size",
        "50",
        "--quiet",
        "--no-report",
        "--policy",
        str(light_policy(out.parent)),
        *extra,
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_then_resume_equals_uninterrupted_run(tmp_path: Path, workers: int):
    inputs = build_shards(tmp_path / "in", shards=12, per_shard=2500)
    reference = run(inputs, tmp_path / "reference", policy=light_policy(tmp_path), workers=1, batch_docs=50)

    process = start_run(inputs, tmp_path / "out", workers)
    progress = tmp_path / "out" / "_progress"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if progress.exists() and len(list(progress.glob("*.done"))) >= 2:
            break
        time.sleep(0.005)
    assert process.poll() is None, "the run finished before it could be killed; make the corpus larger"
    os.killpg(process.pid, signal.SIGKILL)  # the main process and its workers, mid-run
    process.wait()
    finished = len(list(progress.glob("*.done")))
    assert 2 <= finished < len(inputs), f"killed after {finished} of {len(inputs)} sources"
    assert not (tmp_path / "out" / "summary.json").exists()

    resumed = start_run(inputs, tmp_path / "out", workers, "--resume")
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr.decode()
    summary = orjson.loads((tmp_path / "out" / "summary.json").read_bytes())
    for key in (
        "read",
        "kept",
        "trimmed",
        "removed",
        "quarantined",
        "removed_by_reason",
        "quarantined_by_error",
        "bytes_in",
        "bytes_kept",
    ):
        assert summary[key] == reference[key], key
    assert outputs(tmp_path / "out") == outputs(tmp_path / "reference")
    ids = [r["id"] for r in read_jsonl_dir(tmp_path / "out" / "kept") + read_jsonl_dir(tmp_path / "out" / "removed")]
    assert len(ids) == len(set(ids)) == reference["read"] - reference["quarantined"]  # no loss, no duplicates
    assert not list((tmp_path / "out").rglob(".*.tmp-*"))


def test_resume_removes_partial_shards_of_unfinished_sources(tmp_path: Path):
    inputs = build_shards(tmp_path / "in", shards=3, per_shard=30)
    run(inputs, tmp_path / "reference", policy=light_policy(tmp_path), workers=1)
    out = tmp_path / "out"
    run(inputs, out, policy=light_policy(tmp_path), workers=1)
    # Simulate a crash during source 1: its marker is gone, a partial shard and a temp file remain.
    (out / "_progress" / "00001.done").unlink()
    (out / "_progress" / "00002.done").unlink()
    (out / "kept" / "00001-0000.jsonl").write_bytes(b'{"id": "half a shard"}\n')
    (out / "kept" / ".00002-0000.jsonl.tmp-999").write_bytes(b"partial")
    (out / "summary.json").unlink()
    summary = run(inputs, out, policy=light_policy(tmp_path), workers=1, resume=True)
    assert summary["resumed"] is True
    assert outputs(out) == outputs(tmp_path / "reference")
    assert not list(out.rglob(".*.tmp-*"))


def test_resume_refuses_a_different_command(tmp_path: Path):
    inputs = build_shards(tmp_path / "in", shards=2, per_shard=5)
    run(inputs, tmp_path / "out", policy=light_policy(tmp_path), workers=1)
    with pytest.raises(ResumeError, match=r"changed: .*policy"):
        run(inputs, tmp_path / "out", policy="annotate", workers=1, resume=True)
    with pytest.raises(ResumeError, match="nothing to resume"):
        run(inputs, tmp_path / "fresh", policy=light_policy(tmp_path), workers=1, resume=True)
    # The worker count is not part of the command's identity: output is the same for any.
    run(inputs, tmp_path / "out", policy=light_policy(tmp_path), workers=2, resume=True)


def test_checkpoint_round_trips_tallies(tmp_path: Path):
    from thresher.accounting import Tally

    checkpoint = Checkpoint(tmp_path)
    checkpoint.start({"a": 1})
    tally = Tally(read=3, kept=2, quarantined=1)
    tally.quarantined_by_error["malformed_json"] = 1
    checkpoint.mark_finished(4, "x.jsonl", tally)
    again = checkpoint.finished(4)
    assert again is not None and again.read == 3 and again.quarantined_by_error == {"malformed_json": 1}
    assert checkpoint.finished(5) is None
