"""Hostile and broken input: each case is quarantined or processed at a bounded cost."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import orjson
import pytest
import zstandard

from conftest import GOOD_TEXT, good_records, read_jsonl_dir, warc_record, write_jsonl
from thresher.readers import FieldNames, ReadLimits, decode, discover_sources
from thresher.readers.jsonl import read_batches
from thresher.runner import run


def balanced(summary: dict) -> bool:
    return summary["read"] == summary["kept"] + summary["trimmed"] + summary["removed"] + summary["quarantined"]


def errors_of(tmp_path: Path, lines: list[bytes], **kwargs) -> dict[str, int]:
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    summary = run([source], tmp_path / "out", policy="annotate", workers=1, **kwargs)
    assert balanced(summary)
    return summary["quarantined_by_error"]


def test_invalid_utf8_and_lone_surrogates(tmp_path: Path):
    lines = [
        b'{"id": "a", "text": "ok text"}',
        b'{"id": "b", "text": "\xff\xfe broken"}',
        b'{"id": "c", "text": "lone \\ud800 surrogate"}',
        b'{"id": "d", "text": "pair \\ud83d\\ude00 is fine"}',
    ]
    assert errors_of(tmp_path, lines) == {"invalid_utf8": 1, "malformed_json": 1}
    [lone] = [q for q in read_jsonl_dir(tmp_path / "out" / "quarantine") if q["error"] == "malformed_json"]
    assert "surrogate" in lone["message"] and lone["line"] == 3
    kept = {r["id"]: r["text"] for r in read_jsonl_dir(tmp_path / "out" / "kept")}
    assert kept["d"] == "pair 😀 is fine"


def test_nul_bytes(tmp_path: Path):
    lines = [b'{"id": "raw", "text": "a\x00b"}', b'{"id": "escaped", "text": "a\\u0000b"}']
    assert errors_of(tmp_path, lines) == {"nul_byte": 1}
    [kept] = read_jsonl_dir(tmp_path / "out" / "kept")
    assert kept["text"] == "a\x00b"  # an escaped NUL is valid JSON and survives the round trip


def test_oversized_record_is_quarantined_without_loading_it(tmp_path: Path):
    big = b'{"id": "big", "text": "' + b"x" * 5_000_000 + b'"}'
    lines = [b'{"id": "before", "text": "fine"}', big, b'{"id": "after", "text": "fine too"}']
    assert errors_of(tmp_path, lines, max_record_bytes=1_000_000) == {"record_too_large": 1}
    [entry] = read_jsonl_dir(tmp_path / "out" / "quarantine")
    assert entry["line"] == 2 and "5,000,0" in entry["message"] and "--max-record-bytes" in entry["message"]
    assert [r["id"] for r in read_jsonl_dir(tmp_path / "out" / "kept")] == ["before", "after"]


def test_oversized_text_file_and_warc_record(tmp_path: Path):
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "big.txt").write_text("y" * 20_000)
    (folder / "small.txt").write_text(GOOD_TEXT)
    summary = run([folder], tmp_path / "o1", policy="annotate", workers=1, max_record_bytes=10_000)
    assert summary["quarantined_by_error"] == {"record_too_large": 1} and summary["kept"] == 1
    payload = b"<html><body><p>" + b"z" * 20_000 + b"</p></body></html>"
    warc = gzip.compress(warc_record("response", "https://a.example/", payload, "1", http=True))
    (tmp_path / "big.warc.gz").write_bytes(warc)
    summary = run([tmp_path / "big.warc.gz"], tmp_path / "o2", policy="annotate", workers=1, max_record_bytes=10_000)
    assert summary["quarantined_by_error"] == {"record_too_large": 1}


@pytest.mark.parametrize("codec", ["gz", "zst"])
def test_decompression_bomb_is_stopped(tmp_path: Path, codec: str):
    payload = b"{}\n" * 3_000_000  # 9 MB of near-nothing: compresses several hundred times
    data = gzip.compress(payload, 9) if codec == "gz" else zstandard.ZstdCompressor(level=19).compress(payload)
    path = tmp_path / f"bomb.jsonl.{codec}"
    path.write_bytes(data)
    limits = ReadLimits(max_decompression_ratio=50, ratio_check_after=1 << 20)
    units = [u for batch in read_batches(path, str(path), 0, 100_000, 1 << 30, limits) for u in batch.units]
    [bomb] = [u for u in units if not isinstance(u, tuple)]
    assert bomb.error == "decompression_bomb" and "over 50x" in bomb.message
    assert len(units) < 3_000_000  # stopped early


def test_truncated_zstd(tmp_path: Path):
    data = zstandard.ZstdCompressor().compress(b"".join(orjson.dumps(r) + b"\n" for r in good_records(5000)))
    path = tmp_path / "cut.jsonl.zst"
    path.write_bytes(data[: len(data) // 2])
    summary = run([path], tmp_path / "out", policy="annotate", workers=1)
    assert balanced(summary) and summary["quarantined_by_error"] == {"truncated_or_corrupt_stream": 1}
    assert 0 < summary["kept"] < 5000


def test_deep_and_huge_html(tmp_path: Path):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "deep.html").write_text("<html><body>" + "<div>" * 100_000 + "deep text" + "</div>" * 100_000)
    (folder / "huge.html").write_text("<html><body>" + "<p>paragraph of words here</p>" * 200_000 + "</body></html>")
    (folder / "broken.html").write_text("<html><body><p>unclosed <b><i><table><tr><td>cell" + "<" * 1000)
    summary = run([folder], tmp_path / "out", policy="annotate", workers=1)
    assert balanced(summary) and summary["read"] == 3 and summary["quarantined"] == 0


def test_warc_with_bad_headers_between_good_records(tmp_path: Path):
    html = f"<html><body><p>{GOOD_TEXT}</p></body></html>".encode()
    good1 = gzip.compress(warc_record("response", "https://a.example/1", html, "1", http=True))
    garbage = gzip.compress(b"WARC/1.0\r\nContent-Length: not-a-number\r\nWARC-Type: response\r\n\r\nxx\r\n\r\n")
    good2 = gzip.compress(warc_record("response", "https://a.example/2", html, "2", http=True))
    (tmp_path / "bad.warc.gz").write_bytes(good1 + garbage + good2)
    (tmp_path / "noise.warc.gz").write_bytes(gzip.compress(b"\x00\x01 definitely not a warc file"))
    summary = run(
        [tmp_path / "bad.warc.gz", tmp_path / "noise.warc.gz"], tmp_path / "out", policy="annotate", workers=1
    )
    assert balanced(summary)
    assert summary["kept"] >= 1


def test_json_duplicate_keys_and_wrong_types(tmp_path: Path):
    lines = [
        b'{"id": "dup", "text": "first", "text": "second"}',
        b'{"id": {"nested": 1}, "text": "object id"}',
        b'{"id": "url-number", "text": "fine", "url": 12}',
        b'{"id": "list-text", "text": ["a", "b"]}',
        b'{"id": "deep", "text": "ok", "meta": ' + b"[" * 200 + b"]" * 200 + b"}",
        b'{"id": "huge-int", "text": "x", "n": 123456789012345678901234567890}',
        b'{"id": "nan", "text": "x", "n": NaN}',
        b'{"id": "too-deep-to-write", "text": "ok", "meta": ' + b"[" * 300 + b"]" * 300 + b"}",
    ]
    assert errors_of(tmp_path, lines) == {"non_string_text": 1, "malformed_json": 1, "unserializable_record": 1}
    kept = {r["text"]: r for r in read_jsonl_dir(tmp_path / "out" / "kept")}
    assert "second" in kept  # the last duplicate key wins, as in every JSON parser
    assert kept["object id"]["id"] == {"nested": 1}  # the input field is kept as it was
    assert kept["fine"]["url"] == 12
    [deep] = [q for q in read_jsonl_dir(tmp_path / "out" / "quarantine") if q["error"] == "unserializable_record"]
    assert deep["record_id"] == "too-deep-to-write" and "Recursion limit" in deep["message"]


def test_mixed_field_types_still_write_parquet(tmp_path: Path):
    records = [{"id": "a", "text": GOOD_TEXT, "n": 1}, {"id": "b", "text": GOOD_TEXT, "n": "one"}]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    summary = run([source], tmp_path / "out", policy="annotate", workers=1, output_format="parquet")
    assert summary["kept"] == 2
    import pyarrow.parquet as pq

    table = pq.read_table(next((tmp_path / "out" / "kept").glob("*.parquet")))
    assert table.column("n").to_pylist() == ["1", '"one"']


def test_ids_never_become_paths(tmp_path: Path):
    hostile_ids = ["../../escape", "/etc/passwd", "a/b\\c", "C:\\x", "..", "\x00nul", "con", "x" * 5000]
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": i, "text": GOOD_TEXT} for i in hostile_ids])
    out = tmp_path / "out"
    run([source], out, policy="annotate", workers=1)
    created = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert all(name == "in.jsonl" or name.startswith("out/") for name in created)
    assert {p.name for p in (out / "kept").iterdir()} == {"00000-0000.jsonl"}
    assert [r["id"] for r in read_jsonl_dir(out / "kept")] == hostile_ids


def test_many_tiny_documents(tmp_path: Path):
    source = tmp_path / "tiny.jsonl"
    source.write_bytes(b"".join(b'{"text":"%d"}\n' % i for i in range(50_000)))
    summary = run([source], tmp_path / "out", policy="default", workers=2, batch_docs=2048)
    assert summary["read"] == 50_000 and summary["removed"] == 50_000 and balanced(summary)


def test_reader_decode_never_raises_on_any_batch(tmp_path: Path):
    source = tmp_path / "odd.jsonl"
    source.write_bytes(b"\n".join([b"null", b"1", b'"s"', b"{}", b"[]", b"{", b"\xff", b"true"]) + b"\n")
    [src], _ = discover_sources([source])
    items = [item for batch in src.batches(3, 1 << 20) for item in decode(batch, FieldNames())]
    assert len(items) == 8


def test_default_limits_stop_a_gzip_bomb_after_16_mib_and_spare_real_text(tmp_path: Path):
    """The default check (200x the compressed bytes read so far, past 16 MiB) stops a bomb early."""
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(b"{}\n" * 12_000_000, 9))  # 36 MB expanded, ~1000x
    units = [u for batch in read_batches(bomb, str(bomb), 0, 1 << 20, 1 << 30) for u in batch.units]
    stopped = [u for u in units if not isinstance(u, tuple)]
    assert [u.error for u in stopped] == ["decompression_bomb"]
    framed = len(units) - 1
    assert (16 << 20) // 3 <= framed < (18 << 20) // 3  # stopped within ~1 MiB after the first check
    rng = random.Random(3)
    words = [f"w{rng.randrange(50_000)}" for _ in range(4_000_000)]  # ~24 MB of JSONL, compresses ~3x
    lines = [orjson.dumps({"text": " ".join(words[i : i + 100])}) for i in range(0, len(words), 100)]
    real = tmp_path / "real.jsonl.gz"
    real.write_bytes(gzip.compress(b"\n".join(lines) + b"\n", 6))
    units = [u for batch in read_batches(real, str(real), 0, 1 << 20, 1 << 30) for u in batch.units]
    assert all(isinstance(u, tuple) for u in units) and len(units) == len(lines)
