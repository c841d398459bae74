"""The C tokenizer kernel (`thresher._native_words`) equals the Python splitter, token for token.

Hand-made chunks with spaCy 3.8's own tokens, the affix-program semantics on small made-up
rules (first prefix alternative wins, leftmost = longest suffix, look-arounds, runs), the
sentencizer effects and word facts with exact values, and the kernel against the Python
splitter on random chunks and on real crawl text. benchmarks/spacy_tokenizer_check.py runs the
same comparison over every distinct chunk of ../shared/data.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np
import pytest

from thresher.signals import _spacy_native
from thresher.signals._batch import WordTable
from thresher.signals._common import punctuation_table, token_facts
from thresher.signals.words import SpacyEnglishSplitter, _is_punct, read_derived, read_rules

pytestmark = pytest.mark.skipif(_spacy_native._native_words is None, reason="thresher._native_words is not built")
CRAWL = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "crawl" / "dolma_CC-MAIN-2019-30_697docs.jsonl.gz"
)

# chunk -> spaCy 3.8's tokens (spacy.blank("en"), recorded in the benchmark environment)
SPACY = {
    "Don't": ("Do", "n't"),
    "stop-believing,": ("stop", "-", "believing", ","),
    "Mr.": ("Mr.",),
    "U.S.": ("U.S.",),
    "(about": ("(", "about"),
    "1,200)": ("1,200", ")"),
    "arrived...": ("arrived", "..."),
    "5:30p.m.": ("5:30p.m", "."),
    "https://example.com/a?b=1": ("https://example.com/a?b=1",),
    '"hi".She': ('"', 'hi"', ".", "She"),
    "isn't": ("is", "n't"),
    "it:)": ("it", ":)"),
    "gonna": ("gon", "na"),
    "$5.99": ("$", "5.99"),
    "cheap!!": ("cheap", "!", "!"),
    "end.Next": ("end", ".", "Next"),
    "10km": ("10", "km"),
    "really.....": ("really", "....."),
    "Hello.": ("Hello", "."),
    "USA.": ("USA", "."),
    "x.": ("x.",),
    "mA.": ("mA.",),
}


def _pair(rules: dict | None = None) -> tuple[SpacyEnglishSplitter, SpacyEnglishSplitter]:
    """Two fresh splitters (own caches): one to run in Python, one through the kernel (from its
    first new chunk on)."""
    if rules is None:
        rules, crc = read_rules()
        derived = read_derived(crc)
        python_side, native_side = SpacyEnglishSplitter(rules, derived), SpacyEnglishSplitter(rules, derived)
    else:
        python_side, native_side = SpacyEnglishSplitter(rules), SpacyEnglishSplitter(rules)
    native_side.native_from = 0
    return python_side, native_side


def _python_tokens(splitter: SpacyEnglishSplitter, chunks: list[str]) -> list[tuple[str, ...]]:
    return [splitter.chunk_tokens(chunk) for chunk in chunks]


@pytest.fixture(autouse=True)
def _native_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THRESHER_NATIVE", "1")


def test_packaged_rules_compile_to_programs() -> None:
    rules, _ = read_rules()
    from thresher.signals.words import stored_patterns

    programs = _spacy_native.compile_rules(stored_patterns(rules))
    assert programs is not None
    assert programs.table.shape == (0x110000,)
    assert int(programs.prefix[0]) > 100 and int(programs.suffix[0]) > 200 and int(programs.infix[0]) > 10


@pytest.mark.parametrize("chunk", sorted(SPACY))
def test_kernel_gives_spacys_tokens(chunk: str) -> None:
    python_side, native_side = _pair()
    if chunk == "mA.":  # the Python fast path splits "letters + period" (kept for equal values)
        assert native_side.tokens_batch([chunk]) == python_side.tokens_batch([chunk]) == [("mA", ".")]
        return
    assert native_side.tokens_batch([chunk]) == [SPACY[chunk]]
    assert python_side.chunk_tokens(chunk) == SPACY[chunk]


def test_programs_are_compiled_only_past_native_from() -> None:
    python_side = _pair()[0]
    python_side.native_from = 5
    assert python_side.tokens_batch(["a,", "(b", "c.d"]) == [("a", ","), ("(", "b"), ("c.d",)]
    assert python_side._programs is False  # 3 new chunks: the Python path
    assert python_side.tokens_batch(["a,", "e-f", "(g)"]) == [("a", ","), ("e", "-", "f"), ("(", "g", ")")]
    assert python_side._programs is not False  # 3 + 2 new: compiled, and this batch ran in C


def test_tokens_batch_without_the_kernel_is_the_python_path(monkeypatch: pytest.MonkeyPatch) -> None:
    python_side, native_side = _pair()
    chunks = [*SPACY, "Mr.", "Mr.", "word,"]
    monkeypatch.setenv("THRESHER_NATIVE", "0")
    assert python_side.tokens_batch(chunks) == _python_tokens(_pair()[0], chunks)
    monkeypatch.setenv("THRESHER_NATIVE", "1")
    assert native_side.tokens_batch(chunks) == python_side.tokens_batch(chunks)
    assert native_side.tokens_batch(chunks[:3]) == python_side.tokens_batch(chunks[:3])  # from the cache


TOY_RULES = {
    # prefix: the first alternative that matches wins ("^a" before "^ab"), a look-ahead, a run
    "prefix": r"^a|^ab|^\+(?![0-9])|^\.\.+|^[(\[]",
    # suffix: leftmost (= longest) match, a look-behind, a run, a branch after a look-behind
    "suffix": r"\)$|\.\.+$|(?<=[0-9])(?:k|km|m)$|(?<=x)\.$|'s$|,$",
    # infix: a branch with a look-ahead, between classes
    "infix": r"(?<=[a-z])(?:-|--)(?=[a-z])|(?<=[0-9])[+*](?=[0-9-])|\.\.+",
    "rules": {"ab-c": ["ab", "-c"], "zz": ["z", "z"]},
    "sentencizer_punct_chars": [".", "!"],
}


def test_program_semantics_equal_pythons_regexes_on_toy_rules() -> None:
    python_side, native_side = _pair(TOY_RULES)
    assert native_side._native_programs() is not None
    rng = random.Random(4)
    alphabet = list("ab()[+-*.,x's019kmz") + ["--", "km", "ab-c", "zz", "..."]
    chunks = sorted({"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9))) for _ in range(20000)})
    assert native_side.tokens_batch(chunks) == _python_tokens(python_side, chunks)
    hand = {
        "abc1": ("a", "bc1"),  # "^a" is tried before "^ab"
        "+1": ("+1",),  # the look-ahead fails
        "+x": ("+", "x"),
        "...x": ("...", "x"),
        "12km": ("12", "km"),  # leftmost: "km" before "m"
        "xkm": ("xkm",),  # the look-behind needs a digit
        "x.": ("x", "."),
        "y.": ("y.",),
        "it's,": ("it", "'s", ","),
        "b-c": ("b", "-", "c"),
        "b--c": ("b", "--", "c"),  # "-" fails its look-ahead, "--" matches
        "1+2*3": ("1", "+", "2", "*", "3"),
        "(ab-c)": ("(", "ab", "-c", ")"),  # a special case inside affixes
        "(zz)": ("(", "z", "z", ")"),
    }
    assert native_side.tokens_batch(list(hand)) == list(hand.values())


@pytest.mark.parametrize(
    "pattern",
    [r"\w+$", r"(?i)a$", r"a*b$", r"[^a]$", r"(?<!a)b$", r"a(?=bc)$"],
)
def test_unsupported_patterns_leave_the_work_to_python(pattern: str) -> None:
    rules = dict(TOY_RULES, suffix=pattern)
    assert _spacy_native.compile_rules({"prefix": rules["prefix"], "suffix": pattern, "infix": rules["infix"]}) is None
    python_side, native_side = _pair(rules)
    assert native_side._native_programs() is None
    assert native_side.tokens_batch(["(ab", "xb."]) == _python_tokens(python_side, ["(ab", "xb."])


def test_kernel_equals_python_on_random_chunks() -> None:
    python_side, native_side = _pair()
    rng = random.Random(11)
    specials = sorted(python_side.specials)
    alphabet = list("aZé日д0159_@#$%&*+-=/\\|~^`'\".,;:!?()[]{}<>…–—‘’“”„«»°²€") + ["km", "'s", "U", "US", "..."]
    chunks = set()
    while len(chunks) < 20000:
        pieces = [
            rng.choice(specials) if rng.random() < 0.2 else rng.choice(alphabet) for _ in range(rng.randint(1, 7))
        ]
        chunks.add("".join(pieces))
    ordered = sorted(chunks)
    assert native_side.tokens_batch(ordered) == _python_tokens(python_side, ordered)


@pytest.mark.skipif(not CRAWL.exists(), reason="../shared/data/crawl is not reachable")
def test_kernel_equals_python_on_real_crawl_chunks() -> None:
    python_side, native_side = _pair()
    texts = []
    with gzip.open(CRAWL, "rt", encoding="utf-8") as handle:
        for line in handle:
            texts.append(json.loads(line).get("text") or "")
            if len(texts) == 150:
                break
    chunks = list(dict.fromkeys(chunk for text in texts for chunk in text.split()))
    assert len(chunks) > 10000
    assert native_side.tokens_batch(chunks) == _python_tokens(python_side, chunks)


def test_effects_exact_values() -> None:
    splitter = _pair()[0]
    tokens = [
        ("word",),
        (".",),
        ("end", "."),
        ("!", ")"),
        ("(", "Next"),
        (")",),
        ("x", "!", "y"),
        ("x", "...", "y"),
        (),
    ]
    out = np.zeros((len(tokens), 5), dtype=np.int64)
    _spacy_native._native_words.effects(tokens, splitter.punct_chars, _is_punct, out)
    assert out.tolist() == [
        [0, 0, 0, 1, 1],  # a word: starts a sentence after a sentence end
        [1, 0, 1, 0, 1],  # "." ends one
        [1, 0, 1, 1, 2],
        [1, 0, 1, 0, 2],  # ")" is punctuation: the state passes through it
        [0, 0, 0, 1, 2],
        [0, 0, 1, 0, 1],
        [0, 1, 0, 2, 3],
        [0, 0, 0, 1, 3],  # "..." is punctuation but not sentence-final
        [0, 0, 1, 0, 0],
    ]
    for row, chunk_tokens in zip(out.tolist(), tokens, strict=True):
        if len(chunk_tokens) == 0:
            continue
        splitter._cache[" ".join(chunk_tokens)] = chunk_tokens
        assert tuple(row) == tuple(int(v) for v in splitter._transition(" ".join(chunk_tokens)))


def test_word_facts_exact_values() -> None:
    words = ["word", "...", "#", "x1", "123", "—", "«»", "日本", "a.b", "_"]
    symbol = np.zeros(len(words), dtype=bool)
    alpha = np.zeros(len(words), dtype=bool)
    _spacy_native._native_words.word_facts(words, punctuation_table(), symbol, alpha)
    assert [(bool(s), bool(a)) for s, a in zip(symbol, alpha, strict=True)] == [token_facts(w) for w in words]
    assert symbol.tolist() == [False, True, True, False, False, True, True, False, False, True]
    assert alpha.tolist() == [True, False, False, True, False, False, False, True, True, False]


@pytest.mark.parametrize("native", ["1", "0"])
def test_word_table_facts_equal_either_way(native: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THRESHER_NATIVE", native)
    table = WordTable()
    words = ["The", "of", "...", "x-y", "日本", "and", "with", "#", "9"]
    table.encode(words)
    length, symbol, alpha, stop, _ = table.arrays()
    assert length.tolist() == [3, 2, 3, 3, 2, 3, 4, 1, 1]
    assert symbol.tolist() == [False, False, True, False, False, False, False, True, False]
    assert alpha.tolist() == [True, True, False, True, True, True, True, False, False]
    assert stop.tolist() == [-1, 3, -1, -1, -1, 4, 7, -1, -1]


def test_repeated_groups_kernel_equals_the_sorting_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    from thresher.signals._batch import _repeated_groups

    rng = np.random.default_rng(5)
    cases = [np.zeros(0, dtype=np.uint64), np.array([7], dtype=np.uint64), np.array([3, 3, 1, 3], dtype=np.uint64)]
    cases += [
        rng.integers(0, high, size=size, dtype=np.uint64) for high, size in ((5, 50), (1000, 3000), (2**63, 2000))
    ]
    cases.append(np.array([2**64 - 1, 0, 2**64 - 1, 0, 5], dtype=np.uint64))
    for key in cases:
        monkeypatch.setenv("THRESHER_NATIVE", "1")
        members, group, first, count = _repeated_groups(key)
        monkeypatch.setenv("THRESHER_NATIVE", "0")
        want_members, want_group, want_first, want_count = _repeated_groups(key)
        assert members.tolist() == want_members.tolist()
        # the same partition: each member's group has the same first index and size
        assert first[group].tolist() == want_first[want_group].tolist()
        assert count[group].tolist() == want_count[want_group].tolist()
        assert sorted(first.tolist()) == sorted(want_first.tolist())
    monkeypatch.setenv("THRESHER_NATIVE", "1")
    members, group, first, count = _repeated_groups(np.array([3, 3, 1, 3, 1, 2], dtype=np.uint64))
    assert (members.tolist(), group.tolist(), first.tolist(), count.tolist()) == (
        [0, 1, 2, 3, 4],
        [0, 0, 1, 0, 1],
        [0, 2],
        [3, 2],
    )
