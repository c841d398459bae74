"""The shipped machine-text model: a hashed word and word-bigram linear classifier in one `.npz`.

Why this model: `training/machine_text.py` measured the candidates it could afford at
crawl speed on splits by source and by generator family (never by row): hashed word
n-grams with a logistic regression held up best; a punctuation/sentence-length/function-word
profile, "surprise" features of word-bigram language models counted on the training texts
(`training/machine_text_lm.py`) and static sentence embeddings were each better on some
held-out sets and worse on others, or too slow (the figures are in the script's docstring). Words only, no character
n-grams: case and punctuation are normalised away by `thresher.safety.features.normalize`,
which also removes the known shortcuts of the training sets (lower-cased human texts).

Why scores are kept as sums: a text's features are its word and bigram occurrences, each
weighing `n ** -scale_power` (n = occurrences in the text), so the logit is
`bias + raw * n ** -scale_power` with `raw` the sum of the occurrences' signed weights. The
parts of several texts add up, so a text's score can be computed from its pieces' parts
with no second pass (bigrams across a boundary are the only difference); the annotator's
document value is instead a mean of its segments' log-odds (`thresher.signals.machine`).

The file holds float16 weights `(buckets,)`, the bias and the feature layout as JSON, read
with `allow_pickle=False`: loading it never executes code and never touches the network.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from thresher.safety.features import FeatureConfig, feature_blocks, read_hashed_model, signed_table

MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "machine_text.npz"


@dataclass(slots=True)
class MachineTextModel:
    """Weights of `logit = bias + (signed weight sum) * occurrences ** -scale_power`."""

    weights: np.ndarray
    bias: float
    config: FeatureConfig
    min_words: int
    meta: dict[str, object] = field(default_factory=dict)
    _table: np.ndarray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> MachineTextModel:
        """Read a model written by `save`; ValueError naming the file when it is another layout."""
        model = read_hashed_model(
            path,
            "machine-text",
            lambda data, meta: cls(
                weights=data["weights"].astype(np.float32),
                bias=float(meta["bias"]),
                config=FeatureConfig(**meta["config"]),
                min_words=int(meta["min_words"]),
                meta=meta,
            ),
        )
        if model.weights.shape != (model.config.buckets,):
            raise ValueError(
                f"{path}: weights of shape {model.weights.shape}, expected ({model.config.buckets},) for its layout"
            )
        return model

    def save(self, path: Path, extra: dict[str, object] | None = None) -> None:
        """Write float16 weights and the metadata as JSON text inside one compressed `.npz`."""
        meta = {
            "bias": self.bias,
            "min_words": self.min_words,
            "config": asdict(self.config),
            **(extra or {}),
        }
        np.savez_compressed(path, weights=self.weights.astype(np.float16), meta=np.array(json.dumps(meta)))

    def parts(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per text: the signed weight sum, the occurrence count and the word count."""
        raw = np.zeros(len(texts))
        count = np.zeros(len(texts))
        words = np.zeros(len(texts))
        if not texts:
            return raw, count, words
        table = self._signed_table()
        for block in feature_blocks(texts, self.config):
            if block.kind not in ("word", "bigram"):
                continue
            raw += np.bincount(block.rows, weights=table[block.slots], minlength=len(texts))
            occurrences = np.bincount(block.rows, minlength=len(texts)).astype(np.float64)
            count += occurrences
            if block.kind == "word":
                words = occurrences
        return raw, count, words

    def logits(self, raw: np.ndarray, count: np.ndarray) -> np.ndarray:
        """The model's log-odds from summed parts (the bias alone where nothing was seen)."""
        scale = np.where(count > 0, np.maximum(count, 1.0) ** -self.config.scale_power, 0.0)
        return self.bias + raw * scale

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """P(machine-written) of each text as one unit, whatever its length."""
        raw, count, _ = self.parts(texts)
        return 1.0 / (1.0 + np.exp(-self.logits(raw, count)))

    def _signed_table(self) -> np.ndarray:
        """`[w, -w, 0]` over the `2 * buckets + 1` slots a feature block indexes."""
        if self._table is None:
            self._table = signed_table(self.weights.astype(np.float64))
        return self._table


@lru_cache(maxsize=2)
def shipped_model(path: str = str(MODEL_PATH)) -> MachineTextModel:
    """The packaged model, loaded once per process."""
    return MachineTextModel.load(Path(path))
