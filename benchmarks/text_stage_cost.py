"""What PII counting, Unicode repair and redaction cost a whole run of the default policy.

    python benchmarks/text_stage_cost.py [--rounds 3]

Runs the Pipeline over the real documents of ../shared/data (crawl + article bodies) with
the default policy's rules and (a) every annotator but `pii`, (b) the default as shipped
(with `pii`), (c) the default plus `[text] fix_unicode = true` and `[redact]`. Rounds are
interleaved and the median is printed. Then the `pii` annotator and the text stage are
timed alone on the same documents, segmented: on a busy, shared machine the whole-run
differences are within noise, and these are the figures to trust.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
import tomllib
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from pii import real_documents
from thresher.annotators import REGISTRY
from thresher.document import Document
from thresher.pii.annotator import PiiSignals
from thresher.pii.redact import RedactSettings
from thresher.pipeline import Pipeline
from thresher.policy import parse_policy
from thresher.segments.lines import LineSegmenter
from thresher.segments.segmenter import TextSegmenter
from thresher.text.stage import TextSettings, TextStage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    default = tomllib.loads((resources.files("thresher") / "policies" / "default.toml").read_text(encoding="utf-8"))
    variants = {
        "default without pii": parse_policy(dict(default, annotators=[n for n in REGISTRY if n != "pii"])),
        "default (with pii)": parse_policy(default),
        "default + fix_unicode + redact": parse_policy(dict(default, text={"fix_unicode": True}, redact={})),
    }
    pipelines = {name: Pipeline(policy) for name, policy in variants.items()}
    documents = real_documents()
    megabytes = sum(len(text.encode()) for _, text in documents) / 1e6
    for pipeline in pipelines.values():  # warm: models load once
        pipeline.analyze_documents([Document(id="w", text=documents[0][1])])
    times: dict[str, list[float]] = {name: [] for name in pipelines}
    for _ in range(args.rounds):
        for name, pipeline in pipelines.items():
            batch = [Document(id=key, text=text) for key, text in documents]
            started = time.perf_counter()
            for index in range(0, len(batch), 256):
                pipeline.analyze_documents(batch[index : index + 256])
            times[name].append(time.perf_counter() - started)
    base = statistics.median(times["default without pii"])
    segmented = [Document(id=key, text=text) for key, text in documents]
    TextSegmenter().annotate(segmented)
    LineSegmenter().annotate(segmented)
    alone = {}
    for name, step in (
        ("pii annotator", PiiSignals()),
        ("text stage (repair + redact)", TextStage(TextSettings(True), RedactSettings())),
    ):
        copies = [Document(id=d.id, text=d.text, analysis=copy.deepcopy(d.analysis)) for d in segmented]
        started = time.perf_counter()
        step.annotate(copies)
        alone[name] = time.perf_counter() - started
    print(f"{len(documents)} documents, {megabytes:.2f} MB, median of {args.rounds} interleaved rounds, one core")
    for name, seconds in times.items():
        median = statistics.median(seconds)
        print(f"{name:32} {median:6.2f} s  {megabytes / median:5.2f} MB/s  x{median / base:.3f} of the first")
    for name, seconds in alone.items():
        print(f"{name:32} {seconds:6.2f} s alone: {100 * seconds / base:.1f}% of the first run's time")


if __name__ == "__main__":
    main()
