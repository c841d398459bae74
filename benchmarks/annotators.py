"""CPU time of each annotator of a policy, run in order on one batch of real documents.

throughput.py measures the whole `thresher run`; this one says where that time goes. Each
annotator runs once over the same documents in registry order (so each sees the segments
that the earlier ones wrote), after a warm-up on five other documents that builds the
per-process tables and caches; times are this process's CPU seconds (time.process_time),
so load from other processes on the machine does not count.

    python benchmarks/annotators.py [--policy annotate] [--docs 600] [--input FILE]

`--input FILE` takes the documents from any JSONL(.gz) file instead (its first `--docs` + 5
records with a text, repeated in order if the file has fewer), e.g. the real Common Crawl
sample in ../shared/data/crawl/.

Before/after: `--baseline-src DIR` (another checkout's `src`, e.g. /work/main/src) runs this
script in fresh processes, alternately on that code and on this checkout's, `--rounds`
times, on the same corpus, and prints each annotator's MB/s on both and their median ratio.
`--fallback` compares this checkout with itself under THRESHER_NATIVE=0 (the pure-Python
path an install without a C compiler takes) as "before".
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# as `thresher run` does (cli.py): one BLAS thread per process; idle BLAS threads spinning
# after a large product would otherwise count as CPU time of whatever annotator runs next
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import build_corpus
from thresher.document import Document
from thresher.pipeline import Pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policy", default="annotate")
    parser.add_argument("--docs", type=int, default=600)
    parser.add_argument("--input", type=Path, help="a JSONL(.gz) file to take the documents from")
    parser.add_argument("--json", action="store_true", help="print one JSON object (used by --baseline-src)")
    parser.add_argument("--baseline-src", help="another checkout's src directory to compare with, same run")
    parser.add_argument("--rounds", type=int, default=3, help="fresh-process rounds per side with --baseline-src")
    parser.add_argument(
        "--fallback",
        action="store_true",
        help="compare this checkout with its own pure-Python fallback (THRESHER_NATIVE=0 as 'before')",
    )
    args = parser.parse_args()
    if args.baseline_src or args.fallback:
        compare(args)
        return
    if args.input:
        opener = gzip.open if args.input.suffix == ".gz" else open
        with opener(args.input, "rb") as handle:
            found = [r["text"] for r in map(orjson.loads, handle) if isinstance(r.get("text"), str)]
        texts = [found[i % len(found)] for i in range(args.docs + 5)]
    else:
        with tempfile.TemporaryDirectory(prefix="thresher-annotators-") as tmp:
            path = Path(tmp) / "corpus.jsonl"
            build_corpus(path, args.docs + 5)
            texts = [orjson.loads(line)["text"] for line in path.open("rb")]
    pipeline = Pipeline(policy=args.policy)
    warm = [Document(id=f"warm{i}", text=text) for i, text in enumerate(texts[:5])]
    for annotator in pipeline.annotators:
        annotator.annotate(warm)
    documents = [Document(id=str(i), text=text) for i, text in enumerate(texts[5:])]
    gc.disable()  # as Pipeline does while a batch is analysed (pipeline._cyclic_gc_paused)
    megabytes = sum(len(d.text.encode()) for d in documents) / 1e6
    if args.json:
        seconds_by = {}
        for annotator in pipeline.annotators:
            started = time.process_time()
            annotator.annotate(documents)
            seconds_by[annotator.name] = time.process_time() - started
        print(json.dumps({"megabytes": megabytes, "documents": len(documents), "seconds": seconds_by}))
        return
    print(f"{len(documents)} documents, {megabytes:.2f} MB, policy {args.policy}; CPU seconds of this process")
    seconds_by: dict[str, float] = {}
    for annotator in pipeline.annotators:
        started = time.process_time()
        annotator.annotate(documents)
        seconds_by[annotator.name] = time.process_time() - started
    started = time.process_time()
    for document in documents:
        pipeline.policy.decide(document)
    seconds_by["policy"] = time.process_time() - started
    total = sum(seconds_by.values())
    print(f"  {'step':28} {'CPU s':>7}   {'MB/s':>9}  {'share':>6}")
    for name, seconds in seconds_by.items():
        print(f"  {name:28} {seconds:7.3f} s {megabytes / max(seconds, 1e-9):9.2f}  {seconds / total:6.1%}")
    print(f"  {'total':28} {total:7.3f} s {megabytes / total:9.2f}  (goal: 5 MB/s per core)")


def compare(args: argparse.Namespace) -> None:
    """Before/after in the same run: alternate fresh processes on the baseline and on this code."""
    here = str(Path(__file__).resolve().parents[1] / "src")
    sides = {"before": str(Path(args.baseline_src or here).resolve()), "after": here}
    before_env = {"THRESHER_NATIVE": "0"} if args.fallback else {}
    times: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    megabytes = 0.0
    for _ in range(max(1, args.rounds)):
        for side, src in sides.items():
            env = dict(os.environ, PYTHONPATH=src, **(before_env if side == "before" else {}))
            command = [sys.executable, __file__, "--json", "--policy", args.policy, "--docs", str(args.docs)]
            if args.input:
                command += ["--input", str(args.input)]
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                sys.exit(f"{side} ({src}) failed:\n{done.stderr[-2000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            megabytes = result["megabytes"]
            times[side].append(result["seconds"])
    print(f"{args.docs} documents, {megabytes:.2f} MB, policy {args.policy}; CPU seconds, median of {args.rounds}")
    fallback_note = " with THRESHER_NATIVE=0 (the no-compiler fallback)" if args.fallback else ""
    print(f"before: {sides['before']}{fallback_note}")
    print(f"after:  {sides['after']}  (the machine may be shared: read the ratios)")
    print(f"  {'annotator':28} {'before MB/s':>12} {'after MB/s':>12} {'after/before':>13}")
    for name in times["after"][0]:
        if name not in times["before"][0]:
            print(f"  {name:28} {'-':>12} {megabytes / statistics.median(t[name] for t in times['after']):12.2f}")
            continue
        before = statistics.median(t[name] for t in times["before"])
        after = statistics.median(t[name] for t in times["after"])
        ratios = [b[name] / max(a[name], 1e-9) for b, a in zip(times["before"], times["after"], strict=True)]
        print(
            f"  {name:28} {megabytes / max(before, 1e-9):12.2f} {megabytes / max(after, 1e-9):12.2f} "
            f"{statistics.median(ratios):12.2f}x"
        )
    totals = {side: [sum(t.values()) for t in rounds] for side, rounds in times.items()}
    ratios = [b / max(a, 1e-9) for b, a in zip(totals["before"], totals["after"], strict=True)]
    print(
        f"  {'all annotators':28} {megabytes / statistics.median(totals['before']):12.2f} "
        f"{megabytes / statistics.median(totals['after']):12.2f} {statistics.median(ratios):12.2f}x"
    )


if __name__ == "__main__":
    main()
