"""Verification of LSH candidate pairs on exact shingle-set Jaccard: hand-made sets and texts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest

from thresher.dedup import DedupSettings, parse_dedup_settings, plan
from thresher.dedup.minhash import set_jaccard, shingle_sets
from thresher.policy import PolicyError
from thresher.readers import FieldNames, discover_sources

# 60 distinct words: 56 distinct 5-word shingles.
WORDS = [f"w{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(60)]


def test_set_jaccard_on_hand_made_sets() -> None:
    values = np.array([1, 2, 3, 4, 2, 3, 4, 5, 6, 7], dtype=np.uint32)
    offsets = np.array([0, 4, 9, 9, 10])  # {1,2,3,4}, {2,3,4,5,6}, {}, {7}
    got = set_jaccard(values, offsets, np.array([0, 1, 0, 2, 3, 0]), np.array([1, 0, 2, 2, 3, 3]))
    assert got.tolist() == [0.5, 0.5, 0.0, 0.0, 1.0, 0.0]


def test_shingle_sets_are_distinct_sorted_top_bits_per_document() -> None:
    shingles = np.array([5 << 32, 3 << 32 | 9, 5 << 32 | 1, 7 << 32, 7 << 32], dtype=np.uint64)
    owners = np.array([0, 0, 0, 2, 2])
    values, counts = shingle_sets(shingles, owners, 3)
    assert values.tolist() == [3, 5, 7] and values.dtype == np.uint32
    assert counts.tolist() == [2, 0, 1]


def _plan(tmp_path: Path, texts: list[str], **settings: object):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"".join(orjson.dumps({"id": f"d{i}", "text": t}) + b"\n" for i, t in enumerate(texts)))
    sources, _ = discover_sources([path])
    return plan(sources, FieldNames(), DedupSettings(exact=False, **settings), tmp_path / "work", workers=1)


@pytest.mark.parametrize(("verify", "removed", "rejected"), [(0.8, [1], 0), (0.85, [], 1)])
def test_candidate_pairs_are_kept_by_their_exact_jaccard(tmp_path: Path, verify: float, removed, rejected) -> None:
    """One word changed in the middle: 5 of 56 shingles differ on each side, Jaccard 51/61 = 0.836."""
    edited = WORDS[:30] + ["changed"] + WORDS[31:]
    result = _plan(tmp_path, [" ".join(WORDS), " ".join(edited)], verify=verify)
    assert result.removed.tolist() == removed
    assert result.stats["candidate_pairs_rejected_by_verify"] == rejected
    if removed:
        reason = result.lookup_global(1)
        assert reason is not None and reason.signal == "shingle_jaccard" and reason.threshold == verify


def test_plain_lsh_and_default_settings(tmp_path: Path) -> None:
    assert DedupSettings().verify == 0.8 and DedupSettings().verify_exact
    assert not DedupSettings(verify=0.0).verify_exact and not DedupSettings(verify_by="signature").verify_exact
    result = _plan(tmp_path, [" ".join(WORDS), " ".join(WORDS[:59])], verify=0.0)  # 55/56 shingles shared
    assert result.removed.tolist() == [1] and result.lookup_global(1).signal == "minhash_lsh"


def test_verify_by_is_validated() -> None:
    assert parse_dedup_settings({"verify_by": "signature"}, "p.toml").verify_by == "signature"
    with pytest.raises(PolicyError, match=r"p\.toml: \[dedup\]\.verify_by"):
        parse_dedup_settings({"verify_by": "exact"}, "p.toml")
    with pytest.raises(ValueError, match="verify_by"):
        DedupSettings(verify_by="exact")


def test_verification_reads_sets_from_file_in_chunks_like_the_in_memory_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunked positioned reads give the same verdicts as `set_jaccard` over all sets in memory."""
    import importlib

    plan_module = importlib.import_module("thresher.dedup.plan")
    rng = np.random.default_rng(5)
    counts = rng.integers(0, 40, size=60)
    sets = [np.unique(rng.integers(0, 80, size=c)).astype(np.uint32) for c in counts]
    counts = np.array([len(s) for s in sets], dtype=np.int64)
    values = np.concatenate(sets)
    path = tmp_path / "sets.u32"
    path.write_bytes(values.tobytes())
    left = rng.integers(0, 60, size=300)
    right = rng.integers(0, 60, size=300)
    offsets = np.concatenate(([0], np.cumsum(counts)))
    expected = set_jaccard(values, offsets, left, right) >= 0.3
    monkeypatch.setattr(plan_module, "_VERIFY_CHUNK_VALUES", 50)  # many chunks
    got = plan_module._verified_exact(path, counts, left, right, 0.3)
    assert got.tolist() == expected.tolist() and 0 < got.sum() < len(got)
