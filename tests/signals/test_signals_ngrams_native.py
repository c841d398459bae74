"""The C kernel of Gopher's word and n-gram statistics (thresher._native_ngrams) equals the NumPy path."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np
import pytest

from thresher.signals import _batch
from thresher.signals.gopher import document_words, duplicate_ngram_chars, top_ngram_chars

pytestmark = pytest.mark.skipif(
    not _batch.native_ngrams_available(), reason="thresher._native_ngrams is not built, or THRESHER_NATIVE=0"
)
CRAWL = Path(__file__).resolve().parents[3] / "shared/data/crawl/dolma_CC-MAIN-2019-30_697docs.jsonl.gz"


def _numpy_stats(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> list[dict[str, float | int | None]]:
    """The same batch through the NumPy path (same token tables, only the kernel removed)."""
    with monkeypatch.context() as patch:
        patch.setattr(_batch, "_native_ngrams", None)
        return _batch.batch_word_stats(texts)


def _assert_same(native: list[dict], numpy: list[dict]) -> None:
    """Equal values of equal types (None stays None, ints stay ints, floats bit-equal)."""
    assert len(native) == len(numpy)
    for mine, theirs in zip(native, numpy, strict=True):
        assert mine == theirs
        assert {k: type(v) for k, v in mine.items()} == {k: type(v) for k, v in theirs.items()}


def test_hand_made_values() -> None:
    texts = ["", "   ", "one", "a b", "a b a b a b", "ab c a bc ab c a bc x y z w v u t s r q ab c a bc ab c a bc"]
    stats = _batch.batch_word_stats(texts)
    assert stats[0]["words"] == 0 and stats[0]["gopher_top_2_gram_char_frac"] is None
    assert stats[0]["gopher_dup_5_gram_char_frac"] is None
    assert stats[1]["gopher_top_2_gram_char_frac"] is None and stats[1]["gopher_dup_5_gram_char_frac"] == 0.0
    assert stats[2]["gopher_top_2_gram_char_frac"] is None
    assert stats[3]["gopher_top_2_gram_char_frac"] == 3 / 3  # "a b" once
    # "a b a b a b": "a b" three times (3 chars x 3), "a b a" twice (5 x 2), "a b a b" twice
    assert stats[4]["gopher_top_2_gram_char_frac"] == 9 / 11
    assert stats[4]["gopher_top_3_gram_char_frac"] == 10 / 11
    assert stats[4]["gopher_top_4_gram_char_frac"] == 14 / 11
    # the two 5-grams ("ababa", "babab") are distinct
    assert stats[4]["gopher_dup_5_gram_char_frac"] == 0 / 11
    assert stats[4]["words"] == 6 and stats[4]["non_symbol"] == 6 and stats[4]["alpha"] == 6
    last = texts[-1]
    words = document_words(last)
    for n in (2, 3, 4):
        assert stats[-1][f"gopher_top_{n}_gram_char_frac"] == top_ngram_chars(words, n) / len(last)
    for n in range(5, 11):
        assert stats[-1][f"gopher_dup_{n}_gram_char_frac"] == duplicate_ngram_chars(words, n) / len(last)
    assert stats[-1]["gopher_dup_5_gram_char_frac"] > 0  # "ab"+"c" equals "a"+"bc"


def test_stop_words_and_symbols() -> None:
    (stats,) = _batch.batch_word_stats(["The the of ... # to, with-it !!"])
    words = document_words("The the of ... # to, with-it !!")
    assert stats["words"] == len(words)
    assert "The" in words and "to" in words
    assert stats["stop"] == len({"the", "be", "to", "of", "and", "that", "have", "with"}.intersection(words))


def test_random_texts_match_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(11)
    vocabulary = ["the", "cat", "ab", "c", "a", "bc", ".", "-", "#", "to", "...", "with", "é", "日本", "x"]
    texts = [
        "\n".join(" ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 40))) for _ in range(rng.randint(0, 5)))
        for _ in range(400)
    ]
    texts += ["", "x", " ".join(["a b c d e f"] * 50), "ab c " * 30]
    _assert_same(_batch.batch_word_stats(texts), _numpy_stats(texts, monkeypatch))


@pytest.mark.skipif(not CRAWL.exists(), reason="the shared crawl sample is not here")
def test_crawl_matches_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    with gzip.open(CRAWL, "rt", encoding="utf-8") as handle:
        texts = [record["text"] for record in map(json.loads, handle) if isinstance(record.get("text"), str)]
    texts = texts[:300]
    _assert_same(_batch.batch_word_stats(texts), _numpy_stats(texts, monkeypatch))


def test_char_hashes_match_numpy() -> None:
    words = ["abc", "", "é\udc80x", "日本語" * 700, "z", ""]
    lengths = np.array([len(word) for word in words], dtype=np.int64)
    out = np.zeros(len(words), dtype=np.uint64)
    _batch._native_ngrams.char_hashes(words, out)
    powers = _batch._TABLE.powers(int(lengths.max()) + 1)[0]
    assert out.tolist() == _batch._char_hashes(words, lengths, powers).tolist()
    assert out[0] == ord("a") + ord("b") * int(_batch._B) + (ord("c") * int(_batch._B) ** 2) % (1 << 64)
    assert out[1] == 0


def test_expand_chunks() -> None:
    start = np.array([0, 2, 0], dtype=np.int64)
    size = np.array([2, 1, -1], dtype=np.int64)
    words = np.array([7, 8, 9], dtype=np.int64)
    counts = np.zeros(2, dtype=np.int64)
    index = np.array([1, 0, 0], dtype=np.int64)
    ids = _batch._native_ngrams.expand_chunks(index, np.array([1, 2], dtype=np.int64), start, size, words, counts)
    assert np.frombuffer(ids, dtype=np.int64).tolist() == [9, 7, 8, 7, 8] and counts.tolist() == [1, 4]
    untokenised = np.array([2], dtype=np.int64)
    assert (
        _batch._native_ngrams.expand_chunks(untokenised, np.array([1], dtype=np.int64), start, size, words, counts)
        is None
    )
    with pytest.raises(ValueError):
        _batch._native_ngrams.expand_chunks(
            np.array([5], dtype=np.int64), np.array([1], dtype=np.int64), start, size, words, counts
        )
