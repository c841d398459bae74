"""atheris harness: random bytes as every input format through readers and the pipeline.

Run: python tests/fuzz/fuzz_pipeline.py -runs=5000   (libFuzzer flags apply)
The property checked on every input: no exception escapes, and the run accounts for
every unit it read (read == kept + trimmed + removed + quarantined).
"""

from __future__ import annotations

import gzip
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from thresher.engines.batch import Job, process_batch
    from thresher.readers import discover_sources

SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".txt", ".html", ".warc.gz", ".wet", ".parquet")
JOB = Job(policy="default")
WORKDIR = Path(tempfile.mkdtemp(prefix="thresher-fuzz-"))


def one_input(data: bytes) -> None:
    if not data:
        return
    suffix = SUFFIXES[data[0] % len(SUFFIXES)]
    payload = data[1:]
    if suffix.endswith(".gz") and data[0] & 0x80:
        payload = gzip.compress(payload)
    path = WORKDIR / f"input{suffix}"
    path.write_bytes(payload)
    sources, _ = discover_sources([path])
    read = accounted = 0
    for source in sources:
        for batch in source.batches(16, 1 << 20):
            result = process_batch(batch, JOB)
            tally = result.tally
            read += tally.read
            accounted += tally.kept + tally.trimmed + tally.removed + tally.quarantined
    if read != accounted:
        raise AssertionError(f"accounting broke for {suffix}: read {read} != {accounted}")


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
