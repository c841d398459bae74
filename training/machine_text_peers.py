"""Score rows with the two PyPI peers, `llm-detector` 0.2.0 and `lmscan` 0.6.1.

Run by `training/machine_text.py` in the peers' own environment (never a Thresher
dependency):

    python -m venv /work/venvs/mach-peer
    /work/venvs/mach-peer/bin/pip install llm-detector==0.2.0 lmscan==0.6.1
    /work/venvs/mach-peer/bin/python training/machine_text_peers.py ROWS.jsonl OUT.jsonl

ROWS holds `{"id", "text"}` per line; OUT gets `{"id", "key", "llm_detector", "lmscan", ...seconds}`,
each the peer's own probability that the text is machine-written, as a new user would call
it (`llm_detector.classify_text`, `lmscan.scan`). Rows already in OUT are skipped, so an
interrupted run resumes; `key` (id and a hash of the text) keeps a score from being reused
for a row whose text the data preparation has since changed.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path


def row_key(row_id: str, text: str) -> str:
    return row_id + "|" + hashlib.sha1(text.encode()).hexdigest()[:12]


def main() -> None:
    rows_path, out_path = Path(sys.argv[1]), Path(sys.argv[2])
    import lmscan
    from llm_detector import classify_text

    done = set()
    if out_path.exists():
        done = {json.loads(line).get("key") for line in out_path.open()}
    with out_path.open("a") as out:
        for line in rows_path.open():
            row = json.loads(line)
            key = row_key(row["id"], row["text"])
            if key in done:
                continue
            started = time.process_time()
            result = classify_text(row["text"])
            p_llm = float(result.p_llm if hasattr(result, "p_llm") else result["p_llm"])
            middle = time.process_time()
            scan = lmscan.scan(row["text"])
            ended = time.process_time()
            record = {
                "id": row["id"],
                "key": key,
                "llm_detector": p_llm,
                "lmscan": float(scan.ai_probability),
                "llm_detector_s": middle - started,
                "lmscan_s": ended - middle,
                "chars": len(row["text"]),
            }
            out.write(json.dumps(record) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
