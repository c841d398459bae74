"""The local engine: same output whatever the worker count, bounded batches, limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import good_records, read_jsonl_dir, write_jsonl
from test_accounting import build_mixed_corpus
from thresher.runner import OutputDirError, run


def shard_bytes(out: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(out)): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file() and path.name != "summary.json"
    }


def test_output_identical_for_one_and_two_workers(tmp_path: Path):
    inputs, _ = build_mixed_corpus(tmp_path / "in")
    many = write_jsonl(tmp_path / "in" / "many.jsonl", good_records(300) + [{"id": "short", "text": "Hi."}])
    inputs.append(many)
    one = run(inputs, tmp_path / "w1", policy="default", workers=1, batch_docs=16)
    two = run(inputs, tmp_path / "w2", policy="default", workers=2, batch_docs=16)
    assert shard_bytes(tmp_path / "w1") == shard_bytes(tmp_path / "w2")
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
        assert one[key] == two[key], key


def test_shards_rotate_and_keep_order(tmp_path: Path):
    source = write_jsonl(tmp_path / "in.jsonl", good_records(25))
    run([source], tmp_path / "out", policy="annotate", workers=1, batch_docs=4, records_per_shard=10)
    shards = sorted(p.name for p in (tmp_path / "out" / "kept").iterdir())
    assert shards == ["00000-0000.jsonl", "00000-0001.jsonl", "00000-0002.jsonl"]
    assert [r["id"] for r in read_jsonl_dir(tmp_path / "out" / "kept")] == [f"doc-{i}" for i in range(25)]
    assert not list((tmp_path / "out").rglob(".*tmp*"))


def test_limit_stops_after_n_records(tmp_path: Path):
    source = write_jsonl(tmp_path / "in.jsonl", good_records(50))
    summary = run([source], tmp_path / "out", policy="annotate", workers=1, batch_docs=8, limit=13)
    assert summary["read"] == 13


def test_refuses_to_overwrite_a_foreign_folder_but_replaces_its_own_output(tmp_path: Path):
    source = write_jsonl(tmp_path / "in.jsonl", good_records(3))
    foreign = tmp_path / "precious"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("do not delete")
    with pytest.raises(OutputDirError, match="not a Thresher output"):
        run([source], foreign, policy="annotate", workers=1)
    assert (foreign / "thesis.tex").exists()
    run([source], tmp_path / "out", policy="annotate", workers=1)
    smaller = write_jsonl(tmp_path / "small.jsonl", good_records(1))
    summary = run([smaller], tmp_path / "out", policy="annotate", workers=1)
    assert summary["read"] == 1
    assert len(read_jsonl_dir(tmp_path / "out" / "kept")) == 1


def test_trimmed_record_keeps_original_text_unless_asked_not_to(tmp_path: Path):
    policy = tmp_path / "short-lines.toml"
    policy.write_text('[[segment_rules]]\nname = "short_line"\nsignal = "word_count"\nop = "<"\nvalue = 6\n')
    source = write_jsonl(tmp_path / "in.jsonl", good_records(2))
    summary = run([source], tmp_path / "out", policy=policy, workers=1)
    assert summary["trimmed"] == 2 and summary["trimmed_by_reason"] == {"short_line": 2}
    [first, _] = read_jsonl_dir(tmp_path / "out" / "kept")
    original = good_records(1)[0]["text"]
    assert first["thresher"]["original_text"] == original
    assert first["text"] == original.split("\n")[1]
    assert first["thresher"]["decision"] == "trim"
    run([source], tmp_path / "bare", policy=policy, workers=1, keep_original=False)
    assert "original_text" not in read_jsonl_dir(tmp_path / "bare" / "kept")[0]["thresher"]


def test_default_batches_end_at_the_byte_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A worker's memory follows the text of its batch: large documents make fewer per batch."""
    from thresher.engines import local
    from thresher.runner import DEFAULT_BATCH_BYTES

    sentence = "The river rose slowly over the old stone bridge near the mill. "
    big = [{"id": f"big-{i}", "text": sentence * 1600} for i in range(24)]  # ~100 KB each
    source = write_jsonl(tmp_path / "big.jsonl", big)
    seen: list[tuple[int, int]] = []
    real = local.process_batch

    def recording(batch, job):  # type: ignore[no-untyped-def]
        seen.append((len(batch.units), batch.nbytes))
        return real(batch, job)

    monkeypatch.setattr(local, "process_batch", recording)
    summary = run([source], tmp_path / "out", policy="annotate", workers=1)
    assert summary["read"] == 24
    assert sum(units for units, _ in seen) == 24
    largest_record = max(len(line) for line in source.read_bytes().splitlines(keepends=True))
    assert all(nbytes < DEFAULT_BATCH_BYTES + largest_record for _, nbytes in seen)
    assert max(units for units, _ in seen) < 24 and len(seen) >= 4
