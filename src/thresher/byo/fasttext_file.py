"""Check a fastText model file's structure and read its labels, without loading its matrices.

fastText's own loader trusts the file: a truncated or mangled model can make it allocate
absurd sizes or read past the end. A user's classifier is therefore walked here first
(header, arguments, dictionary, then the sizes of the input and output matrices, dense or
product-quantized) and must end exactly where the file ends. This costs one pass over the
dictionary (about a second for a few million words; the matrices are skipped, never read),
and gives the labels, so a policy naming a label the model does not have is refused.

The layout is fastText 0.9's (`FastText::saveModel`): magic and version, `Args`,
`Dictionary`, a quantized flag and the input matrix, a quantized flag and the output matrix.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

MAGIC = 793712314
VERSIONS = (11, 12)
SUPERVISED = 3
LOSSES = {1: "hs", 2: "ns", 3: "softmax", 4: "ova"}
_KSUB = 256  # centroids per product-quantizer sub-space (fastText's fixed nbits = 8)


class ModelFileError(ValueError):
    """The file is not a usable fastText classifier; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What a policy needs to know about a classifier before any document is read."""

    path: str
    labels: tuple[str, ...]
    dim: int
    words: int
    word_ngrams: int
    loss: str
    quantized: bool


class _Reader:
    def __init__(self, data: mmap.mmap | bytes, path: str) -> None:
        self.data, self.path, self.offset = data, path, 0

    def read(self, fmt: str) -> tuple:
        size = struct.calcsize("<" + fmt)
        if self.offset + size > len(self.data):
            raise ModelFileError(f"{self.path}: truncated (ends inside the {self.where}); the file is incomplete")
        values = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += size
        return values

    def skip(self, size: int, what: str) -> None:
        if size < 0 or self.offset + size > len(self.data):
            raise ModelFileError(f"{self.path}: truncated (ends inside the {what}); the file is incomplete")
        self.offset += size

    where = "header"


def read_model_info(path: str | Path) -> ModelInfo:
    """Walk the model file's structure; raise ModelFileError naming the file and the problem."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            size = Path(path).stat().st_size
            if size == 0:
                raise ModelFileError(f"{name}: the file is empty, not a fastText model")
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return _walk(_Reader(data, name), size)
    except FileNotFoundError as error:
        raise ModelFileError(f"{name}: model file not found") from error
    except IsADirectoryError as error:
        raise ModelFileError(f"{name}: is a folder, not a fastText model file") from error
    except OSError as error:
        raise ModelFileError(f"{name}: cannot read the model file ({error.strerror or error})") from error


def _walk(reader: _Reader, size: int) -> ModelInfo:
    path = reader.path
    magic, version = reader.read("ii")
    if magic != MAGIC:
        raise ModelFileError(f"{path}: not a fastText model (wrong magic number); give a .bin or .ftz file")
    if version not in VERSIONS:
        raise ModelFileError(f"{path}: fastText file version {version} is not supported (only {VERSIONS})")
    (dim, _ws, _epoch, _min_count, _neg, word_ngrams, loss, model, bucket, minn, maxn, _lr) = reader.read("12i")
    reader.read("d")
    if model != SUPERVISED:
        raise ModelFileError(
            f"{path}: an unsupervised (word-vector) model, not a classifier; train it with `fasttext supervised`"
        )
    if loss not in LOSSES or dim <= 0 or bucket < 0 or word_ngrams < 1 or minn < 0 or maxn < 0:
        raise ModelFileError(f"{path}: corrupt header (dim {dim}, loss {loss}, bucket {bucket})")
    reader.where = "dictionary"
    entries, nwords, nlabels = reader.read("3i")
    _tokens, prune_size = reader.read("2q")
    if entries < 0 or nwords < 0 or nlabels <= 0 or nwords + nlabels != entries:
        raise ModelFileError(f"{path}: corrupt dictionary ({entries} entries, {nwords} words, {nlabels} labels)")
    data = reader.data
    labels: list[str] = []
    offset = reader.offset
    find = data.find
    for index in range(entries):
        end = find(b"\x00", offset)
        if end < 0 or end + 10 > size:
            raise ModelFileError(f"{path}: truncated (ends inside the dictionary); the file is incomplete")
        if index >= nwords:
            if data[end + 9] != 1:
                raise ModelFileError(f"{path}: corrupt dictionary (entry {index} should be a label)")
            labels.append(bytes(data[offset:end]).decode("utf-8", errors="replace"))
        offset = end + 10
    reader.offset = offset
    reader.skip(8 * max(prune_size, 0), "dictionary's pruned index")
    reader.where = "input matrix"
    (quant_input,) = reader.read("?")
    rows = _matrix(reader, quant_input, "input matrix")
    if rows != nwords + bucket and not quant_input:
        raise ModelFileError(f"{path}: corrupt input matrix ({rows} rows for {nwords} words + {bucket} buckets)")
    reader.where = "output matrix"
    (quant_output,) = reader.read("?")
    out_rows = _matrix(reader, quant_output, "output matrix")
    if out_rows != nlabels:
        raise ModelFileError(f"{path}: corrupt output matrix ({out_rows} rows for {nlabels} labels)")
    if reader.offset != size:
        raise ModelFileError(f"{path}: {size - reader.offset} unexpected bytes after the model; the file is corrupt")
    return ModelInfo(path, tuple(labels), dim, nwords, word_ngrams, LOSSES[loss], bool(quant_input))


def _matrix(reader: _Reader, quantized: bool, what: str) -> int:
    """Skip one matrix (dense or product-quantized); return its row count."""
    if not quantized:
        rows, cols = reader.read("2q")
        if rows < 0 or cols <= 0:
            raise ModelFileError(f"{reader.path}: corrupt {what} ({rows} x {cols})")
        reader.skip(4 * rows * cols, what)
        return rows
    (qnorm,) = reader.read("?")
    rows, cols = reader.read("2q")
    (codesize,) = reader.read("i")
    if rows < 0 or cols <= 0 or codesize < 0:
        raise ModelFileError(f"{reader.path}: corrupt quantized {what}")
    reader.skip(codesize, what)
    _product_quantizer(reader, what)
    if qnorm:
        reader.skip(rows, what)
        _product_quantizer(reader, what)
    return rows


def _product_quantizer(reader: _Reader, what: str) -> None:
    dim, nsubq, dsub, lastdsub = reader.read("4i")
    if dim <= 0 or nsubq <= 0 or dsub <= 0 or lastdsub <= 0:
        raise ModelFileError(f"{reader.path}: corrupt product quantizer in the {what}")
    reader.skip(4 * dim * _KSUB, what)
