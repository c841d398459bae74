"""Static sentence embeddings: a WordPiece tokenizer and one vector per token, mean-pooled.

Why static: the table is distilled offline from all-MiniLM-L6-v2 (`training/static_embeddings.py`,
model2vec's recipe: each vocabulary token through the encoder alone, PCA, SIF weighting), so
at run time an embedding costs one Rust tokenizer pass and a NumPy gather-and-sum, thousands
of texts per second per core, with no torch and no download. It carries part of what the
encoder knows about words (synonyms, spelling variants, words no labelled set holds), which
hashed n-gram models cannot share between words. It is a neutral module: any annotator that
wants dense features of a text (toxicity's second stage, machine-text) loads it the same way,
through `LazyModel(shipped_embeddings)`, so the file is read once per process and only when
used.

The file holds the int8 table, a float16 scale per row, the tokenizer's JSON and metadata,
read with `allow_pickle=False` (loading never executes code). The teacher and its
tokenizer are Apache-2.0 (see `static_embeddings.LICENSE`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

EMBEDDINGS_PATH = Path(__file__).resolve().parents[1] / "models" / "static_embeddings.npz"


@dataclass(slots=True)
class StaticEmbeddings:
    """A `(vocab, dims)` float32 table and the tokenizer that maps text to its rows."""

    vectors: np.ndarray
    tokenizer: Any  # tokenizers.Tokenizer
    meta: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path = EMBEDDINGS_PATH) -> StaticEmbeddings:
        """Read a table written by `training/static_embeddings.py`; ValueError for another file."""
        try:
            from tokenizers import Tokenizer
        except ImportError as error:  # an optional extra: only a second-stage model needs it
            raise ImportError(f"{path} needs the `tokenizers` package: pip install 'thresher[embeddings]'") from error

        with np.load(path, allow_pickle=False) as data:
            keys = set(data.files)
            if not {"vectors", "scale", "tokenizer", "meta"} <= keys:
                raise ValueError(f"{path} is not a static embedding table (keys {sorted(keys)})")
            meta = json.loads(str(data["meta"]))
            vectors = data["vectors"].astype(np.float32) * data["scale"].astype(np.float32)[:, None]
            tokenizer = Tokenizer.from_str(str(data["tokenizer"]))
        if meta.get("kind") != "static_embeddings" or vectors.shape != (meta["vocab"], meta["dims"]):
            raise ValueError(f"{path} is not a static embedding table of its stated shape")
        tokenizer.no_padding()
        tokenizer.no_truncation()
        return cls(vectors=vectors, tokenizer=tokenizer, meta=meta)

    @property
    def dims(self) -> int:
        return int(self.vectors.shape[1])

    def token_ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """All texts' WordPiece ids concatenated, and each text's token count (no [CLS]/[SEP])."""
        encodings = self.tokenizer.encode_batch_fast(texts, add_special_tokens=False)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(texts))
        if not lengths.sum():
            return np.zeros(0, dtype=np.int64), lengths
        ids = np.concatenate([np.asarray(e.ids, dtype=np.int64) for e in encodings if e.ids])
        return ids, lengths

    def encode(self, texts: list[str], normalize: bool = True) -> np.ndarray:
        """`(len(texts), dims)` float32: the mean of each text's token vectors (zeros for no token).

        With `normalize` each row has unit length (a zero row stays zero), so a linear head
        sees the direction, not the text's length.
        """
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        if not texts:
            return out
        ids, lengths = self.token_ids(texts)
        nonempty = np.flatnonzero(lengths)
        if nonempty.size:
            starts = np.concatenate(([0], np.cumsum(lengths[nonempty])[:-1]))
            sums = np.add.reduceat(self.vectors[ids], starts, axis=0)
            out[nonempty] = sums / lengths[nonempty, None]
        if normalize:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            np.divide(out, norms, out=out, where=norms > 0)
        return out


@lru_cache(maxsize=2)
def shipped_embeddings(path: str = str(EMBEDDINGS_PATH)) -> StaticEmbeddings:
    """The packaged table, loaded once per process."""
    return StaticEmbeddings.load(Path(path))
