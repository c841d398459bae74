/* thresher._native_segtext: the per-document loops of the plain-text segmenter, in C, once per batch.
 *
 * Why: `segments.text` scores a batch's lines in one matrix product, but its second stage and
 * its decoding are per-document sequences (running sums, best contiguous span, windows
 * clipped at the document's edges). In NumPy each of those is a dozen small calls per
 * document, and a crawl batch has hundreds of short documents, so the call overhead, not
 * the arithmetic, dominates. These kernels walk every document of the batch in one call.
 *
 * Every kernel reproduces a NumPy expression of thresher/segments/ value for value: running
 * sums are added in the same order as `np.cumsum` (one after the other from the document's
 * first line), ties resolve to the first index as `np.argmax`/`np.argmin` do, and the float
 * operations are the same IEEE additions, subtractions and divisions. Documents are given
 * as `offsets` (int64, documents + 1 entries: document d owns lines offsets[d]..offsets[d+1]).
 * The inputs must be finite (the caller checks; NumPy's NaN rules are not reproduced). Built
 * with -ffp-contract=off so no multiply-add is fused.
 *
 * The line features (segments/features.py) read every character of the batch several times
 * over in NumPy masks and regex scans. Here:
 * - `stripped_lines` cuts the documents into their non-blank lines (segments.lines.line_spans);
 * - `line_stats` counts per line, in one pass, what the NumPy masks counted (tokens, capitals,
 *   digits, separators, quoted "?", ...), the needle bits that preselect lines for the phrase
 *   regexes, and the matches of _PERSON and _LIST_MARKER;
 * - `literal_lines` and `byline_lines` say which lines the phrase patterns match (the
 *   patterns that are alternations of literals, spelled out in features._LITERALS, and
 *   _BYLINE_DATE branch by branch), with the `re` module's \w, \d and \b on str;
 * - `gram_overlap` is the earlier-3-gram share: word hashes straight from the lower-cased
 *   text's code points and one open-addressing table per document instead of a str per word,
 *   `hash()` and a sort of the whole batch's 3-grams.
 *
 * The module is optional: segments/_kernels.py wraps it, and segments/model.py, labelling.py,
 * features.py and segmenter.py run the NumPy / regex code it replaces when it is not built (or
 * with THRESHER_NATIVE=0); tests check both give identical arrays, on hand-made and generated
 * lines and on the real crawl.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static void release(Py_buffer *views, int count) {
    for (int i = 0; i < count; i++) PyBuffer_Release(&views[i]);
}

/* The code points of a str: its own buffer when it already holds 4-byte units (a batch with one
 * character beyond the BMP does), else a copy; *owned is what to PyMem_Free (NULL for none). */
static const Py_UCS4 *ucs4_of(PyObject *text, Py_UCS4 **owned) {
    *owned = NULL;
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(text) < 0) return NULL;
#endif
    if (PyUnicode_KIND(text) == PyUnicode_4BYTE_KIND) return (const Py_UCS4 *)PyUnicode_DATA(text);
    *owned = PyUnicode_AsUCS4Copy(text);
    return *owned;
}

/* The documents' offsets as int64, checked: non-decreasing, from 0 to `lines`. */
static int check_offsets(const Py_buffer *offsets, Py_ssize_t lines, const char *name) {
    const Py_ssize_t n = offsets->len / (Py_ssize_t)sizeof(int64_t);
    const int64_t *o = offsets->buf;
    if (n < 1 || o[0] != 0 || o[n - 1] != lines) {
        PyErr_Format(PyExc_ValueError, "%s: offsets must run from 0 to the number of lines (%zd)", name, lines);
        return -1;
    }
    for (Py_ssize_t d = 1; d < n; d++) {
        if (o[d] < o[d - 1]) {
            PyErr_Format(PyExc_ValueError, "%s: offsets must not decrease", name);
            return -1;
        }
    }
    return 0;
}

/* Running sum of values[a..b) with a leading 0: cum[0] = 0, cum[1] = v[a], cum[j+1] = cum[j] + v[a+j]
 * (np.concatenate(([0.0], np.cumsum(v))): NumPy's cumsum starts from v[0] itself). */
static void running_sum(const double *v, Py_ssize_t a, Py_ssize_t b, double *cum) {
    cum[0] = 0.0;
    if (b <= a) return;
    cum[1] = v[a];
    for (Py_ssize_t j = 1; j < b - a; j++) cum[j + 1] = cum[j] + v[a + j];
}

static Py_ssize_t longest_document(const int64_t *o, Py_ssize_t docs) {
    Py_ssize_t longest = 0;
    for (Py_ssize_t d = 0; d < docs; d++)
        if (o[d + 1] - o[d] > longest) longest = (Py_ssize_t)(o[d + 1] - o[d]);
    return longest;
}

/* window_means(values, offsets, radius, out): segments.features.window_mean per document. */
static PyObject *window_means(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer views[3];
    Py_buffer *const values = &views[0], *const offsets = &views[1], *const out = &views[2];
    Py_ssize_t radius;
    if (!PyArg_ParseTuple(args, "y*y*nw*", values, offsets, &radius, out)) return NULL;
    PyObject *result = NULL;
    double *cum = NULL;
    const Py_ssize_t lines = values->len / (Py_ssize_t)sizeof(double);
    if (out->len != values->len || radius < 0) {
        PyErr_SetString(PyExc_ValueError, "window_means: out must match values; radius >= 0");
        goto done;
    }
    if (check_offsets(offsets, lines, "window_means") < 0) goto done;
    const int64_t *o = offsets->buf;
    const Py_ssize_t docs = offsets->len / (Py_ssize_t)sizeof(int64_t) - 1;
    cum = PyMem_Malloc((size_t)(longest_document(o, docs) + 1) * sizeof(double));
    if (cum == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const double *v = values->buf;
    double *target = out->buf;
    for (Py_ssize_t d = 0; d < docs; d++) {
        const Py_ssize_t a = (Py_ssize_t)o[d], n = (Py_ssize_t)(o[d + 1] - o[d]);
        running_sum(v, a, a + n, cum);
        for (Py_ssize_t i = 0; i < n; i++) {
            const Py_ssize_t low = i - radius > 0 ? i - radius : 0;
            const Py_ssize_t high = i + radius + 1 < n ? i + radius + 1 : n;
            target[a + i] = (cum[high] - cum[low]) / (double)(high - low);
        }
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(cum);
    release(views, 3);
    return result;
}

/* span_masks(scores, offsets, out): segments.model.span_mask per document (out: uint8 0/1). */
static PyObject *span_masks(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer views[3];
    Py_buffer *const scores = &views[0], *const offsets = &views[1], *const out = &views[2];
    if (!PyArg_ParseTuple(args, "y*y*w*", scores, offsets, out)) return NULL;
    PyObject *result = NULL;
    double *prefix = NULL;
    const Py_ssize_t lines = scores->len / (Py_ssize_t)sizeof(double);
    if (out->len != lines) {
        PyErr_SetString(PyExc_ValueError, "span_masks: out must hold one byte per score");
        goto done;
    }
    if (check_offsets(offsets, lines, "span_masks") < 0) goto done;
    const int64_t *o = offsets->buf;
    const Py_ssize_t docs = offsets->len / (Py_ssize_t)sizeof(int64_t) - 1;
    prefix = PyMem_Malloc((size_t)(longest_document(o, docs) + 1) * sizeof(double));
    if (prefix == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const double *s = scores->buf;
    unsigned char *mask = out->buf;
    memset(mask, 0, (size_t)lines);
    for (Py_ssize_t d = 0; d < docs; d++) {
        const Py_ssize_t a = (Py_ssize_t)o[d], n = (Py_ssize_t)(o[d + 1] - o[d]);
        if (n == 0) continue;
        running_sum(s, a, a + n, prefix);
        /* gains[j] = prefix[j + 1] - min(prefix[0..j]); the first largest gain ends the span */
        double lowest = prefix[0], best = 0.0;
        Py_ssize_t end = -1;
        for (Py_ssize_t j = 0; j < n; j++) {
            if (prefix[j] < lowest) lowest = prefix[j];
            const double gain = prefix[j + 1] - lowest;
            if (end < 0 || gain > best) {
                best = gain;
                end = j;
            }
        }
        if (best <= 0.0) continue;
        Py_ssize_t start = 0;
        for (Py_ssize_t j = 1; j <= end; j++)
            if (prefix[j] < prefix[start]) start = j;
        memset(mask + a + start, 1, (size_t)(end + 1 - start));
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(prefix);
    release(views, 3);
    return result;
}

/* window_maxes(values, offsets, radius, out): segments.model._window_max per document. */
static PyObject *window_maxes(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer views[3];
    Py_buffer *const values = &views[0], *const offsets = &views[1], *const out = &views[2];
    Py_ssize_t radius;
    if (!PyArg_ParseTuple(args, "y*y*nw*", values, offsets, &radius, out)) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t lines = values->len / (Py_ssize_t)sizeof(double);
    if (out->len != values->len || radius < 0) {
        PyErr_SetString(PyExc_ValueError, "window_maxes: out must match values; radius >= 0");
        goto done;
    }
    if (check_offsets(offsets, lines, "window_maxes") < 0) goto done;
    const int64_t *o = offsets->buf;
    const Py_ssize_t docs = offsets->len / (Py_ssize_t)sizeof(int64_t) - 1;
    const double *v = values->buf;
    double *target = out->buf;
    for (Py_ssize_t d = 0; d < docs; d++) {
        const Py_ssize_t a = (Py_ssize_t)o[d], b = (Py_ssize_t)o[d + 1];
        for (Py_ssize_t i = a; i < b; i++) {
            const Py_ssize_t low = i - radius > a ? i - radius : a;
            const Py_ssize_t high = i + radius < b - 1 ? i + radius : b - 1;
            double most = v[low];
            for (Py_ssize_t j = low + 1; j <= high; j++)
                if (v[j] > most) most = v[j];
            target[i] = most;
        }
    }
    result = Py_NewRef(Py_None);
done:
    release(views, 3);
    return result;
}

/* nearest_distances(mask, offsets, out): per line, the lines to the nearest set line of its
 * document, or the document's line count when none is set (segments.model.distance_to before log1p). */
static PyObject *nearest_distances(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer views[3];
    Py_buffer *const mask = &views[0], *const offsets = &views[1], *const out = &views[2];
    if (!PyArg_ParseTuple(args, "y*y*w*", mask, offsets, out)) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t lines = mask->len;
    if (out->len != lines * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "nearest_distances: out must hold one double per line");
        goto done;
    }
    if (check_offsets(offsets, lines, "nearest_distances") < 0) goto done;
    const int64_t *o = offsets->buf;
    const Py_ssize_t docs = offsets->len / (Py_ssize_t)sizeof(int64_t) - 1;
    const unsigned char *m = mask->buf;
    double *target = out->buf;
    for (Py_ssize_t d = 0; d < docs; d++) {
        const Py_ssize_t a = (Py_ssize_t)o[d], b = (Py_ssize_t)o[d + 1];
        Py_ssize_t last = -1;
        for (Py_ssize_t i = a; i < b; i++) {
            if (m[i]) last = i;
            target[i] = last >= 0 ? (double)(i - last) : -1.0;
        }
        if (last < 0) {
            for (Py_ssize_t i = a; i < b; i++) target[i] = (double)(b - a);
            continue;
        }
        Py_ssize_t next = -1;
        for (Py_ssize_t i = b - 1; i >= a; i--) {
            if (m[i]) next = i;
            if (next >= 0 && (target[i] < 0.0 || (double)(next - i) < target[i])) target[i] = (double)(next - i);
        }
    }
    result = Py_NewRef(Py_None);
done:
    release(views, 3);
    return result;
}

/* title_lines(heading, main, offsets, before, out): segments.labelling.title_line per document
 * (out: int64 line index within the document, -1 for none). */
static PyObject *title_lines(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer views[4];
    Py_buffer *const heading = &views[0], *const main_mask = &views[1], *const offsets = &views[2],
                     *const out = &views[3];
    Py_ssize_t before;
    if (!PyArg_ParseTuple(args, "y*y*y*nw*", heading, main_mask, offsets, &before, out)) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t lines = heading->len;
    const Py_ssize_t docs = offsets->len / (Py_ssize_t)sizeof(int64_t) - 1;
    if (main_mask->len != lines || out->len != docs * (Py_ssize_t)sizeof(int64_t) || before < 0) {
        PyErr_SetString(PyExc_ValueError, "title_lines: heading and main must match; out holds one int64 a document");
        goto done;
    }
    if (check_offsets(offsets, lines, "title_lines") < 0) goto done;
    const int64_t *o = offsets->buf;
    const unsigned char *h = heading->buf, *m = main_mask->buf;
    int64_t *target = out->buf;
    for (Py_ssize_t d = 0; d < docs; d++) {
        const Py_ssize_t a = (Py_ssize_t)o[d], b = (Py_ssize_t)o[d + 1];
        target[d] = -1;
        Py_ssize_t first = -1, mains = 0;
        for (Py_ssize_t i = a; i < b && mains < 2; i++) {
            if (m[i]) {
                if (first < 0) first = i;
                mains++;
            }
        }
        if (first < 0) continue;
        const Py_ssize_t stop = first - before > a ? first - before : a;
        for (Py_ssize_t i = first; i >= stop; i--) {
            if (h[i]) {
                if (!(i == first && mains < 2)) target[d] = (int64_t)(i - a);
                break;
            }
        }
    }
    result = Py_NewRef(Py_None);
done:
    release(views, 4);
    return result;
}

/* ---- earlier 3-gram overlap ------------------------------------------------------------- */

/* The classes of `[^\W\d_][\w'’-]*` (segments.features._ALPHA_WORD) as the `re` module reads
 * them on str: \w is str.isalnum() or "_", \d is str.isdecimal(). */
/* Per code point of the Basic Multilingual Plane, filled at import: 1 may start an _ALPHA_WORD word,
 * 2 may continue one, 4 is \w, 8 is \s (str.isspace()), 16 is \d (str.isdecimal()). */
static unsigned char char_class[0x10000];

static inline int word_start_char(Py_UCS4 c) {
    if (c < 0x10000) return char_class[c] & 1;
    return Py_UNICODE_ISALNUM(c) && !Py_UNICODE_ISDECIMAL(c);
}

static inline int word_char(Py_UCS4 c) {
    if (c < 0x10000) return (char_class[c] & 2) != 0;
    return Py_UNICODE_ISALNUM(c);
}

/* \d of the `re` module on str: str.isdecimal(). */
static inline int re_decimal(Py_UCS4 c) {
    if (c < 0x10000) return (char_class[c] & 16) != 0;
    return Py_UNICODE_ISDECIMAL(c);
}

static inline uint64_t mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

typedef struct {
    uint64_t a, b, c;
    int64_t line;    /* the first line (global index) holding the 3-gram */
    int64_t stamp;   /* document number + 1 that wrote the slot; other values: empty */
} GramSlot;

/* gram_overlap(lower, offsets, hits, totals): for each line of `lower` (the batch's lower-cased
 * lines joined with "\n"), the number of its word 3-grams (totals, int64) and how many of them
 * occur in an earlier line of the same document (hits, float64). Words are those of
 * _ALPHA_WORD, identified by a 64-bit hash of their code points. */
static PyObject *gram_overlap(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *lower;
    Py_buffer views[3];
    Py_buffer *const offsets = &views[0], *const hits = &views[1], *const totals = &views[2];
    if (!PyArg_ParseTuple(args, "Uy*w*w*", &lower, offsets, hits, totals)) return NULL;
    PyObject *result = NULL;
    uint64_t *words = NULL;
    int64_t *word_line = NULL;
    Py_UCS4 *owned = NULL;
    GramSlot *slots = NULL;
    const Py_ssize_t lines = hits->len / (Py_ssize_t)sizeof(double);
    if (totals->len != lines * (Py_ssize_t)sizeof(int64_t)) {
        PyErr_SetString(PyExc_ValueError, "gram_overlap: hits and totals must have one entry per line");
        goto done;
    }
    if (check_offsets(offsets, lines, "gram_overlap") < 0) goto done;
    const Py_UCS4 *u = ucs4_of(lower, &owned);
    if (u == NULL) goto done;
    const Py_ssize_t length = PyUnicode_GET_LENGTH(lower);
    /* Two words are at least one character apart, so there are at most length / 2 + 1 words. */
    const Py_ssize_t most = length / 2 + 1;
    words = PyMem_Malloc((size_t)most * sizeof(uint64_t));
    word_line = PyMem_Malloc((size_t)most * sizeof(int64_t));
    if (words == NULL || word_line == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t count = 0, line = 0;
    for (Py_ssize_t i = 0; i < length;) {
        const Py_UCS4 c = u[i];
        if (c == '\n') {
            line++;
            i++;
            continue;
        }
        if (!word_start_char(c)) {
            i++;
            continue;
        }
        uint64_t h = 0xcbf29ce484222325ULL;
        Py_ssize_t j = i;
        do {
            h = (h ^ (uint64_t)u[j]) * 0x100000001b3ULL;
            j++;
        } while (j < length && word_char(u[j]));
        words[count] = mix64(h ^ (uint64_t)(j - i));
        word_line[count] = line;
        count++;
        i = j;
    }
    if ((lines > 0 && line != lines - 1) || (lines == 0 && length > 0)) {
        PyErr_Format(PyExc_ValueError, "gram_overlap: the text has %zd lines, the offsets %zd", line + 1, lines);
        goto done;
    }
    double *hit = hits->buf;
    int64_t *total = totals->buf;
    memset(hit, 0, (size_t)lines * sizeof(double));
    memset(total, 0, (size_t)lines * sizeof(int64_t));
    const int64_t *o = offsets->buf;
    const Py_ssize_t docs = offsets->len / (Py_ssize_t)sizeof(int64_t) - 1;
    /* The 3-grams of a document are at most its words: size the table for the largest. */
    Py_ssize_t largest = 0;
    {
        Py_ssize_t w = 0;
        for (Py_ssize_t d = 0; d < docs; d++) {
            const Py_ssize_t first = w;
            while (w < count && word_line[w] < o[d + 1]) w++;
            if (w - first > largest) largest = w - first;
        }
    }
    size_t capacity = 16;
    while (capacity < (size_t)largest * 2) capacity *= 2;
    slots = PyMem_Calloc(capacity, sizeof(GramSlot));
    if (slots == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const size_t mask = capacity - 1;
    Py_ssize_t w = 0;
    for (Py_ssize_t d = 0; d < docs; d++) {
        const int64_t stamp = (int64_t)d + 1;
        for (; w < count && word_line[w] < o[d + 1]; w++) {
            if (w + 2 >= count || word_line[w + 2] != word_line[w]) continue;
            const uint64_t a = words[w], b = words[w + 1], c = words[w + 2];
            const int64_t at = word_line[w];
            total[at]++;
            size_t slot = (size_t)mix64(a ^ mix64(b ^ mix64(c))) & mask;
            for (;;) {
                GramSlot *s = &slots[slot];
                if (s->stamp != stamp) {
                    s->a = a;
                    s->b = b;
                    s->c = c;
                    s->line = at;
                    s->stamp = stamp;
                    break;
                }
                if (s->a == a && s->b == b && s->c == c) {
                    if (s->line < at) hit[at] += 1.0;
                    break;
                }
                slot = (slot + 1) & mask;
            }
        }
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(words);
    PyMem_Free(word_line);
    PyMem_Free(slots);
    PyMem_Free(owned);
    release(views, 3);
    return result;
}


/* ---- per-line character counts ----------------------------------------------------------- */

enum {
    STAT_TOKENS, STAT_UNSPACED, STAT_ALPHA, STAT_UPPER, STAT_SEPARATORS, STAT_DIGITS, STAT_QUESTIONS, STAT_TABS,
    STAT_FIRST, STAT_LAST, STAT_SECOND, STAT_PERSON, STAT_LIST_MARKER, STAT_COUNT
};

static inline int in_table(const unsigned char *table, Py_ssize_t size, Py_UCS4 c) {
    return table[(Py_ssize_t)c < size - 1 ? (Py_ssize_t)c : size - 1];
}

static inline unsigned char needle_code(Py_UCS4 c) {
    if (c < 128) return (unsigned char)c;
    return c == 0x2026 ? 1 : c == 0xA9 ? 2 : 0;
}

/* \w of the `re` module on str: str.isalnum() or "_". */
static inline int re_word(Py_UCS4 c) {
    if (c < 0x10000) return (char_class[c] & 4) != 0;
    return Py_UNICODE_ISALNUM(c);
}

/* The words _PERSON (segments/features.py) matches: its alternatives with an apostrophe never
 * match where the word before the apostrophe ("i", "we", "you") does not, so a match is a whole
 * run of \w characters equal to one of these. */
static const char *const person_words[] = {"i", "me", "my", "mine", "we", "us", "our", "ours", "you", "your",
                                           "yours", "u", NULL};

static int is_person_word(const Py_UCS4 *run, Py_ssize_t length) {
    if (length > 5 || (run[0] != 'i' && run[0] != 'm' && run[0] != 'o' && run[0] != 'u' && run[0] != 'w' &&
                       run[0] != 'y'))
        return 0;
    for (const char *const *word = person_words; *word != NULL; word++) {
        if ((*word)[0] != (char)run[0] || (Py_ssize_t)strlen(*word) != length) continue;
        Py_ssize_t j = 0;
        while (j < length && run[j] == (Py_UCS4)(unsigned char)(*word)[j]) j++;
        if (j == length) return 1;
    }
    return 0;
}

static inline int list_bullet(Py_UCS4 c) {
    return c == '-' || c == '*' || c == 0x2022 || c == 0xB7 || c == 0x25AA || c == 0x25BA || c == 0x25B8 ||
           c == 0x25E6;
}

/* _LIST_MARKER at position i, a line's start: [ \t]* then a bullet or 1-3 digits and "." or ")",
 * then a space or tab. */
static int list_marker_at(const Py_UCS4 *u, Py_ssize_t length, Py_ssize_t i) {
    while (i < length && (u[i] == ' ' || u[i] == '\t')) i++;
    if (i >= length) return 0;
    if (list_bullet(u[i])) {
        i++;
    } else {
        Py_ssize_t digits = 0;
        while (i < length && digits < 3 && re_decimal(u[i])) {
            i++;
            digits++;
        }
        if (digits == 0 || i >= length || (u[i] != '.' && u[i] != ')')) return 0;
        i++;
    }
    return i < length && (u[i] == ' ' || u[i] == '\t');
}

/* line_stats(text, lower, starts, ends, space, separator, alpha, upper, unspaced, first_table, second_table,
 *            pairs, stats, needles, first_keys, quoted):
 * one pass over a batch's joined lines for LineBatch's character features (segments/features.py):
 * stats (lines x STAT_COUNT int64) holds per line the white-space tokens, unspaced-script
 * characters, word starts that are letters / upper-case, item separators, ASCII digits, "?"
 * outside quotes, tabs, and the first, last and second-to-last code points (0 where the line is
 * shorter); quoted (uint8 per character) marks the characters inside quotation marks (_QUOTED).
 * With `lower` (the lower-cased text, same length): needles (uint16) and first_keys (int64) get
 * each line's needle-group bits and the 3-character key at its start (see _needle_tables; pairs
 * says which two leading characters begin a key with bits, so most positions skip the big table), and
 * the stats the matches of _PERSON outside quotes and of _LIST_MARKER (0 without `lower`). */
static PyObject *line_stats(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *text, *lower;
    Py_buffer views[14];
    Py_buffer *const starts = &views[0], *const ends = &views[1], *const space = &views[2],
                     *const separator = &views[3], *const alpha = &views[4], *const upper = &views[5],
                     *const unspaced = &views[6], *const first_table = &views[7], *const second_table = &views[8],
                     *const pair_table = &views[9], *const stats = &views[10], *const needles = &views[11],
                     *const first_keys = &views[12], *const quoted = &views[13];
    if (!PyArg_ParseTuple(args, "UOy*y*y*y*y*y*y*y*y*y*w*w*w*w*", &text, &lower, starts, ends, space, separator,
                          alpha, upper, unspaced, first_table, second_table, pair_table, stats, needles, first_keys,
                          quoted))
        return NULL;
    PyObject *result = NULL;
    Py_UCS4 *owned_text = NULL, *owned_lower = NULL;
    const Py_UCS4 *u = NULL, *lu = NULL;
    unsigned char *small = NULL;
    const Py_ssize_t lines = starts->len / (Py_ssize_t)sizeof(int64_t);
    const int with_lower = lower != Py_None;
    if (with_lower && !PyUnicode_Check(lower)) {
        PyErr_SetString(PyExc_TypeError, "line_stats: lower must be None or a str");
        goto done;
    }
    u = ucs4_of(text, &owned_text);
    if (u == NULL) goto done;
    const Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if (with_lower) {
        lu = ucs4_of(lower, &owned_lower);
        if (lu == NULL) goto done;
        if (PyUnicode_GET_LENGTH(lower) != length) {
            PyErr_SetString(PyExc_ValueError, "line_stats: lower must be as long as text");
            goto done;
        }
    }
    if (ends->len != starts->len || stats->len != lines * STAT_COUNT * (Py_ssize_t)sizeof(int64_t) ||
        needles->len != lines * (Py_ssize_t)sizeof(uint16_t) || first_keys->len != lines * (Py_ssize_t)sizeof(int64_t) ||
        quoted->len != length || space->len < 1 || separator->len < 1 || alpha->len != upper->len ||
        unspaced->len % (2 * (Py_ssize_t)sizeof(int64_t)) != 0 || first_table->len != (1 << 21) * 2 ||
        second_table->len != (1 << 21) * 2 || pair_table->len != 128 * 128) {
        PyErr_SetString(PyExc_ValueError, "line_stats: arrays of the wrong size");
        goto done;
    }
    const int64_t *start = starts->buf, *end = ends->buf;
    for (Py_ssize_t k = 0; k < lines; k++) {
        if (start[k] < 0 || end[k] < start[k] || end[k] > length) {
            PyErr_SetString(PyExc_ValueError, "line_stats: a line outside the text");
            goto done;
        }
    }
    const unsigned char *space_table = space->buf, *separator_table = separator->buf;
    const unsigned char *alpha_table = alpha->buf, *upper_table = upper->buf;
    const Py_ssize_t table_size = alpha->len;
    const int64_t *ranges = unspaced->buf;
    const Py_ssize_t range_count = unspaced->len / (2 * (Py_ssize_t)sizeof(int64_t));
    unsigned char *inside = quoted->buf;
    /* _QUOTED: an opening “ or " runs to the next ” or " (included) or to the line's end. */
    int open = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        const Py_UCS4 c = u[i];
        if (!open) {
            open = c == 0x201C || c == '"';
            inside[i] = (unsigned char)open;
        } else if (c == '\n') {
            open = 0;
            inside[i] = 0;
        } else {
            inside[i] = 1;
            if (c == 0x201D || c == '"') open = 0;
        }
    }
    int64_t *row = stats->buf;
    for (Py_ssize_t k = 0; k < lines; k++, row += STAT_COUNT) {
        memset(row, 0, STAT_COUNT * sizeof(int64_t));
        const Py_ssize_t a = (Py_ssize_t)start[k], b = (Py_ssize_t)end[k];
        int previous_space = a == 0 || in_table(space_table, space->len, u[a - 1]);
        for (Py_ssize_t i = a; i < b; i++) {
            const Py_UCS4 c = u[i];
            const int is_space = in_table(space_table, space->len, c);
            if (!is_space && previous_space) {
                row[STAT_TOKENS]++;
                if ((Py_ssize_t)c < table_size) {
                    row[STAT_ALPHA] += alpha_table[c] != 0;
                    row[STAT_UPPER] += upper_table[c] != 0;
                } else {
                    row[STAT_ALPHA] += c >= 0x3040;
                }
            }
            previous_space = is_space;
            if (c >= 128) {
                for (Py_ssize_t r = 0; r < range_count; r++) {
                    if ((int64_t)c >= ranges[2 * r] && (int64_t)c <= ranges[2 * r + 1]) {
                        row[STAT_UNSPACED]++;
                        break;
                    }
                }
            }
            if (c >= '0' && c <= '9') row[STAT_DIGITS]++;
            else if (c == '?') row[STAT_QUESTIONS] += !inside[i];
            else if (c == '\t') row[STAT_TABS]++;
            if (i >= 1 && i + 1 < length && u[i - 1] == ' ' && u[i + 1] == ' ' &&
                in_table(separator_table, separator->len, c))
                row[STAT_SEPARATORS]++;
        }
        if (b > a) {
            row[STAT_FIRST] = (int64_t)u[a];
            row[STAT_LAST] = (int64_t)u[b - 1];
        }
        if (b - a > 1) row[STAT_SECOND] = (int64_t)u[b - 2];
    }
    uint16_t *bits = needles->buf;
    int64_t *keys = first_keys->buf;
    memset(bits, 0, (size_t)lines * sizeof(uint16_t));
    memset(keys, 0, (size_t)lines * sizeof(int64_t));
    if (with_lower) {
        small = PyMem_Calloc((size_t)length + 6, 1);
        if (small == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t i = 0; i < length; i++) small[i] = needle_code(lu[i]);
        const uint16_t *table1 = first_table->buf, *table2 = second_table->buf;
        const unsigned char *pair = pair_table->buf;
#define KEY(j) (((uint32_t)small[(j)] << 14) | ((uint32_t)small[(j) + 1] << 7) | (uint32_t)small[(j) + 2])
        row = stats->buf;
        for (Py_ssize_t k = 0; k < lines; k++, row += STAT_COUNT) {
            const Py_ssize_t a = (Py_ssize_t)start[k], b = (Py_ssize_t)end[k];
            if (b == a) continue;
            keys[k] = (int64_t)KEY(a);
            /* positions a..b: the line and the line break after it (the text's end has no bits) */
            uint16_t line_bits = 0;
            const Py_ssize_t last = b < length ? b : length - 1;
            for (Py_ssize_t i = a; i <= last; i++) {
                if (!pair[((uint32_t)small[i] << 7) | small[i + 1]]) continue;
                const uint16_t first_bits = table1[KEY(i)];
                if (first_bits) line_bits |= first_bits & table2[i + 3 < length ? KEY(i + 3) : 0];
            }
            bits[k] = line_bits;
            /* _PERSON (outside quotes) and _LIST_MARKER, which `^` anchors after each "\n" */
            for (Py_ssize_t i = a; i < b;) {
                if ((i == 0 || lu[i - 1] == '\n') && list_marker_at(lu, length, i)) row[STAT_LIST_MARKER]++;
                if (!re_word(lu[i])) {
                    i++;
                    continue;
                }
                Py_ssize_t j = i + 1;
                while (j < length && re_word(lu[j])) j++;
                /* a run inside the line starts a match only at its first character (\b) */
                if ((i == 0 || !re_word(lu[i - 1])) && is_person_word(lu + i, j - i) && !inside[i]) row[STAT_PERSON]++;
                i = j; /* no line starts inside a run: "\n" is not \w */
            }
        }
#undef KEY
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(owned_text);
    PyMem_Free(owned_lower);
    PyMem_Free(small);
    release(views, 14);
    return result;
}

/* ---- literal phrase patterns ---------------------------------------------------------------- */

/* \b of the `re` module between positions i - 1 and i of u (outside the string: not \w). */
static inline int re_boundary(const Py_UCS4 *u, Py_ssize_t length, Py_ssize_t i) {
    const int before = i > 0 && re_word(u[i - 1]);
    const int after = i < length && re_word(u[i]);
    return before != after;
}

/* literal_lines(lower, starts, ends, literals, flags, groups, out): for each line and each group, 1 when
 * the line holds one of the group's literals (a tuple of str) with a \b before it when flags[i] & 1
 * and after it when flags[i] & 2; out is lines x groups uint8. A regex that is an alternation of
 * such literals matches in a line exactly when this finds one of them there. */
static PyObject *literal_lines(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *lower, *literals;
    Py_buffer views[5];
    Py_buffer *const starts = &views[0], *const ends = &views[1], *const flags = &views[2], *const groups = &views[3],
                     *const out = &views[4];
    if (!PyArg_ParseTuple(args, "UO!y*y*y*y*w*", &lower, &PyTuple_Type, &literals, starts, ends, flags, groups, out))
        return NULL;
    PyObject *result = NULL;
    Py_UCS4 *owned = NULL;
    const Py_UCS4 *u = NULL;
    Py_UCS4 **text_of = NULL;
    Py_ssize_t *length_of = NULL, *order = NULL;
    unsigned char *pairs = NULL;
    const Py_ssize_t count = PyTuple_GET_SIZE(literals);
    const Py_ssize_t lines = starts->len / (Py_ssize_t)sizeof(int64_t);
    const int64_t *group = groups->buf;
    Py_ssize_t group_count = 0;
    if (flags->len != count || groups->len != count * (Py_ssize_t)sizeof(int64_t) || ends->len != starts->len) {
        PyErr_SetString(PyExc_ValueError, "literal_lines: one flag and one group a literal; starts and ends alike");
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        if (group[i] < 0) {
            PyErr_SetString(PyExc_ValueError, "literal_lines: negative group");
            goto done;
        }
        if (group[i] + 1 > group_count) group_count = (Py_ssize_t)group[i] + 1;
    }
    if (out->len != lines * group_count) {
        PyErr_SetString(PyExc_ValueError, "literal_lines: out must be lines x groups bytes");
        goto done;
    }
    text_of = PyMem_Calloc((size_t)count + 1, sizeof(Py_UCS4 *));
    length_of = PyMem_Calloc((size_t)count + 1, sizeof(Py_ssize_t));
    if (text_of == NULL || length_of == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *literal = PyTuple_GET_ITEM(literals, i);
        if (!PyUnicode_Check(literal) || PyUnicode_GET_LENGTH(literal) == 0) {
            PyErr_SetString(PyExc_TypeError, "literal_lines: literals must be non-empty str");
            goto done;
        }
        text_of[i] = PyUnicode_AsUCS4Copy(literal);
        if (text_of[i] == NULL) goto done;
        length_of[i] = PyUnicode_GET_LENGTH(literal);
    }
    /* Literals by first character: order[bucket[c]..bucket[c + 1]) for c < 128, the rest in bucket 128. */
    order = PyMem_Malloc(((size_t)count + 1) * sizeof(Py_ssize_t));
    if (order == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t bucket[130] = {0};
    for (Py_ssize_t i = 0; i < count; i++) bucket[(text_of[i][0] < 128 ? text_of[i][0] : 128) + 1]++;
    for (int b = 0; b < 129; b++) bucket[b + 1] += bucket[b];
    {
        Py_ssize_t fill[129];
        memcpy(fill, bucket, sizeof(fill));
        for (Py_ssize_t i = 0; i < count; i++) order[fill[text_of[i][0] < 128 ? text_of[i][0] : 128]++] = i;
    }
    /* The first two characters of the literals, when both are ASCII (loose: a bucket with another literal). */
    pairs = PyMem_Calloc(128 * 128 + 129, 1);
    if (pairs == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    unsigned char *const loose = pairs + 128 * 128;
    for (Py_ssize_t i = 0; i < count; i++) {
        const Py_UCS4 first = text_of[i][0], second = length_of[i] > 1 ? text_of[i][1] : 0x110000;
        if (first < 128 && second < 128) pairs[first * 128 + second] = 1;
        else loose[first < 128 ? first : 128] = 1;
    }
    u = ucs4_of(lower, &owned);
    if (u == NULL) goto done;
    const Py_ssize_t length = PyUnicode_GET_LENGTH(lower);
    const int64_t *start = starts->buf, *end = ends->buf;
    const unsigned char *flag = flags->buf;
    unsigned char *found = out->buf;
    memset(found, 0, (size_t)out->len);
    for (Py_ssize_t k = 0; k < lines; k++) {
        if (start[k] < 0 || end[k] < start[k] || end[k] > length) {
            PyErr_SetString(PyExc_ValueError, "literal_lines: a line outside the text");
            goto done;
        }
        unsigned char *row = found + k * group_count;
        Py_ssize_t left = group_count;
        for (Py_ssize_t p = (Py_ssize_t)start[k]; p < (Py_ssize_t)end[k] && left > 0; p++) {
            const Py_UCS4 c = u[p];
            const int b = c < 128 ? (int)c : 128;
            if (bucket[b] == bucket[b + 1]) continue;
            if (!loose[b] && (p + 1 >= length || u[p + 1] >= 128 || !pairs[c * 128 + u[p + 1]])) continue;
            const int starts_word = re_boundary(u, length, p);
            for (Py_ssize_t o = bucket[b]; o < bucket[b + 1]; o++) {
                const Py_ssize_t i = order[o];
                const Py_UCS4 *literal = text_of[i];
                const Py_ssize_t n = length_of[i];
                if (((flag[i] & 1) && !starts_word) || literal[0] != c || row[group[i]] || p + n > length) continue;
                Py_ssize_t j = 1;
                while (j < n && u[p + j] == literal[j]) j++;
                if (j < n) continue;
                if ((flag[i] & 2) && !re_boundary(u, length, p + n)) continue;
                row[group[i]] = 1;
                left--;
            }
        }
    }
    result = Py_NewRef(Py_None);
done:
    if (text_of != NULL)
        for (Py_ssize_t i = 0; i < count; i++) PyMem_Free(text_of[i]);
    PyMem_Free(text_of);
    PyMem_Free(length_of);
    PyMem_Free(order);
    PyMem_Free(pairs);
    PyMem_Free(owned);
    release(views, 5);
    return result;
}

/* ---- bylines and dates ---------------------------------------------------------------------- */

static inline int decimal(const Py_UCS4 *u, Py_ssize_t length, Py_ssize_t i) {
    return i < length && re_decimal(u[i]);
}

/* Decimal digits from i on. */
static Py_ssize_t decimal_run(const Py_UCS4 *u, Py_ssize_t length, Py_ssize_t i) {
    Py_ssize_t j = i;
    while (decimal(u, length, j)) j++;
    return j - i;
}

static int text_at(const Py_UCS4 *u, Py_ssize_t length, Py_ssize_t i, const char *ascii) {
    for (; *ascii; ascii++, i++)
        if (i >= length || u[i] != (Py_UCS4)(unsigned char)*ascii) return 0;
    return 1;
}

/* _MONTH at i: a month's first three letters, the rest of the [a-z] run, an optional "."; the
 * position after it, or -1. (Stopping the [a-z] run early or skipping the "." leaves a letter or
 * "." where the pattern goes on with " " or ",": only the longest reading can match.) */
static Py_ssize_t month_at(const Py_UCS4 *u, Py_ssize_t length, Py_ssize_t i) {
    static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                         "dec", NULL};
    int found = 0;
    for (const char *const *month = months; *month != NULL && !found; month++) found = text_at(u, length, i, *month);
    if (!found) return -1;
    i += 3;
    while (i < length && u[i] >= 'a' && u[i] <= 'z') i++;
    if (i < length && u[i] == '.') i++;
    return i;
}

/* (?:st|nd|rd|th)? where the pattern goes on with "," or " ": taken when there. */
static Py_ssize_t ordinal_suffix(const Py_UCS4 *u, Py_ssize_t length, Py_ssize_t i) {
    if (text_at(u, length, i, "st") || text_at(u, length, i, "nd") || text_at(u, length, i, "rd") ||
        text_at(u, length, i, "th"))
        return i + 2;
    return i;
}

/* ",? \d{4}\b" at i. */
static int comma_year(const Py_UCS4 *u, Py_ssize_t length, Py_ssize_t i) {
    if (i < length && u[i] == ',') i++;
    if (i >= length || u[i] != ' ') return 0;
    i++;
    return decimal_run(u, length, i) >= 4 && re_boundary(u, length, i + 4);
}

/* _BYLINE_DATE (segments/features.py) matches at position p of the lower-cased text. Each \d{1,2}
 * or \d{4} must take a whole run of digits, since what follows it is never a digit. */
static int byline_date_at(const Py_UCS4 *u, Py_ssize_t length, Py_ssize_t p) {
    static const char *const openers[] = {"by", "posted", "published", "updated", "written by", "last updated", NULL};
    const Py_UCS4 c = u[p];
    if (p == 0 || u[p - 1] == '\n') {
        for (const char *const *opener = openers; *opener != NULL; opener++) {
            const Py_ssize_t n = (Py_ssize_t)strlen(*opener);
            if (text_at(u, length, p, *opener) && re_boundary(u, length, p + n)) return 1;
        }
    }
    if (!re_boundary(u, length, p)) return 0;
    if (c == 'a' || c == 'd' || c == 'f' || c == 'j' || c == 'm' || c == 'n' || c == 'o' || c == 's') {
        /* MONTH \d{1,2}(?:st|nd|rd|th)?,? \d{4}\b */
        const Py_ssize_t i = month_at(u, length, p);
        if (i < 0 || i >= length || u[i] != ' ') return 0;
        const Py_ssize_t digits = decimal_run(u, length, i + 1);
        return (digits == 1 || digits == 2) && comma_year(u, length, ordinal_suffix(u, length, i + 1 + digits));
    }
    if (!re_decimal(c)) return 0;
    const Py_ssize_t digits = decimal_run(u, length, p);
    Py_ssize_t i = p + digits;
    if (digits == 1 || digits == 2) {
        /* \d{1,2}(?:st|nd|rd|th)? MONTH,? \d{4}\b */
        const Py_ssize_t after = ordinal_suffix(u, length, i);
        if (after < length && u[after] == ' ') {
            const Py_ssize_t month_end = month_at(u, length, after + 1);
            if (month_end >= 0 && comma_year(u, length, month_end)) return 1;
        }
        /* \d{1,2}:\d{2} ?(?:am|pm)?\b: every choice of the two optional parts */
        if (i < length && u[i] == ':' && decimal_run(u, length, i + 1) >= 2) {
            const Py_ssize_t q = i + 3;
            if (re_boundary(u, length, q)) return 1;
            if ((text_at(u, length, q, "am") || text_at(u, length, q, "pm")) && re_boundary(u, length, q + 2)) return 1;
            if (q < length && u[q] == ' ') {
                if (re_boundary(u, length, q + 1)) return 1;
                if ((text_at(u, length, q + 1, "am") || text_at(u, length, q + 1, "pm")) &&
                    re_boundary(u, length, q + 3))
                    return 1;
            }
        }
        return 0;
    }
    /* \d{4}[-/]\d{2}[-/]\d{2}\b */
    if (digits != 4 || i >= length || (u[i] != '-' && u[i] != '/')) return 0;
    if (decimal_run(u, length, i + 1) != 2) return 0;
    i += 3;
    if (i >= length || (u[i] != '-' && u[i] != '/')) return 0;
    return decimal_run(u, length, i + 1) >= 2 && re_boundary(u, length, i + 3);
}

/* byline_lines(lower, starts, ends, out): per line, 1 when _BYLINE_DATE matches in it (uint8). */
static PyObject *byline_lines(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *lower;
    Py_buffer views[3];
    Py_buffer *const starts = &views[0], *const ends = &views[1], *const out = &views[2];
    if (!PyArg_ParseTuple(args, "Uy*y*w*", &lower, starts, ends, out)) return NULL;
    PyObject *result = NULL;
    Py_UCS4 *owned = NULL;
    const Py_UCS4 *u = NULL;
    const Py_ssize_t lines = starts->len / (Py_ssize_t)sizeof(int64_t);
    if (ends->len != starts->len || out->len != lines) {
        PyErr_SetString(PyExc_ValueError, "byline_lines: starts, ends and out must have one entry a line");
        goto done;
    }
    u = ucs4_of(lower, &owned);
    if (u == NULL) goto done;
    const Py_ssize_t length = PyUnicode_GET_LENGTH(lower);
    const int64_t *start = starts->buf, *end = ends->buf;
    unsigned char *found = out->buf;
    for (Py_ssize_t k = 0; k < lines; k++) {
        if (start[k] < 0 || end[k] < start[k] || end[k] > length) {
            PyErr_SetString(PyExc_ValueError, "byline_lines: a line outside the text");
            goto done;
        }
        found[k] = 0;
        for (Py_ssize_t p = (Py_ssize_t)start[k]; p < (Py_ssize_t)end[k] && !found[k]; p++) {
            const Py_UCS4 c = u[p];
            /* every branch starts with a letter of a month or opener, or a digit */
            if ((c < 'a' || c > 'z') && !re_decimal(c)) continue;
            /* ... at a \b (or a line's start, which follows "\n"): never right after a word character */
            if (p > 0 && re_word(u[p - 1])) continue;
            found[k] = (unsigned char)byline_date_at(u, length, p);
        }
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(owned);
    release(views, 3);
    return result;
}

/* ---- the lines of the documents ------------------------------------------------------------- */

static inline int re_space(Py_UCS4 c) {
    if (c < 0x10000) return (char_class[c] & 8) != 0;
    return Py_UNICODE_ISSPACE(c);
}

/* stripped_lines(texts) -> (lines, spans, counts): segments.lines.line_spans for every text of a
 * list: the non-blank lines ("\n" ends a line; white space, as the `re` module's \s, trimmed from
 * both ends), as str, with their (start, end) in their text (int64 pairs) and the count per text
 * (int64), both as bytearrays. */
static PyObject *stripped_lines(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *texts;
    if (!PyArg_ParseTuple(args, "O", &texts)) return NULL;
    PyObject *sequence = PySequence_Fast(texts, "stripped_lines: texts must be a sequence of str");
    if (sequence == NULL) return NULL;
    PyObject *lines = PyList_New(0), *result = NULL;
    int64_t *spans = NULL, *counts = NULL;
    Py_ssize_t used = 0, capacity = 1024;
    const Py_ssize_t count = PySequence_Fast_GET_SIZE(sequence);
    spans = PyMem_Malloc((size_t)capacity * 2 * sizeof(int64_t));
    counts = PyMem_Malloc(((size_t)count + 1) * sizeof(int64_t));
    if (lines == NULL || spans == NULL || counts == NULL) {
        if (lines != NULL) PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t t = 0; t < count; t++) {
        PyObject *text = PySequence_Fast_GET_ITEM(sequence, t);
        if (!PyUnicode_Check(text)) {
            PyErr_Format(PyExc_TypeError, "stripped_lines: texts[%zd] is %.100s, not str", t, Py_TYPE(text)->tp_name);
            goto done;
        }
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(text) < 0) goto done;
#endif
        const int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        const Py_ssize_t length = PyUnicode_GET_LENGTH(text);
        counts[t] = 0;
        Py_ssize_t i = 0;
        while (i < length) {
            /* one line: [i, line_end) */
            Py_ssize_t first = -1, last = -1, j = i;
            for (; j < length; j++) {
                const Py_UCS4 c = PyUnicode_READ(kind, data, j);
                if (c == '\n') break;
                if (!re_space(c)) {
                    if (first < 0) first = j;
                    last = j;
                }
            }
            if (first >= 0) {
                if (used == capacity) {
                    capacity *= 2;
                    int64_t *grown = PyMem_Realloc(spans, (size_t)capacity * 2 * sizeof(int64_t));
                    if (grown == NULL) {
                        PyErr_NoMemory();
                        goto done;
                    }
                    spans = grown;
                }
                PyObject *line = PyUnicode_Substring(text, first, last + 1);
                if (line == NULL) goto done;
                const int failed = PyList_Append(lines, line);
                Py_DECREF(line);
                if (failed < 0) goto done;
                spans[2 * used] = first;
                spans[2 * used + 1] = last + 1;
                used++;
                counts[t]++;
            }
            i = j + 1;
        }
    }
    result = Py_BuildValue("(Oy#y#)", lines, (const char *)spans, (Py_ssize_t)(used * 2 * (Py_ssize_t)sizeof(int64_t)),
                           (const char *)counts, (Py_ssize_t)(count * (Py_ssize_t)sizeof(int64_t)));
done:
    Py_DECREF(sequence);
    Py_XDECREF(lines);
    PyMem_Free(spans);
    PyMem_Free(counts);
    return result;
}

static PyMethodDef module_methods[] = {
    {"stripped_lines", stripped_lines, METH_VARARGS,
     "stripped_lines(texts) -> (lines, spans, counts): the non-blank, stripped lines of every text (str), their\n"
     "(start, end) in the text and the count per text (int64, as bytes)."},
    {"byline_lines", byline_lines, METH_VARARGS,
     "byline_lines(lower, starts, ends, out): per line, whether _BYLINE_DATE matches in it (uint8)."},
    {"literal_lines", literal_lines, METH_VARARGS,
     "literal_lines(lower, starts, ends, literals, flags, groups, out): per line and group, whether one of the\n"
     "group's literals occurs (with \\b before / after as flags say)."},
    {"line_stats", line_stats, METH_VARARGS,
     "line_stats(text, lower, starts, ends, space, separator, alpha, upper, unspaced, first_table, second_table,\n"
     "pairs, stats, needles, first_keys, quoted): a batch's per-line character counts, needle bits and quoted mask."},
    {"window_means", window_means, METH_VARARGS,
     "window_means(values, offsets, radius, out): per document, the mean over the lines within `radius`."},
    {"span_masks", span_masks, METH_VARARGS,
     "span_masks(scores, offsets, out): per document, the contiguous run with the largest total (uint8 mask)."},
    {"window_maxes", window_maxes, METH_VARARGS,
     "window_maxes(values, offsets, radius, out): per document, the maximum over the lines within `radius`."},
    {"nearest_distances", nearest_distances, METH_VARARGS,
     "nearest_distances(mask, offsets, out): lines to the nearest set line of the document (its length if none)."},
    {"title_lines", title_lines, METH_VARARGS,
     "title_lines(heading, main, offsets, before, out): per document, the headline line (int64, -1: none)."},
    {"gram_overlap", gram_overlap, METH_VARARGS,
     "gram_overlap(lower, offsets, hits, totals): per line, word 3-grams and those seen in earlier lines."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "thresher._native_segtext",
    .m_doc = "Compiled per-batch kernels of the plain-text segmenter.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__native_segtext(void) {
    for (Py_UCS4 c = 0; c < 0x10000; c++) {
        const int alnum = Py_UNICODE_ISALNUM(c) != 0;
        const int start = alnum && !Py_UNICODE_ISDECIMAL(c);
        const int cont = alnum || c == '_' || c == '\'' || c == '-' || c == 0x2019;
        char_class[c] = (unsigned char)((start ? 1 : 0) | (cont ? 2 : 0) | (alnum || c == '_' ? 4 : 0) |
                                        (Py_UNICODE_ISSPACE(c) ? 8 : 0) | (Py_UNICODE_ISDECIMAL(c) ? 16 : 0));
    }
    return PyModule_Create(&native_module);
}
