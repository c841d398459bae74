"""Every reader round-trips: what goes in comes out in kept/, fields and all."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from conftest import GOOD_TEXT, good_records, read_jsonl_dir, warc_record, write_jsonl
from thresher.readers import InputError, discover_sources, kind_of
from thresher.runner import run


@pytest.mark.parametrize("compress", [None, "gz", "zst"])
def test_jsonl_round_trip(tmp_path: Path, compress: str | None):
    records = good_records(5)
    suffix = {None: "", "gz": ".gz", "zst": ".zst"}[compress]
    source = write_jsonl(tmp_path / f"in.jsonl{suffix}", records, compress)
    summary = run([source], tmp_path / "out", policy="annotate", workers=1)
    assert summary["read"] == summary["kept"] == 5
    kept = read_jsonl_dir(tmp_path / "out" / "kept")
    assert [r["id"] for r in kept] == [r["id"] for r in records]
    for original, written in zip(records, kept, strict=True):
        assert {k: written[k] for k in original} == original
        assert written["thresher"]["decision"] == "keep"
        assert set(written["thresher"]) >= {"decision", "reasons", "signals", "segments"}


def test_custom_fields_and_missing_id_gets_stable_hash(tmp_path: Path):
    records = [{"body": GOOD_TEXT, "link": "https://a.example/x"}, {"body": GOOD_TEXT, "key": "k2"}]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    from thresher.readers import FieldNames

    fields = FieldNames(text="body", id="key", url="link")
    run([source], tmp_path / "a", policy="annotate", workers=1, fields=fields)
    run([source], tmp_path / "b", policy="annotate", workers=1, fields=fields)
    first = read_jsonl_dir(tmp_path / "a" / "kept")
    again = read_jsonl_dir(tmp_path / "b" / "kept")
    assert first[1]["key"] == "k2"
    assert "key" not in first[0]
    assert first == again  # ids (hashes) and analyses are stable across runs
    from thresher.explain import explain

    explained = explain(source, None, "annotate", fields)
    assert len(explained["id"]) == 16 and explained["url"] == "https://a.example/x"


def test_parquet_round_trip_keeps_schema_and_adds_analysis(tmp_path: Path):
    records = good_records(7)
    table = pa.Table.from_pylist(records)
    pq.write_table(table, tmp_path / "in.parquet")
    summary = run([tmp_path / "in.parquet"], tmp_path / "out", policy="annotate", workers=1, batch_docs=3)
    assert summary["output_format"] == "parquet"
    assert summary["read"] == summary["kept"] == 7
    out = pq.read_table(sorted((tmp_path / "out" / "kept").glob("*.parquet"))[0]).to_pylist()
    assert [r["id"] for r in out] == [r["id"] for r in records]
    assert out[0]["lang_hint"] == "en" and out[0]["text"] == records[0]["text"]
    assert out[0]["thresher_decision"] == "keep"
    assert orjson.loads(out[0]["thresher"])["decision"] == "keep"


def test_jsonl_to_parquet_and_back(tmp_path: Path):
    source = write_jsonl(tmp_path / "in.jsonl", good_records(4))
    run([source], tmp_path / "pq", policy="annotate", workers=1, output_format="parquet")
    shard = next((tmp_path / "pq" / "kept").glob("*.parquet"))
    assert pq.read_table(shard).num_rows == 4


def test_folder_of_text_and_html_files(tmp_path: Path):
    folder = tmp_path / "pages"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(GOOD_TEXT)
    (folder / "sub" / "b.html").write_text(
        "<html><head><title>T</title><style>p{color:red}</style><script>var x = 1;</script></head>"
        "<body><nav>Home | News</nav><h1>Flood closes bridge</h1><p>" + GOOD_TEXT + "</p></body></html>"
    )
    (folder / "notes.md").write_text("# not a document")
    (folder / "labels.json").write_text("{}")
    summary = run([folder], tmp_path / "out", policy="annotate", workers=1)
    assert summary["read"] == 2 and summary["skipped_files"] == 2
    kept = {r["id"]: r for r in read_jsonl_dir(tmp_path / "out" / "kept")}
    assert set(kept) == {"a.txt", "sub/b.html"}
    page = kept["sub/b.html"]
    assert "Flood closes bridge" in page["text"] and "Home | News" in page["text"]
    assert "var x" not in page["text"] and "color:red" not in page["text"]
    assert page["html"].startswith("<html>")
    run([folder], tmp_path / "nohtml", policy="annotate", workers=1, keep_html=False)
    assert all("html" not in r for r in read_jsonl_dir(tmp_path / "nohtml" / "kept"))


def test_warc_and_wet(tmp_path: Path):
    html = f"<html><body><h1>Bridge closed</h1><p>{GOOD_TEXT}</p></body></html>".encode()
    warc = gzip.compress(warc_record("response", "https://a.example/1", html, "1", http=True)) + gzip.compress(
        warc_record("request", "https://a.example/1", b"GET / HTTP/1.1\r\n\r\n", "2", http=False)
    )
    (tmp_path / "crawl.warc.gz").write_bytes(warc)
    wet = gzip.compress(warc_record("conversion", "https://a.example/2", GOOD_TEXT.encode(), "3", http=False))
    (tmp_path / "crawl.wet.gz").write_bytes(wet)
    summary = run(
        [tmp_path / "crawl.warc.gz", tmp_path / "crawl.wet.gz"], tmp_path / "out", policy="annotate", workers=1
    )
    assert summary["read"] == 2, summary
    kept = read_jsonl_dir(tmp_path / "out" / "kept")
    assert [r["url"] for r in kept] == ["https://a.example/1", "https://a.example/2"]
    assert kept[0]["id"] == "<urn:uuid:1>" and "Bridge closed" in kept[0]["text"] and "html" in kept[0]
    assert kept[1]["text"] == GOOD_TEXT and "html" not in kept[1]


def test_kind_of_and_input_errors(tmp_path: Path):
    assert kind_of(Path("a.jsonl.zst")) == "jsonl"
    assert kind_of(Path("a.ndjson.gz")) == "jsonl"
    assert kind_of(Path("CC-MAIN.warc.gz")) == "warc"
    assert kind_of(Path("x.wet")) == "warc"
    assert kind_of(Path("x.parquet")) == "parquet"
    assert kind_of(Path("x.csv")) is None
    with pytest.raises(InputError, match="does not exist"):
        discover_sources([tmp_path / "missing.jsonl"])
    (tmp_path / "x.csv").write_text("a,b")
    with pytest.raises(InputError, match="unknown file type"):
        discover_sources([tmp_path / "x.csv"])


def test_zstd_stream_reader_is_streaming(tmp_path: Path):
    """A multi-frame zstd file (as written by streaming compressors) reads as one stream."""
    compressor = zstandard.ZstdCompressor()
    lines = [orjson.dumps(r) + b"\n" for r in good_records(6)]
    data = compressor.compress(b"".join(lines[:3])) + compressor.compress(b"".join(lines[3:]))
    (tmp_path / "multi.jsonl.zst").write_bytes(data)
    summary = run([tmp_path / "multi.jsonl.zst"], tmp_path / "out", policy="annotate", workers=1)
    assert summary["read"] == 6
