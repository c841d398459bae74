"""The word splitter's start-up data (`spacy_en_tokenizer.derived.json.gz`) against what it derives itself.

The derived file spares a fresh process the special-case matcher (~1,350 tokenizations) and
the compilation of its regular expressions; a splitter built from it must be the splitter
built from the rules alone, and the file must follow the rules (re-run
`training/derive_spacy_en_tokenizer.py` after exporting new rules).
"""

from __future__ import annotations

import re

import pytest

from thresher._stored_re import compile_stored, export, interpreter_key
from thresher.signals import words


@pytest.fixture(scope="module")
def rules_and_derived() -> tuple[dict, dict]:
    rules, crc = words.read_rules()
    derived = words.read_derived(crc)
    assert derived is not None, "the derived file is stale or missing: run training/derive_spacy_en_tokenizer.py"
    return rules, derived


def test_derived_file_equals_what_the_rules_give(rules_and_derived: tuple[dict, dict]) -> None:
    rules, derived = rules_and_derived
    fresh = words.derive(rules)
    assert derived["matcher"] == fresh["matcher"]
    assert derived["suffix_shape"] == fresh["suffix_shape"]
    assert derived["patterns"] == fresh["patterns"]


def test_stored_regex_code_is_this_interpreters_compile(rules_and_derived: tuple[dict, dict]) -> None:
    _, derived = rules_and_derived
    stored = derived["regex_code"].get(interpreter_key())
    if stored is None:
        pytest.skip(f"no regex code stored for {interpreter_key()} (the splitter compiles the patterns)")
    for name, pattern in derived["patterns"].items():
        assert stored[name] == export(pattern), name
        # Pattern equality compares the flags, the pattern and the compiled code
        assert compile_stored(pattern, stored[name]) == re.compile(pattern), name


def test_splitter_from_the_derived_file_equals_the_computed_one(rules_and_derived: tuple[dict, dict]) -> None:
    rules, derived = rules_and_derived
    loaded = words.SpacyEnglishSplitter(rules, derived)
    computed = words.SpacyEnglishSplitter(rules)
    for name in ("_prefix", "_suffix", "_infix", "_url"):
        assert getattr(loaded, name).__self__ == getattr(computed, name).__self__, name
    assert loaded._final_char == computed._final_char
    assert loaded._matcher == computed._matcher
    assert (loaded._suffix_window, loaded._suffix_runs) == (computed._suffix_window, computed._suffix_runs)
    text = "Don't stop-believing, Mr. Smith! U.S. troops (about 1,200) arrived... at 5:30p.m. e.g. it:) 10km"
    assert loaded.words(text) == computed.words(text)
    assert loaded.sentence_count(text) == computed.sentence_count(text)


def test_stale_derived_data_is_ignored() -> None:
    _, crc = words.read_rules()
    assert words.read_derived(crc + 1) is None


def test_stored_code_is_used_only_for_its_pattern_and_flags() -> None:
    pattern = r"(?P<word>[^\W\d_]+)(?:'s)?"
    stored = export(pattern)
    assert compile_stored(pattern, stored) == re.compile(pattern)
    assert compile_stored(pattern, stored).groupindex == {"word": 1}
    # another pattern or other flags: compiled from source, not from the stored code
    assert compile_stored(r"\d+", stored) == re.compile(r"\d+")
    assert compile_stored(pattern, stored, re.IGNORECASE) == re.compile(pattern, re.IGNORECASE)
    # code the engine rejects: compiled from source
    broken = [*stored[:2], [0, 1, 2], *stored[3:]]
    assert compile_stored(pattern, broken) == re.compile(pattern)
    assert compile_stored(pattern, None) == re.compile(pattern)
