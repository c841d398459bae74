"""CPU time of each annotator of a policy, run in order on one batch of real documents.

throughput.py measures the whole `thresher run`; this one says where that time goes. Each
annotator runs once over the same documents in registry order (so each sees the segments
that the earlier ones wrote), after a warm-up on five other documents that builds the
per-process tables and caches; times are this process's CPU seconds (time.process_time),
so load from other processes on the machine does not count.

    python benchmarks/annotators.py [--policy annotate] [--docs 600]
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
from thresher.document import Document
from thresher.pipeline import Pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policy", default="annotate")
    parser.add_argument("--docs", type=int, default=600)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="thresher-annotators-") as tmp:
        path = Path(tmp) / "corpus.jsonl"
        build_corpus(path, args.docs + 5)
        texts = [orjson.loads(line)["text"] for line in path.open("rb")]
    pipeline = Pipeline(policy=args.policy)
    warm = [Document(id=f"warm{i}", text=text) for i, text in enumerate(texts[:5])]
    for annotator in pipeline.annotators:
        annotator.annotate(warm)
    documents = [Document(id=str(i), text=text) for i, text in enumerate(texts[5:])]
    megabytes = sum(len(d.text.encode()) for d in documents) / 1e6
    print(f"{len(documents)} documents, {megabytes:.2f} MB, policy {args.policy}; CPU seconds of this process")
    total = 0.0
    for annotator in pipeline.annotators:
        started = time.process_time()
        annotator.annotate(documents)
        seconds = time.process_time() - started
        total += seconds
        print(f"  {annotator.name:28} {seconds:7.3f} s {megabytes / max(seconds, 1e-9):9.2f} MB/s")
    started = time.process_time()
    for document in documents:
        pipeline.policy.decide(document)
    seconds = time.process_time() - started
    total += seconds
    print(f"  {'policy':28} {seconds:7.3f} s")
    print(f"  {'total':28} {total:7.3f} s {megabytes / total:9.2f} MB/s  (goal: 5 MB/s per core)")


if __name__ == "__main__":
    main()
