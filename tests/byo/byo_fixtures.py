"""Test helpers: a tiny fastText classifier trained here and written in fastText's own file format.

Why not train with fastText itself: the training wheels install the same `fasttext` module as
`fasttext-predict` (the run-time dependency) and would replace it, so CI (a fresh
`pip install -e '.[test]'`) cannot have both. A supervised fastText model is small and
simple: the average of the input rows of a line's words (and of the end-of-line token
`</s>`), times the output matrix, through a softmax. This trains exactly that model with
plain SGD in NumPy (fixed seed) and writes it as fastText 0.9.2 writes a model
(`FastText::saveModel`, version 12: `Args`, `Dictionary`, dense input and output matrices),
without subword buckets (as `fasttext supervised` itself does when minn = maxn = 0 and
wordNgrams = 1). The tests then load it with fastText's own C++ loader (`fasttext-predict`),
so a mistake in the writer fails them, and compare the pipeline's signals with fastText's
own predictions.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

import numpy as np

MAGIC, VERSION = 793712314, 12
EOS = "</s>"


def train_supervised(
    texts: list[str], labels: list[str], *, dim: int = 8, epochs: int = 20, lr: float = 0.5, seed: int = 7
) -> tuple[list[str], list[str], np.ndarray, np.ndarray, dict[str, int]]:
    """(words, labels, input matrix, output matrix, word counts) of a softmax fastText model."""
    rng = np.random.default_rng(seed)
    tokenised = [text.split() + [EOS] for text in texts]
    counts: dict[str, int] = {}
    for tokens in tokenised:
        for token in tokens:
            counts[token] = counts.get(token, 0) + 1
    words = sorted(counts, key=lambda w: (-counts[w], w))
    label_counts: dict[str, int] = {}
    for label in labels:
        label_counts[label] = label_counts.get(label, 0) + 1
    label_names = sorted(label_counts, key=lambda w: (-label_counts[w], w))
    word_index = {w: i for i, w in enumerate(words)}
    label_index = {w: i for i, w in enumerate(label_names)}
    inp = rng.uniform(-1 / dim, 1 / dim, size=(len(words), dim))
    out = np.zeros((len(label_names), dim))
    order = list(range(len(texts)))
    shuffle = random.Random(seed)
    for _ in range(epochs):
        shuffle.shuffle(order)
        for i in order:
            ids = [word_index[t] for t in tokenised[i]]
            hidden = inp[ids].mean(axis=0)
            scores = out @ hidden
            probs = np.exp(scores - scores.max())
            probs /= probs.sum()
            target = np.zeros(len(label_names))
            target[label_index[labels[i]]] = 1.0
            gradient = lr * (target - probs)
            grad_hidden = gradient @ out
            out += np.outer(gradient, hidden)
            np.add.at(inp, ids, grad_hidden / len(ids))
    return words, label_names, inp.astype(np.float32), out.astype(np.float32), {**counts, **label_counts}


def write_fasttext_bin(
    path: Path, words: list[str], labels: list[str], inp: np.ndarray, out: np.ndarray, counts: dict[str, int]
) -> Path:
    """Write a softmax supervised model in fastText's binary format (dense, no buckets)."""
    dim = inp.shape[1]
    parts = [struct.pack("<ii", MAGIC, VERSION)]
    # Args: dim, ws, epoch, minCount, neg, wordNgrams, loss (3 = softmax), model (3 = supervised),
    # bucket, minn, maxn, lrUpdateRate, then t.
    parts.append(struct.pack("<12i", dim, 5, 20, 1, 5, 1, 3, 3, 0, 0, 0, 100))
    parts.append(struct.pack("<d", 1e-4))
    entries = [(w, counts[w], 0) for w in words] + [(label, counts[label], 1) for label in labels]
    parts.append(struct.pack("<3i", len(entries), len(words), len(labels)))
    parts.append(struct.pack("<2q", sum(counts[w] for w in words), -1))  # ntokens, pruneidx_size (not pruned)
    for word, count, kind in entries:
        parts.append(word.encode() + b"\x00" + struct.pack("<qb", count, kind))
    parts.append(struct.pack("<?", False))
    parts.append(struct.pack("<2q", *inp.shape) + inp.astype("<f4").tobytes())
    parts.append(struct.pack("<?", False))
    parts.append(struct.pack("<2q", *out.shape) + out.astype("<f4").tobytes())
    path.write_bytes(b"".join(parts))
    return path


# Hand-made vocabularies for a two-class "quality" task (written for these tests).
CAREFUL = (
    "the study measured rainfall across twelve valleys and compared the results with earlier surveys "
    "researchers describe the method in detail and discuss why the estimates differ between seasons "
    "the committee reviewed the evidence published its findings and invited comments from residents"
).split()
SPAMMY = (
    "click here now to win a free prize buy cheap pills online best deals limited offer act fast "
    "subscribe today amazing discount hot singles casino bonus lowest price guaranteed order now"
).split()


def make_documents(count: int, seed: int) -> tuple[list[str], list[str]]:
    """`count` texts of each class, lines of 6-14 words drawn from one class's vocabulary."""
    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[str] = []
    for _ in range(count):
        for vocabulary, label in ((CAREFUL, "__label__hq"), (SPAMMY, "__label__lq")):
            lines = [
                " ".join(rng.choice(vocabulary) for _ in range(rng.randint(6, 14))) for _ in range(rng.randint(2, 5))
            ]
            texts.append("\n".join(lines))
            labels.append(label)
    return texts, labels


def quality_model(path: Path, seed: int = 7) -> Path:
    """Train the two-class model on generated documents and write it to `path`."""
    texts, labels = make_documents(150, seed)
    words, label_names, inp, out, counts = train_supervised([t.replace("\n", " ") for t in texts], labels, seed=seed)
    return write_fasttext_bin(path, words, label_names, inp, out, counts)
