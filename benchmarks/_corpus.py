"""Benchmark corpora built from real text in ../shared (never copied into the repo).

The base documents are the article bodies and the full visible text of the 121 pages of
`../shared/data/article-extraction`, plus the two seeds. A larger corpus is made of
deterministic windows of consecutive paragraphs of those documents, so every record is
real text, sizes vary as on the web, and the corpus can be any length.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path

import orjson

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def require_shared() -> Path:
    if not (SHARED / "data" / "article-extraction").exists():
        sys.exit(f"benchmark needs {SHARED}/data/article-extraction (the project's shared data); not found")
    return SHARED


def base_documents() -> list[str]:
    """Article bodies, full page text and the seeds: real web text, about 240 documents."""
    from thresher.readers.html import decode_html_bytes, html_to_text

    shared = require_shared()
    root = shared / "data" / "article-extraction"
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    texts: list[str] = []
    for page_id in sorted(truth):
        body = truth[page_id].get("articleBody") or ""
        if body.strip():
            texts.append(body)
        page = root / "html" / f"{page_id}.html.gz"
        if page.exists():
            texts.append(html_to_text(decode_html_bytes(gzip.decompress(page.read_bytes()))))
    for seed in sorted((shared / "seeds").glob("*.txt")):
        texts.append(seed.read_text(encoding="utf-8"))
    return [t for t in texts if t.strip()]


def build_corpus(path: Path, documents: int, seed: int = 13) -> tuple[int, int]:
    """Write `documents` JSONL records of real text to `path`; return (records, bytes)."""
    bases = [[line for line in text.split("\n") if line.strip()] for text in base_documents()]
    rng = random.Random(seed)
    size = 0
    with path.open("wb") as out:
        for index in range(documents):
            lines = bases[index % len(bases)]
            start = rng.randrange(len(lines))
            length = rng.randint(1, max(1, len(lines)))
            text = "\n".join(lines[start : start + length])
            line = orjson.dumps({"id": f"bench-{index}", "text": text, "url": f"https://bench.example/{index}"})
            out.write(line + b"\n")
            size += len(line) + 1
    return documents, size
