"""`thresher._native_ftx` (fastText token registration and tree scores in C) against the paths
it replaces: every row, score and answer identical, bit for bit."""

from __future__ import annotations

import random
from functools import cache
from pathlib import Path

import numpy as np
import orjson
import pytest

from thresher.signals import _fasttext, _tokens, language
from thresher.signals._fasttext import FastTextModel
from thresher.signals.language import model_path

pytestmark = pytest.mark.skipif(
    not _fasttext.ftx_available(), reason="thresher._native_ftx is not built, or THRESHER_NATIVE=0"
)

DEMO = Path(language.__file__).resolve().parents[1] / "demo" / "corpus.jsonl"

# Known words, unknown words, accents, CJK, emoji, a literal end-of-line, labels (one a word of no
# model, read as a label), undecodable bytes (U+DC80..U+DCFF), a lone surrogate that forces
# "surrogatepass" (and one mixed with an undecodable byte), Latin-1, a stray continuation byte.
TOKENS = [
    "the",
    "de",
    "für",
    "в",
    "naïve",
    "東京は日本の首都です。",
    "😀😀",
    "</s>",
    "__label__en",
    "__label__zz",
    "qqqzx",
    "x",
    "ab\udc80cd",
    "\udcc3\udca9",
    "é",
    "x\ud800y",
    "a\udc80\ud800",
    "ÿþ",
    "a\udc80b",
    "–",
]


def _model() -> FastTextModel:
    return FastTextModel(model_path())


def _registered(model: FastTextModel, tokens: list[str]) -> np.ndarray:
    model.token_ids([" ".join(tokens)])
    index = {token: i for i, token in enumerate(model.tokens.strings)}
    return model._rows[[index[token] for token in tokens]]


def _without_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fasttext, "_native_ftx", None)


def test_the_kernel_is_on_unless_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _fasttext.ftx_available()
    monkeypatch.setenv("THRESHER_NATIVE", "0")
    assert not _fasttext.ftx_available()


def test_rows_equal_a_sequential_sum_of_the_scalar_reference() -> None:
    # Tokens without surrogates: the scalar `_subword_ids` walk (word row, then each n-gram's
    # row, fastText's order) summed one row at a time from 0.0 is exactly the kernel's sum.
    model = _model()
    plain = [t for t in TOKENS if not any("\ud800" <= c <= "\udfff" for c in t)]
    rows = _registered(model, plain)
    for token, row in zip(plain, rows, strict=True):
        if token == "</s>":
            expected = [model.word_ids["</s>"]]
        elif token.startswith("__label__") and token not in model.word_ids:
            expected = []
        else:
            expected = model._subword_ids(token)
        total = np.zeros(model.dim)
        for index in expected:
            total = total + model._dense[index]
        assert row[model.dim] == len(expected), token
        assert np.array_equal(row[: model.dim], total), token


def test_hand_made_counts() -> None:
    model = _model()
    rows = _registered(model, ["de", "</s>", "__label__zz", "x", "the"])
    # lid.176: "de" is word 1 with one kept n-gram; "</s>" (word 0) has no n-grams; an unknown
    # label reads nothing; none of "<x>"'s n-grams is kept; "the" is no word, one n-gram kept.
    dense = model._dense
    assert rows[0, model.dim] == 2 and np.array_equal(rows[0, : model.dim], (0.0 + dense[1]) + dense[38593])
    assert rows[1, model.dim] == 1 and np.array_equal(rows[1, : model.dim], dense[0])
    assert rows[2, model.dim] == 0 and not rows[2, : model.dim].any()
    assert rows[3, model.dim] == 0 and not rows[3, : model.dim].any()
    assert rows[4, model.dim] == 1 and np.array_equal(rows[4, : model.dim], dense[34687])


@pytest.mark.skipif(_tokens._native is None, reason="thresher._native is not built")
def test_rows_equal_the_previous_native_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # The path this kernel replaces (`_native.fasttext_ngrams` + `_native.row_sums`), on every
    # hand-made token (surrogates included) and on random words: identical bits.
    rng = random.Random(7)
    alphabet = list("abcxyz<>-'_") + ["é", "ß", "日", "本", "д", "😀", "\u200b", "\udc80", "\udcff", "\ud800", "ÿ"]
    words = list(
        dict.fromkeys(TOKENS + ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14))) for _ in range(500)])
    )
    native = _registered(_model(), words)
    _without_kernel(monkeypatch)
    previous = _registered(_model(), words)
    assert np.array_equal(native, previous)


def test_rows_agree_with_the_numpy_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    # The pure NumPy fallback sums with reduceat (its own order): the same rows within 1e-12.
    plain = [t for t in TOKENS if not any("\ud800" <= c <= "\udfff" for c in t)]
    native = _registered(_model(), plain)
    _without_kernel(monkeypatch)
    monkeypatch.setenv("THRESHER_NATIVE", "0")
    fallback = _registered(_model(), plain)
    assert np.array_equal(native[:, -1], fallback[:, -1])
    assert np.allclose(native, fallback, rtol=0, atol=1e-12)


def test_first_end_of_line_token_is_found() -> None:
    model = _model()
    ids, counts = model.token_ids(["a b </s> c </s>", "</s> d"])
    assert counts.tolist() == [2, 0]
    assert model.tokens.strings[model._eos_token] == "</s>"
    assert len(ids) == 2


def test_vocabulary_slots_keep_the_last_id_of_a_repeated_word() -> None:
    words = [b"ab", b"c", b"ab", b""]
    offsets = np.cumsum([0] + [len(w) for w in words]).astype(np.int64)
    slots = np.frombuffer(_fasttext._native_ftx.vocabulary_slots(b"".join(words), offsets), dtype=np.int32)
    assert len(slots) == 16 and sorted(slots[slots >= 0].tolist()) == [1, 2, 3]
    with pytest.raises(ValueError):
        _fasttext._native_ftx.vocabulary_slots(b"abc", np.array([0, 2], dtype=np.int64))


def test_register_tokens_rejects_bad_input() -> None:
    model = _model()
    out = np.zeros((1, model.dim + 1))
    with pytest.raises(TypeError):
        _fasttext._native_ftx.register_tokens([b"x"], model.word_ids, model._kernel_tables, out)
    with pytest.raises(ValueError):
        _fasttext._native_ftx.register_tokens(["x", "y"], model.word_ids, model._kernel_tables, out)
    broken = list(model._kernel_tables)
    broken[1] = np.zeros_like(broken[1])  # ranks that do not count the kept bits
    with pytest.raises(ValueError):
        _fasttext._native_ftx.register_tokens(["x"], model.word_ids, tuple(broken), out)


def _hidden(model: FastTextModel, count: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    hidden = rng.standard_normal((count, model.dim)) * rng.uniform(0.01, 2.0, (count, 1))
    hidden[5] = np.nan  # a text that read nothing
    return hidden


def test_node_dots_are_einsums_sums() -> None:
    # The order of NumPy's einsum kernel, for any width (blocks of eight, pairs, a lone last
    # column) and any number of texts; checked at model load, used only where it holds.
    model = _model()
    if not model._exact_dots:
        pytest.skip("this NumPy's einsum adds in another order: the model keeps einsum")
    rng = np.random.default_rng(9)
    for dim in (1, 2, 3, 7, 8, 9, 16, 17, 30):
        for texts in (1, 2, 5, 64):
            rows = rng.standard_normal((13, dim))
            hidden = rng.standard_normal((texts, dim)) * np.exp(rng.uniform(-8, 8, (texts, 1)))
            out = np.empty((13, texts))
            _fasttext._native_ftx.node_dots(rows, hidden, dim, out)
            assert np.array_equal(out, np.einsum("nk,dk->nd", rows, hidden, optimize=False)), (dim, texts)
    with pytest.raises(ValueError):
        _fasttext._native_ftx.node_dots(rows, hidden, dim, np.empty((2, 2)))


def test_node_terms_without_the_dot_kernel_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _model()
    hidden = _hidden(model, 100)
    with np.errstate(invalid="ignore"):
        native = model._node_terms(hidden)
        monkeypatch.setattr(model, "_exact_dots", False)
        plain = model._node_terms(hidden)
    assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(native, plain, strict=True))


def test_node_terms_equal_the_plain_expressions() -> None:
    # In place, from the negated output rows: the same bits as the expressions they replace.
    model = _model()
    hidden = _hidden(model, 300)
    hidden[7] = 1e6 * hidden[7]  # saturated sigmoids
    with np.errstate(invalid="ignore", over="ignore"):
        f = 1.0 / (1.0 + np.exp(-np.einsum("nk,dk->nd", model.output, hidden, optimize=False)))
        go_left, go_right = model._node_terms(hidden)
        assert np.array_equal(go_left, np.log(1.0 - f + 1e-5), equal_nan=True)
        assert np.array_equal(go_right, np.log(f + 1e-5), equal_nan=True)


def test_tree_scores_equal_the_numpy_walk() -> None:
    model = _model()
    hidden = _hidden(model, 700)
    with np.errstate(invalid="ignore"):
        reference = model._leaf_scores(hidden).T
        scores = np.empty((len(hidden), len(model.labels)))
        model._leaf_scores_native(hidden, scores)
    floor = reference < _fasttext._LOG_FLOOR
    assert np.array_equal(np.where(floor, -np.inf, reference), scores, equal_nan=True)


def test_leaf_top_marks_near_ties_and_nan() -> None:
    model = _model()
    hidden = _hidden(model, 40)
    with np.errstate(invalid="ignore"):
        go_left, go_right = model._node_terms(hidden)
    top, best, wanted = np.empty(40, dtype=np.int64), np.empty(40), np.empty(40)
    args = (go_left, go_right, model._left, model._right, _fasttext._LOG_FLOOR)
    _fasttext._native_ftx.leaf_top(*args, 1e-9, 0, top, best, wanted)
    assert top[5] == -1 and (top[np.arange(40) != 5] >= 0).all()
    _fasttext._native_ftx.leaf_top(*args, 100.0, -1, top, best, wanted)  # every other label is "near"
    assert (top == -1).all() and (wanted == -np.inf).all()
    with pytest.raises(ValueError):
        _fasttext._native_ftx.leaf_top(*args, 1e-9, 0, top[:3], best, wanted)


def _demo_texts() -> list[str]:
    texts = [orjson.loads(line)["text"] for line in DEMO.read_bytes().splitlines() if line.strip()]
    lines = [line for text in texts for line in text.split("\n")]
    return [text.replace("\n", " ") for text in texts] + lines + ["", "   ", "</s>", "__label__en", "a\udc80b"]


@pytest.mark.parametrize("window", [_fasttext._TIE_WINDOW, 1e6])
def test_predict_top_equals_the_argmax_of_predict_batch(monkeypatch: pytest.MonkeyPatch, window: float) -> None:
    # A window of 1e6 sends every text through the full argmax: both branches, same answers.
    monkeypatch.setattr(_fasttext, "_TIE_WINDOW", window)
    model = _model()
    texts = _demo_texts()
    wanted = model.labels.index("en")
    top, best, target = model.predict_top(texts, wanted)
    probabilities = model.predict_batch(texts)
    reference = np.argmax(probabilities, axis=1)
    assert np.array_equal(top, reference)
    assert np.array_equal(best, probabilities[np.arange(len(texts)), reference])
    assert np.array_equal(target, probabilities[:, wanted])
    assert (model.predict_top(texts, -1)[2] == 0.0).all()


@pytest.mark.parametrize("window", [_fasttext._TIE_WINDOW, 1e6])
def test_a_text_that_reads_nothing_is_nan(monkeypatch: pytest.MonkeyPatch, window: float) -> None:
    # lid.176's end-of-line token is a word, so every line reads a row; without it, a line of
    # one unknown label reads none.
    monkeypatch.setattr(_fasttext, "_TIE_WINDOW", window)
    model = _model()
    model._eos_row = np.zeros(model.dim + 1)
    top, best, target = model.predict_top(["__label__zz", "Le chat est sur le tapis."], model.labels.index("en"))
    assert np.isnan(best[0]) and np.isnan(target[0]) and model.labels[top[1]] == "fr"
    assert np.isnan(model.predict_batch(["__label__zz"])).all()


def test_predictions_equal_the_path_without_the_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _demo_texts()
    native = _model().predict_batch(texts)
    answers = language._numpy_columns(texts, "en")
    _without_kernel(monkeypatch)
    assert np.array_equal(native, _model().predict_batch(texts), equal_nan=True)
    monkeypatch.setattr(language, "_numpy_model", _model)
    assert language._numpy_columns(texts, "en") == answers


def test_identify_columns_scores_each_distinct_text_once(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["The cat sat on the mat.", "", "Le chat est sur le tapis.", "The cat sat on the mat.", "  ", "</s>"]
    seen: list[list[str]] = []
    model = language._numpy_model()
    original = model.predict_top
    monkeypatch.setattr(
        model, "predict_top", lambda batch, wanted, sources=None: seen.append(batch) or original(batch, wanted, sources)
    )
    languages, scores, en_scores = language.identify_columns(texts)
    assert seen == [["The cat sat on the mat.", "Le chat est sur le tapis.", "</s>"]]
    assert languages[:3] == ["en", None, "fr"] and languages[3] == "en" and languages[4] is None
    assert scores[0] == scores[3] and en_scores[0] == scores[0] and scores[1] is None
    assert list(zip(languages, scores, en_scores, strict=True)) == language.identify_numpy(texts)


SPLIT_CASES = [
    "",
    " ",
    "a",
    " a  b\x00c\xa0d\u3000e \n",
    "\x1c\x1d x\x85y",
    "\U0001f600 \U0001f600x",
    "a\u0100 b\t\tc\r\n",
]


def test_token_spans_split_as_the_token_table() -> None:
    texts = SPLIT_CASES + _demo_texts()
    ids, expected_counts, _ = (table := _tokens.TokenTable("fasttext")).lookup(texts)
    spans = _fasttext._native_ftx.token_spans(texts, len(ids))
    starts, ends, counts = (np.frombuffer(part, dtype=np.int64) for part in spans)
    assert counts.tolist() == expected_counts.tolist()
    owner = np.repeat(np.arange(len(texts)), counts)
    lengths = np.array([len(text) for text in texts])
    base = (np.cumsum(lengths + 1) - (lengths + 1))[owner]  # text k starts one past text k - 1's end
    starts, ends = starts - base, ends - base
    assert [texts[o][a:b] for o, a, b in zip(owner, starts, ends, strict=True)] == [table.strings[i] for i in ids]
    for wrong in (len(ids) - 1, len(ids) + 1):
        with pytest.raises(ValueError):
            _fasttext._native_ftx.token_spans(texts, wrong)
    first = int(counts[:3].sum())  # " a  b\x00c\xa0d\u3000e \n": NUL splits, NBSP and U+3000 do not
    assert list(zip(starts[first : first + 3].tolist(), ends[first : first + 3].tolist(), strict=True)) == [
        (1, 2),
        (4, 5),
        (6, 11),
    ]
    assert counts[3] == 3


def _spans_of(documents: list[str]) -> tuple[list[str], tuple[list[str], np.ndarray, np.ndarray, np.ndarray]]:
    """Hand-made spans: whole texts, lines, word-aligned and mid-token cuts, empty and
    out-of-range spans, a span of a text the document pass never saw."""
    outer = [*documents, "never scored before, this one"]
    bounds: list[tuple[int, int, int]] = []
    for k, text in enumerate(outer):
        bounds += [(k, 0, len(text)), (k, 0, 0), (k, 1, max(1, len(text) - 1)), (k, 3, 9), (k, 0, len(text) + 5)]
        at = 0
        for line in text.split("\n"):
            bounds.append((k, at, at + len(line)))
            at += len(line) + 1
    outer_of = np.array([b[0] for b in bounds], dtype=np.int64)
    starts = np.array([b[1] for b in bounds], dtype=np.int64)
    ends = np.array([b[2] for b in bounds], dtype=np.int64)
    texts = [outer[k][a:b] for k, a, b in bounds]
    return texts, (outer, outer_of, starts, ends)


def test_spans_read_the_document_pass_tokens_with_the_same_ids() -> None:
    documents = [*SPLIT_CASES[1:], "one </s> two </s> three", "x \n</s> y\nz"] + [
        orjson.loads(line)["text"] for line in DEMO.read_bytes().splitlines()[:20] if line.strip()
    ]
    texts, sources = _spans_of(documents)
    model = _model()
    model.token_ids(documents)
    assert model._ids_from_recent(texts, sources) is not None
    reused = model.token_ids(texts, sources)
    looked_up = model.token_ids(texts)
    assert reused[1].tolist() == looked_up[1].tolist() and reused[0].tolist() == looked_up[0].tolist()


def test_segment_columns_with_sources_equal_the_plain_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    documents = [orjson.loads(line)["text"] for line in DEMO.read_bytes().splitlines() if line.strip()]
    documents += ["one </s> two </s> three", "  \xa0 ", "Le chat\nest sur le tapis"]
    texts, sources = _spans_of(documents)
    monkeypatch.setattr(language, "_numpy_model", cache(_model))
    language.identify_columns(documents)  # the document pass
    calls: list[object] = []
    model = language._numpy_model()
    original = model._ids_from_recent
    monkeypatch.setattr(model, "_ids_from_recent", lambda t, s: calls.append(found := original(t, s)) or found)
    with_sources = language.identify_columns(texts, sources=sources)
    assert calls and calls[0] is not None
    assert with_sources == language.identify_columns(texts)


def test_spans_of_texts_never_looked_up_take_the_plain_path() -> None:
    model = _model()
    model.token_ids(["a b c"])
    texts, sources = _spans_of(["x y z"])
    assert model._ids_from_recent(texts, sources) is None
    _, counts = model.token_ids(texts, sources)
    assert model._recent is not None and model._recent.texts is texts  # the stale batch is replaced
    assert counts.tolist() == model.token_ids(texts)[1].tolist()


def test_a_cleared_table_forgets_the_recent_lookup() -> None:
    model = _model()
    model.token_ids(["a b c"])
    assert model._recent is not None
    model.clear_tokens()
    assert model._recent is None
    texts, sources = _spans_of(["a b c"])
    assert model._ids_from_recent(texts, sources) is None
