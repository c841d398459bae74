"""Hashed word and character n-gram features, in NumPy only, shared by training and run time.

Why hashing: the model needs no vocabulary file, so the shipped artefact is one weight
matrix, and a word never seen in training still gets character n-gram evidence
("fuuck", "sh1t"). Why NumPy and no scikit-learn at run time: the package must load in a
worker with no heavy dependency, and the same function must produce byte-identical
features when `training/toxicity.py` fits the weights and when the annotator scores text.

Character n-grams are hashed for a whole batch at once with a polynomial rolling hash over
the concatenated code points (a handful of array operations per n), so the cost per
segment is a few microseconds of NumPy work instead of a Python loop over n-grams.
"""

from __future__ import annotations

import html
import re
import unicodedata
import zlib
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

# Tweets carry "RT @user:" and links; web comments do not. Mapping both to neutral tokens
# stops the model from learning "has a mention" as evidence, which would not transfer.
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_RETWEET = re.compile(r"\bRT\b")
_ENTITY_CODEPOINT = re.compile(r"&#\d+;?")
# "fuuuuck" and "fuuck" should share n-grams: any run of 3+ of one character becomes 2.
_REPEATS = re.compile(r"(.)\1{2,}")
_NON_WORD = re.compile(r"[\W_]+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})

_MASK64 = (1 << 64) - 1
_PRIME = np.uint64(1099511628211)  # the FNV-1a 64-bit prime: odd, so multiplication mixes all bits
_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """The hashing layout; stored beside the weights so a model is never read with another."""

    buckets: int = 1 << 18
    char_min: int = 2
    char_max: int = 5
    word_bigrams: bool = True

    def __post_init__(self) -> None:
        if self.buckets & (self.buckets - 1):
            raise ValueError(f"buckets must be a power of two, got {self.buckets}")


def normalize(text: str) -> str:
    """Lower-cased words separated by single spaces, tweet and web noise removed.

    HTML entities (the tweets hold "&amp;", "&#8220;") are decoded, links and @mentions
    dropped, typographic apostrophes unified so "don’t" (web) and "don't" (tweets) agree,
    and every non-word character becomes a space.
    """
    text = _ENTITY_CODEPOINT.sub(" ", html.unescape(text))
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _RETWEET.sub(" ", text)
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()
    text = text.replace("'", "")
    text = _REPEATS.sub(r"\1\1", text)
    return _NON_WORD.sub(" ", text).strip()


def _mix(values: np.ndarray) -> np.ndarray:
    """A 64-bit finaliser (splitmix-style) so low bits of the bucket index are well spread."""
    values = values ^ (values >> np.uint64(31))
    values = values * _MIX
    values = values ^ (values >> np.uint64(29))
    return values


def _word_hash(word: str, cache: dict[str, int]) -> int:
    value = cache.get(word)
    if value is None:
        data = word.encode("utf-8", "surrogatepass")
        value = zlib.crc32(data) | (zlib.adler32(data) << 32)
        if len(cache) < 500_000:
            cache[word] = value
    return value


_WORD_CACHE: dict[str, int] = {}


def hashed_features(
    texts: list[str], config: FeatureConfig, normalized: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sparse features of a batch as (row, column, value) arrays, each row L2-normalised.

    Word unigrams/bigrams and character 2..5-grams (over the normalised text padded with
    spaces, so word starts and ends are n-grams of their own) are hashed into one space of
    `config.buckets` columns with a hash-derived sign, so collisions cancel on average
    instead of piling up. Words and characters are normalised separately and weighted
    equally: otherwise the ~10x more numerous character n-grams would drown the words.
    """
    norm = texts if normalized else [normalize(text) for text in texts]
    mask = np.uint64(config.buckets - 1)

    # --- character n-grams, the whole batch in one array ---------------------------------
    # NUL separates documents, so any NUL inside a text becomes a space; "surrogatepass" keeps
    # a lone surrogate (left by a lenient decoder) from raising.
    padded = "\x00".join(f" {text.replace(chr(0), ' ')} " for text in norm)
    codes = np.frombuffer(padded.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    is_sep = (codes == 0).astype(np.int64)
    sep_cum = np.concatenate(([0], np.cumsum(is_sep)))
    row_of_pos = sep_cum[:-1]  # the document index of each position (separators counted before it)
    rows_parts: list[np.ndarray] = []
    keys_parts: list[np.ndarray] = []
    size = codes.shape[0]
    rolling = np.zeros(size, dtype=np.uint64)
    for n in range(1, config.char_max + 1):
        if size < n:
            break
        # rolling[i] is the hash of codes[i : i + n]: extend every (n-1)-gram by one char.
        rolling = rolling[: size - n + 1] * _PRIME + codes[n - 1 :]
        if n < config.char_min:
            continue
        valid = (sep_cum[n:] - sep_cum[: size - n + 1]) == 0
        rows_parts.append(row_of_pos[: size - n + 1][valid])
        keys_parts.append(rolling[valid] + np.uint64(n))
    char_rows = np.concatenate(rows_parts) if rows_parts else np.zeros(0, np.int64)
    char_keys = np.concatenate(keys_parts) if keys_parts else np.zeros(0, np.uint64)

    # --- word unigrams and bigrams ----------------------------------------------------------
    word_rows_list: list[int] = []
    word_keys_list: list[int] = []
    for row, text in enumerate(norm):
        hashes = [_word_hash(word, _WORD_CACHE) for word in text.split()]
        word_rows_list.extend([row] * len(hashes))
        word_keys_list.extend(hashes)
        if config.word_bigrams and len(hashes) > 1:
            bigrams = [((a * 1_000_003) ^ b ^ 0x5BD1E995) & _MASK64 for a, b in pairwise(hashes)]
            word_rows_list.extend([row] * len(bigrams))
            word_keys_list.extend(bigrams)
    word_rows = np.asarray(word_rows_list, dtype=np.int64)
    word_keys = np.asarray(word_keys_list, dtype=np.uint64) ^ np.uint64(0xA5A5A5A5A5A5A5A5)

    out_rows: list[np.ndarray] = []
    out_cols: list[np.ndarray] = []
    out_vals: list[np.ndarray] = []
    for rows, keys in ((char_rows, char_keys), (word_rows, word_keys)):
        if rows.size == 0:
            continue
        mixed = _mix(keys)
        cols = (mixed & mask).astype(np.int64)
        signs = np.where((mixed >> np.uint64(63)) == 1, -1.0, 1.0)
        combined = rows * config.buckets + cols
        unique, inverse = np.unique(combined, return_inverse=True)
        values = np.bincount(inverse, weights=signs)
        urows = unique // config.buckets
        ucols = unique % config.buckets
        norms = np.sqrt(np.bincount(urows, weights=values * values, minlength=len(norm)))
        keep = values != 0
        urows, ucols, values = urows[keep], ucols[keep], values[keep]
        out_rows.append(urows)
        out_cols.append(ucols)
        out_vals.append(values / norms[urows])
    if not out_rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)
    return np.concatenate(out_rows), np.concatenate(out_cols), np.concatenate(out_vals)
