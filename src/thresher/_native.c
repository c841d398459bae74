/* thresher._native: the two per-token loops of the signal hot path, in C.
 *
 * Why: language ID and Gopher's word statistics read every white-space chunk of every
 * document. In Python each chunk becomes a new str object that is hashed and looked up in a
 * dict (~130 ns a chunk), and fastText's per-document sums gather a 16-double row per token
 * into a temporary the size of the batch. Both are memory-bound and slow down most on a busy
 * host. Here a chunk is hashed straight from the text's code points and looked up in an
 * open-addressing table; only chunks never seen become str objects. The per-document row
 * sums are accumulated in place. Gopher's greedy duplicate n-gram scan, a sequential loop
 * over the repeated n-grams, runs here too. RedPajama-v2's signals (signals/rpv2.py) use the
 * `rpv2_*`, `group_words`, `ngram_numerators` and `set_columns` kernels: one pass over each
 * text's str for RPv2's lines and per-text counts, one over each new chunk for its tokens,
 * stop words and normalised word, word / n-gram grouping without sorts, where NumPy needs
 * several passes and a temporary array per step, and the segments' values set a dict at a time.
 * signals.size (signals/basic.py) uses `size_counts`: its word and line counts per document and
 * per segment in one pass, without a str per word, line or segment.
 *
 * The module is optional: `thresher.signals._tokens` (and signals/rpv2.py) fall back to the same semantics in
 * Python/NumPy when it is not built (THRESHER_NATIVE=0 forces the fallback), and the tests
 * check both give identical results.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

enum { SPLIT_WHITESPACE = 0, SPLIT_FASTTEXT = 1 };

/* Separator flags for code points below 256, per mode; above 255, str.split's whitespace
 * is Py_UNICODE_ISSPACE and fastText has no separators. */
static unsigned char separators[2][256];
/* The smallest code point above 255 that str.split treats as white space (U+1680 in every
 * Unicode version so far; found at import, not assumed). */
static Py_UCS4 first_wide_space = 0x110000;

/* A slot of the open-addressing table: a chunk's two 64-bit hashes and its id (-1: empty). */
typedef struct {
    uint64_t h1, h2;
    int64_t id;
} Slot;

typedef struct {
    PyObject_HEAD
    int mode;
    Slot *slots;
    Py_ssize_t capacity;  /* power of two, at least twice the number of ids */
    PyObject *strings;    /* list: id -> str */
} TokenTable;

/* A growable buffer of fixed-size items. */
typedef struct {
    char *data;
    Py_ssize_t size, capacity, item;
} Buffer;

/* One item of a str sequence as (kind, data, length); -1 with TypeError naming the item
   when it is not a str, so every kernel rejects bad input with the same message. */
static int unicode_item(PyObject *sequence, Py_ssize_t index, const char *what, int *kind,
                        const void **data, Py_ssize_t *length) {
    PyObject *text = PySequence_Fast_GET_ITEM(sequence, index);
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "%s[%zd] is %.100s, not str", what, index, Py_TYPE(text)->tp_name);
        return -1;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(text) < 0) return -1;
#endif
    *kind = PyUnicode_KIND(text);
    *data = PyUnicode_DATA(text);
    *length = PyUnicode_GET_LENGTH(text);
    return 0;
}

static int buffer_reserve(Buffer *b, Py_ssize_t extra) {
    if (b->size + extra <= b->capacity) return 0;
    Py_ssize_t capacity = b->capacity ? b->capacity : 1024;
    while (capacity < b->size + extra) capacity *= 2;
    char *data = PyMem_Realloc(b->data, (size_t)(capacity * b->item));
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->capacity = capacity;
    return 0;
}

static PyObject *buffer_to_bytearray(Buffer *b) {
    return PyByteArray_FromStringAndSize(b->data ? b->data : "", b->size * b->item);
}

static inline uint64_t finish_hash(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static inline int is_separator(int mode, Py_UCS4 c) {
    if (c < 256) return separators[mode][c];
    return mode == SPLIT_WHITESPACE && c >= first_wide_space && Py_UNICODE_ISSPACE(c);
}

static Slot *new_slots(Py_ssize_t capacity) {
    Slot *slots = PyMem_Malloc((size_t)capacity * sizeof(Slot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < capacity; i++) slots[i].id = -1;
    return slots;
}

static int table_grow(TokenTable *self) {
    Py_ssize_t capacity = self->capacity * 2;
    Slot *slots = new_slots(capacity);
    if (slots == NULL) return -1;
    size_t mask = (size_t)capacity - 1;
    for (Py_ssize_t i = 0; i < self->capacity; i++) {
        if (self->slots[i].id < 0) continue;
        size_t pos = (size_t)self->slots[i].h1 & mask;
        while (slots[pos].id >= 0) pos = (pos + 1) & mask;
        slots[pos] = self->slots[i];
    }
    PyMem_Free(self->slots);
    self->slots = slots;
    self->capacity = capacity;
    return 0;
}

/* The id of text[start:start+length], whose hashes are (h1, h2), inserting it if new; -1 on error.
 *
 * A chunk is known by its two independent 64-bit hashes, not compared character by
 * character: reading the stored str objects back was two thirds of the lookup time (they
 * are scattered over the heap). Two different chunks share an id only if both hashes
 * collide: about n^2 / 2^129 for n distinct chunks, 4e-26 at the 5M-chunk bound. */
static int64_t table_find(TokenTable *self, PyObject *text, Py_ssize_t start, Py_ssize_t length, uint64_t h1,
                          uint64_t h2) {
    size_t mask = (size_t)self->capacity - 1;
    size_t pos = (size_t)h1 & mask;
    for (;;) {
        const Slot *slot = &self->slots[pos];
        if (slot->id < 0) break;
        if (slot->h1 == h1 && slot->h2 == h2) return slot->id;
        pos = (pos + 1) & mask;
    }
    Py_ssize_t id = PyList_GET_SIZE(self->strings);
    PyObject *piece = PyUnicode_Substring(text, start, start + length);
    if (piece == NULL) return -1;
    int failed = PyList_Append(self->strings, piece);
    Py_DECREF(piece);
    if (failed) return -1;
    self->slots[pos].h1 = h1;
    self->slots[pos].h2 = h2;
    self->slots[pos].id = id;
    if (2 * (id + 1) > self->capacity && table_grow(self) < 0) return -1;
    return id;
}

static int table_reset(TokenTable *self) {
    PyObject *strings = PyList_New(0);
    Slot *slots = new_slots(1024);
    if (strings == NULL || slots == NULL) {
        Py_XDECREF(strings);
        PyMem_Free(slots);
        return -1;
    }
    Py_XSETREF(self->strings, strings);
    PyMem_Free(self->slots);
    self->slots = slots;
    self->capacity = 1024;
    return 0;
}

static int TokenTable_init(TokenTable *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"mode", NULL};
    const char *mode = "whitespace";
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|s", keywords, &mode)) return -1;
    if (strcmp(mode, "whitespace") == 0) {
        self->mode = SPLIT_WHITESPACE;
    } else if (strcmp(mode, "fasttext") == 0) {
        self->mode = SPLIT_FASTTEXT;
    } else {
        PyErr_Format(PyExc_ValueError, "TokenTable mode must be 'whitespace' or 'fasttext', not '%s'", mode);
        return -1;
    }
    return table_reset(self);
}

static void TokenTable_dealloc(TokenTable *self) {
    PyMem_Free(self->slots);
    Py_XDECREF(self->strings);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A chunk found by the scan and not yet looked up: where it is, and its two hashes. */
typedef struct {
    Py_ssize_t start, length;
    uint64_t h1, h2;
} Pending;

/* Chunks hashed ahead of their table lookups: their slots are prefetched as they are hashed,
 * so up to this many cache misses on the table are in flight at once instead of one after
 * the other (the misses were most of the lookup time). Lookups still run in text order, so
 * ids are assigned exactly as one chunk at a time would assign them. */
enum { PENDING = 16 };

/* Look the pending chunks of `text` up in order, appending their ids; -1 on error. */
static int resolve_pending(TokenTable *self, PyObject *text, const Pending *pending, int count, Buffer *ids) {
    if (buffer_reserve(ids, count) < 0) return -1;
    int64_t *out = (int64_t *)ids->data + ids->size;
    for (int k = 0; k < count; k++) {
        const int64_t id = table_find(self, text, pending[k].start, pending[k].length, pending[k].h1, pending[k].h2);
        if (id < 0) return -1;
        out[k] = id;
    }
    ids->size += count;
    return 0;
}

/* The chunks of one text (code units of type T): hash each, prefetch its slot, and resolve
 * them PENDING at a time. Returns the number of chunks, -1 on error. */
#define DEFINE_SCAN_TEXT(NAME, T)                                                                           \
    static int64_t NAME(TokenTable *self, PyObject *text, const T *data, Py_ssize_t length, Buffer *ids,     \
                        uint32_t **codes) {                                                                 \
        const int mode = self->mode;                                                                        \
        uint32_t *out = codes ? *codes : NULL;                                                              \
        Pending pending[PENDING];                                                                           \
        int waiting = 0;                                                                                    \
        int64_t chunks = 0;                                                                                 \
        Py_ssize_t i = 0;                                                                                   \
        while (i < length) {                                                                                \
            while (i < length && is_separator(mode, data[i])) i++;                                          \
            if (i >= length) break;                                                                         \
            const Py_ssize_t start = i;                                                                     \
            uint64_t h1 = 0xcbf29ce484222325ULL, h2 = 0x9E3779B97F4A7C15ULL;                                \
            while (i < length) {                                                                            \
                const Py_UCS4 c = data[i];                                                                  \
                if (is_separator(mode, c)) break;                                                           \
                h1 = (h1 ^ c) * 0x100000001B3ULL;                   /* FNV-1a over code points */           \
                h2 = ((h2 + c) * 0xff51afd7ed558ccdULL) ^ (h2 >> 29); /* an unrelated mix */                \
                if (out) *out++ = c;                                                                        \
                i++;                                                                                        \
            }                                                                                               \
            const uint64_t size = (uint64_t)(i - start);                                                    \
            Pending *p = &pending[waiting++];                                                               \
            p->start = start;                                                                               \
            p->length = i - start;                                                                          \
            p->h1 = finish_hash(h1 ^ size);                                                                 \
            p->h2 = finish_hash(h2 + 0x632BE59BD9B4E019ULL * size);                                         \
            __builtin_prefetch(&self->slots[(size_t)p->h1 & ((size_t)self->capacity - 1)]);                 \
            chunks++;                                                                                       \
            if (waiting == PENDING) {                                                                       \
                if (resolve_pending(self, text, pending, waiting, ids) < 0) return -1;                      \
                waiting = 0;                                                                                \
            }                                                                                               \
        }                                                                                                   \
        if (waiting && resolve_pending(self, text, pending, waiting, ids) < 0) return -1;                   \
        if (codes) *codes = out;                                                                            \
        return chunks;                                                                                      \
    }

DEFINE_SCAN_TEXT(scan_text_1, Py_UCS1)
DEFINE_SCAN_TEXT(scan_text_2, Py_UCS2)
DEFINE_SCAN_TEXT(scan_text_4, Py_UCS4)

static PyObject *TokenTable_lookup(TokenTable *self, PyObject *args) {
    PyObject *texts;
    int want_codes = 0;
    if (!PyArg_ParseTuple(args, "O|p", &texts, &want_codes)) return NULL;
    PyObject *sequence = PySequence_Fast(texts, "texts must be a list of str");
    if (sequence == NULL) return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(sequence);
    Buffer ids = {NULL, 0, 0, sizeof(int64_t)};
    Buffer counts = {NULL, 0, 0, sizeof(int64_t)};
    Buffer codes = {NULL, 0, 0, sizeof(uint32_t)};
    PyObject *result = NULL;
    if (buffer_reserve(&counts, count) < 0) goto done;
    for (Py_ssize_t t = 0; t < count; t++) {
        int kind;
        const void *data;
        Py_ssize_t length;
        if (unicode_item(sequence, t, "texts", &kind, &data, &length) < 0) goto done;
        PyObject *text = PySequence_Fast_GET_ITEM(sequence, t);
        if (want_codes && buffer_reserve(&codes, length) < 0) goto done;
        uint32_t *start = want_codes ? (uint32_t *)codes.data + codes.size : NULL, *out = start;
        uint32_t **outp = want_codes ? &out : NULL;
        int64_t chunks;
        if (kind == PyUnicode_1BYTE_KIND) {
            chunks = scan_text_1(self, text, (const Py_UCS1 *)data, length, &ids, outp);
        } else if (kind == PyUnicode_2BYTE_KIND) {
            chunks = scan_text_2(self, text, (const Py_UCS2 *)data, length, &ids, outp);
        } else {
            chunks = scan_text_4(self, text, (const Py_UCS4 *)data, length, &ids, outp);
        }
        if (chunks < 0) goto done;
        if (want_codes) codes.size += out - start;
        ((int64_t *)counts.data)[counts.size++] = chunks;
    }
    {
        PyObject *id_bytes = buffer_to_bytearray(&ids);
        PyObject *count_bytes = buffer_to_bytearray(&counts);
        PyObject *code_bytes = want_codes ? buffer_to_bytearray(&codes) : Py_NewRef(Py_None);
        if (id_bytes && count_bytes && code_bytes) result = PyTuple_Pack(3, id_bytes, count_bytes, code_bytes);
        Py_XDECREF(id_bytes);
        Py_XDECREF(count_bytes);
        Py_XDECREF(code_bytes);
    }
done:
    PyMem_Free(ids.data);
    PyMem_Free(counts.data);
    PyMem_Free(codes.data);
    Py_DECREF(sequence);
    return result;
}

static PyObject *TokenTable_clear(TokenTable *self, PyObject *Py_UNUSED(ignored)) {
    if (table_reset(self) < 0) return NULL;
    Py_RETURN_NONE;
}

static Py_ssize_t TokenTable_len(TokenTable *self) { return PyList_GET_SIZE(self->strings); }

static PyObject *TokenTable_get_strings(TokenTable *self, void *Py_UNUSED(closure)) {
    return Py_NewRef(self->strings);
}

static PyObject *TokenTable_get_mode(TokenTable *self, void *Py_UNUSED(closure)) {
    return PyUnicode_FromString(self->mode == SPLIT_WHITESPACE ? "whitespace" : "fasttext");
}

static PyMethodDef TokenTable_methods[] = {
    {"lookup", (PyCFunction)TokenTable_lookup, METH_VARARGS,
     "lookup(texts, codes=False) -> (ids, counts, codes): int64 ids of every chunk of every text (new chunks\n"
     "are appended to `strings`), int64 chunks per text, and (if asked) the uint32 code points of the\n"
     "chunks concatenated; each as a bytearray."},
    {"clear", (PyCFunction)TokenTable_clear, METH_NOARGS, "Forget every chunk (ids start again at 0)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef TokenTable_getset[] = {
    {"strings", (getter)TokenTable_get_strings, NULL, "id -> chunk (do not modify)", NULL},
    {"mode", (getter)TokenTable_get_mode, NULL, "'whitespace' (str.split) or 'fasttext'", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods TokenTable_sequence = {.sq_length = (lenfunc)TokenTable_len};

static PyTypeObject TokenTableType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "thresher._native.TokenTable",
    .tp_basicsize = sizeof(TokenTable),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Chunks of texts -> stable integer ids (str.split's or fastText's separators).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)TokenTable_init,
    .tp_dealloc = (destructor)TokenTable_dealloc,
    .tp_methods = TokenTable_methods,
    .tp_getset = TokenTable_getset,
    .tp_as_sequence = &TokenTable_sequence,
};

/* row_sums(ids, counts, table, width, out): out[t] = sum of table rows ids[j] over text t's ids. */
static void release_buffers(Py_buffer *views, int count) {
    for (int i = 0; i < count; i++) PyBuffer_Release(&views[i]);
}

static PyObject *row_sums(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer views[4];
    Py_buffer *const ids = &views[0], *const counts = &views[1], *const table = &views[2], *const out = &views[3];
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "y*y*y*nw*", ids, counts, table, &width, out)) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t n_ids = ids->len / (Py_ssize_t)sizeof(int64_t);
    const Py_ssize_t n_texts = counts->len / (Py_ssize_t)sizeof(int64_t);
    const Py_ssize_t rows = width > 0 ? table->len / (Py_ssize_t)sizeof(double) / width : 0;
    if (width <= 0 || out->len != n_texts * width * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "row_sums: out must hold len(counts) x width doubles");
        goto done;
    }
    const int64_t *id = ids->buf;
    const int64_t *count = counts->buf;
    const double *rows_data = table->buf;
    double *target = out->buf;
    Py_ssize_t j = 0;
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        double *row_out = target + t * width;
        memset(row_out, 0, (size_t)width * sizeof(double));
        if (count[t] < 0 || j + count[t] > n_ids) {
            PyErr_SetString(PyExc_ValueError, "row_sums: counts add up to more than len(ids)");
            goto done;
        }
        for (int64_t k = 0; k < count[t]; k++, j++) {
            const int64_t r = id[j];
            if (r < 0 || r >= rows) {
                PyErr_Format(PyExc_IndexError, "row_sums: id %lld outside the table's %zd rows", (long long)r, rows);
                goto done;
            }
            const double *source = rows_data + r * width;
            for (Py_ssize_t d = 0; d < width; d++) row_out[d] += source[d];
        }
    }
    result = Py_NewRef(Py_None);
done:
    release_buffers(views, 4);
    return result;
}

/* greedy_repeats(at, group, first_at, chars, doc, n, groups, positions, out): datatrove's greedy
 * duplicate n-gram scan (`find_all_duplicate`) over the candidate occurrences of repeated
 * n-grams, in position order. Word positions and group ids are global to the batch (no two
 * documents share one), so the `skipped` and `added` flags need no reset between documents;
 * out[doc] receives the characters of the n-grams counted as repeats. */
static PyObject *greedy_repeats(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer views[6];
    Py_buffer *const at = &views[0], *const group = &views[1], *const first_at = &views[2], *const chars = &views[3],
                     *const doc = &views[4], *const out = &views[5];
    Py_ssize_t n, groups, positions;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*nnnw*", at, group, first_at, chars, doc, &n, &groups, &positions, out))
        return NULL;
    PyObject *result = NULL;
    unsigned char *skipped = NULL, *added = NULL;
    const Py_ssize_t count = at->len / (Py_ssize_t)sizeof(int64_t);
    const Py_ssize_t docs = out->len / (Py_ssize_t)sizeof(int64_t);
    if (group->len != at->len || first_at->len != at->len || chars->len != at->len || doc->len != at->len || n < 1) {
        PyErr_SetString(PyExc_ValueError, "greedy_repeats: the five arrays must have one int64 per candidate");
        goto done;
    }
    skipped = PyMem_Calloc((size_t)positions + 1, 1);
    added = PyMem_Calloc((size_t)groups + 1, 1);
    if (skipped == NULL || added == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const int64_t *a = at->buf, *g = group->buf, *f = first_at->buf, *c = chars->buf, *d = doc->buf;
    int64_t *repeated = out->buf;
    int64_t index = 0;
    for (Py_ssize_t k = 0; k < count; k++) {
        const int64_t position = a[k];
        if (position < index) continue;
        if (position < 0 || position + n > positions || g[k] < 0 || g[k] >= groups || f[k] < 0 ||
            f[k] >= positions || d[k] < 0 || d[k] >= docs) {
            PyErr_SetString(PyExc_IndexError, "greedy_repeats: a position, group or document is out of range");
            goto done;
        }
        if (added[g[k]] || !skipped[f[k]]) {
            repeated[d[k]] += c[k];
            memset(skipped + position + 1, 1, (size_t)(n - 1));
            index = position + n;
        } else {
            added[g[k]] = 1;
            index = position + 1;
        }
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(skipped);
    PyMem_Free(added);
    release_buffers(views, 6);
    return result;
}

/* fasttext_ngrams(words, minn, maxn, bucket) -> (owner, bucket_id): fastText's
 * `Dictionary::computeSubwords` over each word's bytes (the word already wrapped in "<" and
 * ">"): every character minn..maxn-gram, walking UTF-8 by whole characters (a continuation
 * byte never starts one), hashed with fastText's FNV-1a over sign-extended bytes, modulo
 * `bucket`; one-character n-grams of the boundary characters are skipped. In fastText's order
 * (by start, then by length); both arrays int64, as bytearrays. */
static PyObject *fasttext_ngrams(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *words;
    Py_ssize_t minn, maxn, bucket;
    if (!PyArg_ParseTuple(args, "Onnn", &words, &minn, &maxn, &bucket)) return NULL;
    if (bucket <= 0) {
        PyErr_SetString(PyExc_ValueError, "fasttext_ngrams: bucket must be positive");
        return NULL;
    }
    PyObject *sequence = PySequence_Fast(words, "words must be a list of bytes");
    if (sequence == NULL) return NULL;
    Buffer owners = {NULL, 0, 0, sizeof(int64_t)};
    Buffer buckets = {NULL, 0, 0, sizeof(int64_t)};
    PyObject *result = NULL;
    const Py_ssize_t count = PySequence_Fast_GET_SIZE(sequence);
    for (Py_ssize_t w = 0; w < count; w++) {
        PyObject *item = PySequence_Fast_GET_ITEM(sequence, w);
        if (!PyBytes_Check(item)) {
            PyErr_Format(PyExc_TypeError, "words[%zd] is %.100s, not bytes", w, Py_TYPE(item)->tp_name);
            goto done;
        }
        const unsigned char *word = (const unsigned char *)PyBytes_AS_STRING(item);
        const Py_ssize_t size = PyBytes_GET_SIZE(item);
        for (Py_ssize_t i = 0; i < size; i++) {
            if ((word[i] & 0xC0) == 0x80) continue;
            uint32_t h = 2166136261u;
            Py_ssize_t j = i;
            for (Py_ssize_t n = 1; j < size && n <= maxn; n++) {
                do {
                    h ^= (uint32_t)(int32_t)(signed char)word[j++];
                    h *= 16777619u;
                } while (j < size && (word[j] & 0xC0) == 0x80);
                if (n >= minn && !(n == 1 && (i == 0 || j == size))) {
                    if (buffer_reserve(&owners, 1) < 0 || buffer_reserve(&buckets, 1) < 0) goto done;
                    ((int64_t *)owners.data)[owners.size++] = w;
                    ((int64_t *)buckets.data)[buckets.size++] = (int64_t)(h % (uint32_t)bucket);
                }
            }
        }
    }
    {
        PyObject *owner_bytes = buffer_to_bytearray(&owners);
        PyObject *bucket_bytes = buffer_to_bytearray(&buckets);
        if (owner_bytes && bucket_bytes) result = PyTuple_Pack(2, owner_bytes, bucket_bytes);
        Py_XDECREF(owner_bytes);
        Py_XDECREF(bucket_bytes);
    }
done:
    PyMem_Free(owners.data);
    PyMem_Free(buckets.data);
    Py_DECREF(sequence);
    return result;
}


/* The RPv2 kernels below read code points (of str objects) with per code point tables built in
 * Python a 4096-code-point block at a time (thresher.signals.rpv2.char_tables; a `ready` byte a
 * block); the bits must match rpv2.py's. */
enum { RPV2_SPACE = 1, RPV2_ASCII_PUNCT = 2, RPV2_UPPER = 4, RPV2_WORD = 8, RPV2_LOWER_OR_TITLE = 16,
       RPV2_ASCII_LETTER = 32, RPV2_UNSAFE = 64 };

static inline int in_codes(uint32_t c, const uint32_t *codes, Py_ssize_t n) {
    for (Py_ssize_t k = 0; k < n; k++)
        if (codes[k] == c) return 1;
    return 0;
}

/* Sorts n distinct non-negative ids in place (scratch: room for n): insertion sort for a few,
 * else least-significant-digit radix sort, 11 bits a pass, up to the highest id's bits. qsort's
 * call a comparison was a third of group_words' time. */
static void sort_ids(int64_t *ids, int64_t *scratch, Py_ssize_t n) {
    if (n < 48) {
        for (Py_ssize_t i = 1; i < n; i++) {
            const int64_t v = ids[i];
            Py_ssize_t j = i;
            for (; j > 0 && ids[j - 1] > v; j--) ids[j] = ids[j - 1];
            ids[j] = v;
        }
        return;
    }
    int64_t highest = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (ids[i] > highest) highest = ids[i];
    int64_t *from = ids, *to = scratch;
    for (int shift = 0; shift == 0 || (highest >> shift) > 0; shift += 11) {
        Py_ssize_t bucket[2049] = {0};
        for (Py_ssize_t i = 0; i < n; i++) bucket[((from[i] >> shift) & 2047) + 1]++;
        for (int b = 0; b < 2048; b++) bucket[b + 1] += bucket[b];
        for (Py_ssize_t i = 0; i < n; i++) to[bucket[(from[i] >> shift) & 2047]++] = from[i];
        int64_t *swap = from;
        from = to;
        to = swap;
    }
    if (from != ids) memcpy(ids, from, (size_t)n * sizeof(int64_t));
}

/* group_words(ids, docs, span, inverse, counts, group_docs) -> groups: the distinct (document,
 * word id) pairs of a batch numbered in sorted order, as np.unique(docs * span + ids) numbers
 * them: inverse[i] is position i's group, counts and group_docs (one per group) its size and
 * document. Documents must come in non-decreasing order and ids lie in [0, span); each
 * document's distinct ids are found through a dense table and only those are sorted. */
static PyObject *group_words(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer views[5];
    Py_ssize_t span;
    if (!PyArg_ParseTuple(args, "y*y*nw*w*w*", &views[0], &views[1], &span, &views[2], &views[3], &views[4]))
        return NULL;
    PyObject *result = NULL;
    int64_t *slot = NULL, *distinct = NULL, *scratch = NULL;
    const int64_t *ids = views[0].buf, *docs = views[1].buf;
    int64_t *inverse = views[2].buf, *counts = views[3].buf, *group_docs = views[4].buf;
    const Py_ssize_t n = views[0].len / 8;
    if (views[1].len / 8 != n || views[2].len / 8 != n || views[3].len / 8 < n || views[4].len / 8 < n || span < 0) {
        PyErr_SetString(PyExc_ValueError, "group_words: arrays of unequal sizes");
        goto done;
    }
    slot = PyMem_Malloc((size_t)(span > 0 ? span : 1) * sizeof(int64_t));
    distinct = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
    scratch = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
    if (slot == NULL || distinct == NULL || scratch == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < span; k++) slot[k] = -1;
    Py_ssize_t groups = 0, i = 0;
    while (i < n) {
        const int64_t doc = docs[i];
        Py_ssize_t j = i, found = 0;
        for (; j < n && docs[j] == doc; j++) {
            const int64_t id = ids[j];
            if (id < 0 || id >= span) {
                PyErr_SetString(PyExc_IndexError, "group_words: a word id is outside [0, span)");
                goto done;
            }
            if (slot[id] < 0) {
                slot[id] = found;
                distinct[found++] = id;
            }
        }
        if (j < n && docs[j] < doc) {
            PyErr_SetString(PyExc_ValueError, "group_words: documents must come in non-decreasing order");
            goto done;
        }
        sort_ids(distinct, scratch, found);
        for (Py_ssize_t k = 0; k < found; k++) {
            slot[distinct[k]] = groups + k;
            counts[groups + k] = 0;
            group_docs[groups + k] = doc;
        }
        for (Py_ssize_t p = i; p < j; p++) {
            const int64_t group = slot[ids[p]];
            inverse[p] = group;
            counts[group]++;
        }
        for (Py_ssize_t k = 0; k < found; k++) slot[distinct[k]] = -1;
        groups += found;
        i = j;
    }
    result = PyLong_FromSsize_t(groups);
done:
    PyMem_Free(slot);
    PyMem_Free(distinct);
    PyMem_Free(scratch);
    release_buffers(views, 5);
    return result;
}




/* ngram_numerators(ids, lengths, docs, gram, group_counts, span, top, dupe): RPv2's n-gram
 * numerators per document from the word groups of `group_words` (gram: each position's group,
 * group_counts: group sizes). For n = 2..10, an n-gram's group is the pair (group of its
 * (n-1)-gram prefix, id of its last word), grouped by hashing a document at a time; only positions whose prefix
 * repeats are carried to the next n (an n-gram can repeat only where its prefix does), and an
 * n-gram never crosses its document's end. top (3 x documents) receives, for n = 2..4, the
 * characters of the most common repeated n-gram (the first seen among equals) times its
 * count; dupe (6 x documents), for n = 5..10, the characters of the words covered by repeated
 * n-grams, each word once. Both must be zeroed by the caller; documents non-decreasing. */
static PyObject *ngram_numerators(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer views[7];
    Py_ssize_t span;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*nw*w*", &views[0], &views[1], &views[2], &views[3], &views[4], &span,
                          &views[5], &views[6]))
        return NULL;
    PyObject *result = NULL;
    /* positions, groups and counts as int32 (checked below): half the memory to fill and read */
    int32_t *ends = NULL, *pos = NULL, *grp = NULL, *inv = NULL, *counts = NULL;
    int64_t *table = NULL; /* pairs (key, group): one cache line a probe */
    uint8_t *repeats = NULL;
    const int64_t *ids = views[0].buf, *lengths = views[1].buf, *docs = views[2].buf, *gram = views[3].buf,
                  *group_counts = views[4].buf;
    int64_t *top = views[5].buf, *dupe = views[6].buf;
    const Py_ssize_t size = views[0].len / 8, n_groups = views[4].len / 8, n_docs = views[5].len / 8 / 3;
    if (views[1].len / 8 != size || views[2].len / 8 != size || views[3].len / 8 != size || span <= 0 ||
        views[5].len != n_docs * 3 * 8 || views[6].len != n_docs * 6 * 8) {
        PyErr_SetString(PyExc_ValueError, "ngram_numerators: arrays of unequal sizes");
        goto done;
    }
    if (size >= INT32_MAX || n_groups >= INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "ngram_numerators: more than 2**31 - 1 words in one batch");
        goto done;
    }
    const size_t cells = (size_t)(size > 0 ? size : 1);
    ends = PyMem_Malloc(cells * 4);
    pos = PyMem_Malloc(cells * 4);
    grp = PyMem_Malloc(cells * 4);
    inv = PyMem_Malloc(cells * 4);
    counts = PyMem_Malloc(cells * 4);
    repeats = PyMem_Malloc(cells + 1);
    size_t capacity = 16;
    while (capacity < cells * 2) capacity <<= 1;
    table = PyMem_Malloc(capacity * 16);
    if (!ends || !pos || !grp || !inv || !counts || !table || !repeats) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t p = size - 1; p >= 0; p--) {
        if (docs[p] < 0 || docs[p] >= n_docs || ids[p] < 0 || ids[p] >= span || gram[p] < 0 || gram[p] >= n_groups ||
            (p + 1 < size && docs[p + 1] < docs[p])) {
            PyErr_SetString(PyExc_ValueError, "ngram_numerators: a document, id or group out of range or order");
            goto done;
        }
        ends[p] = (int32_t)((p + 1 < size && docs[p + 1] == docs[p]) ? ends[p + 1] : p + 1);
    }
    /* repeats[p]: the (n-1)-gram at p occurs more than once. An n-gram at p can repeat only
     * where the (n-1)-grams at p and at p + 1 both do, so only those positions are grouped. */
    Py_ssize_t m = 0;
    for (Py_ssize_t p = 0; p < size; p++) {
        repeats[p] = group_counts[gram[p]] > 1;
        if (repeats[p]) {
            pos[m] = (int32_t)p;
            grp[m++] = (int32_t)gram[p];
        }
    }
    repeats[size] = 0;
    for (int64_t n = 2; n <= 10 && m > 0; n++) {
        Py_ssize_t k = 0;
        for (Py_ssize_t i = 0; i < m; i++) {
            if (pos[i] + n <= ends[pos[i]] && repeats[pos[i] + 1]) {
                pos[k] = pos[i];
                grp[k++] = grp[i];
            }
        }
        m = k;
        if (m == 0) break;
        /* One small table per document (an n-gram never spans two): it stays in cache. */
        Py_ssize_t groups = 0;
        int repeated = 0;
        for (Py_ssize_t first = 0, last; first < m; first = last) {
            const int64_t doc = docs[pos[first]];
            for (last = first + 1; last < m && docs[pos[last]] == doc; last++) {
            }
            size_t used = 16;
            while (used < (size_t)(last - first) * 2) used <<= 1;
            const size_t mask = used - 1;
            for (size_t c = 0; c < used; c++) table[2 * c + 1] = -1;
            for (Py_ssize_t i = first; i < last; i++) {
                const int64_t key = grp[i] * (int64_t)span + ids[pos[i] + n - 1];
                size_t h = (size_t)(((uint64_t)key * 0x9E3779B97F4A7C15ULL) >> 32) & mask; /* Fibonacci */
                while (table[2 * h + 1] >= 0 && table[2 * h] != key) h = (h + 1) & mask;
                if (table[2 * h + 1] < 0) {
                    table[2 * h] = key;
                    table[2 * h + 1] = groups;
                    counts[groups++] = 0;  /* groups < m <= size < 2**31 */
                }
                inv[i] = (int32_t)table[2 * h + 1];
                repeated |= ++counts[inv[i]] > 1;
            }
        }
        if (!repeated) break;
        if (n <= 4) {
            int64_t *out = top + (n - 2) * n_docs;
            Py_ssize_t i = 0;
            while (i < m) {
                const int64_t doc = docs[pos[i]];
                int64_t best = 1, start = -1;
                for (; i < m && docs[pos[i]] == doc; i++) {
                    if (counts[inv[i]] > best) {
                        best = counts[inv[i]];
                        start = pos[i];
                    }
                }
                if (start >= 0) {
                    int64_t chars = 0;
                    for (int64_t q = start; q < start + n; q++) chars += lengths[q];
                    out[doc] = chars * best;
                }
            }
        }
        if (n >= 5) {
            int64_t *out = dupe + (n - 5) * n_docs;
            int64_t reached = 0;
            for (Py_ssize_t i = 0; i < m; i++) {
                if (counts[inv[i]] < 2) continue;
                const int64_t start = pos[i];
                for (int64_t q = start > reached ? start : reached; q < start + n; q++) out[docs[q]] += lengths[q];
                if (start + n > reached) reached = start + n;
            }
        }
        /* the n-gram repeats: only at the positions kept (repeats[] was 1 at all of them) */
        memset(repeats, 0, (size_t)size);
        k = 0;
        for (Py_ssize_t i = 0; i < m; i++) {
            if (counts[inv[i]] > 1) {
                repeats[pos[i]] = 1;
                pos[k] = pos[i];
                grp[k++] = inv[i];
            }
        }
        m = k;
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(ends);
    PyMem_Free(pos);
    PyMem_Free(grp);
    PyMem_Free(inv);
    PyMem_Free(counts);
    PyMem_Free(table);
    PyMem_Free(repeats);
    release_buffers(views, 7);
    return result;
}

/* A set of code point strings with a value each (RPv2's stop words, LDNOOBW words), probed by
 * a string's FNV-1a hash over its code points: open addressing over (hash, index) pairs. */
typedef struct {
    int64_t *slots;
    size_t mask;
    const uint32_t *points;
    const int64_t *offsets, *values;
} WordSet;

static inline uint64_t fnv_step(uint64_t h, uint32_t c) { return (h ^ c) * 0x100000001B3ULL; }
#define FNV_START 0xcbf29ce484222325ULL

static int word_set_init(WordSet *set, Py_buffer *points, Py_buffer *offsets, Py_buffer *values) {
    const Py_ssize_t n = values->len / 8, n_points = points->len / 4;
    set->points = points->buf;
    set->offsets = offsets->buf;
    set->values = values->buf;
    set->slots = NULL;
    if (offsets->len / 8 != n + 1) {
        PyErr_SetString(PyExc_ValueError, "rpv2_register: a word list needs one offset more than words");
        return -1;
    }
    for (Py_ssize_t k = 0; k <= n; k++) {
        if (set->offsets[k] < 0 || set->offsets[k] > n_points || (k > 0 && set->offsets[k] < set->offsets[k - 1])) {
            PyErr_SetString(PyExc_ValueError, "rpv2_register: word offsets outside the word points");
            return -1;
        }
    }
    size_t capacity = 16;
    while (capacity < (size_t)n * 2 + 2) capacity <<= 1;
    set->mask = capacity - 1;
    set->slots = PyMem_Malloc(capacity * 16);
    if (set->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t c = 0; c < capacity; c++) set->slots[2 * c + 1] = -1;
    for (Py_ssize_t k = 0; k < n; k++) {
        uint64_t h = FNV_START;
        for (int64_t q = set->offsets[k]; q < set->offsets[k + 1]; q++) h = fnv_step(h, set->points[q]);
        h = finish_hash(h);
        size_t pos = (size_t)h & set->mask;
        while (set->slots[2 * pos + 1] >= 0) pos = (pos + 1) & set->mask;
        set->slots[2 * pos] = (int64_t)h;
        set->slots[2 * pos + 1] = k;
    }
    return 0;
}

/* The value of the string word[0:size] (FNV-1a hash h, not finished), 0 if not in the set. */
static inline int64_t word_set_value(const WordSet *set, uint64_t h, const uint32_t *word, Py_ssize_t size) {
    h = finish_hash(h);
    for (size_t pos = (size_t)h & set->mask; set->slots[2 * pos + 1] >= 0; pos = (pos + 1) & set->mask) {
        if (set->slots[2 * pos] != (int64_t)h) continue;
        const int64_t k = set->slots[2 * pos + 1];
        if (set->offsets[k + 1] - set->offsets[k] == size &&
            memcmp(set->points + set->offsets[k], word, (size_t)size * 4) == 0)
            return set->values[k];
    }
    return 0;
}

static inline int ends_with(const uint32_t *word, Py_ssize_t size, const char *ascii, Py_ssize_t n) {
    if (size < n) return 0;
    for (Py_ssize_t q = 0; q < n; q++)
        if (word[size - n + q] != (uint32_t)(unsigned char)ascii[q]) return 0;
    return 1;
}

static inline int starts_with(const uint32_t *word, Py_ssize_t size, const char *ascii, Py_ssize_t n) {
    if (size < n) return 0;
    for (Py_ssize_t q = 0; q < n; q++)
        if (word[q] != (uint32_t)(unsigned char)ascii[q]) return 0;
    return 1;
}

/* rpv2_register(chunks, flags, normalized_length, expansion_start, pool, ready, stop_points,
 *               stop_offsets, stop_masks, word_points, word_offsets, word_masks, counts, word_length,
 *               word_bits) -> str, or a list of blocks:
 * what RPv2 reads of each chunk of the list `chunks` (str, none holding white space), in one
 * pass. counts (chunks x (3 + languages) float64, row-major): nltk's WordPunct tokens (runs of
 * re's \w characters, or of other non-space characters), those str.isupper, those holding an
 * ASCII letter, then per language the \w tokens in its stop-word list (stop word k is
 * stop_points[stop_offsets[k]:stop_offsets[k + 1]], case-sensitive; bit j of stop_masks[k] marks
 * language j). The chunk's normalised word (ASCII punctuation deleted, str.lower, NFD) is its
 * characters' expansions (pool[expansion_start[c]:][:normalized_length[c]], or c itself where
 * expansion_start[c] is 0xFFFFFFFF), concatenated: NFD of a concatenation only reorders
 * combining marks across a character boundary, and str.lower differs from per-character
 * lowering only for capital sigma, so a chunk holding a character flagged RPV2_UNSAFE (either
 * case) is left to Python: its word_length is -1. Otherwise word_length is the word's length
 * (0: no word) and word_bits the word's mask in the word list (word_points/offsets/masks, as
 * the stop words), with RPV2_LOREM_END if it ends with "lorem" and RPV2_IPSUM_START if it
 * starts with "ipsum". Returns the non-empty words, each followed by "\n", as one str; or, when a
 * chunk holds a code point of a 4096-code-point block whose `ready` byte is 0 (its table entries
 * not computed yet), the list of those blocks and nothing else (compute them and call again). */
#define RPV2_STOP_LANGUAGES 5
#define RPV2_LOREM_END (1LL << 40)
#define RPV2_IPSUM_START (1LL << 41)

static PyObject *rpv2_register(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *chunk_list;
    Py_buffer views[14];
    if (!PyArg_ParseTuple(args, "Oy*y*y*y*y*y*y*y*y*y*y*w*w*w*", &chunk_list, &views[0], &views[1], &views[2],
                          &views[3], &views[13], &views[4], &views[5], &views[6], &views[7], &views[8], &views[9],
                          &views[10], &views[11], &views[12]))
        return NULL;
    PyObject *missing = NULL;
    const uint8_t *ready = views[13].buf;
    PyObject *result = NULL;
    WordSet stops = {NULL, 0, NULL, NULL, NULL}, listed = {NULL, 0, NULL, NULL, NULL};
    Buffer out = {NULL, 0, 0, sizeof(uint32_t)};
    PyObject *sequence = PySequence_Fast(chunk_list, "chunks must be a list of str");
    if (sequence == NULL) goto done;
    const Py_ssize_t chunks = PySequence_Fast_GET_SIZE(sequence);
    const uint8_t *flags = views[0].buf, *normalized_length = views[1].buf;
    const uint32_t *expansion_start = views[2].buf, *pool = views[3].buf;
    const Py_ssize_t table_size = views[0].len, pool_size = views[3].len / 4;
    double *counts = views[10].buf;
    int64_t *word_length = views[11].buf, *word_bits = views[12].buf;
    const Py_ssize_t width = 3 + RPV2_STOP_LANGUAGES;
    if (views[1].len != table_size || views[2].len != table_size * 4 || views[10].len != chunks * width * 8 ||
        views[11].len != chunks * 8 || views[12].len != chunks * 8 || views[13].len != (table_size >> 12) + 1) {
        PyErr_SetString(PyExc_ValueError, "rpv2_register: tables or outputs of unequal sizes");
        goto done;
    }
    if (word_set_init(&stops, &views[4], &views[5], &views[6]) < 0) goto done;
    if (word_set_init(&listed, &views[7], &views[8], &views[9]) < 0) goto done;
    const int any_stops = views[6].len > 0;
    for (Py_ssize_t chunk = 0; chunk < chunks; chunk++) {
        int kind;
        const void *data;
        Py_ssize_t n;
        if (unicode_item(sequence, chunk, "chunks", &kind, &data, &n) < 0) goto done;
        /* the chunk's code points, then room for its word: at most 4 code points a character */
        if (buffer_reserve(&out, 5 * n + 1) < 0) goto done;
        uint32_t *const raw = (uint32_t *)out.data + out.size + 4 * n + 1;
        for (Py_ssize_t i = 0; i < n; i++) {
            const Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if ((Py_ssize_t)c >= table_size) {
                PyErr_Format(PyExc_IndexError, "code point %lu is past the flag tables' %zd entries", (unsigned long)c,
                             table_size);
                goto done;
            }
            raw[i] = c;
            if (!ready[c >> 12]) {
                if (missing == NULL && (missing = PyList_New(0)) == NULL) goto done;
                PyObject *block = PyLong_FromUnsignedLong(c >> 12);
                const int present = block == NULL ? -1 : PySequence_Contains(missing, block);
                if (present < 0 || (present == 0 && PyList_Append(missing, block) < 0)) {
                    Py_XDECREF(block);
                    goto done;
                }
                Py_DECREF(block);
            }
        }
        if (missing != NULL) continue; /* only the blocks still missing are looked for now */
        double *row = counts + chunk * width;
        uint32_t *const word = (uint32_t *)out.data + out.size;
        Py_ssize_t size = 0;
        uint8_t all_flags = 0;
        int64_t tokens = 0, caps = 0, alpha = 0, stop[RPV2_STOP_LANGUAGES] = {0};
        Py_ssize_t i = 0;
        while (i < n) {
            const uint8_t kind_of_token = flags[raw[i]] & RPV2_WORD;
            const Py_ssize_t token_start = i;
            uint8_t seen = 0;
            uint64_t h = FNV_START;
            for (; i < n; i++) {
                const uint32_t c = raw[i];
                const uint8_t g = flags[c];
                if ((g & RPV2_WORD) != kind_of_token) break;
                seen |= g;
                h = fnv_step(h, c);
                const uint8_t length = normalized_length[c];
                if (length == 0) continue;
                const uint32_t start = expansion_start[c];
                if (start == 0xFFFFFFFFu) {
                    word[size++] = c;
                    continue;
                }
                if ((Py_ssize_t)start + length > pool_size || length > 4) {
                    PyErr_SetString(PyExc_IndexError, "rpv2_register: an expansion runs past the pool");
                    goto done;
                }
                for (uint8_t q = 0; q < length; q++) word[size++] = pool[start + q];
            }
            all_flags |= seen;
            tokens++;
            caps += (seen & RPV2_UPPER) && !(seen & RPV2_LOWER_OR_TITLE);
            alpha += (seen & RPV2_ASCII_LETTER) != 0;
            if (kind_of_token && any_stops) {
                const int64_t mask = word_set_value(&stops, h, raw + token_start, i - token_start);
                for (int j = 0; j < RPV2_STOP_LANGUAGES; j++) stop[j] += (mask >> j) & 1;
            }
        }
        row[0] = (double)tokens;
        row[1] = (double)caps;
        row[2] = (double)alpha;
        for (int j = 0; j < RPV2_STOP_LANGUAGES; j++) row[3 + j] = (double)stop[j];
        word_bits[chunk] = 0;
        if (all_flags & RPV2_UNSAFE) {
            word_length[chunk] = -1;
            continue;
        }
        word_length[chunk] = size;
        if (size == 0) continue;
        uint64_t h = FNV_START;
        for (Py_ssize_t q = 0; q < size; q++) h = fnv_step(h, word[q]);
        word_bits[chunk] = word_set_value(&listed, h, word, size) |
                           (ends_with(word, size, "lorem", 5) ? RPV2_LOREM_END : 0) |
                           (starts_with(word, size, "ipsum", 5) ? RPV2_IPSUM_START : 0);
        word[size] = 10;
        out.size += size + 1;
    }
    result = missing != NULL ? Py_NewRef(missing)
                             : PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out.data ? out.data : "", out.size);
done:
    Py_XDECREF(missing);
    PyMem_Free(stops.slots);
    PyMem_Free(listed.slots);
    PyMem_Free(out.data);
    Py_XDECREF(sequence);
    release_buffers(views, 14);
    return result;
}

static const uint8_t scan_special[128] = {['.'] = 1, ['!'] = 1, ['?'] = 1, ['#'] = 1, ['{'] = 1, ['}'] = 1};

/* One text of rpv2_texts (see there), its code points read as `kind`: the compiler makes one copy
 * per kind, so the per-character loop has no switch. Returns -1 on error. */
static inline __attribute__((always_inline)) int rpv2_scan_text(
    const int kind, const void *data, const Py_ssize_t n, const int64_t offset, const uint8_t *flags,
    const uint8_t *normalized_length, const uint8_t *normalized_numeric, const uint32_t *terminal,
    const Py_ssize_t n_terminal, const uint32_t *bullets, const Py_ssize_t n_bullets, Buffer *line_out,
    Buffer *flag_out, int64_t *text_counts, const uint8_t *ready, uint8_t *need) {
    int64_t sentences = 0, ellipsis = 0, hashes = 0, dot_triples = 0, curly = 0, breaks = 0;
    int state = 0;          /* sentence match: 0 searching, 1 in [^.!?]+, 2 in [.!?]* */
    int previous_word = 0;  /* \w status of the previous character (none: not \w) */
    int64_t dot_run = 0;    /* the length of the last run of '.' (it ends at last_dot) */
    Py_ssize_t last_dot = -2;
    Py_ssize_t i = 0;
    while (i < n) {
        if (buffer_reserve(&line_out[0], 1) < 0 || buffer_reserve(&line_out[1], 1) < 0 ||
            buffer_reserve(&line_out[2], 1) < 0 || buffer_reserve(&line_out[3], 1) < 0 ||
            buffer_reserve(&line_out[4], 1) < 0 || buffer_reserve(&line_out[5], 1) < 0 ||
            buffer_reserve(&flag_out[0], 1) < 0 || buffer_reserve(&flag_out[1], 1) < 0)
            return -1;
        const Py_ssize_t start = i;
        int64_t n_upper = 0, n_kept = 0, n_numerals = 0, n_words = 0;
        Py_UCS4 first = 0, last = 0;
        int any = 0, in_run = 0, run_punct = 1;
        for (; i < n; i++) {
            const Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (kind != PyUnicode_1BYTE_KIND) need[c >> 12] |= !ready[c >> 12]; /* values read are redone then */
            const uint8_t f = flags[c];
            n_upper += (f & RPV2_UPPER) != 0;
            n_kept += normalized_length[c];
            n_numerals += normalized_numeric[c];
            /* the few characters the counts look at: . ! ? # { } "\n" U+2026 */
            int is_stop = 0;
            if (c < 128 ? scan_special[c] : c == 0x2026) {
                if (c == '.') {
                    if (last_dot != i - 1) {
                        dot_triples += dot_run / 3;
                        dot_run = 0;
                    }
                    dot_run++;
                    last_dot = i;
                    is_stop = 1;
                } else {
                    is_stop = c == '!' || c == '?';
                    hashes += c == '#' || c == 0x2026;
                    curly += c == '{' || c == '}';
                }
            }
            /* the sentence pattern */
            const int word = (f & RPV2_WORD) != 0;
            if (state == 1) {
                if (is_stop) state = 2;
            } else if (state == 2 && !is_stop) {
                state = 0;
            }
            if (state == 0 && word != previous_word && !is_stop) {
                sentences++;
                state = 1;
            }
            previous_word = word;
            if (f & RPV2_SPACE) {
                if (in_run) n_words += !run_punct;
                in_run = 0;
                if (c == 10) {
                    breaks++;
                    i++;
                    break;
                }
            } else {
                if (!in_run) {
                    in_run = 1;
                    run_punct = 1;
                }
                run_punct &= (f & RPV2_ASCII_PUNCT) != 0;
                if (!any) first = c;
                any = 1;
                last = c;
            }
        }
        if (in_run) n_words += !run_punct;
        /* the last '.' read is `last` when that is a '.', so dot_run is the run ending there */
        ellipsis += any && (last == 0x2026 || (last == '.' && dot_run >= 3));
        ((int64_t *)line_out[0].data)[line_out[0].size++] = offset + start;
        ((int64_t *)line_out[1].data)[line_out[1].size++] = offset + i;
        ((int64_t *)line_out[2].data)[line_out[2].size++] = n_words;
        ((int64_t *)line_out[3].data)[line_out[3].size++] = n_upper;
        ((int64_t *)line_out[4].data)[line_out[4].size++] = n_kept;
        ((int64_t *)line_out[5].data)[line_out[5].size++] = n_numerals;
        flag_out[0].data[flag_out[0].size++] = (char)(any && in_codes(last, terminal, n_terminal));
        flag_out[1].data[flag_out[1].size++] = (char)(any && in_codes(first, bullets, n_bullets));
    }
    dot_triples += dot_run / 3;
    text_counts[0] = sentences;
    text_counts[1] = ellipsis;
    text_counts[2] = hashes + dot_triples;
    text_counts[3] = curly;
    text_counts[4] = breaks;
    return 0;
}

/* rpv2_texts(texts, flags, normalized_length, normalized_numeric, ready, terminal, bullets, counts)
 *   -> (starts, ends, words, upper, kept, numerals, terminal, bullet) bytearrays, or a list of blocks:
 * one pass over each str of `texts` for RPv2's per-text counts and per-line sums.
 * counts (5 x texts int64, row-major) receives per text: the matches of RPv2's sentence pattern
 * `\b[^.!?]+[.!?]*` (re.findall's count: a match starts at a word boundary before a character
 * other than . ! ?, runs to the next of them and through their run); the lines whose text,
 * less trailing white space other than "\n", ends with "..." or U+2026
 * (`(?:\.\.\.|\u2026)[^\S\n]*$` under re.MULTILINE); "#", "...", U+2026 as str.count counts them
 * (a run of k dots holds k / 3 non-overlapping "..."); "{" and "}"; "\n".
 * Lines: RPv2's lines of each text (`[^\n]*\n|[^\n]+$`, offsets into the texts joined; a line
 * keeps its "\n", an empty text has none) and their sums: normalised words (runs of non-space
 * characters not made of ASCII punctuation alone), upper-case characters, normalised length
 * and numerals, and whether the last / first non-space character is in `terminal` / `bullets`
 * (int64, the two flags uint8). The tables hold an entry for every code point; a text holding a
 * code point of a block whose `ready` byte is 0 makes it return the list of those blocks instead
 * (compute them and call again). */
static PyObject *rpv2_texts(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *text_list;
    Py_buffer views[7];
    if (!PyArg_ParseTuple(args, "Oy*y*y*y*y*y*w*", &text_list, &views[0], &views[1], &views[2], &views[3], &views[4],
                          &views[5], &views[6]))
        return NULL;
    PyObject *result = NULL, *missing = NULL;
    uint8_t *need = NULL;
    Buffer line_out[6], flag_out[2];
    for (int k = 0; k < 6; k++) line_out[k] = (Buffer){NULL, 0, 0, sizeof(int64_t)};
    for (int k = 0; k < 2; k++) flag_out[k] = (Buffer){NULL, 0, 0, 1};
    PyObject *sequence = PySequence_Fast(text_list, "texts must be a list of str");
    if (sequence == NULL) goto done;
    const Py_ssize_t n_texts = PySequence_Fast_GET_SIZE(sequence);
    const uint8_t *flags = views[0].buf, *normalized_length = views[1].buf, *normalized_numeric = views[2].buf;
    const uint8_t *ready = views[3].buf;
    const Py_ssize_t table_size = views[0].len;
    const uint32_t *terminal = views[4].buf, *bullets = views[5].buf;
    const Py_ssize_t n_terminal = views[4].len / 4, n_bullets = views[5].len / 4;
    int64_t *counts = views[6].buf;
    if (table_size != 0x110000 || views[1].len != table_size || views[2].len != table_size ||
        views[3].len != (table_size >> 12) + 1 || views[6].len != n_texts * 5 * 8) {
        PyErr_SetString(PyExc_ValueError, "rpv2_texts: tables (one entry a code point) or outputs of the wrong sizes");
        goto done;
    }
    const Py_ssize_t n_blocks = views[3].len;
    need = PyMem_Calloc((size_t)n_blocks, 1); /* blocks read whose tables are not ready */
    if (need == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t offset = 0;
    int stale = 0; /* a block read is not ready: the results will be dropped, only `need` matters */
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        int kind;
        const void *data;
        Py_ssize_t n;
        if (unicode_item(sequence, t, "texts", &kind, &data, &n) < 0) goto done;
        if (kind == PyUnicode_1BYTE_KIND && n > 0) need[0] |= !ready[0]; /* code points below 256 */
        if (!stale) {
            for (Py_ssize_t block = 0; block < n_blocks && !stale; block++) stale = need[block];
        }
        if (stale) { /* the caller builds the blocks and calls again: only find the rest of them */
            if (kind != PyUnicode_1BYTE_KIND) {
                for (Py_ssize_t i = 0; i < n; i++) {
                    const Py_UCS4 c = PyUnicode_READ(kind, data, i);
                    need[c >> 12] |= !ready[c >> 12];
                }
            }
            continue;
        }
        int64_t text_counts[5];
        int failed;
        switch (kind) {
        case PyUnicode_1BYTE_KIND:
            failed = rpv2_scan_text(PyUnicode_1BYTE_KIND, data, n, offset, flags, normalized_length, normalized_numeric,
                                    terminal, n_terminal, bullets, n_bullets, line_out, flag_out, text_counts, ready,
                                    need);
            break;
        case PyUnicode_2BYTE_KIND:
            failed = rpv2_scan_text(PyUnicode_2BYTE_KIND, data, n, offset, flags, normalized_length, normalized_numeric,
                                    terminal, n_terminal, bullets, n_bullets, line_out, flag_out, text_counts, ready,
                                    need);
            break;
        default:
            failed = rpv2_scan_text(PyUnicode_4BYTE_KIND, data, n, offset, flags, normalized_length, normalized_numeric,
                                    terminal, n_terminal, bullets, n_bullets, line_out, flag_out, text_counts, ready,
                                    need);
        }
        if (failed) goto done;
        for (int k = 0; k < 5; k++) counts[k * n_texts + t] = text_counts[k];
        offset += n;
    }
    for (Py_ssize_t block = 0; block < n_blocks; block++) {
        if (!need[block]) continue;
        if (missing == NULL && (missing = PyList_New(0)) == NULL) goto done;
        PyObject *number = PyLong_FromSsize_t(block);
        if (number == NULL || PyList_Append(missing, number) < 0) {
            Py_XDECREF(number);
            goto done;
        }
        Py_DECREF(number);
    }
    if (missing != NULL) {
        result = Py_NewRef(missing);
        goto done;
    }
    result = PyTuple_New(8);
    if (result == NULL) goto done;
    for (int k = 0; k < 8; k++) {
        PyObject *bytes = buffer_to_bytearray(k < 6 ? &line_out[k] : &flag_out[k - 6]);
        if (bytes == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyTuple_SET_ITEM(result, k, bytes);
    }
done:
    Py_XDECREF(missing);
    PyMem_Free(need);
    for (int k = 0; k < 6; k++) PyMem_Free(line_out[k].data);
    for (int k = 0; k < 2; k++) PyMem_Free(flag_out[k].data);
    Py_XDECREF(sequence);
    release_buffers(views, 7);
    return result;
}

/* rpv2_words(chunk_ids, per_text, chunk_word, word_length, word_bits, words, docs, lengths, doc_words,
 *            doc_chars) -> (words found, flagged positions as an int64 bytearray):
 * a batch's normalised words from its chunks in one pass. chunk_ids holds each text's chunk
 * ids in order (per_text[t] of them for text t); chunk_word[c] is chunk c's word id (-1: none).
 * words / docs / lengths (int64, room for one per chunk) receive each word's id, text and
 * length (word_length[id]); doc_words / doc_chars (one per text) the words and their characters
 * per text; the positions (indices into words) whose word_bits are not 0 are returned. */
static PyObject *rpv2_words(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer views[10];
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*w*w*w*w*w*", &views[0], &views[1], &views[2], &views[3], &views[4],
                          &views[5], &views[6], &views[7], &views[8], &views[9]))
        return NULL;
    PyObject *result = NULL;
    Buffer flagged = {NULL, 0, 0, sizeof(int64_t)};
    const int64_t *chunk_ids = views[0].buf, *per_text = views[1].buf, *chunk_word = views[2].buf,
                  *word_length = views[3].buf, *word_bits = views[4].buf;
    int64_t *words = views[5].buf, *docs = views[6].buf, *lengths = views[7].buf, *doc_words = views[8].buf,
            *doc_chars = views[9].buf;
    const Py_ssize_t n_ids = views[0].len / 8, n_texts = views[1].len / 8, n_chunks = views[2].len / 8,
                     n_words_known = views[3].len / 8;
    if (views[4].len != views[3].len || views[5].len / 8 < n_ids || views[6].len / 8 < n_ids ||
        views[7].len / 8 < n_ids || views[8].len / 8 != n_texts || views[9].len / 8 != n_texts) {
        PyErr_SetString(PyExc_ValueError, "rpv2_words: arrays of the wrong sizes");
        goto done;
    }
    Py_ssize_t j = 0, n = 0;
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        if (per_text[t] < 0 || j + per_text[t] > n_ids) {
            PyErr_SetString(PyExc_ValueError, "rpv2_words: per_text adds up to more than the chunk ids");
            goto done;
        }
        int64_t count = 0, chars = 0;
        for (const Py_ssize_t stop = j + per_text[t]; j < stop; j++) {
            const int64_t chunk = chunk_ids[j];
            if (chunk < 0 || chunk >= n_chunks) {
                PyErr_SetString(PyExc_IndexError, "rpv2_words: a chunk id outside chunk_word");
                goto done;
            }
            const int64_t word = chunk_word[chunk];
            if (word < 0) continue;
            if (word >= n_words_known) {
                PyErr_SetString(PyExc_IndexError, "rpv2_words: a word id outside word_length");
                goto done;
            }
            if (word_bits[word]) {
                if (buffer_reserve(&flagged, 1) < 0) goto done;
                ((int64_t *)flagged.data)[flagged.size++] = n;
            }
            words[n] = word;
            docs[n] = t;
            lengths[n] = word_length[word];
            chars += word_length[word];
            count++;
            n++;
        }
        doc_words[t] = count;
        doc_chars[t] = chars;
    }
    {
        PyObject *positions = buffer_to_bytearray(&flagged);
        if (positions != NULL) result = Py_BuildValue("nN", n, positions);
    }
done:
    PyMem_Free(flagged.data);
    release_buffers(views, 10);
    return result;
}

/* set_columns(targets, names, columns): targets[i][names[k]] = columns[k][i] for every i and k
 * (targets: a list of dicts; columns: one list per name, each as long as targets). A dict at a
 * time, all its keys: the per-segment values of an annotator without a Python call a value. */
static PyObject *set_columns(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *targets, *names, *columns;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyList_Type, &targets, &PyTuple_Type, &names, &PyList_Type, &columns))
        return NULL;
    const Py_ssize_t n = PyList_GET_SIZE(targets), width = PyTuple_GET_SIZE(names);
    if (PyList_GET_SIZE(columns) != width) {
        PyErr_SetString(PyExc_ValueError, "set_columns: one column per name");
        return NULL;
    }
    for (Py_ssize_t k = 0; k < width; k++) {
        PyObject *column = PyList_GET_ITEM(columns, k);
        if (!PyList_Check(column) || PyList_GET_SIZE(column) != n) {
            PyErr_SetString(PyExc_ValueError, "set_columns: each column is a list as long as targets");
            return NULL;
        }
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *target = PyList_GET_ITEM(targets, i);
        if (!PyDict_Check(target)) {
            PyErr_Format(PyExc_TypeError, "set_columns: targets[%zd] is %.100s, not dict", i, Py_TYPE(target)->tp_name);
            return NULL;
        }
        for (Py_ssize_t k = 0; k < width; k++) {
            if (PyDict_SetItem(target, PyTuple_GET_ITEM(names, k), PyList_GET_ITEM(PyList_GET_ITEM(columns, k), i)) < 0)
                return NULL;
        }
    }
    Py_RETURN_NONE;
}

/* size_counts(texts, starts, ends, per_text, out): for signals.size, in one pass over each text
 * and each of its spans. out (int64, 2 * texts + spans) receives per text its str.split() word
 * count, then per text its non-blank lines (pieces of text.split("\n") holding a character that
 * is not white space, as line.strip() sees it), then per span text[start:end]'s str.split() word
 * count. Spans (int64 starts / ends, 0 <= start, end) are per_text[t] for text t in order; a
 * span reaching past its text is cut at the end as slicing cuts it. White space is str.split's. */
#define DEFINE_SIZE_TEXT(NAME, T)                                                                         \
    static void NAME(const T *data, Py_ssize_t n, int64_t *words, int64_t *lines) {                       \
        int64_t w = 0, l = 0;                                                                             \
        int in_word = 0, filled = 0;                                                                      \
        for (Py_ssize_t i = 0; i < n; i++) {                                                              \
            const Py_UCS4 c = data[i];                                                                    \
            const int space = is_separator(SPLIT_WHITESPACE, c);                                          \
            w += !space && !in_word;                                                                      \
            in_word = !space;                                                                             \
            if (c == '\n') {                                                                              \
                l += filled;                                                                              \
                filled = 0;                                                                               \
            } else {                                                                                      \
                filled |= !space;                                                                         \
            }                                                                                             \
        }                                                                                                 \
        *words = w;                                                                                       \
        *lines = l + filled;                                                                              \
    }

DEFINE_SIZE_TEXT(size_text_1, Py_UCS1)
DEFINE_SIZE_TEXT(size_text_2, Py_UCS2)
DEFINE_SIZE_TEXT(size_text_4, Py_UCS4)

static int64_t span_words(int kind, const void *data, Py_ssize_t start, Py_ssize_t end) {
    int64_t w = 0;
    int in_word = 0;
    for (Py_ssize_t i = start; i < end; i++) {
        const int space = is_separator(SPLIT_WHITESPACE, PyUnicode_READ(kind, data, i));
        w += !space && !in_word;
        in_word = !space;
    }
    return w;
}

static PyObject *size_counts(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *text_list;
    Py_buffer views[4];
    if (!PyArg_ParseTuple(args, "Oy*y*y*w*", &text_list, &views[0], &views[1], &views[2], &views[3])) return NULL;
    PyObject *result = NULL;
    PyObject *sequence = PySequence_Fast(text_list, "texts must be a list of str");
    if (sequence == NULL) goto done;
    const Py_ssize_t n_texts = PySequence_Fast_GET_SIZE(sequence);
    const int64_t *starts = views[0].buf, *ends = views[1].buf, *per_text = views[2].buf;
    int64_t *out = views[3].buf;
    const Py_ssize_t n_spans = views[0].len / 8;
    if (views[1].len != views[0].len || views[2].len != n_texts * 8 || views[3].len != (2 * n_texts + n_spans) * 8) {
        PyErr_SetString(PyExc_ValueError, "size_counts: arrays of the wrong sizes");
        goto done;
    }
    Py_ssize_t span = 0;
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        int kind;
        const void *data;
        Py_ssize_t n;
        if (unicode_item(sequence, t, "texts", &kind, &data, &n) < 0) goto done;
        if (kind == PyUnicode_1BYTE_KIND) {
            size_text_1(data, n, &out[t], &out[n_texts + t]);
        } else if (kind == PyUnicode_2BYTE_KIND) {
            size_text_2(data, n, &out[t], &out[n_texts + t]);
        } else {
            size_text_4(data, n, &out[t], &out[n_texts + t]);
        }
        if (per_text[t] < 0 || per_text[t] > n_spans - span) {
            PyErr_SetString(PyExc_ValueError, "size_counts: per_text names more spans than given");
            goto done;
        }
        for (int64_t k = 0; k < per_text[t]; k++, span++) {
            if (starts[span] < 0 || ends[span] < 0) {
                PyErr_SetString(PyExc_ValueError, "size_counts: negative span bounds");
                goto done;
            }
            const Py_ssize_t start = starts[span] < n ? (Py_ssize_t)starts[span] : n;
            const Py_ssize_t end = ends[span] < n ? (Py_ssize_t)ends[span] : n;
            out[2 * n_texts + span] = span_words(kind, data, start, end);
        }
    }
    if (span != n_spans) {
        PyErr_SetString(PyExc_ValueError, "size_counts: per_text names fewer spans than given");
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(sequence);
    release_buffers(views, 4);
    return result;
}

static PyMethodDef module_methods[] = {
    {"size_counts", size_counts, METH_VARARGS,
     "size_counts(texts, starts, ends, per_text, out): per text its str.split() words and non-blank lines,\n"
     "per span its str.split() words (int64 arrays; see the comment above the kernel)."},
    {"set_columns", set_columns, METH_VARARGS,
     "set_columns(targets, names, columns): targets[i][names[k]] = columns[k][i] (a list of dicts, a tuple of\n"
     "names, a list of equally long lists)."},
    {"rpv2_words", rpv2_words, METH_VARARGS,
     "rpv2_words(chunk_ids, per_text, chunk_word, word_length, word_bits, words, docs, lengths, doc_words,\n"
     "doc_chars) -> (words, flagged positions): a batch's normalised words from its chunks, in one pass."},
    {"rpv2_texts", rpv2_texts, METH_VARARGS,
     "rpv2_texts(texts, flags, normalized_length, normalized_numeric, ready, terminal, bullets, counts) ->\n"
     "(starts, ends, words, upper, kept, numerals, terminal, bullet): RPv2's per-text counts (into counts,\n"
     "5 x texts int64) and lines with their sums (bytearrays), in one pass over each str."},
    {"rpv2_register", rpv2_register, METH_VARARGS,
     "rpv2_register(chunks, flags, normalized_length, expansion_start, pool, ready, stop_points, stop_offsets,\n"
     "stop_masks, word_points, word_offsets, word_masks, counts, word_length, word_bits) -> str: per chunk,\n"
     "WordPunct token, caps, ASCII-letter and stop-word counts, its normalised word's length and list bits\n"
     "(the words, newline-terminated, returned as one str)."},
    {"ngram_numerators", ngram_numerators, METH_VARARGS,
     "ngram_numerators(ids, lengths, docs, gram, group_counts, span, top, dupe): RPv2's top (n=2..4) and\n"
     "duplicated (n=5..10) n-gram character numerators per document, into zeroed int64 arrays."},
    {"group_words", group_words, METH_VARARGS,
     "group_words(ids, docs, span, inverse, counts, group_docs) -> groups: distinct (document, id) pairs\n"
     "numbered in sorted order (int64 arrays; documents non-decreasing)."},
    {"fasttext_ngrams", fasttext_ngrams, METH_VARARGS,
     "fasttext_ngrams(words, minn, maxn, bucket) -> (owner, bucket_id): fastText's character n-gram\n"
     "buckets of each wrapped word (bytes), in fastText's order; int64 bytearrays."},
    {"greedy_repeats", greedy_repeats, METH_VARARGS,
     "greedy_repeats(at, group, first_at, chars, doc, n, groups, positions, out): datatrove's greedy\n"
     "duplicate n-gram scan over candidate occurrences (int64 arrays, position order); adds each\n"
     "document's repeated characters into out (int64 per document)."},
    {"row_sums", row_sums, METH_VARARGS,
     "row_sums(ids, counts, table, width, out): per text, the sum of the float64 table rows (width\n"
     "columns) named by its int64 ids, written into out (len(counts) x width float64)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "thresher._native",
    .m_doc = "Compiled kernels of Thresher's signal hot path.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__native(void) {
    for (int c = 0; c < 256; c++) {
        separators[SPLIT_WHITESPACE][c] = (unsigned char)(Py_UNICODE_ISSPACE((Py_UCS4)c) ? 1 : 0);
        separators[SPLIT_FASTTEXT][c] = (unsigned char)(strchr(" \n\r\t\v\f", c) != NULL && c != 0);
    }
    separators[SPLIT_FASTTEXT][0] = 1; /* fastText's readWord also stops at NUL */
    for (Py_UCS4 c = 256; c < 0x110000; c++) {
        if (Py_UNICODE_ISSPACE(c)) {
            first_wide_space = c;
            break;
        }
    }
    if (PyType_Ready(&TokenTableType) < 0) return NULL;
    PyObject *module = PyModule_Create(&native_module);
    if (module == NULL) return NULL;
    if (PyModule_AddObjectRef(module, "TokenTable", (PyObject *)&TokenTableType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
