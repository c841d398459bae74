/* thresher._native_safety: the per-segment loops of the safety, typo and PII annotators, in C.
 *
 * Why: these annotators read every segment of every document (25,000 segments for 690 crawl
 * documents) with a regex or a NumPy pass per question; `re` scans at ~25 MB/s whether it runs
 * once per segment or over the joined batch, and each NumPy step walks the whole batch again.
 * Here each question is one pass over each segment's str (read in place, no copy):
 *
 * - prefilters (adult terms, clickbait stems, host hints): they may only answer "maybe" where
 *   the Python test says "no", never the reverse, and the exact Python code runs on every
 *   "maybe", so a conservative answer costs time, never a value;
 * - exact counts with the regexes' own semantics (typo words with an exact vocabulary set,
 *   spam handles, headline runs, scripts and stop words; the PII scans' match positions);
 * - the toxicity model's hashed n-gram features gathered and summed with the same float
 *   additions in the same order as NumPy (bit-equal logits);
 * - per-segment signal writes a column at a time.
 *
 * The module is optional: without it (or with THRESHER_NATIVE=0) the same definitions run in
 * Python/NumPy (see thresher.safety.common.native_safety), and tests/safety/test_native_safety.py
 * checks both give identical values on hand-made, random and real crawl text.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_LITERALS 1024

/* The characters of str.lower() that are ASCII, one character of the text at a time: an
 * ASCII character lower-cases to its ASCII lower case, the Kelvin sign (U+212A) to "k";
 * U+0130 ("İ") lower-cases to "i" and a combining dot (FOLD_UNSURE: the caller answers
 * "maybe" for the whole text); every other character lower-cases to non-ASCII characters
 * (checked over all code points in the tests) and folds to 0, which no literal holds. */
#define FOLD_UNSURE 0x100

static inline unsigned fold(Py_UCS4 c) {
    if (c < 128) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c == 0x212A) return 'k';
    if (c == 0x130) return FOLD_UNSURE;
    return 0;
}

/* Under re.IGNORECASE, `[a-z]` also matches these four non-ASCII letters (and no other
 * non-ASCII character; checked in the tests). */
static inline int ignorecase_ascii_letter(Py_UCS4 c) {
    if (c < 128) return (c | 32) >= 'a' && (c | 32) <= 'z';
    return c == 0x130 || c == 0x131 || c == 0x17F || c == 0x212A;
}

static inline int ignorecase_ascii_alnum(Py_UCS4 c) {
    return (c >= '0' && c <= '9') || ignorecase_ascii_letter(c);
}

static inline int ascii_upper(Py_UCS4 c) { return c >= 'A' && c <= 'Z'; }
static inline int ascii_lower(Py_UCS4 c) { return c >= 'a' && c <= 'z'; }
static inline int ascii_alnum(Py_UCS4 c) { return ascii_upper(c) || ascii_lower(c) || (c >= '0' && c <= '9'); }

/* The literals, indexed for the scan: `single[f]` when a one-character literal is f, `pair[a][b]`
 * when some longer literal starts with a then b, and the literals starting with byte f in
 * `items[start[f] : start[f + 1]]`. */
typedef struct {
    const char *literals[MAX_LITERALS];
    Py_ssize_t sizes[MAX_LITERALS];
    int start[258];
    int items[MAX_LITERALS];
    unsigned char single[128];
    unsigned char pair[128][128];
    /* The same two tests on raw Latin-1 code points (a str of kind 1 holds no "İ" or Kelvin sign). */
    unsigned char single1[256];
    unsigned char pair1[256][256];
} Literals;

/* Whether `text.lower()` may hold one of the literals (all lower-case ASCII, non-empty), for
 * one str storage kind: every position whose folded character and the next one start a
 * literal is compared with the literals that start there. */
#define MAY_HOLD(NAME, TYPE)                                                                       \
    static int NAME(const TYPE *data, Py_ssize_t n, const Literals *lit) {                         \
        for (Py_ssize_t i = 0; i < n; i++) {                                                       \
            unsigned f = fold(data[i]);                                                            \
            if (f == FOLD_UNSURE) return 1;                                                        \
            if (f == 0) continue;                                                                  \
            if (lit->single[f]) return 1;                                                          \
            if (i + 1 >= n) break;                                                                 \
            unsigned g = fold(data[i + 1]);                                                        \
            if (g == 0 || g == FOLD_UNSURE || !lit->pair[f][g]) continue;                          \
            for (int b = lit->start[f]; b < lit->start[f + 1]; b++) {                              \
                int k = lit->items[b];                                                             \
                Py_ssize_t size = lit->sizes[k];                                                   \
                if (i + size > n || (unsigned char)lit->literals[k][1] != g) continue;             \
                Py_ssize_t j = 2;                                                                  \
                while (j < size && fold(data[i + j]) == (unsigned char)lit->literals[k][j]) j++;   \
                if (j == size) return 1;                                                           \
            }                                                                                      \
        }                                                                                          \
        return 0;                                                                                  \
    }

MAY_HOLD(may_hold_2, Py_UCS2)
MAY_HOLD(may_hold_4, Py_UCS4)

/* MAY_HOLD for a str of kind 1, its first two tests read off the raw-byte tables. */
static int may_hold_1(const Py_UCS1 *data, Py_ssize_t n, const Literals *lit) {
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS1 a = data[i];
        if (lit->single1[a]) return 1;
        if (i + 1 >= n) break;
        if (!lit->pair1[a][data[i + 1]]) continue;
        unsigned f = fold(a), g = fold(data[i + 1]);
        for (int b = lit->start[f]; b < lit->start[f + 1]; b++) {
            int k = lit->items[b];
            Py_ssize_t size = lit->sizes[k];
            if (i + size > n || (unsigned char)lit->literals[k][1] != g) continue;
            Py_ssize_t j = 2;
            while (j < size && fold(data[i + j]) == (unsigned char)lit->literals[k][j]) j++;
            if (j == size) return 1;
        }
    }
    return 0;
}

static int text_may_hold(PyObject *text, const Literals *lit) {
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    switch (PyUnicode_KIND(text)) {
        case PyUnicode_1BYTE_KIND: return may_hold_1((const Py_UCS1 *)data, n, lit);
        case PyUnicode_2BYTE_KIND: return may_hold_2((const Py_UCS2 *)data, n, lit);
        default: return may_hold_4((const Py_UCS4 *)data, n, lit);
    }
}

static PyObject *literal_candidates(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *texts, *literal_seq;
    if (!PyArg_ParseTuple(args, "O!O", &PyList_Type, &texts, &literal_seq)) return NULL;
    PyObject *literal_list = PySequence_Fast(literal_seq, "literals must be a sequence of bytes");
    if (literal_list == NULL) return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(literal_list);
    Literals *lit = PyMem_Calloc(1, sizeof(Literals));
    PyObject *result = NULL;
    if (lit == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (count > MAX_LITERALS) {
        PyErr_Format(PyExc_ValueError, "at most %d literals", MAX_LITERALS);
        goto done;
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *item = PySequence_Fast_GET_ITEM(literal_list, k);
        if (!PyBytes_Check(item) || PyBytes_GET_SIZE(item) == 0) {
            PyErr_Format(PyExc_TypeError, "literal %zd is not a non-empty bytes object", k);
            goto done;
        }
        const char *literal = PyBytes_AS_STRING(item);
        Py_ssize_t size = PyBytes_GET_SIZE(item);
        for (Py_ssize_t j = 0; j < size; j++) {
            unsigned char c = (unsigned char)literal[j];
            if (c == 0 || c >= 128 || (c >= 'A' && c <= 'Z')) {
                PyErr_Format(PyExc_ValueError, "literal %zd is not lower-case ASCII without NUL", k);
                goto done;
            }
        }
        lit->literals[k] = literal;
        lit->sizes[k] = size;
        unsigned char first = (unsigned char)literal[0];
        if (size == 1)
            lit->single[first] = 1;
        else
            lit->pair[first][(unsigned char)literal[1]] = 1;
        lit->start[first + 2]++;
    }
    for (int a = 0; a < 256; a++) {
        unsigned f = fold((Py_UCS4)a);
        lit->single1[a] = f && lit->single[f];
        for (int b = 0; b < 256; b++) {
            unsigned g = fold((Py_UCS4)b);
            lit->pair1[a][b] = f && g && lit->pair[f][g];
        }
    }
    /* Counting sort of the literals by first byte: bucket f is items[start[f] : start[f + 1]]. */
    for (int f = 2; f < 258; f++) lit->start[f] += lit->start[f - 1];
    for (Py_ssize_t k = 0; k < count; k++) lit->items[lit->start[(unsigned char)lit->literals[k][0] + 1]++] = (int)k;
    Py_ssize_t n = PyList_GET_SIZE(texts);
    result = PyBytes_FromStringAndSize(NULL, n);
    if (result == NULL) goto done;
    char *out = PyBytes_AS_STRING(result);
    for (Py_ssize_t t = 0; t < n; t++) {
        PyObject *text = PyList_GET_ITEM(texts, t);
        if (!PyUnicode_Check(text)) {
            PyErr_Format(PyExc_TypeError, "text %zd is not a str", t);
            Py_CLEAR(result);
            goto done;
        }
        out[t] = (char)text_may_hold(text, lit);
    }
done:
    PyMem_Free(lit);
    Py_DECREF(literal_list);
    return result;
}

static PyObject *host_hint_candidates(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *texts;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &texts)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(texts);
    PyObject *result = PyBytes_FromStringAndSize(NULL, n);
    if (result == NULL) return NULL;
    char *out = PyBytes_AS_STRING(result);
    for (Py_ssize_t t = 0; t < n; t++) {
        PyObject *text = PyList_GET_ITEM(texts, t);
        if (!PyUnicode_Check(text)) {
            Py_DECREF(result);
            return PyErr_Format(PyExc_TypeError, "text %zd is not a str", t);
        }
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        Py_ssize_t size = PyUnicode_GET_LENGTH(text);
        char hit = 0;
        for (Py_ssize_t i = 1; i + 1 < size && !hit; i++) {
            if (PyUnicode_READ(kind, data, i) == '.' && ignorecase_ascii_alnum(PyUnicode_READ(kind, data, i - 1)) &&
                ignorecase_ascii_letter(PyUnicode_READ(kind, data, i + 1)))
                hit = 1;
        }
        out[t] = hit;
    }
    return result;
}

/* ---- typo rate: words of signals/typo.py's `_WORD` and an exact set of vocabulary words ---- */

/* The vocabulary: open addressing over (hash, offset, length) into one UCS4 buffer, so a word
 * of the text is looked up from its code points with no str object; equal hashes are
 * confirmed by comparing the code points, so the answer is exactly `word in vocabulary`. */
typedef struct {
    uint64_t hash;
    Py_ssize_t offset; /* -1: empty */
    Py_ssize_t length;
} VocabSlot;

typedef struct {
    VocabSlot *slots;
    size_t mask;
    Py_UCS4 *chars;
} Vocabulary;

#define VOCABULARY_CAPSULE "thresher._native_safety.Vocabulary"

static inline uint64_t hash_step(uint64_t h, Py_UCS4 c) { return (h ^ (uint64_t)c) * 0x100000001b3ULL; }

static inline uint64_t hash_finish(uint64_t h) {
    h ^= h >> 31;
    h *= 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
}

static void vocabulary_free(PyObject *capsule) {
    Vocabulary *v = PyCapsule_GetPointer(capsule, VOCABULARY_CAPSULE);
    if (v == NULL) return;
    PyMem_Free(v->slots);
    PyMem_Free(v->chars);
    PyMem_Free(v);
}

static PyObject *vocabulary(PyObject *self, PyObject *arg) {
    (void)self;
    PyObject *words = PySequence_Fast(arg, "vocabulary(words): a sequence of str");
    if (words == NULL) return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(words), total = 0;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *word = PySequence_Fast_GET_ITEM(words, k);
        if (!PyUnicode_Check(word)) {
            Py_DECREF(words);
            return PyErr_Format(PyExc_TypeError, "word %zd is not a str", k);
        }
        total += PyUnicode_GET_LENGTH(word);
    }
    size_t size = 16;
    while (size < (size_t)count * 2 + 16) size <<= 1;
    Vocabulary *v = PyMem_Calloc(1, sizeof(Vocabulary));
    if (v != NULL) {
        v->slots = PyMem_Malloc(size * sizeof(VocabSlot));
        v->chars = PyMem_Malloc((size_t)(total + 1) * sizeof(Py_UCS4));
    }
    if (v == NULL || v->slots == NULL || v->chars == NULL) {
        if (v != NULL) {
            PyMem_Free(v->slots);
            PyMem_Free(v->chars);
            PyMem_Free(v);
        }
        Py_DECREF(words);
        return PyErr_NoMemory();
    }
    v->mask = size - 1;
    for (size_t i = 0; i < size; i++) v->slots[i].offset = -1;
    Py_ssize_t offset = 0;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *word = PySequence_Fast_GET_ITEM(words, k);
        Py_ssize_t length = PyUnicode_GET_LENGTH(word);
        int kind = PyUnicode_KIND(word);
        const void *data = PyUnicode_DATA(word);
        uint64_t h = 0xcbf29ce484222325ULL;
        for (Py_ssize_t j = 0; j < length; j++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, j);
            v->chars[offset + j] = c;
            h = hash_step(h, c);
        }
        h = hash_finish(h);
        size_t i = (size_t)h & v->mask;
        int duplicate = 0;
        while (v->slots[i].offset >= 0) {
            VocabSlot *slot = &v->slots[i];
            if (slot->hash == h && slot->length == length &&
                memcmp(v->chars + slot->offset, v->chars + offset, (size_t)length * sizeof(Py_UCS4)) == 0) {
                duplicate = 1;
                break;
            }
            i = (i + 1) & v->mask;
        }
        if (!duplicate) {
            v->slots[i].hash = h;
            v->slots[i].offset = offset;
            v->slots[i].length = length;
            offset += length;
        }
    }
    Py_DECREF(words);
    PyObject *capsule = PyCapsule_New(v, VOCABULARY_CAPSULE, vocabulary_free);
    if (capsule == NULL) {
        PyMem_Free(v->slots);
        PyMem_Free(v->chars);
        PyMem_Free(v);
    }
    return capsule;
}

static int vocabulary_holds(const Vocabulary *v, uint64_t h, const Py_UCS4 *word, Py_ssize_t length) {
    size_t i = (size_t)h & v->mask;
    while (v->slots[i].offset >= 0) {
        const VocabSlot *slot = &v->slots[i];
        if (slot->hash == h && slot->length == length &&
            memcmp(v->chars + slot->offset, word, (size_t)length * sizeof(Py_UCS4)) == 0)
            return 1;
        i = (i + 1) & v->mask;
    }
    return 0;
}

/* `\w` and `[^\W\d_]` of `re` on str: str.isalnum() or "_", and str.isalnum() without decimals
 * and "_" (the same predicates `re` calls); for ASCII from tables filled at import. */
static unsigned char ascii_word[128], ascii_letter[128];

static inline int unicode_word_char(Py_UCS4 c) {
    return c == '_' || Py_UNICODE_ISALPHA(c) || Py_UNICODE_ISDECIMAL(c) || Py_UNICODE_ISDIGIT(c) ||
           Py_UNICODE_ISNUMERIC(c);
}

static inline int is_word_char(Py_UCS4 c) { return c < 128 ? ascii_word[c] : unicode_word_char(c); }

static inline int is_letter(Py_UCS4 c) {
    return c < 128 ? ascii_letter[c] : !Py_UNICODE_ISDECIMAL(c) && unicode_word_char(c);
}

/* The words of data[from:to] (`_WORD` of signals/typo.py: a letter run, then "'" and a letter
 * run as long as the "'" is not "'s" at a word end; then "'s" at a word end is skipped, not part
 * of the word), counted, and those not in the vocabulary. `word` has room for to - from. */
static void typo_range(int kind, const void *data, Py_ssize_t from, Py_ssize_t to, const Vocabulary *v, Py_UCS4 *word,
                       int64_t *words_out, int64_t *unknown_out) {
    int64_t words = 0, unknown = 0;
    Py_ssize_t i = from;
    while (i < to) {
        if (!is_letter(PyUnicode_READ(kind, data, i))) {
            i++;
            continue;
        }
        Py_ssize_t length = 0;
        uint64_t h = 0xcbf29ce484222325ULL;
        for (;;) {
            while (i < to) {
                Py_UCS4 c = PyUnicode_READ(kind, data, i);
                if (!is_letter(c)) break;
                word[length++] = c;
                h = hash_step(h, c);
                i++;
            }
            if (i + 1 >= to || PyUnicode_READ(kind, data, i) != '\'') break;
            Py_UCS4 next = PyUnicode_READ(kind, data, i + 1);
            int s_at_end = next == 's' && (i + 2 >= to || !is_word_char(PyUnicode_READ(kind, data, i + 2)));
            if (s_at_end) {
                i += 2;
                break;
            }
            if (!is_letter(next)) break;
            word[length++] = '\'';
            h = hash_step(h, '\'');
            i++;
        }
        words++;
        unknown += !vocabulary_holds(v, hash_finish(h), word, length);
    }
    *words_out = words;
    *unknown_out = unknown;
}

static PyObject *typo_counts(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *texts, *capsule;
    if (!PyArg_ParseTuple(args, "O!O", &PyList_Type, &texts, &capsule)) return NULL;
    Vocabulary *v = PyCapsule_GetPointer(capsule, VOCABULARY_CAPSULE);
    if (v == NULL) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(texts);
    PyObject *result = PyBytes_FromStringAndSize(NULL, n * 2 * (Py_ssize_t)sizeof(int64_t));
    if (result == NULL) return NULL;
    int64_t *out = (int64_t *)PyBytes_AS_STRING(result);
    Py_UCS4 *word = NULL;
    Py_ssize_t word_room = 0;
    for (Py_ssize_t t = 0; t < n; t++) {
        PyObject *text = PyList_GET_ITEM(texts, t);
        if (!PyUnicode_Check(text)) {
            PyMem_Free(word);
            Py_DECREF(result);
            return PyErr_Format(PyExc_TypeError, "text %zd is not a str", t);
        }
        Py_ssize_t size = PyUnicode_GET_LENGTH(text);
        if (size > word_room) {
            PyMem_Free(word);
            word_room = size;
            word = PyMem_Malloc((size_t)size * sizeof(Py_UCS4));
            if (word == NULL) {
                Py_DECREF(result);
                return PyErr_NoMemory();
            }
        }
        typo_range(PyUnicode_KIND(text), PyUnicode_DATA(text), 0, size, v, word, &out[2 * t], &out[2 * t + 1]);
    }
    PyMem_Free(word);
    return result;
}

/* ---- toxicity: the last steps of features.normalized_codes ---- */

/* From the batch text after its link and mention substitutions: the apostrophes and quotes
 * ("’", "‘", "`", "'") removed, every code point that is neither str.isalnum() nor NUL made a
 * space, then a space after a space dropped and a code point equal to its two predecessors
 * dropped (both tests on the sequence before any drop, as the NumPy masks are). Returns the
 * kept code points as uint32 bytes. */
static PyObject *normalize_tail(PyObject *self, PyObject *text) {
    (void)self;
    if (!PyUnicode_Check(text)) return PyErr_Format(PyExc_TypeError, "normalize_tail: a str");
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *result = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(uint32_t));
    if (result == NULL) return NULL;
    uint32_t *out = (uint32_t *)PyBytes_AS_STRING(result);
    Py_ssize_t kept = 0, seen = 0;
    uint32_t previous = 0, before = 0; /* the two mapped code points before this one */
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == 0x2019 || c == 0x2018 || c == '`' || c == '\'') continue;
        uint32_t m = (c == 0 || (c < 128 ? ascii_alnum(c) : Py_UNICODE_ISALNUM(c))) ? (uint32_t)c : 32;
        int drop = (seen >= 1 && m == 32 && previous == 32) || (seen >= 2 && m == previous && previous == before);
        if (!drop) out[kept++] = m;
        before = previous;
        previous = m;
        seen++;
    }
    if (_PyBytes_Resize(&result, kept * (Py_ssize_t)sizeof(uint32_t)) < 0) return NULL;
    return result;
}

/* ---- toxicity: hashed character n-grams, their weight rows added position by position ---- */

#define NGRAM_PRIME 1099511628211ULL
#define NGRAM_MIX 0x9E3779B97F4A7C15ULL
#define NGRAM_CHUNK 64
#define NGRAM_MAX_N 16

/* features.py's character blocks and ToxicityModel.scores' `summed[:m] += table[slots]`, fused:
 * for each position i and each n in [n_min, n_max] with i + n <= size (in order of n), the
 * polynomial hash of codes[i : i + n] (uint64, wrapping), its slot ((hash + n) * MIX) >> shift
 * (the padding slot `pad` when the n-gram would reach the next NUL), and out[i] += table[slot]
 * in float32: the same additions, in the same order, as NumPy's, without the per-n hash,
 * slot and gathered-row arrays. Slots are computed a chunk ahead and their rows prefetched:
 * the table (megabytes) does not fit the cache, and the gathers are what costs. */
static PyObject *char_ngram_sums(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *out_obj, *table_obj, *codes_obj;
    Py_ssize_t heads, n_min, n_max, shift;
    unsigned long long pad;
    if (!PyArg_ParseTuple(args, "OOOnnnnK", &out_obj, &table_obj, &codes_obj, &heads, &n_min, &n_max, &shift, &pad))
        return NULL;
    if (heads <= 0 || n_min < 1 || n_max < n_min || n_max > NGRAM_MAX_N || shift < 1 || shift > 63)
        return PyErr_Format(PyExc_ValueError, "char_ngram_sums: bad layout");
    Py_buffer out, table, codes;
    if (PyObject_GetBuffer(out_obj, &out, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) return NULL;
    if (PyObject_GetBuffer(table_obj, &table, PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&out);
        return NULL;
    }
    if (PyObject_GetBuffer(codes_obj, &codes, PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&out);
        PyBuffer_Release(&table);
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t row = heads * (Py_ssize_t)sizeof(float);
    Py_ssize_t size = codes.len / (Py_ssize_t)sizeof(uint64_t);
    uint64_t rows = (uint64_t)(table.len / row);
    Py_ssize_t positions = size - n_min + 1; /* positions that start at least one n-gram */
    if (out.len % row || table.len % row || codes.len % (Py_ssize_t)sizeof(uint64_t) ||
        (positions > 0 && out.len < positions * row) || pad >= rows ||
        ((uint64_t)1 << (64 - shift)) > rows) {
        PyErr_SetString(PyExc_ValueError, "char_ngram_sums: shapes do not fit (float32 rows, uint64 codes)");
        goto done;
    }
    float *o = (float *)out.buf;
    const float *w = (const float *)table.buf;
    const uint64_t *c = (const uint64_t *)codes.buf;
    Py_BEGIN_ALLOW_THREADS
    /* next_nul: the first NUL at or after the chunk's positions, found by scanning ahead. */
    Py_ssize_t next_nul = 0;
    while (next_nul < size && c[next_nul] != 0) next_nul++;
    uint64_t slots[NGRAM_CHUNK][NGRAM_MAX_N];
    for (Py_ssize_t base = 0; base < positions; base += NGRAM_CHUNK) {
        Py_ssize_t end = base + NGRAM_CHUNK < positions ? base + NGRAM_CHUNK : positions;
        for (Py_ssize_t i = base; i < end; i++) {
            if (next_nul < i) {
                next_nul = i;
                while (next_nul < size && c[next_nul] != 0) next_nul++;
            }
            uint64_t h = 0;
            for (Py_ssize_t n = 1; n <= n_max && i + n <= size; n++) {
                h = h * NGRAM_PRIME + c[i + n - 1];
                if (n < n_min) continue;
                uint64_t slot = next_nul - i >= n ? ((h + (uint64_t)n) * NGRAM_MIX) >> shift : (uint64_t)pad;
                slots[i - base][n - 1] = slot;
                __builtin_prefetch(w + slot * (uint64_t)heads);
            }
        }
        for (Py_ssize_t i = base; i < end; i++) {
            float *dst = o + i * heads;
            for (Py_ssize_t n = n_min; n <= n_max && i + n <= size; n++) {
                const float *src = w + slots[i - base][n - 1] * (uint64_t)heads;
                for (Py_ssize_t k = 0; k < heads; k++) dst[k] += src[k];
            }
        }
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&out);
    PyBuffer_Release(&table);
    PyBuffer_Release(&codes);
    return result;
}

#define WORD_SALT 0xA5A5A5A5A5A5A5A5ULL
#define BIGRAM_SALT 0x5BD1E9955BD1E995ULL

static inline uint64_t splitmix_finish(uint64_t v) {
    v ^= v >> 31;
    v *= NGRAM_MIX;
    return v ^ (v >> 29);
}

/* features.py's word and bigram blocks, gathered and summed per row as ToxicityModel.scores
 * does: the words are the runs of code points other than space and NUL (a NUL ends a row),
 * each hashed by Horner's rule (the polynomial the prefix sums compute, mod 2**64) and salted;
 * a bigram joins two neighbouring words of one row. Each occurrence adds its float32 weight
 * row, as float64, to its row's sums in the order of the occurrences (np.bincount's order).
 * Returns (word sums, bigram sums, words per row, bigrams per row) as bytes: float64 rows of
 * `heads`, int64 counts. */
static PyObject *word_block_sums(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *codes_obj, *table_obj;
    Py_ssize_t heads, shift, rows;
    int bigrams;
    if (!PyArg_ParseTuple(args, "OOnnnp", &codes_obj, &table_obj, &heads, &shift, &rows, &bigrams)) return NULL;
    if (heads <= 0 || shift < 1 || shift > 63 || rows < 1) return PyErr_Format(PyExc_ValueError, "word_block_sums: bad layout");
    Py_buffer codes, table;
    if (PyObject_GetBuffer(codes_obj, &codes, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    if (PyObject_GetBuffer(table_obj, &table, PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&codes);
        return NULL;
    }
    PyObject *word_sums = NULL, *bigram_sums = NULL, *word_counts = NULL, *bigram_counts = NULL, *result = NULL;
    Py_ssize_t row_bytes = heads * (Py_ssize_t)sizeof(float);
    Py_ssize_t size = codes.len / (Py_ssize_t)sizeof(uint64_t);
    uint64_t table_rows = (uint64_t)(table.len / row_bytes);
    if (table.len % row_bytes || codes.len % (Py_ssize_t)sizeof(uint64_t) || ((uint64_t)1 << (64 - shift)) > table_rows) {
        PyErr_SetString(PyExc_ValueError, "word_block_sums: shapes do not fit (float32 rows, uint64 codes)");
        goto done;
    }
    const uint64_t *c = codes.buf;
    const float *w = table.buf;
    word_sums = PyBytes_FromStringAndSize(NULL, rows * heads * (Py_ssize_t)sizeof(double));
    bigram_sums = PyBytes_FromStringAndSize(NULL, rows * heads * (Py_ssize_t)sizeof(double));
    word_counts = PyBytes_FromStringAndSize(NULL, rows * (Py_ssize_t)sizeof(int64_t));
    bigram_counts = PyBytes_FromStringAndSize(NULL, rows * (Py_ssize_t)sizeof(int64_t));
    if (word_sums == NULL || bigram_sums == NULL || word_counts == NULL || bigram_counts == NULL) goto done;
    double *ws = (double *)PyBytes_AS_STRING(word_sums), *bs = (double *)PyBytes_AS_STRING(bigram_sums);
    int64_t *wc = (int64_t *)PyBytes_AS_STRING(word_counts), *bc = (int64_t *)PyBytes_AS_STRING(bigram_counts);
    memset(ws, 0, (size_t)(rows * heads) * sizeof(double));
    memset(bs, 0, (size_t)(rows * heads) * sizeof(double));
    memset(wc, 0, (size_t)rows * sizeof(int64_t));
    memset(bc, 0, (size_t)rows * sizeof(int64_t));
    Py_ssize_t row = 0, previous_row = -1;
    uint64_t previous_key = 0;
    int failed = 0;
    for (Py_ssize_t i = 0; i < size && !failed;) {
        uint64_t code = c[i];
        if (code == 0) {
            row++;
            i++;
            continue;
        }
        if (code == 32) {
            i++;
            continue;
        }
        if (row >= rows) {
            failed = 1;
            break;
        }
        uint64_t h = 0;
        while (i < size && c[i] != 0 && c[i] != 32) h = h * NGRAM_PRIME + c[i++];
        uint64_t key = h ^ WORD_SALT;
        const float *src = w + ((key * NGRAM_MIX) >> shift) * (uint64_t)heads;
        for (Py_ssize_t k = 0; k < heads; k++) ws[row * heads + k] += (double)src[k];
        wc[row]++;
        if (bigrams && previous_row == row) {
            uint64_t bigram = splitmix_finish(previous_key + BIGRAM_SALT) ^ key;
            src = w + ((bigram * NGRAM_MIX) >> shift) * (uint64_t)heads;
            for (Py_ssize_t k = 0; k < heads; k++) bs[row * heads + k] += (double)src[k];
            bc[row]++;
        }
        previous_row = row;
        previous_key = key;
    }
    if (failed) {
        PyErr_SetString(PyExc_ValueError, "word_block_sums: more rows than `rows`");
        goto done;
    }
    result = PyTuple_Pack(4, word_sums, bigram_sums, word_counts, bigram_counts);
done:
    Py_XDECREF(word_sums);
    Py_XDECREF(bigram_sums);
    Py_XDECREF(word_counts);
    Py_XDECREF(bigram_counts);
    PyBuffer_Release(&codes);
    PyBuffer_Release(&table);
    return result;
}

/* ---- spam: user handles ---- */

static inline int strip_char(Py_UCS4 c) { return c < 128 && c && strchr(".,;:!?()[]\"'", (int)c) != NULL; }

/* Whether data[a:b] (a token with `_STRIP` characters taken off both ends) fully matches spam.py's
 * `_HANDLE_BODY`: underscores joining 2+ ASCII letter/digit groups (or leading one group);
 * 3+ ASCII letters then 2+ decimal digits; an optional capital, 3+ lower-case letters, a capital,
 * a lower-case letter, then word characters; or 9+ capitals. */
static int handle_body(int kind, const void *data, Py_ssize_t a, Py_ssize_t b) {
    Py_ssize_t n = b - a;
    if (n <= 0) return 0;
#define AT(k) PyUnicode_READ(kind, data, a + (k))
    /* underscores and ASCII letters/digits only, holding "_" */
    int only = 1, underscore = 0;
    Py_ssize_t groups = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_UCS4 c = AT(k);
        if (c == '_') {
            underscore = 1;
        } else if (ascii_alnum(c)) {
            if (k == 0 || AT(k - 1) == '_') groups++;
        } else {
            only = 0;
            break;
        }
    }
    if (only && underscore && (groups >= 2 || (groups == 1 && AT(0) == '_' && ascii_alnum(AT(n - 1))))) return 1;
    /* [A-Za-z]{3,}\d{2,} */
    Py_ssize_t letters = 0;
    while (letters < n && (ascii_upper(AT(letters)) || ascii_lower(AT(letters)))) letters++;
    if (letters >= 3 && n - letters >= 2) {
        Py_ssize_t k = letters;
        while (k < n && Py_UNICODE_ISDECIMAL(AT(k))) k++;
        if (k == n) return 1;
    }
    /* [A-Z]?[a-z]{3,}[A-Z][a-z]+\w* */
    Py_ssize_t p = ascii_upper(AT(0)) ? 1 : 0, lower = 0;
    while (p + lower < n && ascii_lower(AT(p + lower))) lower++;
    Py_ssize_t q = p + lower;
    if (lower >= 3 && q + 1 < n && ascii_upper(AT(q)) && ascii_lower(AT(q + 1))) {
        Py_ssize_t k = q + 2;
        while (k < n && is_word_char(AT(k))) k++;
        if (k == n) return 1;
    }
    /* [A-Z]{9,} */
    if (n >= 9) {
        Py_ssize_t k = 0;
        while (k < n && ascii_upper(AT(k))) k++;
        if (k == n) return 1;
    }
    return 0;
#undef AT
}

/* spam.py's `len(_HANDLE_TOKEN.findall(text))` of each text: white-space separated tokens (`\s`,
 * str.isspace) whose middle, after `_STRIP` characters are taken off both ends, is a handle
 * (none of the body's characters is a `_STRIP` one, so that split is the regex's only one). */
static PyObject *handle_counts(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *texts;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &texts)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(texts);
    PyObject *result = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(int64_t));
    if (result == NULL) return NULL;
    int64_t *out = (int64_t *)PyBytes_AS_STRING(result);
    for (Py_ssize_t t = 0; t < n; t++) {
        PyObject *text = PyList_GET_ITEM(texts, t);
        if (!PyUnicode_Check(text)) {
            Py_DECREF(result);
            return PyErr_Format(PyExc_TypeError, "text %zd is not a str", t);
        }
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        Py_ssize_t size = PyUnicode_GET_LENGTH(text);
        int64_t count = 0;
        Py_ssize_t i = 0;
        while (i < size) {
            if (Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) {
                i++;
                continue;
            }
            Py_ssize_t end = i;
            while (end < size && !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, end))) end++;
            Py_ssize_t a = i, b = end;
            while (a < b && strip_char(PyUnicode_READ(kind, data, a))) a++;
            while (b > a && strip_char(PyUnicode_READ(kind, data, b - 1))) b--;
            count += handle_body(kind, data, a, b);
            i = end;
        }
        out[t] = count;
    }
    return result;
}

/* ---- spam: headline ratio counts per text ---- */

enum { LETTER_BIT = 1, WORDCHAR_BIT = 2, UPPER_BIT = 4 };

static int holds_key(const uint64_t *keys, Py_ssize_t count, uint64_t key) {
    Py_ssize_t low = 0, high = count;
    while (low < high) {
        Py_ssize_t mid = (low + high) / 2;
        if (keys[mid] < key)
            low = mid + 1;
        else
            high = mid;
    }
    return low < count && keys[low] == key;
}

/* spam.headline_ratios' counts from the batch's code points and `_CHAR_FLAGS` bits: each run of
 * word characters (bit 2) that holds a letter (bit 1) is one word, from its first letter to the
 * run's end (`_WORD.findall`); a word whose first letter is upper-case (bit 4) extends a
 * capitalised run; a small word (ASCII, at most `small_max` characters, its A-Z lower-cased and
 * packed one byte a character into one of the sorted `small_keys`) neither counts nor breaks a
 * run; any other word ends it, and a run of 3+ adds its words to the text's count. */
static PyObject *headline_counts(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *objects[5];
    Py_ssize_t small_max;
    if (!PyArg_ParseTuple(args, "OOOOOn", &objects[0], &objects[1], &objects[2], &objects[3], &objects[4], &small_max))
        return NULL;
    Py_buffer buffers[5];
    int got = 0;
    PyObject *result = NULL;
    for (; got < 5; got++)
        if (PyObject_GetBuffer(objects[got], &buffers[got], PyBUF_C_CONTIGUOUS) < 0) goto done;
    const uint32_t *codes = buffers[0].buf;
    const uint8_t *flags = buffers[1].buf;
    const int64_t *starts = buffers[2].buf, *lengths = buffers[3].buf;
    const uint64_t *keys = buffers[4].buf;
    Py_ssize_t size = buffers[0].len / 4, n = buffers[2].len / 8, key_count = buffers[4].len / 8;
    if (buffers[1].len != size || buffers[3].len != buffers[2].len || small_max < 0 || small_max > 8) {
        PyErr_SetString(PyExc_ValueError, "headline_counts: arrays do not fit");
        goto done;
    }
    for (Py_ssize_t t = 0; t < n; t++) {
        if (starts[t] < 0 || lengths[t] < 0 || starts[t] + lengths[t] > size) {
            PyErr_SetString(PyExc_ValueError, "headline_counts: a text lies outside the code points");
            goto done;
        }
    }
    result = PyBytes_FromStringAndSize(NULL, n * 2 * (Py_ssize_t)sizeof(int64_t));
    if (result == NULL) goto done;
    int64_t *out = (int64_t *)PyBytes_AS_STRING(result);
    for (Py_ssize_t t = 0; t < n; t++) {
        Py_ssize_t i = starts[t], end = starts[t] + lengths[t];
        int64_t words = 0, in_runs = 0, run = 0;
        int run_has_word = 0; /* the current run of word characters has had its word */
        while (i < end) {
            uint8_t f = flags[i];
            if (!(f & WORDCHAR_BIT)) {
                run_has_word = 0;
                i++;
                continue;
            }
            if (run_has_word || !(f & LETTER_BIT)) {
                i++;
                continue;
            }
            Py_ssize_t j = i + 1;
            while (j < end && (flags[j] & WORDCHAR_BIT)) j++;
            words++;
            if (f & UPPER_BIT) {
                run++;
            } else {
                int small = 0;
                if (j - i <= small_max) {
                    uint64_t key = 0;
                    small = 1;
                    for (Py_ssize_t k = i; k < j; k++) {
                        uint32_t c = codes[k];
                        if (c >= 128) {
                            small = 0;
                            break;
                        }
                        if (c >= 'A' && c <= 'Z') c |= 32;
                        key |= (uint64_t)c << (8 * (k - i));
                    }
                    small = small && holds_key(keys, key_count, key);
                }
                if (!small) {
                    if (run >= 3) in_runs += run;
                    run = 0;
                }
            }
            run_has_word = 1;
            i = j;
        }
        if (run >= 3) in_runs += run;
        out[2 * t] = in_runs;
        out[2 * t + 1] = words;
    }
done:
    for (int k = 0; k < got; k++) PyBuffer_Release(&buffers[k]);
    return result;
}

/* ---- spam: languages evident in a text (scripts, diacritic groups, stop words) ---- */

/* Per text, from the code points, `_CHAR_FLAGS` of each, and the per-code-point tables
 * `_SCRIPT_IDS` (uint16) and `_DIACRITIC_BITS` (uint8): (Latin letters, scripts other than
 * Latin with 10+ letters, OR of the diacritic group bits of its non-ASCII characters, whether
 * a non-ASCII character is a letter), as int64, four per text (spam.language_counts). */
static PyObject *script_stats(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *objects[6];
    Py_ssize_t n_scripts;
    if (!PyArg_ParseTuple(args, "OOOOOOn", &objects[0], &objects[1], &objects[2], &objects[3], &objects[4],
                          &objects[5], &n_scripts))
        return NULL;
    Py_buffer buffers[6];
    int got = 0;
    PyObject *result = NULL;
    int64_t *counts = NULL;
    Py_ssize_t *touched = NULL;
    for (; got < 6; got++)
        if (PyObject_GetBuffer(objects[got], &buffers[got], PyBUF_C_CONTIGUOUS) < 0) goto done;
    const uint32_t *codes = buffers[0].buf;
    const uint8_t *flags = buffers[1].buf;
    const int64_t *starts = buffers[2].buf, *lengths = buffers[3].buf;
    const uint16_t *scripts = buffers[4].buf;
    const uint8_t *diacritics = buffers[5].buf;
    Py_ssize_t size = buffers[0].len / 4, n = buffers[2].len / 8;
    if (buffers[1].len != size || buffers[3].len != buffers[2].len || buffers[4].len != 0x110000 * 2 ||
        buffers[5].len != 0x110000 || n_scripts < 2 || n_scripts > 65536) {
        PyErr_SetString(PyExc_ValueError, "script_stats: arrays do not fit");
        goto done;
    }
    for (Py_ssize_t t = 0; t < n; t++) {
        if (starts[t] < 0 || lengths[t] < 0 || starts[t] + lengths[t] > size) {
            PyErr_SetString(PyExc_ValueError, "script_stats: a text lies outside the code points");
            goto done;
        }
    }
    counts = PyMem_Calloc((size_t)n_scripts, sizeof(int64_t));
    touched = PyMem_Malloc((size_t)n_scripts * sizeof(Py_ssize_t));
    result = PyBytes_FromStringAndSize(NULL, n * 4 * (Py_ssize_t)sizeof(int64_t));
    if (result == NULL) goto done;
    if (counts == NULL || touched == NULL) {
        PyErr_NoMemory();
        Py_CLEAR(result);
        goto done;
    }
    int64_t *out = (int64_t *)PyBytes_AS_STRING(result);
    for (Py_ssize_t t = 0; t < n; t++) {
        int64_t latin = 0, foreign = 0, groups = 0, non_ascii_letter = 0;
        Py_ssize_t n_touched = 0;
        for (Py_ssize_t i = starts[t], end = starts[t] + lengths[t]; i < end; i++) {
            uint32_t c = codes[i];
            if (c >= 0x110000) c = 0; /* no such code point: read as NUL (no script, no group) */
            uint16_t script = scripts[c];
            if (script == 1) {
                latin++;
            } else if (script > 1 && script < n_scripts) {
                if (counts[script]++ == 0) touched[n_touched++] = script;
            }
            if (c >= 128) {
                groups |= diacritics[c];
                if (flags[i] & LETTER_BIT) non_ascii_letter = 1;
            }
        }
        for (Py_ssize_t k = 0; k < n_touched; k++) {
            foreign += counts[touched[k]] >= 10;
            counts[touched[k]] = 0;
        }
        out[4 * t] = latin;
        out[4 * t + 1] = foreign;
        out[4 * t + 2] = groups;
        out[4 * t + 3] = non_ascii_letter;
    }
done:
    PyMem_Free(counts);
    PyMem_Free(touched);
    for (int k = 0; k < got; k++) PyBuffer_Release(&buffers[k]);
    return result;
}

/* Per text, how many languages have 3+ distinct stop words among its letter runs. A letter is
 * a position whose flags hold LETTER_BIT and, with `ascii_only`, whose code point is ASCII; a
 * run is a maximal stretch of letters inside one text. A run of at most `stop_max` characters,
 * all below 256, is packed one byte a character (A-Z lower-cased by `| 32` with `ascii_only`,
 * as the NumPy path does) and looked up in the sorted `keys`; `key_languages[slot * languages
 * + l]` says whether that stop word is one of language l's. */
static PyObject *stop_word_languages(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *objects[6];
    Py_ssize_t stop_max, languages;
    int ascii_only;
    if (!PyArg_ParseTuple(args, "OOOOOOnnp", &objects[0], &objects[1], &objects[2], &objects[3], &objects[4],
                          &objects[5], &stop_max, &languages, &ascii_only))
        return NULL;
    Py_buffer buffers[6];
    int got = 0;
    PyObject *result = NULL;
    Py_ssize_t *seen = NULL;
    int64_t *per_language = NULL;
    for (; got < 6; got++)
        if (PyObject_GetBuffer(objects[got], &buffers[got], PyBUF_C_CONTIGUOUS) < 0) goto done;
    const uint32_t *codes = buffers[0].buf;
    const uint8_t *flags = buffers[1].buf;
    const int64_t *starts = buffers[2].buf, *lengths = buffers[3].buf;
    const uint64_t *keys = buffers[4].buf;
    const uint8_t *key_languages = buffers[5].buf;
    Py_ssize_t size = buffers[0].len / 4, n = buffers[2].len / 8, key_count = buffers[4].len / 8;
    if (buffers[1].len != size || buffers[3].len != buffers[2].len || stop_max < 1 || stop_max > 8 ||
        languages < 1 || buffers[5].len != key_count * languages) {
        PyErr_SetString(PyExc_ValueError, "stop_word_languages: arrays do not fit");
        goto done;
    }
    for (Py_ssize_t t = 0; t < n; t++) {
        if (starts[t] < 0 || lengths[t] < 0 || starts[t] + lengths[t] > size) {
            PyErr_SetString(PyExc_ValueError, "stop_word_languages: a text lies outside the code points");
            goto done;
        }
    }
    seen = PyMem_Malloc((size_t)(key_count + 1) * sizeof(Py_ssize_t));
    per_language = PyMem_Calloc((size_t)languages, sizeof(int64_t));
    result = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(int64_t));
    if (seen == NULL || per_language == NULL || result == NULL) {
        if (result != NULL) PyErr_NoMemory();
        Py_CLEAR(result);
        goto done;
    }
    for (Py_ssize_t k = 0; k < key_count; k++) seen[k] = -1;
    int64_t *out = (int64_t *)PyBytes_AS_STRING(result);
    for (Py_ssize_t t = 0; t < n; t++) {
        memset(per_language, 0, (size_t)languages * sizeof(int64_t));
        Py_ssize_t i = starts[t], end = starts[t] + lengths[t];
        while (i < end) {
            if (!(flags[i] & LETTER_BIT) || (ascii_only && codes[i] >= 128)) {
                i++;
                continue;
            }
            Py_ssize_t j = i;
            while (j < end && (flags[j] & LETTER_BIT) && !(ascii_only && codes[j] >= 128)) j++;
            if (j - i <= stop_max) {
                uint64_t key = 0;
                int packable = 1;
                for (Py_ssize_t k = i; k < j; k++) {
                    uint64_t c = codes[k];
                    if (ascii_only)
                        c |= 32;
                    else if (c >= 256)
                        packable = 0;
                    key |= c << (8 * (k - i));
                }
                if (packable) {
                    Py_ssize_t low = 0, high = key_count;
                    while (low < high) {
                        Py_ssize_t mid = (low + high) / 2;
                        if (keys[mid] < key)
                            low = mid + 1;
                        else
                            high = mid;
                    }
                    if (low < key_count && keys[low] == key && seen[low] != t) {
                        seen[low] = t;
                        for (Py_ssize_t l = 0; l < languages; l++) per_language[l] += key_languages[low * languages + l];
                    }
                }
            }
            i = j;
        }
        int64_t evident = 0;
        for (Py_ssize_t l = 0; l < languages; l++) evident += per_language[l] >= 3;
        out[t] = evident;
    }
done:
    PyMem_Free(seen);
    PyMem_Free(per_language);
    for (int k = 0; k < got; k++) PyBuffer_Release(&buffers[k]);
    return result;
}

/* ---- writing a batch's per-segment values ---- */

/* targets[i][names[k]] = columns[k][i]: the annotators' per-segment signal writes, without a
 * dict built per segment (the Python fallback: safety.common.write_columns). */
static PyObject *write_columns(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *targets, *names, *columns;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyList_Type, &targets, &PyTuple_Type, &names, &PyList_Type, &columns))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(targets), width = PyTuple_GET_SIZE(names);
    if (PyList_GET_SIZE(columns) != width) return PyErr_Format(PyExc_ValueError, "write_columns: one column per name");
    for (Py_ssize_t k = 0; k < width; k++) {
        PyObject *column = PyList_GET_ITEM(columns, k);
        if (!PyList_Check(column) || PyList_GET_SIZE(column) != n)
            return PyErr_Format(PyExc_ValueError, "write_columns: each column is a list as long as targets");
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *target = PyList_GET_ITEM(targets, i);
        if (!PyDict_Check(target)) return PyErr_Format(PyExc_TypeError, "write_columns: targets[%zd] is not a dict", i);
        for (Py_ssize_t k = 0; k < width; k++)
            if (PyDict_SetItem(target, PyTuple_GET_ITEM(names, k), PyList_GET_ITEM(PyList_GET_ITEM(columns, k), i)) < 0)
                return NULL;
    }
    Py_RETURN_NONE;
}

/* ---- pii: where the per-kind patterns can start ---- */

/* The start of each `finditer` match of `[A-Z]{2}[0-9]{2}` (ASCII classes; matches do not
 * overlap, so after one the scan goes on 4 characters later), as a list. */
static PyObject *iban_starts(PyObject *self, PyObject *text) {
    (void)self;
    if (!PyUnicode_Check(text)) return PyErr_Format(PyExc_TypeError, "iban_starts: a str");
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *result = PyList_New(0);
    if (result == NULL) return NULL;
    for (Py_ssize_t i = 0; i + 4 <= n;) {
        Py_UCS4 a = PyUnicode_READ(kind, data, i), b = PyUnicode_READ(kind, data, i + 1);
        Py_UCS4 c = PyUnicode_READ(kind, data, i + 2), d = PyUnicode_READ(kind, data, i + 3);
        if (a >= 'A' && a <= 'Z' && b >= 'A' && b <= 'Z' && c >= '0' && c <= '9' && d >= '0' && d <= '9') {
            PyObject *start = PyLong_FromSsize_t(i);
            if (start == NULL || PyList_Append(result, start) < 0) {
                Py_XDECREF(start);
                Py_DECREF(result);
                return NULL;
            }
            Py_DECREF(start);
            i += 4;
        } else {
            i++;
        }
    }
    return result;
}

static inline int hex_digit(Py_UCS4 c) { return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'f' && c < 128); }

/* The end of `[0-9A-Fa-f]{0,4}:` matched at i (greedy: at most 4 hex digits, then the colon must
 * follow them, as backing off leaves a hex digit where the colon should be), or -1. */
static inline Py_ssize_t hex_group_colon(int kind, const void *data, Py_ssize_t n, Py_ssize_t i) {
    Py_ssize_t k = 0;
    while (k < 4 && i + k < n && hex_digit(PyUnicode_READ(kind, data, i + k))) k++;
    return i + k < n && PyUnicode_READ(kind, data, i + k) == ':' ? i + k + 1 : -1;
}

/* The spans of `finditer` of pii.matcher's `_IPV6_HINT`, `[0-9A-Fa-f:][0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:`,
 * flat (start, end, ...). */
static PyObject *ipv6_hints(PyObject *self, PyObject *text) {
    (void)self;
    if (!PyUnicode_Check(text)) return PyErr_Format(PyExc_TypeError, "ipv6_hints: a str");
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *result = PyList_New(0);
    if (result == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n;) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        Py_ssize_t end = -1;
        if (hex_digit(c) || c == ':') {
            end = hex_group_colon(kind, data, n, i + 1);
            if (end >= 0) end = hex_group_colon(kind, data, n, end);
        }
        if (end < 0) {
            i++;
            continue;
        }
        PyObject *start_obj = PyLong_FromSsize_t(i), *end_obj = PyLong_FromSsize_t(end);
        if (start_obj == NULL || end_obj == NULL || PyList_Append(result, start_obj) < 0 ||
            PyList_Append(result, end_obj) < 0) {
            Py_XDECREF(start_obj);
            Py_XDECREF(end_obj);
            Py_DECREF(result);
            return NULL;
        }
        Py_DECREF(start_obj);
        Py_DECREF(end_obj);
        i = end;
    }
    return result;
}

static inline int digit_run_char(Py_UCS4 c) {
    return (c >= '0' && c <= '9') || c == ' ' || c == 0xA0 || c == '.' || c == '(' || c == ')' || c == '/' ||
           c == 'x' || c == '#' || c == '-';
}

/* The spans of `finditer` of `[0-9][0-9 \u00a0.()/x#-]{5,}[0-9]`, flat (start, end, start, end...):
 * from a digit, the class run as far as it goes, backed off to its last digit; a match needs
 * 7+ characters; the next search starts at its end (or, without a match, one further). */
static PyObject *digit_runs(PyObject *self, PyObject *text) {
    (void)self;
    if (!PyUnicode_Check(text)) return PyErr_Format(PyExc_TypeError, "digit_runs: a str");
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *result = PyList_New(0);
    if (result == NULL) return NULL;
    Py_ssize_t run_end = -1; /* the end of the class run that position i is in, once known */
    for (Py_ssize_t i = 0; i < n;) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (!(c >= '0' && c <= '9')) {
            i++;
            continue;
        }
        if (run_end <= i) {
            run_end = i + 1;
            while (run_end < n && digit_run_char(PyUnicode_READ(kind, data, run_end))) run_end++;
        }
        Py_ssize_t last = run_end - 1;
        while (last >= i + 6) {
            Py_UCS4 e = PyUnicode_READ(kind, data, last);
            if (e >= '0' && e <= '9') break;
            last--;
        }
        if (last < i + 6) {
            i++;
            continue;
        }
        PyObject *start = PyLong_FromSsize_t(i), *end = PyLong_FromSsize_t(last + 1);
        if (start == NULL || end == NULL || PyList_Append(result, start) < 0 || PyList_Append(result, end) < 0) {
            Py_XDECREF(start);
            Py_XDECREF(end);
            Py_DECREF(result);
            return NULL;
        }
        Py_DECREF(start);
        Py_DECREF(end);
        i = last + 1;
    }
    return result;
}

/* ---- adult: where a host name can be ---- */

/* `[a-z0-9.\-]` under re.IGNORECASE: ASCII letters and digits, ".", "-", and the four non-ASCII
 * letters IGNORECASE folds to ASCII ones. */
static inline int host_char(Py_UCS4 c) { return c == '.' || c == '-' || ignorecase_ascii_alnum(c); }

/* The spans of adult.py's `_DOTTED_RUN` matches (maximal runs of host characters holding a letter
 * or digit, a dot, then a letter) that are followed by the end, "/:?#" or white space (str.isspace),
 * as `host_matches` filters them: flat (start, end, ...). */
static PyObject *host_runs(PyObject *self, PyObject *text) {
    (void)self;
    if (!PyUnicode_Check(text)) return PyErr_Format(PyExc_TypeError, "host_runs: a str");
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *result = PyList_New(0);
    if (result == NULL) return NULL;
    Py_ssize_t i = 0;
    while (i < n) {
        if (!host_char(PyUnicode_READ(kind, data, i))) {
            i++;
            continue;
        }
        Py_ssize_t start = i;
        int hint = 0;
        while (i < n && host_char(PyUnicode_READ(kind, data, i))) {
            if (!hint && i > start && i + 1 < n && PyUnicode_READ(kind, data, i) == '.' &&
                ignorecase_ascii_alnum(PyUnicode_READ(kind, data, i - 1)) &&
                ignorecase_ascii_letter(PyUnicode_READ(kind, data, i + 1)))
                hint = 1;
            i++;
        }
        if (!hint) continue;
        if (i < n) {
            Py_UCS4 follower = PyUnicode_READ(kind, data, i);
            if (!(follower == '/' || follower == ':' || follower == '?' || follower == '#' ||
                  Py_UNICODE_ISSPACE(follower)))
                continue;
        }
        PyObject *start_obj = PyLong_FromSsize_t(start), *end_obj = PyLong_FromSsize_t(i);
        if (start_obj == NULL || end_obj == NULL || PyList_Append(result, start_obj) < 0 ||
            PyList_Append(result, end_obj) < 0) {
            Py_XDECREF(start_obj);
            Py_XDECREF(end_obj);
            Py_DECREF(result);
            return NULL;
        }
        Py_DECREF(start_obj);
        Py_DECREF(end_obj);
    }
    return result;
}

static PyMethodDef module_methods[] = {
    {"literal_candidates", literal_candidates, METH_VARARGS,
     "literal_candidates(texts, literals) -> bytes: 1 for each text whose lower-cased form may hold one of\n"
     "the literals (lower-case ASCII bytes), 0 where it holds none."},
    {"host_hint_candidates", host_hint_candidates, METH_VARARGS,
     "host_hint_candidates(texts) -> bytes: 1 for each text holding `[a-z0-9]\\.[a-z]` (re.IGNORECASE)."},
    {"vocabulary", vocabulary, METH_O,
     "vocabulary(words) -> capsule: an exact set of the given str, for typo_counts."},
    {"typo_counts", typo_counts, METH_VARARGS,
     "typo_counts(texts, vocabulary) -> bytes: int64 (words, words not in the vocabulary) per text, with the\n"
     "words of signals/typo.py's `_WORD` over each (already lower-cased, apostrophe-normalised) text."},
    {"char_ngram_sums", char_ngram_sums, METH_VARARGS,
     "char_ngram_sums(out, table, codes, heads, n_min, n_max, shift, pad): out[i] += table[slot] of every\n"
     "character n-gram (n_min <= n <= n_max) starting at position i of the uint64 codes, in order of n (see\n"
     "safety/features.py's character blocks; `pad` for an n-gram reaching the next NUL)."},
    {"headline_counts", headline_counts, METH_VARARGS,
     "headline_counts(codes, flags, starts, lengths, small_keys, small_max) -> bytes: int64 (words in\n"
     "capitalised runs of 3+, words) per text, as safety/spam.py's headline_ratios counts them."},
    {"script_stats", script_stats, METH_VARARGS,
     "script_stats(codes, flags, starts, lengths, script_ids, diacritic_bits, n_scripts) -> bytes: int64\n"
     "(Latin letters, other scripts with 10+ letters, diacritic group bits, has a non-ASCII letter) per text."},
    {"stop_word_languages", stop_word_languages, METH_VARARGS,
     "stop_word_languages(codes, flags, starts, lengths, keys, key_languages, stop_max, languages, ascii_only)\n"
     "-> bytes: int64 languages with 3+ distinct stop words among each text's letter runs."},
    {"write_columns", write_columns, METH_VARARGS,
     "write_columns(targets, names, columns): targets[i][names[k]] = columns[k][i] (a list of dicts, a tuple\n"
     "of names, a list of equally long lists)."},
    {"iban_starts", iban_starts, METH_O, "iban_starts(text) -> list: starts of `[A-Z]{2}[0-9]{2}` (finditer)."},
    {"digit_runs", digit_runs, METH_O,
     "digit_runs(text) -> list: flat (start, end) spans of pii.matcher's `_DIGIT_RUN` (finditer)."},
    {"word_block_sums", word_block_sums, METH_VARARGS,
     "word_block_sums(codes, table, heads, shift, rows, bigrams) -> (word sums, bigram sums, words, bigrams):\n"
     "safety/features.py's word and bigram blocks summed per row (float64 rows of `heads`, int64 counts)."},
    {"handle_counts", handle_counts, METH_VARARGS,
     "handle_counts(texts) -> bytes: int64 `len(_HANDLE_TOKEN.findall(text))` of each text (safety/spam.py)."},
    {"normalize_tail", normalize_tail, METH_O,
     "normalize_tail(text) -> bytes: uint32 code points of safety/features.py's normalized_codes after its\n"
     "substitutions (quotes removed, non-word characters to spaces, repeats dropped)."},
    {"ipv6_hints", ipv6_hints, METH_O, "ipv6_hints(text) -> list: flat (start, end) spans of pii.matcher's `_IPV6_HINT`."},
    {"host_runs", host_runs, METH_O,
     "host_runs(text) -> list: flat (start, end) spans of safety/adult.py's dotted runs that a host can end."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "thresher._native_safety",
    .m_doc = "Compiled per-segment loops of Thresher's safety, typo and PII annotators.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__native_safety(void) {
    for (Py_UCS4 c = 0; c < 128; c++) {
        ascii_word[c] = (unsigned char)unicode_word_char(c);
        ascii_letter[c] = (unsigned char)(c != '_' && !Py_UNICODE_ISDECIMAL(c) && unicode_word_char(c));
    }
    return PyModule_Create(&native_module);
}
