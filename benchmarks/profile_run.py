"""Where a whole `thresher run` spends its time: cProfile, one worker, grouped by annotator.

benchmarks/annotators.py times each annotator alone over documents in memory; this profiles
the command a user runs (reading, every annotator, the policy, writing, the report) in this
process, with `--workers 1`, and prints each annotator's share of the run (the cumulative
time of its `annotate` method), the rest of the run by stage, and the functions with the
most own time. cProfile slows Python code more than C code, so read the shares against
annotators.py's CPU seconds; the ranking is what the profile is for.

    python benchmarks/profile_run.py ../shared/data/crawl/dolma_CC-MAIN-2019-30_697docs.jsonl.gz \\
        [--policy default] [--top 25] [--save run.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
from pathlib import Path

from thresher.cli import main as cli_main
from thresher.pipeline import Pipeline


def code_key(function: object) -> tuple[str, int, str]:
    code = function.__code__  # type: ignore[attr-defined]
    return code.co_filename, code.co_firstlineno, code.co_name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path)
    parser.add_argument("--policy", default="default")
    parser.add_argument("--top", type=int, default=25, help="functions listed by own time")
    parser.add_argument("--save", type=Path, help="write the raw profile here (for snakeviz, pstats)")
    args = parser.parse_args()

    annotators = Pipeline(policy=args.policy).annotators
    profile = cProfile.Profile()
    with tempfile.TemporaryDirectory(prefix="thresher-profile-") as out:
        command = [str(args.input), "-o", out, "--policy", args.policy, "--workers", "1", "--quiet"]
        profile.enable()
        try:
            cli_main(["run", *command])
        except SystemExit as exit_:
            if exit_.code not in (0, None):
                raise
        profile.disable()
    if args.save:
        profile.dump_stats(str(args.save))
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = sum(own for _, _, own, _, _ in stats.values())

    def cumulative(key: tuple[str, int, str]) -> float:
        return stats[key][3] if key in stats else 0.0

    print(f"thresher run {args.input.name} --policy {args.policy} --workers 1: {total:.2f} s under cProfile")
    print(f"  {'annotator':38} {'seconds':>8} {'share':>6}")
    annotated = 0.0
    for annotator in annotators:
        seconds = cumulative(code_key(type(annotator).annotate))
        annotated += seconds
        print(f"  {annotator.name:38} {seconds:8.3f} {100 * seconds / total:5.1f}%")
    from thresher import pipeline, policy, report, runner

    stages = {
        "all annotators": annotated,
        "policy decisions": cumulative(code_key(policy.Policy.decide)),
        "HTML report": cumulative(code_key(report.write_report)),
        "whole run (runner.run)": cumulative(code_key(runner.run)),
        "analysis (Pipeline.analyze_documents)": cumulative(code_key(pipeline.Pipeline.analyze_documents)),
    }
    for label, seconds in stages.items():
        print(f"  {label:38} {seconds:8.3f} {100 * seconds / total:5.1f}%")
    print(f"  top {args.top} functions by own time:")
    rows = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[: args.top]
    for (filename, line, name), (_, calls, own, cum, _) in rows:
        where = filename.split("/src/")[-1].split("site-packages/")[-1]
        print(f"  {own:7.3f} {100 * own / total:5.1f}% cum {cum:7.3f} {calls:>9} {where}:{line} {name}")


if __name__ == "__main__":
    main()
