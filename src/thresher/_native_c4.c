/* thresher._native_c4: C4's line rules over a batch of lines, in C.
 *
 * Why: on unrepeated web text most lines are new, and C4's rules on them (thresher/signals/c4.py
 * `python_line_codes`: a word count, the longest word, the last characters, a '{', eight
 * lower-case keywords) cost a list comprehension each plus a lower-cased copy of every line;
 * here one pass over each line's code points does them all.
 *
 * line_codes(lines, cleaned) -> list[int]: per stripped line and its cleaned text (citation
 * markers removed), the same bits as `python_line_codes`. Words are runs of non-white-space
 * (Py_UNICODE_ISSPACE, as str.split); the keywords are matched on the cleaned line lower-cased
 * as str.lower does: an ASCII letter lowers to an ASCII letter, and no other code point lowers
 * to anything holding an ASCII character except U+0130 and U+212A, so a line holding either of
 * those gets the bit NEEDS_PYTHON and Python decides it.
 *
 * The module is optional: without it (or with THRESHER_NATIVE=0) c4.py computes the same bits in
 * Python, and tests/signals/test_c4_codes.py checks both agree.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define NO_TERMINAL_PUNCT 2
#define TOO_LONG_WORD 1
#define TOO_FEW_WORDS 4
#define LOREM_IPSUM 8
#define JAVASCRIPT 16
#define CURLY_BRACKET 32
#define POLICY 64
#define REMOVED 128
#define NEEDS_PYTHON 512
#define MAX_WORD_LENGTH 1000
#define MIN_WORDS 3

static const char *const KEYWORDS[] = {"lorem ipsum",  "javascript",     "terms of use", "privacy policy",
                                       "cookie policy", "uses cookies", "use of cookies", "use cookies"};
static const long KEYWORD_BITS[] = {LOREM_IPSUM, JAVASCRIPT | REMOVED, POLICY | REMOVED, POLICY | REMOVED,
                                    POLICY | REMOVED, POLICY | REMOVED, POLICY | REMOVED, POLICY | REMOVED};
#define N_KEYWORDS 8

/* The bits of the word rules on a stripped line. */
static long word_bits(PyObject *line) {
    int kind = PyUnicode_KIND(line);
    const void *data = PyUnicode_DATA(line);
    Py_ssize_t n = PyUnicode_GET_LENGTH(line), i = 0, words = 0, longest = 0;
    int check_long = n > MAX_WORD_LENGTH;
    while (i < n) {
        while (i < n && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) i++;
        if (i >= n) break;
        Py_ssize_t start = i;
        while (i < n && !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) i++;
        words++;
        if (i - start > longest) longest = i - start;
        if (words >= MIN_WORDS && !check_long) break;
    }
    long bits = 0;
    if (words < MIN_WORDS) bits |= TOO_FEW_WORDS | REMOVED;
    if (check_long && longest > MAX_WORD_LENGTH) bits |= TOO_LONG_WORD | REMOVED;
    return bits;
}

/* LOWER: an ASCII character lower-cased. CANDIDATES: per lower-case ASCII character, the
 * keywords that start with it (-1 ends the list; at most three share a letter). */
static unsigned char LOWER[128];
static signed char CANDIDATES[128][4];

static void init_tables(void) {
    for (int c = 0; c < 128; c++) {
        LOWER[c] = (unsigned char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
        memset(CANDIDATES[c], -1, sizeof CANDIDATES[c]);
    }
    for (int k = 0; k < N_KEYWORDS; k++) {
        signed char *list = CANDIDATES[(unsigned char)KEYWORDS[k][0]];
        int at = 0;
        while (list[at] >= 0) at++;
        list[at] = (signed char)k;
    }
}

/* The keyword test over the cleaned line's code points (p[0..n)), for one string kind: a code
 * point >= 128 never takes part in a match (see the top of this file). */
#define SCAN_TEXT(TYPE)                                                                              \
    do {                                                                                             \
        const TYPE *p = (const TYPE *)data;                                                          \
        for (Py_ssize_t i = 0; i < n; i++) {                                                         \
            Py_UCS4 c = p[i];                                                                        \
            if (c >= 128) {                                                                          \
                if (c == 0x130 || c == 0x212A) return bits | NEEDS_PYTHON;                           \
                continue;                                                                            \
            }                                                                                        \
            if (c == '{') bits |= CURLY_BRACKET;                                                     \
            const signed char *list = CANDIDATES[LOWER[c]];                                          \
            for (int at = 0; list[at] >= 0; at++) {                                                  \
                const char *keyword = KEYWORDS[list[at]];                                            \
                Py_ssize_t j = 1;                                                                    \
                while (keyword[j] && i + j < n && p[i + j] < 128 && LOWER[p[i + j]] == keyword[j]) j++; \
                if (!keyword[j]) bits |= KEYWORD_BITS[list[at]];                                     \
            }                                                                                        \
        }                                                                                            \
    } while (0)

/* The bits of the punctuation, bracket and keyword rules on a cleaned line. */
static long text_bits(PyObject *line) {
    int kind = PyUnicode_KIND(line);
    const void *data = PyUnicode_DATA(line);
    Py_ssize_t n = PyUnicode_GET_LENGTH(line);
    long bits = 0;
    if (n == 0) return NO_TERMINAL_PUNCT;
    Py_UCS4 last = PyUnicode_READ(kind, data, n - 1);
    int terminal = last == '.' || last == '?' || last == '!' || last == '"' || last == '\'';
    if (terminal && n >= 3 && last == '.' && PyUnicode_READ(kind, data, n - 2) == '.' &&
        PyUnicode_READ(kind, data, n - 3) == '.')
        terminal = 0;
    if (!terminal) bits |= NO_TERMINAL_PUNCT;
    if (kind == PyUnicode_1BYTE_KIND)
        SCAN_TEXT(Py_UCS1);
    else if (kind == PyUnicode_2BYTE_KIND)
        SCAN_TEXT(Py_UCS2);
    else
        SCAN_TEXT(Py_UCS4);
    return bits;
}

static PyObject *line_codes(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *lines, *cleaned;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &lines, &PyList_Type, &cleaned)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(lines);
    if (PyList_GET_SIZE(cleaned) != n) {
        PyErr_SetString(PyExc_ValueError, "line_codes: lines and cleaned differ in length");
        return NULL;
    }
    PyObject *result = PyList_New(n);
    if (result == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *line = PyList_GET_ITEM(lines, i), *clean = PyList_GET_ITEM(cleaned, i);
        if (!PyUnicode_Check(line) || !PyUnicode_Check(clean)) {
            Py_DECREF(result);
            PyErr_Format(PyExc_TypeError, "line_codes: item %zd is not a str", i);
            return NULL;
        }
        PyObject *code = PyLong_FromLong(word_bits(line) | text_bits(clean));
        if (code == NULL) {
            Py_DECREF(result);
            return NULL;
        }
        PyList_SET_ITEM(result, i, code);
    }
    return result;
}

static PyMethodDef methods[] = {
    {"line_codes", line_codes, METH_VARARGS,
     "line_codes(lines, cleaned) -> list[int]: C4's rule bits per stripped line and its cleaned text\n"
     "(512: a code point only Python lowers right; decide that line in Python)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native_c4", "C4's line rules in C.", -1, methods};

PyMODINIT_FUNC PyInit__native_c4(void) {
    init_tables();
    return PyModule_Create(&module);
}
