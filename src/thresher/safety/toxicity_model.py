"""The shipped toxicity model: a hashed n-gram linear classifier with one binary head per label.

Why a linear model on hashed n-grams: it runs with NumPy only (no scikit-learn, no fastText
build that would clash with the language-ID package's `fasttext` module), scores a whole
batch with one weight gather per n-gram occurrence, and `training/toxicity.py` can refit it
on every licensed source in a minute, so leave-one-source-out evaluation is affordable.

Why separate heads: users separate what Perspective and Detoxify separate. `toxicity`
(hostile, insulting, hateful, threatening) is what the default policy trims; `profanity`
(obscene words whatever the tone) must not make text toxic by itself, so it has its own
head; `identity_attack` and `threat` are narrower parts of toxicity. All heads share the
features, so the weights are one `(buckets, heads)` table and each occurrence costs one
gather of a short row.

Each head's bias already includes its decision threshold (chosen in training), so a
probability >= 0.5 is the head's "flagged". `languages` lists the languages the model was
trained and measured on; the annotator gives no value to any other.

Why a second stage (a cascade): hashed n-grams cannot share evidence between words, so an
insult or slur spelled in a way no labelled set holds goes unseen, while a text with one
hostile-looking n-gram in a neutral sentence can be over-scored. `SecondStage` is a small
linear head over static sentence embeddings (`thresher.text.embeddings`, distilled offline
from all-MiniLM-L6-v2) whose logit is stacked with the n-gram one. It runs only for the segments
the linear model cannot call clean (toxicity logit >= `low`, a few percent of ordinary web
segments), so the whole stage stays about as fast as the linear model alone. The shipped file
has no second stage: trained and measured (`training/toxicity.py --cascade`), it moved no
held-out ROC-AUC by more than 0.005, made HateCheck's non-hateful cases worse and cost ~20%
of the stage's speed, so the code path runs only for a file that carries one.

The file holds float16 weights, the biases and the metadata as JSON text, and is read with
`allow_pickle=False`, so loading it can never execute code and never touches the network.
A file of another layout (other heads, shapes or keys) is refused with a ValueError that
names it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from thresher.safety.common import native_safety
from thresher.safety.features import (
    FeatureConfig,
    _unit_scale,
    batch_layout,
    char_layout,
    feature_blocks,
    read_hashed_model,
    signed_table,
)

MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "toxicity.npz"
HEADS: tuple[str, ...] = ("toxicity", "profanity", "identity_attack", "threat")
STAGE_KEYS = ("stage2_weights", "stage2_bias", "stage2_stack")


@dataclass(slots=True)
class SecondStage:
    """The toxicity head's second stage: a linear head over static embeddings, stacked with the linear logit.

    `combine` returns `stack[0] * linear + stack[1] * head + stack[2]` (the stacker's
    threshold is folded into `stack[2]`, so >= 0 is flagged, as for the linear heads).
    `low` is the linear toxicity logit under which a segment is decided without it.
    (An MLP head was tried: on the toxic-spans sentences left out it scored no better,
    0.695 against 0.708, and took ten minutes to fit; see training/toxicity.py.)
    """

    weights: np.ndarray  # (dims,) float32
    bias: float
    stack: np.ndarray  # (3,)
    low: float

    @property
    def dims(self) -> int:
        return int(self.weights.size)

    def head_logits(self, embedded: np.ndarray) -> np.ndarray:
        """The embedding head's log-odds of each embedded text."""
        return embedded @ self.weights + self.bias

    def combine(self, linear: np.ndarray, embedded: np.ndarray) -> np.ndarray:
        """The stacked toxicity log-odds of texts whose linear logit is `linear`."""
        return self.stack[0] * linear + self.stack[1] * self.head_logits(embedded) + self.stack[2]

    def arrays(self) -> dict[str, np.ndarray]:
        return dict(zip(STAGE_KEYS, (self.weights, np.array(self.bias), self.stack), strict=True))


@dataclass(slots=True)
class ToxicityModel:
    """Weights `(buckets, heads)`, biases `(heads,)`, the feature layout and the scored languages."""

    weights: np.ndarray
    bias: np.ndarray
    config: FeatureConfig
    languages: tuple[str, ...] = ("en",)
    meta: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
    second: SecondStage | None = None
    _table: np.ndarray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> ToxicityModel:
        """Read a model written by `save` (no pickle, no network); ValueError for another file."""
        model = read_hashed_model(
            path,
            "toxicity",
            lambda data, meta: cls(
                weights=data["weights"].astype(np.float32),
                bias=data["bias"].astype(np.float64),
                config=FeatureConfig(**meta["config"]),
                languages=tuple(meta["languages"]),
                meta=meta,
                second=_second_stage(data, meta),
            ),
        )
        heads = model.meta.get("heads")
        expected = {"heads": list(HEADS), "weights": (model.config.buckets, len(HEADS)), "bias": (len(HEADS),)}
        found = {"heads": heads, "weights": model.weights.shape, "bias": model.bias.shape}
        wrong = [f"{key} {found[key]} (expected {value})" for key, value in expected.items() if found[key] != value]
        if wrong:
            raise ValueError(f"{path} is not a toxicity model of this layout: " + "; ".join(wrong))
        return model

    def save(self, path: Path, extra: dict[str, object] | None = None) -> None:
        """Write float16 weights and the metadata as JSON text inside one compressed `.npz`."""
        meta = {
            "heads": list(HEADS),
            "languages": list(self.languages),
            "config": asdict(self.config),
            **(extra or {}),
        }
        stage: dict[str, np.ndarray] = {}
        if self.second is not None:
            meta["second_stage"] = {"low": self.second.low, "dims": self.second.dims}
            stage = self.second.arrays()
        np.savez_compressed(
            path, weights=self.weights.astype(np.float16), bias=self.bias, meta=np.array(json.dumps(meta)), **stage
        )

    def logits(self, texts: list[str]) -> np.ndarray:
        """Log-odds `(len(texts), heads)` of every head; the feature vector dotted with the weights."""
        return self.scores(texts)[0]

    def scores(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """`logits` and the number of (normalised) words of each text, from one feature pass.

        The signed weight rows of every occurrence are gathered (`FeatureBlock`); the
        character blocks are added position by position and summed per row with one
        `reduceat`, the word blocks with `np.add.at`; each times its per-row scale. The
        features are unmerged occurrences, so the sum is the dot product with the feature
        vector the weights were trained on.
        """
        heads = self.weights.shape[1]
        out = np.tile(self.bias, (len(texts), 1))
        words = np.zeros(len(texts))
        if not texts:
            return out, words
        table = self._signed_table()
        native = native_safety()
        if native is not None and self.config.char_min <= self.config.char_max and table.dtype == np.float32:
            return self._native_scores(native, texts, table, out, words)
        blocks = feature_blocks(texts, self.config)
        positional = [b for b in blocks if b.starts is not None]
        counted = [b for b in blocks if b.starts is None]
        if positional:
            length = max([b.slots.size for b in positional] + [int(b.starts[-1]) + 1 for b in positional])
            summed = np.zeros((length, heads), dtype=np.float32)
            for block in positional:
                summed[: block.slots.size] += table[block.slots]
            out += positional[0].scale[:, None] * np.add.reduceat(summed, positional[0].starts, axis=0)
        for block in counted:
            gathered = table[block.slots]
            per_row = np.stack(
                [np.bincount(block.rows, weights=gathered[:, k], minlength=len(texts)) for k in range(heads)], axis=1
            )
            out += block.scale[:, None] * per_row
            if block.kind == "word":
                words = np.bincount(block.rows, minlength=len(texts)).astype(np.float64)
        return out, words

    def _native_scores(
        self, native: ModuleType, texts: list[str], table: np.ndarray, out: np.ndarray, words: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """`scores` with the C kernels: the blocks hashed, gathered and summed without their arrays.

        The same slots and the same additions in the same order: the character n-grams'
        float32 rows position by position, then the same per-row `reduceat`; the words' and
        bigrams' rows per row in float64, in the order `np.bincount` adds them; each block
        then scaled and added to `out` as above.
        """
        config, heads = self.config, table.shape[1]
        shift = 64 - config.buckets.bit_length()
        codes, _, lengths = batch_layout(texts)
        if codes.shape[0] >= config.char_min:  # else no character block, as `_char_blocks` makes none
            scale, starts, _ = char_layout(codes, lengths, config)
            summed = np.zeros((max(codes.shape[0] - config.char_min + 1, int(starts[-1]) + 1), heads), np.float32)
            native.char_ngram_sums(
                summed, table, codes, heads, config.char_min, config.char_max, shift, 2 * config.buckets
            )
            out += scale[:, None] * np.add.reduceat(summed, starts, axis=0)
        word_sums, bigram_sums, word_counts, bigram_counts = native.word_block_sums(
            codes, table, heads, shift, len(texts), config.word_bigrams
        )
        counts = np.frombuffer(word_counts, dtype=np.int64)
        total = int(counts.sum())
        if total:  # no words at all: no word block, as `_word_blocks` makes none
            with_bigrams = config.word_bigrams and total >= 2
            both = counts + np.frombuffer(bigram_counts, dtype=np.int64) if with_bigrams else counts
            scale = _unit_scale(both, config.scale_power)
            out += scale[:, None] * np.frombuffer(word_sums).reshape(-1, heads)
            if with_bigrams:
                out += scale[:, None] * np.frombuffer(bigram_sums).reshape(-1, heads)
            words = counts.astype(np.float64)
        return out, words

    def _signed_table(self) -> np.ndarray:
        """`[w; -w; 0]`: the weight row of every signed slot, `(2 * buckets + 1, heads)` float32."""
        if self._table is None:
            self._table = signed_table(self.weights)
        return self._table

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """P(flag) of every head `(len(texts), heads)`; >= 0.5 is each head's trained decision."""
        return 1.0 / (1.0 + np.exp(-self.logits(texts)))


def _second_stage(data: Any, meta: dict[str, Any]) -> SecondStage | None:
    """The second stage stored beside the linear weights, or None for a linear-only file."""
    if "second_stage" not in meta:
        return None
    weights, bias, stack = (data[key] for key in STAGE_KEYS)
    stage = SecondStage(
        weights=weights.astype(np.float32),
        bias=float(bias),
        stack=stack.astype(np.float64),
        low=float(meta["second_stage"]["low"]),
    )
    if stage.dims != int(meta["second_stage"]["dims"]) or stage.stack.shape != (3,):
        raise ValueError("the second stage's arrays do not fit its metadata")
    return stage


@lru_cache(maxsize=2)
def shipped_model(path: str = str(MODEL_PATH)) -> ToxicityModel:
    """The packaged model, loaded once per process."""
    return ToxicityModel.load(Path(path))
