"""The vectorised n-gram hashing of the NumPy fastText engine against its scalar reference."""

from __future__ import annotations

import random

import numpy as np
import pytest

from thresher.signals import _tokens
from thresher.signals._fasttext import FastTextModel, _fnv1a, _ngram_hashes
from thresher.signals.language import model_path


def test_fnv1a_known_values() -> None:
    # FNV-1a 32-bit of "a" is 0xe40c292c; bytes >= 0x80 are sign-extended as in fastText.
    assert _fnv1a(b"a") == 0xE40C292C
    assert _fnv1a(b"") == 2166136261


def test_ngram_hashes_match_scalar_fnv() -> None:
    words = ["<ab>", "<é日😀>", "<x>"]
    owner, hashes = _ngram_hashes("".join(words), np.array([len(w) for w in words]), 2, 4)
    expected = [
        (index, _fnv1a(word[i : i + n].encode("utf-8")))
        for index, word in enumerate(words)
        for i in range(len(word))
        for n in (2, 3, 4)
        if i + n <= len(word)
    ]
    assert sorted(zip(owner.tolist(), hashes.tolist(), strict=True)) == sorted(expected)
    # "<ab>": 3 bigrams, 2 trigrams, 1 four-gram; "<x>": 2 bigrams, 1 trigram
    assert owner.tolist().count(0) == 6
    assert owner.tolist().count(2) == 3


def test_ngram_hashes_one_grams_skip_boundaries() -> None:
    owner, hashes = _ngram_hashes("<ab>", np.array([4]), 1, 1)
    assert owner.tolist() == [0, 0]
    assert hashes.tolist() == [_fnv1a(b"a"), _fnv1a(b"b")]


def test_registered_rows_equal_scalar_sums() -> None:
    model = FastTextModel(model_path())
    tokens = ["the", "naïve", "東京は日本の首都です。", "</s>", "__label__en", "__label__zz", "qqqzx", "x"]
    _, counts = model.token_ids([" ".join(tokens[:3]), " ".join(tokens[4:])])
    # the literal "</s>" is not read: each text is cut at its first one (here: none)
    assert counts.tolist() == [3, 4]
    model.token_ids(["</s>"])
    for token in tokens:
        if token.startswith("__label__") and token not in model.word_ids:
            expected: list[int] = []
        else:
            expected = model._subword_ids(token)
        row = model._rows[model.tokens.strings.index(token)]
        assert row[model.dim] == len(expected)
        reference = model._dense[expected].sum(axis=0) if expected else np.zeros(model.dim)
        assert np.allclose(row[: model.dim], reference, rtol=0, atol=1e-12)


def test_a_literal_end_of_line_token_ends_the_line_as_in_fasttext() -> None:
    from thresher.signals.language import identify_fasttext, identify_numpy

    texts = [
        "Le chat est sur le tapis </s> and then an English sentence follows it here",
        "</s> Le chat est sur le tapis",
        "one </s> two </s> three",
        "Le chat est sur le tapis, il fait beau aujourd'hui.",
    ]
    model = FastTextModel(model_path())
    ids, counts = model.token_ids(texts)
    assert counts.tolist() == [6, 0, 1, 10]
    assert len(ids) == 17
    pairs = zip(identify_numpy(texts), identify_fasttext(texts), strict=True)
    for (lang, score, en), (ref_lang, ref_score, ref_en) in pairs:
        assert lang == ref_lang
        assert abs(score - ref_score) < 1e-5 and abs(en - ref_en) < 1e-5


def test_identify_numpy_equals_fasttext_on_unicode_white_space() -> None:
    from thresher.signals.language import _numpy_model, identify_fasttext, identify_numpy

    texts = [
        "The cat sat on the mat.\nIt was warm and the sun was out.",
        "Le chat est sur le tapis, il fait beau aujourd'hui.",
        "non\xa0breaking\u3000spaces and a nul\x00byte in English text here",
        "   ",
        "",
        "single",
    ]
    ours = identify_numpy(texts)
    probabilities = _numpy_model().predict_batch([t.replace("\n", " ") for t in texts if t.strip()])
    present = [i for i, t in enumerate(texts) if t.strip()]
    for row, i in enumerate(present):
        label = int(np.argmax(probabilities[row]))
        assert ours[i][0] == _numpy_model().labels[label]
        assert ours[i][1] == float(probabilities[row, label])
    assert ours[3] == (None, None, None) and ours[4] == (None, None, None)
    reference = identify_fasttext(texts)
    for (lang, score, en), (ref_lang, ref_score, ref_en) in zip(ours, reference, strict=True):
        assert lang == ref_lang
        if score is not None:
            assert abs(score - ref_score) < 1e-5 and abs(en - ref_en) < 1e-5


@pytest.mark.skipif(_tokens._native is None, reason="thresher._native is not built (no C compiler at install)")
def test_native_ngram_buckets_equal_the_numpy_hashes() -> None:
    rng = random.Random(4)
    alphabet = list("abcxyz<>-'") + ["é", "ß", "日", "本", "д", "😀", "\u200b"]
    words = ["<" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) + ">" for _ in range(300)]
    words += ["", "<a>", "<é日😀>"]
    owner_bytes, bucket_bytes = _tokens._native.fasttext_ngrams([w.encode("utf-8") for w in words], 2, 4, 2000000)
    owner, hashes = _ngram_hashes("".join(words), np.array([len(w) for w in words]), 2, 4)
    native = zip(
        np.frombuffer(owner_bytes, dtype=np.int64).tolist(),
        np.frombuffer(bucket_bytes, dtype=np.int64).tolist(),
        strict=True,
    )
    numpy = zip(owner.tolist(), (hashes % np.uint64(2000000)).tolist(), strict=True)
    assert sorted(native) == sorted(numpy)  # the same n-grams (NumPy lists them by length first)
    # fastText's own walk: a stray continuation byte belongs to the character before it
    owner_bytes, bucket_bytes = _tokens._native.fasttext_ngrams([b"<a\x80b>"], 2, 2, 2**31 - 1)
    expected = [_fnv1a(gram) % (2**31 - 1) for gram in (b"<a\x80", b"a\x80b", b"b>")]
    assert np.frombuffer(bucket_bytes, dtype=np.int64).tolist() == expected


def test_utf8_bytes_are_each_code_points_signed_bytes() -> None:
    from thresher.signals._fasttext import _utf8_bytes

    rng = random.Random(11)
    points = [0x41, 0x7F, 0x80, 0x7FF, 0x800, 0xD800, 0xDC80, 0xDFFF, 0xFFFF, 0x10000, 0x10FFFF]
    points += [
        rng.choice([rng.randint(1, 0x7F), rng.randint(0x80, 0xFFFF), rng.randint(0x10000, 0x10FFFF)])
        for _ in range(500)
    ]
    text = "".join(map(chr, points))
    length, parts = _utf8_bytes(text)
    for index, char in enumerate(text):
        raw = char.encode("utf-8", errors="surrogatepass")
        expected = [byte | 0xFFFFFF00 if byte >= 0x80 else byte for byte in raw] + [0] * (4 - len(raw))
        assert length[index] == len(raw) and parts[:, index].tolist() == expected
