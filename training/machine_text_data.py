"""The labelled rows `training/machine_text.py` learns from and is judged on, shortcuts removed.

Kept apart from the training script so the peer scorer (run in its own environment, which
has neither scikit-learn nor Thresher's dependencies) reads exactly the same rows.

What is removed, and why (../shared/data/machine-text/README.md lists the shortcuts):

* F3's case and punctuation: its machine texts are the "cleaned" column (lower-cased,
  punctuation deleted: "peoples", "covid19"), and its CoAID human news is lower-cased, so
  case and punctuation alone separate the labels (raw lower-case fraction: AUROC 1.000).
  Every F3 text, of both labels, gets the same cleaning (lower-case, delete every
  character that is neither a word character nor a space), so its "lowercased" rows stay;
* rows with `artifact` "lowercased" in the other sets (a few dozen): nothing to pair them with;
* the DetectRL `arxiv` domain is kept by the shipped recipe (`keep_arxiv`), glued human
  abstracts (`arxiv_linebreak_glue`) included: the glue cannot be undone, but each glued
  word is a rare one-off the hashed model barely weighs, while dropping the domain left the
  model no human scientific prose, and it then flagged 2019 crawl abstracts as machine
  (3.37% of the scored crawl documents flagged without the domain, 2.40% with it);
* Fast-DetectGPT's shared human prefix: a machine text begins with the first ~30 tokens of
  the human text it continued. The words the two share are cut from the machine text, and
  the same number of words from the start of the human text, so neither side starts with
  words the other owns;
* whitespace layout: paragraph breaks differ between sources (glued XSum, "\\n\\n" in
  generated continuations), and the product scores one paragraph at a time anyway, so every
  run of whitespace becomes one space.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "machine-text"
SOURCES = ("detectrl", "f3", "fastdetectgpt", "outfox")
DROPPED_ARTIFACTS = frozenset({"lowercased", "arxiv_linebreak_glue"})
MIN_WORDS = 40  # a row shorter than this after the cuts is dropped (it says too little)

# Generator -> family: models of one maker and lineage are held out together, so a family
# left out is one the model has seen no relative of.
FAMILIES: dict[str, str] = {
    "ChatGPT": "openai",
    "gpt-3.5-turbo": "openai",
    "gpt-3.5-turbo-0613": "openai",
    "gpt-4": "openai",
    "davinci": "openai",
    "text-davinci-003": "openai",
    "Llama-2-70b": "llama",
    "Google-PaLM": "palm",
    "opt-2.7b": "opt",
    "gpt-neo-2.7B": "eleuther",
    "gpt-j-6B": "eleuther",
    "gpt-neox-20b": "eleuther",
    "gpt2-xl": "gpt2",
    "flan-t5-xxl": "flan-t5",
}

_SPACES = re.compile(r"\s+")
_F3_DELETED = re.compile(r"[^\w\s]")


def _words(text: str) -> list[str]:
    return text.split()


def _cut_prefixes(rows: list[dict]) -> list[dict]:
    """Fast-DetectGPT: drop the words each machine text shares with its group's human text."""
    by_group: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_group[row["group"]].append(row)
    out: list[dict] = []
    for members in by_group.values():
        humans = [r for r in members if r["label"] == "human"]
        reference = _words(humans[0]["text"]) if humans else []
        shared: list[int] = []
        for row in members:
            if row["label"] != "machine":
                continue
            words = _words(row["text"])
            n = 0
            while n < min(len(words), len(reference)) and words[n] == reference[n]:
                n += 1
            # Without a human text in the group the prefix is unknown: cut a typical length.
            n = n if reference else 30
            shared.append(n)
            out.append({**row, "text": " ".join(words[n:])})
        cut = max(shared) if shared else 30
        for row in humans:
            out.append({**row, "text": " ".join(_words(row["text"])[cut:])})
    return out


def load_rows(data: Path = DATA, keep_arxiv: bool = False) -> list[dict]:
    """Every usable row of the four sets, shortcuts removed, with `family` added.

    `keep_arxiv` keeps DetectRL's arXiv domain, glued human abstracts included (measured as
    an alternative: without any scientific human text the model calls abstracts machine-written).
    """
    rows: list[dict] = []
    for source in SOURCES:
        with gzip.open(data / f"{source}.jsonl.gz", "rt", encoding="utf-8") as handle:
            part = [json.loads(line) for line in handle]
        if source == "f3":
            part = [{**r, "text": _F3_DELETED.sub("", r["text"].lower())} for r in part]
        else:
            dropped = DROPPED_ARTIFACTS - ({"arxiv_linebreak_glue"} if keep_arxiv else set())
            part = [r for r in part if r.get("artifact") not in dropped]
        if source == "detectrl" and not keep_arxiv:
            part = [r for r in part if r["domain"] != "arxiv"]
        if source == "fastdetectgpt":
            part = _cut_prefixes(part)
        for row in part:
            text = _SPACES.sub(" ", row["text"]).strip()
            if len(text.split()) < MIN_WORDS:
                continue
            family = FAMILIES.get(row["generator"] or "", "human" if row["label"] == "human" else "other")
            rows.append({**row, "text": text, "family": family})
    rows.sort(key=lambda r: r["id"])
    return rows


TEST_SHARE = 0.25  # of groups: the part leave-one-generator-out tests on


def is_test_group(group: str) -> bool:
    """A fixed, seed-free split by group: a stable hash, so every script agrees on it."""
    import hashlib

    return int(hashlib.sha1(group.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < TEST_SHARE


def peer_sample(rows: list[dict], per_cell: int = 25, per_family: int = 25, seed: int = 17) -> list[dict]:
    """A fixed random subsample of test-group rows small enough for the slow peers.

    Up to `per_cell` rows per (source, label) and at least `per_family` machine rows per
    generator family, so every leave-one-out figure has rows of both labels.
    """
    import random

    rng = random.Random(seed)
    test = [r for r in rows if is_test_group(r["group"])]
    chosen: dict[str, dict] = {}
    cells: dict[tuple[str, str], list[dict]] = defaultdict(list)
    families: dict[str, list[dict]] = defaultdict(list)
    for row in test:
        cells[(row["source"], row["label"])].append(row)
        if row["label"] == "machine":
            families[row["family"]].append(row)
    for key in sorted(cells):
        for row in rng.sample(cells[key], min(per_cell, len(cells[key]))):
            chosen[row["id"]] = row
    for family in sorted(families):
        have = sum(1 for r in chosen.values() if r["family"] == family)
        pool = [r for r in families[family] if r["id"] not in chosen]
        for row in rng.sample(pool, max(0, min(per_family - have, len(pool)))):
            chosen[row["id"]] = row
    return sorted(chosen.values(), key=lambda r: r["id"])
