"""Throughput and memory of `thresher run --policy annotate`, the cost of every annotator.

Prints docs/s, MB/s per core and the peak RSS of the whole process tree (main process
plus workers) at 1 and 2 workers, and at 2 workers on a corpus twice as large (memory
must not grow with the corpus). The peer, measured in the same run on the same corpus,
is the I/O floor: parse every JSONL record and write it back with orjson, no analysis.

With `--engine ray` the table above is still the local engine's (the baseline), and both
engines then run at 2 workers on the same corpora split into `--parts` files (the Ray
engine runs one task per input file, so one file would use one core). The overhead Ray
adds is split into a fixed cost per run (starting Ray and its workers) and a cost per
document, from the difference between the 1x and 2x corpora: per-document time =
(T(2x) - T(1x)) / (docs(2x) - docs(1x)) for each engine, overhead = Ray's - local's.

    python benchmarks/throughput.py [--docs 20000] [--engine local|ray] [--parts 8] [--repeat 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import build_corpus
from _measure import run_measured


def io_floor(corpus: Path, out: Path) -> float:
    started = time.perf_counter()
    with corpus.open("rb") as source, out.open("wb") as sink:
        for line in source:
            record = orjson.loads(line)
            record["thresher"] = {"decision": "keep"}
            sink.write(orjson.dumps(record) + b"\n")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--engine", default="local")
    parser.add_argument("--policy", default="annotate")
    parser.add_argument("--parts", type=int, default=8, help="files the corpora are split into for --engine ray")
    parser.add_argument("--repeat", type=int, default=1, help="runs per engine and corpus for --engine ray (fastest)")
    parser.add_argument("--compare-only", action="store_true", help="with --engine ray: skip the local-engine table")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="thresher-bench-") as tmp:
        root = Path(tmp)
        small, small_bytes = build_corpus(root / "corpus.jsonl", args.docs)
        large, large_bytes = build_corpus(root / "corpus2x.jsonl", 2 * args.docs)
        print(
            f"corpus: {small:,} docs, {small_bytes / 1e6:.1f} MB (2x: {large:,} docs, {large_bytes / 1e6:.1f} MB); "
            f"mean {small_bytes / small / 1e3:.1f} KB/doc; policy {args.policy}; table: local engine"
        )
        floor = io_floor(root / "corpus.jsonl", root / "floor.jsonl")
        floor_mbps = small_bytes / 1e6 / floor
        print(f"peer (I/O floor: orjson parse + write, 1 core): {small / floor:,.0f} docs/s, {floor_mbps:.1f} MB/s")

        sizes = ((small, small_bytes), (large, large_bytes))
        if not (args.compare_only and args.engine == "ray"):
            local_table(root, args.policy, sizes, floor_mbps)
        if args.engine == "ray":
            compare_ray(root, args.policy, args.parts, sizes, args.repeat)


def local_table(root: Path, policy: str, sizes: tuple[tuple[int, int], ...], floor_mbps: float) -> None:
    """The local engine at 1 and 2 workers, and at 2 workers on the 2x corpus."""
    (small, small_bytes), (large, large_bytes) = sizes
    rows = []
    for label, corpus, docs, size, workers in (
        ("1x corpus, 1 worker", "corpus.jsonl", small, small_bytes, 1),
        ("1x corpus, 2 workers", "corpus.jsonl", small, small_bytes, 2),
        ("2x corpus, 2 workers", "corpus2x.jsonl", large, large_bytes, 2),
    ):
        command = [
            sys.executable,
            "-m",
            "thresher.cli",
            "run",
            str(root / corpus),
            "-o",
            str(root / "out"),
            "--policy",
            policy,
            "--workers",
            str(workers),
            "--quiet",
        ]
        seconds, peak = run_measured(command)
        summary = orjson.loads((root / "out" / "summary.json").read_bytes())
        assert summary["read"] == docs, summary
        mbps = size / 1e6 / seconds
        rows.append((label, docs, seconds, docs / seconds, mbps, mbps / workers, peak / 2**20))

    print(f"{'run':24} {'docs':>8} {'seconds':>8} {'docs/s':>8} {'MB/s':>7} {'MB/s/core':>10} {'peak RSS MiB':>13}")
    for label, docs, seconds, dps, mbps, per_core, peak in rows:
        print(f"{label:24} {docs:>8,} {seconds:>8.2f} {dps:>8,.0f} {mbps:>7.2f} {per_core:>10.2f} {peak:>13.0f}")
    one, two, double = rows
    print(f"ratio to I/O floor per core (1 worker): {one[5] / floor_mbps:.3f}")
    print(f"scaling 1 -> 2 workers: {two[3] / one[3]:.2f}x")
    print(f"peak RSS 2x corpus / 1x corpus at 2 workers: {double[6] / two[6]:.2f} (1.0 = flat)")
    print("goal: >= 5 MB/s per core with every annotator on (whole-run wall time, process start included)")


def split_corpus(corpus: Path, folder: Path, parts: int) -> list[Path]:
    """The corpus's lines dealt into `parts` files, in order (file k holds a contiguous run)."""
    lines = corpus.read_bytes().splitlines(keepends=True)
    folder.mkdir()
    size = -(-len(lines) // parts)
    paths = []
    for part in range(parts):
        path = folder / f"part-{part:03d}.jsonl"
        path.write_bytes(b"".join(lines[part * size : (part + 1) * size]))
        paths.append(path)
    return paths


def compare_ray(root: Path, policy: str, parts: int, sizes: tuple[tuple[int, int], ...], repeat: int) -> None:
    """Local and Ray engines at 2 workers on the same split corpora; the overhead Ray adds.

    Runs alternate between the engines (local 1x, ray 1x, local 2x, ray 2x, and again for
    each repeat) so both see the same machine load; each figure is the fastest of `repeat`.
    """
    inputs = {
        "1x": split_corpus(root / "corpus.jsonl", root / "split1x", parts),
        "2x": split_corpus(root / "corpus2x.jsonl", root / "split2x", parts),
    }
    expected = {label: docs for label, (docs, _) in zip(inputs, sizes, strict=True)}
    timings: dict[tuple[str, str], float] = {}
    peaks: dict[tuple[str, str], int] = {}
    for _ in range(repeat):
        for label, paths in inputs.items():
            for engine in ("local", "ray"):
                out = root / f"out-{engine}-{label}"
                command = [
                    sys.executable,
                    "-m",
                    "thresher.cli",
                    "run",
                    *map(str, paths),
                    "-o",
                    str(out),
                    "--policy",
                    policy,
                    "--workers",
                    "2",
                    "--quiet",
                    "--no-report",
                    "--engine",
                    engine,
                ]
                seconds, peak = run_measured(command)
                summary = orjson.loads((out / "summary.json").read_bytes())
                assert summary["read"] == expected[label], summary
                timings[engine, label] = min(seconds, timings.get((engine, label), seconds))
                peaks[engine, label] = max(peak, peaks.get((engine, label), 0))

    print(
        f"\nengines at 2 workers, corpora split into {parts} files (Ray: one task per file, local Ray instance "
        f"started by the run); fastest of {repeat}"
    )
    print(f"{'engine':8} {'corpus':6} {'docs':>8} {'seconds':>8} {'docs/s':>8} {'MB/s':>7} {'peak RSS MiB':>13}")
    for engine in ("local", "ray"):
        for label, (docs, size) in zip(inputs, sizes, strict=True):
            seconds = timings[engine, label]
            print(
                f"{engine:8} {label:6} {docs:>8,} {seconds:>8.2f} {docs / seconds:>8,.0f} "
                f"{size / 1e6 / seconds:>7.2f} {peaks[engine, label] / 2**20:>13.0f}"
            )
    same = all(shard_bytes(root / f"out-local-{label}") == shard_bytes(root / f"out-ray-{label}") for label in inputs)
    extra_docs = sizes[1][0] - sizes[0][0]
    per_doc = {engine: (timings[engine, "2x"] - timings[engine, "1x"]) / extra_docs for engine in ("local", "ray")}
    overhead = per_doc["ray"] - per_doc["local"]
    fixed = (timings["ray", "1x"] - timings["local", "1x"]) - overhead * sizes[0][0]
    local_ms, ray_ms = per_doc["local"] * 1e3, per_doc["ray"] * 1e3
    print(f"output shards byte-identical between engines: {same}")
    print(f"time per document (from 1x -> 2x): local {local_ms:.3f} ms, ray {ray_ms:.3f} ms")
    print(f"overhead Ray adds: {overhead * 1e3:+.3f} ms per document, {fixed:+.1f} s per run (start-up)")


def shard_bytes(out: Path) -> dict[str, bytes]:
    """Every output shard of a run by relative path, for comparing engines."""
    return {
        f"{part}/{path.name}": path.read_bytes()
        for part in ("kept", "removed", "quarantine")
        if (out / part).exists()
        for path in sorted((out / part).iterdir())
    }


if __name__ == "__main__":
    main()
