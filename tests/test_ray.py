"""`--engine ray` against `--engine local`, on a real local Ray instance (2 CPUs).

Ray starts once for the whole module (it takes seconds on a 2-core CI machine); the
engine sees an initialised Ray and uses it. Outputs are compared file by file, bytes
included: the Ray engine's promise is the local engine's output, not a similar one.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import good_records, read_jsonl_dir, write_jsonl
from test_accounting import build_mixed_corpus
from thresher.runner import run

DEMO = Path(__file__).resolve().parents[1] / "src" / "thresher" / "demo"
HAS_RAY = importlib.util.find_spec("ray") is not None
needs_ray = pytest.mark.skipif(not HAS_RAY, reason="ray is not installed: pip install -e '.[ray]' to run these")
# Fields of summary.json that differ between any two runs, or name the engine.
VOLATILE = {"seconds", "docs_per_second", "mb_per_second", "engine"}


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[Any]:
    """One local Ray instance with 2 CPUs for every test here; no token auth, no dashboard."""
    if not HAS_RAY:
        pytest.skip("ray is not installed: pip install -e '.[ray]' to run these")
    os.environ["RAY_AUTH_MODE"] = "disabled"
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    try:
        yield ray
    finally:
        ray.shutdown()


def output_files(out: Path) -> dict[str, bytes]:
    """Every shard and progress marker of a run, by relative path (the run fingerprint aside)."""
    files: dict[str, bytes] = {}
    for part in ("kept", "removed", "quarantine", "_progress"):
        for path in sorted((out / part).glob("*")) if (out / part).exists() else []:
            if path.name != "run.json":
                files[f"{part}/{path.name}"] = path.read_bytes()
    return files


def stable(summary: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in summary.items() if key not in VOLATILE}


def assert_same_output(local_out: Path, ray_out: Path, local: dict[str, Any], on_ray: dict[str, Any]) -> None:
    assert stable(on_ray) == stable(local)
    assert on_ray["engine"] == "ray" and local["engine"] == "local"
    for part in ("kept", "removed", "quarantine"):
        assert read_jsonl_dir(ray_out / part) == read_jsonl_dir(local_out / part), part
    local_files, ray_files = output_files(local_out), output_files(ray_out)
    assert sorted(ray_files) == sorted(local_files)
    for name, data in local_files.items():
        assert ray_files[name] == data, f"{name} differs between engines"
    leftovers = [p.name for part in ("kept", "removed", "quarantine") for p in (ray_out / part).glob(".*")]
    assert not leftovers, f"temporary files left behind: {leftovers}"


def both_engines(inputs: list[Path], tmp: Path, **options: Any) -> tuple[Path, Path, dict, dict]:
    local_out, ray_out = tmp / "local", tmp / "ray"
    local = run(inputs, local_out, workers=2, **options)
    on_ray = run(inputs, ray_out, workers=2, engine="ray", **options)
    return local_out, ray_out, local, on_ray


def test_thresher_never_imports_ray():
    """`import thresher` and the CLI must work on a machine without Ray."""
    code = "import sys, thresher, thresher.cli, thresher.runner; assert 'ray' not in sys.modules, 'ray imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


@needs_ray
@pytest.mark.parametrize("policy", ["default", "annotate"])
def test_demo_corpus_same_as_local(tmp_path: Path, ray_instance: Any, policy: str):
    inputs = [DEMO / "corpus.jsonl", DEMO / "broken.jsonl", DEMO / "pages"]
    local_out, ray_out, local, on_ray = both_engines(inputs, tmp_path, policy=policy)
    assert on_ray["read"] == 41 and on_ray["quarantined"] == 3 and on_ray["accounting_ok"]
    assert_same_output(local_out, ray_out, local, on_ray)


@needs_ray
def test_mixed_good_and_bad_corpus_same_as_local(tmp_path: Path, ray_instance: Any):
    inputs, expected = build_mixed_corpus(tmp_path / "in")
    local_out, ray_out, local, on_ray = both_engines(
        inputs, tmp_path, policy="default", records_per_shard=2, batch_docs=1
    )
    assert on_ray["quarantined_by_error"] == expected
    assert len(list((ray_out / "kept").glob("00000-*.jsonl"))) == 2  # shard rotation happens inside the task
    assert_same_output(local_out, ray_out, local, on_ray)


@needs_ray
@pytest.mark.parametrize("limit", [0, 4, 13, 1000])
def test_limit_takes_the_same_first_records(tmp_path: Path, ray_instance: Any, limit: int):
    """`--limit` keeps the first N units in source order on both engines, across source boundaries."""
    inputs, _ = build_mixed_corpus(tmp_path / "in")
    inputs.insert(0, DEMO / "corpus.jsonl")
    local_out, ray_out, local, on_ray = both_engines(inputs, tmp_path, policy="annotate", limit=limit, batch_docs=3)
    assert on_ray["read"] == min(limit, local["read"]) if limit < 1000 else on_ray["read"] == local["read"]
    assert_same_output(local_out, ray_out, local, on_ray)


@needs_ray
def test_parquet_output_same_as_local(tmp_path: Path, ray_instance: Any):
    inputs = [DEMO / "corpus.jsonl", DEMO / "pages"]
    local_out, ray_out, local, on_ray = both_engines(inputs, tmp_path, policy="default", output_format="parquet")
    assert list((ray_out / "kept").glob("*.parquet"))
    assert_same_output(local_out, ray_out, local, on_ray)


@needs_ray
def test_resume_after_a_local_run_skips_finished_sources(tmp_path: Path, ray_instance: Any):
    """Markers are the same on both engines, so a run can be resumed by the other engine."""
    inputs, _ = build_mixed_corpus(tmp_path / "in")
    local_out, ray_out = tmp_path / "local", tmp_path / "ray"
    local = run(inputs, local_out, workers=2, policy="annotate")
    run(inputs, ray_out, workers=2, policy="annotate", engine="ray")
    (ray_out / "_progress" / "00001.done").unlink()  # pretend source 1 was not finished ...
    (ray_out / "kept" / "00001-0000.jsonl").write_bytes(b"half a shard")  # ... and left a partial shard
    resumed = run(inputs, ray_out, workers=2, policy="annotate", engine="ray", resume=True)
    assert resumed["resumed"] is True
    assert_same_output(local_out, ray_out, local | {"resumed": True}, resumed)


def _kill_a_worker_mid_shard(out: Path, killed: list[int], stop: threading.Event) -> None:
    """Wait until a Ray worker has published a shard and is writing the next, then SIGKILL it.

    Shard temporary names end in the writing process's pid, which names the worker to kill.
    """
    import psutil

    while not stop.is_set():
        kept = out / "kept"
        for temp in sorted(kept.glob(".*.tmp-*")) if kept.exists() else []:
            source = temp.name[1:6]
            if not list(kept.glob(f"{source}-*.jsonl")):
                continue  # nothing published yet for this source: wait for a later shard
            pid = int(temp.name.rsplit("-", 1)[1])
            if pid == os.getpid() or not psutil.pid_exists(pid):
                continue
            if "ray::" not in " ".join(psutil.Process(pid).cmdline()):
                continue
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            return
        time.sleep(0.005)


@needs_ray
def test_killed_worker_is_retried_without_loss_or_duplicates(tmp_path: Path, ray_instance: Any):
    inputs = [write_jsonl(tmp_path / f"part-{n}.jsonl", good_records(600, prefix=f"p{n}")) for n in range(2)]
    options: dict[str, Any] = {"policy": "default", "batch_docs": 25, "records_per_shard": 100}
    local_out, ray_out = tmp_path / "local", tmp_path / "ray"
    local = run(inputs, local_out, workers=2, **options)

    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_a_worker_mid_shard, args=(ray_out, killed, stop), daemon=True)
    killer.start()
    try:
        on_ray = run(inputs, ray_out, workers=2, engine="ray", **options)
    finally:
        stop.set()
        killer.join(timeout=5)
    assert killed, "no Ray worker was caught mid-shard; the test did not exercise a failure"
    ids = [record["id"] for record in read_jsonl_dir(ray_out / "kept")]
    assert len(ids) == len(set(ids)) == 1200, "a record was lost or written twice"
    assert_same_output(local_out, ray_out, local, on_ray)


def dedup_corpus(root: Path) -> list[Path]:
    """Three sources with exact and near duplicates inside and across them, plus a bad line."""
    root.mkdir(parents=True, exist_ok=True)
    base = good_records(30, prefix="base")
    near = [dict(r, id=f"near-{i}", text=r["text"].replace("sandbags", "sand bags")) for i, r in enumerate(base[:8])]
    exact = [dict(r, id=f"exact-{i}") for i, r in enumerate(base[5:12])]
    paths = [
        write_jsonl(root / "a.jsonl", base[:15] + exact[:3]),
        write_jsonl(root / "b.jsonl", near + base[15:]),
        write_jsonl(root / "c.jsonl", exact[3:] + near[:2]),
    ]
    with paths[2].open("ab") as handle:
        handle.write(b'{"id": "broken", "text": \n')
    return paths


@needs_ray
@pytest.mark.parametrize("lines", [0, 3])
def test_dedup_run_on_ray_same_as_local(tmp_path: Path, ray_instance: Any, lines: int):
    """`thresher run` with a dedup plan: pass 2 runs as the Ray engine's tasks, output equal to local."""
    from thresher.dedup import DedupSettings

    inputs = dedup_corpus(tmp_path / "in")
    settings = DedupSettings(boilerplate_min_docs=lines, within_document=lines > 0)
    options: dict[str, Any] = {"policy": "dedup", "dedup": settings, "batch_docs": 4, "records_per_shard": 5}
    local_out, ray_out, local, on_ray = both_engines(inputs, tmp_path, **options)
    assert local["dedup"]["exact_duplicate"] > 0 and local["dedup"]["near_duplicate"] > 0
    assert_same_output(local_out, ray_out, {**local, "dedup": None}, {**on_ray, "dedup": None})
    for key in ("exact_duplicate", "near_duplicate", "clusters_with_duplicates", "boilerplate_line_hashes"):
        assert on_ray["dedup"][key] == local["dedup"][key], key


@needs_ray
@pytest.mark.parametrize("verify", [0.0, 0.9])
def test_dedup_plan_on_ray_equals_the_local_plan(tmp_path: Path, ray_instance: Any, verify: float):
    """Pass 1 on Ray (per-source hashing, shuffle by key, clusters joined) gives the local plan, any shuffle width."""
    import numpy as np

    from thresher.dedup import DedupSettings, plan
    from thresher.engines.ray import plan_on_ray
    from thresher.readers import FieldNames, discover_sources

    sources, _ = discover_sources(dedup_corpus(tmp_path / "in"))
    settings = DedupSettings(boilerplate_min_docs=2, verify=verify)
    local = plan(sources, FieldNames(), settings, tmp_path / "work", workers=1, batch_docs=4)
    assert len(local.removed) > 0
    for reducers in (1, 3):
        on_ray = plan_on_ray(sources, FieldNames(), settings, batch_docs=4, reducers=reducers)
        for name in ("source_starts", "batch_keys", "batch_firsts", "removed", "removed_kind", "removed_head"):
            assert np.array_equal(getattr(on_ray, name), getattr(local, name)), (reducers, name)
        assert np.array_equal(on_ray.boilerplate, local.boilerplate)
        assert on_ray.head_ids == local.head_ids
        for key in ("exact_duplicate", "near_duplicate"):  # rejected pairs: local counts per partition
            assert on_ray.stats[key] == local.stats[key], key


@needs_ray
def test_an_error_in_a_task_fails_the_run_without_marking_the_source(tmp_path: Path, ray_instance: Any):
    """An error that is not a worker death is not retried: the run fails, names the source, writes no marker."""
    from thresher.engines.batch import Job
    from thresher.engines.checkpoint import Checkpoint
    from thresher.engines.local import RunOptions
    from thresher.engines.ray import SourceFailed, run_sources
    from thresher.readers import discover_sources

    sources, _ = discover_sources([write_jsonl(tmp_path / "a.jsonl", good_records(3))])
    out = tmp_path / "out"
    out.mkdir()
    (out / "kept").write_bytes(b"a file where the kept/ folder should be")
    checkpoint = Checkpoint(out)
    checkpoint.start({"test": True})
    with pytest.raises(SourceFailed, match=r"a\.jsonl.*NotADirectoryError"):
        run_sources(sources, Job(policy="annotate"), out, RunOptions(workers=2), checkpoint)
    assert checkpoint.finished(0) is None
