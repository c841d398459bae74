"""The batch (NumPy) Gopher statistics equal the per-document reference functions."""

from __future__ import annotations

import random

import numpy as np
import pytest

from thresher.document import Document
from thresher.signals import _tokens
from thresher.signals._batch import ChunkTable, greedy_repeats
from thresher.signals.gopher import (
    GopherSignals,
    document_words,
    gopher_quality_signals,
    gopher_repetition_signals,
)

VOCABULARY = ["the", "cat", "sat", "ab", "c", "a", "bc", ".", "-", "#", "on", "mat", "...", "with", "x"]


def _texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        lines = []
        for _ in range(rng.randint(0, 6)):
            lines.append(" ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(0, 25))))
        texts.append(rng.choice(["\n", "\n\n"]).join(lines))
    return texts


def _assert_batch_equals_reference(texts: list[str]) -> None:
    """The batched Gopher annotator gives each document exactly the per-text functions' signals."""
    documents = [Document(id=str(i), text=text) for i, text in enumerate(texts)]
    GopherSignals().annotate(documents)
    for document in documents:
        words = document_words(document.text)
        expected = gopher_repetition_signals(document.text, words)
        expected.update(gopher_quality_signals(document.text, words))
        assert document.analysis.signals == expected, document.text


@pytest.fixture(params=["native", "python"])
def kernel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the C kernel's per-call loops (greedy scan, row sums), then with their
    Python fallback. The module-level token tables keep the mode they were built in; their
    fallback is compared with the kernel in tests/signals/test_tokens.py."""
    if request.param == "native" and _tokens._native is None:
        pytest.skip("thresher._native is not built (no C compiler at install)")
    monkeypatch.setenv("THRESHER_NATIVE", "1" if request.param == "native" else "0")
    return request.param


def test_batch_matches_reference(kernel: str) -> None:
    texts = _texts(300, seed=3) + ["", "one", "a b a b a b a b a b a b a b", "ab c x a bc ab c x a bc"]
    long_words = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()
    rng = random.Random(5)
    texts += [" ".join(rng.choice(long_words) for _ in range(rng.randint(5, 80))) for _ in range(100)]
    texts += ["alphabet agamma delta epsilon zeta alpha betagamma delta epsilon zeta"]  # concatenations match
    _assert_batch_equals_reference(texts)


def test_batch_matches_reference_on_unicode_and_punctuation(kernel: str) -> None:
    # non-ASCII words (the character hashes of new words are computed in one NumPy pass),
    # affixes the splitter cuts, and repeats made of different chunkings of the same characters
    pieces = ["naïve", "café", "“quoted”", "don't", "U.S.", "日本語", "😀", "ab", "c", "abc", "(x)", "well-known"]
    rng = random.Random(11)
    texts = [" ".join(rng.choice(pieces) for _ in range(rng.randint(0, 60))) for _ in range(80)]
    texts += ["naïve café " * 6, "ab c abc ab c abc ab c abc ab c abc"]
    _assert_batch_equals_reference(texts)


def test_chunk_table_gives_chunk_ids_counts_and_code_points() -> None:
    table = ChunkTable()
    texts = ["one two  three", "", "four\tfive\nsix", "two one"]
    index, counts, codes = table.split(texts)
    assert counts.tolist() == [3, 0, 3, 2]
    assert [table.strings[i] for i in index.tolist()] == "one two three four five six two one".split()
    assert codes.tobytes().decode("utf-32-le") == "onetwothreefourfivesixtwoone"
    subset = [texts[3], texts[0]]
    index, counts, codes = table.split(subset)
    assert counts.tolist() == [2, 3] and index.tolist() == [1, 0, 0, 1, 2]
    assert codes.tobytes().decode("utf-32-le") == "twooneonetwothree"


def test_chunk_table_clears_past_its_limit_and_moves_to_a_new_generation() -> None:
    table = ChunkTable(limit=3)
    table.split(["a b c"])
    assert table.generation == 0
    index, _, _ = table.split(["d e", "a"])
    assert table.generation == 1
    assert [table.strings[i] for i in index.tolist()] == ["d", "e", "a"] and len(table.strings) == 3


def test_greedy_repeats_exact_values(kernel: str) -> None:
    # One document, word positions 0..9, n = 2. Group 0 first occurs at 0 and repeats at 2 and 4;
    # group 1 first occurs at 1 and repeats at 5. The scan: at 2 (group 0, its first occurrence
    # not skipped: counted, 3 chars, skips 3), at 4 (counted again, skips 5), at 5 (before the
    # scan's index 6: passed over).
    at = np.array([2, 4, 5])
    group = np.array([0, 0, 1])
    first_at = np.array([0, 0, 1])
    chars = np.array([3, 3, 4])
    docs = np.array([0, 0, 0])
    assert greedy_repeats(at, group, first_at, chars, docs, 2, 2, 10, 1).tolist() == [6]
    # A group whose first occurrence was skipped: its first repeat only marks it added.
    skipped_first = greedy_repeats(
        np.array([1, 3, 6]),
        np.array([0, 1, 1]),
        np.array([0, 2, 2]),
        np.array([5, 2, 2]),
        np.array([0, 0, 1]),
        2,
        2,
        10,
        2,
    )
    # at 1: group 0, first at 0 not skipped: counted (5), skips 2; at 3: group 1, first at 2 skipped:
    # added, index 4; at 6 (document 1): group 1 added: counted (2)
    assert skipped_first.tolist() == [5, 2]
