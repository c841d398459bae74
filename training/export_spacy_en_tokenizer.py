"""Export spaCy's English tokenizer rules to `src/thresher/models/spacy_en_tokenizer.json.gz`.

datatrove counts English words with `spacy.blank("en")` plus a sentencizer. Thresher
re-implements that tokenizer's algorithm (`thresher.signals.words`) without spaCy at run
time; this script copies the *data* it needs: the prefix / suffix / infix / URL regular
expressions, the special cases (tokenizer exceptions) and the sentencizer's punctuation.

spaCy is MIT licensed (Copyright (C) 2016-2024 ExplosionAI GmbH, 2016 spaCy GmbH,
2015 Matthew Honnibal); the exported rules carry that notice in the file.

Run with the benchmark environment, which has spaCy:
    /work/venvs/bench/bin/python training/export_spacy_en_tokenizer.py
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import spacy
from spacy.pipeline.sentencizer import Sentencizer

OUT = Path(__file__).resolve().parents[1] / "src" / "thresher" / "models" / "spacy_en_tokenizer.json.gz"


def main() -> None:
    nlp = spacy.blank("en")
    tok = nlp.tokenizer
    rules = {key: [t[65] if 65 in t else t["ORTH"] for t in value] for key, value in tok.rules.items()}
    data = {
        "source": f"spaCy {spacy.__version__} English tokenizer (spacy.blank('en')), MIT license, "
        "Copyright (C) 2016-2024 ExplosionAI GmbH, 2016 spaCy GmbH, 2015 Matthew Honnibal",
        "prefix": tok.prefix_search.__self__.pattern,
        "suffix": tok.suffix_search.__self__.pattern,
        "infix": tok.infix_finditer.__self__.pattern,
        "url": tok.url_match.__self__.pattern if tok.url_match else None,
        "token_match": tok.token_match.__self__.pattern if tok.token_match else None,
        "faster_heuristics": tok.faster_heuristics,
        "rules": rules,
        "sentencizer_punct_chars": sorted(Sentencizer.default_punct_chars),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(OUT, "wt", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False, sort_keys=True)
    print(f"wrote {OUT}: {len(rules)} special cases")


if __name__ == "__main__":
    main()
