/* thresher._native_ngrams: Gopher's word-level statistics, one pass per document, in C.
 *
 * Why: signals/_batch.py computes the word counts, the top 2/3/4-gram and the duplicate
 * 5..10-gram statistics of a whole batch with NumPy: gathers over every word position and,
 * per n, a 64-bit key per n-gram, grouped by a hash pass, then the greedy duplicate scan.
 * That is a dozen passes over the batch, each allocating arrays the size of the batch. Here
 * one function walks each document once per statistic with a hash table sized for that
 * document (reused between documents) and writes integers only; Python divides them by the
 * text length exactly as before, so every float is the same division of the same integers.
 *
 * Keys are those of _batch.py's NumPy path: a top n-gram is its tuple of word ids (compared
 * exactly here), a duplicate n-gram is the polynomial hash of its characters (sum of
 * code point * B**k over the concatenated words, modulo 2**64) xor its character count,
 * the value _batch.py's `_duplicate_ngrams` groups by within a document.
 *
 * The module is optional: without it (or with THRESHER_NATIVE=0) _batch.py runs its NumPy
 * path, and tests/signals/test_signals_ngrams_native.py checks both agree.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define B_BASE 0x100000001B3ULL
#define MIX 0x9E3779B97F4A7C15ULL
#define MIX2 0xC2B2AE3D27D4EB4FULL
#define TOP_MIN 2
#define TOP_MAX 4
#define DUP_MIN 5
#define DUP_MAX 10
#define FIELDS 13 /* words stats (4), top 2..4 (3), duplicate 5..10 (6) */
#define POW_CACHE 4096

/* B**k modulo 2**64 (the word-length powers the character hash shifts by). */
static uint64_t pow_cache[POW_CACHE];
static int pow_ready = 0;

static uint64_t power_of_b(int64_t k) {
    if (!pow_ready) {
        pow_cache[0] = 1;
        for (int i = 1; i < POW_CACHE; i++) pow_cache[i] = pow_cache[i - 1] * B_BASE;
        pow_ready = 1;
    }
    if (k < POW_CACHE) return pow_cache[k];
    uint64_t result = 1, base = B_BASE;
    uint64_t e = (uint64_t)k;
    while (e) {
        if (e & 1) result *= base;
        base *= base;
        e >>= 1;
    }
    return result;
}

/* An open-addressing table reused between documents: a slot is occupied when its stamp
 * equals the current generation, so starting over costs nothing. */
typedef struct {
    uint64_t *key;
    int64_t *first;
    int64_t *count;
    uint32_t *stamp;
    uint32_t generation;
    int bits;
    size_t capacity;
} Table;

static int table_reset(Table *t, Py_ssize_t items) {
    size_t need = 16;
    int bits = 4;
    while (need < (size_t)items * 2) {
        need <<= 1;
        bits++;
    }
    if (need > t->capacity) {
        PyMem_Free(t->key);
        PyMem_Free(t->first);
        PyMem_Free(t->count);
        PyMem_Free(t->stamp);
        t->key = PyMem_Malloc(need * sizeof(uint64_t));
        t->first = PyMem_Malloc(need * sizeof(int64_t));
        t->count = PyMem_Malloc(need * sizeof(int64_t));
        t->stamp = PyMem_Calloc(need, sizeof(uint32_t));
        if (!t->key || !t->first || !t->count || !t->stamp) return -1;
        t->capacity = need;
        t->generation = 0;
    }
    t->bits = bits;
    t->generation++;
    if (t->generation == 0) { /* wrapped: clear the stamps once */
        memset(t->stamp, 0, t->capacity * sizeof(uint32_t));
        t->generation = 1;
    }
    return 0;
}

static inline size_t slot_of(const Table *t, uint64_t hash) { return (size_t)((hash * MIX2) >> (64 - t->bits)); }

/* Top n-gram: characters of the most frequent n-gram times its count (ties: the first seen,
 * as Counter.most_common), or -1 with fewer than n words. `cum`: cumulative word lengths. */
static int64_t top_ngram(Table *t, const int64_t *ids, const int64_t *cum, Py_ssize_t words, int n) {
    if (words < n) return -1;
    Py_ssize_t grams = words - n + 1;
    if (table_reset(t, grams) < 0) return -2;
    size_t mask = ((size_t)1 << t->bits) - 1;
    int64_t best_count = 0, best_first = 0;
    for (Py_ssize_t i = 0; i < grams; i++) {
        uint64_t h = MIX;
        for (int k = 0; k < n; k++) {
            h = (h ^ (uint64_t)ids[i + k]) * MIX;
            h ^= h >> 29;
        }
        size_t s = slot_of(t, h);
        for (;;) {
            if (t->stamp[s] != t->generation) {
                t->stamp[s] = t->generation;
                t->key[s] = h;
                t->first[s] = i;
                t->count[s] = 1;
                break;
            }
            if (t->key[s] == h) {
                const int64_t *a = ids + t->first[s];
                int same = 1;
                for (int k = 0; k < n; k++)
                    if (a[k] != ids[i + k]) {
                        same = 0;
                        break;
                    }
                if (same) {
                    t->count[s]++;
                    break;
                }
            }
            s = (s + 1) & mask;
        }
        int64_t c = t->count[s], f = t->first[s];
        if (c > best_count || (c == best_count && f < best_first)) {
            best_count = c;
            best_first = f;
        }
    }
    return (cum[best_first + n] - cum[best_first] + n - 1) * best_count;
}

/* Whether `key` was seen in this document's scan; adds it when not (`add`). */
static inline int seen(Table *t, uint64_t key, int add) {
    size_t mask = ((size_t)1 << t->bits) - 1;
    size_t s = slot_of(t, key);
    for (;;) {
        if (t->stamp[s] != t->generation) {
            if (add) {
                t->stamp[s] = t->generation;
                t->key[s] = key;
            }
            return 0;
        }
        if (t->key[s] == key) return 1;
        s = (s + 1) & mask;
    }
}

/* datatrove's find_all_duplicate: scan left to right; a repeat adds its characters and skips
 * n positions, a new n-gram is remembered and the scan moves one on. */
static int64_t duplicate_ngram(Table *t, const uint64_t *keys, const int64_t *cum, Py_ssize_t words, int n) {
    if (words < n) return 0;
    Py_ssize_t grams = words - n + 1;
    if (table_reset(t, grams) < 0) return -2;
    int64_t repeated = 0;
    Py_ssize_t i = 0;
    while (i < grams) {
        if (seen(t, keys[i], 1)) {
            repeated += cum[i + n] - cum[i];
            i += n;
        } else {
            i += 1;
        }
    }
    return repeated;
}

static PyObject *gopher_word_stats(PyObject *self, PyObject *args) {
    Py_buffer ids_b, counts_b, length_b, symbol_b, alpha_b, stop_b, hash_b, out_b;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*y*w*", &ids_b, &counts_b, &length_b, &symbol_b, &alpha_b, &stop_b,
                          &hash_b, &out_b))
        return NULL;
    PyObject *result = NULL;
    Table table = {0};
    int64_t *cum = NULL;
    uint64_t *keys = NULL;
    const int64_t *ids = ids_b.buf, *counts = counts_b.buf, *length = length_b.buf, *stop = stop_b.buf;
    const uint8_t *symbol = symbol_b.buf, *alpha = alpha_b.buf;
    const uint64_t *hash = hash_b.buf;
    int64_t *out = out_b.buf;
    Py_ssize_t n_ids = ids_b.len / 8, docs = counts_b.len / 8, n_words = length_b.len / 8;
    if (out_b.len < docs * FIELDS * 8 || symbol_b.len < n_words || alpha_b.len < n_words ||
        stop_b.len < n_words * 8 || hash_b.len < n_words * 8) {
        PyErr_SetString(PyExc_ValueError, "gopher_word_stats: array sizes do not match");
        goto done;
    }
    Py_ssize_t longest = 0, total = 0;
    for (Py_ssize_t d = 0; d < docs; d++) {
        if (counts[d] < 0) {
            PyErr_SetString(PyExc_ValueError, "gopher_word_stats: negative word count");
            goto done;
        }
        total += counts[d];
        if (counts[d] > longest) longest = counts[d];
    }
    if (total != n_ids) {
        PyErr_SetString(PyExc_ValueError, "gopher_word_stats: counts do not add up to the ids");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n_ids; i++)
        if (ids[i] < 0 || ids[i] >= n_words) {
            PyErr_SetString(PyExc_ValueError, "gopher_word_stats: word id out of range");
            goto done;
        }
    cum = PyMem_Malloc((longest + 1) * sizeof(int64_t));
    keys = PyMem_Malloc((size_t)(DUP_MAX - DUP_MIN + 1) * (longest + 1) * sizeof(uint64_t));
    if (!cum || !keys) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t start = 0;
    for (Py_ssize_t d = 0; d < docs; d++) {
        const int64_t *w = ids + start;
        Py_ssize_t m = counts[d];
        int64_t *o = out + d * FIELDS;
        int64_t non_symbol = 0, non_symbol_chars = 0, alphas = 0;
        unsigned stops = 0;
        cum[0] = 0;
        for (Py_ssize_t i = 0; i < m; i++) {
            int64_t id = w[i], len = length[id];
            cum[i + 1] = cum[i] + len;
            if (!symbol[id]) {
                non_symbol++;
                non_symbol_chars += len;
            }
            alphas += alpha[id] != 0;
            if (stop[id] >= 0 && stop[id] < 32) stops |= 1u << stop[id];
        }
        o[0] = non_symbol;
        o[1] = non_symbol_chars;
        o[2] = alphas;
        o[3] = __builtin_popcount(stops);
        for (int n = TOP_MIN; n <= TOP_MAX; n++) {
            int64_t v = top_ngram(&table, w, cum, m, n);
            if (v == -2) {
                PyErr_NoMemory();
                goto done;
            }
            o[4 + n - TOP_MIN] = v;
        }
        /* character-hash keys of the n-grams at each position, n = 5..10, xor their lengths */
        for (Py_ssize_t i = 0; i + DUP_MIN <= m; i++) {
            uint64_t h = 0, p = 1;
            for (int k = 0; k < DUP_MAX && i + k < m; k++) {
                int64_t id = w[i + k];
                h += hash[id] * p;
                p *= power_of_b(length[id]);
                if (k + 1 >= DUP_MIN)
                    keys[(size_t)(k + 1 - DUP_MIN) * (m + 1) + i] = h ^ (uint64_t)(cum[i + k + 1] - cum[i]);
            }
        }
        for (int n = DUP_MIN; n <= DUP_MAX; n++) {
            int64_t v = duplicate_ngram(&table, keys + (size_t)(n - DUP_MIN) * (m + 1), cum, m, n);
            if (v == -2) {
                PyErr_NoMemory();
                goto done;
            }
            o[7 + n - DUP_MIN] = v;
        }
        start += m;
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(table.key);
    PyMem_Free(table.first);
    PyMem_Free(table.count);
    PyMem_Free(table.stamp);
    PyMem_Free(cum);
    PyMem_Free(keys);
    PyBuffer_Release(&ids_b);
    PyBuffer_Release(&counts_b);
    PyBuffer_Release(&length_b);
    PyBuffer_Release(&symbol_b);
    PyBuffer_Release(&alpha_b);
    PyBuffer_Release(&stop_b);
    PyBuffer_Release(&hash_b);
    PyBuffer_Release(&out_b);
    return result;
}

/* Per word, sum of code point * B**k over its characters (k from 0), modulo 2**64: the
 * character hash _batch.py `_char_hashes` computes with NumPy. */
static PyObject *char_hashes(PyObject *self, PyObject *args) {
    PyObject *words;
    Py_buffer out_b;
    if (!PyArg_ParseTuple(args, "O!w*", &PyList_Type, &words, &out_b)) return NULL;
    Py_ssize_t count = PyList_GET_SIZE(words);
    if (out_b.len < count * 8) {
        PyBuffer_Release(&out_b);
        PyErr_SetString(PyExc_ValueError, "char_hashes: output too small");
        return NULL;
    }
    uint64_t *out = out_b.buf;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *word = PyList_GET_ITEM(words, i);
        if (!PyUnicode_Check(word)) {
            PyBuffer_Release(&out_b);
            PyErr_SetString(PyExc_TypeError, "char_hashes: words must be str");
            return NULL;
        }
        int kind = PyUnicode_KIND(word);
        const void *data = PyUnicode_DATA(word);
        Py_ssize_t length = PyUnicode_GET_LENGTH(word);
        uint64_t h = 0, p = 1;
        for (Py_ssize_t k = 0; k < length; k++) {
            h += (uint64_t)PyUnicode_READ(kind, data, k) * p;
            p *= B_BASE;
        }
        out[i] = h;
    }
    PyBuffer_Release(&out_b);
    Py_RETURN_NONE;
}

/* A batch's word ids from its chunk ids: each chunk's stored slice of word ids, in order, and
 * the words per text (the NumPy gathers of _batch.py `WordTable.encode_texts`). Returns None
 * when a chunk is not tokenised yet (size < 0), for the caller to tokenise it first. */
static PyObject *expand_chunks(PyObject *self, PyObject *args) {
    Py_buffer index_b, chunk_counts_b, start_b, size_b, words_b, counts_b;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*w*", &index_b, &chunk_counts_b, &start_b, &size_b, &words_b, &counts_b))
        return NULL;
    PyObject *result = NULL;
    const int64_t *index = index_b.buf, *chunk_counts = chunk_counts_b.buf, *start = start_b.buf,
                  *size = size_b.buf, *words = words_b.buf;
    int64_t *counts = counts_b.buf;
    Py_ssize_t n_index = index_b.len / 8, docs = chunk_counts_b.len / 8, n_chunks = size_b.len / 8,
               n_words = words_b.len / 8;
    if (counts_b.len < docs * 8 || start_b.len < n_chunks * 8) {
        PyErr_SetString(PyExc_ValueError, "expand_chunks: array sizes do not match");
        goto done;
    }
    Py_ssize_t total = 0, covered = 0;
    for (Py_ssize_t d = 0; d < docs; d++) covered += chunk_counts[d];
    if (covered != n_index) {
        PyErr_SetString(PyExc_ValueError, "expand_chunks: chunk counts do not add up");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n_index; i++) {
        int64_t c = index[i];
        if (c < 0 || c >= n_chunks) {
            PyErr_SetString(PyExc_ValueError, "expand_chunks: chunk id out of range");
            goto done;
        }
        if (size[c] < 0) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        if (start[c] < 0 || start[c] + size[c] > n_words) {
            PyErr_SetString(PyExc_ValueError, "expand_chunks: chunk slice out of range");
            goto done;
        }
        total += size[c];
    }
    result = PyBytes_FromStringAndSize(NULL, total * 8);
    if (!result) goto done;
    int64_t *ids = (int64_t *)PyBytes_AS_STRING(result);
    Py_ssize_t at = 0, i = 0;
    for (Py_ssize_t d = 0; d < docs; d++) {
        Py_ssize_t before = at;
        for (int64_t k = 0; k < chunk_counts[d]; k++, i++) {
            int64_t c = index[i];
            memcpy(ids + at, words + start[c], (size_t)size[c] * 8);
            at += size[c];
        }
        counts[d] = at - before;
    }
done:
    PyBuffer_Release(&index_b);
    PyBuffer_Release(&chunk_counts_b);
    PyBuffer_Release(&start_b);
    PyBuffer_Release(&size_b);
    PyBuffer_Release(&words_b);
    PyBuffer_Release(&counts_b);
    return result;
}

static PyMethodDef module_methods[] = {
    {"expand_chunks", expand_chunks, METH_VARARGS,
     "expand_chunks(index, chunk_counts, chunk_start, chunk_size, chunk_words, counts_out) -> int64 word ids\n"
     "as bytes (words per text into counts_out), or None when a chunk's size is still -1 (all int64)."},
    {"char_hashes", char_hashes, METH_VARARGS,
     "char_hashes(words, out): per word, sum of ord(char) * B**k (k from 0) modulo 2**64, into uint64 `out`."},
    {"gopher_word_stats", gopher_word_stats, METH_VARARGS,
     "gopher_word_stats(ids, counts, length, symbol, alpha, stop, char_hash, out): per document, 13 int64 in\n"
     "`out`: non-symbol words, their characters, alpha words, distinct stop words, top 2/3/4-gram characters x\n"
     "count (-1: too few words), duplicate 5..10-gram characters. ids/counts/length/stop int64, symbol/alpha\n"
     "bool, char_hash uint64 (per word id)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "thresher._native_ngrams",
    .m_doc = "Gopher's per-document word and n-gram statistics.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__native_ngrams(void) { return PyModule_Create(&module); }
