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

Speed (a batch at a time, no Python loop per token or per line): WordPunct tokens never
cross white space and each white-space chunk holds at most one normalised word, so what
RPv2 reads of a chunk is worked out once per distinct chunk (`TokenTable` ids) and summed per
document; per-line values are sums over the batch's code points; n-grams get exact ids from
(id of the (n-1)-gram prefix, id of the last word), an n-gram formed only where the
(n-1)-grams at its start and the next word repeat. With `thresher._native` built, C kernels
read the str objects themselves: `rpv2_register` gives a new chunk's token, caps, letter and
stop-word counts and its normalised word (per-character NFD-of-lower expansions from the
code point tables; the few chunks where that may differ from normalising the word whole go
to Python), `rpv2_words` turns a batch's chunk ids into word ids, `rpv2_texts` makes one
pass over each text for the per-text counts and the lines, `group_words` and
`ngram_numerators` group words and n-grams, `set_columns` writes the segments' values.
The code point tables are built a 4,096-code-point block at a time, only for blocks a text
reaches. Without the kernels NumPy sorts and regular expressions compute the same values
(tests compare both paths).
"""

from __future__ import annotations

import itertools
import json
import operator
import os
import re
import string
import sys
import unicodedata
from collections import deque
from dataclasses import dataclass
from functools import cache, partial
from importlib import resources
from operator import attrgetter
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from thresher.annotator import SignalSpec
from thresher.document import Document
from thresher.signals._common import spec
from thresher.signals._tokens import TokenTable, _native, native_available, row_sums

PRECISION = 8
# Deleting ASCII punctuation with one regex is ~2x faster than str.translate's per-character
# table lookups on web text (most lines hold a non-ASCII character, which defeats translate's fast path).
_PUNCT = re.compile("[" + re.escape(string.punctuation) + "]+")
_WORDPUNCT = re.compile(r"\w+|[^\w\s]+")
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
_WORD = 8  # re's \w
_LOWER_OR_TITLE = 16  # a character that makes a string not str.isupper
_ASCII_LETTER_FLAG = 32
# Per-character normalisation (str.lower, then NFD, one character at a time) may differ from
# the whole word's: NFD reorders combining marks across characters, and str.lower makes a
# capital sigma final or not by its neighbours. A chunk holding such a character is
# normalised by Python itself (the C kernel leaves it).
_UNSAFE_NORM = 64
_IDENTITY = 0xFFFFFFFF  # expansion_start of a character that is its own normalised form

Value = float | int | bool | None


@dataclass(frozen=True, slots=True)
class CharTables:
    """Per code point facts, so a document's counts are NumPy gathers instead of str calls."""

    flags: np.ndarray  # uint8: _SPACE (str.isspace), _ASCII_PUNCT, _UPPER (str.isupper), _WORD, ...
    normalized_length: np.ndarray  # uint8: len(NFD(c.lower())), 0 where normalisation drops c
    normalized_numeric: np.ndarray  # uint8: str.isnumeric characters in NFD(c.lower())
    expansion_start: np.ndarray  # uint32: where NFD(c.lower()) starts in `expansion_pool()`; _IDENTITY: c


_BLOCK = 1 << 12
_SIZE = sys.maxunicode + 1
_TABLES = CharTables(
    flags=np.zeros(_SIZE, dtype=np.uint8),
    normalized_length=np.ones(_SIZE, dtype=np.uint8),
    normalized_numeric=np.zeros(_SIZE, dtype=np.uint8),
    expansion_start=np.full(_SIZE, _IDENTITY, dtype=np.uint32),
)
_built: set[int] = set()  # the 4,096-code-point blocks of _TABLES computed so far
_pool: list[np.ndarray] = [np.zeros(0, dtype=np.uint32)]  # expansions, a block's at a time (joined lazily)
# Per block: 1 when its table entries are right (computed, or unassigned: the defaults). The
# C kernel that reads chunks straight from their str objects checks it (see `_build_blocks`).
_ready = np.array(
    [not any(start in assigned for assigned in _ASSIGNED) for start in range(0, _SIZE + _BLOCK, _BLOCK)][
        : (_SIZE >> 12) + 1
    ],
    dtype=np.uint8,
)


def expansion_pool() -> np.ndarray:
    """The code points of the normalised forms `CharTables.expansion_start` points into."""
    if len(_pool) > 1:
        _pool[:] = [np.concatenate(_pool)]
    return _pool[0]


def _build_blocks(blocks: list[int]) -> None:
    """Compute the given 4,096-code-point blocks' table entries (those not computed yet)."""
    for block in blocks:
        start = block * _BLOCK
        assigned = next((r for r in _ASSIGNED if start in r), None)
        if start not in _built and assigned is not None:
            _build_block(range(start, min(start + _BLOCK, assigned.stop)))
            _built.add(start)


def tables_for(points: np.ndarray) -> CharTables:
    """The tables, with the blocks holding `points` computed, and no others: a page of
    English with one emoji needs two blocks, not the 32 below the emoji. Only code points
    past the blocks built from 0 up are looked at, so a batch of seen scripts costs one compare."""
    highest = int(points.max()) if points.size else 0
    if highest >= _built_from_zero():
        _build_blocks(np.unique(points[points >= _built_from_zero()] >> 12).tolist())
    return _TABLES


def _built_from_zero() -> int:
    """The end of the blocks built from code point 0 on (every code point below it has its values)."""
    end = 0
    while end < _SIZE:
        if end in _built:
            end += _BLOCK
        elif not any(end in assigned for assigned in _ASSIGNED):  # keeps the defaults: nothing to build
            end = min([r.start for r in _ASSIGNED if r.start > end] or [_SIZE])
        else:
            break
    return end


def char_tables(highest: int = sys.maxunicode) -> CharTables:
    """The tables, computed from the str methods themselves for every code point up to `highest`.

    All of Unicode costs ~0.3 s a process; a page of English text needs the first block, so the
    tables grow a block at a time as far as the texts read so far reach (a one-document run
    must not pay for scripts it never sees). Code points outside `_ASSIGNED` keep the defaults.
    """
    for assigned in _ASSIGNED:
        if highest < assigned.start:
            break
        stop = min(assigned.stop, (highest // _BLOCK + 1) * _BLOCK)
        for block_start in range(assigned.start, stop, _BLOCK):
            if block_start not in _built:
                _build_block(range(block_start, min(block_start + _BLOCK, assigned.stop)))
                _built.add(block_start)
    return _TABLES


def _build_block(block: range) -> None:
    chars = list(map(chr, block))
    count = len(chars)
    lowered = map(str.lower, chars)
    decomposed = list(map(partial(unicodedata.normalize, "NFD"), lowered))
    lengths = np.fromiter(map(len, decomposed), dtype=np.int64, count=count)
    joined = "".join(decomposed)
    numeric_chars = np.fromiter(map(str.isnumeric, joined), dtype=np.uint8, count=len(joined))
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    space = np.fromiter(map(str.isspace, chars), dtype=bool, count=count)
    upper = np.fromiter(map(str.isupper, chars), dtype=bool, count=count)
    # re's \w is str.isalnum or "_" (sre's own definition; the tests check every code point)
    word = np.fromiter(map(str.isalnum, chars), dtype=bool, count=count)
    if "_" in chars:
        word[chars.index("_")] = True
    # "cA" is upper-case unless c is lower or title case
    lower = ~np.fromiter(map(str.isupper, map(operator.add, chars, itertools.repeat("A"))), dtype=bool, count=count)
    flags = (space * _SPACE + upper * _UPPER + word * _WORD + lower * _LOWER_OR_TITLE).astype(np.uint8)
    for c in string.punctuation + string.ascii_letters:
        if ord(c) in block:
            flags[ord(c) - block.start] |= _ASCII_PUNCT if c in string.punctuation else _ASCII_LETTER_FLAG
    lengths[(flags & (_SPACE | _ASCII_PUNCT)) != 0] = 0
    # Where the kernel's per-character normalisation could differ from the word's (see _UNSAFE_NORM).
    # (every NFD(c.lower()) has a first character: it starts at `starts` in `joined`)
    combining = np.fromiter(map(unicodedata.combining, joined), dtype=np.int64, count=len(joined))
    unsafe = combining[starts] != 0
    if "\u03a3" in chars:
        unsafe[chars.index("\u03a3")] = True
    flags[unsafe] |= _UNSAFE_NORM
    identity = np.fromiter(map(operator.eq, decomposed, chars), dtype=bool, count=count)
    pool = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    base = sum(map(len, _pool))
    _TABLES.expansion_start[block.start : block.stop] = np.where(identity, _IDENTITY, starts + base)
    _pool.append(pool)
    _TABLES.flags[block.start : block.stop] = flags
    _ready[block.start >> 12] = 1
    _TABLES.normalized_length[block.start : block.stop] = lengths
    _TABLES.normalized_numeric[block.start : block.stop] = np.add.reduceat(numeric_chars, starts)


def code_points(text: str) -> np.ndarray:
    """The code points of `text` as uint32 (lone surrogates kept as their own values)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


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


def ngram_char_fractions(words: list[str]) -> dict[str, float]:
    """RPv2's top n-gram (n=2..4) and duplicated n-gram (n=5..10) character fractions of `words`.

    Characters are those of the words (no spaces). Top: the most common n-gram (ties: the
    first seen), its characters times its count; 0.0 when no n-gram occurs twice. Duplicated:
    characters of the words covered by an n-gram occurring more than once, each word once.
    0.0 with fewer than n words.
    """
    first_seen: dict[str, int] = {}
    ids = np.fromiter(map(first_seen.setdefault, words, itertools.count()), dtype=np.int64, count=len(words))
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    stats = _WordStats.of(ids, lengths, np.zeros(len(words), dtype=np.int64), 1)
    return {name: stats.fraction(name, 0) for name in NGRAM_SIGNALS}


def unigram_entropy(words: list[str]) -> float | None:
    """Shannon entropy (natural log) of the word distribution, rounded; None without words."""
    if not words:
        return None
    first_seen: dict[str, int] = {}
    ids = np.fromiter(map(first_seen.setdefault, words, itertools.count()), dtype=np.int64, count=len(words))
    stats = _WordStats.of(ids, np.ones(len(words), dtype=np.int64), np.zeros(len(words), dtype=np.int64), 1)
    return round(float(stats.entropy[0]), PRECISION)


NGRAM_SIGNALS = (
    *(f"rps_doc_frac_chars_top_{n}gram" for n in TOP_NGRAMS),
    *(f"rps_doc_frac_chars_dupe_{n}grams" for n in DUP_NGRAMS),
)
# The signals `batch_document_signals` writes, in the order it writes them.
DOCUMENT_SIGNALS = (
    "rps_doc_word_count",
    "rps_doc_mean_word_length",
    "rps_doc_num_sentences",
    "rps_doc_frac_unique_words",
    "rps_doc_unigram_entropy",
    "rps_doc_symbol_to_word_ratio",
    "rps_doc_frac_all_caps_words",
    "rps_doc_frac_no_alph_words",
    "rps_doc_frac_lines_end_with_ellipsis",
    "rps_doc_curly_bracket",
    "rps_doc_lorem_ipsum",
    "rps_doc_stop_word_fraction",
    "rps_doc_ldnoobw_words",
    *NGRAM_SIGNALS,
)


def _group(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """np.unique(keys, return_inverse=True, return_counts=True) by a stable sort: keys here
    come document by document, and timsort merges such runs ~2x faster than quicksort."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    new = np.ones(len(keys), dtype=bool)
    new[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(len(keys), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    counts = np.diff(np.append(np.flatnonzero(new), len(keys)))
    return ordered[new], inverse, counts


def _native_group_words(ids: np.ndarray, docs: np.ndarray, span: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(document of each group, group of each position, group sizes): `_group(docs * span + ids)`
    by the C kernel, groups in the same (sorted) order."""
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    docs = np.ascontiguousarray(docs, dtype=np.int64)
    inverse, counts, group_docs = (np.empty(len(ids), dtype=np.int64) for _ in range(3))
    groups = _native.group_words(ids, docs, span, inverse, counts, group_docs)
    return group_docs[:groups], inverse, counts[:groups]


@dataclass(slots=True)
class _WordStats:
    """Per-document word statistics of a batch, from the normalised words' ids, in NumPy.

    `numerators[name][d] / chars[d]` is document d's n-gram fraction (0 where 0). Word ids
    are global; each n-gram gets an exact id per document from the pair (id of its
    (n-1)-gram prefix, id of its last word): no hashing, no collisions. An n-gram can only
    repeat where its (n-1)-gram prefix repeats, so each n keeps just those positions.
    """

    chars: np.ndarray
    words: np.ndarray  # per document
    distinct: np.ndarray
    entropy: np.ndarray
    numerators: dict[str, np.ndarray]

    @classmethod
    def of(
        cls,
        ids: np.ndarray,
        lengths: np.ndarray,
        docs: np.ndarray,
        count: int,
        native: bool = False,
        per_doc: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> _WordStats:
        """`docs` must be non-decreasing (a batch's words, document by document). `native`:
        the C kernels group words through a dense table and n-grams by hashing, in one pass
        per n, instead of NumPy sorts. `per_doc`: (words, characters) per document, when known."""
        size = len(ids)
        if native:
            ids = np.ascontiguousarray(ids, dtype=np.int64)
            lengths = np.ascontiguousarray(lengths, dtype=np.int64)
            docs = np.ascontiguousarray(docs, dtype=np.int64)
        if per_doc is None:
            chars = np.bincount(docs, weights=lengths, minlength=count).astype(np.int64)
            words = np.bincount(docs, minlength=count)
        else:
            words, chars = per_doc
        numerators = {name: np.zeros(count, dtype=np.int64) for name in NGRAM_SIGNALS}
        if size == 0:
            return cls(chars, words, np.zeros(count, dtype=np.int64), np.zeros(count), numerators)
        span = int(ids.max()) + 1
        if native:
            key_docs, gram, counts = _native_group_words(ids, docs, span)
        else:
            keys, gram, counts = _group(docs * span + ids)
            key_docs = keys // span
        distinct = np.bincount(key_docs, minlength=count)
        share = counts / words[key_docs]
        entropy = np.bincount(key_docs, weights=-(share * np.log(share)), minlength=count)
        if native:
            top = np.zeros((len(TOP_NGRAMS), count), dtype=np.int64)
            dupe = np.zeros((len(DUP_NGRAMS), count), dtype=np.int64)
            _native.ngram_numerators(ids, lengths, docs, gram, counts, span, top, dupe)
            numerators = dict(zip(NGRAM_SIGNALS, (*top, *dupe), strict=True))
            return cls(chars, words, distinct, entropy, numerators)
        ends = np.cumsum(words)[docs]  # each position's document end (exclusive)
        cumulative = np.concatenate(([0], np.cumsum(lengths)))
        positions = np.flatnonzero(counts[gram] > 1)
        gram = gram[positions]
        for n in range(2, DUP_NGRAMS[-1] + 1):
            keep = positions + n <= ends[positions]
            positions, gram = positions[keep], gram[keep]
            if positions.size == 0:
                break
            keys = gram * span + ids[positions + n - 1]
            _, inverse, counts = _group(keys)
            per_position = counts[inverse]
            repeated = per_position > 1
            if not repeated.any():
                break
            if n in TOP_NGRAMS:
                owner = docs[positions]
                best = np.zeros(count, dtype=np.int64)
                np.maximum.at(best, owner, per_position)
                # The first position of a most common n-gram is the first occurrence of the
                # most common n-gram seen first (Counter.most_common's tie-break).
                at_best = np.flatnonzero(repeated & (per_position == best[owner]))
                first_docs, first = np.unique(owner[at_best], return_index=True)
                start = positions[at_best[first]]
                numerators[f"rps_doc_frac_chars_top_{n}gram"][first_docs] = (
                    cumulative[start + n] - cumulative[start]
                ) * best[first_docs]
            if n in DUP_NGRAMS:
                starts = positions[repeated]
                cover = np.zeros(size + 1, dtype=np.int64)
                cover[starts] += 1
                cover[starts + n] -= 1
                covered = np.cumsum(cover[:-1]) > 0
                numerators[f"rps_doc_frac_chars_dupe_{n}grams"] = np.bincount(
                    docs[covered], weights=lengths[covered], minlength=count
                ).astype(np.int64)
            positions, gram = positions[repeated], inverse[repeated]
        return cls(chars, words, distinct, entropy, numerators)

    def fraction(self, name: str, doc: int) -> float:
        numerator = int(self.numerators[name][doc])
        return rounded(numerator, int(self.chars[doc])) if numerator else 0.0

    def fractions(self, name: str) -> list[float]:
        """`fraction(name, doc)` for every document, vectorised."""
        numerator = self.numerators[name]
        share = np.divide(numerator, self.chars, out=np.zeros(len(numerator)), where=numerator > 0)
        return round_like_python(share).tolist()


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
    second_words: frozenset[str]  # second word of each entry of two or more words
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
    second = frozenset(entry.split(" ")[1] for entry in entries if " " in entry)
    return BadWords(entries=frozenset(entries), first_words=first, second_words=second, sizes=sizes)


_PUNCT_BYTES = string.punctuation.encode("ascii")


def _delete_punctuation(text: str) -> str:
    """`text` without ASCII punctuation: in UTF-8 an ASCII byte is always its own character,
    so bytes.translate deletes exactly those (~5x faster than a regex on web text)."""
    return text.encode("utf-8", "surrogatepass").translate(None, _PUNCT_BYTES).decode("utf-8", "surrogatepass")


def _lorem_ipsum_words(words: list[str], lengths: np.ndarray, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Which words end with "lorem", which start with "ipsum" (`text` holds them all).

    Few texts hold either, so one substring search of `text` usually settles it; otherwise
    the words, each followed by "\\n", are searched as one string (no call a word).
    """
    lorem = np.zeros(len(words), dtype=bool)
    ipsum = np.zeros(len(words), dtype=bool)
    if "lorem" not in text and "ipsum" not in text:
        return lorem, ipsum
    listed = "\n" + "\n".join(words) + "\n"  # word k starts at starts[k], its "\n" at ends[k]
    ends = np.cumsum(lengths + 1)
    starts = ends - lengths
    lorem[np.searchsorted(ends, [m.end() - 1 for m in re.finditer("lorem\n", listed)])] = True
    ipsum[np.searchsorted(starts, [m.start() + 1 for m in re.finditer("\nipsum", listed)])] = True
    return lorem, ipsum


_KERNELS = (
    "rpv2_texts",
    "rpv2_register",
    "rpv2_words",
    "group_words",
    "ngram_numerators",
    "set_columns",
)


def _kernels_built() -> bool:
    """Whether `thresher._native` holds RPv2's kernels: a build of older sources lacks them
    (then the NumPy fallback runs rather than failing; rebuild the module to get them)."""
    return _native is not None and all(hasattr(_native, name) for name in _KERNELS)


class _Chunks:
    """The white-space chunks of the texts seen, by id (`TokenTable`), with what RPv2 reads in each.

    WordPunct tokens never cross white space, and each chunk holds at most one normalised
    word (the chunk with ASCII punctuation deleted, lower-cased, NFD): what RPv2 reads of a
    chunk never changes, so it is worked out once per distinct chunk and summed per document
    with NumPy. The table is cleared past `LIMIT` chunks to bound memory.
    """

    LIMIT = 1_000_000

    def __init__(self, native: bool | None = None) -> None:
        self.table = TokenTable("whitespace", native=native)
        self.native = self.table.native and _kernels_built()  # RPv2's kernels, not only the token table
        self._reset()

    def _reset(self) -> None:
        self.size = 0
        # The native path keeps normalised words in a second TokenTable (word -> id by hashing
        # in C, a word's str made only when new); the Python path in the `words` dict.
        self.word_table = TokenTable("whitespace", native=True) if self.native else None
        # Per chunk: WordPunct tokens, those str.isupper, those holding an ASCII letter, then
        # stop-word tokens per language; float64 (exact for counts) so `row_sums` adds a
        # document's rows in one pass.
        self.counts = np.zeros((0, 3 + len(LANGUAGES)))
        self.word = np.zeros(0, dtype=np.int64)  # normalised word id, -1 for none
        self.words: dict[str, int] = {}
        self._python_words: list[str] = []  # the Python path's `word_strings`
        self.word_length = np.zeros(0, dtype=np.int64)
        # per word id: its _bad_masks() bits, _JAVASCRIPT, _LOREM_END (it ends with "lorem"),
        # _IPSUM_START (it starts with "ipsum"); most words have none
        self.word_bits = np.zeros(0, dtype=np.int64)

    @property
    def word_strings(self) -> list[str]:
        """Normalised word id -> the word (read it, never modify it). Read from the word table
        each time: a copied or unpickled table holds a new list."""
        return self.word_table.strings if self.word_table is not None else self._python_words

    def lookup(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(chunk id of every chunk of every text, chunks per text)."""
        if len(self.table) > self.LIMIT:
            self.table.clear()
            self._reset()
        ids, counts, _ = self.table.lookup(texts)
        self._extend()
        return ids, counts

    def _extend(self) -> None:
        new = self.table.strings[self.size :]
        if not new:
            return
        if self.native:
            self._extend_native(new)
            return
        joined = "\n".join(new)
        tokens, caps, alpha, word_chunk = _chunk_token_stats(joined, len(new))
        stops = _chunk_stop_counts(new, tokens, word_chunk)
        self.counts = np.concatenate((self.counts, np.column_stack((tokens, caps, alpha, stops.T))))
        normalized_text = unicodedata.normalize("NFD", _delete_punctuation(joined).lower())
        normalized = normalized_text.split("\n")
        words = self.words
        known = len(words)
        # One dict pass: a new word is entered under known + its first position, then the
        # new ids are made dense in order of first appearance (as dict.fromkeys would order them).
        ids = np.fromiter(map(words.setdefault, normalized, itertools.count(known)), dtype=np.int64, count=len(new))
        first = np.flatnonzero(ids == np.arange(known, known + len(new)))  # where a word was entered
        rank = np.empty(len(new), dtype=np.int64)
        rank[first] = np.arange(known, known + len(first))
        new_words = ids >= known
        ids[new_words] = rank[ids[new_words] - known]
        fresh = list(map(normalized.__getitem__, first.tolist()))
        words.update(zip(fresh, itertools.count(known)))
        if "" in words:
            ids[ids == words[""]] = -1
        self.word = np.concatenate((self.word, ids))
        self._python_words.extend(fresh)
        fresh_length = np.fromiter(map(len, fresh), dtype=np.int64, count=len(fresh))
        self.word_length = np.concatenate((self.word_length, fresh_length))
        lorem, ipsum = _lorem_ipsum_words(fresh, fresh_length, normalized_text)
        bits = np.fromiter(map(_bad_masks().get, fresh, itertools.repeat(0)), dtype=np.int64, count=len(fresh))
        bits |= lorem * _LOREM_END | ipsum * _IPSUM_START
        if "javascript" in fresh:
            bits[fresh.index("javascript")] |= _JAVASCRIPT
        self.word_bits = np.concatenate((self.word_bits, bits))
        self.size = len(self.table.strings)

    def _extend_native(self, new: list[str]) -> None:
        """`_extend` by the C kernel: one pass over the new chunks gives their token counts,
        normalised words and the words' list bits; the words get ids in `word_table`. Python
        normalises only the chunks the kernel leaves (see `_UNSAFE_NORM`)."""
        assert self.word_table is not None
        counts = np.empty((len(new), self.counts.shape[1]))
        length = np.empty(len(new), dtype=np.int64)
        bits = np.empty(len(new), dtype=np.int64)
        while True:
            text = _native.rpv2_register(
                new,
                _TABLES.flags,
                _TABLES.normalized_length,
                _TABLES.expansion_start,
                expansion_pool(),
                _ready,
                *_stop_arrays(),
                *_listed_arrays(),
                counts,
                length,
                bits,
            )
            if isinstance(text, str):
                break
            _build_blocks(text)  # the blocks the new chunks reach that were not computed yet
        simple = np.flatnonzero(length > 0)
        left = np.flatnonzero(length < 0)
        extra: list[str] = []
        if left.size:
            joined = "\n".join(map(new.__getitem__, left.tolist()))
            extra = unicodedata.normalize("NFD", _delete_punctuation(joined).lower()).split("\n")
            length[left] = np.fromiter(map(len, extra), dtype=np.int64, count=len(extra))
            bits[left] = np.fromiter(map(_listed_bits, extra), dtype=np.int64, count=len(extra))
        known = len(self.word_table)
        found, per_text, _ = self.word_table.lookup([text, *extra])
        ids = np.full(len(new), -1, dtype=np.int64)
        ids[simple] = found[: per_text[0]]
        if left.size:
            ids[left[per_text[1:] > 0]] = found[per_text[0] :]
        fresh = len(self.word_table) - known
        # Every chunk of a word has the word's length and bits: any of them will do.
        is_new = ids >= known
        fresh_length = np.zeros(fresh, dtype=np.int64)
        fresh_length[ids[is_new] - known] = length[is_new]
        fresh_bits = np.zeros(fresh, dtype=np.int64)
        fresh_bits[ids[is_new] - known] = bits[is_new]
        self.counts = np.concatenate((self.counts, counts))
        self.word = np.concatenate((self.word, ids))
        self.word_length = np.concatenate((self.word_length, fresh_length))
        self.word_bits = np.concatenate((self.word_bits, fresh_bits))
        self.size = len(self.table.strings)

    @staticmethod
    def stop_column(language: str) -> int | None:
        """The column of `counts` holding `language`'s stop-word tokens; None outside RPv2's languages."""
        return 3 + LANGUAGES.index(language) if language in LANGUAGES else None


_WORD_RUN = re.compile(r"\w+")


def _chunk_token_stats(joined: str, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per chunk of the "\\n"-joined chunks: WordPunct tokens, those str.isupper, those with
    an ASCII letter; and the chunk of each `\\w+` token, in order.

    From the code points, without a str per token: a token is a run of word characters
    (re's `\\w`) or of other non-space characters; per-token sums over [token start, next
    token start) only add white space beyond the token, which has none of the flags.
    (The C path's `rpv2_register` counts the same in its pass over the new chunks.)
    """
    if count == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    points = code_points(joined)
    tables = tables_for(points)
    flags = tables.flags[points]
    kind = np.where((flags & _SPACE) != 0, 0, np.where((flags & _WORD) != 0, 1, 2)).astype(np.int8)
    start = kind != 0
    start[1:] &= kind[1:] != kind[:-1]
    starts = np.flatnonzero(start)
    breaks = np.flatnonzero(points == 10)
    chunk = np.searchsorted(breaks, starts)
    if starts.size == 0:
        zeros = np.zeros(count, dtype=np.int64)
        return zeros, zeros, zeros, np.zeros(0, dtype=np.int64)
    upper = np.add.reduceat(flags & _UPPER, starts, dtype=np.int64) > 0
    lower = np.add.reduceat(flags & _LOWER_OR_TITLE, starts, dtype=np.int64) > 0
    ascii_letter = np.add.reduceat(flags & _ASCII_LETTER_FLAG, starts, dtype=np.int64) > 0
    tokens = np.bincount(chunk, minlength=count)
    caps = np.bincount(chunk[upper & ~lower], minlength=count)
    alpha = np.bincount(chunk[ascii_letter], minlength=count)
    return tokens, caps, alpha, chunk[kind[starts] == 1]


@cache
def _stop_masks() -> dict[str, int]:
    """Stop word -> bit k set when it is in the list of LANGUAGES[k]: one lookup a token for all five."""
    masks: dict[str, int] = {}
    for bit, language in enumerate(LANGUAGES):
        for word in stop_words(language) or ():
            masks[word] = masks.get(word, 0) | (1 << bit)
    return masks


@cache
def _stop_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_stop_masks()` for the C kernel: the words' code points joined, where each starts
    (and the end), and their masks."""
    return _word_arrays(_stop_masks())


def _word_arrays(masks: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Words -> (their code points joined, where each starts and the end, their masks)."""
    words = list(masks)
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    bits = np.fromiter(map(masks.__getitem__, words), dtype=np.int64, count=len(words))
    return code_points("".join(words)), offsets, bits


# ASCII punctuation other than "_": none is a word character (re's \\w) or white space.
_NON_WORD_PUNCT = string.punctuation.replace("_", "")


def _chunk_stop_counts(chunks: list[str], tokens: np.ndarray, word_chunk: np.ndarray) -> np.ndarray:
    """Stop words per language and chunk: the `\\w+` tokens in order (stop words never hold
    punctuation, and WordPunct never joins a word to punctuation).

    Without a regex for most chunks: a chunk that is one `\\w+` token is looked up as it is,
    and one that is such a token between ASCII punctuation ("word," "(word)") as the token
    (its edges stripped, the rest all word characters: str.isalnum, or re's \\w less "_");
    only the others are split by the regex.
    """
    count = len(chunks)
    masks = _stop_masks()
    whole = np.fromiter(map(masks.get, chunks, itertools.repeat(0)), dtype=np.int64, count=count)
    per_chunk = np.bincount(word_chunk, minlength=count)
    single = (tokens == 1) & (per_chunk == 1)
    whole[~single] = 0
    rest = np.flatnonzero(~single & (per_chunk > 0))
    rest_chunks = list(map(chunks.__getitem__, rest.tolist()))
    stripped = list(map(str.strip, rest_chunks, itertools.repeat(_NON_WORD_PUNCT)))
    simple = np.fromiter(map(str.isalnum, stripped), dtype=bool, count=len(stripped))
    whole[rest[simple]] = np.fromiter(
        map(masks.get, itertools.compress(stripped, simple), itertools.repeat(0)), dtype=np.int64
    )
    hard = np.zeros(count, dtype=bool)
    hard[rest[~simple]] = True
    owner = word_chunk[hard[word_chunk]]
    hard_chunks = itertools.compress(rest_chunks, ~simple)
    words = _WORD_RUN.findall("\n".join(hard_chunks)) if owner.size else []
    parts = np.fromiter(map(masks.get, words, itertools.repeat(0)), dtype=np.int64, count=len(words))
    out = np.zeros((len(LANGUAGES), count), dtype=np.int64)
    for bit in range(len(LANGUAGES)):
        out[bit] = ((whole >> bit) & 1) + np.bincount(owner[(parts >> bit) & 1 == 1], minlength=count)
    return out


# Bits of `_listed_arrays()` and the kernel's word bits beyond `_bad_masks()`' 15 (the C kernel's too).
_BAD_BITS = (1 << (3 * len(LANGUAGES))) - 1
_JAVASCRIPT = 1 << 15
_LOREM_END = 1 << 40
_IPSUM_START = 1 << 41


@cache
def _listed_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The words whose bits the C kernel looks up (`_bad_masks()` and "javascript"), as `_stop_arrays`."""
    masks = dict(_bad_masks())
    masks["javascript"] = masks.get("javascript", 0) | _JAVASCRIPT
    return _word_arrays(masks)


def _listed_bits(word: str) -> int:
    """The kernel's bits of one normalised word, in Python."""
    bits = _bad_masks().get(word, 0) | (_JAVASCRIPT if word == "javascript" else 0)
    return bits | (_LOREM_END if word.endswith("lorem") else 0) | (_IPSUM_START if word.startswith("ipsum") else 0)


@cache
def _bad_masks() -> dict[str, int]:
    """Word -> bits 3k, 3k+1, 3k+2 set when, in the LDNOOBW list of LANGUAGES[k], it is an
    entry, the first word of a longer entry, the second word of one."""
    masks: dict[str, int] = {}
    for k, language in enumerate(LANGUAGES):
        lists = bad_words(language)
        assert lists is not None
        for role, words in enumerate((lists.entries, lists.first_words, lists.second_words)):
            for word in words:
                masks[word] = masks.get(word, 0) | (1 << (3 * k + role))
    return masks


_CHUNKS: dict[bool | None, _Chunks] = {}


def _default_chunks() -> _Chunks:
    if None not in _CHUNKS:
        _CHUNKS[None] = _Chunks()
    return _CHUNKS[None]


def rps_document_signals(text: str, language: str = "en") -> dict[str, Value]:
    """RPv2's document-level rule-based signals of `text` (all but `rps_doc_ut1_blacklist`).

    `language` picks the stop-word and LDNOOBW lists; outside RPv2's five languages those
    two signals are None.
    """
    return batch_document_signals([text], [language], _default_chunks())[0][0]


def _batch_words(
    chunks: _Chunks, ids: np.ndarray, per_text: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None, np.ndarray]:
    """(normalised word ids of the batch's texts, each one's text, its length, (words, characters)
    per text or None, the positions whose word has `word_bits`), from the texts' chunk ids."""
    if chunks.native:
        size = len(ids)
        words, owner, lengths = (np.empty(size, dtype=np.int64) for _ in range(3))
        per_doc = (np.empty(count, dtype=np.int64), np.empty(count, dtype=np.int64))
        found, flagged = _native.rpv2_words(
            np.ascontiguousarray(ids, dtype=np.int64),
            np.ascontiguousarray(per_text, dtype=np.int64),
            chunks.word,
            chunks.word_length,
            chunks.word_bits,
            words,
            owner,
            lengths,
            *per_doc,
        )
        return words[:found], owner[:found], lengths[:found], per_doc, np.frombuffer(flagged, dtype=np.int64)
    owner = np.repeat(np.arange(count), per_text)
    word_of = chunks.word[ids]
    has_word = word_of >= 0
    words = word_of[has_word]
    return words, owner[has_word], chunks.word_length[words], None, np.flatnonzero(chunks.word_bits[words])


def batch_document_signals(
    texts: list[str], languages: list[str], chunks: _Chunks, scan: _Scan | None = None
) -> tuple[list[dict[str, Value]], list[bool]]:
    """The document signals of each text, and whether a normalised word of it is "javascript".

    `scan`: the C kernel's `_scan_texts(texts)`, when the caller has it (native chunks only).
    """
    count = len(texts)
    ids, per_text = chunks.lookup(texts)
    sums = row_sums(ids, per_text, chunks.counts).astype(np.int64).T
    words, word_owner, lengths, per_doc, flagged = _batch_words(chunks, ids, per_text, count)
    stats = _WordStats.of(words, lengths, word_owner, count, chunks.native, per_doc)
    n_words = stats.words.tolist()
    ends = np.cumsum(stats.words)
    flag_bits = chunks.word_bits[words[flagged]]
    javascript = [False] * count
    for doc in word_owner[flagged[(flag_bits & _JAVASCRIPT) != 0]].tolist():
        javascript[doc] = True
    lorem = _lorem_documents(chunks, words, word_owner, ends, flagged[(flag_bits & _LOREM_END) != 0])
    sentences, ellipsis_lines, symbols, braces, newlines = _text_count_columns(texts, chunks.native, scan)
    # A column per signal, None or 0.0 where RPv2's denominator is 0, then a dict per document.
    tokens = sums[0]
    has_words = stats.words > 0
    has_tokens = tokens > 0
    text_lengths = np.fromiter(map(len, texts), dtype=np.int64, count=count)
    ends_open = np.fromiter(map(_ends_open, texts), dtype=np.int64, count=count)
    lines = newlines + ends_open  # a last line without "\n" counts
    stop_columns = [chunks.stop_column(language) for language in languages]
    stop_counts = np.zeros(count, dtype=np.int64)
    listed = np.array([column is not None for column in stop_columns], dtype=bool)
    for column in set(stop_columns) - {None}:
        here = np.fromiter((c == column for c in stop_columns), dtype=bool, count=count)
        stop_counts[here] = sums[column][here]
    bad_counts = _ldnoobw_all(chunks, languages, words, word_owner, ends, count, flagged[(flag_bits & _BAD_BITS) != 0])
    columns: list[list[Value]] = [
        n_words,
        _ratio(stats.chars, stats.words, has_words, None),
        sentences.tolist(),
        _ratio(stats.distinct, stats.words, has_words, None),
        _where(round_like_python(stats.entropy).tolist(), has_words, None),
        _ratio(symbols, tokens, has_tokens, None),
        _ratio(sums[1], tokens, has_tokens, None),
        _where(
            round_like_python(1.0 - np.divide(sums[2], tokens, out=np.zeros(count), where=has_tokens)).tolist(),
            has_tokens,
            None,
        ),
        _where(_ratio(ellipsis_lines, lines, ellipsis_lines > 0, 0.0), lines > 0, None),
        _ratio(braces, text_lengths, braces > 0, 0.0),
        [lorem.get(doc, 0.0) for doc in range(count)] if lorem else [0.0] * count,
        _where(_ratio(stop_counts, tokens, has_words, 0.0), listed, None),
        _where(bad_counts.tolist(), listed, None),
        *(stats.fractions(name) for name in NGRAM_SIGNALS),
    ]
    out = list(map(dict, map(zip, itertools.repeat(DOCUMENT_SIGNALS), zip(*columns, strict=True))))
    return out, javascript


def _ends_open(text: str) -> int:
    """1 when `text` has a last line without "\\n" (it is not empty and does not end with one)."""
    return 1 if text and not text.endswith("\n") else 0


def _ratio(numerator: np.ndarray, denominator: np.ndarray, where: np.ndarray, default: Value) -> list[Value]:
    """`rounded(numerator[d], denominator[d])` where `where[d]`, else `default`, as a list."""
    share = np.divide(numerator, denominator, out=np.zeros(len(where)), where=where)
    return _where(round_like_python(share).tolist(), where, default)


def _where(values: list[Value], where: np.ndarray, default: Value) -> list[Value]:
    """`values`, with `default` where `where` is False."""
    if where.all():
        return values
    return [value if keep else default for value, keep in zip(values, where.tolist(), strict=True)]


def _text_count_columns(texts: list[str], native: bool = False, scan: _Scan | None = None) -> np.ndarray:
    """`_text_counts` as five int64 columns (one row per count, one column per text)."""
    if not native:
        return np.array(_text_counts(texts), dtype=np.int64).reshape(len(texts), 5).T
    return (scan or _scan_texts(texts)).counts


@dataclass(frozen=True, slots=True)
class _Scan:
    """What the C kernel's one pass over a batch's texts gives: their counts and lines."""

    counts: np.ndarray  # 5 x texts: `_text_counts`' five counts
    starts: np.ndarray  # each line's start in the texts joined
    ends: np.ndarray
    columns: tuple[np.ndarray, ...]  # per line, in LINE_SIGNALS order (javascript counts 0)


def _scan_texts(texts: list[str]) -> _Scan:
    """`_Scan` of `texts` by the C kernel (it reads the str objects themselves)."""
    counts = np.empty((5, len(texts)), dtype=np.int64)
    while True:
        found = _native.rpv2_texts(
            texts,
            _TABLES.flags,
            _TABLES.normalized_length,
            _TABLES.normalized_numeric,
            _ready,
            _TERMINAL_CODES,
            _BULLET_CODES,
            counts,
        )
        if isinstance(found, tuple):
            break
        _build_blocks(found)  # blocks the texts reach that were not computed yet
    starts, ends, words, upper, kept, numerals = (np.frombuffer(b, dtype=np.int64) for b in found[:6])
    terminal, bullet = (np.frombuffer(b, dtype=np.uint8).astype(bool) for b in found[6:])
    upper_fraction = upper / (ends - starts)
    length = kept + np.maximum(words - 1, 0)
    numerical = np.divide(numerals, length, out=np.zeros(len(starts)), where=length > 0)
    script = np.zeros(len(starts), dtype=np.int64)
    return _Scan(counts, starts, ends, (words, script, terminal, bullet, numerical, upper_fraction))


def _text_counts(texts: list[str], native: bool = False) -> list[list[int]]:
    """Per text: [matches of RPv2's sentence pattern, lines ending with an ellipsis, RPv2's
    symbols ("#", "...", "\u2026" as str.count counts them), "{" and "}", "\n"].

    `native`: the C kernel reads each text once for all five (the same counts as the
    regular expressions and str.count, which remain the definition).
    """
    if not native:
        return [
            [
                len(_SENTENCE.findall(text)),
                len(_ELLIPSIS_LINE.findall(text)) if "..." in text or "\u2026" in text else 0,
                sum(map(text.count, SYMBOLS)),
                text.count("{") + text.count("}"),
                text.count("\n"),
            ]
            for text in texts
        ]
    return _text_count_columns(texts, True).T.tolist()


def _lorem_documents(
    chunks: _Chunks, words: np.ndarray, owner: np.ndarray, ends: np.ndarray, lorem: np.ndarray
) -> dict[int, float]:
    """RPv2's lorem-ipsum value of each document whose normalised text holds "lorem ipsum".

    Words hold no space, so that needs a word ending in "lorem" (at the positions `lorem`)
    followed by one starting with "ipsum"; only those (rare) documents are joined and
    searched as RPv2 does.
    """
    strings = chunks.word_strings
    out: dict[int, float] = {}
    lorem = lorem[lorem + 1 < words.size]
    at = lorem[(chunks.word_bits[words[lorem + 1]] & _IPSUM_START) != 0]
    for position in at.tolist():
        doc = int(owner[position])
        if position + 1 < ends[doc] and doc not in out:
            start = int(ends[doc - 1]) if doc else 0
            normalized = " ".join(strings[w] for w in words[start : ends[doc]].tolist())
            out[doc] = rounded(len(_LOREM.findall(normalized)), len(normalized))
    return out


def _ldnoobw_all(
    chunks: _Chunks,
    languages: list[str],
    words: np.ndarray,
    owner: np.ndarray,
    ends: np.ndarray,
    count: int,
    at: np.ndarray,
) -> np.ndarray:
    """LDNOOBW n-grams per document, in the list of its language (0 outside RPv2's five).

    Only the positions `at` of words in some list are looked at (few): single-word entries
    by NumPy, longer entries checked as word tuples where their first two words may start.
    """
    counts = np.zeros(count, dtype=np.int64)
    if at.size == 0:
        return counts
    bits = np.zeros(words.size, dtype=np.int64)  # the list bits where some are set (the rest are not read)
    bits[at] = chunks.word_bits[words[at]] & _BAD_BITS
    shift_of = np.array([3 * LANGUAGES.index(lang) if lang in LANGUAGES else -1 for lang in languages], dtype=np.int64)
    shift = shift_of[owner[at]]
    at, shift = at[shift >= 0], shift[shift >= 0]
    mine = bits[at] >> shift  # the bits of the document's language: entry, first word, second word
    counts += np.bincount(owner[at[(mine & 1) == 1]], minlength=count)
    start = (mine >> 1) & 1 == 1
    first, shift = at[start], shift[start]
    inside = first + 1 < words.size
    first, shift = first[inside], shift[inside]
    first = first[(bits[first + 1] >> (shift + 2)) & 1 == 1]
    strings = chunks.word_strings
    for position in first.tolist():
        doc = int(owner[position])
        prefixes, entries = _entry_words(languages[doc])
        end = int(ends[doc])
        if (strings[words[position]], strings[words[position + 1]]) not in prefixes:
            continue  # no entry starts with these two words
        gram = tuple(map(strings.__getitem__, words[position : min(end, position + max(entries))].tolist()))
        counts[doc] += sum(gram[:n] in entries[n] for n in entries if position + n <= end)
    return counts


@cache
def _entry_words(language: str) -> tuple[frozenset[tuple[str, ...]], dict[int, frozenset[tuple[str, ...]]]]:
    """(The first two words of each LDNOOBW entry of two or more words, those entries as word
    tuples by length.) Words hold no space, so a tuple of words equals an entry exactly when
    the words joined by spaces do."""
    lists = bad_words(language)
    assert lists is not None
    split = [tuple(entry.split(" ")) for entry in lists.entries if " " in entry]
    by_length = {n: frozenset(words for words in split if len(words) == n) for n in {len(words) for words in split}}
    return frozenset(words[:2] for words in split), by_length


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
    """RPv2's per-line signals of every line of `text`.

    `javascript` False says no normalised word of the text is "javascript" (then no line is
    scanned for it); None finds out.
    """
    if javascript is None:
        javascript = "javascript" in normalized_words(text)
    return batch_lines([text], [javascript])[0]


def batch_lines(texts: list[str], javascript: list[bool]) -> list[Lines]:
    """RPv2's per-line signals of every line of every text."""
    starts, ends, columns, offsets, first_line = _line_values(
        texts, javascript, native_available() and _kernels_built()
    )
    values = _rows(columns, np.arange(len(starts)))
    return [
        Lines(starts[a:b] - offsets[doc], ends[a:b] - offsets[doc], values[a:b])
        for doc, (a, b) in enumerate(itertools.pairwise(first_line))
    ]


def _line_values(
    texts: list[str], javascript: list[bool], native: bool = False, scan: _Scan | None = None
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...], np.ndarray, list[int]]:
    """(line starts and ends in the joined texts, a column of values per signal, where each text starts
    in the joined texts, each text's first line), the texts' lines in order.

    RPv2's per-line signals of every line of every text, from per-line sums over the batch.

    The texts are read as one array of code points. A line's normalised text has its
    content characters (neither white space nor ASCII punctuation), each as long as its NFD
    lower case, and one space between words, so its length and numeric characters are
    sums over the line's code points. Lines never cross a text's end. `native`: the C
    kernel's one pass over the code points instead of NumPy's (the same numbers).
    """
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    if native:
        scan = scan or _scan_texts(texts)
        starts, ends, columns = scan.starts, scan.ends, scan.columns
        first_line = np.searchsorted(starts, offsets).tolist()
        _javascript_counts(texts, javascript, first_line, columns[1])
        return starts, ends, columns, offsets, first_line
    joined = "".join(texts)
    points = code_points(joined)
    newlines = np.flatnonzero(points == 10)
    bounds = np.unique(np.concatenate((offsets, newlines + 1)))
    starts, ends = bounds[:-1], bounds[1:]
    if starts.size == 0:
        nothing = np.zeros(0, dtype=np.int64)
        return starts, ends, (nothing,) * 6, offsets, [0] * len(offsets)
    tables = tables_for(points)
    flags = tables.flags[points]
    # Lines cover the joined texts end to end, so per-line sums are one reduceat each.
    upper_fraction = (np.add.reduceat(flags & _UPPER, starts, dtype=np.int64) // _UPPER) / (ends - starts)
    kept_length = np.add.reduceat(tables.normalized_length[points], starts, dtype=np.int64)
    numerals = np.add.reduceat(tables.normalized_numeric[points], starts, dtype=np.int64)
    space = (flags & _SPACE) != 0
    nonspace = ~space
    # Runs of non-space characters; none crosses a line ("\n" is space) or a text's edge.
    text_starts = offsets[:-1][lengths > 0]
    text_ends = offsets[1:][lengths > 0] - 1
    run_start = nonspace.copy()
    run_start[1:] &= space[:-1]
    run_start[text_starts] = nonspace[text_starts]
    run_end = nonspace.copy()
    run_end[:-1] &= space[1:]
    run_end[text_ends] = nonspace[text_ends]
    run_starts = np.flatnonzero(run_start)
    run_ends = np.flatnonzero(run_end)
    runs = np.searchsorted(run_starts, ends) - np.searchsorted(run_starts, starts)
    # A normalised word is a run that keeps a character once ASCII punctuation is deleted:
    # every run but those made of punctuation alone (blocks of consecutive punctuation
    # with a run edge on both sides). Punctuation is sparse, so this works on its positions.
    punct = np.flatnonzero(flags & _ASCII_PUNCT)
    punct_runs = np.zeros(len(starts), dtype=np.int64)
    if punct.size:
        text_start = np.zeros(len(points) + 1, dtype=bool)
        text_start[text_starts] = True
        step = (punct[1:] != punct[:-1] + 1) | text_start[punct[1:]]
        block_start = punct[np.concatenate(([True], step))]
        block_end = punct[np.concatenate((step, [True]))]
        whole = block_start[run_start[block_start] & run_end[block_end]]
        punct_runs = np.searchsorted(whole, ends) - np.searchsorted(whole, starts)
    words = runs - punct_runs
    length = kept_length + np.maximum(words - 1, 0)
    numerical = np.divide(numerals, length, out=np.zeros(len(starts)), where=length > 0)
    # rstrip / lstrip: a line's last and first non-space characters end and start runs.
    terminal = np.zeros(len(starts), dtype=bool)
    bullet = np.zeros(len(starts), dtype=bool)
    if run_starts.size:
        last = run_ends[np.maximum(np.searchsorted(run_ends, ends) - 1, 0)]
        terminal = (last >= starts) & (last < ends) & np.isin(points[last], _TERMINAL_CODES)
        head = run_starts[np.minimum(np.searchsorted(run_starts, starts), run_starts.size - 1)]
        bullet = (head >= starts) & (head < ends) & np.isin(points[head], _BULLET_CODES)
    script = np.zeros(len(starts), dtype=np.int64)
    first_line = np.searchsorted(starts, offsets).tolist()
    _javascript_counts(texts, javascript, first_line, script)
    return starts, ends, (words, script, terminal, bullet, numerical, upper_fraction), offsets, first_line


def _javascript_counts(texts: list[str], javascript: list[bool], first_line: list[int], script: np.ndarray) -> None:
    """Each line's normalised words "javascript", into `script`, for the texts flagged in `javascript`.

    A text's lines are normalised at once: "\\n" is kept by normalisation and bounds
    str.lower's context, so piece k of the normalised text is line k's normalised text.
    """
    for doc in itertools.compress(range(len(texts)), javascript):
        begin, end = first_line[doc], first_line[doc + 1]
        pieces = unicodedata.normalize("NFD", _delete_punctuation(texts[doc]).lower()).split("\n")
        for line, piece in enumerate(pieces[: end - begin], begin):
            if "javascript" in piece:
                script[line] = piece.split().count("javascript")


def _rows(columns: tuple[np.ndarray, ...], lines: np.ndarray) -> list[tuple[int, int, bool, bool, float, float]]:
    """The values of the given lines as tuples in LINE_SIGNALS order, fractions rounded as RPv2's."""
    words, script, terminal, bullet, numerical, upper = (column[lines] for column in columns)
    return list(
        zip(
            words.tolist(),
            script.tolist(),
            terminal.tolist(),
            bullet.tolist(),
            round_like_python(numerical).tolist(),
            round_like_python(upper).tolist(),
            strict=True,
        )
    )


def _line_columns(columns: tuple[np.ndarray, ...], lines: np.ndarray) -> list[list[Value]]:
    """The values of the given lines, a list per signal in LINE_SIGNALS order, fractions
    rounded as RPv2's (the same Python values `_rows` puts in its tuples)."""
    words, script, terminal, bullet, numerical, upper = (column[lines] for column in columns)
    return [
        words.tolist(),
        script.tolist(),
        terminal.tolist(),
        bullet.tolist(),
        round_like_python(numerical).tolist(),
        round_like_python(upper).tolist(),
    ]


def round_like_python(values: np.ndarray) -> np.ndarray:
    """`round(v, 8)` for each value, vectorised.

    rint(v * 1e8) / 1e8 is Python's correctly rounded result whenever v * 1e8 is not within
    float error of a half (the division is correctly rounded, as is the decimal-to-float
    step in `round`); those few values are rounded by Python itself.
    """
    scaled = values * 10.0**PRECISION
    out = np.rint(scaled) / 10.0**PRECISION
    near_half = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    if near_half.size:
        out[near_half] = [round(v, PRECISION) for v in values[near_half].tolist()]
    return out


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


_WHICH_LINE = "(the RPv2 line holding the segment)"


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
            f"UT1 category id of the URL's domain; None unless {UT1_SETTING} names your copy of "
            "UT1's index (not shipped: not obtainable here)",
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
            f"ends with . ! ? or ” {_WHICH_LINE}; RPv2's spelling",
            "segment",
        ),
        spec("rps_lines_start_with_bulletpoint", "bool", f"starts with a bullet character {_WHICH_LINE}", "segment"),
        spec(
            "rps_lines_numerical_chars_fraction",
            "float",
            f"numeric characters / normalised characters {_WHICH_LINE}",
            "segment",
        ),
        spec(
            "rps_lines_uppercase_letter_fraction",
            "float",
            f"upper-case characters / characters with the newline {_WHICH_LINE}",
            "segment",
        ),
    )

    def __init__(self, native: bool | None = None) -> None:
        path = os.environ.get(UT1_SETTING)
        self._ut1 = ut1_index(path) if path else None
        self._chunks = _Chunks(native)

    def annotate(self, documents: list[Document]) -> None:
        texts = [document.text for document in documents]
        native = self._chunks.native
        scan = _scan_texts(texts) if native else None  # the text counts and the lines, one pass
        values, found = batch_document_signals(texts, list(map(_language, documents)), self._chunks, scan)
        segmented = [i for i, document in enumerate(documents) if document.analysis.segments]
        if native:
            # The scan has the lines of every text; those of the segmented ones are read.
            javascript = [False] * len(documents)
            for i in segmented:
                javascript[i] = found[i]
            starts, _, columns, offsets, _ = _line_values(texts, javascript, native, scan)
            text_starts = offsets[segmented]
        else:
            starts, _, columns, offsets, _ = _line_values(
                [texts[i] for i in segmented], [found[i] for i in segmented], native
            )
            text_starts = offsets[:-1]
        for document, signals in zip(documents, values, strict=True):
            signals["rps_doc_ut1_blacklist"] = None if self._ut1 is None else ut1_category(document.url, self._ut1)
            document.analysis.signals.update(signals)
        segments = [segment for i in segmented for segment in documents[i].analysis.segments]
        if not segments:
            return
        counts = [len(documents[i].analysis.segments) for i in segmented]
        positions = np.fromiter(map(attrgetter("start"), segments), dtype=np.int64, count=len(segments))
        positions += np.repeat(text_starts, counts)
        which = np.searchsorted(starts, positions, side="right") - 1  # each segment's line
        # No bytecode a segment: the C kernel sets each segment's six values (one dict at a
        # time); without it, a signal at a time, dict.__setitem__ mapped over the segments
        # (deque drains the map). Keys land in LINE_SIGNALS order either way.
        targets = list(map(attrgetter("signals"), segments))
        values = _line_columns(columns, which)
        if native:  # the C kernel sets a segment's six values at a time
            _native.set_columns(targets, LINE_SIGNALS, values)
            return
        for name, column in zip(LINE_SIGNALS, values, strict=True):
            deque(map(dict.__setitem__, targets, itertools.repeat(name), column), maxlen=0)
