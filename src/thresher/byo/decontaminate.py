"""Benchmark decontamination: an index of the eval sets' word n-grams, and a matcher over segments.

`thresher decontaminate-index EVAL.jsonl... -o INDEX` reads every string of every record
(or the fields named with `--field`), normalises it as deduplication does
(`thresher.dedup.normalize.simplify_text`: case, digits, punctuation and accents folded),
and stores the 64-bit hash of each run of `n` consecutive words (13 by default, the length
GPT-3's and datatrove's decontamination use), with the eval set it came from (the file's
name). A `[decontaminate]` policy table then hashes every segment's n-grams the same way
and looks them up (one binary search per n-gram over a sorted array): a segment sharing
one is trimmed (`action = "trim"`) or the document sharing one dropped (`action = "drop"`),
the reason naming the eval set and the n-gram.

Word hashes are xxh3 of each normalised word; an n-gram's hash combines its words' hashes
(a polynomial over 64-bit integers, then a mixing step) in NumPy, n vector operations per
batch whatever its size. Texts shorter than n words cannot be matched and are counted, not
indexed.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import xxhash

from thresher.annotator import SignalSpec
from thresher.dedup.normalize import simplify_text
from thresher.document import Document

FORMAT = "thresher-decontaminate-index"
VERSION = 1
DEFAULT_N = 13
_HASH = xxhash.xxh3_64_intdigest
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


class IndexError_(ValueError):
    """An index file that cannot be used, or eval input that cannot be read."""


def words_of(text: str) -> list[bytes]:
    """The normalised words of a text, as dedup normalises (UTF-8 bytes, for hashing)."""
    return simplify_text(text).encode("utf-8", "surrogatepass").split()


def word_hashes(words: list[bytes]) -> np.ndarray:
    return np.fromiter(map(_HASH, words), dtype=np.uint64, count=len(words))


def ngram_hashes(hashes: np.ndarray, n: int) -> np.ndarray:
    """Hash of each run of n consecutive word hashes (len(hashes) - n + 1 values; none if shorter)."""
    count = len(hashes) - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    with np.errstate(over="ignore"):
        combined = hashes[:count].copy()
        for offset in range(1, n):
            combined = combined * _MULTIPLIER + hashes[offset : offset + count]
        combined ^= combined >> np.uint64(30)
        combined *= _MIX1
        combined ^= combined >> np.uint64(27)
        combined *= _MIX2
        combined ^= combined >> np.uint64(31)
    return combined


# -- the index ---------------------------------------------------------------------------


@dataclass(slots=True)
class EvalSetStats:
    name: str
    file: str
    records: int = 0
    texts: int = 0
    short_texts: int = 0
    ngrams: int = 0


def _records(path: Path) -> Iterator[tuple[int, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:  # type: ignore[operator]
            if path.suffix == ".zst":
                import zstandard

                handle = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(handle))
            for number, line in enumerate(handle, 1):
                if line.strip():
                    try:
                        yield number, orjson.loads(line)
                    except orjson.JSONDecodeError as error:
                        raise IndexError_(f"{path}:{number}: not a JSON line ({error})") from error
    except OSError as error:
        raise IndexError_(f"{path}: cannot read ({error.strerror or error})") from error


def _strings(value: Any, fields: tuple[str, ...] | None, top: bool = True) -> Iterator[str]:
    """Every string in a record (recursing into lists and objects), or only the named top-level fields."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, None, False)
    elif isinstance(value, dict):
        for key, item in value.items():
            if top and fields is not None and key not in fields:
                continue
            yield from _strings(item, None, False)


def build_index(
    inputs: list[str | Path], output: str | Path, n: int = DEFAULT_N, fields: list[str] | None = None
) -> list[EvalSetStats]:
    """Write the n-gram index of the eval files to `output`; return per-file counts."""
    if n < 1:
        raise IndexError_(f"n must be at least 1, got {n}")
    wanted = tuple(fields) if fields else None
    stats: list[EvalSetStats] = []
    all_hashes: list[np.ndarray] = []
    all_sets: list[np.ndarray] = []
    names: set[str] = set()
    for set_id, raw_path in enumerate(inputs):
        path = Path(raw_path)
        name = path.name.split(".")[0] or path.name
        if name in names:
            name = f"{name}#{set_id}"
        names.add(name)
        item = EvalSetStats(name, str(path))
        chunks: list[np.ndarray] = []
        for _, record in _records(path):
            item.records += 1
            for text in _strings(record, wanted):
                words = words_of(text)
                if not words:
                    continue
                item.texts += 1
                if len(words) < n:
                    item.short_texts += 1
                    continue
                chunks.append(ngram_hashes(word_hashes(words), n))
        hashes = _distinct(np.concatenate(chunks)) if chunks else np.zeros(0, dtype=np.uint64)
        item.ngrams = len(hashes)
        all_hashes.append(hashes)
        all_sets.append(np.full(len(hashes), set_id, dtype=np.uint16))
        stats.append(item)
    hashes = np.concatenate(all_hashes) if all_hashes else np.zeros(0, dtype=np.uint64)
    sets = np.concatenate(all_sets) if all_sets else np.zeros(0, dtype=np.uint16)
    order = np.argsort(hashes, kind="stable")  # equal hashes keep the first eval set first
    hashes, sets = hashes[order], sets[order]
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "n": n,
        "normalisation": "thresher.dedup.normalize.simplify_text",
        "fields": list(wanted) if wanted else None,
        "sets": [
            {
                "name": s.name,
                "file": s.file,
                "records": s.records,
                "texts": s.texts,
                "short_texts": s.short_texts,
                "ngrams": s.ngrams,
            }
            for s in stats
        ],
    }
    target = Path(output)
    temp = target.with_name(f".{target.name}.tmp")
    with open(temp, "wb") as handle:
        np.savez(handle, hashes=hashes, sets=sets, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    temp.replace(target)
    return stats


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort, then drop repeats: np.unique is several times slower on uint64)."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values


def read_index_meta(path: str | Path) -> dict[str, Any]:
    """The index's header (n, eval sets); raise IndexError_ naming the file if it is not an index."""
    return _load_index(str(path))[2]


def _load_index(path: str) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            hashes, sets = data["hashes"], data["sets"]
    except FileNotFoundError as error:
        raise IndexError_(f"{path}: index file not found") from error
    except (OSError, ValueError, KeyError, EOFError) as error:
        raise IndexError_(
            f"{path}: not a decontamination index ({type(error).__name__}: {error}); build one "
            f"with `thresher decontaminate-index EVAL.jsonl -o {path}`"
        ) from error
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise IndexError_(f"{path}: not a version-{VERSION} decontamination index; rebuild it")
    if hashes.dtype != np.uint64 or len(hashes) != len(sets) or np.any(hashes[1:] < hashes[:-1]):
        raise IndexError_(f"{path}: the index is corrupt (hashes unsorted or counts differ); rebuild it")
    return hashes, sets, meta


@cache
def _cached_index(path: str, size: int, mtime_ns: int) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    return _load_index(path)


def load_index(path: str) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    stat = Path(path).stat()
    return _cached_index(path, stat.st_size, stat.st_mtime_ns)


# -- matching ----------------------------------------------------------------------------


class Decontaminator:
    """Finds, for each text, the first n-gram it shares with the index (and its eval set)."""

    def __init__(self, path: str) -> None:
        self.hashes, self.sets, meta = load_index(path)
        self.n: int = meta["n"]
        self.set_names: list[str] = [s["name"] for s in meta["sets"]]

    def first_matches(self, texts: list[str]) -> list[tuple[str, str] | None]:
        """(eval set, matched n-gram) for each text that shares an n-gram, else None."""
        n = self.n
        out: list[tuple[str, str] | None] = [None] * len(texts)
        if not len(self.hashes):
            return out
        words_per_text = [words_of(text) for text in texts]
        lengths = np.fromiter((len(w) for w in words_per_text), dtype=np.int64, count=len(texts))
        every = [word for words in words_per_text for word in words]
        hashes = ngram_hashes(word_hashes(every), n)
        if not len(hashes):
            return out
        starts = np.cumsum(lengths) - lengths  # first word of each text in `every`
        text_of = np.repeat(np.arange(len(texts)), lengths)[: len(hashes)]
        valid = np.arange(len(hashes)) + n <= (starts + lengths)[text_of]  # the n-gram stays in its text
        at = np.minimum(np.searchsorted(self.hashes, hashes), len(self.hashes) - 1)
        found = np.flatnonzero(valid & (self.hashes[at] == hashes))
        if not len(found):
            return out
        _, first = np.unique(text_of[found], return_index=True)  # first match of each text
        for position in found[first].tolist():
            index = int(text_of[position])
            offset = position - int(starts[index])
            ngram = b" ".join(words_per_text[index][offset : offset + n]).decode("utf-8", "surrogatepass")
            out[index] = (self.set_names[int(self.sets[at[position]])], ngram)
        return out


class DecontaminateSignals:
    """Writes `contaminated` and `contamination_ngram` for each document and, to trim, each segment.

    To drop, the whole text is searched, so an n-gram that runs across a line or segment
    boundary (a question on one line, its answer on the next) is found too. To trim, each
    segment is searched, and the document's signals are those of its first contaminated one.
    """

    name = "byo.decontaminate"

    def __init__(self, index: str, action: str, specs: tuple[SignalSpec, ...]) -> None:
        self.matcher = Decontaminator(index)
        self.action = action
        self.signals = specs

    def annotate(self, documents: list[Document]) -> None:
        owners: list[tuple[Document, dict[str, Any] | None]] = []
        texts: list[str] = []
        for document in documents:
            document.analysis.signals["contaminated"] = None
            document.analysis.signals["contamination_ngram"] = None
            if self.action == "drop" or not document.analysis.segments:
                owners.append((document, None))
                texts.append(document.text)
                continue
            for segment in document.analysis.segments:
                owners.append((document, segment.signals))  # type: ignore[arg-type]
                texts.append(document.text[segment.start : segment.end])
        for (document, signals), match in zip(owners, self.matcher.first_matches(texts), strict=True):
            eval_set, ngram = match if match is not None else (None, None)
            if signals is not None:
                signals["contaminated"] = eval_set
                signals["contamination_ngram"] = ngram
            document_signals = document.analysis.signals
            if eval_set is not None and document_signals["contaminated"] is None:
                document_signals["contaminated"] = eval_set
                document_signals["contamination_ngram"] = ngram
