"""The shipped toxicity model: a hashed n-gram linear classifier stored as one `.npz` file.

Why a linear model on hashed n-grams: measured against fastText supervised on the same
held-out split (see `training/toxicity.py`), it scored better (macro-F1 and ROC-AUC) while
running with NumPy only, so the run-time package needs neither scikit-learn nor a fastText build
that would clash with the language-ID package's `fasttext` module.

The shipped weights are two linear experts trained on the same features and added into one
table (`combine_evidence`): a 3-class logistic regression (hate, offensive, none), whose
hate-vs-offensive split names the label, and a binary one (toxic vs none) on features scaled
by their naive-Bayes log-count ratio (`log_count_ratio`, NB-SVM style). Each contributes its
log-odds against "none" with its training prior removed, so their sum is a product of
experts and the stored `train_prior` is uniform. Adding them costs nothing at run time: the
table has the shape and is scored exactly like a single model's. On the validation split
the sum beat either expert alone (`training/toxicity.py` prints every candidate).

The file holds float16 weights `(buckets, 3)`, the biases, the class names, the prior the
stored scores are relative to and the feature layout, and is read with
`allow_pickle=False`, so loading it can never execute code and never touches the network.
A file of another layout (wrong classes, shapes or keys) is refused with a ValueError that
names it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from thresher.safety.features import FeatureConfig, feature_blocks

MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "toxicity.npz"
CLASSES: tuple[str, ...] = ("hate", "offensive", "none")


@dataclass(slots=True)
class ToxicityModel:
    """Weights plus the prior correction that turns tweet-trained scores into web scores.

    `target_prior` replaces `train_prior` (the prior the stored scores carry; uniform for the
    shipped product of experts, whose training prior, mostly offensive tweets, was removed
    when it was built) when probabilities are computed: Bayes' rule says
    p_web(c|x) ∝ p_train(c|x) · π_web(c)/π_train(c). Without it a model trained where
    toxicity is the majority calls ordinary text toxic.
    """

    weights: np.ndarray
    bias: np.ndarray
    config: FeatureConfig
    train_prior: np.ndarray
    target_prior: np.ndarray
    _table: np.ndarray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> ToxicityModel:
        """Read a model written by `save` (no pickle, no network); ValueError for another file."""
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                model = cls(
                    weights=data["weights"].astype(np.float32),
                    bias=data["bias"].astype(np.float64),
                    config=FeatureConfig(**meta["config"]),
                    train_prior=np.asarray(meta["train_prior"], dtype=np.float64),
                    target_prior=np.asarray(meta["target_prior"], dtype=np.float64),
                )
                classes = meta.get("classes")
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path} is not a toxicity model file ({type(error).__name__}: {error})") from error
        expected = {
            "classes": list(CLASSES),
            "weights": (model.config.buckets, len(CLASSES)),
            "bias": (len(CLASSES),),
            "train_prior": (len(CLASSES),),
            "target_prior": (len(CLASSES),),
        }
        found = {
            "classes": classes,
            "weights": model.weights.shape,
            "bias": model.bias.shape,
            "train_prior": model.train_prior.shape,
            "target_prior": model.target_prior.shape,
        }
        wrong = [f"{key} {found[key]} (expected {value})" for key, value in expected.items() if found[key] != value]
        if wrong:
            raise ValueError(f"{path} is not a toxicity model of this layout: " + "; ".join(wrong))
        return model

    def save(self, path: Path, extra: dict[str, object] | None = None) -> None:
        """Write float16 weights and the metadata as JSON text inside one compressed `.npz`."""
        meta = {
            "classes": list(CLASSES),
            "config": {
                "buckets": self.config.buckets,
                "char_min": self.config.char_min,
                "char_max": self.config.char_max,
                "word_bigrams": self.config.word_bigrams,
                "scale_power": self.config.scale_power,
            },
            "train_prior": self.train_prior.tolist(),
            "target_prior": self.target_prior.tolist(),
            **(extra or {}),
        }
        np.savez_compressed(
            path, weights=self.weights.astype(np.float16), bias=self.bias, meta=np.array(json.dumps(meta))
        )

    def logits(self, texts: list[str]) -> np.ndarray:
        """Class scores `(len(texts), 3)` of the linear model, before any prior correction.

        Relative to "none": each row's "none" score is subtracted from all three (column 2
        is 0). Softmax, and so every probability, is unchanged, and the scores cost two
        weight gathers per occurrence instead of three.
        """
        return self.scores(texts)[0]

    def scores(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """`logits` and the number of (normalised) words of each text, from one feature pass.

        Per class, the signed weights of every occurrence are gathered (`FeatureBlock`); the
        character blocks are added position by position and summed per row with one
        `reduceat`, the word blocks with a `bincount`; each times its per-row scale. The
        features are unmerged occurrences, so the sum is the dot product with the feature
        vector the weights were trained on.
        """
        out = np.zeros((len(texts), 3))
        out += self.bias - self.bias[2]
        words = np.zeros(len(texts))
        if not texts:
            return out, words
        table = self._signed_table()
        blocks = feature_blocks(texts, self.config)
        positional = [b for b in blocks if b.starts is not None]
        counted = [b for b in blocks if b.starts is None]
        length = max([b.slots.size for b in positional] + [int(b.starts[-1]) + 1 for b in positional] + [0])
        for k in range(2):
            if positional:
                summed = np.zeros(length)
                for block in positional:
                    summed[: block.slots.size] += table[k][block.slots]
                out[:, k] += positional[0].scale * np.add.reduceat(summed, positional[0].starts)
            for block in counted:
                out[:, k] += block.scale * np.bincount(block.rows, weights=table[k][block.slots], minlength=len(texts))
        for block in counted:
            if block.kind == "word":
                words = np.bincount(block.rows, minlength=len(texts)).astype(np.float64)
        return out, words

    def _signed_table(self) -> np.ndarray:
        """Per toxic class, `[w - w_none, -(w - w_none), 0]` over the `2 * buckets + 1` slots."""
        if self._table is None:
            relative = (self.weights[:, :2].astype(np.float64) - self.weights[:, 2:3]).T
            zeros = np.zeros((2, 1))
            self._table = np.ascontiguousarray(np.concatenate((relative, -relative, zeros), axis=1))
        return self._table

    def predict_proba(self, texts: list[str], prior_corrected: bool = True) -> np.ndarray:
        """Class probabilities (hate, offensive, none), prior-corrected for web text by default."""
        scores = self.logits(texts)
        if prior_corrected:
            scores = scores + np.log(self.target_prior) - np.log(self.train_prior)
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=1, keepdims=True)
        return probs


def log_count_ratio(
    columns: np.ndarray, magnitudes: np.ndarray, positive: np.ndarray, buckets: int, alpha: float = 1.0
) -> np.ndarray:
    """Per-bucket feature scale of NB-SVM: `1 + |log((p / sum p) / (q / sum q))|`.

    `p` (`q`) is `alpha` plus the summed `magnitudes` of the entries in `columns` whose row is
    toxic (not toxic), `positive` saying which. A bucket much more frequent in one class is
    scaled up, so the logistic regression fitted on the scaled features needs smaller
    weights (less L2 penalty) to use it; 1 + keeps every bucket usable. Training only: the
    fitted weights are multiplied by the scale once, so run time never sees it.
    """
    positive = np.asarray(positive, dtype=bool)
    p = alpha + np.bincount(columns[positive], weights=magnitudes[positive], minlength=buckets)
    q = alpha + np.bincount(columns[~positive], weights=magnitudes[~positive], minlength=buckets)
    return 1.0 + np.abs(np.log(p / p.sum()) - np.log(q / q.sum()))


def combine_evidence(
    class_weights: np.ndarray, class_bias: np.ndarray, toxic_weights: np.ndarray, toxic_bias: float
) -> tuple[np.ndarray, np.ndarray]:
    """One `(buckets, 3)` table and bias from a 3-class and a binary expert (a product of experts).

    `class_weights` `(buckets, 2)` and `class_bias` `(2,)` are the log-odds of hate and of
    offensive against none, `toxic_weights` `(buckets,)` and `toxic_bias` the log-odds of
    toxic against none, each with its training prior removed. Both toxic columns get the
    binary evidence added and "none" is 0, so P(hate or offensive) / P(none) is the 3-class
    ratio times the binary one, and hate vs offensive (the label) stays the 3-class call.
    """
    weights = np.zeros((class_weights.shape[0], 3))
    weights[:, :2] = class_weights + np.asarray(toxic_weights)[:, None]
    bias = np.zeros(3)
    bias[:2] = np.asarray(class_bias) + toxic_bias
    return weights, bias


@lru_cache(maxsize=2)
def shipped_model(path: str = str(MODEL_PATH)) -> ToxicityModel:
    """The packaged model, loaded once per process."""
    return ToxicityModel.load(Path(path))
