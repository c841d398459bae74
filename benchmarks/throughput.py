"""Throughput and memory of `thresher run --policy annotate`, the cost of every annotator.

Prints docs/s, MB/s per core and the peak RSS of the whole process tree (main process
plus workers) and of its largest process (the per-worker figure) at 1 and 2 workers, and
at 2 workers on a corpus twice as large (memory must not grow with the corpus). MB/s per
core is given two ways: from wall time (what a user waits; on a shared machine it mostly
measures the load) and from CPU time (user + system of every process of the tree: the
figure to compare on a shared machine). Each figure is the median of `--rounds` runs,
taken round by round with the peers' so all see the same load.

The corpus is `benchmarks/_corpus.py`'s (real text from ../shared, `--docs` records), or
with `--input FILE` any JSONL file (gzip or not; e.g. the real Common Crawl sample in
../shared/data/crawl/), its records repeated in order, with fresh ids, to `--target-mb`.

Peers, measured in the same run on the same documents:
- the I/O floor: parse every JSONL record and write it back with orjson, no analysis;
- datatrove 0.10.1's FineWeb filter stack (benchmarks/_datatrove_worker.py, in its own
  venv: see benchmarks/parity_fineweb.py; `--datatrove-python`);
- dolma's C4 and Gopher rule taggers (benchmarks/_dolma_worker.py, in its own venv with
  `pip install dolma`; `--dolma-python`).
- Thresher's own analysis loop (benchmarks/_thresher_worker.py), timed as the peers are.
The peers' figures are the CPU time of their filtering loop alone (documents already in
memory, models loaded); compare them with Thresher's loop, not with the whole command
(process start, reading, writing, report). A peer that cannot run is reported with the reason.

With `--input`, the loops also run on the file's records once, unrepeated: repeating a
record repeats its lines and words, which Thresher's per-process line and word caches
(C4 lines, word splitting) then answer, so the repeated corpus flatters Thresher (on the
697-document crawl sample, the loop ran ~1.4x faster on records seen before); the peers
keep no such caches.

With `--engine ray` the table above is still the local engine's (the baseline), and both
engines then run at 2 workers on the same corpora split into `--parts` files (the Ray
engine runs one task per input file, so one file would use one core). The overhead Ray
adds is split into a fixed cost per run (starting Ray and its workers) and a cost per
document, from the difference between the 1x and 2x corpora: per-document time =
(T(2x) - T(1x)) / (docs(2x) - docs(1x)) for each engine, overhead = Ray's - local's.

    python benchmarks/throughput.py [--docs 20000] [--engine local|ray] [--parts 8] [--repeat 1]
    python benchmarks/throughput.py --input ../shared/data/crawl/dolma_CC-MAIN-2019-30_697docs.jsonl.gz \
        --target-mb 12 --policy default [--rounds 2]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import build_corpus
from _measure import run_measured, run_measured_tree

BENCHMARKS = Path(__file__).resolve().parent
VENVS = Path("/work/venvs")
DATATROVE_PYTHONS = (VENVS / "bench" / "bin" / "python", VENVS / "thru-datatrove" / "bin" / "python")
DATATROVE_WORKER = "_datatrove_worker.py"
DOLMA_WORKER = "_dolma_worker.py"
DOLMA_PYTHONS = (VENVS / "thru-dolma" / "bin" / "python",)


def io_floor(corpus: Path, out: Path) -> dict[str, float]:
    """The floor any tool pays: parse each record, add a field, write it back (wall and CPU seconds)."""
    cpu, started = time.process_time(), time.perf_counter()
    with corpus.open("rb") as source, out.open("wb") as sink:
        for line in source:
            record = orjson.loads(line)
            record["thresher"] = {"decision": "keep"}
            sink.write(orjson.dumps(record) + b"\n")
    return {"wall": time.perf_counter() - started, "cpu": time.process_time() - cpu}


def read_records(path: Path) -> list[dict]:
    """Every record of a JSONL file, gzip or not, that has a string `text`."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        records = [orjson.loads(line) for line in handle if line.strip()]
    return [r for r in records if isinstance(r.get("text"), str)]


def repeat_records(records: list[dict], path: Path, target_bytes: int) -> tuple[int, int]:
    """Write `records` in order, again and again with fresh ids, until the text reaches `target_bytes`."""
    documents = text_bytes = 0
    with path.open("wb") as out:
        while text_bytes < target_bytes:
            for record in records:
                copy = dict(record)
                copy["id"] = f"{record.get('id', documents)}#r{documents}"
                out.write(orjson.dumps(copy) + b"\n")
                documents += 1
                text_bytes += len(record["text"].encode("utf-8"))
                if text_bytes >= target_bytes:
                    break
    return documents, text_bytes


def text_size(corpus: Path) -> tuple[int, int]:
    """Documents and UTF-8 bytes of text (the MB every figure is per) of a JSONL corpus."""
    documents = size = 0
    with corpus.open("rb") as handle:
        for line in handle:
            documents += 1
            size += len(orjson.loads(line)["text"].encode("utf-8"))
    return documents, size


def write_texts(corpus: Path, out: Path) -> None:
    """The corpus as {"id", "text"} records, what the peers' workers read."""
    with corpus.open("rb") as source, out.open("w", encoding="utf-8") as sink:
        for line in source:
            record = orjson.loads(line)
            sink.write(json.dumps({"id": str(record["id"]), "text": record["text"]}, ensure_ascii=False) + "\n")


def find_python(given: str | None, candidates: tuple[Path, ...]) -> Path | None:
    if given:
        return Path(given)
    return next((path for path in candidates if path.exists()), None)


def run_peer(
    python: Path | None, worker: str, texts: Path, out: Path, what: str, extra: tuple[str, ...] = ()
) -> tuple[dict | None, str]:
    """A peer's worker in its own venv: its timing record, or None and why it could not run."""
    if python is None or not python.exists():
        return None, f"{what}: no venv python found ({python or 'none given'}); see this script's docstring"
    command = [str(python), str(BENCHMARKS / worker), str(texts), str(out), *extra]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return None, f"{what}: worker failed ({done.returncode}): {' | '.join(tail)}"
    lines = out.read_text(encoding="utf-8").splitlines()
    return json.loads(lines[-1])["timing"], ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--input", type=Path, help="a JSONL(.gz) file whose records are repeated to --target-mb")
    parser.add_argument("--target-mb", type=float, default=12.0, help="MB of text the --input corpus is grown to")
    parser.add_argument("--engine", default="local")
    parser.add_argument("--policy", default="annotate")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds of every measurement (median)")
    parser.add_argument("--no-2x", action="store_true", help="skip the 2x corpus (memory growth) row")
    parser.add_argument("--datatrove-python", help="python of a venv with datatrove[processing]==0.10.1 and spacy")
    parser.add_argument("--dolma-python", help="python of a venv with the dolma package")
    parser.add_argument("--no-peers", action="store_true", help="only the I/O floor as peer")
    parser.add_argument("--parts", type=int, default=8, help="files the corpora are split into for --engine ray")
    parser.add_argument("--repeat", type=int, default=1, help="runs per engine and corpus for --engine ray (fastest)")
    parser.add_argument("--compare-only", action="store_true", help="with --engine ray: skip the local-engine table")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="thresher-bench-") as tmp:
        root = Path(tmp)
        if args.input:
            records = read_records(args.input)
            target = int(args.target_mb * 1e6)
            repeat_records(records, root / "corpus.jsonl", target)
            if not args.no_2x or args.engine == "ray":
                repeat_records(records, root / "corpus2x.jsonl", 2 * target)
            source = f"{args.input.name} ({len(records):,} records, repeated)"
        else:
            build_corpus(root / "corpus.jsonl", args.docs)
            if not args.no_2x or args.engine == "ray":
                build_corpus(root / "corpus2x.jsonl", 2 * args.docs)
            source = "benchmarks/_corpus.py"
        small, small_bytes = text_size(root / "corpus.jsonl")
        large, large_bytes = text_size(root / "corpus2x.jsonl") if (root / "corpus2x.jsonl").exists() else (0, 0)
        file_mb = (root / "corpus.jsonl").stat().st_size / 1e6
        print(
            f"corpus: {source}: {small:,} docs, {small_bytes / 1e6:.1f} MB of text ({file_mb:.1f} MB JSONL"
            f"{f'; 2x: {large:,} docs, {large_bytes / 1e6:.1f} MB' if large else ''}); "
            f"mean {small_bytes / small / 1e3:.1f} KB/doc; "
            f"policy {args.policy}; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start"
        )
        sizes = ((small, small_bytes), (large, large_bytes))
        if not (args.compare_only and args.engine == "ray"):
            local_table(root, args, sizes)
        if args.engine == "ray":
            compare_ray(root, args.policy, args.parts, sizes, args.repeat)


def thresher_command(root: Path, corpus: str, policy: str, workers: int) -> list[str]:
    return [
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


def local_table(root: Path, args: argparse.Namespace, sizes: tuple[tuple[int, int], ...]) -> None:
    """The local engine at 1 and 2 workers (and at 2 on the 2x corpus), beside the peers, `rounds` times."""
    (small, small_bytes), (large, large_bytes) = sizes
    runs = [("1x corpus, 1 worker", "corpus.jsonl", small, small_bytes, 1)]
    runs.append(("1x corpus, 2 workers", "corpus.jsonl", small, small_bytes, 2))
    if not args.no_2x:
        runs.append(("2x corpus, 2 workers", "corpus2x.jsonl", large, large_bytes, 2))
    # Peers run on the corpus as measured above and, with --input, on the file's records once:
    # repeating a record repeats its lines and words, which the per-process line and word
    # caches then answer; real crawl repeats boilerplate, not whole pages.
    write_texts(root / "corpus.jsonl", root / "texts.jsonl")
    peer_corpora = {"same corpus": (root / "texts.jsonl", small, small_bytes)}
    if args.input:
        unique = root / "unique.jsonl"
        with unique.open("wb") as out:
            for record in read_records(args.input):
                out.write(orjson.dumps({"id": str(record.get("id")), "text": record["text"]}) + b"\n")
        docs, size = text_size(unique)
        peer_corpora[f"{args.input.name} once"] = (unique, docs, size)
    loop_label = f"thresher {args.policy}, loop only"
    peers: list[tuple[str, Path | None, str, tuple[str, ...]]] = [
        (loop_label, Path(sys.executable), "_thresher_worker.py", (args.policy,))
    ]
    if not args.no_peers:
        peers.append(
            ("datatrove FineWeb filters", find_python(args.datatrove_python, DATATROVE_PYTHONS), DATATROVE_WORKER, ())
        )
        peers.append(("dolma C4 + Gopher taggers", find_python(args.dolma_python, DOLMA_PYTHONS), DOLMA_WORKER, ()))
    measured: dict[str, list[dict[str, float]]] = {}
    failed: dict[str, str] = {}
    for _ in range(args.rounds):
        measured.setdefault("I/O floor", []).append(io_floor(root / "corpus.jsonl", root / "floor.jsonl"))
        for label, corpus, docs, _, workers in runs:
            result = run_measured_tree(thresher_command(root, corpus, args.policy, workers))
            summary = orjson.loads((root / "out" / "summary.json").read_bytes())
            assert summary["read"] == docs, summary
            measured.setdefault(label, []).append(result)
        for corpus_label, (texts, docs, _) in peer_corpora.items():
            for label, python, worker, extra in peers:
                if label in failed:
                    continue
                timing, why = run_peer(python, worker, texts, root / "peer.jsonl", label, extra)
                if timing is None:
                    failed[label] = why
                    continue
                assert timing["documents"] == docs, timing
                measured.setdefault(f"{corpus_label}: {label}", []).append(
                    {"wall": timing["wall_s"], "cpu": timing["cpu_s"]}
                )

    def median(label: str, key: str) -> float:
        return statistics.median(run[key] for run in measured[label])

    header = f"{'run':26} {'docs':>7} {'wall s':>7} {'CPU s':>7} {'MB/s/core wall':>15} {'MB/s/core CPU':>14}"
    print(f"{header} {'peak RSS MiB/worker':>20} {'tree':>6}")
    rows = {}
    for label, _, docs, size, workers in runs:
        wall, cpu = median(label, "wall"), median(label, "cpu")
        worker_peak = max(run["peak_worker"] for run in measured[label]) / 2**20
        tree_peak = max(run["peak_tree"] for run in measured[label]) / 2**20
        rows[label] = (docs, size, workers, wall, cpu, tree_peak)
        print(
            f"{label:26} {docs:>7,} {wall:>7.2f} {cpu:>7.2f} {size / 1e6 / wall / workers:>15.2f} "
            f"{size / 1e6 / cpu:>14.2f} {worker_peak:>20.0f} {tree_peak:>6.0f}"
        )
    ours_cpu = small_bytes / 1e6 / rows["1x corpus, 1 worker"][4]
    floor_mbps = small_bytes / 1e6 / median("I/O floor", "cpu")
    print(
        f"I/O floor (orjson parse + write, same corpus, one core): {floor_mbps:.1f} MB/s; "
        f"thresher 1 worker, whole run / floor: {ours_cpu / floor_mbps:.4f}"
    )
    print(
        "peers, same documents, same run: CPU of the analysis loop only (documents in memory, models loaded, one core)"
    )
    for corpus_label, (_, docs, size) in peer_corpora.items():
        key = f"{corpus_label}: {loop_label}"
        loop_mbps = size / 1e6 / median(key, "cpu")
        print(f"  {corpus_label}: {docs:,} docs, {size / 1e6:.2f} MB of text")
        print(f"    {'':30} {'CPU s':>8} {'MB/s/core':>10} {'thresher loop / peer':>21}")
        for label, _, _, _ in peers:
            if label in failed:
                print(f"    {label:30} not measured: {failed[label]}")
                continue
            cpu = median(f"{corpus_label}: {label}", "cpu")
            mbps = size / 1e6 / cpu
            print(f"    {label:30} {cpu:>8.3f} {mbps:>10.2f} {loop_mbps / mbps:>20.3f}x")
    one, two = rows["1x corpus, 1 worker"], rows["1x corpus, 2 workers"]
    print(
        f"scaling 1 -> 2 workers: {one[3] / two[3]:.2f}x by wall time (shared machine: load-dependent); "
        f"CPU per document 2 workers / 1 worker: {two[4] / one[4]:.2f} (1.00 = parallel runs add no work)"
    )
    if not args.no_2x:
        double = rows["2x corpus, 2 workers"]
        print(f"peak RSS 2x corpus / 1x corpus at 2 workers: {double[5] / two[5]:.2f} (1.0 = flat)")
    print(
        f"median of {args.rounds} interleaved round(s); load {os.getloadavg()[0]:.1f} at the end; "
        "goal: >= 5 MB/s per core with every annotator on (whole run, process start included)"
    )


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
