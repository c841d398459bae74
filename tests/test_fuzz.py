"""Fuzzing the readers and the pipeline: random bytes and hostile records never crash a
run, and every run accounts for every record."""

from __future__ import annotations

import gzip
import importlib.util
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thresher.runner import run

SUFFIXES = [".jsonl", ".jsonl.gz", ".jsonl.zst", ".txt", ".html", ".warc.gz", ".wet", ".parquet"]
FUZZ_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def balanced(summary: dict) -> bool:
    return summary["read"] == summary["kept"] + summary["trimmed"] + summary["removed"] + summary["quarantined"]


@FUZZ_SETTINGS
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(SUFFIXES), compress=st.booleans())
def test_random_bytes_in_any_format(tmp_path_factory: pytest.TempPathFactory, data: bytes, suffix: str, compress: bool):
    root = tmp_path_factory.mktemp("fuzz")
    if compress and suffix.endswith(".gz"):
        data = gzip.compress(data)
    elif compress and suffix.endswith(".zst"):
        data = zstandard.ZstdCompressor().compress(data)[: max(1, len(data) // 2)]
    path = root / f"input{suffix}"
    path.write_bytes(data)
    summary = run([path], root / "out", policy="default", workers=1)
    assert balanced(summary)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=200),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
hostile_records = st.dictionaries(
    st.sampled_from(["id", "text", "url", "html", "meta", ""]) | st.text(max_size=6), json_values, max_size=6
)


@FUZZ_SETTINGS
@given(records=st.lists(hostile_records, min_size=1, max_size=30))
def test_structured_hostile_records(tmp_path_factory: pytest.TempPathFactory, records: list[dict]):
    root = tmp_path_factory.mktemp("records")
    lines = [orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS) for record in records]
    (root / "in.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    summary = run([root / "in.jsonl"], root / "out", policy="default", workers=1, batch_docs=7)
    assert balanced(summary)
    assert summary["read"] == len(records)
    has_text = sum(
        1
        for r in records
        if isinstance(r.get("text"), str) or (r.get("text") is None and isinstance(r.get("html"), str))
    )
    assert summary["read"] - summary["quarantined"] == has_text


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris is not installed")
def test_atheris_coverage_guided_fuzzing(tmp_path: Path):
    harness = Path(__file__).parent / "fuzz" / "fuzz_pipeline.py"
    # A failing input is written as crash-<hash> under the artifact prefix: keep it out of the checkout.
    command = [sys.executable, str(harness), "-runs=3000", "-max_len=4096", "-seed=7", f"-artifact_prefix={tmp_path}/"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Done 3000 runs" in result.stderr
