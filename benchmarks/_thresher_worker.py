"""Thresher's analysis loop alone, timed like the peers' workers (_datatrove_worker.py, _dolma_worker.py).

Usage (throughput.py does this): `python _thresher_worker.py IN OUT POLICY` where IN is JSONL
of {"id", "text"}. The pipeline is built and warmed up (models loaded) outside the timed
loop; the loop is `Pipeline.analyze_documents` over batches of 256 documents already in
memory, every annotator and the policy, as the policy ships (short_circuit as its file
says). The last line of OUT is the timing record, in the peers' format, so the figures
compare like for like: no process start, no reading or writing on either side.
"""

from __future__ import annotations

import json
import sys
import time

BATCH = 256


def main() -> None:
    source, target, policy = sys.argv[1], sys.argv[2], sys.argv[3]
    from thresher.document import Document
    from thresher.pipeline import Pipeline

    with open(source, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    pipeline = Pipeline(policy=policy)
    pipeline.analyze_documents([Document(id=f"w{i}", text=r["text"]) for i, r in enumerate(records[:5])])
    documents = [Document(id=record["id"], text=record["text"]) for record in records]
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    for index in range(0, len(documents), BATCH):
        pipeline.analyze_documents(documents[index : index + BATCH])
    cpu, wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
    with open(target, "w", encoding="utf-8") as out:
        for document in documents:
            out.write(json.dumps({"id": document.id, "decision": document.analysis.decision.value}) + "\n")
        out.write(json.dumps({"timing": {"cpu_s": cpu, "wall_s": wall, "documents": len(documents)}}) + "\n")


if __name__ == "__main__":
    main()
