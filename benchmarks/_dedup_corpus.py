"""Dedup benchmark corpora from real text, with planted near duplicates of known Jaccard.

Bases are the article bodies, page texts and seeds read from ../shared at run time (via
`_corpus.base_documents`), cut into non-overlapping chunks of paragraphs so there are a few
hundred distinct real documents. Each base gets 0-4 planted variants made by one of: word
edits at a rate, a paragraph shuffle, boilerplate lines added, a truncation, or a re-cased,
re-punctuated copy. The true Jaccard of every planted pair is computed exactly on the same
shingles (normalised word 5-grams), so precision and recall are measured, not assumed.
"""

from __future__ import annotations

import random
from itertools import combinations
from pathlib import Path

import orjson

from _corpus import base_documents
from thresher.dedup.normalize import simplify_text

BOILERPLATE = [
    "Share this article on Facebook, Twitter and LinkedIn",
    "Subscribe to our newsletter for the latest news and updates delivered to your inbox",
    "All rights reserved. Copyright 2024 The Daily Example Media Group",
    "Click here to read more stories like this one from our editors",
    "Advertisement - continue reading below",
    "Sign up for free to get unlimited access to all of our content",
]


def shingles(text: str, n: int = 5) -> set[str]:
    words = simplify_text(text).split(" ") if simplify_text(text) else []
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def chunked_bases(min_words: int = 60, chunk_lines: int = 10) -> list[str]:
    """Distinct real documents: each base text cut into chunks of consecutive non-blank lines."""
    out: list[str] = []
    seen: set[str] = set()
    for text in base_documents():
        lines = [line for line in text.split("\n") if line.strip()]
        for start in range(0, len(lines), chunk_lines):
            chunk = "\n".join(lines[start : start + chunk_lines])
            key = simplify_text(chunk)
            if len(key.split(" ")) >= min_words and key not in seen:
                seen.add(key)
                out.append(chunk)
    return out


def _edit_words(text: str, rate: float, rng: random.Random, vocab: list[str]) -> str:
    lines = text.split("\n")
    out = []
    for line in lines:
        words = line.split(" ")
        for i in range(len(words)):
            if rng.random() < rate:
                op = rng.random()
                if op < 0.6:
                    words[i] = rng.choice(vocab)
                elif op < 0.8:
                    words[i] = ""
                else:
                    words[i] = words[i] + " " + rng.choice(vocab)
        out.append(" ".join(w for w in words if w))
    return "\n".join(out)


def make_variant(text: str, rng: random.Random, vocab: list[str]) -> tuple[str, str]:
    """One planted variant of `text` and the name of the edit that made it."""
    lines = text.split("\n")
    kind = rng.choice(["edit", "edit", "shuffle", "boilerplate", "truncate", "recase"])
    if kind == "edit":
        return _edit_words(text, rng.choice([0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12]), rng, vocab), kind
    if kind == "shuffle":
        lines = lines[:]
        rng.shuffle(lines)
        return "\n".join(lines), kind
    if kind == "boilerplate":
        extra = rng.sample(BOILERPLATE, rng.randint(1, 4))
        return "\n".join(extra[: len(extra) // 2] + lines + extra[len(extra) // 2 :]), kind
    if kind == "truncate":
        keep = max(1, int(len(lines) * rng.uniform(0.5, 0.95)))
        return "\n".join(lines[:keep]), kind
    return text.upper().replace(".", "!").replace(",", " ;"), kind


def planted_corpus(path: Path, seed: int = 7, max_variants: int = 4) -> dict:
    """Write the planted corpus as JSONL; return the families and the true Jaccard of planted pairs."""
    rng = random.Random(seed)
    bases = chunked_bases()
    vocab = sorted({w for text in bases for w in text.split() if w.isalpha()})
    records: list[dict] = []
    families: list[list[int]] = []
    kinds: dict[int, str] = {}
    for base_index, base in enumerate(bases):
        family = [len(records)]
        records.append({"id": f"b{base_index}", "text": base})
        for variant in range(rng.randint(0, max_variants)):
            text, kind = make_variant(base, rng, vocab)
            kinds[len(records)] = kind
            family.append(len(records))
            records.append({"id": f"b{base_index}-v{variant}", "text": text})
        families.append(family)
    order = list(range(len(records)))
    rng.shuffle(order)  # variants are not always after their base
    position = {old: new for new, old in enumerate(order)}
    with path.open("wb") as out:
        for old in order:
            out.write(orjson.dumps(records[old]) + b"\n")
    sets = [shingles(r["text"]) for r in records]
    pairs: dict[tuple[str, str], float] = {}
    for family in families:
        for a, b in combinations(family, 2):
            ida, idb = sorted((records[a]["id"], records[b]["id"]))
            pairs[(ida, idb)] = jaccard(sets[a], sets[b])
    return {
        "records": [records[old] for old in order],
        "pairs": pairs,
        "sets": {r["id"]: sets[i] for i, r in enumerate(records)},
        "kinds": {records[i]["id"]: k for i, k in kinds.items()},
        "position": position,
        "bases": len(bases),
    }


def scale_corpus(path: Path, documents: int, seed: int = 11) -> int:
    """`documents` records of real text: windows of 1-6 paragraphs with ~10% of words replaced.

    The word replacement keeps windows from collapsing into a few huge duplicate clusters
    at 1M records, while every word is still real text. Returns the bytes written.
    """
    rng = random.Random(seed)
    bases = [[line for line in text.split("\n") if line.strip()] for text in base_documents()]
    bases = [lines for lines in bases if lines]
    vocab = sorted({w for lines in bases for line in lines for w in line.split() if w.isalpha()})
    size = 0
    with path.open("wb") as out:
        for index in range(documents):
            lines = bases[rng.randrange(len(bases))]
            start = rng.randrange(len(lines))
            window = lines[start : start + rng.randint(1, 6)]
            words = " \n ".join(window).split(" ")
            for _ in range(max(1, len(words) // 10)):
                words[rng.randrange(len(words))] = rng.choice(vocab)
            line = orjson.dumps({"id": f"s{index}", "text": " ".join(words).replace(" \n ", "\n")}) + b"\n"
            out.write(line)
            size += len(line)
    return size
