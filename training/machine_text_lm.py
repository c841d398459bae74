"""Surprise features measured for the machine-text model, not shipped: two hashed word-bigram LMs.

Why they were tried: a hashed n-gram classifier learns the words of the generators it saw
("delve", "additionally"), which need not carry over to a generator or a domain it did not
see; how predictable a text is word by word might. One bigram model is counted on the human
texts of a training split and one on its machine texts; per text, the mean and spread of
each model's log-probabilities and of their difference, and the share of words and bigrams
each has seen. `training/machine_text.py --lm` stacks them with the hashed model and
prints the held-out figures: they do not generalise better (its docstring has the numbers),
so the shipped model does not use them.

Both models are interpolated absolute-discounting bigrams (Kneser-Ney's discounting with a
continuation unigram) over hashed word ids: words of `thresher.safety.features.normalize`
(lower-cased, punctuation removed) hashed by `feature_blocks` with `LM_CONFIG`, word and
bigram ids in `[0, 2 * buckets)` (the signed slot of the hash). Per-row sums of values and
of squares are kept, so a text's features could be summed from its parts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thresher.safety.features import FeatureBlock, FeatureConfig

LM_CONFIG = FeatureConfig(buckets=1 << 19, char_min=3, char_max=2, word_bigrams=True, scale_power=0.5)
IDS = 2 * LM_CONFIG.buckets
DISCOUNT = 0.75

# Per-token streams whose sum and sum of squares are kept: (name, kind), kind "word" for one
# value per word, "bigram" for one per word pair.
STREAMS: tuple[tuple[str, str], ...] = (
    ("human_unigram", "word"),
    ("human_bigram", "bigram"),
    ("machine_unigram", "word"),
    ("machine_bigram", "bigram"),
    ("bigram_ratio", "bigram"),
    ("unigram_ratio", "word"),
    ("human_seen_bigram", "bigram"),
    ("human_unseen_word", "word"),
    ("machine_seen_bigram", "bigram"),
)
# The combiner's inputs: mean and standard deviation of the first six streams, the mean
# (a share) of the last three.
FEATURES: tuple[str, ...] = tuple(f"{name}_{stat}" for name, _ in STREAMS[:6] for stat in ("mean", "sd")) + tuple(
    f"{name}_share" for name, _ in STREAMS[6:]
)


@dataclass(slots=True)
class TokenIds:
    """A batch's hashed words and bigrams: row of each, word ids, and each bigram's context word."""

    word_rows: np.ndarray
    words: np.ndarray
    bigram_rows: np.ndarray
    contexts: np.ndarray
    nexts: np.ndarray
    bigrams: np.ndarray


def token_ids(blocks: list[FeatureBlock]) -> TokenIds:
    """Word and bigram ids from the word and bigram blocks of `feature_blocks(texts, LM_CONFIG)`.

    The bigram block holds one entry per pair of neighbouring words of one row, in order, so
    each bigram's context and next word are the word entries on either side of it.
    """
    found = {b.kind: b for b in blocks}
    empty = np.zeros(0, np.int64)
    if "word" not in found:
        return TokenIds(empty, empty, empty, empty, empty, empty)
    word = found["word"]
    rows = word.rows
    words = word.slots.astype(np.int64)
    same = rows[1:] == rows[:-1]
    bigram = found.get("bigram")
    bigrams = bigram.slots.astype(np.int64) if bigram is not None else empty
    return TokenIds(rows, words, rows[1:][same], words[:-1][same], words[1:][same], bigrams)


@dataclass(slots=True)
class BigramTables:
    """One language model as lookup tables over word and bigram ids.

    P(w | v) = max(count(v, w) - D, 0) * inv_context[v] + backoff[v] * continuation[w],
    with `inv_context` 0 and `backoff` 1 for a context never seen (the continuation alone).
    """

    log_unigram: np.ndarray  # (IDS,) log P(w), add-0.1 smoothed
    continuation: np.ndarray  # (IDS,) continuation unigram, add-0.5 smoothed
    inv_context: np.ndarray  # (IDS,) 1 / count(v as context), 0 when unseen
    backoff: np.ndarray  # (IDS,) D * distinct followers(v) / count(v), 1 when unseen
    bigram_counts: np.ndarray  # (IDS,) count of each hashed bigram id, capped at 65535
    word_seen: np.ndarray  # (IDS,) bool

    @classmethod
    def count(cls, ids: TokenIds, rows_mask: np.ndarray) -> BigramTables:
        """Count a model on the rows of `ids` where `rows_mask` is true."""
        in_words = rows_mask[ids.word_rows]
        in_bigrams = rows_mask[ids.bigram_rows]
        unigram = np.bincount(ids.words[in_words], minlength=IDS).astype(np.float64)
        total = unigram.sum()
        contexts = ids.contexts[in_bigrams]
        nexts = ids.nexts[in_bigrams]
        bigram_ids = ids.bigrams[in_bigrams]
        bigram = np.bincount(bigram_ids, minlength=IDS).astype(np.float64)
        context = np.bincount(contexts, minlength=IDS).astype(np.float64)
        # Distinct (context, next word) pairs: the followers of a context and the contexts of a word.
        pairs = np.unique(contexts * IDS + nexts)
        followers = np.bincount(pairs // IDS, minlength=IDS).astype(np.float64)
        continuation = np.bincount(pairs % IDS, minlength=IDS).astype(np.float64)
        seen_context = context > 0
        # float16 where a shipped table would be stored so (the figures were measured so).
        log_unigram = np.log((unigram + 0.1) / (total + 0.1 * IDS)).astype(np.float16).astype(np.float32)
        backoff = np.where(seen_context, DISCOUNT * followers / np.maximum(context, 1.0), 1.0)
        return cls(
            log_unigram=log_unigram,
            continuation=((continuation + 0.5) / (continuation.sum() + 0.5 * IDS)).astype(np.float32),
            inv_context=np.where(seen_context, 1.0 / np.maximum(context, 1.0), 0.0).astype(np.float32),
            backoff=backoff.astype(np.float16).astype(np.float32),
            bigram_counts=np.minimum(bigram, 65535).astype(np.uint16),
            # A word never counted has the smallest unigram probability (the smoothing floor).
            word_seen=log_unigram > log_unigram.min() + 1e-3,
        )

    def log_bigram(self, ids: TokenIds) -> tuple[np.ndarray, np.ndarray]:
        """log P(next | context) of each bigram, and whether the bigram was counted."""
        counts = self.bigram_counts[ids.bigrams].astype(np.float32)
        probability = np.maximum(counts - DISCOUNT, 0.0) * self.inv_context[ids.contexts]
        probability += self.backoff[ids.contexts] * self.continuation[ids.nexts]
        return np.log(probability), counts > 0


def stream_sums(human: BigramTables, machine: BigramTables, ids: TokenIds, rows: int) -> np.ndarray:
    """Per row: word count, bigram count, then the sum and sum of squares of each stream.

    Shape `(rows, 2 + 2 * len(STREAMS))`; rows add up (a document is the sum of its segments).
    """
    human_word = human.log_unigram[ids.words]
    machine_word = machine.log_unigram[ids.words]
    human_pair, human_seen = human.log_bigram(ids)
    machine_pair, machine_seen = machine.log_bigram(ids)
    values = {
        "human_unigram": human_word,
        "human_bigram": human_pair,
        "machine_unigram": machine_word,
        "machine_bigram": machine_pair,
        "bigram_ratio": machine_pair - human_pair,
        "unigram_ratio": machine_word - human_word,
        "human_seen_bigram": human_seen.astype(np.float32),
        "human_unseen_word": (~human.word_seen[ids.words]).astype(np.float32),
        "machine_seen_bigram": machine_seen.astype(np.float32),
    }
    out = np.zeros((rows, 2 + 2 * len(STREAMS)))
    out[:, 0] = np.bincount(ids.word_rows, minlength=rows)
    out[:, 1] = np.bincount(ids.bigram_rows, minlength=rows)
    for j, (name, kind) in enumerate(STREAMS):
        at = ids.word_rows if kind == "word" else ids.bigram_rows
        value = values[name].astype(np.float64)
        out[:, 2 + 2 * j] = np.bincount(at, weights=value, minlength=rows)
        out[:, 3 + 2 * j] = np.bincount(at, weights=value * value, minlength=rows)
    return out


def features_from_sums(sums: np.ndarray) -> np.ndarray:
    """The `FEATURES` of each row (means, standard deviations, shares) from `stream_sums`."""
    out = np.zeros((sums.shape[0], len(FEATURES)))
    column = 0
    for j, (_, kind) in enumerate(STREAMS):
        n = np.maximum(sums[:, 0] if kind == "word" else sums[:, 1], 1.0)
        mean = sums[:, 2 + 2 * j] / n
        out[:, column] = mean
        column += 1
        if j < 6:
            out[:, column] = np.sqrt(np.maximum(sums[:, 3 + 2 * j] / n - mean * mean, 0.0))
            column += 1
    return out
