"""Batch (NumPy) versions of the word-level Gopher statistics.

The per-document functions in `gopher.py` are the readable reference; these compute the
same numbers for a whole batch at once: every white-space chunk of the batch becomes an
integer id (`_tokens.TokenTable`: a C hash-table probe per chunk when the kernel is built),
chunk ids expand to word ids and per-word facts through array gathers, and
n-gram statistics become sorts and group-bys over 64-bit keys. Tests check that both
give identical values.

N-gram keys are 64-bit hashes: of the word-id tuple for the top n-grams (datatrove joins
words with spaces, and words hold no spaces, so tuple equality is string equality), and
of the *characters* of the concatenated words for the duplicate n-grams (datatrove joins
them without a separator, so "ab"+"c" equals "a"+"bc"). A false match needs a 64-bit
collision within one document.

With `thresher._native_ngrams` built (and THRESHER_NATIVE not 0) the word ids of a batch are
copied out of the chunk table by one C loop, and every per-document count and n-gram statistic
comes from one C function walking each document with a hash table sized for it (same keys:
word-id tuples, compared exactly, and the character hash xor the character count); only the
final int / int divisions stay here, so the floats are those of the NumPy path.
"""

from __future__ import annotations

import os
from itertools import chain, repeat

import numpy as np

from thresher.signals._common import punctuation_table, token_facts
from thresher.signals._spacy_native import _native_words, native_words_available
from thresher.signals._tokens import TokenTable, _native, native_available
from thresher.signals.words import english_splitter

try:
    from thresher import _native_ngrams
except ImportError:  # the optional C module was not built: the NumPy path below does the work
    _native_ngrams = None  # type: ignore[assignment]

_B = np.uint64(0x100000001B3)  # odd, so invertible modulo 2**64
_B_INV = np.uint64(pow(int(_B), -1, 1 << 64))
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xC2B2AE3D27D4EB4F)
TOP_NGRAMS = (2, 3, 4)
DUP_NGRAMS = (5, 6, 7, 8, 9, 10)
_FIELDS = 13  # per document from the C kernel: 4 word counts, 3 top n-grams, 6 duplicate n-grams
STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
_STOP_INDEX = {word: index for index, word in enumerate(STOP_WORDS)}


def _grown(array: np.ndarray, size: int) -> np.ndarray:
    """`array` with room for at least `size` elements (capacity doubles; contents kept)."""
    if size <= len(array):
        return array
    bigger = np.zeros(max(size, 2 * len(array), 1024), dtype=array.dtype)
    bigger[: len(array)] = array
    return bigger


class ChunkTable:
    """White-space chunks -> ids (`_tokens.TokenTable`, `str.split`'s rule), bounded.

    Annotators keep per-chunk facts in arrays indexed by these ids and rebuild them when
    `generation` changes (the table is cleared past `limit` distinct chunks).
    """

    def __init__(self, limit: int = 5_000_000) -> None:
        self.table = TokenTable("whitespace")
        self.generation = 0
        self.limit = limit

    @property
    def strings(self) -> list[str]:
        return self.table.strings

    def split(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(chunk id of every chunk of the batch, chunks per text, the uint32 code points of
        all chunks concatenated), the chunks being `str.split`'s."""
        index, counts, codes = self.table.lookup(texts, codes=True)
        if len(self.table) > self.limit:
            self.table.clear()
            self.generation += 1
            index, counts, codes = self.table.lookup(texts, codes=True)
        assert codes is not None
        return index, counts, codes


CHUNKS = ChunkTable()


class WordTable:
    """Word -> id, with per-word arrays: length, symbol flag, alpha flag, stop-word index, char hash.

    White-space chunks get ids too: a chunk's words are stored once, as a slice of one flat
    array of word ids, so a batch is encoded with one dict lookup per chunk (in C, through
    `map`) and NumPy gathers; only chunks never seen go through the spaCy-compatible splitter.
    """

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self._words = 0
        self._length = np.zeros(0, dtype=np.int64)
        self._symbol = np.zeros(0, dtype=bool)
        self._alpha = np.zeros(0, dtype=bool)
        self._stop = np.zeros(0, dtype=np.int64)
        self._hash = np.zeros(0, dtype=np.uint64)
        self._reset_chunks()
        self._pow = np.ones(1, dtype=np.uint64)
        self._pow_inv = np.ones(1, dtype=np.uint64)

    def _add_words(self, words: list[str], registered: bool = False) -> None:
        """Append new (distinct, unseen) words and their facts; char hashes in one NumPy pass.
        `registered`: `ids` already maps them to their ids (the C encoder adds them)."""
        begin, end = self._words, self._words + len(words)
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        self._length = _grown(self._length, end)
        self._symbol = _grown(self._symbol, end)
        self._alpha = _grown(self._alpha, end)
        self._stop = _grown(self._stop, end)
        self._hash = _grown(self._hash, end)
        self._length[begin:end] = lengths
        if native_words_available():
            _native_words.word_facts(words, punctuation_table(), self._symbol[begin:end], self._alpha[begin:end])
        else:
            facts = list(map(token_facts, words))
            self._symbol[begin:end] = [fact[0] for fact in facts]
            self._alpha[begin:end] = [fact[1] for fact in facts]
        self._stop[begin:end] = list(map(_STOP_INDEX.get, words, repeat(-1)))
        if native_ngrams_available():
            _native_ngrams.char_hashes(words, self._hash[begin:end])
        else:
            self._hash[begin:end] = _char_hashes(words, lengths, self.powers(int(lengths.max(initial=0)) + 1)[0])
        if not registered:
            self.ids.update(zip(words, range(begin, end), strict=True))
        self._words = end

    def encode(self, words: list[str]) -> list[int]:
        """Word ids of `words` (new words are added)."""
        found = list(map(self.ids.get, words))
        if None in found:
            self._add_words([w for w in dict.fromkeys(words) if w not in self.ids])
            found = list(map(self.ids.__getitem__, words))
        return found  # type: ignore[return-value]

    def _reset_chunks(self) -> None:
        self._generation = CHUNKS.generation
        self._chunk_words = 0
        self._chunk_start = np.zeros(0, dtype=np.int64)
        self._chunk_size = np.full(0, -1, dtype=np.int64)  # -1: not tokenised yet
        self._chunk_ids = np.zeros(0, dtype=np.int64)

    def _add_chunks(self, chunk_ids: list[int], chunks: list[str]) -> None:
        """Tokenise chunks not tokenised yet and store their word ids under their chunk ids."""
        tokens = english_splitter().tokens_batch(chunks)
        if native_words_available():
            sizes = np.zeros(len(tokens), dtype=np.int64)
            encoded, new_words = _native_words.encode_tokens(tokens, self.ids, self._words, sizes)
            word_ids = np.frombuffer(encoded, dtype=np.int64)
            self._add_words(new_words, registered=True)
        else:
            sizes = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
            word_ids = self.encode(list(chain.from_iterable(tokens)))  # type: ignore[assignment]
        self._chunk_start[chunk_ids] = self._chunk_words + np.cumsum(sizes) - sizes
        self._chunk_size[chunk_ids] = sizes
        words_end = self._chunk_words + len(word_ids)
        self._chunk_ids = _grown(self._chunk_ids, words_end)
        self._chunk_ids[self._chunk_words : words_end] = word_ids
        self._chunk_words = words_end

    def encode_texts(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(word ids of all texts, words per text, code points of the texts without white space).

        Words are spaCy-compatible words (`thresher.signals.words`); white space never
        joins two words, so a text's words are its chunks' words in order.
        """
        index, chunk_counts, codes = CHUNKS.split(texts)
        if self._generation != CHUNKS.generation:
            self._reset_chunks()
        known = len(self._chunk_size)
        if len(CHUNKS.strings) > known:
            size = max(len(CHUNKS.strings), 2 * known)
            self._chunk_size = np.concatenate((self._chunk_size, np.full(size - known, -1, dtype=np.int64)))
            self._chunk_start = _grown(self._chunk_start, size)
        native = native_ngrams_available()
        expanded = self._expand(index, chunk_counts) if native else None
        if expanded is not None:
            return expanded[0], expanded[1], codes
        sizes = self._chunk_size[index]
        if (sizes < 0).any():
            untokenised = np.zeros(len(self._chunk_size), dtype=bool)
            untokenised[index[sizes < 0]] = True
            new = np.flatnonzero(untokenised).tolist()  # = np.unique(index[sizes < 0]), without a sort
            self._add_chunks(new, list(map(CHUNKS.strings.__getitem__, new)))
            expanded = self._expand(index, chunk_counts) if native else None
            if expanded is not None:
                return expanded[0], expanded[1], codes
            sizes = self._chunk_size[index]
        total = int(sizes.sum())
        out_start = np.cumsum(sizes) - sizes
        source = np.repeat(self._chunk_start[index] - out_start, sizes) + np.arange(total)
        ids = self._chunk_ids[source]
        doc_of_chunk = np.repeat(np.arange(len(texts)), chunk_counts)
        counts = np.bincount(doc_of_chunk, weights=sizes, minlength=len(texts)).astype(np.int64)
        return ids, counts, codes

    def _expand(self, index: np.ndarray, chunk_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(word ids, words per text) by the C kernel: the gathers below in one copy loop;
        None while some chunk is not tokenised yet."""
        counts = np.zeros(len(chunk_counts), dtype=np.int64)
        ids = _native_ngrams.expand_chunks(
            np.ascontiguousarray(index, dtype=np.int64),
            np.ascontiguousarray(chunk_counts, dtype=np.int64),
            self._chunk_start,
            self._chunk_size,
            self._chunk_ids[: self._chunk_words],
            counts,
        )
        return None if ids is None else (np.frombuffer(ids, dtype=np.int64), counts)

    def encode_text(self, text: str) -> list[int]:
        """Word ids of the spaCy-compatible words of `text`."""
        return self.encode_texts([text])[0].tolist()

    def arrays(self) -> tuple[np.ndarray, ...]:
        """(length, symbol, alpha, stop index, char hash) arrays indexed by word id."""
        n = self._words
        return self._length[:n], self._symbol[:n], self._alpha[:n], self._stop[:n], self._hash[:n]

    def powers(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """B**k and B**-k modulo 2**64 for k < size."""
        if len(self._pow) < size:
            size = max(size, 2 * len(self._pow))
            self._pow = _power_table(_B, size)
            self._pow_inv = _power_table(_B_INV, size)
        return self._pow, self._pow_inv

    def clear_if_larger(self, limit: int) -> None:
        if self._words > limit or self._chunk_words > limit:
            self.__init__()  # type: ignore[misc]


def _power_table(base: np.uint64, size: int, block: int = 1024) -> np.ndarray:
    """base**k modulo 2**64 for k < size: an outer product of base**(block*i) and base**j (j < block),
    products modulo 2**64 like a running product's, but vectorised instead of one long `cumprod`."""
    low = np.full(block, base, dtype=np.uint64)
    low[0] = 1
    low = np.cumprod(low, dtype=np.uint64)  # base**j
    high = np.full(-(-size // block), (low[-1:] * base)[0], dtype=np.uint64)  # array product: wraps silently
    high[0] = 1
    high = np.cumprod(high, dtype=np.uint64)  # base**(block*i)
    return (high[:, None] * low[None, :]).ravel()[:size]


def _char_hashes(words: list[str], lengths: np.ndarray, powers: np.ndarray) -> np.ndarray:
    """Per word, sum of ord(char) * B**k over its characters (k from 0), modulo 2**64."""
    if not words:
        return np.zeros(0, dtype=np.uint64)
    codes = np.frombuffer("".join(words).encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)
    starts = np.cumsum(lengths) - lengths
    position = np.arange(len(codes)) - np.repeat(starts, lengths)
    weighted = codes.astype(np.uint64) * powers[position]
    if not len(weighted):
        return np.zeros(len(words), dtype=np.uint64)
    # reduceat gives an empty slice the element at its start: an empty word's hash is 0
    sums = np.add.reduceat(weighted, np.minimum(starts, len(weighted) - 1))
    return np.where(lengths > 0, sums, np.uint64(0))


_TABLE = WordTable()


def native_ngrams_available() -> bool:
    """Whether the n-gram statistics kernel is built and not switched off (THRESHER_NATIVE=0)."""
    return _native_ngrams is not None and os.environ.get("THRESHER_NATIVE", "1") != "0"


def batch_word_stats(texts: list[str]) -> list[dict[str, float | int | None]]:
    """Gopher's word-level quality counts and repetition fractions for a batch of documents."""
    _TABLE.clear_if_larger(5_000_000)
    ids, counts, codes = _TABLE.encode_texts(texts)
    if native_ngrams_available():
        return _native_word_stats(texts, ids, counts)
    return _numpy_word_stats(texts, ids, counts, codes)


def _native_word_stats(texts: list[str], ids: np.ndarray, counts: np.ndarray) -> list[dict[str, float | int | None]]:
    """The C kernel's per-document integers, divided by the text lengths as the NumPy path divides
    them (the same int / int divisions, so the same floats)."""
    length, symbol, alpha, stop, char_hash = _TABLE.arrays()
    out = np.zeros((len(texts), _FIELDS), dtype=np.int64)
    _native_ngrams.gopher_word_stats(
        np.ascontiguousarray(ids, dtype=np.int64),
        np.ascontiguousarray(counts, dtype=np.int64),
        np.ascontiguousarray(length),
        np.ascontiguousarray(symbol),
        np.ascontiguousarray(alpha),
        np.ascontiguousarray(stop),
        np.ascontiguousarray(char_hash),
        out,
    )
    top_names = [f"gopher_top_{n}_gram_char_frac" for n in TOP_NGRAMS]
    dup_names = [f"gopher_dup_{n}_gram_char_frac" for n in DUP_NGRAMS]
    results: list[dict[str, float | int | None]] = []
    for text, words, row in zip(texts, counts.tolist(), out.tolist(), strict=True):
        size = len(text)
        result: dict[str, float | int | None] = {
            "words": words,
            "non_symbol": row[0],
            "non_symbol_chars": row[1],
            "alpha": row[2],
            "stop": row[3],
        }
        for name, chars in zip(top_names, row[4:7], strict=True):
            result[name] = None if chars < 0 else chars / size
        for name, chars in zip(dup_names, row[7:], strict=True):
            result[name] = chars / size if size else None
        results.append(result)
    return results


def _numpy_word_stats(
    texts: list[str], ids: np.ndarray, counts: np.ndarray, codes: np.ndarray
) -> list[dict[str, float | int | None]]:
    """The NumPy path of `batch_word_stats` (the fallback without the C kernel)."""
    docs = len(texts)
    text_lengths = [len(text) for text in texts]
    length, symbol, alpha, stop, char_hash = _TABLE.arrays()
    doc_of = np.repeat(np.arange(docs), counts)
    starts = np.concatenate(([0], np.cumsum(counts)))
    position = np.arange(len(ids)) - starts[doc_of]
    word_length = length[ids]
    non_symbol = ~symbol[ids]
    n_non_symbol = np.bincount(doc_of, weights=non_symbol, minlength=docs)
    non_symbol_chars = np.bincount(doc_of, weights=word_length * non_symbol, minlength=docs)
    n_alpha = np.bincount(doc_of, weights=alpha[ids], minlength=docs)
    stop_index = stop[ids]
    has_stop = stop_index >= 0
    stop_pairs = np.unique(doc_of[has_stop] * 8 + stop_index[has_stop])
    n_stop = np.bincount(stop_pairs // 8, minlength=docs)

    sizes = text_lengths
    results: list[dict[str, float | int | None]] = [
        {
            "words": int(counts[d]),
            "non_symbol": int(n_non_symbol[d]),
            "non_symbol_chars": int(non_symbol_chars[d]),
            "alpha": int(n_alpha[d]),
            "stop": int(n_stop[d]),
        }
        for d in range(docs)
    ]
    # cumulative characters of the concatenated words (global; differences are per n-gram)
    char_end = np.cumsum(word_length)
    char_start = char_end - word_length
    ids_u = ids.astype(np.uint64)
    repeated_at = None
    for n in (2, 3, 4):
        repeated_at = _top_ngrams(n, ids_u, doc_of, position, counts, starts, word_length, sizes, results, repeated_at)
    total_chars = int(char_end[-1]) if len(char_end) else 0
    powers, inverse_powers = _TABLE.powers(total_chars + 1)
    weighted = char_hash[ids] * powers[char_start]
    prefix = np.concatenate(([np.uint64(0)], np.cumsum(weighted, dtype=np.uint64)))
    char_prefix = np.concatenate(([0], char_end))
    window_repeats = _window_repeats(codes, doc_of, starts, char_start, char_end, powers, inverse_powers)
    for n in (5, 6, 7, 8, 9, 10):
        _duplicate_ngrams(
            n,
            doc_of,
            position,
            counts,
            prefix,
            char_prefix,
            inverse_powers,
            sizes,
            results,
            window_repeats,
        )
    return results


WINDOW = 16


def _window_repeats(
    codes: np.ndarray,
    doc_of: np.ndarray,
    doc_starts: np.ndarray,
    char_start: np.ndarray,
    char_end: np.ndarray,
    powers: np.ndarray,
    inverse_powers: np.ndarray,
) -> np.ndarray | None:
    """Per word position: do the WINDOW characters from its start repeat at another word start
    of the same document? (Words concatenated without spaces, as datatrove's n-gram keys.)

    The words of a text, concatenated, are the text without its white space: `codes`, the
    batch's white-space chunks joined. Returns None if that does not line up.
    """
    if len(codes) != (int(char_end[-1]) if len(char_end) else 0) or len(powers) <= len(codes):
        return None
    weighted = codes.astype(np.uint64) * powers[: len(codes)]
    prefix = np.concatenate(([np.uint64(0)], np.cumsum(weighted, dtype=np.uint64)))
    last_word = np.maximum(doc_starts[1:] - 1, 0)
    doc_char_end = char_end[last_word][doc_of] if len(char_end) else char_end
    fits = np.flatnonzero(char_start + WINDOW <= doc_char_end)
    repeats = np.zeros(len(doc_of), dtype=bool)
    if len(fits) == 0:
        return repeats
    begin = char_start[fits]
    key = (prefix[begin + WINDOW] - prefix[begin]) * inverse_powers[begin]
    key = (key ^ doc_of[fits].astype(np.uint64)) * _MIX2
    members, _, _, _ = _repeated_groups(key)
    repeats[fits[members]] = True
    return repeats


def _valid(n: int, position: np.ndarray, counts: np.ndarray, doc_of: np.ndarray) -> np.ndarray:
    """Indices of word positions that start an n-gram inside their document."""
    return np.flatnonzero(position <= counts[doc_of] - n)


def _repeated_groups(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The elements of `key` whose value occurs more than once, grouped by value.

    Returns (members: their indices in increasing order, group of each member, first
    (smallest) index of each group, size of each group). One argsort of the keys; the
    rest works on the repeated elements only. With the C kernel: one hash pass, groups numbered
    by first occurrence instead of by value (callers use group numbers only as names).
    """
    if native_words_available():
        key = np.ascontiguousarray(key, dtype=np.uint64)
        return tuple(np.frombuffer(part, dtype=np.int64) for part in _native_words.repeated_groups(key))  # type: ignore[return-value]
    order = np.argsort(key)
    ordered = key[order]
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    member = np.zeros(len(key), dtype=bool)
    member[1:] = same
    member[:-1] |= same
    selected = np.flatnonzero(member)
    index = order[selected]
    values = ordered[selected]
    new = np.concatenate(([True], values[1:] != values[:-1]))
    heads = np.flatnonzero(new)
    group_of = np.cumsum(new) - 1
    first = np.minimum.reduceat(index, heads)
    count = np.diff(np.concatenate((heads, [len(index)])))
    group_at = np.empty(len(key), dtype=np.int64)
    group_at[index] = group_of
    is_member = np.zeros(len(key), dtype=bool)
    is_member[index] = True
    members = np.flatnonzero(is_member)
    return members, group_at[members], first, count


def _top_ngrams(
    n: int,
    ids: np.ndarray,
    doc_of: np.ndarray,
    position: np.ndarray,
    counts: np.ndarray,
    doc_starts: np.ndarray,
    word_length: np.ndarray,
    sizes: list[int],
    results: list[dict[str, float | int | None]],
    previous: np.ndarray | None,
) -> np.ndarray | None:
    """Characters of each document's most frequent n-gram (ties: the first seen) / text length.

    Returns, per word position, whether the n-gram starting there repeats (for pruning n+1).
    """
    name = f"gopher_top_{n}_gram_char_frac"
    starts = _valid(n, position, counts, doc_of)
    cumulative = np.concatenate(([0], np.cumsum(word_length)))
    # Documents whose n-grams are all distinct: the top n-gram is their first, seen once.
    for doc, (result, start, count) in enumerate(zip(results, doc_starts.tolist(), counts.tolist(), strict=False)):
        if count < n:
            result[name] = None
        else:
            chars = int(cumulative[start + n] - cumulative[start]) + n - 1
            result[name] = chars / sizes[doc]
    if len(starts) == 0:
        return None
    if previous is not None:
        # An n-gram can only repeat where the (n-1)-grams at i and i+1 both repeat.
        keep = previous[starts] & previous[np.minimum(starts + 1, len(previous) - 1)]
        starts = starts[keep]
        if len(starts) == 0:
            return np.zeros(len(ids), dtype=bool)
    key = doc_of[starts].astype(np.uint64) * _MIX2
    for k in range(n):
        key = (key ^ ids[starts + k]) * _MIX
        key ^= key >> np.uint64(29)
    members, _, first, count = _repeated_groups(key)
    repeated_at = np.zeros(len(ids), dtype=bool)
    if len(members) == 0:
        return repeated_at
    repeated_at[starts[members]] = True
    group_doc = doc_of[starts[first]]
    order = np.lexsort((first, -count, group_doc))
    best = order[np.concatenate(([True], group_doc[order][1:] != group_doc[order][:-1]))]
    for index in best.tolist():
        start = int(starts[first[index]])
        chars = int(cumulative[start + n] - cumulative[start]) + n - 1
        doc = int(group_doc[index])
        results[doc][name] = chars * int(count[index]) / sizes[doc]
    return repeated_at


def _duplicate_ngrams(
    n: int,
    doc_of: np.ndarray,
    position: np.ndarray,
    counts: np.ndarray,
    prefix: np.ndarray,
    char_prefix: np.ndarray,
    inverse_powers: np.ndarray,
    sizes: list[int],
    results: list[dict[str, float | int | None]],
    window_repeats: np.ndarray | None,
) -> None:
    """datatrove's greedy duplicate n-gram scan, run only over the n-grams that repeat."""
    name = f"gopher_dup_{n}_gram_char_frac"
    for doc, result in enumerate(results):
        result[name] = 0 / sizes[doc] if sizes[doc] else None
    starts = _valid(n, position, counts, doc_of)
    if len(starts) == 0:
        return
    if window_repeats is not None:
        # Two equal n-grams of >= WINDOW characters start with equal WINDOW-character windows;
        # shorter n-grams are kept as candidates. Every occurrence of a repeated n-gram survives.
        length = char_prefix[starts + n] - char_prefix[starts]
        starts = starts[window_repeats[starts] | (length < WINDOW)]
        if len(starts) == 0:
            return
    begin = char_prefix[starts]
    chars = char_prefix[starts + n] - begin
    key = (prefix[starts + n] - prefix[starts]) * inverse_powers[begin]
    key = (key ^ chars.astype(np.uint64)) * _MIX
    key = (key ^ doc_of[starts].astype(np.uint64)) * _MIX2
    members, group, first, _ = _repeated_groups(key)
    if len(members) == 0:
        return
    # members are in position order; a member is a candidate unless it is its group's first.
    candidates = np.flatnonzero(members != first[group])
    at = starts[members[candidates]]
    group_of = group[candidates]
    docs = doc_of[at]
    repeated = greedy_repeats(
        at,
        group_of,
        starts[first[group_of]],
        chars[members[candidates]],
        docs,
        n,
        len(first),
        len(doc_of),
        len(results),
    )
    for doc in np.unique(doc_of[starts[members]]).tolist():
        results[doc][name] = int(repeated[doc]) / sizes[doc]


def greedy_repeats(
    at: np.ndarray,
    group: np.ndarray,
    first_at: np.ndarray,
    chars: np.ndarray,
    docs: np.ndarray,
    n: int,
    groups: int,
    positions: int,
    documents: int,
) -> np.ndarray:
    """datatrove's greedy duplicate n-gram scan (`find_all_duplicate`) over the candidate
    occurrences of repeated n-grams: per document, the characters counted as repeats.

    `at` holds the (batch-wide) word positions of the candidates in increasing order, each a
    repeat of the n-gram group `group` whose first occurrence is at `first_at`. An occurrence
    counts when the scan reaches it and its group was counted before, or its group's first
    occurrence was not itself skipped; a counted n-gram skips the next n - 1 positions. The
    C kernel runs the loop when it is built; this is the same loop in Python.
    """
    out = np.zeros(documents, dtype=np.int64)
    if native_available():
        arrays = [np.ascontiguousarray(a, dtype=np.int64) for a in (at, group, first_at, chars, docs)]
        _native.greedy_repeats(*arrays, n, groups, positions, out)
        return out
    skipped = np.zeros(positions + 1, dtype=bool)
    added: set[int] = set()
    index = 0
    for position, group_id, first, size, doc in zip(
        at.tolist(), group.tolist(), first_at.tolist(), chars.tolist(), docs.tolist(), strict=True
    ):
        if position < index:
            continue
        if group_id in added or not skipped[first]:
            out[doc] += size
            skipped[position + 1 : position + n] = True
            index = position + n
        else:
            added.add(group_id)
            index = position + 1
    return out
