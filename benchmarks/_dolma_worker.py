"""Runs dolma's C4 and Gopher rule taggers; executed by a *dolma* venv's python.

Usage (throughput.py does this): `/work/venvs/thru-dolma/bin/python _dolma_worker.py IN OUT`
where IN is JSONL of {"id", "text"} and OUT receives, per document, the number of spans
each tagger wrote; the last line of OUT is the timing record, as _datatrove_worker.py's.

dolma (PyPI `dolma`, 1.2.1 when written) pins numpy<2, s3fs and tokenizers<=0.19, so it
lives in its own venv, never the project's:

    python3 -m venv /work/venvs/thru-dolma
    /work/venvs/thru-dolma/bin/pip install dolma "s3fs==2023.6.0" "fsspec==2023.6.0" \\
        "aiobotocore==2.5.2" "botocore==1.29.161" "boto3==1.26.161" "numpy<2"

(the pins only spare pip a long backtrack over boto3/botocore versions; dolma itself asks
for `s3fs==2023.6.0`). Taggers: `c4_v2` (dolma's faster C4 tagger: the C4 line and
document rules as spans) and `gopher_v1` (Gopher's quality statistics and repetition
fractions). Each document goes through `predict` then `group_output`, which is what
`BaseTagger.tag` does for each row of dolma's tagging pipeline, minus the JSON decoding and
file writing. Times are this process's CPU seconds (`time.process_time`) of that loop.
"""

from __future__ import annotations

import json
import sys
import time

TAGGERS = ("c4_v2", "gopher_v1")


def main() -> None:
    source, target = sys.argv[1], sys.argv[2]
    from dolma.core.data_types import Document
    from dolma.core.registry import TaggerRegistry

    taggers = [(name, TaggerRegistry.get(name)()) for name in TAGGERS]
    with open(source, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    documents = [Document(source="bench", id=record["id"], text=record["text"]) for record in records]
    for _, tagger in taggers:  # warm-up outside the timed loop
        tagger.group_output(tagger.predict(Document(source="bench", id="w", text="Warm up. The taggers.")))

    per_tagger = {name: 0.0 for name, _ in taggers}
    spans: list[dict[str, int]] = [{} for _ in documents]
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    for name, tagger in taggers:
        started = time.process_time()
        for index, document in enumerate(documents):
            output = tagger.group_output(tagger.predict(document))
            spans[index][name] = sum(len(values) for values in output.values())
        per_tagger[name] = time.process_time() - started
    cpu, wall = time.process_time() - cpu_start, time.perf_counter() - wall_start

    with open(target, "w", encoding="utf-8") as out:
        for record, counts in zip(records, spans, strict=True):
            out.write(json.dumps({"id": record["id"], "spans": counts}) + "\n")
        timing = {"cpu_s": cpu, "wall_s": wall, "documents": len(records), "per_tagger_cpu_s": per_tagger}
        out.write(json.dumps({"timing": timing}) + "\n")


if __name__ == "__main__":
    main()
