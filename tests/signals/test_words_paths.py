"""The splitter's paths that run with or without the C kernel: the URL rule's rewrite for long
texts, c4's batch sentence counts with white-space tokens folded into chunks, Gopher's power
table. Each is compared with the plain reference it replaces."""

from __future__ import annotations

import random

import numpy as np
import pytest

from thresher.signals._batch import _B, _B_INV, _power_table
from thresher.signals.words import SpacyEnglishSplitter, read_derived, read_rules


def _splitter() -> SpacyEnglishSplitter:
    rules, crc = read_rules()
    return SpacyEnglishSplitter(rules, read_derived(crc))


def test_long_blob_url_rule_rewrite_gives_the_same_answer() -> None:
    splitter = _splitter()
    assert splitter._url is not None
    texts = [
        "a" * 70 + ".com",
        "user:pw@" + "b" * 70 + ".org/x",
        "x:" * 40 + "@example.com",
        "{" + '"k":"v",' * 20 + "}",
        "http://" + "c" * 80 + ".net:8080/path?q=1",
        "@" * 70 + "a.io",
        "mail:me@" + "d" * 60 + "@e.com",
    ]
    for text in texts:
        assert len(text) > 64
        assert splitter._url_match(text) == (splitter._url(text) is not None), text


@pytest.mark.parametrize("native", ["1", "0"])
def test_batch_sentences_with_white_space_tokens_equal_the_per_line_path(
    native: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines with tabs, double spaces, leading or trailing white space, or other white space take
    the batch path with each white-space token folded into one chunk; counts are unchanged."""
    monkeypatch.setenv("THRESHER_NATIVE", native)
    splitter = _splitter()
    lines = [
        "End.\tNext",
        "End. \tNext",
        "end.  Next",
        " Lead. x",
        "\tLead",
        "trail. ",
        "trail.\t",
        "x.\u3000Y",
        " ",
        "\t",
        "a.\n\nb",
        "One. \u2028Two",
        "x. \ufffe y",
        "\ufffe",
        "Mr.  Smith went.   He left.  ",
        "a \t b",
    ]
    rng = random.Random(3)
    pieces = ["end.", "Next", "!", "(", ")", "U.S.", "ok?", " ", "\t", "  ", "\u00a0", "x"]
    lines += [
        "".join(rng.choice(pieces) + rng.choice([" ", "", "\t"]) for _ in range(rng.randint(1, 10))) for _ in range(400)
    ]
    sentences, words = splitter.sentences_and_words_batch(lines)
    expected = [splitter.sentences_and_words(line) for line in lines]
    assert list(zip(sentences.tolist(), words.tolist(), strict=True)) == expected
    assert expected[:3] == [(2, 3), (2, 3), (2, 3)]
    assert expected[8:10] == [(1, 0), (1, 0)]


def test_power_table_equals_the_running_product() -> None:
    for base in (_B, _B_INV):
        for size in (1, 2, 1023, 1024, 1025, 5000):
            running = np.full(size, base, dtype=np.uint64)
            running[0] = 1
            assert np.array_equal(_power_table(base, size), np.cumprod(running, dtype=np.uint64)), size


def test_single_space_test_equals_the_other_space_regex() -> None:
    """sentences_and_words_batch tells lines with only single spaces between chunks by
    `" ".join(line.split()) == line` instead of `_OTHER_SPACE`: the same answer."""
    from thresher.signals.words import _OTHER_SPACE

    rng = random.Random(6)
    alphabet = ["a", "b", ".", " ", " ", "\t", "\n", "\r", "\u3000", "\xa0", "\x1c", "\x85", "\u2028", "\x00"]
    lines = ["a b", " a", "a ", "a  b", "a\tb", "a\u00a0b", " ", "a b c"]
    lines += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(20000)]
    for line in lines:
        assert (" ".join(line.split()) == line) == (_OTHER_SPACE.search(line) is None), repr(line)
