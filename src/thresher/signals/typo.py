"""Typo rate: the fraction of words that are not English words, per document and segment.

Careless text (reader comments such as "ling time sgo", "wastingnhuman lufe") is full
of words no dictionary holds; edited prose has few outside names. The word list is
Debian's `wamerican` (SCOWL, 73,701 lowercased entries), built by
`training/build_wordlist.py` and shipped gzipped in `thresher/models`.

Words are runs of letters with inner apostrophes ("don't"), lowercased, with a final
possessive "'s" dropped ("Zelensky's" -> "zelensky"). Names and non-English words also
count as unknown, so the rate is a relative signal: compare segments of one document, or
documents of one corpus, rather than reading it as a count of typos.
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from importlib import resources

import numpy as np

from thresher.annotator import SignalSpec
from thresher.document import Document
from thresher.safety.common import native_safety, segment_texts
from thresher.signals._common import spec

_WORD = re.compile(r"([^\W\d_]+(?:'(?!s\b)[^\W\d_]+)*)(?:'s\b)?")


@cache
def english_words() -> frozenset[str]:
    """The packaged English word list."""
    path = resources.files("thresher") / "models" / "english_words.txt.gz"
    return frozenset(gzip.decompress(path.read_bytes()).decode("utf-8").split())


def words_for_typos(text: str) -> list[str]:
    """Lowercased words of `text` as the typo rate reads them (apostrophes normalised)."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


@cache
def _vocabulary_table() -> object:
    """`english_words` as the C kernel's exact set (built once per process)."""
    native = native_safety()
    assert native is not None
    return native.vocabulary(sorted(english_words()))


def segment_word_counts(texts: list[str]) -> list[tuple[int, int]]:
    """(words, words not in the English word list) of each text, as `words_for_typos` reads them.

    The C kernel (when built) reads the words of each lower-cased text off its code points and
    looks them up in an exact set, with no regex and no str per word; the fallback runs
    `words_for_typos` and the frozenset.
    """
    native = native_safety()
    if native is not None:
        lowered = [text.lower().replace("\u2019", "'") for text in texts]
        pairs = np.frombuffer(native.typo_counts(lowered, _vocabulary_table()), dtype=np.int64)
        return list(zip(pairs[0::2].tolist(), pairs[1::2].tolist(), strict=True))
    vocabulary = english_words().__contains__
    result = []
    for text in texts:
        words = words_for_typos(text)
        result.append((len(words), len(words) - sum(map(vocabulary, words))))
    return result


def typo_rate(text: str) -> float | None:
    """Fraction of the words of `text` not in the English word list; None without words."""
    words = words_for_typos(text)
    if not words:
        return None
    known = sum(map(english_words().__contains__, words))
    return (len(words) - known) / len(words)


class TypoSignals:
    """Writes `typo_rate` for each document and each segment."""

    name = "signals.typo"
    signals: tuple[SignalSpec, ...] = (
        spec("typo_rate", "float", "fraction of words not in the English word list"),
        spec("typo_rate", "float", "fraction of the segment's words not in the English word list", "segment"),
    )

    def annotate(self, documents: list[Document]) -> None:
        texts, _ = segment_texts(documents)
        counts = iter(segment_word_counts(texts))
        for document in documents:
            total = unknown = 0
            for segment in document.analysis.segments:
                count, missing = next(counts)
                segment.signals["typo_rate"] = missing / count if count else None
                total += count
                unknown += missing
            if not document.analysis.segments:
                rate = typo_rate(document.text)
            else:
                rate = unknown / total if total else None
            document.analysis.signals["typo_rate"] = rate
