"""RedPajama-v2's rule-based quality signals, under RedPajama-v2's names (`rps_doc_*`, `rps_lines_*`).

RedPajama-v2 (Together AI, 2023) published ~40 signals per document so users could pick
their own thresholds; this module computes its rule-based ones (not the ML classifier,
importance-weight, blocklist or bad-word ones). Definitions follow RPv2's published
descriptions: most document signals read the *normalised* words (lowercased,
ASCII punctuation removed, white space collapsed, NFD), the symbol, all-caps and
no-alphabetic ratios read the raw white-space words. They were written from the
published definitions, not checked against RPv2's code (not available offline here);
`rps_lines_*` are per segment (a segment is a line under the line segmenter).
"""

from __future__ import annotations

import re
import string
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable

import numpy as np

from thresher.annotator import SignalSpec
from thresher.document import Document
from thresher.signals._common import ratio, spec

# Deleting ASCII punctuation with one regex is ~2x faster than str.translate's per-character
# table lookups on web text (most lines hold a non-ASCII character, which defeats translate's fast path).
_PUNCT = re.compile("[" + re.escape(string.punctuation) + "]+")
_SPACE = re.compile(r"\s+")
_SENTENCE = re.compile(r"\b[^.!?]+[.!?]*")
BULLETS = ("\u2022", "\u2023", "\u25b6", "\u25c0", "\u25e6", "\u25a0", "\u25a1", "\u25aa", "\u25ab", "\u2013")
TERMINAL = (".", "?", "!", '"')
TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


_BLOCK = 1 << 12
_TABLES: dict[Callable[[str], bool], np.ndarray] = {}


def code_point_table(predicate: Callable[[str], bool], highest: int = sys.maxunicode) -> np.ndarray:
    """A boolean per Unicode code point up to at least `highest`: does `predicate` (e.g. `str.isupper`) hold.

    Indexing it with a document's code points counts characters in one NumPy pass instead
    of a Python generator per character (this module's hot spot: ~1.3 M calls per 1.5 MB).
    It is computed from the str method itself, so it agrees with it by construction, and
    grown 4,096 code points at a time as far as the text read so far reaches: all 1.1 M
    code points cost ~0.05-0.2 s per predicate, a one-document run of English text needs
    the first 8 K (before this, such a run spent most of its time building these tables).
    """
    table = _TABLES.get(predicate)
    if table is None or len(table) <= highest:
        size = min(sys.maxunicode + 1, (highest // _BLOCK + 1) * _BLOCK)
        start = 0 if table is None else len(table)
        points = np.arange(start, size, dtype=np.uint32)
        characters = points.tobytes().decode("utf-32-le", "surrogatepass")
        grown = np.fromiter(map(predicate, characters), dtype=bool, count=len(characters))
        table = _TABLES[predicate] = grown if table is None else np.concatenate((table, grown))
    return table


def highest_code_point(points: np.ndarray) -> int:
    """The largest code point of a text (0 for an empty one), to size the tables it indexes."""
    return int(points.max()) if points.size else 0


def code_points(text: str) -> np.ndarray:
    """The code points of `text` as uint32 (lone surrogates kept as their own values)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def prefix_counts(table: np.ndarray, points: np.ndarray) -> np.ndarray:
    """counts[i] = characters among the first i that `table` marks; spans subtract two entries."""
    return np.concatenate(([0], np.cumsum(table[points], dtype=np.int64)))


def words_with(points: np.ndarray, table: np.ndarray) -> int:
    """How many white-space words hold at least one character that `table` marks.

    Words are `str.split()`'s (runs of non-`isspace` characters); a marked character is never
    white space, so it is enough to number the words and count distinct numbers at marked places.
    """
    if points.size == 0:
        return 0
    word = ~code_point_table(str.isspace, highest_code_point(points))[points]
    starts = word.copy()
    starts[1:] &= ~word[:-1]
    ids = np.cumsum(starts)[table[points]]
    return 0 if ids.size == 0 else int(np.count_nonzero(np.diff(ids))) + 1


def normalize(text: str) -> str:
    """RPv2's normalisation: lowercase, drop ASCII punctuation, collapse white space, NFD."""
    text = _PUNCT.sub("", text.lower())
    text = _SPACE.sub(" ", text).strip()
    return unicodedata.normalize("NFD", text)


def unigram_entropy(words: list[str]) -> float | None:
    """Shannon entropy (natural log) of the word frequency distribution; None without words."""
    if not words:
        return None
    counts = np.fromiter(Counter(words).values(), dtype=np.float64)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def _ngram_keys(ids: np.ndarray, n: int) -> np.ndarray:
    """One 64-bit key per word n-gram (a multiplicative hash of the word ids)."""
    count = len(ids) - n + 1
    keys = np.zeros(count, dtype=np.uint64)
    for k in range(n):
        keys = keys * _MULTIPLIER + ids[k : k + count]
    return keys


def ngram_char_fractions(words: list[str]) -> dict[str, float | None]:
    """Top n-gram (n=2..4) and duplicated n-gram (n=5..10) character fractions of `words`.

    Characters are those of the words (no spaces). Top: the most frequent n-gram's
    characters times its count. Duplicated: the characters of every word covered by an
    n-gram that occurs more than once, each word counted once.
    """
    out: dict[str, float | None] = {}
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    total = int(lengths.sum())
    vocabulary: dict[str, int] = {}
    ids = np.fromiter(
        (vocabulary.setdefault(w, len(vocabulary) + 1) for w in words), dtype=np.uint64, count=len(words)
    )
    cumulative = np.concatenate(([0], np.cumsum(lengths)))
    for n in TOP_NGRAMS + DUP_NGRAMS:
        name = f"rps_doc_frac_chars_top_{n}gram" if n in TOP_NGRAMS else f"rps_doc_frac_chars_dupe_{n}grams"
        if len(words) < n or total == 0:
            out[name] = None if len(words) < n else 0.0
            continue
        keys = _ngram_keys(ids, n)
        _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        if n in TOP_NGRAMS:
            best = int(np.argmax(counts))
            first = int(np.argmax(inverse == best))
            chars = int(cumulative[first + n] - cumulative[first])
            out[name] = chars * int(counts[best]) / total
        else:
            repeated = counts[inverse] > 1
            if not repeated.any():
                out[name] = 0.0
                continue
            covered = np.zeros(len(words) + 1, dtype=np.int64)
            starts = np.flatnonzero(repeated)
            np.add.at(covered, starts, 1)
            np.add.at(covered, starts + n, -1)
            mask = np.cumsum(covered[:-1]) > 0
            out[name] = int(lengths[mask].sum()) / total
    return out


def rps_document_signals(text: str) -> dict[str, float | int | None]:
    """RPv2's document-level rule-based signals of `text`."""
    normalized = normalize(text)
    words = normalized.split()
    raw_words = text.split()
    n_raw = len(raw_words)
    points = code_points(text)
    lines = text.split("\n")
    out: dict[str, float | int | None] = {
        "rps_doc_word_count": len(words),
        "rps_doc_mean_word_length": ratio(sum(map(len, words)), len(words)),
        "rps_doc_num_sentences": len(_SENTENCE.findall(text)),
        "rps_doc_frac_unique_words": ratio(len(set(words)), len(words)),
        "rps_doc_unigram_entropy": unigram_entropy(words),
        "rps_doc_symbol_to_word_ratio": ratio(text.count("#") + text.count("...") + text.count("…"), n_raw),
        "rps_doc_frac_all_caps_words": ratio(sum(map(str.isupper, raw_words)), n_raw),
        "rps_doc_frac_no_alph_words": ratio(
            n_raw - words_with(points, code_point_table(str.isalpha, highest_code_point(points))), n_raw
        ),
        "rps_doc_frac_lines_end_with_ellipsis": ratio(
            sum(1 for line in lines if line.rstrip().endswith(("...", "…"))), len(lines)
        ),
        "rps_doc_curly_bracket": ratio(text.count("{") + text.count("}"), len(text)),
        "rps_doc_lorem_ipsum": ratio(normalized.count("lorem ipsum"), len(normalized)),
    }
    out.update(ngram_char_fractions(words))
    return out


def rps_line_signals(line: str) -> dict[str, float | int | bool | None]:
    """RPv2's per-line signals of one line."""
    points = code_points(line)
    highest = highest_code_point(points)
    numeric = prefix_counts(code_point_table(str.isnumeric, highest), points)
    upper = prefix_counts(code_point_table(str.isupper, highest), points)
    return _line_signals(line, int(numeric[-1]), int(upper[-1]))


def _line_signals(line: str, numeric: int, upper: int) -> dict[str, float | int | bool | None]:
    """The per-line signals, given the line's numeric and upper-case character counts.

    Numeric and upper-case characters are never white space, so counting them over the
    line or over the stripped line is the same.
    """
    stripped = line.strip()
    visible = len(stripped.replace(" ", ""))
    return {
        # normalize() without its lower-casing, white-space collapsing and NFD, none of which
        # changes how many words there are.
        "rps_lines_num_words": len(_PUNCT.sub("", line).split()),
        "rps_lines_javascript_counts": line.lower().count("javascript"),
        "rps_lines_ending_with_terminal_punctution_mark": stripped.endswith(TERMINAL),
        "rps_lines_start_with_bulletpoint": stripped.startswith(BULLETS),
        "rps_lines_numerical_chars_fraction": ratio(numeric, visible),
        "rps_lines_uppercase_letter_fraction": ratio(upper, len(stripped)),
    }


class RedPajamaSignals:
    """Writes RedPajama-v2's rule-based `rps_doc_*` (document) and `rps_lines_*` (segment) signals."""

    name = "signals.rpv2"
    signals: tuple[SignalSpec, ...] = (
        spec("rps_doc_word_count", "int", "normalised words"),
        spec("rps_doc_mean_word_length", "float", "mean length of normalised words"),
        spec("rps_doc_num_sentences", "int", "sentences (RPv2's regular expression)"),
        spec("rps_doc_frac_unique_words", "float", "distinct normalised words / words"),
        spec("rps_doc_unigram_entropy", "float", "entropy of the normalised word distribution"),
        spec("rps_doc_symbol_to_word_ratio", "float", "'#', '...' and '…' per raw word"),
        spec("rps_doc_frac_all_caps_words", "float", "raw words in capitals"),
        spec("rps_doc_frac_no_alph_words", "float", "raw words without an alphabetic character"),
        spec("rps_doc_frac_lines_end_with_ellipsis", "float", "lines ending with an ellipsis"),
        spec("rps_doc_curly_bracket", "float", "'{' and '}' per character"),
        spec("rps_doc_lorem_ipsum", "float", "'lorem ipsum' per normalised character"),
        *(
            spec(f"rps_doc_frac_chars_top_{n}gram", "float", f"characters in the top {n}-gram")
            for n in TOP_NGRAMS
        ),
        *(
            spec(f"rps_doc_frac_chars_dupe_{n}grams", "float", f"characters in repeated {n}-grams")
            for n in DUP_NGRAMS
        ),
        spec("rps_lines_num_words", "int", "normalised words in the line", "segment"),
        spec("rps_lines_javascript_counts", "int", "'javascript' occurrences in the line", "segment"),
        spec(
            "rps_lines_ending_with_terminal_punctution_mark",
            "bool",
            "line ends with . ? ! or \" (RPv2's spelling)",
            "segment",
        ),
        spec("rps_lines_start_with_bulletpoint", "bool", "line starts with a bullet character", "segment"),
        spec(
            "rps_lines_numerical_chars_fraction",
            "float",
            "numeric characters / non-space characters",
            "segment",
        ),
        spec("rps_lines_uppercase_letter_fraction", "float", "upper-case characters / characters", "segment"),
    )

    def annotate(self, documents: list[Document]) -> None:
        for document in documents:
            text = document.text
            document.analysis.signals.update(rps_document_signals(text))
            # One pass over the document's code points; each segment's counts are differences.
            points = code_points(text)
            highest = highest_code_point(points)
            numeric = prefix_counts(code_point_table(str.isnumeric, highest), points)
            upper = prefix_counts(code_point_table(str.isupper, highest), points)
            for segment in document.analysis.segments:
                start, end = segment.start, segment.end
                segment.signals.update(
                    _line_signals(
                        text[start:end], int(numeric[end] - numeric[start]), int(upper[end] - upper[start])
                    )
                )
