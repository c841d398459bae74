"""The shipped static embedding table: loads without pickle, pools per text, keeps meaning apart."""

from __future__ import annotations

import numpy as np
import pytest

from thresher.text.embeddings import EMBEDDINGS_PATH, StaticEmbeddings, shipped_embeddings


def test_table_is_small_and_loads_with_its_stated_shape() -> None:
    assert EMBEDDINGS_PATH.stat().st_size < 8_000_000
    table = shipped_embeddings()
    assert table.vectors.shape == (table.meta["vocab"], table.meta["dims"])
    assert table.vectors.dtype == np.float32
    assert np.isfinite(table.vectors).all()


def test_encode_pools_each_text_on_its_own() -> None:
    table = shipped_embeddings()
    texts = ["the cat sat on the mat", "", "   ", "a dog barked"]
    batch = table.encode(texts)
    assert batch.shape == (4, table.dims)
    assert np.allclose(np.linalg.norm(batch[[0, 3]], axis=1), 1.0, atol=1e-5)
    assert not batch[1].any() and not batch[2].any()  # no token: a zero row, not NaN
    alone = table.encode(["a dog barked"])
    assert np.allclose(alone[0], batch[3], atol=1e-6)  # a text's neighbours in the batch do not leak in
    raw = table.encode(["a dog barked"], normalize=False)[0]
    ids, lengths = table.token_ids(["a dog barked"])
    assert lengths.tolist() == [len(ids)]
    assert np.allclose(raw, table.vectors[ids].mean(axis=0), atol=1e-6)


def test_related_texts_are_closer_than_unrelated_ones() -> None:
    table = shipped_embeddings()
    a, b, c = table.encode(["I love my puppy", "my dog is adorable", "the quarterly interest rate rose"])
    assert float(a @ b) > float(a @ c)


def test_another_file_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.zeros(3))
    with pytest.raises(ValueError, match="not a static embedding table"):
        StaticEmbeddings.load(path)
