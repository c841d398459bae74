"""Shared fixtures: paths to ../shared (skipped when absent) and small corpus builders."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with the reason when a clone has none."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs the project's ../shared data (present in CI)")
    return path


@pytest.fixture
def seeds_dir() -> Path:
    return shared_path("seeds")


GOOD_TEXT = (
    "The river rose through the night and by morning the old bridge was closed to traffic. "
    "Engineers from the county inspected the pillars and said the structure was sound, but they asked "
    "drivers to use the northern crossing until the water goes down. Shops along the quay opened late, "
    "and volunteers filled sandbags outside the library while children watched from the steps."
)


def good_records(count: int, prefix: str = "doc") -> list[dict]:
    return [
        {
            "id": f"{prefix}-{i}",
            "text": f"Report number {i}.\n{GOOD_TEXT}\nA second paragraph for {i}.",
            "url": f"https://news.example.com/{i}",
            "lang_hint": "en",
        }
        for i in range(count)
    ]


def write_jsonl(path: Path, records: list[dict], compress: str | None = None) -> Path:
    data = b"".join(orjson.dumps(r) + b"\n" for r in records)
    if compress == "gz":
        data = gzip.compress(data)
    elif compress == "zst":
        import zstandard

        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    return path


def read_jsonl_dir(directory: Path) -> list[dict]:
    records: list[dict] = []
    if not directory.exists():
        return records
    for shard in sorted(directory.glob("*.jsonl")):
        records.extend(orjson.loads(line) for line in shard.read_bytes().splitlines() if line.strip())
    return records


def warc_record(record_type: str, uri: str, payload: bytes, record_id: str, http: bool) -> bytes:
    """One WARC/1.0 record, hand-built so tests do not depend on a WARC writer."""
    if http:
        payload = (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            + f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        content_type = "application/http; msgtype=response"
    else:
        content_type = "text/plain"
    headers = (
        "WARC/1.0\r\n"
        f"WARC-Type: {record_type}\r\n"
        f"WARC-Record-ID: <urn:uuid:{record_id}>\r\n"
        "WARC-Date: 2026-11-01T00:00:00Z\r\n"
        f"WARC-Target-URI: {uri}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode()
    return headers + payload + b"\r\n\r\n"
