"""fastText supervised-model inference in NumPy, for lid.176.ftz, batched and cached per word.

fastText predicts a label from the average of the input-matrix rows of every token of a
line (a known word's own row plus the rows of its character 2..4-grams; an unknown word's
character n-grams only) and, for lid.176, a hierarchical softmax over 176 languages. A
token's summed rows never change, so this module computes them once per distinct token
and caches them under the token's id (`_tokens.TokenTable`, fastText's separators); a batch
of documents then costs one table lookup per token, a row sum per document and a few matrix
products. This is an independent re-implementation of fastText 0.9.2's inference
(`Dictionary::getLine`, `computeSubwords`, `QuantMatrix`, `HierarchicalSoftmaxLoss::dfs`)
over the same model file; `tests/signals` checks it against `fasttext-predict` and the
parity benchmark reports how far its scores are from fastText's (float32 summation order
differs, so scores agree to about 1e-6, not bit for bit).

With `thresher._native_ftx` built (THRESHER_NATIVE=0 turns it off), C does: registering a
batch's new tokens (word lookup, UTF-8, n-gram hashes and their rows, summed in fastText's
order, from ~1 MB of compact tables that stay in cache); the tree's dot products (in
einsum's own order, checked against einsum at load), the IEEE steps of the sigmoid, and the
walk down the tree per text; and the token spans that let a segment read its document's
tokens. Every value is the same, bit for bit, as on the NumPy path: the same additions in
the same order, and every exp and log is still NumPy's.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from thresher.signals._tokens import TokenTable, _native, native_available, row_sums

try:
    from thresher import _native_ftx
except ImportError:  # not compiled: `thresher._native`'s n-gram kernel, or NumPy, below
    _native_ftx: Any = None

_MAGIC = 793712314
_EOS = "</s>"
_LABEL_PREFIX = "__label__"
_BLOCK = 4096  # texts scored together (the tree's scores: 351 x 4096 float64, 11 MB)
# texts scored together by the C tree walk: its two per-node term arrays (175 x 512 float64,
# 0.7 MB each) stay in a core's L2; ~20% faster than 4096 on 20k segments, the same values
# (each text's scores depend on its own hidden vector only)
_NATIVE_BLOCK = 512
# Log-probabilities closer than this to a text's best are near-ties: exp might round them to
# the same probability (an argmax then takes the first label), so the C path leaves those
# texts to the full argmax. exp's error is a few 1e-16; ties this close are rare.
_TIE_WINDOW = 1e-9
_CACHE_LIMIT = 500_000  # distinct tokens cached (16 float64 each: 64 MB at most)
_SURROGATE = re.compile("[\ud800-\udfff]")
_FNV_OFFSET = np.uint64(2166136261)
_FNV_PRIME = np.uint64(16777619)
_MASK32 = np.uint64(0xFFFFFFFF)
_LOG_FLOOR = np.log(1e-5)  # fastText drops labels below probability 1e-5
# Where texts lie in larger texts: (the larger texts, for each text the index of its larger
# text, its start, its end), with texts[i] == outer[outer_of[i]][start[i]:end[i]].
Sources = tuple[list[str], np.ndarray, np.ndarray, np.ndarray]


def ftx_available() -> bool:
    """Whether this module's C kernels (`thresher._native_ftx`) are built and not switched off
    (THRESHER_NATIVE=0 switches off every kernel)."""
    return _native_ftx is not None and os.environ.get("THRESHER_NATIVE", "1") != "0"


def _fnv1a(data: bytes) -> int:
    """fastText's `Dictionary::hash`: FNV-1a over *signed* bytes (sign-extended to 32 bits)."""
    h = 2166136261
    for byte in data:
        h ^= byte | 0xFFFFFF00 if byte >= 0x80 else byte
        h = (h * 16777619) & 0xFFFFFFFF
    return h


def _utf8(text: str) -> bytes:
    """The bytes fastText would hash for `text`: UTF-8, with the surrogates Python uses for
    undecodable bytes (U+DC80..U+DCFF) turned back into those bytes, and any other lone
    surrogate (only reachable through the Python API) encoded as its 3-byte form."""
    try:
        return text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="surrogatepass")


def _utf8_bytes(text: str) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 of each code point of `text` as fastText hashes it: (length, 4 bytes sign-extended
    to 32 bits); a surrogate takes its 3-byte form.

    fastText XORs each byte as a signed char promoted to uint32, so bytes >= 0x80 become
    0xFFFFFF00 | byte. Unused byte slots are 0 (masked out by the length). Python's encoder
    writes the bytes (a code point starts at each byte that is not a continuation byte);
    NumPy only gathers them, one slot at a time.
    """
    data = np.frombuffer(text.encode("utf-8", errors="surrogatepass"), dtype=np.uint8)
    starts = np.flatnonzero((data & 0xC0) != 0x80)
    length = np.diff(starts, append=len(data))
    signed = data.view(np.int8).astype(np.int64) & 0xFFFFFFFF
    parts = np.zeros((4, len(starts)), dtype=np.uint64)
    last = len(data) - 1
    for slot in range(4):
        parts[slot] = np.where(length > slot, signed[np.minimum(starts + slot, last)], 0)
    return length, parts


def _ngram_hashes(joined: str, lengths: np.ndarray, minn: int, maxn: int) -> tuple[np.ndarray, np.ndarray]:
    """(word index, FNV-1a hash) of every character minn..maxn-gram of the words concatenated
    in `joined` (word k has `lengths[k]` characters), in the order fastText's
    `computeSubwords` lists them per word (by start, then by length: an order of summation only).

    fastText hashes the UTF-8 bytes of an n-gram; an n-gram extends the (n-1)-gram at the same
    start by one character, so the FNV state is carried from length to length and every step
    is one vectorised operation over all start positions.
    """
    total = len(joined)
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.astype(np.uint64)
    byte_length, byte_values = _utf8_bytes(joined)
    ends = np.cumsum(lengths)
    word_of = np.repeat(np.arange(len(lengths)), lengths)
    word_end = ends[word_of]
    state = np.full(total, _FNV_OFFSET, dtype=np.uint64)
    owners: list[np.ndarray] = []
    hashes: list[np.ndarray] = []
    starts_of_word = ends - lengths
    # The starts whose n-gram fits in their word (fewer as n grows); a step updates only them,
    # and a byte slot past the first only the characters that long (few in most text).
    active = np.arange(total)
    for n in range(1, maxn + 1):
        at = active + n - 1
        fits = at < word_end[active]
        active, at = active[fits], at[fits]
        where, chars = active, at
        for slot in range(4):
            if slot:
                longer = byte_length[chars] > slot
                where, chars = where[longer], chars[longer]
                if not len(where):
                    break
            state[where] = ((state[where] ^ byte_values[slot, chars]) * _FNV_PRIME) & _MASK32
        if n >= minn:
            keep = active
            if n == 1:  # fastText skips 1-grams of the boundary characters "<" and ">"
                keep = active[(active != starts_of_word[word_of[active]]) & (active + 1 != word_end[active])]
            owners.append(keep)
            hashes.append(state[keep])
    if not owners:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.astype(np.uint64)
    start = np.concatenate(owners)
    value = np.concatenate(hashes)
    return word_of[start], value


@dataclass
class _Quantized:
    """A product-quantized matrix (fastText QuantMatrix) decoded lazily by row."""

    codes: np.ndarray  # (rows, nsubq) uint8
    centroids: list[np.ndarray]  # per subquantizer: (256, dsub) float32
    norms: np.ndarray | None  # (rows,) float32

    def rows(self, index: np.ndarray) -> np.ndarray:
        codes = self.codes[index]
        if len({part.shape[1] for part in self.centroids}) == 1:
            # One gather from the subquantizers' centroids stacked (subquantizer m's codes
            # offset by 256 m), already in float64: the model's whole matrix is decoded at
            # load, in a third of the time of a gather per subquantizer (same values:
            # float32 -> float64 is exact).
            stacked = np.concatenate(self.centroids).astype(np.float64)
            small = 256 * len(self.centroids) <= 1 << 16
            offsets = 256 * np.arange(len(self.centroids), dtype=np.uint16 if small else np.intp)
            out = np.take(stacked, codes + offsets, axis=0).reshape(len(codes), -1)
        else:
            parts = [centroids[codes[:, m]] for m, centroids in enumerate(self.centroids)]
            out = np.concatenate(parts, axis=1).astype(np.float64)
        if self.norms is not None:
            out *= self.norms[index, None]
        return out


@dataclass
class _RecentLookup:
    """The last batch of texts looked up: every token's id (before any end-of-line cut) and
    tokens per text, valid while the token table keeps its ids (`generation`). A later batch
    of spans of these texts (the per-segment pass after the per-document one) reads its ids
    from here instead of splitting and hashing the text again; the tokens' spans (in one
    coordinate space: text k starts at `bases[k]`) are found on first use."""

    texts: list[str]
    ids: np.ndarray
    counts: np.ndarray
    generation: int
    index: dict[str, int] | None = None
    lengths: np.ndarray | None = None
    bases: np.ndarray | None = None
    starts: np.ndarray | None = None
    ends: np.ndarray | None = None


class FastTextModel:
    """lid.176-style supervised fastText model: hierarchical softmax, no word n-grams."""

    def __init__(self, path: str) -> None:
        with open(path, "rb") as handle:
            self._parse(handle.read())
        self._ngram_rows: dict[str, int] = {}
        self._gram_sizes = tuple(range(self.minn, self.maxn + 1))
        self._build_tree()
        # The whole input matrix, decoded once (~50k rows x 16: a few MB).
        self._dense = self.input.rows(np.arange(len(self.input.codes)))
        # Token id (fastText's separators) -> summed input rows, with the row count as a last column.
        self.tokens = TokenTable("fasttext")
        self._rows = np.zeros((0, self.dim + 1))
        self._registered = 0  # tokens whose rows are computed
        self._eos_token = -1  # token id of a literal "</s>", once one is seen
        self._generation = 0  # bumped when the token table forgets its ids
        self._recent: _RecentLookup | None = None
        eos = self._subword_ids(_EOS)
        self._eos_row = np.append(self._dense[eos].sum(axis=0), len(eos))
        self._kernel_tables = self._compact_tables()
        self._exact_dots = self._dots_match_einsum()

    def _dots_match_einsum(self) -> bool:
        """Whether `thresher._native_ftx.node_dots` gives einsum's sums bit for bit here.

        The kernel adds the products in the order of NumPy's baseline einsum kernel; a NumPy
        built or dispatched otherwise (another order, fused multiply-adds) would differ in
        the last bits, so a mismatch on these vectors keeps einsum."""
        if _native_ftx is None:
            return False
        rng = np.random.default_rng(0)
        hidden = rng.standard_normal((67, self.dim)) * np.exp(rng.uniform(-12, 12, (67, 1)))
        hidden[0] = 0.0
        hidden[1, ::2] = -0.0
        expected = np.einsum("nk,dk->nd", self._negated_output, hidden, optimize=False)
        found = np.empty_like(expected)
        _native_ftx.node_dots(self._negated_output, hidden, self.dim, found)
        return bool(np.array_equal(found, expected)) and bool(np.array_equal(np.signbit(found), np.signbit(expected)))

    def _compact_tables(self) -> tuple[Any, ...] | None:
        """The `tables` of `thresher._native_ftx.register_tokens` (None without the module),
        ~1 MB in all so that they stay in cache: the kept buckets as a bit set (uint64 words),
        the kept buckets before each word, the kept buckets' rows in bucket order; the input
        matrix as stored (codes, centroids widened to float64 and padded to nsubq x 256 x dsub,
        float32 norms: a row decoded from them is centroid x norm in float64, exactly
        `_dense`'s value); the words' bytes, offsets and hash slots; then the sizes."""
        if _native_ftx is None:
            return None
        kept = self._kept_buckets  # ascending: the buckets with a row (2% of lid.176's)
        word_of = kept >> 6
        per_word = np.bincount(word_of, minlength=-(-self.bucket // 64))
        rank = (np.cumsum(per_word) - per_word).astype(np.uint32)
        bits = np.zeros(len(per_word), dtype=np.uint64)
        if len(kept):
            starts = np.flatnonzero(np.diff(word_of, prepend=-1))
            masks = np.left_shift(np.uint64(1), (kept & 63).astype(np.uint64))
            bits[word_of[starts]] = np.bitwise_or.reduceat(masks, starts)
        kept_rows = np.ascontiguousarray(self._bucket_row[kept], dtype=np.int32)
        dsub = max(part.shape[1] for part in self.input.centroids)
        centroids = np.zeros((len(self.input.centroids), 256, dsub))
        for m, part in enumerate(self.input.centroids):
            centroids[m, :, : part.shape[1]] = part
        codes = np.ascontiguousarray(self.input.codes, dtype=np.uint8)
        norms = self.input.norms if self.input.norms is not None else np.ones(len(codes), dtype=np.float32)
        norms = np.ascontiguousarray(norms, dtype=np.float32)
        vocabulary = b"".join(self._word_bytes)
        offsets = np.zeros(len(self._word_bytes) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, self._word_bytes), dtype=np.int64, count=len(self._word_bytes)), out=offsets[1:])
        slots = _native_ftx.vocabulary_slots(vocabulary, offsets)
        sizes = (self.bucket, self.dim, dsub, self.minn, self.maxn)
        return (bits, rank, kept_rows, codes, centroids, norms, vocabulary, offsets, slots, *sizes)

    # -- loading -------------------------------------------------------------------------
    def _parse(self, data: bytes) -> None:
        offset = 0

        def read(fmt: str) -> tuple:
            nonlocal offset
            values = struct.unpack_from("<" + fmt, data, offset)
            offset += struct.calcsize("<" + fmt)
            return values

        magic, _version = read("ii")
        if magic != _MAGIC:
            raise ValueError("not a fastText model file")
        (dim, _ws, _epoch, _min_count, _neg, word_ngrams, loss, _model, bucket, minn, maxn, _lr) = read("12i")
        read("d")
        if word_ngrams != 1 or loss != 1:
            raise ValueError("only hierarchical-softmax models without word n-grams are supported")
        self.dim, self.bucket, self.minn, self.maxn = dim, bucket, minn, maxn
        size, nwords, nlabels = read("3i")
        _ntokens, prune_size = read("2q")
        # The vocabulary: `size` entries of (NUL-terminated word, int64 count, int8 type),
        # walked with one `index` and one `unpack_from` each (start-up cost: lid.176 has 7k).
        words: list[str] = []
        raw: list[bytes] = []
        counts: list[int] = []
        find, count_at = data.index, struct.Struct("<q").unpack_from
        for _ in range(size):
            end = find(b"\x00", offset)
            raw.append(data[offset:end])
            words.append(raw[-1].decode("utf-8", errors="surrogateescape"))
            counts.append(count_at(data, end + 1)[0])
            offset = end + 10
        self.nwords = nwords
        self.word_ids = {word: index for index, word in enumerate(words[:nwords])}
        self._word_bytes = raw[:nwords]  # as stored (what the C kernel's vocabulary table compares)
        self.labels = [label[len(_LABEL_PREFIX) :] for label in words[nwords:]]
        self.label_counts = counts[nwords:]
        prune = np.frombuffer(data, dtype="<i4", count=2 * prune_size, offset=offset).reshape(-1, 2)
        offset += 8 * prune_size
        # bucket -> input row (-1: pruned), as one array (bucket is 2M for lid.176: 8 MB) for
        # vectorised lookups and the scalar `_ngram_row` alike (fastText's `pruneidx_` map)
        self._bucket_row = np.full(bucket, -1, dtype=np.int32)
        self._bucket_row[prune[:, 0]] = nwords + prune[:, 1]
        self._kept_buckets = np.unique(prune[:, 0]).astype(np.int64)
        (quant_input,) = read("?")
        if not quant_input:
            raise ValueError("expected a quantized (.ftz) model")
        self.input, offset = self._read_quantized(data, offset)
        (qout,) = read("?")
        if qout:
            raise ValueError("quantized output matrices are not supported")
        rows, cols = read("2q")
        self.output = np.frombuffer(data, dtype="<f4", count=rows * cols, offset=offset).reshape(rows, cols)
        self.output = self.output[: nlabels - 1].astype(np.float64)  # one row per internal tree node
        self._negated_output = -self.output

    @staticmethod
    def _read_pq(data: bytes, offset: int) -> tuple[list[np.ndarray], int]:
        dim, nsubq, dsub, lastdsub = struct.unpack_from("<4i", data, offset)
        offset += 16
        centroids = np.frombuffer(data, dtype="<f4", count=dim * 256, offset=offset)
        offset += 4 * dim * 256
        parts = []
        for m in range(nsubq):
            if m == nsubq - 1:
                start = m * 256 * dsub
                parts.append(centroids[start : start + 256 * lastdsub].reshape(256, lastdsub))
            else:
                parts.append(centroids[m * 256 * dsub : (m + 1) * 256 * dsub].reshape(256, dsub))
        return parts, offset

    def _read_quantized(self, data: bytes, offset: int) -> tuple[_Quantized, int]:
        (qnorm,) = struct.unpack_from("<?", data, offset)
        offset += 1
        rows, _cols = struct.unpack_from("<2q", data, offset)
        offset += 16
        (codesize,) = struct.unpack_from("<i", data, offset)
        offset += 4
        codes = np.frombuffer(data, dtype=np.uint8, count=codesize, offset=offset)
        offset += codesize
        centroids, offset = self._read_pq(data, offset)
        codes = codes.reshape(rows, len(centroids))
        norms = None
        if qnorm:
            norm_codes = np.frombuffer(data, dtype=np.uint8, count=rows, offset=offset)
            offset += rows
            norm_centroids, offset = self._read_pq(data, offset)
            norms = norm_centroids[0][norm_codes, 0]
        return _Quantized(codes, centroids, norms), offset

    def _build_tree(self) -> None:
        """fastText's Huffman tree over label counts (`HierarchicalSoftmaxLoss::buildTree`)."""
        osz = len(self.label_counts)
        count = [float(c) for c in self.label_counts] + [1e15] * (osz - 1)
        left = [-1] * (2 * osz - 1)
        right = [-1] * (2 * osz - 1)
        parent = [-1] * (2 * osz - 1)
        binary = [False] * (2 * osz - 1)
        leaf, node = osz - 1, osz
        for i in range(osz, 2 * osz - 1):
            mini = [0, 0]
            for j in range(2):
                if leaf >= 0 and count[leaf] < count[node]:
                    mini[j] = leaf
                    leaf -= 1
                else:
                    mini[j] = node
                    node += 1
            left[i], right[i] = mini
            count[i] = count[mini[0]] + count[mini[1]]
            parent[mini[0]] = parent[mini[1]] = i
            binary[mini[1]] = True
        # Children of each internal node (nodes osz .. 2 osz - 2; the root is the last one).
        # A node is built from smaller-numbered ones, so walking the internal nodes from the
        # root down visits every parent before its children.
        self._left = np.array(left[osz:], dtype=np.int64)
        self._right = np.array(right[osz:], dtype=np.int64)

    # -- tokens --------------------------------------------------------------------------
    def _ngram_row(self, ngram: str) -> int:
        """Input row of a character n-gram (-1 when pruned from the model), memoised."""
        row = self._ngram_rows.get(ngram)
        if row is None:
            row = int(self._bucket_row[_fnv1a(_utf8(ngram)) % self.bucket])
            if len(self._ngram_rows) > _CACHE_LIMIT:
                self._ngram_rows.clear()
            self._ngram_rows[ngram] = row
        return row

    def _subword_ids(self, token: str) -> list[int]:
        """Input rows of a token: its word id (if known) and its pruned character n-gram ids.

        fastText walks the UTF-8 bytes of "<token>" by whole characters; n-grams of one
        character at either end are skipped (irrelevant here: lid.176 has minn = 2).
        """
        wid = self.word_ids.get(token)
        ids = [] if wid is None else [wid]
        if token == _EOS:
            return ids
        word = "<" + token + ">"
        size = len(word)
        grams = [word[i : i + n] for i in range(size) for n in self._gram_sizes if i + n <= size]
        rows = list(map(self._ngram_rows.get, grams))
        if None in rows:
            rows = [self._ngram_row(gram) if row is None else row for gram, row in zip(grams, rows, strict=True)]
        ids.extend(row for row in rows if row >= 0)  # type: ignore[operator]
        return ids

    def _register_new(self) -> None:
        """Compute the summed input rows (and row counts) of the tokens the table has added
        since the last call, all at once.

        A cold batch meets thousands of new tokens (~170 per unrepeated web document). With
        `thresher._native_ftx` one C call registers them all (word lookup, UTF-8, n-gram
        hashes, bucket rows, sums in fastText's order); otherwise their character n-grams are
        hashed in C (`thresher._native.fasttext_ngrams`) or in NumPy (`_ngram_hashes`), never
        by one Python FNV loop per n-gram. All paths give the same rows.
        """
        start, needed = self._registered, len(self.tokens)
        if needed == start:
            return
        if needed > len(self._rows):
            # Room to spare, so that a few new tokens later do not copy them all; uninitialised:
            # every registered row is written whole, and rows past `_registered` are never read.
            grown = np.empty((max(2 * needed, 1024), self.dim + 1))
            grown[:start] = self._rows[:start]
            self._rows = grown
        new = self.tokens.strings[start:needed]
        if ftx_available():
            first_eos = _native_ftx.register_tokens(new, self.word_ids, self._kernel_tables, self._rows[start:needed])
            if self._eos_token < 0 and first_eos >= 0:
                self._eos_token = start + first_eos
            self._registered = needed
            return
        if self._eos_token < 0 and _EOS in new:
            self._eos_token = start + new.index(_EOS)
        owner, rows = self._token_input_rows(new)
        # Each token's rows, grouped by token in fastText's order (its word row, then its
        # n-grams), summed without gathering them into a temporary first.
        order = np.argsort(owner, kind="stable")
        counts = np.bincount(owner, minlength=len(new))
        block = self._rows[start:needed]
        block[:, : self.dim] = row_sums(rows[order], counts, self._dense)
        block[:, self.dim] = counts
        self._registered = needed

    def clear_tokens(self) -> None:
        """Forget every cached token (bounded memory)."""
        self.tokens.clear()
        self._registered = 0
        self._eos_token = -1
        self._generation += 1
        self._recent = None

    def _token_input_rows(self, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(token index, input row) pairs for `tokens`: known words' own rows and the rows of
        their pruned character n-grams, as fastText's `Dictionary::getLine` collects them."""
        owners: list[int] = []
        rows: list[int] = []
        wrapped: list[str] = []
        for index, token in enumerate(tokens):
            wid = self.word_ids.get(token)
            if wid is not None:
                owners.append(index)
                rows.append(wid)
            if token == _EOS or (wid is None and token.startswith(_LABEL_PREFIX)):
                wrapped.append("")  # EOS has no n-grams; an unknown "__label__x" is read as a label
            else:
                wrapped.append("<" + token + ">")
        if native_available():
            # fastText's own walk over each wrapped word's UTF-8 bytes, in C (lone surrogates
            # included: `_utf8` gives the bytes fastText would have read).
            owner_bytes, bucket_bytes = _native.fasttext_ngrams(
                [_utf8(word) for word in wrapped], self.minn, self.maxn, self.bucket
            )
            gram_owner = np.frombuffer(owner_bytes, dtype=np.int64)
            gram_rows = self._bucket_row[np.frombuffer(bucket_bytes, dtype=np.int64)].astype(np.int64)
            found = gram_rows >= 0
            owner = np.concatenate((np.array(owners, dtype=np.int64), gram_owner[found]))
            row = np.concatenate((np.array(rows, dtype=np.int64), gram_rows[found]))
            return owner, row
        joined = "".join(wrapped)
        if _SURROGATE.search(joined) is not None:
            # Lone surrogates (undecodable input): the scalar path encodes them as fastText would see them.
            for index, word in enumerate(wrapped):
                if word:
                    grams = self._subword_ids(word[1:-1])
                    grams = grams[1:] if self.word_ids.get(word[1:-1]) is not None else grams
                    owners.extend([index] * len(grams))
                    rows.extend(grams)
            return np.array(owners, dtype=np.int64), np.array(rows, dtype=np.int64)
        lengths = np.fromiter(map(len, wrapped), dtype=np.int64, count=len(wrapped))
        gram_owner, gram_hash = _ngram_hashes(joined, lengths, self.minn, self.maxn)
        gram_rows = self._bucket_rows(gram_hash % np.uint64(self.bucket))
        found = gram_rows >= 0
        owner = np.concatenate((np.array(owners, dtype=np.int64), gram_owner[found]))
        row = np.concatenate((np.array(rows, dtype=np.int64), gram_rows[found]))
        return owner, row

    def _bucket_rows(self, bucket_ids: np.ndarray) -> np.ndarray:
        """Input row of each n-gram bucket, -1 where the bucket was pruned from the model."""
        return self._bucket_row[bucket_ids.astype(np.int64)].astype(np.int64)

    # -- prediction ----------------------------------------------------------------------
    def token_ids(self, texts: list[str], sources: Sources | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(token id of every token fastText reads in each text, tokens per text), with every
        token's summed input rows cached under its id.

        fastText reads a line up to its end-of-line token; a literal "</s>" in the text is
        that token too, so a text's tokens stop after the first one (the caller adds the
        end-of-line row for the others). Past `_CACHE_LIMIT` distinct tokens the cache is
        cleared and the batch looked up again. `sources` says where each text lies in larger
        texts (`Sources`): a text inside one looked up by the previous call, with no token
        crossing its ends, takes its ids from that call (the same ids a lookup would give).
        """
        found = self._ids_from_recent(texts, sources) if sources is not None and ftx_available() else None
        if found is not None:
            ids, counts = found
        else:
            ids, counts, _ = self.tokens.lookup(texts)
            if len(self.tokens) > _CACHE_LIMIT:
                self.clear_tokens()
                ids, counts, _ = self.tokens.lookup(texts)
            if ftx_available():
                self._recent = _RecentLookup(texts, ids, counts, self._generation)
        self._register_new()
        if self._eos_token >= 0:
            hits = np.flatnonzero(ids == self._eos_token)
            if len(hits):
                starts = np.cumsum(counts) - counts
                doc_of = np.repeat(np.arange(len(counts)), counts)
                docs, first = np.unique(doc_of[hits], return_index=True)
                counts = counts.copy()
                counts[docs] = hits[first] - starts[docs]
                ids = ids[np.arange(len(ids)) - starts[doc_of] < counts[doc_of]]
        return ids, counts

    def _ids_from_recent(self, texts: list[str], sources: Sources) -> tuple[np.ndarray, np.ndarray] | None:
        """`token_ids`' raw (ids, counts) of `texts` read from the previous lookup where each
        text is a span of a text looked up then and no token crosses the span's ends (then
        splitting the span gives exactly those tokens); the other texts are looked up. None
        when the previous lookup cannot serve (another table generation, no text of it)."""
        recent = self._recent
        if recent is None or recent.generation != self._generation:
            return None
        if recent.index is None:
            recent.index = dict(zip(recent.texts, range(len(recent.texts)), strict=True))
            try:
                spans = _native_ftx.token_spans(recent.texts, len(recent.ids))
            except ValueError:
                spans = None
            if spans is None or not np.array_equal(np.frombuffer(spans[2], dtype=np.int64), recent.counts):
                recent.generation = -1  # not the split the table made: never read these ids
                return None
            recent.starts, recent.ends = (np.frombuffer(part, dtype=np.int64) for part in spans[:2])
            recent.lengths = np.fromiter(map(len, recent.texts), dtype=np.int64, count=len(recent.texts))
            recent.bases = np.cumsum(recent.lengths + 1) - (recent.lengths + 1)  # token_spans' coordinates
        index, bases, lengths = recent.index, recent.bases, recent.lengths
        token_starts, token_ends = recent.starts, recent.ends
        assert bases is not None and lengths is not None and token_starts is not None and token_ends is not None
        outer, outer_of, span_starts, span_ends = sources
        in_recent = np.fromiter(map(index.get, outer, [-1] * len(outer)), dtype=np.int64, count=len(outer))
        where = in_recent[outer_of]
        have = (where >= 0) & (span_starts >= 0) & (span_starts <= span_ends) & (span_ends <= lengths[where])
        if not have.any():  # nothing to read here: a plain lookup (which replaces the stale batch)
            return None
        begin = bases[where] + span_starts
        end = bases[where] + span_ends
        low = np.searchsorted(token_starts, begin, side="left")
        high = np.searchsorted(token_starts, end, side="left")
        before_ends = token_ends[np.maximum(low - 1, 0)]
        last_ends = token_ends[np.maximum(high - 1, 0)]
        aligned = have & ((low == 0) | (before_ends <= begin)) & ((high == low) | (last_ends <= end))
        counts = np.where(aligned, high - low, 0)
        source = np.where(aligned, low, 0)
        pool = recent.ids
        others = np.flatnonzero(~aligned)
        if len(others):
            other_ids, other_counts, _ = self.tokens.lookup([texts[i] for i in others])
            if len(self.tokens) > _CACHE_LIMIT:
                return None  # the caller looks the batch up again (and clears the table)
            counts[others] = other_counts
            source[others] = len(pool) + np.cumsum(other_counts) - other_counts
            pool = np.concatenate((pool, other_ids))
        first = np.cumsum(counts) - counts
        return pool[np.repeat(source - first, counts) + np.arange(int(counts.sum()))], counts

    def _node_terms(self, hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(log(1 - f + 1e-5), log(f + 1e-5)) of every internal node (nodes x texts),
        f = sigmoid(hidden . the node's output row): the two terms of a step down the tree."""
        # hidden @ output.T without BLAS (einsum's own loop, one thread: BLAS worker threads
        # would spin on the other cores). Then f = 1 / (1 + exp(-x)) and the logs, each step in
        # place (the same operations on the same values as the plain expressions, without a
        # fresh temporary the size of the block per step).
        # -x comes from the negated output rows: negating an operand negates every product and
        # partial sum exactly (rounding to nearest is symmetric), so it equals -(hidden . row).
        if self._exact_dots and ftx_available():  # einsum's sums in C, twice as fast
            f = np.empty((len(self._negated_output), len(hidden)))
            _native_ftx.node_dots(self._negated_output, np.ascontiguousarray(hidden), self.dim, f)
        else:
            f = np.einsum("nk,dk->nd", self._negated_output, hidden, optimize=False)
        np.exp(f, out=f)
        if ftx_available():  # the four IEEE steps between exp and the logs, in one C pass
            go_left = np.empty_like(f)
            _native_ftx.sigmoid_terms(f, go_left)
        else:
            np.add(f, 1.0, out=f)
            np.divide(1.0, f, out=f)
            go_left = np.subtract(1.0, f)
            np.add(go_left, 1e-5, out=go_left)
            np.add(f, 1e-5, out=f)
        np.log(go_left, out=go_left)
        np.log(f, out=f)
        return go_left, f

    def _leaf_scores_native(self, hidden: np.ndarray, out: np.ndarray) -> None:
        """`_leaf_scores` transposed (texts x labels), into `out`, with the tree walked in C
        (`thresher._native_ftx.leaf_scores`: the same additions in the same order, per text),
        and every score under fastText's pruning floor written as -inf (probability exactly 0)."""
        go_left, go_right = self._node_terms(hidden)
        _native_ftx.leaf_scores(
            np.ascontiguousarray(go_left), np.ascontiguousarray(go_right), self._left, self._right, _LOG_FLOOR, out
        )

    def _leaf_scores(self, hidden: np.ndarray) -> np.ndarray:
        """Log-probability of every label (labels x texts) from the texts' hidden vectors.

        fastText's `HierarchicalSoftmaxLoss::dfs` adds log(1 - f + 1e-5) going left and
        log(f + 1e-5) going right, f = sigmoid(hidden . output row of the node), from the
        root down. Here all texts go down the tree together: one vector operation per node,
        each node's score reused by both children (the paths are not summed label by label).
        """
        osz = len(self.labels)
        go_left, go_right = self._node_terms(hidden)
        scores = np.empty((2 * osz - 1, len(hidden)))
        scores[2 * osz - 2] = 0.0
        for node in range(osz - 2, -1, -1):  # internal node osz + node, root first
            here = scores[osz + node]
            np.add(here, go_left[node], out=scores[self._left[node]])
            np.add(here, go_right[node], out=scores[self._right[node]])
        return scores[:osz]

    def _hidden_blocks(
        self, texts: list[str], size: int, sources: Sources | None = None
    ) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
        """(block of texts, their hidden vectors, whether each read nothing) for consecutive
        blocks of `size` texts. Each text is read as one line, plus fastText's end-of-line
        token; a text with no input row has a NaN hidden vector."""
        ids, counts = self.token_ids(texts, sources)
        totals = row_sums(ids, counts, self._rows[: self._registered]) + self._eos_row
        sums, counts = totals[:, : self.dim], totals[:, self.dim]
        for begin in range(0, len(counts), size):
            block = slice(begin, begin + size)
            with np.errstate(invalid="ignore", divide="ignore"):
                yield block, sums[block] / counts[block, None], counts[block] == 0

    def _probability_blocks(self, texts: list[str]) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
        """(block of texts, their label probabilities (texts x labels), whether each read
        nothing) for consecutive blocks of `texts`; a block's array may be reused by the next.

        Labels under fastText's 1e-5 pruning floor have probability 0; a text with no input
        row has NaN.
        """
        native = ftx_available()
        size = _NATIVE_BLOCK if native else _BLOCK
        buffer = np.empty((min(len(texts), size), len(self.labels))) if native else None
        for block, hidden, empty in self._hidden_blocks(texts, size):
            with np.errstate(invalid="ignore", divide="ignore"):
                if buffer is not None:
                    # texts x labels, the floor applied as -inf in C; exp in place
                    scores = buffer[: len(hidden)]
                    self._leaf_scores_native(hidden, scores)
                    yield block, np.exp(scores, out=scores), empty
                    continue
                scores = self._leaf_scores(hidden)
            probabilities = np.exp(scores)
            probabilities[scores < _LOG_FLOOR] = 0.0
            yield block, probabilities.T, empty

    def predict_batch(self, texts: list[str]) -> np.ndarray:
        """Label probabilities (documents x labels) as fastText's k=-1, threshold=0 predict.

        Each text is read as one line (newlines are separators, as datatrove's text
        preparation makes them), plus fastText's end-of-line token. Rows of texts without
        any input row are NaN. Labels fastText would not return (probability under its
        1e-5 pruning floor) are 0.
        """
        out = np.empty((len(texts), len(self.labels)))
        for block, probabilities, empty in self._probability_blocks(texts):
            out[block] = probabilities
            out[block][empty] = np.nan
        return out

    def predict_top(
        self, texts: list[str], wanted: int, sources: Sources | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(index of the most probable label, its probability, probability of label `wanted`,
        0 when `wanted` < 0) per text: `predict_batch`'s argmax and values, without keeping
        the texts x labels array. Both probabilities are NaN for a text that reads nothing."""
        if ftx_available():
            return self._predict_top_native(texts, wanted, sources)
        top = np.zeros(len(texts), dtype=np.int64)
        best = np.empty(len(texts))
        target = np.zeros(len(texts))
        for block, probabilities, empty in self._probability_blocks(texts):
            chosen = np.argmax(probabilities, axis=1)
            top[block] = chosen
            best[block] = probabilities[np.arange(len(chosen)), chosen]
            if wanted >= 0:
                target[block] = probabilities[:, wanted]
            best[block][empty] = np.nan
            target[block][empty] = np.nan
        return top, best, target

    def _predict_top_native(
        self, texts: list[str], wanted: int, sources: Sources | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`predict_top` with the tree walked in C (`thresher._native_ftx.leaf_top`), which
        keeps each text's best log-probability and the wanted label's instead of every label's:
        exp (NumPy's, as before) then runs on two values a text, not 176.

        The top label is the argmax of the log-probabilities wherever no other label comes
        within `_TIE_WINDOW` of it (then exp cannot tie or reorder them); the few texts where
        one does (and NaN ones) take `predict_batch`'s argmax over every label's exp.
        """
        top = np.empty(len(texts), dtype=np.int64)
        best = np.empty(len(texts))
        target = np.empty(len(texts))
        for block, hidden, empty in self._hidden_blocks(texts, _NATIVE_BLOCK, sources):
            with np.errstate(invalid="ignore", divide="ignore"):
                go_left, go_right = self._node_terms(hidden)
            block_top, block_best, block_target = top[block], best[block], target[block]
            _native_ftx.leaf_top(
                np.ascontiguousarray(go_left),
                np.ascontiguousarray(go_right),
                self._left,
                self._right,
                _LOG_FLOOR,
                _TIE_WINDOW,
                wanted,
                block_top,
                block_best,
                block_target,
            )
            np.exp(block_best, out=block_best)
            np.exp(block_target, out=block_target)  # exp(-inf) = 0: under the floor, or no wanted label
            unsure = np.flatnonzero(block_top < 0)
            if len(unsure):
                scores = np.empty((len(unsure), len(self.labels)))
                with np.errstate(invalid="ignore", divide="ignore"):
                    self._leaf_scores_native(hidden[unsure], scores)
                probabilities = np.exp(scores)
                chosen = np.argmax(probabilities, axis=1)
                block_top[unsure] = chosen
                block_best[unsure] = probabilities[np.arange(len(chosen)), chosen]
                if wanted >= 0:
                    block_target[unsure] = probabilities[:, wanted]
            block_best[empty] = np.nan
            block_target[empty] = np.nan
        return top, best, target
