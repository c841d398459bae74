"""Bad input never crashes a run and never loses a record."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import orjson
import pytest

from conftest import GOOD_TEXT, good_records, read_jsonl_dir, write_jsonl
from thresher.accounting import AccountingError, Tally
from thresher.runner import run


def build_mixed_corpus(root: Path) -> tuple[list[Path], dict[str, int]]:
    """Good records mixed with each kind of bad input; returns inputs and expected errors."""
    root.mkdir(parents=True, exist_ok=True)
    good = [orjson.dumps(r) for r in good_records(6)]
    lines = [
        good[0],
        b'{"id": "broken", "text": "unterminated',  # malformed JSON
        good[1],
        b'{"id": "latin1", "text": "caf\xe9"}',  # invalid UTF-8
        b'{"id": "no-text", "body": "where is the text?"}',  # missing text
        b'{"id": "number", "text": 42}',  # non-string text
        b'{"id": "null-text", "text": null}',  # missing text (null)
        b'["an", "array"]',  # JSON but not an object
        good[2],
    ]
    mixed = root / "mixed.jsonl"
    mixed.write_bytes(b"\n".join(lines) + b"\n")
    complete = gzip.compress(b"".join(line + b"\n" for line in good[3:6]))
    truncated = root / "truncated.jsonl.gz"
    truncated.write_bytes(complete[: len(complete) - 12])
    folder = root / "files"
    folder.mkdir()
    (folder / "ok.txt").write_text(GOOD_TEXT)
    (folder / "bad.txt").write_bytes(b"caf\xe9 au lait")
    expected = {
        "malformed_json": 1,
        "invalid_utf8": 2,
        "missing_text": 2,
        "non_string_text": 1,
        "not_an_object": 1,
        "truncated_or_corrupt_stream": 1,
    }
    return [mixed, truncated, folder], expected


@pytest.mark.parametrize("workers", [1, 2])
def test_mixed_good_and_bad_input_is_fully_accounted(tmp_path: Path, workers: int):
    inputs, expected = build_mixed_corpus(tmp_path / "in")
    summary = run(inputs, tmp_path / "out", policy="annotate", workers=workers)
    assert summary["quarantined_by_error"] == expected
    assert summary["quarantined"] == sum(expected.values())
    assert summary["read"] == summary["kept"] + summary["trimmed"] + summary["removed"] + summary["quarantined"]
    assert summary["accounting_ok"] is True
    kept_ids = [r["id"] for r in read_jsonl_dir(tmp_path / "out" / "kept")]
    # Good records before the truncation point of the gzip survive; the rest is one quarantine unit.
    assert kept_ids[:3] == ["doc-0", "doc-1", "doc-2"]
    assert "ok.txt" in kept_ids
    quarantine = read_jsonl_dir(tmp_path / "out" / "quarantine")
    assert len(quarantine) == summary["quarantined"]
    by_error = {q["error"]: q for q in quarantine}
    assert by_error["malformed_json"]["line"] == 2 and by_error["malformed_json"]["source"].endswith("mixed.jsonl")
    assert by_error["non_string_text"]["record_id"] == "number"
    assert "offset" in by_error["truncated_or_corrupt_stream"]
    assert all(q["message"] for q in quarantine)


def test_unreadable_file_is_quarantined(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "ok.txt").write_text(GOOD_TEXT)
    locked = folder / "locked.txt"
    locked.write_text(GOOD_TEXT)
    if os.geteuid() == 0:  # root reads anything: make the read fail the way a permission error does
        original = Path.read_bytes

        def read_bytes(self: Path) -> bytes:
            if self.name == "locked.txt":
                raise PermissionError(13, "Permission denied", str(self))
            return original(self)

        monkeypatch.setattr(Path, "read_bytes", read_bytes)
    else:
        locked.chmod(0)
    summary = run([folder], tmp_path / "out", policy="annotate", workers=1)
    assert summary["read"] == 2 and summary["kept"] == 1
    assert summary["quarantined_by_error"] == {"unreadable_file": 1}
    [entry] = read_jsonl_dir(tmp_path / "out" / "quarantine")
    assert entry["source"].endswith("locked.txt") and "Permission denied" in entry["message"]


def test_unreadable_archive_header_is_one_quarantined_unit(tmp_path: Path):
    (tmp_path / "garbage.jsonl.gz").write_bytes(b"this is not gzip at all")
    summary = run([tmp_path / "garbage.jsonl.gz"], tmp_path / "out", policy="annotate", workers=1)
    assert summary["read"] == 1 and summary["quarantined_by_error"] == {"truncated_or_corrupt_stream": 1}
    [entry] = read_jsonl_dir(tmp_path / "out" / "quarantine")
    assert "Not a gzipped file" in entry["message"] and entry["line"] == 1


def test_empty_text_is_a_document_not_an_error(tmp_path: Path):
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": "e", "text": ""}, {"id": "w", "text": "  \n "}])
    summary = run([source], tmp_path / "out", policy="default", workers=1)
    assert summary["read"] == 2 and summary["removed"] == 2
    assert summary["removed_by_reason"] == {"too_few_words": 2}


def test_accounting_check_fails_loudly():
    tally = Tally(read=3, kept=1, removed=1)
    with pytest.raises(AccountingError, match="read 3 != kept 1"):
        tally.check()


def test_annotator_crash_quarantines_only_the_failing_document(tmp_path: Path, monkeypatch):
    from thresher.signals import basic

    original = basic.whitespace_word_count

    def fragile(text: str) -> int:
        if "EXPLODE" in text:
            raise RuntimeError("boom")
        return original(text)

    monkeypatch.setattr(basic, "whitespace_word_count", fragile)
    monkeypatch.setattr(basic, "_native", None)  # the per-document loop, which calls the fragile count
    records = good_records(3)
    records[1]["text"] = "EXPLODE " + GOOD_TEXT
    source = write_jsonl(tmp_path / "in.jsonl", records)
    summary = run([source], tmp_path / "out", policy="annotate", workers=1)
    assert summary["kept"] == 2 and summary["quarantined_by_error"] == {"annotator_error": 1}
    [entry] = read_jsonl_dir(tmp_path / "out" / "quarantine")
    assert entry["record_id"] == "doc-1" and "RuntimeError: boom" in entry["message"]
