"""Token tables and row sums: exact values, and the C kernel equal to the Python fallback."""

from __future__ import annotations

import random

import numpy as np
import pytest

from thresher.signals import _tokens
from thresher.signals._tokens import TokenTable, native_available, row_sums

needs_native = pytest.mark.skipif(
    _tokens._native is None, reason="thresher._native is not built (no C compiler at install)"
)
BOTH = [pytest.param(False, id="python"), pytest.param(True, id="native", marks=needs_native)]


def _chunks(table: TokenTable, texts: list[str], codes: bool = False) -> tuple[list[list[str]], str | None]:
    index, counts, joined = table.lookup(texts, codes)
    words = [table.strings[i] for i in index.tolist()]
    out, at = [], 0
    for count in counts.tolist():
        out.append(words[at : at + count])
        at += count
    return out, None if joined is None else joined.tobytes().decode("utf-32-le", errors="surrogatepass")


@pytest.mark.parametrize("native", BOTH)
def test_whitespace_mode_is_str_split(native: bool) -> None:
    table = TokenTable("whitespace", native=native)
    texts = ["a b\ta", "", "  ", "x\x1cy\x85z\xa0w\u3000v\u2028u", "nul\x00inside", "ünï 日本 😀x"]
    chunks, joined = _chunks(table, texts, codes=True)
    assert chunks == [text.split() for text in texts]
    assert joined == "".join("".join(text.split()) for text in texts)
    assert table.strings[:3] == ["a", "b", "x"]
    assert len(table) == len({c for text in texts for c in text.split()})


@pytest.mark.parametrize("native", BOTH)
def test_fasttext_mode_splits_on_its_seven_separators_only(native: bool) -> None:
    table = TokenTable("fasttext", native=native)
    chunks, _ = _chunks(table, ["a\xa0b c\nd\re\tf\vg\fh\x00i", "x\x1cy\u3000z"])
    assert chunks == [["a\xa0b", "c", "d", "e", "f", "g", "h", "i"], ["x\x1cy\u3000z"]]


@pytest.mark.parametrize("native", BOTH)
def test_ids_are_stable_across_calls_and_restart_after_clear(native: bool) -> None:
    table = TokenTable("whitespace", native=native)
    first, _, _ = table.lookup(["one two", "three one"])
    assert first.tolist() == [0, 1, 2, 0]
    second, counts, _ = table.lookup(["two four"])
    assert second.tolist() == [1, 3] and counts.tolist() == [2]
    table.clear()
    assert len(table) == 0
    again, _, _ = table.lookup(["four"])
    assert again.tolist() == [0] and table.strings == ["four"]


def _random_texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = list("abcdefgh  \t\n\r\v\f\x00\x1c\x1d\x1e\x1f\x85") + [
        "\xa0",
        "é",
        "ß",
        "\u2000",
        "\u3000",
        "\u2028",
        "日",
        "本",
        "д",
        "😀",
        "\U0001f600",
        "\ud800",
        "\udfff",
    ]
    texts = []
    for _ in range(count):
        # words drawn from a small vocabulary, so chunks repeat across texts of different str kinds
        size = rng.randint(0, 40)
        texts.append("".join(rng.choice(alphabet) for _ in range(size)))
    return texts


@needs_native
@pytest.mark.parametrize("mode", ["whitespace", "fasttext"])
def test_native_equals_python_on_random_unicode(mode: str) -> None:
    native = TokenTable(mode, native=True)
    python = TokenTable(mode, native=False)
    for seed in range(6):
        texts = _random_texts(seed, 400)
        a = native.lookup(texts, codes=True)
        b = python.lookup(texts, codes=True)
        for left, right in zip(a, b, strict=True):
            assert left.tolist() == right.tolist()
        assert native.strings == python.strings
    # a table past 1024 slots (the first growth) keeps every id
    many = [" ".join(f"w{i}_{j}" for j in range(50)) for i in range(100)]
    assert native.lookup(many)[0].tolist() == python.lookup(many)[0].tolist()
    assert len(native) == len(python) > 5000


@needs_native
def test_native_rejects_non_str_and_bad_modes() -> None:
    table = TokenTable("whitespace", native=True)
    with pytest.raises(TypeError, match=r"texts\[1\] is bytes, not str"):
        table.lookup(["fine", b"bytes"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="mode must be"):
        TokenTable("commas")
    with pytest.raises(ValueError, match="'commas'"):
        _tokens._native.TokenTable(mode="commas")


@pytest.mark.parametrize("native", BOTH)
def test_row_sums_exact_values(native: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THRESHER_NATIVE", "1" if native else "0")
    assert native_available() is native
    table = np.array([[1.0, 2.0], [10.0, 20.0], [0.5, 0.25]])
    out = row_sums(np.array([0, 1, 1, 2]), np.array([2, 0, 1, 1]), table)
    assert out.tolist() == [[11.0, 22.0], [0.0, 0.0], [10.0, 20.0], [0.5, 0.25]]
    assert row_sums(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), table).shape == (0, 2)


@needs_native
def test_row_sums_native_equals_fallback_and_checks_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    table = rng.standard_normal((500, 17))
    counts = rng.integers(0, 40, size=300)
    ids = rng.integers(0, 500, size=int(counts.sum()))
    native = row_sums(ids, counts, table)
    monkeypatch.setenv("THRESHER_NATIVE", "0")
    # the kernel adds in order; NumPy's reduceat may pair additions differently: last-bit differences
    assert np.allclose(native, row_sums(ids, counts, table), rtol=1e-13, atol=1e-13)
    monkeypatch.setenv("THRESHER_NATIVE", "1")
    with pytest.raises(IndexError, match="outside the table's 500 rows"):
        row_sums(np.array([500]), np.array([1]), table)
    with pytest.raises(ValueError, match="more than len"):
        row_sums(np.array([1]), np.array([2]), table)


_ANALYSE = """
import json, sys
from thresher.pipeline import Pipeline
from thresher.signals._tokens import native_available
texts = json.loads(sys.stdin.read())
pipeline = Pipeline(policy="fineweb")
pipeline.policy.short_circuit = False
print(json.dumps({"native": native_available(), "out": [pipeline.analyze(text) for text in texts]}))
"""


@needs_native
def test_the_fineweb_policy_gives_the_same_analysis_with_and_without_the_kernel() -> None:
    import json
    import os
    import subprocess
    import sys

    texts = [
        "The council met on Tuesday to discuss the new budget.\nMembers argued for hours.\n\nNo vote was taken.",
        "Le conseil s'est réuni mardi pour discuter du nouveau budget. Aucun vote n'a eu lieu.",
        "RT @someone: lol ur so funny &#8220;smh&#8221; #winning http://t.co/x </s> more words here",
        "non\xa0breaking\u3000spaces and\x1cgroup separators, the same line the same line the same line",
        "",
        *_random_texts(9, 40),
    ]
    outputs = []
    for flag in ("1", "0"):
        environment = dict(os.environ, THRESHER_NATIVE=flag)
        result = subprocess.run(
            [sys.executable, "-c", _ANALYSE],
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            env=environment,
            check=True,
        )
        outputs.append(json.loads(result.stdout))
    assert [o["native"] for o in outputs] == [True, False]

    def rounded(value: object) -> object:  # row sums may differ in the last bits (see row_sums)
        if isinstance(value, float):
            return round(value, 9)
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        if isinstance(value, list):
            return [rounded(v) for v in value]
        return value

    assert rounded(outputs[0]["out"]) == rounded(outputs[1]["out"])


@pytest.mark.parametrize("native", BOTH)
def test_a_table_pickles_and_copies_with_its_ids(native: bool) -> None:
    import copy
    import pickle

    table = TokenTable("fasttext", native=native)
    table.lookup(["b a\xa0c", "d b"])
    for clone in (pickle.loads(pickle.dumps(table)), copy.deepcopy(table)):
        assert clone.strings == table.strings == ["b", "a\xa0c", "d"]
        assert clone.lookup(["d e b"])[0].tolist() == [2, 3, 0]
        assert clone.native is native


def test_the_fallbacks_str_split_shortcut_covers_every_white_space_fasttext_keeps() -> None:
    # The Python table reads fastText's tokens with str.split wherever the text holds no
    # character that str.split cuts at and fastText does not (or NUL, which fastText cuts at).
    split_by_python = [c for c in range(0x110000) if len(f"a{chr(c)}b".split()) != 1]
    kept_by_fasttext = [c for c in split_by_python if chr(c) not in " \n\r\t\v\f"]
    assert kept_by_fasttext and all(_tokens._NOT_FASTTEXT_SPLIT.search(chr(c)) for c in kept_by_fasttext)
    assert _tokens._NOT_FASTTEXT_SPLIT.search("\x00")


@needs_native
@pytest.mark.parametrize("mode", ["whitespace", "fasttext"])
def test_lookups_batched_past_the_prefetch_window_keep_first_appearance_ids(mode: str) -> None:
    """The C table hashes up to 16 chunks before looking them up: a chunk repeated inside one
    window, windows spanning texts of every str kind, and growth of the table in the middle of a
    window must give the ids one-at-a-time lookups give (the Python table's)."""
    words = [f"w{i % 23}" for i in range(40)] + [f"n{i}" for i in range(3000)]
    texts = [
        " ".join(words[:37]),  # 37 chunks: two full windows and a part, repeats within a window
        "é " + " ".join(words[37:1500]) + " 日本",  # latin-1, then two-byte
        " ".join(words[1500:]) + " 😀 x x x",  # four-byte, and past the table's first growth
        "",
        "a",
    ]
    native, python = TokenTable(mode, native=True), TokenTable(mode, native=False)
    for _ in range(2):  # registering, then all known
        got, want = native.lookup(texts, codes=True), python.lookup(texts, codes=True)
        for g, w in zip(got, want, strict=True):
            assert np.array_equal(g, w)
    assert native.strings == python.strings
    assert native.strings[:3] == ["w0", "w1", "w2"]
