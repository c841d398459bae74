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
import unicodedata
from collections import Counter

import numpy as np

from thresher.annotator import SignalSpec
from thresher.document import Document
from thresher.signals._common import ratio, spec

_PUNCT_TABLE = str.maketrans("", "", string.punctuation)
_SPACE = re.compile(r"\s+")
_SENTENCE = re.compile(r"\b[^.!?]+[.!?]*")
BULLETS = ("\u2022", "\u2023", "\u25b6", "\u25c0", "\u25e6", "\u25a0", "\u25a1", "\u25aa", "\u25ab", "\u2013")
TERMINAL = (".", "?", "!", '"')
TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def normalize(text: str) -> str:
    """RPv2's normalisation: lowercase, drop ASCII punctuation, collapse white space, NFD."""
    text = text.lower().translate(_PUNCT_TABLE)
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
    lines = text.split("\n")
    out: dict[str, float | int | None] = {
        "rps_doc_word_count": len(words),
        "rps_doc_mean_word_length": ratio(sum(map(len, words)), len(words)),
        "rps_doc_num_sentences": len(_SENTENCE.findall(text)),
        "rps_doc_frac_unique_words": ratio(len(set(words)), len(words)),
        "rps_doc_unigram_entropy": unigram_entropy(words),
        "rps_doc_symbol_to_word_ratio": ratio(text.count("#") + text.count("...") + text.count("…"), n_raw),
        "rps_doc_frac_all_caps_words": ratio(sum(1 for w in raw_words if w.isupper()), n_raw),
        "rps_doc_frac_no_alph_words": ratio(
            sum(1 for w in raw_words if not any(c.isalpha() for c in w)), n_raw
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
    stripped = line.strip()
    visible = len(stripped.replace(" ", ""))
    return {
        "rps_lines_num_words": len(normalize(line).split()),
        "rps_lines_javascript_counts": line.lower().count("javascript"),
        "rps_lines_ending_with_terminal_punctution_mark": stripped.endswith(TERMINAL),
        "rps_lines_start_with_bulletpoint": stripped.startswith(BULLETS),
        "rps_lines_numerical_chars_fraction": ratio(sum(c.isnumeric() for c in stripped), visible),
        "rps_lines_uppercase_letter_fraction": ratio(sum(c.isupper() for c in stripped), len(stripped)),
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
            for segment in document.analysis.segments:
                segment.signals.update(rps_line_signals(text[segment.start : segment.end]))
