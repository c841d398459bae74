"""Start-up cost: `thresher run` on a one-record file, and `import thresher`, against an older revision.

A user who runs Thresher per file, in a test or in a shell loop pays the start-up on every
call, so this prints the wall time, the CPU time and the peak RSS of the whole process tree
(main process plus any workers) of:

- `import thresher`;
- `thresher run ONE.jsonl -o OUT --quiet --no-report` (default policy, default workers);
- the same with the HTML report (what a bare `thresher run` does).

ONE.jsonl is the first record of the demo corpus shipped in the package (one news page,
4 KB). With `--baseline REV` (repeatable) the same commands also run on the `src/` of that
git revision (exported to a temporary folder, with this tree's compiled `_native` module
copied in), interleaved with this tree's, round by round, so all see the same machine
load; the figures are medians over `--rounds`, with the range of the wall times. Wall time
is what a user waits; on a shared machine it mostly measures the load, and CPU time is the
steadier comparison. Bytecode is cached as an installed package's is (`PYTHONPYCACHEPREFIX`
in a temporary folder, after one warm-up call per tree), unless `--no-bytecode` asks for
every call to compile from source (`PYTHONDONTWRITEBYTECODE=1`).

    python benchmarks/startup.py [--baseline 753f4fc [--baseline main]] [--rounds 7] [--no-bytecode]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]


# The poller shares the machine with the command, so it is kept cheap: listing a process's
# descendants reads every entry of /proc, and doing it every 5 ms took ~0.09 s of CPU per
# one-second command and added ~0.3 s to its wall time on the loaded 2-core machine. The
# known tree's RSS is read every `POLL_SECONDS` and the tree listed every `TREE_EVERY` polls
# (a pool's workers live far longer than that).
POLL_SECONDS = 0.01
TREE_EVERY = 10


def measure(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (bytes) of the process tree (RSS summed, polled every 10 ms).

    CPU time (user + system) is what the machine's load changes least, so it is the steadier
    figure on a shared machine: the command's own, exactly (its rusage once reaped), plus each
    other process of the tree as last seen (a pool's server and workers are not the command's
    children to reap; they may run up to one poll interval more than counted).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    parent = psutil.Process(process.pid)
    peak = 0
    others: dict[int, float] = {}
    tree = [parent]
    polls = 0
    while process.poll() is None:
        polls += 1
        try:
            if polls % TREE_EVERY == 1:
                tree = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            for child in tree[1:]:
                times = child.cpu_times()
                others[child.pid] = max(others.get(child.pid, 0.0), times.user + times.system)
        except psutil.Error:
            pass
        time.sleep(POLL_SECONDS)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime + sum(others.values())
    if process.returncode != 0:
        stderr = process.stderr.read().decode() if process.stderr else ""
        sys.exit(f"command failed ({process.returncode}): {' '.join(command)}\n{stderr}")
    return seconds, cpu, peak


def export_revision(revision: str, into: Path) -> Path:
    """`src/` of a git revision in `into`, with this tree's compiled kernel (git ignores it)."""
    archive = into / "src.tar"
    with archive.open("wb") as handle:
        subprocess.run(["git", "-C", str(REPO), "archive", revision, "src"], stdout=handle, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    for native in (REPO / "src" / "thresher").glob("_native*.so"):
        shutil.copy2(native, into / "src" / "thresher" / native.name)
    return into / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--baseline", action="append", default=[], help="git revision to compare with (e.g. main, 753f4fc); repeatable"
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--no-bytecode", action="store_true", help="compile every module from source each call")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="thresher-startup-") as scratch:
        work = Path(scratch)
        trees = {"this tree": REPO / "src"}
        for number, revision in enumerate(args.baseline):
            (work / f"baseline{number}").mkdir()
            trees[f"baseline {revision}"] = export_revision(revision, work / f"baseline{number}")
        one = work / "one.jsonl"
        with (REPO / "src" / "thresher" / "demo" / "corpus.jsonl").open("rb") as corpus:
            one.write_bytes(corpus.readline())

        def environment(name: str, src: Path) -> dict[str, str]:
            env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
            env["PYTHONPATH"] = str(src)
            if args.no_bytecode:
                env["PYTHONDONTWRITEBYTECODE"] = "1"
            else:
                env["PYTHONPYCACHEPREFIX"] = str(work / f"pycache-{len(name)}-{abs(hash(name))}")
            return env

        run = [sys.executable, "-m", "thresher.cli", "run", str(one), "-o", "OUT", "--quiet"]
        commands = {
            "import thresher": [sys.executable, "-c", "import thresher"],
            "run, no report": [*run, "--no-report"],
            "run with report": run,
        }
        envs = {name: environment(name, src) for name, src in trees.items()}
        for name in trees:  # warm-up: bytecode written, files in the page cache
            (work / name).mkdir()
            for command in commands.values():
                measure(command, envs[name], work / name)
        results: dict[tuple[str, str], list[tuple[float, float, int]]] = {}
        for _ in range(args.rounds):
            for label, command in commands.items():
                for name in trees:
                    results.setdefault((label, name), []).append(measure(command, envs[name], work / name))

    print(f"{'command':16} {'tree':22} {'wall s':>7} {'min..max':>13} {'CPU s':>6} {'peak RSS MB':>12}")
    for label in commands:
        for name in trees:
            runs = results[(label, name)]
            walls = [wall for wall, _, _ in runs]
            cpu = statistics.median(seconds for _, seconds, _ in runs)
            rss = statistics.median(peak for _, _, peak in runs) / 2**20
            print(
                f"{label:16} {name:22} {statistics.median(walls):7.3f} "
                f"{min(walls):6.3f}..{max(walls):6.3f} {cpu:6.3f} {rss:12.0f}"
            )
        now = results[(label, "this tree")]
        for revision in args.baseline:
            base = results[(label, f"baseline {revision}")]
            ratio = [statistics.median(r[i] for r in base) / statistics.median(r[i] for r in now) for i in range(3)]
            name = f"{revision[:9]} / this tree"
            print(f"{'':16} {name:22} {ratio[0]:6.2f}x {'':13} {ratio[1]:5.2f}x {ratio[2]:11.2f}x")
    print(
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end; "
        f"bytecode {'not cached' if args.no_bytecode else 'cached'}; {args.rounds} rounds, interleaved"
    )


if __name__ == "__main__":
    main()
