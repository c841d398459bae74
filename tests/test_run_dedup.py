"""`thresher run` with a [dedup] policy section: duplicates dropped in the same run."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from conftest import GOOD_TEXT, read_jsonl_dir, write_jsonl
from thresher.policy import PolicyError, load_policy
from thresher.runner import run

OTHER = (
    "A new footbridge over the canal opened on Saturday after two years of building work. The council said the "
    "crossing would shorten the walk to the station by ten minutes, and cyclists will share it with walkers. "
    "Residents who campaigned for the bridge gathered at the ribbon cutting and the mayor thanked the engineers."
)


def dedup_policy(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "dedup.toml"
    path.write_text('name = "dedup-test"\n[dedup]\nexact = true\nnear = true\n' + extra)
    return path


def test_exact_duplicates_are_dropped_with_the_kept_id(tmp_path: Path):
    records = [
        {"id": "first", "text": GOOD_TEXT},
        {"id": "other", "text": OTHER},
        {"id": "copy", "text": GOOD_TEXT.upper()},  # same text once case and spacing are folded
        {"id": "copy-2", "text": "  " + GOOD_TEXT.replace(" ", "  ")},
    ]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    summary = run([source], tmp_path / "out", policy=dedup_policy(tmp_path), workers=1)
    assert summary["removed_by_reason"] == {"exact_duplicate": 2}
    assert summary["dedup"]["exact_duplicate"] == 2
    removed = {r["id"]: r["thresher"]["reasons"][0] for r in read_jsonl_dir(tmp_path / "out" / "removed")}
    assert set(removed) == {"copy", "copy-2"}
    assert removed["copy"]["rule"] == "exact_duplicate" and removed["copy"]["kept_id"] == "first"
    assert [r["id"] for r in read_jsonl_dir(tmp_path / "out" / "kept")] == ["first", "other"]
    assert not (tmp_path / "out" / ".dedup-work").exists()


def test_dedup_gives_the_same_output_for_one_and_two_workers(tmp_path: Path):
    records = [{"id": f"d{i}", "text": (GOOD_TEXT if i % 3 else OTHER) + f" Edition {i // 6}."} for i in range(40)]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    policy = dedup_policy(tmp_path)
    one = run([source], tmp_path / "w1", policy=policy, workers=1, batch_docs=7)
    two = run([source], tmp_path / "w2", policy=policy, workers=2, batch_docs=7)
    assert one["removed_by_reason"] == two["removed_by_reason"] and one["removed"] > 0
    for part in ("kept", "removed"):
        assert read_jsonl_dir(tmp_path / "w1" / part) == read_jsonl_dir(tmp_path / "w2" / part)


def test_bad_dedup_section_is_a_policy_error(tmp_path: Path):
    path = dedup_policy(tmp_path, "shingles = 5\n")
    with pytest.raises(PolicyError, match=r"\[dedup\]: unknown key"):
        load_policy(path)


def test_dedup_on_ray_equals_local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    pytest.importorskip("ray", reason="ray is not installed (pip install 'thresher[ray]')")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    first = write_jsonl(
        tmp_path / "a.jsonl", [{"id": f"a{i}", "text": GOOD_TEXT + f" Part {i % 3}."} for i in range(12)]
    )
    second = write_jsonl(
        tmp_path / "b.jsonl", [{"id": f"b{i}", "text": OTHER if i % 2 else GOOD_TEXT + " Part 1."} for i in range(8)]
    )
    policy = dedup_policy(tmp_path)
    local = run([first, second], tmp_path / "local", policy=policy, workers=2, batch_docs=5)
    on_ray = run([first, second], tmp_path / "ray", policy=policy, workers=2, batch_docs=5, engine="ray")
    assert local["removed_by_reason"] == on_ray["removed_by_reason"] and local["removed"] > 0
    for part in ("kept", "removed"):
        assert read_jsonl_dir(tmp_path / "local" / part) == read_jsonl_dir(tmp_path / "ray" / part)


def test_ray_checks_candidates_on_exact_shingle_jaccard_like_local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Near-duplicates around the 0.8 threshold: both engines keep and reject the same candidate pairs."""
    pytest.importorskip("ray", reason="ray is not installed (pip install 'thresher[ray]')")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    rng = random.Random(11)
    # Letters only: normalisation drops digits, so "word17" and "word18" would be one word.
    vocabulary = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7)) for _ in range(5000)]
    records: list[dict[str, str]] = []
    for base_index in range(6):
        base = [rng.choice(vocabulary) for _ in range(300)]
        records.append({"id": f"base{base_index}", "text": " ".join(base)})
        for edits in (4, 8, 12, 16, 20, 26):  # one edited word breaks up to 5 shingles: J from ~0.94 to ~0.6
            variant = list(base)
            for position in rng.sample(range(len(base)), edits):
                variant[position] = rng.choice(vocabulary)
            records.append({"id": f"v{base_index}-{edits}", "text": " ".join(variant)})
    rng.shuffle(records)
    first = write_jsonl(tmp_path / "a.jsonl", records[: len(records) // 2])
    second = write_jsonl(tmp_path / "b.jsonl", records[len(records) // 2 :])
    policy = dedup_policy(tmp_path)
    local = run([first, second], tmp_path / "local", policy=policy, workers=2, batch_docs=7)
    on_ray = run([first, second], tmp_path / "ray", policy=policy, workers=2, batch_docs=7, engine="ray")
    assert local["dedup"]["candidate_pairs_rejected_by_verify"] > 0  # the check decided something
    for key in ("candidate_pairs_rejected_by_verify", "near_duplicates"):
        assert local["dedup"].get(key) == on_ray["dedup"].get(key), key
    for part in ("kept", "removed"):
        assert read_jsonl_dir(tmp_path / "local" / part) == read_jsonl_dir(tmp_path / "ray" / part)
