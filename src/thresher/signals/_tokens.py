"""Chunks of a batch of texts -> stable integer ids, and per-text sums of per-id rows.

Language ID and Gopher's word statistics read every white-space chunk of every document,
and their per-chunk facts (fastText's summed input rows; spaCy-compatible word ids) never
change, so both keep them in arrays indexed by a chunk id. This module assigns the ids:
`TokenTable.lookup` splits a batch and returns the id of every chunk, registering chunks it
has not seen. Two split rules: `whitespace` is `str.split()` (Gopher, whose words never
span white space), `fasttext` is fastText's `readWord` (space, newline, \\r, \\t, \\v, \\f
and NUL only).

The C kernel (`thresher._native`, built at install when a compiler is there) hashes chunks
from the text's code points, so a chunk seen before costs no str object and no dict probe.
Without it, or with THRESHER_NATIVE=0, the same semantics run in Python; tests check that
both give identical ids, counts and code points.
"""

from __future__ import annotations

import os
import re
from itertools import chain, repeat
from typing import Any

import numpy as np

try:
    from thresher import _native
except ImportError:  # not compiled (no compiler at install): the Python fallback below
    _native = None  # type: ignore[assignment]

MODES = ("whitespace", "fasttext")
_FASTTEXT_TOKEN = re.compile(r"[^ \n\r\t\v\f\x00]+")
# White space `str.split` cuts at but fastText does not, and NUL, which fastText cuts at.
_NOT_FASTTEXT_SPLIT = re.compile("[\x00\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


def native_available() -> bool:
    """Whether the C kernel is built and not switched off (THRESHER_NATIVE=0)."""
    return _native is not None and os.environ.get("THRESHER_NATIVE", "1") != "0"


class _PythonTable:
    """The fallback: the same ids as the C table, with `str.split`/a regex and a dict."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.ids: dict[str, int] = {}
        self.strings: list[str] = []

    def __len__(self) -> int:
        return len(self.strings)

    def clear(self) -> None:
        self.ids = {}
        self.strings = []

    def lookup(self, texts: list[str], codes: bool = False) -> tuple[Any, Any, Any]:
        if self.mode == "whitespace":
            split = [text.split() for text in texts]
        else:  # str.split (C speed) wherever it cuts exactly where fastText does
            split = [
                text.split() if _NOT_FASTTEXT_SPLIT.search(text) is None else _FASTTEXT_TOKEN.findall(text)
                for text in texts
            ]
        chunks = list(chain.from_iterable(split))
        index = np.fromiter(map(self.ids.get, chunks, repeat(-1)), dtype=np.int64, count=len(chunks))
        missing = np.flatnonzero(index < 0).tolist()
        if missing:
            new = list(dict.fromkeys([chunks[i] for i in missing]))
            self.ids.update(zip(new, range(len(self.strings), len(self.strings) + len(new)), strict=True))
            self.strings.extend(new)
            index[missing] = [self.ids[chunks[i]] for i in missing]
        counts = np.fromiter(map(len, split), dtype=np.int64, count=len(split))
        joined = None
        if codes:
            joined = np.frombuffer("".join(chunks).encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)
        return index, counts, joined


class TokenTable:
    """Chunk -> id for one split rule; ids are dense, in order of first appearance, and stable
    until `clear()`. `strings[id]` is the chunk (read it, never modify it)."""

    def __init__(self, mode: str = "whitespace", native: bool | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"TokenTable mode must be one of {MODES}, not {mode!r}")
        use_native = native_available() if native is None else native
        if use_native and _native is None:
            raise RuntimeError("thresher._native is not built: reinstall with a C compiler, or pass native=False")
        self.native = use_native
        self._table: Any = _native.TokenTable(mode) if use_native else _PythonTable(mode)
        self.mode = mode

    def __len__(self) -> int:
        return len(self._table)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (and copied) as its chunks: the C table itself cannot be."""
        return {"mode": self.mode, "native": self.native, "strings": list(self.strings)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["mode"], native=state["native"] and _native is not None)  # type: ignore[misc]
        self.lookup(state["strings"])  # each string is one chunk: the same ids again, in order

    @property
    def strings(self) -> list[str]:
        return self._table.strings

    def clear(self) -> None:
        self._table.clear()

    def lookup(self, texts: list[str], codes: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(id of every chunk of every text in order, chunks per text, and with `codes` the
        uint32 code points of all chunks concatenated, i.e. the texts without their separators)."""
        index, counts, joined = self._table.lookup(texts, codes)
        if self.native:
            index = np.frombuffer(index, dtype=np.int64)
            counts = np.frombuffer(counts, dtype=np.int64)
            joined = None if joined is None else np.frombuffer(joined, dtype=np.uint32)
        return index, counts, joined


def row_sums(ids: np.ndarray, counts: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Per text, the sum of the rows of `table` (float64, 2-D) named by its ids, in order.

    `counts[t]` ids belong to text t. The C kernel accumulates in place, in order (as
    fastText does); the fallback gathers and reduces with NumPy, whose order of additions
    may differ in the last bits.
    """
    width = table.shape[1]
    out = np.zeros((len(counts), width))
    if native_available():
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        counts = np.ascontiguousarray(counts, dtype=np.int64)
        _native.row_sums(ids, counts, np.ascontiguousarray(table, dtype=np.float64), width, out)
        return out
    nonempty = np.flatnonzero(counts > 0)
    if len(nonempty):
        starts = (np.cumsum(counts) - counts)[nonempty]
        out[nonempty] = np.add.reduceat(table[ids], starts, axis=0)
    return out
