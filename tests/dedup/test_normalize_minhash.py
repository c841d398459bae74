"""Normalisation agrees with datatrove's; signatures equal a slow reference; LSH estimates Jaccard."""

from __future__ import annotations

import random
import re
import unicodedata

import numpy as np
import pytest

from thresher.dedup.minhash import MinHasher, MinHashParams, lsh_threshold, reference_signature, shape_for_threshold
from thresher.dedup.normalize import PUNCTUATION, simplify_text


def datatrove_simplify_text(text: str) -> str:
    """datatrove.utils.text.simplify_text with its default TextNormConfig, transcribed line by line
    (datatrove 0.10.1; `regex`'s \\p{Nd} written as `re`'s \\d, which is category Nd on str)."""
    trans = str.maketrans(PUNCTUATION, " " * len(PUNCTUATION))
    text = text.lower()
    text = re.sub(r"\d+([.,،٫⎖⎗⎘]{1}\d+)?", "0", text)
    text = text.translate(trans)
    text = re.sub(r"\s+", " ", text.strip())
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return text.strip()


HAND_MADE = [
    "Hello, World!",
    "  The   QUICK brown\tfox\n\njumps — over 3.14 lazy dogs; 1,000 times…  ",
    "Café naïve résumé Ångström coöperate",
    "“Quoted” ‘text’ «guillemets» 【brackets】 ％percent １fullwidth",
    "Prices: $12.50, €7,99 and ٣٤٥ Arabic-Indic digits; version 2.0.1",
    "Tabs\tand\rcarriage\x0breturns\x0cform feeds\x00nul",
    "ÀÉÎÕÜ ß İstanbul ǅemal",
    "",
    "   ",
    "emoji 😀 and CJK 中文，标点。",
    "a-b_c.d/e\\f|g~h^i`j",
]


@pytest.mark.parametrize("text", HAND_MADE)
def test_simplify_text_matches_datatrove(text: str) -> None:
    assert simplify_text(text) == datatrove_simplify_text(text)


def test_simplify_text_matches_datatrove_on_random_strings() -> None:
    rng = random.Random(3)
    alphabet = "abcXYZ 019.,;:!?-'\"\t\n éÉüßçÅ—“”…％中٣" + PUNCTUATION[:40]
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        assert simplify_text(text) == datatrove_simplify_text(text), repr(text)


def test_default_parameters_are_datatrove_defaults() -> None:
    params = MinHashParams()
    assert (params.ngram, params.num_buckets, params.hashes_per_bucket, params.num_hashes) == (5, 14, 8, 112)
    assert lsh_threshold(14, 8) == pytest.approx(0.719, abs=1e-3)
    assert shape_for_threshold(0.72) == (14, 8)


TEXTS = [
    "The river rose through the night and by morning the old bridge was closed to traffic.",
    "Engineers from the county inspected the pillars and said the structure was sound, but they asked "
    "drivers to use the northern crossing until the water goes down. Café owners waited.",
    "one two three four",  # fewer than 5 words: no signature
    "",
    "Shops along the quay opened late, and volunteers filled sandbags outside the library while children "
    "watched from the steps. " * 3,
]


def test_signature_equals_slow_reference() -> None:
    params = MinHashParams()
    hasher = MinHasher(params)
    signatures, has = hasher.signatures([simplify_text(t) for t in TEXTS])
    for text, signature, present in zip(TEXTS, signatures, has, strict=True):
        expected = reference_signature(text, params)
        if expected is None:
            assert not present
        else:
            assert present
            assert signature.tolist() == expected


def test_signature_does_not_depend_on_batch_composition() -> None:
    """A document's signature is the same alone or among others (chunk boundaries, neighbours)."""
    hasher = MinHasher(MinHashParams(ngram=3, num_buckets=4, hashes_per_bucket=2, seed=9))
    long_text = simplify_text(" ".join(f"word{i % 97} token{i % 13}" for i in range(5000)))
    texts = [simplify_text(t) for t in TEXTS] + [long_text]
    together, _ = hasher.signatures(texts)
    for index, text in enumerate(texts):
        alone, has = hasher.signatures([text])
        if has[0]:
            assert alone[0].tolist() == together[index].tolist()


def test_signature_estimates_jaccard() -> None:
    """Share of equal signature values ~ true Jaccard of the shingle sets (112 hashes: +-0.15)."""
    rng = random.Random(5)
    vocab = [f"w{i}" for i in range(5000)]
    base = [rng.choice(vocab) for _ in range(400)]
    hasher = MinHasher(MinHashParams())
    for keep in (1.0, 0.9, 0.7, 0.4):
        other = [w if rng.random() < keep else rng.choice(vocab) for w in base]
        a = {" ".join(base[i : i + 5]) for i in range(len(base) - 4)}
        b = {" ".join(other[i : i + 5]) for i in range(len(other) - 4)}
        true = len(a & b) / len(a | b)
        signatures, _ = hasher.signatures([" ".join(base), " ".join(other)])
        estimate = float(np.mean(signatures[0] == signatures[1]))
        assert abs(estimate - true) < 0.15, (keep, true, estimate)


def test_datasketch_agrees_on_estimates_when_installed() -> None:
    """datasketch (a different hash family) estimates the same Jaccard within sampling error."""
    datasketch = pytest.importorskip("datasketch")
    rng = random.Random(8)
    words = [f"v{rng.randrange(3000)}" for _ in range(300)]
    other = words[:240] + [f"x{i}" for i in range(60)]
    shingles = [{" ".join(w[i : i + 5]) for i in range(len(w) - 4)} for w in (words, other)]
    sketches = []
    for s in shingles:
        m = datasketch.MinHash(num_perm=112, seed=1)
        for item in s:
            m.update(item.encode())
        sketches.append(m)
    ours, _ = MinHasher(MinHashParams()).signatures([" ".join(words), " ".join(other)])
    assert abs(sketches[0].jaccard(sketches[1]) - float(np.mean(ours[0] == ours[1]))) < 0.2
