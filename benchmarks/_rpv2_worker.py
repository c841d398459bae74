"""Runs RedPajama-v2's own signal code on documents; called by parity_rpv2.py in RPv2's venv.

    <rpv2 venv python> benchmarks/_rpv2_worker.py RPV2_SRC LDNOOBW_DIR IN.jsonl OUT.jsonl

RPV2_SRC is RedPajama-Data's `app/src` (../shared/ref/redpajama-v2/app/src); LDNOOBW_DIR holds
`<lang>.txt` lists. Each input line is {"id", "text", "language"}; each output line is
{"id", "signals": {name: [[start, end, value], ...]}}. The last stdout line is a JSON object
with the CPU seconds (time.process_time) spent building RPv2's Document and running the
signal functions, nothing else: the same work RPv2's worker does per record (with
`precompute_ngrams=True`, as it runs), less the hash features only its importance weights read.
Nothing of Thresher is imported here.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    rpv2_src, ldnoobw_dir, in_path, out_path = sys.argv[1:5]
    sys.path.insert(0, rpv2_src)
    from core.document import Document
    from core.quality_signals.content import (
        RPS_Doc_Curly_Bracket,
        RPS_Doc_LDNOOBW_Words,
        RPS_Doc_Lorem_Ipsum,
        RPS_Doc_Stop_Word_Fraction,
    )
    from core.quality_signals.lines import register_lines_callables
    from core.quality_signals.natural_language import register_natural_language_callables
    from core.quality_signals.repetitions import register_repetitions_callables

    shared = register_repetitions_callables() + register_natural_language_callables() + register_lines_callables()
    by_language: dict[str, list] = {}

    def callables(language: str) -> list:
        # RPS_Doc_UT1_Blacklist is left out: it needs UT1's domain index, which is not here.
        if language not in by_language:
            by_language[language] = [
                RPS_Doc_Curly_Bracket(),
                RPS_Doc_Lorem_Ipsum(),
                RPS_Doc_LDNOOBW_Words(bad_words_dir=ldnoobw_dir, language=language),
                RPS_Doc_Stop_Word_Fraction(language=language),
                *shared,
            ]
        return by_language[language]

    records = [json.loads(line) for line in open(in_path, encoding="utf-8")]
    for language in {record["language"] for record in records}:
        callables(language)
    results = []
    cpu = 0.0
    for record in records:
        functions = callables(record["language"])
        started = time.process_time()
        document = Document(record["text"], domain=None, precompute_ngrams=True)
        signals = {function.field_name: function(document) for function in functions}
        cpu += time.process_time() - started
        results.append({"id": record["id"], "signals": signals})
    with open(out_path, "w", encoding="utf-8") as out:
        for result in results:
            out.write(json.dumps(result) + "\n")
    print(json.dumps({"cpu_seconds": cpu, "documents": len(records)}))


if __name__ == "__main__":
    main()
