"""Run a command and measure it: wall seconds and peak RSS of its whole process tree."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil


def run_measured(command: list[str], check: bool = True) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) summed over the process and its children."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    parent = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            tree = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    if check and process.returncode != 0:
        stderr = process.stderr.read().decode() if process.stderr else ""
        sys.exit(f"command failed ({process.returncode}): {' '.join(command)}\n{stderr}")
    return seconds, peak


def run_measured_tree(command: list[str], poll_seconds: float = 0.02, list_every: int = 5) -> dict[str, float]:
    """Wall seconds, CPU seconds and peak RSS of a command's process tree, and of its largest process.

    On a shared machine wall time measures the load as much as the program, so CPU time
    (user + system) is the figure to compare: each process's own CPU time as last seen by
    the poller (children's times are not added, so a pool's workers, reaped by a fork
    server, are counted once), summed over the tree; each process may run up to one poll
    interval more than counted. `peak_worker` is the largest peak RSS any single process of
    the tree reached: with workers it is the heaviest worker (or the parent), the figure a
    per-worker memory budget is about; `peak_tree` is the peak of the summed RSS.
    """
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    parent = psutil.Process(process.pid)
    tree = [parent]
    cpu: dict[int, float] = {}
    peak_by: dict[int, int] = {}
    peak_tree = 0
    polls = 0
    while process.poll() is None:
        polls += 1
        try:
            if polls % list_every == 1:
                tree = [parent, *parent.children(recursive=True)]
            total = 0
            for member in tree:
                try:
                    with member.oneshot():
                        rss = member.memory_info().rss
                        times = member.cpu_times()
                except psutil.Error:
                    continue
                total += rss
                peak_by[member.pid] = max(peak_by.get(member.pid, 0), rss)
                cpu[member.pid] = max(cpu.get(member.pid, 0.0), times.user + times.system)
            peak_tree = max(peak_tree, total)
        except psutil.Error:
            pass
        time.sleep(poll_seconds)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        stderr = process.stderr.read().decode() if process.stderr else ""
        sys.exit(f"command failed ({process.returncode}): {' '.join(command)}\n{stderr}")
    return {
        "wall": seconds,
        "cpu": sum(cpu.values()),
        "peak_tree": float(peak_tree),
        "peak_worker": float(max(peak_by.values(), default=0)),
        "processes": float(len(peak_by)),
    }
