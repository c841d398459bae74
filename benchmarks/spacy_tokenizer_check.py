"""The C tokenizer (`thresher._native_words`) against the Python splitter, chunk for chunk.

Why: the kernel runs spaCy's affix rules as programs compiled from the patterns
(`thresher.signals._spacy_native`); the Python splitter (`thresher.signals.words`) runs the
regular expressions themselves, with its fast paths. Values must not change, so this checks
that both give the same tokens for every distinct white-space chunk of every text reachable in
../shared/data (crawl documents, WARC/WET/WAT records, the trafilatura and article-extraction
HTML pages, the machine-text, toxicity and tweet sets: > 1.5M distinct chunks), and for random
chunks built from the characters the rules care about (every affix literal, members of every
character class, letters of several scripts, digits, pieces of the special cases), where the
real text has few examples. The Python side runs the URL rule as written (the splitter
rewrites its "user@" part for long texts, see `_url_match`), so that rewrite is checked too.
It also compares the sentencizer effect of each chunk and the
per-word facts. Exit status 0 only if nothing differs.

    python benchmarks/spacy_tokenizer_check.py [--limit N] [--random 300000] [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
import glob
import gzip
import json
import random
import sys
import tarfile
import time
import zlib
from pathlib import Path

import numpy as np

from thresher.signals import _spacy_native
from thresher.signals._common import punctuation_chars, punctuation_table, token_facts
from thresher.signals.words import SpacyEnglishSplitter, _is_punct, read_derived, read_rules

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def _texts(data: Path) -> list[str]:
    """Every text of the shared data sets, raw HTML and WARC files decoded as UTF-8."""
    texts: list[str] = []
    for path in sorted(glob.glob(str(data / "**" / "*.jsonl.gz"), recursive=True)):
        for line in gzip.open(path, "rt", encoding="utf-8", errors="replace"):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            texts += [record[key] for key in ("text", "articleBody") if isinstance(record.get(key), str)]
    tweets = data / "offensive-tweets" / "labeled_data.csv"
    if tweets.exists():
        with tweets.open(encoding="utf-8") as handle:
            texts += [row.get("tweet", "") for row in csv.DictReader(handle)]
    for path in sorted(glob.glob(str(data / "article-extraction" / "html" / "*.html.gz"))):
        texts.append(gzip.open(path, "rt", encoding="utf-8", errors="replace").read())
    for path in sorted(glob.glob(str(data / "crawl" / "warc" / "*.gz"))):
        raw = Path(path).read_bytes()
        texts.append(zlib.decompressobj(31).decompress(raw).decode("utf-8", errors="replace"))
    for path in sorted(glob.glob(str(data / "crawl" / "*.tar.gz"))):
        with tarfile.open(path) as tar:
            for member in tar:
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is not None:
                    raw = handle.read()
                    if member.name.endswith(".gz"):
                        raw = zlib.decompressobj(31).decompress(raw)
                    texts.append(raw.decode("utf-8", errors="replace"))
    return texts


def _alphabet(splitter: SpacyEnglishSplitter, programs: _spacy_native.Programs) -> list[str]:
    """Characters worth combining: affix literals, some members of every class, letters and
    digits of several scripts, sentence-final and datatrove punctuation, special-case text."""
    chars: set[str] = set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@#$%&*+-=/\\|~^`'\".,;:!?()[]{}<>"
    )
    chars |= set("éüßøĳǅΣσжЖ中日本한ـא١²³½µ°€£¥₽…–—‘’“”„«»¡¿·•\u200b\u200e\u00ad")
    chars |= set(splitter.punct_chars) | set(punctuation_chars()[:80])
    for pattern in (programs.prefix, programs.suffix, programs.infix):
        chars |= {chr(int(code)) for code in pattern if 32 < int(code) < 0x110000 and 0xD800 > int(code)}
    table = programs.table
    for bit in range(_spacy_native.CLASS_BITS):
        members = np.flatnonzero(table & np.uint32(1 << bit))
        members = members[(members < 0xD800) | (members > 0xDFFF)]
        if len(members):
            chars |= {chr(int(code)) for code in members[:: max(1, len(members) // 12)][:12]}
    return sorted(chars)


def _random_chunks(splitter: SpacyEnglishSplitter, alphabet: list[str], count: int, seed: int) -> list[str]:
    """Random white-space-free chunks: characters of `alphabet`, words and special-case text glued."""
    rng = random.Random(seed)
    specials = list(splitter.specials)
    words = ["the", "Hello", "km", "U", "US", "A", "C", "s", "S", "e.g", "www.example.com", "http://a.b/c"]
    out: set[str] = set()
    while len(out) < count:
        pieces = []
        for _ in range(rng.randint(1, 6)):
            roll = rng.random()
            if roll < 0.15:
                pieces.append(rng.choice(specials))
            elif roll < 0.25:
                pieces.append(rng.choice(words))
            else:
                pieces.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 3))))
        chunk = "".join(pieces)
        if chunk and not any(char.isspace() for char in chunk):
            out.add(chunk)
    return sorted(out)


def _compare(chunks: list[str], label: str) -> int:
    """Tokens, sentencizer effects and word facts of `chunks`: kernel vs Python. Differences."""
    rules, crc = read_rules()
    derived = read_derived(crc)
    python_side, native_side = SpacyEnglishSplitter(rules, derived), SpacyEnglishSplitter(rules, derived)
    native_side.native_from = 0
    full_url = python_side._url
    if full_url is not None:  # the reference runs the URL rule as written, not its rewrite for long texts
        python_side._url_rule = lambda text: full_url(text) is not None
    programs = native_side._native_programs()
    assert programs is not None
    start = time.process_time()
    expected = [python_side.chunk_tokens(chunk) for chunk in chunks]
    python_seconds = time.process_time() - start
    start = time.process_time()
    got = native_side.tokens_batch(chunks)
    native_seconds = time.process_time() - start
    bad = [(chunk, want, have) for chunk, want, have in zip(chunks, expected, got, strict=True) if want != have]
    effects = np.zeros((len(chunks), 5), dtype=np.int64)
    _spacy_native._native_words.effects(got, native_side.punct_chars, _is_punct, effects)
    want_effects = np.array([python_side._transition(chunk) for chunk in chunks], dtype=np.int64).reshape(-1, 5)
    effect_bad = int((effects != want_effects).any(axis=1).sum())
    words = sorted({token for tokens in expected for token in tokens})
    symbol, alpha = np.zeros(len(words), dtype=bool), np.zeros(len(words), dtype=bool)
    _spacy_native._native_words.word_facts(words, punctuation_table(), symbol, alpha)
    facts = np.array([token_facts(word) for word in words], dtype=bool).reshape(-1, 2)
    fact_bad = int(((facts[:, 0] != symbol) | (facts[:, 1] != alpha)).sum())
    print(
        f"{label}: {len(chunks):,} distinct chunks, {len(words):,} words; tokens differ {len(bad)}, "
        f"effects differ {effect_bad}, word facts differ {fact_bad}; tokenize CPU s: Python {python_seconds:.2f}, "
        f"kernel {native_seconds:.2f}"
    )
    for chunk, want, have in bad[:20]:
        print(f"  {chunk!r}: Python {want} kernel {have}")
    return len(bad) + effect_bad + fact_bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--limit", type=int, default=0, help="check only this many real chunks (0: all)")
    parser.add_argument("--random", type=int, default=300_000, help="random chunks to check")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not _spacy_native.native_words_available():
        sys.exit("thresher._native_words is not built (or THRESHER_NATIVE=0): nothing to compare")
    chunks = sorted({chunk for text in _texts(args.data) for chunk in text.split()})
    if args.limit:
        chunks = random.Random(args.seed).sample(chunks, min(args.limit, len(chunks)))
    differences = _compare(chunks, "shared data")
    rules, crc = read_rules()
    splitter = SpacyEnglishSplitter(rules, read_derived(crc))
    splitter.native_from = 0
    programs = splitter._native_programs()
    assert programs is not None
    alphabet = _alphabet(splitter, programs)
    differences += _compare(
        _random_chunks(splitter, alphabet, args.random, args.seed), f"random ({len(alphabet)} chars)"
    )
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
