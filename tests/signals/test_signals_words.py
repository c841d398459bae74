"""The spaCy-compatible splitter: expected tokens and sentence counts are spaCy 3.8's own output
(`spacy.blank("en")` + sentencizer, recorded from the benchmark environment)."""

from __future__ import annotations

import pytest

from thresher.signals.words import count_sentences, english_splitter, split_into_words

CASES = [
    (
        "Don't stop-believing, Mr. Smith!",
        ["Do", "n't", "stop", "-", "believing", ",", "Mr.", "Smith", "!"],
        1,
    ),
    (
        "U.S. troops (about 1,200) arrived... at 5:30p.m.",
        ["U.S.", "troops", "(", "about", "1,200", ")", "arrived", "...", "at", "5:30p.m", "."],
        1,
    ),
    ("Visit https://example.com/a?b=1 now.", ["Visit", "https://example.com/a?b=1", "now", "."], 1),
    ('He said "hi".She left.', ["He", "said", '"', 'hi"', ".", "She", "left", "."], 2),
    ("e.g. this isn't it:)", ["e.g.", "this", "is", "n't", "it", ":)"], 1),
    ("gonna wanna", ["gon", "na", "wanna"], 1),
    ("I'm   here\n\nok", ["I", "'m", "here", "ok"], 1),
    ("It cost $5.99 -- cheap!!", ["It", "cost", "$", "5.99", "--", "cheap", "!", "!"], 1),
    ("end.Next one", ["end", ".", "Next", "one"], 2),
    (
        "Hello world. How are you? Fine... thanks! Bye.",
        ["Hello", "world", ".", "How", "are", "you", "?", "Fine", "...", "thanks", "!", "Bye", "."],
        4,
    ),
]


@pytest.mark.parametrize(("text", "words", "sentences"), CASES)
def test_words_and_sentences_match_spacy(text: str, words: list[str], sentences: int) -> None:
    assert split_into_words(text) == words
    assert count_sentences(text) == sentences


def test_empty_text() -> None:
    assert split_into_words("") == []
    assert split_into_words(" \n\t ") == []
    assert count_sentences("") == 0


def test_find_suffix_window_equals_full_search() -> None:
    splitter = english_splitter()
    cases = {
        "word": 0,
        "word,": 1,
        "really.....": 5,  # the unbounded run alternative, longer than the search window
        "ab..": 2,
        "10km": 2,
        "100mph": 3,
        "U.S.": 0,  # a period after a capital letter is no suffix
        "etc.": 1,
        "it's": 2,
        "end!!": 1,
        "http://example.com/path),": 1,
    }
    for text, length in cases.items():
        match = splitter._suffix(text)
        assert (match.end() - match.start() if match else 0) == length, text
        assert splitter._find_suffix(text) == length, text


def test_batched_sentences_and_words_equal_the_per_line_counts() -> None:
    import copy
    import random

    splitter = copy.deepcopy(english_splitter())  # its own chunk tables, as a fresh process has
    lines = [case[0] for case in CASES] + ["", " ", "a  b", " lead", "trail ", "tab\there", "x\u3000y. Z"]
    pieces = ["Mr.", "end.", "Next", "one", "!", "...", "(", ")", '"', "U.S.", "ok?", "--", "e.g.", "it:)", "5:30p.m."]
    rng = random.Random(2)
    lines += [" ".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(300)]
    for batch in (lines, lines[::-1], lines[:50]):  # again: chunks now known, effects reused
        sentences, words = splitter.sentences_and_words_batch(batch)
        assert list(zip(sentences.tolist(), words.tolist(), strict=True)) == [
            splitter.sentences_and_words(line) for line in batch
        ]
        assert sentences.tolist() == [splitter.sentence_count(line) for line in batch]


def test_handle_fast_path_equals_the_full_algorithm() -> None:
    import random

    splitter = english_splitter()
    rng = random.Random(8)
    letters = list("abcdefghijklmnopqrstuvwxyzABCXYZ") + ["é", "ß", "ñ", "д", "日"]
    chunks = ["@a", "@ab", "@a.", "@ab.", "@abc.", "@Mr", "@Mr.", "@U", "@e.g", "@user:", "@user's", "@user_:"]
    for _ in range(3000):
        name = "@" + "".join(rng.choice(letters) for _ in range(rng.randint(1, 12)))
        chunks.append(name + rng.choice(["", "", ",", ".", ";", ":", "!", "?", '"', "'", ")"]))
    for chunk in chunks:
        splitter._cache.pop(chunk, None)
        expected = splitter._tokenize_chunk(chunk)
        if len(expected) > 1 or chunk not in splitter.specials:
            expected = splitter._apply_matcher(expected)
        assert splitter.chunk_tokens(chunk) == tuple(expected), chunk
    assert splitter.chunk_tokens("@user:") == ("@user", ":")
