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
