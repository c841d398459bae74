/* thresher._native_ftx: the per-token and per-text loops of fastText (lid.176) inference, in C.
 *
 * Why: on unrepeated crawl a batch meets ~170 new tokens per document, and registering each
 * one (its word row and the rows of its character n-grams, summed) cost ~2 us of Python per
 * token around a C n-gram hash; scoring then spent most of its time in NumPy calls per tree
 * node and in einsum's generic loop. The kernels, each giving bit for bit the values of the
 * path it replaces:
 *
 * - register_tokens (+ vocabulary_slots): a batch's new tokens in one call: word lookup,
 *   UTF-8, fastText's n-gram hashes and bucket rows, and the summed rows in fastText's order,
 *   added from zero as `thresher._native.row_sums` adds them, from ~1 MB of tables that stay
 *   in cache (`Quantized`, `Vocabulary`).
 * - node_dots: the tree's dot products in the order of NumPy's einsum kernel (the caller
 *   checks that order against einsum at load); sigmoid_terms: the IEEE steps between
 *   NumPy's exp and logs; leaf_scores / leaf_top: the walk down the tree per text.
 * - token_spans: the tokens' spans in the document texts, so that a segment reads its
 *   document's token ids instead of being split and hashed again.
 *
 * exp and log stay NumPy's (its SIMD results differ from libm's in the last bit). Optional:
 * `thresher.signals._fasttext` keeps the NumPy path (and `thresher._native`'s n-gram kernel)
 * for when this module is not built or THRESHER_NATIVE=0; tests check both give identical
 * rows and scores.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* A product and a sum must stay two roundings (NumPy's), never one fused multiply-add, whatever
 * -march the module is built with (pyproject also passes -ffp-contract=off). */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

static void release_buffers(Py_buffer *views, int count) {
    for (int i = 0; i < count; i++)
        if (views[i].obj != NULL) PyBuffer_Release(&views[i]);
}

/* Whether a token holds a surrogate that "surrogateescape" cannot encode (anything but
 * U+DC80..U+DCFF): Python's `_utf8` then encodes the whole token with "surrogatepass". */
static int needs_surrogatepass(int kind, const void *data, Py_ssize_t length) {
    if (kind == PyUnicode_1BYTE_KIND) return 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        const Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= 0xD800 && c <= 0xDFFF && !(c >= 0xDC80 && c <= 0xDCFF)) return 1;
    }
    return 0;
}

/* "<" + token + ">" in the bytes fastText reads (as `_fasttext._utf8` gives them: UTF-8; a
 * surrogate U+DC80..U+DCFF is the undecodable byte it stands for, unless the token holds
 * another surrogate, in which case every surrogate takes its 3-byte form). `out` has room for
 * 4 bytes a code point plus 2. Returns the length; *surrogates says whether the token holds any. */
static Py_ssize_t wrapped_utf8(int kind, const void *data, Py_ssize_t length, unsigned char *out, int *surrogates) {
    Py_ssize_t size = 0;
    *surrogates = 0;
    out[size++] = '<';
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *latin = data;
        for (Py_ssize_t i = 0; i < length; i++) {
            const Py_UCS1 c = latin[i];
            if (c < 0x80) {
                out[size++] = c;
            } else {
                out[size++] = (unsigned char)(0xC0 | (c >> 6));
                out[size++] = (unsigned char)(0x80 | (c & 0x3F));
            }
        }
    } else {
        const int escape = !needs_surrogatepass(kind, data, length);
        for (Py_ssize_t i = 0; i < length; i++) {
            const Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (c >= 0xD800 && c <= 0xDFFF) *surrogates = 1;
            if (c < 0x80) {
                out[size++] = (unsigned char)c;
            } else if (c < 0x800) {
                out[size++] = (unsigned char)(0xC0 | (c >> 6));
                out[size++] = (unsigned char)(0x80 | (c & 0x3F));
            } else if (escape && c >= 0xDC80 && c <= 0xDCFF) {
                out[size++] = (unsigned char)(c - 0xDC00);
            } else if (c < 0x10000) {
                out[size++] = (unsigned char)(0xE0 | (c >> 12));
                out[size++] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
                out[size++] = (unsigned char)(0x80 | (c & 0x3F));
            } else {
                out[size++] = (unsigned char)(0xF0 | (c >> 18));
                out[size++] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
                out[size++] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
                out[size++] = (unsigned char)(0x80 | (c & 0x3F));
            }
        }
    }
    out[size++] = '>';
    return size;
}

/* Whether the token is "__label__..." (fastText reads an unknown one as a label: no n-grams). */
static int has_label_prefix(int kind, const void *data, Py_ssize_t length) {
    static const char prefix[] = "__label__";
    const Py_ssize_t n = (Py_ssize_t)(sizeof(prefix) - 1);
    if (length < n) return 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (PyUnicode_READ(kind, data, i) != (Py_UCS4)(unsigned char)prefix[i]) return 0;
    return 1;
}

static int is_end_of_line(int kind, const void *data, Py_ssize_t length) {
    static const char eos[] = "</s>";
    if (length != 4) return 0;
    for (Py_ssize_t i = 0; i < 4; i++)
        if (PyUnicode_READ(kind, data, i) != (Py_UCS4)(unsigned char)eos[i]) return 0;
    return 1;
}

/* h % d for 32-bit h and d > 0 by multiplications (Lemire, Kaser & Kurz's "faster remainder
 * by direct computation"; exact for every 32-bit h): a division costs several times more and
 * runs once per character n-gram. `magic` = UINT64_MAX / d + 1. */
static inline uint32_t remainder32(uint32_t h, uint64_t magic, uint32_t d) {
#ifdef __SIZEOF_INT128__
    return (uint32_t)(((__uint128_t)(magic * h) * d) >> 64);
#else
    (void)magic;
    return h % d;
#endif
}

/* Set bits of a 64-bit word (SWAR: no -mpopcnt needed). */
static inline uint64_t bit_count(uint64_t x) {
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (x * 0x0101010101010101ULL) >> 56;
}

/* The model's input matrix as fastText stores it (product quantization: `nsubq` one-byte codes a
 * row into per-subquantizer tables of 256 centroids of `dsub` values, times a per-row norm),
 * and its kept n-gram buckets as a bit set with per-word ranks. Together ~1 MB, so the tables
 * stay in a core's cache where the decoded matrix (6.4 MB) and the bucket -> row array (8 MB)
 * do not: on unrepeated crawl those two reads were two thirds of the registration time. */
typedef struct {
    const uint64_t *kept;     /* bit b of word b / 64: bucket b has a row */
    const uint32_t *rank;     /* kept buckets before word w */
    const int32_t *kept_rows; /* the row of the k-th kept bucket */
    Py_ssize_t kept_count;
    const uint8_t *codes;     /* rows x nsubq */
    const double *centroids;  /* nsubq x 256 x dsub (the last subquantizer's unused tail: 0) */
    const float *norms;       /* rows */
    Py_ssize_t rows, nsubq, dsub, dim;
} Quantized;

/* The row of bucket b, or -1 when the bucket was pruned. */
static inline int32_t bucket_row(const Quantized *q, uint32_t b) {
    const uint64_t word = q->kept[b >> 6];
    const uint64_t bit = (uint64_t)1 << (b & 63);
    if (!(word & bit)) return -1;
    return q->kept_rows[q->rank[b >> 6] + bit_count(word & (bit - 1))];
}

/* sum += row r of the input matrix, each value decoded as centroid * norm (the float32 values
 * widened to double: exactly NumPy's decoded value), added column by column. */
static inline void add_row(double *restrict sum, const Quantized *q, Py_ssize_t r) {
    const uint8_t *code = q->codes + r * q->nsubq;
    const double norm = (double)q->norms[r];
    Py_ssize_t d = 0;
    for (Py_ssize_t m = 0; m < q->nsubq; m++) {
        const double *centroid = q->centroids + ((Py_ssize_t)m * 256 + code[m]) * q->dsub;
        for (Py_ssize_t k = 0; k < q->dsub && d < q->dim; k++, d++) {
            const double value = centroid[k] * norm;
            sum[d] += value;
        }
    }
}

/* fastText's `Dictionary::hash`: FNV-1a over sign-extended bytes. */
static inline uint32_t fnv1a(const unsigned char *bytes, Py_ssize_t size) {
    uint32_t h = 2166136261u;
    for (Py_ssize_t i = 0; i < size; i++) {
        h ^= (uint32_t)(int32_t)(signed char)bytes[i];
        h *= 16777619u;
    }
    return h;
}

/* The model's words by their UTF-8 bytes (a str without surrogates equals a word exactly when
 * its UTF-8 equals the word's bytes): an open-addressing table of word ids keyed by fnv1a,
 * ~100 KB, in place of a dict probe (and a str hash) per new token. */
typedef struct {
    const unsigned char *bytes; /* the words, concatenated */
    const int64_t *offsets;     /* word w is bytes[offsets[w]:offsets[w + 1]] */
    const int32_t *slots;       /* word id or -1, power-of-two count */
    Py_ssize_t count, mask;
} Vocabulary;

static int32_t vocabulary_find(const Vocabulary *v, const unsigned char *word, Py_ssize_t size) {
    for (Py_ssize_t slot = fnv1a(word, size) & v->mask;; slot = (slot + 1) & v->mask) {
        const int32_t id = v->slots[slot];
        if (id < 0) return -1;
        const int64_t start = v->offsets[id];
        if (v->offsets[id + 1] - start == size && memcmp(v->bytes + start, word, (size_t)size) == 0) return id;
    }
}

/* The vocabulary's views checked: offsets rise within the bytes, slots hold ids or -1, and at
 * least one -1 (every probe ends). 0, or -1 with ValueError. */
static int vocabulary_from(Vocabulary *v, const Py_buffer *bytes, const Py_buffer *offsets, const Py_buffer *slots) {
    v->bytes = bytes->buf;
    v->offsets = offsets->buf;
    v->slots = slots->buf;
    v->count = offsets->len / (Py_ssize_t)sizeof(int64_t) - 1;
    const Py_ssize_t capacity = slots->len / (Py_ssize_t)sizeof(int32_t);
    v->mask = capacity - 1;
    int ok = v->count >= 0 && capacity > v->count && (capacity & (capacity - 1)) == 0 && v->offsets[0] == 0 &&
             v->offsets[v->count] == bytes->len;
    for (Py_ssize_t w = 0; ok && w < v->count; w++) ok = v->offsets[w] <= v->offsets[w + 1];
    Py_ssize_t empty = 0;
    for (Py_ssize_t k = 0; ok && k < capacity; k++) {
        ok = v->slots[k] >= -1 && v->slots[k] < v->count;
        empty += v->slots[k] < 0;
    }
    if (!ok || empty == 0) {
        PyErr_SetString(PyExc_ValueError, "register_tokens: malformed vocabulary table");
        return -1;
    }
    return 0;
}

/* vocabulary_slots(bytes, offsets) -> bytearray of int32 slots for `Vocabulary` (a word listed
 * twice keeps its last id, as a dict built from the list does). */
static PyObject *vocabulary_slots(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer views[2] = {{0}};
    if (!PyArg_ParseTuple(args, "y*y*", &views[0], &views[1])) return NULL;
    PyObject *result = NULL;
    const unsigned char *bytes = views[0].buf;
    const int64_t *offsets = views[1].buf;
    const Py_ssize_t count = views[1].len / (Py_ssize_t)sizeof(int64_t) - 1;
    int ok = count >= 0 && count < INT32_MAX / 4 && offsets[0] == 0 && offsets[count] == views[0].len;
    for (Py_ssize_t w = 0; ok && w < count; w++) ok = offsets[w] <= offsets[w + 1];
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "vocabulary_slots: offsets must rise from 0 to len(bytes)");
        goto done;
    }
    Py_ssize_t capacity = 8;
    while (capacity < 2 * count + 1) capacity *= 2;
    result = PyByteArray_FromStringAndSize(NULL, capacity * (Py_ssize_t)sizeof(int32_t));
    if (result == NULL) goto done;
    int32_t *slots = (int32_t *)PyByteArray_AS_STRING(result);
    for (Py_ssize_t k = 0; k < capacity; k++) slots[k] = -1;
    for (Py_ssize_t w = 0; w < count; w++) {
        const unsigned char *word = bytes + offsets[w];
        const Py_ssize_t size = (Py_ssize_t)(offsets[w + 1] - offsets[w]);
        Py_ssize_t slot = fnv1a(word, size) & (capacity - 1);
        for (; slots[slot] >= 0; slot = (slot + 1) & (capacity - 1)) {
            const int32_t other = slots[slot];
            if (offsets[other + 1] - offsets[other] == size && memcmp(bytes + offsets[other], word, (size_t)size) == 0)
                break;
        }
        slots[slot] = (int32_t)w;
    }
done:
    release_buffers(views, 2);
    return result;
}

/* The views of register_tokens' model tables checked against each other (every index the
 * kernel then reads is in range). 0, or -1 with ValueError. */
static int quantized_from(Quantized *q, Py_ssize_t buckets, const Py_buffer *kept, const Py_buffer *rank,
                          const Py_buffer *kept_rows, const Py_buffer *codes, const Py_buffer *centroids,
                          const Py_buffer *norms, Py_ssize_t dim, Py_ssize_t dsub) {
    const Py_ssize_t words = (buckets + 63) / 64;
    q->rows = norms->len / (Py_ssize_t)sizeof(float);
    q->nsubq = q->rows > 0 ? codes->len / q->rows : 0;
    q->dsub = dsub;
    q->dim = dim;
    q->kept_count = kept_rows->len / (Py_ssize_t)sizeof(int32_t);
    if (buckets <= 0 || buckets > UINT32_MAX || dim <= 0 || dsub <= 0 || q->rows <= 0 ||
        codes->len != q->rows * q->nsubq || q->nsubq * dsub < dim ||
        centroids->len != q->nsubq * 256 * dsub * (Py_ssize_t)sizeof(double) ||
        kept->len != words * (Py_ssize_t)sizeof(uint64_t) || rank->len != words * (Py_ssize_t)sizeof(uint32_t)) {
        PyErr_SetString(PyExc_ValueError, "register_tokens: the model tables' sizes do not match");
        return -1;
    }
    q->kept = kept->buf;
    q->rank = rank->buf;
    q->kept_rows = kept_rows->buf;
    q->codes = codes->buf;
    q->centroids = centroids->buf;
    q->norms = norms->buf;
    uint64_t total = 0;
    int ranked = 1;
    for (Py_ssize_t w = 0; w < words && ranked; w++) {
        ranked = q->rank[w] == total;
        total += bit_count(q->kept[w]);
    }
    if (!ranked || total != (uint64_t)q->kept_count || (buckets % 64 && q->kept[words - 1] >> (buckets % 64))) {
        PyErr_SetString(PyExc_ValueError, "register_tokens: rank must count the kept bits, one row per kept bucket");
        return -1;
    }
    for (Py_ssize_t k = 0; k < q->kept_count; k++) {
        if (q->kept_rows[k] < 0 || q->kept_rows[k] >= q->rows) {
            PyErr_SetString(PyExc_ValueError, "register_tokens: a kept bucket's row is outside the matrix");
            return -1;
        }
    }
    return 0;
}

/* register_tokens(tokens, word_ids, tables, out) -> index of the first "</s>" among the tokens
 * (-1: none). tables = (kept, rank, kept_rows, codes, centroids, norms, vocabulary bytes,
 * vocabulary offsets, vocabulary slots, buckets, dim, dsub, minn, maxn), as
 * `_fasttext.FastTextModel._compact_tables` builds them.
 *
 * For each token (a str), out's row = its summed input rows (dim doubles) and their count (one
 * more double): its word row (when the token is a word of the model: the vocabulary table, or
 * word_ids for a token holding surrogates), then the rows of its character minn..maxn-grams of
 * "<token>" (fastText's `computeSubwords` walk over UTF-8 by whole characters, FNV-1a over
 * sign-extended bytes, bucket = hash % buckets; a pruned bucket has no row). "</s>" and an
 * unknown "__label__..." have no n-grams. `Quantized` describes the matrix tables. The sums
 * start at 0.0 and add the rows in that order, as `thresher._native.row_sums` does. */
static PyObject *register_tokens(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *tokens, *word_ids, *tables;
    Py_buffer views[10] = {{0}};
    Py_buffer *const kept_view = &views[0], *const rank_view = &views[1], *const kept_rows_view = &views[2],
                     *const codes_view = &views[3], *const centroids_view = &views[4], *const norms_view = &views[5],
                     *const vocab_view = &views[6], *const offsets_view = &views[7], *const slots_view = &views[8],
                     *const out_view = &views[9];
    Py_ssize_t buckets, dim, dsub, minn, maxn;
    if (!PyArg_ParseTuple(args, "O!O!O!w*", &PyList_Type, &tokens, &PyDict_Type, &word_ids, &PyTuple_Type, &tables,
                          out_view))
        return NULL;
    if (!PyArg_ParseTuple(tables, "y*y*y*y*y*y*y*y*y*nnnnn", kept_view, rank_view, kept_rows_view, codes_view,
                          centroids_view, norms_view, vocab_view, offsets_view, slots_view, &buckets, &dim, &dsub,
                          &minn, &maxn)) {
        release_buffers(views, 10);
        return NULL;
    }
    PyObject *result = NULL;
    unsigned char *bytes = NULL; /* "<token>" in UTF-8 */
    uint32_t *candidates = NULL;  /* the buckets of the token's n-grams, in fastText's order */
    int32_t *found_rows = NULL;   /* the token's input rows, in fastText's order */
    Py_ssize_t capacity = 0, first_eos = -1;
    const Py_ssize_t count = PyList_GET_SIZE(tokens);
    const Py_ssize_t width = dim + 1;
    Quantized q;
    Vocabulary vocabulary;
    if (quantized_from(&q, buckets, kept_view, rank_view, kept_rows_view, codes_view, centroids_view, norms_view, dim,
                       dsub) < 0 ||
        vocabulary_from(&vocabulary, vocab_view, offsets_view, slots_view) < 0)
        goto done;
    if (vocabulary.count > q.rows) {
        PyErr_SetString(PyExc_ValueError, "register_tokens: more words than matrix rows");
        goto done;
    }
    if (minn < 1 || maxn < minn) {
        PyErr_SetString(PyExc_ValueError, "register_tokens: needs 1 <= minn <= maxn");
        goto done;
    }
    if (out_view->len != count * width * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "register_tokens: out must hold len(tokens) x (dim + 1) doubles");
        goto done;
    }
    const uint64_t magic = UINT64_MAX / (uint64_t)buckets + 1;
    double *out = out_view->buf;
    for (Py_ssize_t t = 0; t < count; t++) {
        PyObject *token = PyList_GET_ITEM(tokens, t);
        if (!PyUnicode_Check(token)) {
            PyErr_Format(PyExc_TypeError, "tokens[%zd] is %.100s, not str", t, Py_TYPE(token)->tp_name);
            goto done;
        }
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(token) < 0) goto done;
#endif
        const int kind = PyUnicode_KIND(token);
        const void *data = PyUnicode_DATA(token);
        const Py_ssize_t length = PyUnicode_GET_LENGTH(token);
        if (length > (PY_SSIZE_T_MAX / 8 - 2) / 4 / (maxn + 1)) {
            PyErr_NoMemory();
            goto done;
        }
        /* at most 4 bytes a character, and at most maxn n-grams (plus the word) a byte */
        const Py_ssize_t need = (4 * length + 2) * (maxn + 1);
        if (need > capacity) {
            unsigned char *grown_bytes = PyMem_Realloc(bytes, (size_t)need);
            if (grown_bytes != NULL) bytes = grown_bytes;
            uint32_t *grown_candidates = PyMem_Realloc(candidates, (size_t)need * sizeof(uint32_t));
            if (grown_candidates != NULL) candidates = grown_candidates;
            int32_t *grown_rows = PyMem_Realloc(found_rows, (size_t)need * sizeof(int32_t));
            if (grown_rows != NULL) found_rows = grown_rows;
            if (grown_bytes == NULL || grown_candidates == NULL || grown_rows == NULL) {
                PyErr_NoMemory();
                goto done;
            }
            capacity = need;
        }
        Py_ssize_t used = 0;
        int surrogates;
        const Py_ssize_t size = wrapped_utf8(kind, data, length, bytes, &surrogates);
        Py_ssize_t wid = -1;
        if (!surrogates) {
            wid = vocabulary_find(&vocabulary, bytes + 1, size - 2);
        } else { /* the dict's str equality, which the bytes of a surrogate cannot stand for */
            PyObject *found = PyDict_GetItemWithError(word_ids, token);
            if (found == NULL && PyErr_Occurred()) goto done;
            if (found != NULL) {
                wid = PyLong_AsSsize_t(found);
                if (wid == -1 && PyErr_Occurred()) goto done;
                if (wid < 0 || wid >= q.rows) {
                    PyErr_Format(PyExc_IndexError, "register_tokens: word row %zd outside the %zd rows", wid, q.rows);
                    goto done;
                }
            }
        }
        if (wid >= 0) found_rows[used++] = (int32_t)wid;
        const int eos = is_end_of_line(kind, data, length);
        if (eos && first_eos < 0) first_eos = t;
        if (!eos && !(wid < 0 && has_label_prefix(kind, data, length))) {
            /* The n-grams' buckets first, then their rows: the table reads of the second loop
             * do not wait on each other. */
            Py_ssize_t grams = 0;
            for (Py_ssize_t i = 0; i < size; i++) {
                if ((bytes[i] & 0xC0) == 0x80) continue;
                uint32_t h = 2166136261u;
                Py_ssize_t j = i;
                for (Py_ssize_t n = 1; j < size && n <= maxn; n++) {
                    do {
                        h ^= (uint32_t)(int32_t)(signed char)bytes[j++];
                        h *= 16777619u;
                    } while (j < size && (bytes[j] & 0xC0) == 0x80);
                    if (n < minn || (n == 1 && (i == 0 || j == size))) continue;
                    candidates[grams++] = remainder32(h, magic, (uint32_t)buckets);
                }
            }
            for (Py_ssize_t k = 0; k < grams; k++) {
                const int32_t row = bucket_row(&q, candidates[k]);
                found_rows[used] = row;
                used += row >= 0; /* most buckets are pruned */
            }
        }
        double *sum = out + t * width;
        memset(sum, 0, (size_t)dim * sizeof(double));
        for (Py_ssize_t k = 0; k < used; k++) add_row(sum, &q, found_rows[k]);
        sum[dim] = (double)used;
    }
    result = PyLong_FromSsize_t(first_eos);
done:
    PyMem_Free(bytes);
    PyMem_Free(candidates);
    PyMem_Free(found_rows);
    release_buffers(views, 10);
    return result;
}

/* sigmoid_terms(values, left): the arithmetic between NumPy's exp and its logs in the tree's
 * node terms, one pass instead of five: with e = values[i] (exp(-x)), f = 1.0 / (1.0 + e),
 * left[i] = (1.0 - f) + 1e-5 and values[i] = f + 1e-5 (float64, each step one IEEE rounding,
 * as NumPy's add, divide and subtract give it). */
static PyObject *sigmoid_terms(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer views[2] = {{0}};
    if (!PyArg_ParseTuple(args, "w*w*", &views[0], &views[1])) return NULL;
    PyObject *result = NULL;
    if (views[0].len != views[1].len || views[0].len % (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "sigmoid_terms: two float64 arrays of one size");
        goto done;
    }
    double *restrict values = views[0].buf, *restrict left = views[1].buf;
    const Py_ssize_t n = views[0].len / (Py_ssize_t)sizeof(double);
    for (Py_ssize_t i = 0; i < n; i++) {
        const double f = 1.0 / (values[i] + 1.0);
        left[i] = (1.0 - f) + 1e-5;
        values[i] = f + 1e-5;
    }
    result = Py_NewRef(Py_None);
done:
    release_buffers(views, 2);
    return result;
}

/* fastText's separators (`Dictionary::readWord`): space, \n, \r, \t, \v, \f and NUL; no other
 * code point (the split `thresher._native.TokenTable` makes in its "fasttext" mode). */
static unsigned char separator_table[256]; /* filled at import */

static inline int fasttext_separator(Py_UCS4 c) { return c < 256 && separator_table[c]; }

/* token_spans(texts, total) -> (starts, ends, counts): the [start, end) span of every token of
 * every text in order, in one coordinate space where text k starts one past the end of text
 * k - 1 (so no token spans two texts), and the tokens per text (int64 bytearrays). `total` is
 * the number of tokens the caller expects (its token table's count for the same texts): the
 * arrays are that long, and any other number is a ValueError. The per-segment pass reads a
 * segment's tokens from its document's when no token crosses the segment's ends, instead of
 * splitting and hashing the segment again. */
static PyObject *token_spans(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *texts;
    Py_ssize_t total;
    if (!PyArg_ParseTuple(args, "O!n", &PyList_Type, &texts, &total)) return NULL;
    if (total < 0) {
        PyErr_SetString(PyExc_ValueError, "token_spans: total must be >= 0");
        return NULL;
    }
    const Py_ssize_t count = PyList_GET_SIZE(texts);
    PyObject *result = NULL;
    PyObject *starts_bytes = PyByteArray_FromStringAndSize(NULL, total * (Py_ssize_t)sizeof(int64_t));
    PyObject *ends_bytes = PyByteArray_FromStringAndSize(NULL, total * (Py_ssize_t)sizeof(int64_t));
    PyObject *counts_bytes = PyByteArray_FromStringAndSize(NULL, count * (Py_ssize_t)sizeof(int64_t));
    if (starts_bytes == NULL || ends_bytes == NULL || counts_bytes == NULL) goto done;
    int64_t *starts = (int64_t *)PyByteArray_AS_STRING(starts_bytes);
    int64_t *ends = (int64_t *)PyByteArray_AS_STRING(ends_bytes);
    int64_t *counts = (int64_t *)PyByteArray_AS_STRING(counts_bytes);
    Py_ssize_t used = 0;
    int64_t base = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *text = PyList_GET_ITEM(texts, i);
        if (!PyUnicode_Check(text)) {
            PyErr_Format(PyExc_TypeError, "texts[%zd] is %.100s, not str", i, Py_TYPE(text)->tp_name);
            goto done;
        }
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(text) < 0) goto done;
#endif
        const int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        const Py_ssize_t length = PyUnicode_GET_LENGTH(text);
        const Py_ssize_t before = used;
        Py_ssize_t j = 0;
        while (j < length) {
            /* one loop per storage kind: PyUnicode_READ's switch a character costs more than the test */
#define SKIP(type, separator)                                                                  \
    do {                                                                                       \
        const type *chars = data;                                                              \
        while (j < length && (separator) == fasttext_separator(chars[j])) j++;                 \
    } while (0)
            if (kind == PyUnicode_1BYTE_KIND) SKIP(Py_UCS1, 1);
            else if (kind == PyUnicode_2BYTE_KIND) SKIP(Py_UCS2, 1);
            else SKIP(Py_UCS4, 1);
            if (j == length) break;
            const Py_ssize_t start = j;
            if (kind == PyUnicode_1BYTE_KIND) SKIP(Py_UCS1, 0);
            else if (kind == PyUnicode_2BYTE_KIND) SKIP(Py_UCS2, 0);
            else SKIP(Py_UCS4, 0);
#undef SKIP
            if (used == total) {
                PyErr_SetString(PyExc_ValueError, "token_spans: more tokens than total");
                goto done;
            }
            starts[used] = base + start;
            ends[used++] = base + j;
        }
        counts[i] = used - before;
        base += length + 1;
    }
    if (used != total) {
        PyErr_SetString(PyExc_ValueError, "token_spans: fewer tokens than total");
        goto done;
    }
    result = PyTuple_Pack(3, starts_bytes, ends_bytes, counts_bytes);
done:
    Py_XDECREF(starts_bytes);
    Py_XDECREF(ends_bytes);
    Py_XDECREF(counts_bytes);
    return result;
}

/* One block of eight k of `node_dots` for text t: the products of k + 6, k + 4, k + 2, k (even
 * lane) and k + 7, ..., k + 1 (odd lane), each added to its lane's running sum. */
#define DOTS_BLOCK(k)                                                                          \
    for (int i = 6; i >= 0; i -= 2) {                                                          \
        even = row[(k) + i] * columns[((k) + i) * texts + t] + even;                           \
        odd = row[(k) + i + 1] * columns[((k) + i + 1) * texts + t] + odd;                     \
    }

/* `node_dots` of one output row against every text when dim is 16 (two blocks, no tail). */
static void dots_16(const double *restrict row, const double *restrict columns, Py_ssize_t texts,
                    double *restrict target) {
    for (Py_ssize_t t = 0; t < texts; t++) {
        double even = 0.0, odd = 0.0;
        DOTS_BLOCK(0)
        DOTS_BLOCK(8)
        target[t] = 0.0 + (even + odd);
    }
}

/* node_dots(output, hidden, out): out[n][t] = the dot product of output row n and hidden row t
 * (output: nodes x dim, hidden: texts x dim, out: nodes x texts; float64), added in the order
 * NumPy's einsum("nk,dk->nd") adds them on its SSE2 baseline kernel: two lanes (even and odd
 * k), each a chain that takes the products of a block of eight k from the last pair down to
 * the first (k + 6, k + 4, k + 2, k), then pairs of k for the tail (a lone last k pairs with
 * a zero product), then 0.0 + (lane 0 + lane 1). Every product and sum is one IEEE rounding
 * (no fused multiply-add), so the result is einsum's, bit for bit; the caller checks that on
 * the running NumPy before it uses this (`FastTextModel._dots_match_einsum`). Texts run in
 * the innermost loop (hidden transposed first), which the compiler vectorises. */
static PyObject *node_dots(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer views[3] = {{0}};
    Py_ssize_t dim;
    if (!PyArg_ParseTuple(args, "y*y*nw*", &views[0], &views[1], &dim, &views[2])) return NULL;
    PyObject *result = NULL;
    double *columns = NULL, *lanes = NULL;
    const Py_ssize_t nodes = dim > 0 ? views[0].len / (Py_ssize_t)sizeof(double) / dim : 0;
    const Py_ssize_t texts = dim > 0 ? views[1].len / (Py_ssize_t)sizeof(double) / dim : 0;
    if (dim <= 0 || views[0].len != nodes * dim * (Py_ssize_t)sizeof(double) ||
        views[1].len != texts * dim * (Py_ssize_t)sizeof(double) ||
        views[2].len != nodes * texts * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "node_dots: output nodes x dim, hidden texts x dim, out nodes x texts doubles");
        goto done;
    }
    columns = PyMem_Malloc((size_t)(dim * texts + 1) * sizeof(double)); /* hidden, dim x texts */
    lanes = PyMem_Malloc((size_t)(2 * texts + 1) * sizeof(double));
    if (columns == NULL || lanes == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const double *output = views[0].buf, *hidden = views[1].buf;
    double *out = views[2].buf;
    for (Py_ssize_t t = 0; t < texts; t++)
        for (Py_ssize_t k = 0; k < dim; k++) columns[k * texts + t] = hidden[t * dim + k];
    double *restrict even = lanes, *restrict odd = lanes + texts;
    for (Py_ssize_t n = 0; n < nodes; n++) {
        const double *row = output + n * dim;
        if (dim == 16) { /* lid.176: both lanes in registers, texts vectorised */
            dots_16(row, columns, texts, out + n * texts);
            continue;
        }
        for (Py_ssize_t t = 0; t < texts; t++) even[t] = odd[t] = 0.0;
        Py_ssize_t k = 0;
        for (; dim - k >= 8; k += 8) {
            for (int i = 6; i >= 0; i -= 2) {
                const double w0 = row[k + i], w1 = row[k + i + 1];
                const double *restrict c0 = columns + (k + i) * texts, *restrict c1 = c0 + texts;
                for (Py_ssize_t t = 0; t < texts; t++) {
                    const double p0 = w0 * c0[t], p1 = w1 * c1[t];
                    even[t] = p0 + even[t];
                    odd[t] = p1 + odd[t];
                }
            }
        }
        for (; k < dim; k += 2) {
            const double w0 = row[k];
            const double *restrict c0 = columns + k * texts;
            if (k + 1 < dim) {
                const double w1 = row[k + 1];
                const double *restrict c1 = c0 + texts;
                for (Py_ssize_t t = 0; t < texts; t++) {
                    const double p0 = w0 * c0[t], p1 = w1 * c1[t];
                    even[t] = p0 + even[t];
                    odd[t] = p1 + odd[t];
                }
            } else {
                for (Py_ssize_t t = 0; t < texts; t++) {
                    const double p0 = w0 * c0[t], p1 = 0.0 * 0.0;
                    even[t] = p0 + even[t];
                    odd[t] = p1 + odd[t];
                }
            }
        }
        double *target = out + n * texts;
        for (Py_ssize_t t = 0; t < texts; t++) target[t] = 0.0 + (even[t] + odd[t]);
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(columns);
    PyMem_Free(lanes);
    release_buffers(views, 3);
    return result;
}

/* Texts walked down the tree together: the tree's terms of a tile's texts are adjacent in
 * memory, so a tile reads each node's terms as one cache line or two, not one line (and one
 * page) per text. */
enum { TILE = 16 };

/* The tree's arrays, checked: go_left / go_right (osz - 1) x n doubles, log(1 - f + 1e-5) and
 * log(f + 1e-5) of internal node k for text t at k * n + t; left / right: int64 children of
 * internal node k (node osz + k; the root is the last). */
typedef struct {
    const double *go_left, *go_right;
    const int64_t *left, *right;
    Py_ssize_t internal, osz, nodes, n;
} Tree;

static int tree_from(Tree *tree, const Py_buffer *go_left, const Py_buffer *go_right, const Py_buffer *left,
                     const Py_buffer *right) {
    tree->internal = left->len / (Py_ssize_t)sizeof(int64_t);
    tree->osz = tree->internal + 1;
    tree->nodes = 2 * tree->osz - 1;
    tree->n = tree->internal > 0 ? go_left->len / (Py_ssize_t)sizeof(double) / tree->internal : 0;
    tree->go_left = go_left->buf;
    tree->go_right = go_right->buf;
    tree->left = left->buf;
    tree->right = right->buf;
    if (tree->internal <= 0 || right->len != left->len ||
        go_left->len != tree->internal * tree->n * (Py_ssize_t)sizeof(double) || go_right->len != go_left->len) {
        PyErr_SetString(PyExc_ValueError, "tree kernels: go_left/go_right (osz-1) x n doubles, left/right osz-1 int64");
        return -1;
    }
    for (Py_ssize_t k = 0; k < tree->internal; k++) {
        if (tree->left[k] < 0 || tree->left[k] >= tree->nodes || tree->right[k] < 0 || tree->right[k] >= tree->nodes) {
            PyErr_SetString(PyExc_ValueError, "tree kernels: a child outside the tree");
            return -1;
        }
    }
    return 0;
}

/* fastText's `HierarchicalSoftmaxLoss::dfs` sums of texts t0 .. t0 + width - 1 into scores
 * (node-major: node * TILE + j): the root's 0.0 plus each step's term, added from the root down. */
static void walk_tile(const Tree *tree, Py_ssize_t t0, Py_ssize_t width, double *scores) {
    double *root = scores + (tree->nodes - 1) * TILE;
    for (Py_ssize_t j = 0; j < width; j++) root[j] = 0.0;
    for (Py_ssize_t k = tree->internal - 1; k >= 0; k--) {
        const double *here = scores + (tree->osz + k) * TILE;
        double *to_left = scores + tree->left[k] * TILE, *to_right = scores + tree->right[k] * TILE;
        const double *gl = tree->go_left + k * tree->n + t0, *gr = tree->go_right + k * tree->n + t0;
        for (Py_ssize_t j = 0; j < width; j++) {
            to_left[j] = here[j] + gl[j];
            to_right[j] = here[j] + gr[j];
        }
    }
}

/* leaf_scores(go_left, go_right, left, right, floor, out): every label's log-probability for
 * every text (out: n x osz doubles, `Tree`'s arrays); a sum below `floor` is written as -inf
 * (exp gives exactly 0: fastText's pruning). */
static PyObject *leaf_scores(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer views[5] = {{0}};
    double floor_value;
    if (!PyArg_ParseTuple(args, "y*y*y*y*dw*", &views[0], &views[1], &views[2], &views[3], &floor_value, &views[4]))
        return NULL;
    PyObject *result = NULL;
    double *scores = NULL;
    Tree tree;
    if (tree_from(&tree, &views[0], &views[1], &views[2], &views[3]) < 0) goto done;
    if (views[4].len != tree.n * tree.osz * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "leaf_scores: out must hold n x osz doubles");
        goto done;
    }
    scores = PyMem_Malloc((size_t)tree.nodes * TILE * sizeof(double));
    if (scores == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    double *out = views[4].buf;
    for (Py_ssize_t t0 = 0; t0 < tree.n; t0 += TILE) {
        const Py_ssize_t width = tree.n - t0 < TILE ? tree.n - t0 : TILE;
        walk_tile(&tree, t0, width, scores);
        for (Py_ssize_t j = 0; j < width; j++) {
            double *row = out + (t0 + j) * tree.osz;
            for (Py_ssize_t label = 0; label < tree.osz; label++) {
                const double value = scores[label * TILE + j];
                row[label] = value < floor_value ? -HUGE_VAL : value;
            }
        }
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(scores);
    release_buffers(views, 5);
    return result;
}

/* leaf_top(go_left, go_right, left, right, floor, window, target, top, best, wanted): per text,
 * the label with the highest log-probability (top, int64), that log-probability (best) and
 * label `target`'s (wanted; -inf under `floor` or when target < 0). A text is left to the
 * caller (top = -1) when another label comes within `window` of the best, when the best is
 * under `floor`, or when it is NaN: the caller's argmax over exp of every label decides those,
 * so ties that exp might create or break are never guessed here. */
static PyObject *leaf_top(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer views[7] = {{0}};
    double floor_value, window;
    Py_ssize_t target;
    if (!PyArg_ParseTuple(args, "y*y*y*y*ddnw*w*w*", &views[0], &views[1], &views[2], &views[3], &floor_value,
                          &window, &target, &views[4], &views[5], &views[6]))
        return NULL;
    PyObject *result = NULL;
    double *scores = NULL;
    Tree tree;
    if (tree_from(&tree, &views[0], &views[1], &views[2], &views[3]) < 0) goto done;
    if (views[4].len != tree.n * (Py_ssize_t)sizeof(int64_t) || views[5].len != tree.n * (Py_ssize_t)sizeof(double) ||
        views[6].len != tree.n * (Py_ssize_t)sizeof(double) || target >= tree.osz) {
        PyErr_SetString(PyExc_ValueError, "leaf_top: top (int64), best and wanted (float64) hold n each; target < osz");
        goto done;
    }
    scores = PyMem_Malloc((size_t)tree.nodes * TILE * sizeof(double));
    if (scores == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t *top = views[4].buf;
    double *best = views[5].buf, *wanted = views[6].buf;
    for (Py_ssize_t t0 = 0; t0 < tree.n; t0 += TILE) {
        const Py_ssize_t width = tree.n - t0 < TILE ? tree.n - t0 : TILE;
        walk_tile(&tree, t0, width, scores);
        for (Py_ssize_t j = 0; j < width; j++) {
            Py_ssize_t arg = 0;
            double high = scores[j], second = -HUGE_VAL;
            int nan = high != high;
            for (Py_ssize_t label = 1; label < tree.osz; label++) {
                const double value = scores[label * TILE + j];
                nan |= value != value;
                if (value > high) {
                    second = high;
                    high = value;
                    arg = label;
                } else if (value > second) {
                    second = value;
                }
            }
            const int unsure = nan || high < floor_value || second >= high - window;
            top[t0 + j] = unsure ? -1 : arg;
            best[t0 + j] = high;
            const double mine = target >= 0 ? scores[target * TILE + j] : -HUGE_VAL;
            wanted[t0 + j] = mine < floor_value ? -HUGE_VAL : mine;
        }
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(scores);
    release_buffers(views, 7);
    return result;
}

static PyMethodDef module_methods[] = {
    {"vocabulary_slots", vocabulary_slots, METH_VARARGS,
     "vocabulary_slots(bytes, offsets) -> int32 open-addressing slots (bytearray) of the words\n"
     "bytes[offsets[w]:offsets[w + 1]], keyed by fastText's FNV-1a hash."},
    {"register_tokens", register_tokens, METH_VARARGS,
     "register_tokens(tokens, word_ids, tables, out) -> first '</s>' or -1:\n"
     "each token's summed fastText input rows (word row, then character n-gram rows) and their\n"
     "count, into out (len(tokens) x (dim + 1) float64)."},
    {"sigmoid_terms", sigmoid_terms, METH_VARARGS,
     "sigmoid_terms(values, left): f = 1 / (1 + values); left = (1 - f) + 1e-5; values = f + 1e-5 (float64,\n"
     "in place)."},
    {"token_spans", token_spans, METH_VARARGS,
     "token_spans(texts, total) -> (starts, ends, counts): each token's span (text k starting one past\n"
     "the end of text k - 1) and the tokens per text, split at fastText's separators (int64 bytearrays;\n"
     "ValueError unless there are `total` tokens)."},
    {"node_dots", node_dots, METH_VARARGS,
     "node_dots(output, hidden, dim, out): out[n][t] = output[n] . hidden[t] (float64), summed in the order\n"
     "of NumPy's einsum('nk,dk->nd') baseline kernel (check it against einsum before use)."},
    {"leaf_top", leaf_top, METH_VARARGS,
     "leaf_top(go_left, go_right, left, right, floor, window, target, top, best, wanted): per text the\n"
     "best label (-1: near-tie, under floor or NaN), its log-probability and the target's (-inf under\n"
     "floor)."},
    {"leaf_scores", leaf_scores, METH_VARARGS,
     "leaf_scores(go_left, go_right, left, right, floor, out): hierarchical-softmax log-probability of\n"
     "every label for each text ((osz-1) x n float64 terms, int64 children; out n x osz float64;\n"
     "below floor: -inf)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "thresher._native_ftx",
    .m_doc = "Compiled kernels of fastText (lid.176) inference: token registration, tree scores.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__native_ftx(void) {
    static const char separators[] = " \n\r\t\v\f";
    for (const char *c = separators; *c; c++) separator_table[(unsigned char)*c] = 1;
    separator_table[0] = 1;
    return PyModule_Create(&native_module);
}
