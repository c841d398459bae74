/* thresher._native_safety: per-segment prefilters of the safety annotators, in C.
 *
 * Why: the adult lexicon and the spam clickbait stems are first tested as "does the
 * lower-cased segment hold any of these literals?", and the adult domain check as "does the
 * segment hold a letter or digit, a dot, then a letter?". In Python each test is a regex
 * search (a trie of ~70 literals, or a character-class pattern) that `re` runs at ~25 MB/s,
 * whether once per segment or once over the joined batch; nine segments in ten hold nothing.
 * Here one pass over each segment's str (no copy, no lower-cased string) answers the test
 * for the whole batch. Each kernel may only say "maybe" where the Python test would say
 * "no" (never the reverse): the annotators run their exact Python code on every segment
 * the kernel lets through, so a conservative answer costs time, never a value.
 *
 * The module is optional: without it (or with THRESHER_NATIVE=0) the annotators run the same
 * tests in Python (thresher.safety.common.native_safety), and the tests check both agree.
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

MAY_HOLD(may_hold_1, Py_UCS1)
MAY_HOLD(may_hold_2, Py_UCS2)
MAY_HOLD(may_hold_4, Py_UCS4)

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

static PyMethodDef module_methods[] = {
    {"literal_candidates", literal_candidates, METH_VARARGS,
     "literal_candidates(texts, literals) -> bytes: 1 for each text whose lower-cased form may hold one of\n"
     "the literals (lower-case ASCII bytes), 0 where it holds none."},
    {"host_hint_candidates", host_hint_candidates, METH_VARARGS,
     "host_hint_candidates(texts) -> bytes: 1 for each text holding `[a-z0-9]\\.[a-z]` (re.IGNORECASE)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "thresher._native_safety",
    .m_doc = "Compiled prefilters of Thresher's safety annotators.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__native_safety(void) { return PyModule_Create(&native_module); }
