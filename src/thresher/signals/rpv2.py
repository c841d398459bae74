"""RedPajama-v2's rule-based quality signals, value for value, under RPv2's names (`rps_*`).

RedPajama-v2 (Together AI, 2023) published its signals with 30T tokens so users could pick
their own thresholds and mix corpora; a signal carrying RPv2's name must hold RPv2's number,
so each value here is the one RPv2's code (RedPajama-Data `app/src/core`, commit 6d2cee9d)
computes, edge cases included. `benchmarks/parity_rpv2.py` runs that code beside this one.
What RPv2 reads, which is what makes the numbers differ from look-alike definitions:

- three views of a document: the raw text; its *normalised words* (ASCII punctuation deleted,
  lower-cased, white space collapsed, NFD, split on white space); its raw *tokens* (nltk
  3.8.1's WordPunctTokenizer, Python `re` `\\w+|[^\\w\\s]+`, so "don't" is three tokens);
- its lines `[^\\n]*\\n|[^\\n]+$`: a line keeps its "\\n" (it counts in a line's length),
  blank lines count, a text ending in "\\n" has no empty last line;
- ratios rounded to 8 decimals, as RPv2 stores them; where a denominator is 0 the value is
  None or 0.0 exactly as RPv2's is (None: word-ratio signals and the ellipsis-line fraction;
  0.0: n-gram, curly-bracket, lorem-ipsum, stop-word and bad-word signals);
- the top n-gram is Counter.most_common's: ties go to the n-gram seen first, and an n-gram
  seen only once scores 0.0.

`rps_lines_*` are per segment: the values of the RPv2 line the segment lies in (under the
line segmenter a segment is one non-blank line, stripped).

Not computed: RPv2's ML classifier and importance-weight signals (they need RPv2's trained
files). `rps_doc_ut1_blacklist` needs UT1's domain index, which does not ship and cannot be
fetched here: point THRESHER_UT1_INDEX at your own `domain_to_category_id.json` (RPv2's
`artifacts/update_resources.py` builds it from UT1's blacklists); without it the value is None.

Speed: one regex pass gives the tokens and one gives the normalised words; per-line values
come from NumPy prefix sums over the document's code points (one pass per document, not
one Python loop per line); n-grams longer than 2 are only formed where the (n-1)-gram
before them repeats, since an n-gram seen once cannot make a longer one repeat.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import string
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from thresher.annotator import SignalSpec
from thresher.document import Document
from thresher.signals._common import spec

PRECISION = 8
# Deleting ASCII punctuation with one regex is ~2x faster than str.translate's per-character
# table lookups on web text (most lines hold a non-ASCII character, which defeats translate's fast path).
_PUNCT = re.compile("[" + re.escape(string.punctuation) + "]+")
_WORDPUNCT = re.compile(r"\w+|[^\w\s]+")
# A token holds an ASCII letter only if it is a `\w+` token; this finds each such token once
# (from its first ASCII letter to its end), so the matches count them.
_ASCII_LETTER_TOKEN = re.compile(r"[a-zA-Z]\w*")
_SENTENCE = re.compile(r"\b[^.!?]+[.!?]*")
# A line whose right-stripped text ends with an ellipsis: at most one match a line.
_ELLIPSIS_LINE = re.compile(r"(?:\.\.\.|\u2026)[^\S\n]*$", re.MULTILINE)
_LOREM = re.compile("lorem ipsum", re.IGNORECASE)
BULLETS = ("\u2022", "\u2023", "\u25b6", "\u25c0", "\u25e6", "\u25a0", "\u25a1", "\u25aa", "\u25ab", "\u2013")
TERMINAL = (".", "!", "?", "\u201d")
SYMBOLS = ("#", "...", "\u2026")
TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)
LANGUAGES = ("en", "fr", "it", "es", "de")
UT1_SETTING = "THRESHER_UT1_INDEX"
_BULLET_CODES = np.array([ord(c) for c in BULLETS], dtype=np.uint32)
_TERMINAL_CODES = np.array([ord(c) for c in TERMINAL], dtype=np.uint32)
# Code points past these ranges are unassigned or private use in Python 3.11's Unicode 14:
# not space, not upper-case, not numeric, their own lower case and NFD
# (tests/signals/test_rpv2_counting.py checks this against every code point).
_ASSIGNED = (range(0, 0x40000), range(0xE0000, 0xE1000))
_SPACE = 1
_ASCII_PUNCT = 2
_UPPER = 4

Value = float | int | bool | None


@dataclass(frozen=True, slots=True)
class CharTables:
    """Per code point facts, so a document's counts are NumPy gathers instead of str calls."""

    flags: np.ndarray  # uint8: _SPACE (str.isspace), _ASCII_PUNCT, _UPPER (str.isupper)
    normalized_length: np.ndarray  # uint8: len(NFD(c.lower())), 0 where normalisation drops c
    normalized_numeric: np.ndarray  # uint8: str.isnumeric characters in NFD(c.lower())


@cache
def char_tables() -> CharTables:
    """Built once per process (~0.3 s), from the str methods themselves."""
    size = sys.maxunicode + 1
    flags = np.zeros(size, dtype=np.uint8)
    length = np.ones(size, dtype=np.uint8)
    numeric = np.zeros(size, dtype=np.uint8)
    for block in _ASSIGNED:
        chars = list(map(chr, block))
        count = len(chars)
        lowered = map(str.lower, chars)
        decomposed = list(map(partial(unicodedata.normalize, "NFD"), lowered))
        lengths = np.fromiter(map(len, decomposed), dtype=np.int64, count=count)
        joined = "".join(decomposed)
        numeric_chars = np.fromiter(map(str.isnumeric, joined), dtype=np.uint8, count=len(joined))
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        numeric[block.start : block.stop] = np.add.reduceat(numeric_chars, starts)
        length[block.start : block.stop] = lengths
        space = np.fromiter(map(str.isspace, chars), dtype=bool, count=count)
        upper = np.fromiter(map(str.isupper, chars), dtype=bool, count=count)
        flags[block.start : block.stop] = space * _SPACE + upper * _UPPER
    punct = np.array([ord(c) for c in string.punctuation])
    flags[punct] |= _ASCII_PUNCT
    length[(flags & (_SPACE | _ASCII_PUNCT)) != 0] = 0
    return CharTables(flags=flags, normalized_length=length, normalized_numeric=numeric)


@cache
def code_point_table(predicate: Callable[[str], bool]) -> np.ndarray:
    """A boolean per Unicode code point: does `predicate` (e.g. `str.isupper`) hold for it."""
    every_character = "".join(map(chr, range(sys.maxunicode + 1)))
    return np.array(list(map(predicate, every_character)), dtype=bool)


def code_points(text: str) -> np.ndarray:
    """The code points of `text` as uint32 (lone surrogates kept as their own values)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def prefix_counts(table: np.ndarray, points: np.ndarray) -> np.ndarray:
    """counts[i] = characters among the first i that `table` marks; spans subtract two entries."""
    return np.concatenate(([0], np.cumsum(table[points], dtype=np.int64)))


def rounded(numerator: float, denominator: float) -> float:
    """RPv2's stored ratio: the float division, rounded to 8 decimals (Python's round)."""
    return round(numerator / denominator, PRECISION)


def wordpunct_tokens(text: str) -> list[str]:
    """nltk 3.8.1's WordPunctTokenizer: runs of word characters or of other non-space characters."""
    return _WORDPUNCT.findall(text)


def normalized_words(text: str) -> list[str]:
    """RPv2's normalised words: ASCII punctuation deleted, lower-cased, NFD, split on white space.

    RPv2 also strips and collapses white space before NFD; NFD neither makes nor removes
    white space, so the words are the same.
    """
    return unicodedata.normalize("NFD", _PUNCT.sub("", text).lower()).split()


def normalize(text: str) -> str:
    """RPv2's normalised text: the normalised words joined by one space."""
    return " ".join(normalized_words(text))


def unigram_entropy(words: list[str]) -> float | None:
    """Shannon entropy (natural log) of the word distribution, rounded; None without words."""
    if not words:
        return None
    return _entropy(_first_ids(words)[0], len(words))


def _entropy(ids: np.ndarray, total: int) -> float:
    counts = np.bincount(ids)
    p = counts[counts > 0] / total
    return round(float(-(p * np.log(p)).sum()), PRECISION)


def _first_ids(words: list[str]) -> tuple[np.ndarray, dict[str, int]]:
    """Each word's id (the index of its first occurrence), and word -> id for the distinct words."""
    first_seen: dict[str, int] = {}
    ids = np.fromiter(map(first_seen.setdefault, words, itertools.count()), dtype=np.int64, count=len(words))
    return ids, first_seen


def ngram_char_fractions(words: list[str], ids: np.ndarray | None = None) -> dict[str, float]:
    """RPv2's top n-gram (n=2..4) and duplicated n-gram (n=5..10) character fractions.

    Characters are those of the words (no spaces). Top: the most common n-gram (ties: the
    first seen), its characters times its count; 0.0 when no n-gram occurs twice. Duplicated:
    characters of the words covered by an n-gram occurring more than once, each word once.
    0.0 with fewer than n words.

    An n-gram can only repeat where the (n-1)-gram it starts with repeats, so each n keeps
    just those start positions and gives each n-gram an exact id from the pair
    (id of its (n-1)-gram prefix, id of its last word): no hashing, no collisions.
    """
    out = {f"rps_doc_frac_chars_top_{n}gram": 0.0 for n in TOP_NGRAMS}
    out.update({f"rps_doc_frac_chars_dupe_{n}grams": 0.0 for n in DUP_NGRAMS})
    count = len(words)
    if count < 2:
        return out
    if ids is None:
        ids, _ = _first_ids(words)
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=count)
    cumulative = np.concatenate(([0], np.cumsum(lengths)))
    total = int(cumulative[-1])
    # Start positions of the repeated (n-1)-grams and their ids, for n = 2: repeated words.
    positions = np.flatnonzero(np.bincount(ids)[ids] > 1)
    gram = ids[positions]
    for n in range(2, DUP_NGRAMS[-1] + 1):
        keep = positions <= count - n
        positions, gram = positions[keep], gram[keep]
        if positions.size == 0:
            break
        keys = gram * count + ids[positions + n - 1]
        _, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
        repeated = counts[inverse] > 1
        if n in TOP_NGRAMS:
            best = int(counts.max())
            if best > 1:
                start = int(positions[first[counts == best].min()])
                chars = int(cumulative[start + n] - cumulative[start])
                out[f"rps_doc_frac_chars_top_{n}gram"] = rounded(chars * best, total)
        if n in DUP_NGRAMS and repeated.any():
            starts = positions[repeated]
            cover = np.zeros(count + 1, dtype=np.int64)
            cover[starts] += 1
            cover[starts + n] -= 1
            covered = np.cumsum(cover[:-1]) > 0
            out[f"rps_doc_frac_chars_dupe_{n}grams"] = rounded(int(lengths[covered].sum()), total)
        positions, gram = positions[repeated], inverse[repeated]
    return out


@cache
def stop_words(language: str) -> frozenset[str] | None:
    """RPv2's stop words for `language` (case-sensitive), None outside RPv2's five languages."""
    path = resources.files("thresher") / "models" / "rpv2_stop_words.json"
    words = json.loads(path.read_text(encoding="utf-8"))["languages"].get(language)
    return None if words is None else frozenset(words)


@dataclass(frozen=True, slots=True)
class BadWords:
    """An LDNOOBW list as RPv2 matches it: entries as written, against normalised word n-grams."""

    entries: frozenset[str]
    first_words: frozenset[str]  # first word of each entry of two or more words
    sizes: tuple[int, ...]  # distinct entry lengths in words (1 + spaces, as RPv2 counts)


@cache
def bad_words(language: str) -> BadWords | None:
    """The LDNOOBW list of `language`, None outside RPv2's five languages.

    Entries are compared as written, as RPv2 does: normalised words are lower-cased and
    NFD, so an entry with a capital or a precomposed accent ("MILF", "dödel") never matches.
    """
    path = resources.files("thresher") / "models" / "ldnoobw.json"
    entries = json.loads(path.read_text(encoding="utf-8"))["languages"].get(language)
    if entries is None:
        return None
    sizes = tuple(sorted({1 + entry.count(" ") for entry in entries}))
    first = frozenset(entry.split(" ")[0] for entry in entries if " " in entry)
    return BadWords(entries=frozenset(entries), first_words=first, sizes=sizes)


def ldnoobw_count(words: list[str], lists: BadWords) -> int:
    """Word n-grams (n = each entry length in the list) that are list entries."""
    found = sum(map(lists.entries.__contains__, words)) if 1 in lists.sizes else 0
    longer = [n for n in lists.sizes if n > 1]
    if longer:
        for i in itertools.compress(itertools.count(), map(lists.first_words.__contains__, words)):
            for n in longer:
                if i + n <= len(words) and " ".join(words[i : i + n]) in lists.entries:
                    found += 1
    return found


def rps_document_signals(text: str, language: str = "en") -> dict[str, Value]:
    """RPv2's document-level rule-based signals of `text` (all but `rps_doc_ut1_blacklist`).

    `language` picks the stop-word and LDNOOBW lists; outside RPv2's five languages those
    two signals are None.
    """
    return _document_signals(text, language)[0]


def _document_signals(text: str, language: str) -> tuple[dict[str, Value], bool]:
    """The document signals, and whether a normalised word is "javascript" (for the lines)."""
    words = normalized_words(text)
    tokens = _WORDPUNCT.findall(text)
    n_words = len(words)
    n_tokens = len(tokens)
    ids, vocabulary = _first_ids(words)
    chars = sum(map(len, words))
    normalized_length = chars + n_words - 1 if n_words else 0
    lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
    braces = text.count("{") + text.count("}")
    out: dict[str, Value] = {
        "rps_doc_word_count": n_words,
        "rps_doc_mean_word_length": rounded(chars, n_words) if n_words else None,
        "rps_doc_num_sentences": len(_SENTENCE.findall(text)),
        "rps_doc_frac_unique_words": rounded(len(vocabulary), n_words) if n_words else None,
        "rps_doc_unigram_entropy": _entropy(ids, n_words) if n_words else None,
        "rps_doc_symbol_to_word_ratio": (rounded(sum(map(text.count, SYMBOLS)), n_tokens) if n_tokens else None),
        "rps_doc_frac_all_caps_words": (rounded(sum(map(str.isupper, tokens)), n_tokens) if n_tokens else None),
        "rps_doc_frac_no_alph_words": (
            round(1.0 - len(_ASCII_LETTER_TOKEN.findall(text)) / n_tokens, PRECISION) if n_tokens else None
        ),
        "rps_doc_frac_lines_end_with_ellipsis": (rounded(len(_ELLIPSIS_LINE.findall(text)), lines) if lines else None),
        "rps_doc_curly_bracket": rounded(braces, len(text)) if braces else 0.0,
        "rps_doc_lorem_ipsum": 0.0,
        "rps_doc_stop_word_fraction": None,
        "rps_doc_ldnoobw_words": None,
    }
    if n_words:
        normalized = " ".join(words)
        if "lorem ipsum" in normalized:
            out["rps_doc_lorem_ipsum"] = rounded(len(_LOREM.findall(normalized)), normalized_length)
    stops = stop_words(language)
    if stops is not None:
        out["rps_doc_stop_word_fraction"] = rounded(sum(map(stops.__contains__, tokens)), n_tokens) if n_words else 0.0
    lists = bad_words(language)
    if lists is not None:
        out["rps_doc_ldnoobw_words"] = ldnoobw_count(words, lists) if n_words else 0
    out.update(ngram_char_fractions(words, ids))
    return out, "javascript" in vocabulary


LINE_SIGNALS = (
    "rps_lines_num_words",
    "rps_lines_javascript_counts",
    "rps_lines_ending_with_terminal_punctution_mark",
    "rps_lines_start_with_bulletpoint",
    "rps_lines_numerical_chars_fraction",
    "rps_lines_uppercase_letter_fraction",
)


@dataclass(slots=True)
class Lines:
    """RPv2's lines of a text (`[start, end)`, each with its "\\n") and their signal values."""

    starts: np.ndarray
    ends: np.ndarray
    values: list[tuple[int, int, bool, bool, float, float]]  # one tuple a line, in LINE_SIGNALS order


def rps_lines(text: str, javascript: bool | None = None) -> Lines:
    """RPv2's per-line signals of every line of `text`, from prefix sums over its code points.

    A line's normalised text has its content characters (neither white space nor ASCII
    punctuation), each as long as its NFD lower case, and one space between words, so its
    length and numeric characters are differences of prefix sums. `javascript` False says
    no normalised word of the text is "javascript" (then no line is scanned for it).
    """
    points = code_points(text)
    size = len(points)
    newlines = np.flatnonzero(points == 10)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines + 1, [size]))
    if starts[-1] == size:
        starts, ends = starts[:-1], ends[:-1]
    if starts.size == 0:
        return Lines(starts, ends, [])
    tables = char_tables()
    flags = tables.flags[points]
    upper = np.concatenate(([0], np.cumsum((flags & _UPPER) != 0)))
    upper_fraction = (upper[ends] - upper[starts]) / (ends - starts)
    kept_length = prefix_counts(tables.normalized_length, points)
    numeric = prefix_counts(tables.normalized_numeric, points)
    space = (flags & _SPACE) != 0
    content = np.flatnonzero((flags & (_SPACE | _ASCII_PUNCT)) == 0)
    # A normalised word is a white-space run holding a content character: keep the first
    # content character of each run.
    run_start = ~space
    run_start[1:] &= space[:-1]
    run = np.cumsum(run_start)[content]
    first = np.ones(content.size, dtype=bool)
    first[1:] = run[1:] != run[:-1]
    word_starts = content[first]
    words = np.searchsorted(word_starts, ends) - np.searchsorted(word_starts, starts)
    length = kept_length[ends] - kept_length[starts] + np.maximum(words - 1, 0)
    numerals = numeric[ends] - numeric[starts]
    numerical = np.divide(numerals, length, out=np.zeros(len(starts)), where=length > 0)
    visible = np.flatnonzero(~space)
    terminal = np.zeros(len(starts), dtype=bool)
    bullet = np.zeros(len(starts), dtype=bool)
    if visible.size:
        last = visible[np.maximum(np.searchsorted(visible, ends) - 1, 0)]
        terminal = (last >= starts) & (last < ends) & np.isin(points[last], _TERMINAL_CODES)
        at = np.minimum(np.searchsorted(visible, starts), visible.size - 1)
        head = visible[at]
        bullet = (head >= starts) & (head < ends) & np.isin(points[head], _BULLET_CODES)
    if javascript is None:
        javascript = "javascript" in normalized_words(text)
    if javascript:
        script = [normalized_words(text[s:e]).count("javascript") for s, e in zip(starts, ends, strict=True)]
    else:
        script = [0] * len(starts)
    values = list(
        zip(
            words.tolist(),
            script,
            terminal.tolist(),
            bullet.tolist(),
            list(map(round, numerical.tolist(), itertools.repeat(PRECISION))),
            list(map(round, upper_fraction.tolist(), itertools.repeat(PRECISION))),
            strict=True,
        )
    )
    return Lines(starts, ends, values)


def rps_line_signals(line: str) -> dict[str, Value]:
    """RPv2's per-line signals of one line (its trailing "\\n", if any, is part of it)."""
    lines = rps_lines(line)
    if not lines.values:  # the empty line: RPv2's values for an empty slice
        return dict(zip(LINE_SIGNALS, (0, 0, False, False, 0.0, 0.0), strict=True))
    if len(lines.values) > 1:
        raise ValueError(f"rps_line_signals takes one line; got {len(lines.values)} (a '\\n' before the end)")
    return dict(zip(LINE_SIGNALS, lines.values[0], strict=True))


class UT1IndexError(ValueError):
    """THRESHER_UT1_INDEX names a file that cannot be used; the message says how to fix it."""


@cache
def ut1_index(path: str) -> dict[str, int]:
    """RPv2's UT1 index (`domain_to_category_id.json`: domain -> category id), read once."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UT1IndexError(
            f"{UT1_SETTING}={path}: cannot read the UT1 index ({error}). Point it at the "
            "domain_to_category_id.json that RPv2's artifacts/update_resources.py builds from UT1's "
            f"blacklists, or unset {UT1_SETTING} (rps_doc_ut1_blacklist is then None)."
        ) from error
    if not isinstance(data, dict) or not all(isinstance(v, int) for v in data.values()):
        raise UT1IndexError(
            f"{UT1_SETTING}={path}: expected a JSON object of domain -> integer category id "
            "(RPv2's domain_to_category_id.json); got something else. Fix the file or unset the setting."
        )
    return data


def ut1_category(url: str | None, index: dict[str, int]) -> int | None:
    """The UT1 category id of the URL's domain (its netloc, as CCNet's `source_domain`)."""
    if not url:
        return None
    try:
        domain = urlsplit(url).netloc
    except ValueError:  # a malformed URL has no domain to look up
        return None
    return index.get(domain)


def _language(document: Document) -> str:
    """The document's language from `signals.language` when it ran, else English (RPv2's first)."""
    language = document.analysis.signals.get("language")
    return language if isinstance(language, str) else "en"


_WHICH_LINE = "of the RPv2 line holding the segment"


class RedPajamaSignals:
    """Writes RedPajama-v2's rule-based `rps_doc_*` (document) and `rps_lines_*` (segment) signals."""

    name = "signals.rpv2"
    signals: tuple[SignalSpec, ...] = (
        spec("rps_doc_word_count", "int", "normalised words (ASCII punctuation deleted, lower case, NFD)"),
        spec("rps_doc_mean_word_length", "float", "mean length of normalised words"),
        spec("rps_doc_num_sentences", "int", "sentences (RPv2's regular expression)"),
        spec("rps_doc_frac_unique_words", "float", "distinct normalised words / words"),
        spec("rps_doc_unigram_entropy", "float", "entropy of the normalised word distribution"),
        spec("rps_doc_symbol_to_word_ratio", "float", "'#', '...' and '…' per WordPunct token"),
        spec("rps_doc_frac_all_caps_words", "float", "WordPunct tokens in capitals (str.isupper)"),
        spec("rps_doc_frac_no_alph_words", "float", "WordPunct tokens without an ASCII letter"),
        spec("rps_doc_frac_lines_end_with_ellipsis", "float", "lines ending with '...' or '…'"),
        spec("rps_doc_curly_bracket", "float", "'{' and '}' per character"),
        spec("rps_doc_lorem_ipsum", "float", "'lorem ipsum' per normalised character"),
        spec(
            "rps_doc_stop_word_fraction",
            "float",
            "WordPunct tokens in RPv2's stop-word list of the language (en fr it es de; case-sensitive)",
        ),
        spec(
            "rps_doc_ldnoobw_words",
            "int",
            "normalised word n-grams in the LDNOOBW list of the language (en fr it es de)",
        ),
        spec(
            "rps_doc_ut1_blacklist",
            "int",
            f"UT1 category id of the URL's domain; UT1's index does not ship: set {UT1_SETTING} to your copy",
        ),
        *(
            spec(f"rps_doc_frac_chars_top_{n}gram", "float", f"characters in the most common {n}-gram")
            for n in TOP_NGRAMS
        ),
        *(spec(f"rps_doc_frac_chars_dupe_{n}grams", "float", f"characters in repeated {n}-grams") for n in DUP_NGRAMS),
        spec("rps_lines_num_words", "int", f"normalised words {_WHICH_LINE}", "segment"),
        spec("rps_lines_javascript_counts", "int", f"normalised words 'javascript' {_WHICH_LINE}", "segment"),
        spec(
            "rps_lines_ending_with_terminal_punctution_mark",
            "bool",
            f"the line ends with . ! ? or ” (RPv2's spelling), {_WHICH_LINE}",
            "segment",
        ),
        spec("rps_lines_start_with_bulletpoint", "bool", f"starts with a bullet character, {_WHICH_LINE}", "segment"),
        spec(
            "rps_lines_numerical_chars_fraction",
            "float",
            f"numeric characters / normalised characters {_WHICH_LINE}",
            "segment",
        ),
        spec(
            "rps_lines_uppercase_letter_fraction",
            "float",
            f"upper-case characters / characters incl. its newline, {_WHICH_LINE}",
            "segment",
        ),
    )

    def __init__(self) -> None:
        path = os.environ.get(UT1_SETTING)
        self._ut1 = ut1_index(path) if path else None

    def annotate(self, documents: list[Document]) -> None:
        for document in documents:
            text = document.text
            signals, javascript = _document_signals(text, _language(document))
            signals["rps_doc_ut1_blacklist"] = None if self._ut1 is None else ut1_category(document.url, self._ut1)
            document.analysis.signals.update(signals)
            segments = document.analysis.segments
            if not segments:
                continue
            lines = rps_lines(text, javascript=javascript)
            which = np.searchsorted(lines.starts, [segment.start for segment in segments], side="right") - 1
            values = lines.values
            for segment, line in zip(segments, which.tolist(), strict=True):
                segment.signals.update(zip(LINE_SIGNALS, values[line], strict=True))
