"""Gopher's quality and repetition signals (Rae et al. 2021, Table A1), as datatrove computes them.

Each value is the exact quantity datatrove 0.10.1's `GopherQualityFilter` and
`GopherRepetitionFilter` compare with their thresholds (same words, same denominators,
same float divisions), so a policy that thresholds them decides exactly as datatrove does.
Words are spaCy-compatible English tokens (`thresher.signals.words`).
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import islice, repeat

from thresher.annotator import SignalSpec
from thresher.document import Document
from thresher.signals._batch import batch_word_stats
from thresher.signals._common import ratio, spec, token_facts
from thresher.signals.words import split_into_words

STOP_WORDS = frozenset({"the", "be", "to", "of", "and", "that", "have", "with"})
_PARAGRAPHS = re.compile(r"\n{2,}")
_LINES = re.compile("\n+")
TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)

Signals = dict[str, float | int | None]


def document_words(text: str) -> list[str]:
    """The document's English words (spaCy-compatible; each white-space chunk is tokenised once
    per process by the splitter's chunk cache, so no cache of whole texts is needed)."""
    return split_into_words(text)


def gopher_quality_signals(text: str, words: list[str]) -> Signals:
    """Gopher's quality heuristics over `text` and its `words`.

    `gopher_word_count` and `gopher_mean_word_length` count only words holding a
    non-punctuation character (datatrove's "non-symbol words"); the symbol and alpha
    ratios divide by all words, as datatrove does. Ratios are None when there are no words.
    """
    n_words = len(words)
    non_symbol_count = 0
    non_symbol_chars = 0
    alpha_words = 0
    for word in words:
        is_symbol, has_alpha = token_facts(word)
        if not is_symbol:
            non_symbol_count += 1
            non_symbol_chars += len(word)
        alpha_words += has_alpha
    lines = text.splitlines()
    bullets = sum(1 for line in lines if line.lstrip().startswith(("•", "-")))
    ellipsis_lines = sum(1 for line in lines if line.rstrip().endswith(("...", "…")))
    return {
        "gopher_word_count": non_symbol_count,
        "gopher_mean_word_length": ratio(non_symbol_chars, non_symbol_count),
        "gopher_hash_word_ratio": ratio(text.count("#"), n_words),
        "gopher_ellipsis_word_ratio": ratio(text.count("...") + text.count("…"), n_words),
        "gopher_bullet_lines_ratio": ratio(bullets, len(lines)),
        "gopher_ellipsis_lines_ratio": ratio(ellipsis_lines, len(lines)),
        "gopher_alpha_words_ratio": ratio(alpha_words, n_words),
        "gopher_stop_word_count": len(STOP_WORDS.intersection(words)),
    }


def find_duplicates(items: list[str]) -> tuple[int, int]:
    """(repeated elements, characters in repeats): every occurrence after the first counts.

    The first occurrences are exactly the distinct items, so the repeats are what the set
    of them leaves out: two set/len passes in C instead of a Python loop over the items.
    """
    distinct = set(items)
    return len(items) - len(distinct), sum(map(len, items)) - sum(map(len, distinct))


def line_pieces(text: str) -> list[str]:
    """`re.split("\\n+", text)` without the regex: the pieces between newline runs (an
    empty first/last piece where the text starts/ends with a newline)."""
    parts = text.split("\n")
    if len(parts) <= 2:
        return parts
    return [parts[0], *filter(None, parts[1:-1]), parts[-1]]


def paragraph_pieces(stripped: str) -> list[str]:
    """`re.split("\\n{2,}", stripped)`, skipping the regex where no blank line can split."""
    return _PARAGRAPHS.split(stripped) if "\n\n" in stripped else [stripped]


def top_ngram_chars(words: list[str], n: int) -> int | None:
    """Characters covered by the most frequent word n-gram (`" "`-joined length x count).

    Ties go to the n-gram seen first, as `Counter.most_common(1)` does. None without n-grams.
    """
    if len(words) < n:
        return None
    counts = Counter(zip(*(islice(words, k, None) for k in range(n)), strict=False))
    gram, count = counts.most_common(1)[0]
    return (sum(map(len, gram)) + n - 1) * count


def duplicate_ngram_chars(words: list[str], n: int) -> int:
    """Characters in repeated n-grams, scanning left to right and skipping a whole repeat.

    N-grams are compared as the concatenation of their words (no separator), exactly as
    datatrove's `find_all_duplicate`; the greedy scan runs in Python only from the first
    repeat on, since before it every position is new.
    """
    if len(words) < n:
        return 0
    keys = list(map("".join, zip(*(islice(words, k, None) for k in range(n)), strict=False)))
    first_seen: dict[str, int] = {}
    first_repeat = -1
    for index, key in enumerate(keys):
        if key in first_seen:
            first_repeat = index
            break
        first_seen[key] = index
    if first_repeat < 0:
        return 0
    unique = set(keys[:first_repeat])
    repeated = 0
    index = first_repeat
    total = len(keys)
    while index < total:
        key = keys[index]
        if key in unique:
            repeated += len(key)
            index += n
        else:
            unique.add(key)
            index += 1
    return repeated


def gopher_repetition_signals(text: str, words: list[str]) -> Signals:
    """Gopher's repetition fractions, each divided by `len(text)` as datatrove divides them.

    Paragraphs are split on 2+ newlines of the stripped text, lines on 1+ newlines of the
    unstripped text (so leading/trailing newlines make empty "lines", as in datatrove).
    """
    out: Signals = {}
    if not text:
        names = ["dup_para_frac", "dup_para_char_frac", "dup_line_frac", "dup_line_char_frac"]
        names += [f"top_{n}_gram_char_frac" for n in TOP_NGRAMS]
        names += [f"dup_{n}_gram_char_frac" for n in DUP_NGRAMS]
        return {f"gopher_{name}": None for name in names}
    size = len(text)
    paragraphs = _PARAGRAPHS.split(text.strip())
    para_dups, para_chars = find_duplicates(paragraphs)
    out["gopher_dup_para_frac"] = para_dups / len(paragraphs)
    out["gopher_dup_para_char_frac"] = para_chars / size
    lines = _LINES.split(text)
    line_dups, line_chars = find_duplicates(lines)
    out["gopher_dup_line_frac"] = line_dups / len(lines)
    out["gopher_dup_line_char_frac"] = line_chars / size
    for n in TOP_NGRAMS:
        chars = top_ngram_chars(words, n)
        out[f"gopher_top_{n}_gram_char_frac"] = None if chars is None else chars / size
    for n in DUP_NGRAMS:
        out[f"gopher_dup_{n}_gram_char_frac"] = duplicate_ngram_chars(words, n) / size
    return out


class GopherSignals:
    """Writes Gopher's quality and repetition signals for each document (whole text)."""

    name = "signals.gopher"
    signals: tuple[SignalSpec, ...] = (
        spec("gopher_word_count", "int", "words with a non-punctuation character (spaCy tokens)"),
        spec("gopher_mean_word_length", "float", "mean length of those words"),
        spec("gopher_hash_word_ratio", "float", "'#' characters per word"),
        spec("gopher_ellipsis_word_ratio", "float", "'...' and '…' per word"),
        spec("gopher_bullet_lines_ratio", "float", "lines starting with '•' or '-'"),
        spec("gopher_ellipsis_lines_ratio", "float", "lines ending with '...' or '…'"),
        spec("gopher_alpha_words_ratio", "float", "words holding an alphabetic character"),
        spec("gopher_stop_word_count", "int", "distinct Gopher stop words present (the, be, to, ...)"),
        spec("gopher_dup_para_frac", "float", "repeated paragraphs / paragraphs"),
        spec("gopher_dup_para_char_frac", "float", "characters in repeated paragraphs / characters"),
        spec("gopher_dup_line_frac", "float", "repeated lines / lines"),
        spec("gopher_dup_line_char_frac", "float", "characters in repeated lines / characters"),
        *(
            spec(f"gopher_top_{n}_gram_char_frac", "float", f"characters of the most frequent {n}-gram")
            for n in TOP_NGRAMS
        ),
        *(spec(f"gopher_dup_{n}_gram_char_frac", "float", f"characters in repeated {n}-grams") for n in DUP_NGRAMS),
    )

    def annotate(self, documents: list[Document]) -> None:
        texts = [document.text for document in documents]
        stats = batch_word_stats(texts)
        for document, text, stat in zip(documents, texts, stats, strict=True):
            signals = document.analysis.signals
            signals.update(_text_repetition_signals(text))
            for n in TOP_NGRAMS:
                name = f"gopher_top_{n}_gram_char_frac"
                signals[name] = stat[name] if text else None
            for n in DUP_NGRAMS:
                name = f"gopher_dup_{n}_gram_char_frac"
                signals[name] = stat[name] if text else None
            n_words = stat["words"]
            lines = text.splitlines()
            ellipses = text.count("...") + text.count("…")
            signals["gopher_word_count"] = stat["non_symbol"]
            signals["gopher_mean_word_length"] = ratio(stat["non_symbol_chars"], stat["non_symbol"])
            signals["gopher_hash_word_ratio"] = ratio(text.count("#"), n_words)
            signals["gopher_ellipsis_word_ratio"] = ratio(ellipses, n_words)
            signals["gopher_bullet_lines_ratio"] = ratio(bullet_lines(text, lines), len(lines))
            signals["gopher_ellipsis_lines_ratio"] = ratio(ellipsis_lines(lines) if ellipses else 0, len(lines))
            signals["gopher_alpha_words_ratio"] = ratio(stat["alpha"], n_words)
            signals["gopher_stop_word_count"] = stat["stop"]


def bullet_lines(text: str, lines: list[str]) -> int:
    """Lines starting, after white space, with '•' or '-' (`lines`: `text.splitlines()`).
    str methods mapped over the lines (no Python frame a line); a text holding neither has none."""
    if "-" not in text and "•" not in text:
        return 0
    return sum(map(str.startswith, map(str.lstrip, lines), repeat(("•", "-"))))


def ellipsis_lines(lines: list[str]) -> int:
    """Lines ending, before white space, with '...' or '…' (callers skip texts holding neither)."""
    return sum(map(str.endswith, map(str.rstrip, lines), repeat(("...", "…"))))


def _text_repetition_signals(text: str) -> Signals:
    """The paragraph and line repetition fractions (the string-level part of Gopher repetition)."""
    if not text:
        return {
            "gopher_dup_para_frac": None,
            "gopher_dup_para_char_frac": None,
            "gopher_dup_line_frac": None,
            "gopher_dup_line_char_frac": None,
        }
    size = len(text)
    paragraphs = paragraph_pieces(text.strip())
    para_dups, para_chars = find_duplicates(paragraphs)
    lines = line_pieces(text)
    line_dups, line_chars = find_duplicates(lines)
    return {
        "gopher_dup_para_frac": para_dups / len(paragraphs),
        "gopher_dup_para_char_frac": para_chars / size,
        "gopher_dup_line_frac": line_dups / len(lines),
        "gopher_dup_line_char_frac": line_chars / size,
    }
