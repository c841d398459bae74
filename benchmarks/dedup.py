"""Deduplication benchmark: quality on planted near duplicates, datatrove comparison, scale.

    python benchmarks/dedup.py quality            # planted corpus: P/R, datatrove agreement & speed
    python benchmarks/dedup.py scale 10000 100000 # seconds and peak RSS per size (thresher dedup)
    DEDUP_OVERRIDES='{"verify": 0}' python benchmarks/dedup.py scale 100000   # the same with plain LSH

Run from the repository root. The corpus is built from ../shared at run time into a temp
folder (never into the repo). datatrove runs in a separate virtual environment (default
/work/venvs/dedupbench, else /work/venvs/bench, or $DEDUP_DATATROVE_PYTHON), in a subprocess, with the same
parameters (word 5-grams, 14 x 8, seed 1): its four MinHash stages, one task, one worker.
Each measured run is its own subprocess, so peak RSS (ru_maxrss) is that run's alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# The runs of the quality benchmark: name -> [dedup] overrides (near duplicates only, as datatrove).
# "default" is the shipped setting (candidate pairs verified on exact shingle Jaccard >= 0.8);
# "plain_lsh" is datatrove's method (compared with datatrove for agreement); "signature_0.8"
# verifies on the signature's estimate instead of the exact sets.
RUNS: dict[str, dict] = {
    "default": {},
    "plain_lsh": {"verify": 0.0},
    "signature_0.8": {"verify": 0.8, "verify_by": "signature"},
}
DATATROVE_PYTHON = os.environ.get("DEDUP_DATATROVE_PYTHON") or next(
    (p for p in ("/work/venvs/dedupbench/bin/python", "/work/venvs/bench/bin/python") if Path(p).exists()),
    "/work/venvs/dedupbench/bin/python",
)

OURS = r"""
import json, resource, sys, time
from thresher.dedup import DedupSettings
from thresher.runner import run_dedup
inp, out, workers, exact, memory_mb = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1", int(sys.argv[5])
overrides = json.loads(sys.argv[6]) if len(sys.argv) > 6 else {}
t = time.perf_counter()
settings = DedupSettings(exact=exact, near=True, memory_mb=memory_mb, **overrides)
s = run_dedup([inp], out, settings, workers=workers)
seconds = time.perf_counter() - t
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": max(me.ru_maxrss, kids.ru_maxrss) / 1024,
                  "summary": s}))
"""

DATATROVE = r"""
import json, resource, sys, time
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import MinhashDedupSignature
from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers.jsonl import JsonlWriter
from datatrove.utils.hashing import HashConfig
inp, work = sys.argv[1], sys.argv[2]
config = MinhashConfig(n_grams=5, num_buckets=14, hashes_per_bucket=8, seed=1, hash_config=HashConfig(precision=64))
reader = lambda: JsonlReader(inp, glob_pattern="*.jsonl", text_key="text", id_key="id")
stages = [
    ("signatures", [reader(), MinhashDedupSignature(output_folder=f"{work}/sigs", config=config)], 1),
    ("buckets", [MinhashDedupBuckets(input_folder=f"{work}/sigs", output_folder=f"{work}/buckets", config=config)],
     config.num_buckets),
    ("cluster", [MinhashDedupCluster(input_folder=f"{work}/buckets", output_folder=f"{work}/remove", config=config,
                                     save_cluster_id=True)], 1),
    ("filter", [reader(), MinhashDedupFilter(input_folder=f"{work}/remove", load_cluster_ids=True,
                exclusion_writer=JsonlWriter(f"{work}/removed", compression=None)),
                JsonlWriter(f"{work}/kept", compression=None)], 1),
]
times = {}
t0 = time.perf_counter()
for name, pipeline, tasks in stages:
    t = time.perf_counter()
    LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=f"{work}/logs/{name}",
                          skip_completed=False).run()
    times[name] = time.perf_counter() - t
seconds = time.perf_counter() - t0
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "stage_seconds": times,
                  "peak_rss_mb": max(me.ru_maxrss, kids.ru_maxrss) / 1024}))
"""


def _run_json(argv: list[str], timeout: float | None = None) -> dict:
    """Run a measured subprocess; add the peak RSS of its whole process tree, sampled every 0.1 s.

    ru_maxrss alone would miss pool workers that are grandchildren (forkserver), so the
    tree's summed RSS is sampled with psutil as well and reported as `peak_tree_rss_mb`.
    """
    import psutil

    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(argv, stdout=out, stderr=err)
        root = psutil.Process(process.pid)
        peak = 0
        while process.poll() is None:
            if timeout is not None and time.perf_counter() - started > timeout:
                for child in root.children(recursive=True):
                    child.kill()
                process.kill()
                process.wait()
                raise subprocess.TimeoutExpired(argv, timeout)
            total = 0
            try:
                for proc in [root, *root.children(recursive=True)]:
                    try:
                        total += proc.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            peak = max(peak, total)
            time.sleep(0.1)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({process.returncode}):\n{stderr[-3000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["peak_tree_rss_mb"] = peak / 2**20
    return result


def _read_jsonl_dir(folder: Path) -> list[dict]:
    records = []
    for path in sorted(folder.rglob("*.jsonl")):
        records.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return records


def _pairs_from_clusters(clusters: dict[str, list[str]]) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for members in clusters.values():
        for a, b in combinations(sorted(set(members)), 2):
            pairs.add((a, b))
    return pairs


def quality() -> dict:
    from _dedup_corpus import jaccard, planted_corpus

    work = Path(tempfile.mkdtemp(prefix="dedup-bench-"))
    (work / "in").mkdir()
    corpus_path = work / "in" / "planted.jsonl"
    info = planted_corpus(corpus_path)
    records = info["records"]
    nbytes = corpus_path.stat().st_size
    sets = info["sets"]
    print(
        f"planted corpus: {len(records)} records ({info['bases']} real bases + planted variants), "
        f"{nbytes / 1e6:.1f} MB, {len(info['pairs'])} planted pairs",
        flush=True,
    )

    ours_runs = {}
    for name, overrides in RUNS.items():
        run = _run_json(
            [
                sys.executable,
                "-c",
                OURS,
                str(corpus_path),
                str(work / f"ours-{name}"),
                "1",
                "0",
                "256",
                json.dumps(overrides),
            ]
        )
        removed = _read_jsonl_dir(work / f"ours-{name}" / "removed")
        clusters: dict[str, list[str]] = defaultdict(list)
        for r in removed:
            clusters[r["thresher"]["reasons"][0]["kept_id"]].append(r["id"])
        for kept, members in clusters.items():
            members.append(kept)
        ours_runs[name] = (run, {r["id"] for r in removed}, clusters)
    ours, ours_removed, _ = ours_runs["plain_lsh"]

    dt: dict | None = None
    dt_removed: set[str] = set()
    dt_clusters: dict[str, list[str]] = defaultdict(list)
    if Path(DATATROVE_PYTHON).exists():
        dt = _run_json([DATATROVE_PYTHON, "-c", DATATROVE, str(work / "in"), str(work / "dt")])
        for r in _read_jsonl_dir(work / "dt" / "removed"):
            dt_removed.add(r["id"])
            dt_clusters[str(r["metadata"].get("minhash_cluster_id"))].append(r["id"])
        for r in _read_jsonl_dir(work / "dt" / "kept"):
            cluster = r.get("metadata", {}).get("minhash_cluster_id", -1)
            if cluster != -1:
                dt_clusters[str(cluster)].append(r["id"])

    all_pairs = [_pairs_from_clusters(clusters) for _, _, clusters in ours_runs.values()]
    dt_pairs = _pairs_from_clusters(dt_clusters)
    truth: dict[tuple[str, str], float] = dict(info["pairs"])
    for pair in set().union(*all_pairs) | dt_pairs:  # pairs across families that either system found
        if pair not in truth:
            truth[pair] = jaccard(sets[pair[0]], sets[pair[1]])
    positives = {p for p, j in truth.items() if j >= 0.8}
    # (base, planted variant) pairs: the duplicates we made on purpose, each of known Jaccard
    base_variant = {p: j for p, j in info["pairs"].items() if ("-v" in p[0]) != ("-v" in p[1])}

    def scores(clusters: dict[str, list[str]], removed_ids: set[str]) -> dict:
        pred = _pairs_from_clusters(clusters)
        tp = len(pred & positives)
        decisions = []  # (removed record, the record kept for its cluster)
        for members in clusters.values():
            kept = [m for m in members if m not in removed_ids]
            decisions.extend(tuple(sorted((m, kept[0]))) for m in members if m in removed_ids and kept)
        for pair in decisions:
            if pair not in truth:
                truth[pair] = jaccard(sets[pair[0]], sets[pair[1]])
        by_bucket: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for pair, j in truth.items():
            bucket = f"{min(int(j * 10), 9) / 10:.1f}"
            by_bucket[bucket][1] += 1
            by_bucket[bucket][0] += pair in pred
        cluster_of = {m: key for key, members in clusters.items() for m in members}
        planted = [
            (j, cluster_of.get(a) is not None and cluster_of.get(a) == cluster_of.get(b))
            for (a, b), j in base_variant.items()
        ]
        planted_detected = [j for j, hit in planted if hit]
        planted_positive = sum(j >= 0.8 for j, _ in planted)
        false_positives = sorted(round(j, 3) for j in planted_detected if j < 0.8)
        missed = sorted(round(j, 3) for j, hit in planted if j >= 0.8 and not hit)
        return {
            "planted_false_positive_jaccards": false_positives,
            "planted_missed_jaccards": missed,
            "planted_base_variant_pairs": len(planted),
            "planted_precision_at_0.8": round(sum(j >= 0.8 for j in planted_detected) / len(planted_detected), 4)
            if planted_detected
            else None,
            "planted_recall_at_0.8": round(sum(j >= 0.8 for j in planted_detected) / planted_positive, 4)
            if planted_positive
            else None,
            "recall_at_0.8": round(tp / len(positives), 4) if positives else None,
            "removal_precision_at_0.8": round(sum(truth[p] >= 0.8 for p in decisions) / len(decisions), 4)
            if decisions
            else None,
            "removal_precision_at_0.7": round(sum(truth[p] >= 0.7 for p in decisions) / len(decisions), 4)
            if decisions
            else None,
            "cluster_pairs": len(pred),
            "cluster_pair_precision_at_0.8": round(tp / len(pred), 4) if pred else None,
            "detected_by_true_jaccard": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_bucket.items())},
        }

    result = {
        "corpus": {
            "records": len(records),
            "bytes": nbytes,
            "bases": info["bases"],
            "planted_pairs": len(info["pairs"]),
            "positive_pairs_j>=0.8": len(positives),
        },
    }
    for name, (run, removed_ids, clusters) in ours_runs.items():
        result[f"ours_{name}"] = {
            "settings": RUNS[name] or "shipped defaults",
            "seconds": round(run["seconds"], 3),
            "docs_per_s": round(len(records) / run["seconds"], 1),
            "peak_rss_mb": round(run["peak_rss_mb"], 1),
            "peak_tree_rss_mb": round(run["peak_tree_rss_mb"], 1),
            "removed": len(removed_ids),
            **scores(clusters, removed_ids),
            "pass1_hash_seconds": run["summary"]["dedup"]["pass1_hash_seconds"],
            "pass1_cluster_seconds": run["summary"]["dedup"]["pass1_cluster_seconds"],
            "cpu_seconds": round(run["cpu_seconds"], 3),
            "pairs_rejected_by_verify": run["summary"]["dedup"]["candidate_pairs_rejected_by_verify"],
        }
    if dt is not None:
        union = ours_removed | dt_removed
        result["datatrove"] = {
            "seconds": round(dt["seconds"], 3),
            "docs_per_s": round(len(records) / dt["seconds"], 1),
            "stage_seconds": {k: round(v, 3) for k, v in dt["stage_seconds"].items()},
            "cpu_seconds": round(dt["cpu_seconds"], 3),
            "peak_rss_mb": round(dt["peak_rss_mb"], 1),
            "peak_tree_rss_mb": round(dt["peak_tree_rss_mb"], 1),
            "removed": len(dt_removed),
            **scores(dt_clusters, dt_removed),
        }
        result["agreement"] = {
            "removed_both": len(ours_removed & dt_removed),
            "removed_only_ours": len(ours_removed - dt_removed),
            "removed_only_datatrove": len(dt_removed - ours_removed),
            "removed_set_jaccard": round(len(ours_removed & dt_removed) / len(union), 4) if union else 1.0,
            "compared": "ours with verify=0 (plain LSH, like datatrove) against datatrove",
            "throughput_ratio_ours_over_datatrove_per_core": round(dt["cpu_seconds"] / ours["cpu_seconds"], 2),
            "throughput_ratio_default_over_datatrove_per_core": round(
                dt["cpu_seconds"] / ours_runs["default"][0]["cpu_seconds"], 2
            ),
            "wall_time_ratio_ours_over_datatrove": round(dt["seconds"] / ours["seconds"], 2),
        }
    else:
        result["datatrove"] = f"not run: {DATATROVE_PYTHON} is absent"
    return result


def scale(sizes: list[int], workers: int, timeout: float, overrides: dict | None = None) -> list[dict]:
    """Shipped settings (or `overrides`, e.g. {"verify": 0} for plain LSH) on real-text corpora of each size."""
    overrides = overrides or {}
    from _dedup_corpus import scale_corpus

    rows = []
    for size in sizes:
        work = Path(tempfile.mkdtemp(prefix=f"dedup-scale-{size}-"))
        path = work / "corpus.jsonl"
        t = time.perf_counter()
        nbytes = scale_corpus(path, size)
        built = time.perf_counter() - t
        print(f"{size} records, {nbytes / 1e6:.1f} MB built in {built:.1f} s", flush=True)
        try:
            ours = _run_json(
                [
                    sys.executable,
                    "-c",
                    OURS,
                    str(path),
                    str(work / "out"),
                    str(workers),
                    "1",
                    "64",
                    json.dumps(overrides),
                ],
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            rows.append({"records": size, "bytes": nbytes, "timed_out_after_s": timeout})
            print(json.dumps(rows[-1]), flush=True)
            continue
        d = ours["summary"]["dedup"]
        rows.append(
            {
                "records": size,
                "bytes": nbytes,
                "workers": workers,
                "settings": overrides or "shipped defaults",
                "seconds": round(ours["seconds"], 2),
                "docs_per_s": round(size / ours["seconds"], 1),
                "peak_rss_mb": round(ours["peak_rss_mb"], 1),
                "peak_tree_rss_mb": round(ours["peak_tree_rss_mb"], 1),
                "exact_duplicate": d["exact_duplicate"],
                "near_duplicate": d["near_duplicate"],
                "pass1_hash_seconds": d["pass1_hash_seconds"],
                "pass1_cluster_seconds": d["pass1_cluster_seconds"],
                # forkserver pool workers are not children of the measured process: driver CPU only
                "cpu_seconds_driver_only": round(ours["cpu_seconds"], 2),
                "spilled_mb": round(d["spilled_bytes"] / 1e6, 1),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
        subprocess.run(["rm", "-rf", str(work)], check=False)
    return rows


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else "quality"
    if what == "quality":
        print(json.dumps(quality(), indent=2))
    elif what == "scale":
        sizes = [int(x) for x in sys.argv[2:]] or [10_000, 100_000]
        workers = int(os.environ.get("DEDUP_WORKERS", "2"))
        timeout = float(os.environ.get("DEDUP_TIMEOUT", "1500"))
        overrides = json.loads(os.environ.get("DEDUP_OVERRIDES", "{}"))
        print(json.dumps(scale(sizes, workers, timeout, overrides), indent=2))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
