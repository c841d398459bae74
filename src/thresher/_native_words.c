/* thresher._native_words: spaCy's English tokenizer for new chunks, and per-word facts, in C.
 *
 * Why: the spaCy-compatible splitter (thresher/signals/words.py) caches each white-space
 * chunk's tokens, so only chunks never seen cost anything, but on unrepeated web text a
 * quarter of all chunks are new, and each new one costs regex searches and Python loops
 * (~5-15 us). Here the prefix / suffix / infix rules run as small programs compiled from the
 * rules' parsed patterns (thresher/signals/_spacy_native.py: alternatives of single-character
 * items with fixed look-behinds, one-character look-aheads, a greedy run and `$`), over the
 * chunk's code points, with Python's regex semantics; the affix loop and the infix split
 * follow spaCy's `_split_affixes` / `_attach_tokens` line for line (as words.py does). What
 * stays in Python: the URL rule (called only for a core holding a '.') and the special-case
 * matcher (called only when a matcher pattern is found among the tokens).
 *
 * Also: each chunk's effect on the sentencizer (words.py `_transition`) from its tokens,
 * Gopher's word ids and per-word facts (symbol word, has a letter) for new words, and the
 * grouping of repeated 64-bit n-gram keys (signals/_batch.py `_repeated_groups`) by hashing.
 *
 * The module is optional: without it (or with THRESHER_NATIVE=0) words.py and _batch.py run
 * the same in Python, and the tests and benchmarks/spacy_tokenizer_check.py check both agree.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define PREFIX_FIRST (1u << 29)
#define SUFFIX_LAST (1u << 30)
#define INFIX_FIRST (1u << 31)
#define HEADER 7 /* n_behind, n_core, run_min, ahead_kind, ahead_item, run_item, at_end */
#define MAX_CODE 0x110000

/* One compiled pattern: its alternatives' offsets into the int32 program, and an index of them
 * by their key item (the first character they consume; for suffixes, the last): those keyed by
 * a literal, sorted by (code point, alternative), and those keyed by a class, in order. Only
 * the alternatives whose key item matches the character there can match. */
typedef struct {
    const int32_t *code;
    Py_ssize_t count;
    Py_ssize_t *offsets;
    int32_t *literal_cp;
    Py_ssize_t *literal_alt, *class_alt, n_literal, n_class;
    int32_t *class_item;
} Program;

/* A chunk being tokenized, and the read-only tables. */
typedef struct {
    int kind;
    const void *data;
    const uint32_t *table;
    Program prefix, suffix, infix;
    PyObject *specials, *matcher, *matcher_first, *url, *apply_matcher;
    Py_ssize_t matcher_max;
    Py_ssize_t specials_max; /* the longest special case: longer pieces are not looked up */
} Ctx;

static inline uint32_t bits_of(const Ctx *ctx, Py_UCS4 c) { return c < MAX_CODE ? ctx->table[c] : 0; }

static inline int item_match(const Ctx *ctx, int32_t item, Py_UCS4 c) {
    if (item >= 0) return (Py_UCS4)item == c;
    return (int)((bits_of(ctx, c) >> (-1 - item)) & 1u);
}

#define CHAR(i) PyUnicode_READ(ctx->kind, ctx->data, (i))

static void program_free(Program *program) {
    PyMem_Free(program->offsets);
    PyMem_Free(program->literal_cp);
    PyMem_Free(program->literal_alt);
    PyMem_Free(program->class_alt);
    PyMem_Free(program->class_item);
}

/* The key item of alternative `alt`: the first consumed character, or with `last` the last. */
static int32_t key_item(const int32_t *alt, int last) {
    int32_t nb = alt[0], nc = alt[1], run_min = alt[2];
    if (last) return run_min > 0 ? alt[5] : alt[HEADER + nb + nc - 1];
    return nc > 0 ? alt[HEADER + nb] : alt[5];
}

/* Offsets of each alternative of a program and its index (`last`: keyed by the last character);
 * -1 (ValueError) if malformed. */
static int program_init(Program *program, const int32_t *code, Py_ssize_t length, int last) {
    memset(program, 0, sizeof *program);
    program->code = code;
    if (length < 1 || code[0] < 0) goto bad;
    program->count = code[0];
    size_t slots = (size_t)(program->count + 1);
    program->offsets = PyMem_Malloc(sizeof(Py_ssize_t) * slots);
    program->literal_cp = PyMem_Malloc(sizeof(int32_t) * slots);
    program->literal_alt = PyMem_Malloc(sizeof(Py_ssize_t) * slots);
    program->class_alt = PyMem_Malloc(sizeof(Py_ssize_t) * slots);
    program->class_item = PyMem_Malloc(sizeof(int32_t) * slots);
    if (!program->offsets || !program->literal_cp || !program->literal_alt || !program->class_alt ||
        !program->class_item) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t at = 1;
    for (Py_ssize_t k = 0; k < program->count; k++) {
        if (at + HEADER > length) goto bad;
        program->offsets[k] = at;
        int32_t nb = code[at], nc = code[at + 1];
        if (nb < 0 || nc < 0 || (nc == 0 && code[at + 2] <= 0)) goto bad;
        at += HEADER + nb + nc;
        if (at > length) goto bad;
        int32_t item = key_item(code + program->offsets[k], last);
        if (item >= 0) {
            /* insertion into (code point, alternative) order; alternatives arrive in order */
            Py_ssize_t i = program->n_literal++;
            while (i > 0 && program->literal_cp[i - 1] > item) {
                program->literal_cp[i] = program->literal_cp[i - 1];
                program->literal_alt[i] = program->literal_alt[i - 1];
                i--;
            }
            program->literal_cp[i] = item;
            program->literal_alt[i] = k;
        } else {
            program->class_item[program->n_class] = item;
            program->class_alt[program->n_class++] = k;
        }
    }
    if (at != length) goto bad;
    return 0;
bad:
    PyErr_SetString(PyExc_ValueError, "malformed affix program");
    return -1;
}

/* End of alternative `alt` matched at p within [b, e), or -1. Runs are greedy (nothing but
 * a look-ahead or `$` follows them, so Python's backtracking could only shorten a match that
 * then fails the same test). */
static Py_ssize_t match_alt(const Ctx *ctx, const int32_t *alt, Py_ssize_t b, Py_ssize_t e, Py_ssize_t p) {
    int32_t nb = alt[0], nc = alt[1], run_min = alt[2], ahead_kind = alt[3];
    const int32_t *behind = alt + HEADER, *core = behind + nb;
    if (p + nc > e || p - nb < b) return -1;
    for (int32_t k = 0; k < nc; k++)
        if (!item_match(ctx, core[k], CHAR(p + k))) return -1;
    for (int32_t k = 0; k < nb; k++)
        if (!item_match(ctx, behind[k], CHAR(p - nb + k))) return -1;
    Py_ssize_t q = p + nc;
    if (run_min > 0) {
        Py_ssize_t start = q;
        while (q < e && item_match(ctx, alt[5], CHAR(q))) q++;
        if (q - start < run_min) return -1;
    }
    if (ahead_kind) {
        int seen = q < e && item_match(ctx, alt[4], CHAR(q));
        if (seen != (ahead_kind == 1)) return -1;
    }
    if (alt[6] && q != e) return -1;
    return q;
}

/* The first index of a literal key >= c. */
static Py_ssize_t literal_from(const Program *program, Py_UCS4 c) {
    Py_ssize_t low = 0, high = program->n_literal;
    while (low < high) {
        Py_ssize_t middle = (low + high) / 2;
        if ((Py_UCS4)program->literal_cp[middle] < c)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

/* The first alternative, in pattern order, that matches at p (its key item being the
 * character at p): its end, or -1. Python tries alternatives in order; those whose first
 * character cannot be CHAR(p) cannot match, so only the others are tried. */
static Py_ssize_t first_match(const Ctx *ctx, const Program *program, Py_ssize_t b, Py_ssize_t e, Py_ssize_t p) {
    Py_UCS4 c = CHAR(p);
    Py_ssize_t i = literal_from(program, c), j = 0;
    for (;;) {
        Py_ssize_t literal = i < program->n_literal && (Py_UCS4)program->literal_cp[i] == c ? program->literal_alt[i]
                                                                                             : PY_SSIZE_T_MAX;
        while (j < program->n_class && !item_match(ctx, program->class_item[j], c)) j++;
        Py_ssize_t cls = j < program->n_class ? program->class_alt[j] : PY_SSIZE_T_MAX;
        if (literal == PY_SSIZE_T_MAX && cls == PY_SSIZE_T_MAX) return -1;
        Py_ssize_t k = literal < cls ? literal : cls;
        if (literal < cls)
            i++;
        else
            j++;
        Py_ssize_t q = match_alt(ctx, program->code + program->offsets[k], b, e, p);
        if (q >= 0) return q;
    }
}

/* `prefix_search(string)`: the first alternative that matches at the start wins. */
static Py_ssize_t prefix_len(const Ctx *ctx, Py_ssize_t b, Py_ssize_t e) {
    if (b >= e || !(bits_of(ctx, CHAR(b)) & PREFIX_FIRST)) return 0;
    Py_ssize_t q = first_match(ctx, &ctx->prefix, b, e, b);
    return q >= 0 ? q - b : 0;
}

/* The length of a match of suffix alternative `alt` ending at e, started as far left as it
 * can (0 if none, or if none longer than `best`). */
static Py_ssize_t suffix_alt(const Ctx *ctx, const int32_t *alt, Py_ssize_t b, Py_ssize_t e, Py_ssize_t best) {
    int32_t nc = alt[1], run_min = alt[2];
    if (run_min == 0) {
        Py_ssize_t p = e - nc;
        return e - p > best && p >= b && match_alt(ctx, alt, b, e, p) == e ? e - p : 0;
    }
    Py_ssize_t r = e; /* start of the longest tail of run characters */
    while (r > b && item_match(ctx, alt[5], CHAR(r - 1))) r--;
    Py_ssize_t first = r - nc > b ? r - nc : b, last = e - run_min - nc;
    for (Py_ssize_t p = first; p <= last && e - p > best; p++)
        if (match_alt(ctx, alt, b, e, p) == e) return e - p;
    return 0;
}

/* `suffix_search(string)`: the leftmost match; every alternative ends at `$`, so the leftmost
 * is the longest one. A fixed-width alternative can only start at e - width; one ending in a
 * run can start anywhere its run still reaches the end. */
static Py_ssize_t suffix_len(const Ctx *ctx, Py_ssize_t b, Py_ssize_t e) {
    if (b >= e || !(bits_of(ctx, CHAR(e - 1)) & SUFFIX_LAST)) return 0;
    const Program *program = &ctx->suffix;
    Py_UCS4 c = CHAR(e - 1);
    Py_ssize_t best = 0, length;
    for (Py_ssize_t i = literal_from(program, c); i < program->n_literal && (Py_UCS4)program->literal_cp[i] == c; i++)
        if ((length = suffix_alt(ctx, program->code + program->offsets[program->literal_alt[i]], b, e, best)) > best)
            best = length;
    for (Py_ssize_t j = 0; j < program->n_class; j++)
        if (item_match(ctx, program->class_item[j], c) &&
            (length = suffix_alt(ctx, program->code + program->offsets[program->class_alt[j]], b, e, best)) > best)
            best = length;
    return best;
}

/* A growable list of (start, end) spans. */
typedef struct {
    Py_ssize_t *data;
    Py_ssize_t size, capacity;
} Spans;

static int spans_push(Spans *spans, Py_ssize_t start, Py_ssize_t end) {
    if (spans->size + 2 > spans->capacity) {
        Py_ssize_t capacity = spans->capacity ? 2 * spans->capacity : 32;
        Py_ssize_t *data = PyMem_Realloc(spans->data, sizeof(Py_ssize_t) * (size_t)capacity);
        if (data == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        spans->data = data;
        spans->capacity = capacity;
    }
    spans->data[spans->size++] = start;
    spans->data[spans->size++] = end;
    return 0;
}

/* Is chunk[b:e] a special case? (-1 on error.) The whole chunk is looked up as itself. */
static int is_special(const Ctx *ctx, PyObject *chunk, Py_ssize_t b, Py_ssize_t e, PyObject **value) {
    if (e - b > ctx->specials_max) return 0; /* no O(length) copy and hash for a long piece */
    PyObject *key = (b == 0 && e == PyUnicode_GET_LENGTH(chunk)) ? Py_NewRef(chunk) : PyUnicode_Substring(chunk, b, e);
    if (key == NULL) return -1;
    PyObject *found = PyDict_GetItemWithError(ctx->specials, key);
    Py_DECREF(key);
    if (found == NULL) return PyErr_Occurred() ? -1 : 0;
    if (value) *value = found;
    return 1;
}

/* Append the tokens of special case chunk[b:e] (its tuple's items) to `tokens`. */
static int extend_special(PyObject *tokens, PyObject *special) {
    PyObject *fast = PySequence_Fast(special, "special case tokens");
    if (fast == NULL) return -1;
    for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(fast); k++) {
        if (PyList_Append(tokens, PySequence_Fast_GET_ITEM(fast, k)) < 0) {
            Py_DECREF(fast);
            return -1;
        }
    }
    Py_DECREF(fast);
    return 0;
}

static int append_piece(PyObject *tokens, PyObject *chunk, Py_ssize_t b, Py_ssize_t e) {
    PyObject *piece = (b == 0 && e == PyUnicode_GET_LENGTH(chunk)) ? Py_NewRef(chunk) : PyUnicode_Substring(chunk, b, e);
    if (piece == NULL) return -1;
    int status = PyList_Append(tokens, piece);
    Py_DECREF(piece);
    return status;
}

/* spaCy's `_tokenize` + `_attach_tokens` (with special cases) of one chunk: a new list. */
static PyObject *tokenize_chunk(const Ctx *ctx, PyObject *chunk, Spans *spans) {
    Py_ssize_t b = 0, e = PyUnicode_GET_LENGTH(chunk), last_size = 0;
    PyObject *tokens = PyList_New(0);
    if (tokens == NULL) return NULL;
    spans->size = 0; /* suffixes, outermost first */
    int special;
    /* _split_affixes */
    while (b < e && e - b != last_size) {
        if ((special = is_special(ctx, chunk, b, e, NULL)) != 0) {
            if (special < 0) goto error;
            break;
        }
        last_size = e - b;
        Py_ssize_t pre = prefix_len(ctx, b, e);
        if (pre) {
            if (b + pre < e && (special = is_special(ctx, chunk, b + pre, e, NULL)) != 0) {
                if (special < 0 || append_piece(tokens, chunk, b, b + pre) < 0) goto error;
                b += pre;
                break;
            }
        }
        Py_ssize_t suf = suffix_len(ctx, b + pre, e);
        if (suf) {
            if (e - suf > b && (special = is_special(ctx, chunk, b, e - suf, NULL)) != 0) {
                if (special < 0 || spans_push(spans, e - suf, e) < 0) goto error;
                e -= suf;
                break;
            }
        }
        if (pre && suf && pre + suf <= e - b) {
            if (append_piece(tokens, chunk, b, b + pre) < 0 || spans_push(spans, e - suf, e) < 0) goto error;
            b += pre;
            e -= suf;
        } else if (pre) {
            if (append_piece(tokens, chunk, b, b + pre) < 0) goto error;
            b += pre;
        } else if (suf) {
            if (spans_push(spans, e - suf, e) < 0) goto error;
            e -= suf;
        }
    }
    /* _attach_tokens */
    if (b < e) {
        PyObject *value = NULL;
        if ((special = is_special(ctx, chunk, b, e, &value)) != 0) {
            if (special < 0 || extend_special(tokens, value) < 0) goto error;
        } else {
            int url = 0;
            if (ctx->url != Py_None) {
                for (Py_ssize_t i = b; i < e; i++) {
                    if (CHAR(i) == '.') { /* every URL the rule matches holds a '.' */
                        PyObject *core = PyUnicode_Substring(chunk, b, e);
                        if (core == NULL) goto error;
                        PyObject *match = PyObject_CallOneArg(ctx->url, core);
                        Py_DECREF(core);
                        if (match == NULL) goto error;
                        url = PyObject_IsTrue(match);
                        Py_DECREF(match);
                        if (url < 0) goto error;
                        break;
                    }
                }
            }
            if (url) {
                if (append_piece(tokens, chunk, b, e) < 0) goto error;
            } else {
                /* infixes: finditer over the core; a match at its start is skipped */
                Py_ssize_t start = b, p = b;
                while (p < e) {
                    Py_ssize_t q = -1;
                    if (bits_of(ctx, CHAR(p)) & INFIX_FIRST) q = first_match(ctx, &ctx->infix, b, e, p);
                    if (q <= p) {
                        p++;
                        continue;
                    }
                    if (p != b) {
                        if (p != start && append_piece(tokens, chunk, start, p) < 0) goto error;
                        if (append_piece(tokens, chunk, p, q) < 0) goto error;
                        start = q;
                    }
                    p = q;
                }
                if (start < e && append_piece(tokens, chunk, start, e) < 0) goto error;
            }
        }
    }
    for (Py_ssize_t k = spans->size - 2; k >= 0; k -= 2)
        if (append_piece(tokens, chunk, spans->data[k], spans->data[k + 1]) < 0) goto error;
    return tokens;
error:
    Py_DECREF(tokens);
    return NULL;
}

/* 1 if some run of tokens is a special-case matcher pattern (the Python matcher then decides). */
static int matcher_hit(const Ctx *ctx, PyObject *tokens) {
    Py_ssize_t count = PyList_GET_SIZE(tokens);
    for (Py_ssize_t start = 0; start < count; start++) {
        int first = PySet_Contains(ctx->matcher_first, PyList_GET_ITEM(tokens, start));
        if (first <= 0) {
            if (first < 0) return -1;
            continue;
        }
        Py_ssize_t stop = count < start + ctx->matcher_max ? count : start + ctx->matcher_max;
        for (Py_ssize_t end = start + 1; end <= stop; end++) {
            PyObject *key = PyList_GetSlice(tokens, start, end);
            if (key == NULL) return -1;
            PyObject *tuple = PyList_AsTuple(key);
            Py_DECREF(key);
            if (tuple == NULL) return -1;
            int found = PyDict_Contains(ctx->matcher, tuple);
            Py_DECREF(tuple);
            if (found != 0) return found;
        }
    }
    return 0;
}

/* A letter as the regex class [^\W\d_] sees it (sre: \w is Py_UNICODE_ISALNUM or '_', \d is
 * Py_UNICODE_ISDECIMAL). */
static inline int is_letter(Py_UCS4 c) { return Py_UNICODE_ISALNUM(c) && !Py_UNICODE_ISDECIMAL(c) && c != '_'; }

static inline int in_ascii(Py_UCS4 c, const char *set) { return c > 0 && c < 128 && strchr(set, (int)c) != NULL; }

/* A new list of the pieces [0, cut) and [cut, n) of the chunk (the second only if cut < n). */
static PyObject *two_pieces(PyObject *chunk, Py_ssize_t cut, Py_ssize_t n) {
    PyObject *tokens = PyList_New(0);
    if (tokens == NULL) return NULL;
    if (append_piece(tokens, chunk, 0, cut) < 0 || (cut < n && append_piece(tokens, chunk, cut, n) < 0)) {
        Py_DECREF(tokens);
        return NULL;
    }
    return tokens;
}

/* The tokens of one chunk as a tuple: words.py `chunk_tokens` (uncached), its fast paths
 * included, in the same order, so the values are the same chunk for chunk. */
static PyObject *chunk_tokens(Ctx *ctx, PyObject *chunk, Spans *spans) {
    ctx->kind = PyUnicode_KIND(chunk);
    ctx->data = PyUnicode_DATA(chunk);
    Py_ssize_t n = PyUnicode_GET_LENGTH(chunk), letters = 0;
    while (letters < n && is_letter(CHAR(letters))) letters++;
    PyObject *special = PyDict_GetItemWithError(ctx->specials, chunk);
    PyObject *tokens = NULL;
    int found;
    if (special != NULL) {
        if (n > 0 && letters == n) return PySequence_Tuple(special); /* a special of letters: as it is */
        tokens = PySequence_List(special);
        /* a special case's own tokens meet the matcher only when there are several */
        if (tokens == NULL || PyList_GET_SIZE(tokens) < 2) {
            PyObject *out = tokens == NULL ? NULL : PyList_AsTuple(tokens);
            Py_XDECREF(tokens);
            return out;
        }
    } else {
        if (PyErr_Occurred()) return NULL;
        if (n > 0 && letters == n) return PyTuple_Pack(1, chunk); /* letters only */
        if (letters > 1 && letters == n - 1 && in_ascii(CHAR(n - 1), ",.;:!?\"')")) {
            /* "word," "word." ...: words.py's fast path (kept as it is, see words.py) */
            if ((found = is_special(ctx, chunk, 0, letters, NULL)) < 0) return NULL;
            if (!found) {
                tokens = two_pieces(chunk, letters, n);
                PyObject *out = tokens == NULL ? NULL : PyList_AsTuple(tokens);
                Py_XDECREF(tokens);
                return out;
            }
        }
        if (n > 1 && CHAR(0) == '@' && letters == 0) {
            Py_ssize_t end = 1; /* "@name" and "@name:" */
            while (end < n && is_letter(CHAR(end))) end++;
            int mention = end > 1 && end == n;
            if (end > 2 && end == n - 1 && in_ascii(CHAR(n - 1), ",;:!?\"')")) {
                if ((found = is_special(ctx, chunk, 0, end, NULL)) < 0) return NULL;
                mention = !found;
            }
            if (mention && (tokens = two_pieces(chunk, end, n)) == NULL) return NULL;
        }
        if (tokens == NULL && (tokens = tokenize_chunk(ctx, chunk, spans)) == NULL) return NULL;
    }
    int hit = matcher_hit(ctx, tokens);
    if (hit > 0) {
        PyObject *matched = PyObject_CallOneArg(ctx->apply_matcher, tokens);
        Py_DECREF(tokens);
        if (matched == NULL) return NULL;
        PyObject *out = PySequence_Tuple(matched);
        Py_DECREF(matched);
        return out;
    }
    PyObject *out = hit < 0 ? NULL : PyList_AsTuple(tokens);
    Py_DECREF(tokens);
    return out;
}

static PyObject *tokenize(PyObject *self, PyObject *args) {
    PyObject *chunks;
    Py_buffer prefix, suffix, infix, table;
    Ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    if (!PyArg_ParseTuple(args, "Oy*y*y*y*O!O!O!OOn", &chunks, &prefix, &suffix, &infix, &table, &PyDict_Type,
                          &ctx.specials, &PyDict_Type, &ctx.matcher, &PyFrozenSet_Type, &ctx.matcher_first, &ctx.url,
                          &ctx.apply_matcher, &ctx.matcher_max))
        return NULL;
    PyObject *out = NULL, *fast = NULL;
    Spans spans = {NULL, 0, 0};
    if (table.len != (Py_ssize_t)(sizeof(uint32_t) * MAX_CODE) || prefix.len % 4 || suffix.len % 4 || infix.len % 4) {
        PyErr_SetString(PyExc_ValueError, "tokenize: bad table or program sizes");
        goto done;
    }
    ctx.table = table.buf;
    {
        PyObject *key, *value;
        Py_ssize_t position = 0;
        while (PyDict_Next(ctx.specials, &position, &key, &value)) {
            if (!PyUnicode_Check(key)) {
                PyErr_SetString(PyExc_TypeError, "tokenize: special cases must be keyed by str");
                goto done;
            }
            if (PyUnicode_GET_LENGTH(key) > ctx.specials_max) ctx.specials_max = PyUnicode_GET_LENGTH(key);
        }
    }
    if (program_init(&ctx.prefix, prefix.buf, prefix.len / 4, 0) < 0 ||
        program_init(&ctx.suffix, suffix.buf, suffix.len / 4, 1) < 0 ||
        program_init(&ctx.infix, infix.buf, infix.len / 4, 0) < 0)
        goto done;
    fast = PySequence_Fast(chunks, "tokenize: chunks must be a sequence");
    if (fast == NULL) goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    out = PyList_New(n);
    if (out == NULL) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *chunk = PySequence_Fast_GET_ITEM(fast, i);
        if (!PyUnicode_Check(chunk)) {
            PyErr_Format(PyExc_TypeError, "chunks[%zd] is not str", i);
            Py_CLEAR(out);
            goto done;
        }
        PyObject *tokens = chunk_tokens(&ctx, chunk, &spans);
        if (tokens == NULL) {
            Py_CLEAR(out);
            goto done;
        }
        PyList_SET_ITEM(out, i, tokens);
    }
done:
    program_free(&ctx.prefix);
    program_free(&ctx.suffix);
    program_free(&ctx.infix);
    PyMem_Free(spans.data);
    Py_XDECREF(fast);
    PyBuffer_Release(&prefix);
    PyBuffer_Release(&suffix);
    PyBuffer_Release(&infix);
    PyBuffer_Release(&table);
    return out;
}

/* Is `token` punctuation for the sentencizer: (in punct_chars, spaCy's is_punct)? A token
 * starting with a letter or digit is neither (no punct char is alphanumeric; is_punct needs
 * every character to be punctuation); others ask the set and the (cached) Python test. */
static int token_punct(PyObject *token, PyObject *punct_chars, PyObject *is_punct, int *in_punct, int *punct) {
    *in_punct = *punct = 0;
    if (PyUnicode_GET_LENGTH(token) > 0 && Py_UNICODE_ISALNUM(PyUnicode_READ_CHAR(token, 0))) return 0;
    int found = PySet_Contains(punct_chars, token);
    if (found < 0) return -1;
    *in_punct = found;
    PyObject *result = PyObject_CallOneArg(is_punct, token);
    if (result == NULL) return -1;
    *punct = PyObject_IsTrue(result);
    Py_DECREF(result);
    return *punct < 0 ? -1 : 0;
}

/* effects(token_tuples, punct_chars, is_punct, out): out (int64, 5 per chunk) = words.py
 * `_transition`: (seen after, new sentences) from seen=False, then from seen=True, tokens. */
static PyObject *effects(PyObject *self, PyObject *args) {
    PyObject *chunks, *punct_chars, *is_punct;
    Py_buffer out;
    if (!PyArg_ParseTuple(args, "OO!Ow*", &chunks, &PyFrozenSet_Type, &punct_chars, &is_punct, &out)) return NULL;
    PyObject *fast = PySequence_Fast(chunks, "effects: a sequence of token tuples");
    if (fast == NULL) {
        PyBuffer_Release(&out);
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    int64_t *row = out.buf;
    if (out.len != (Py_ssize_t)sizeof(int64_t) * 5 * n) {
        PyErr_SetString(PyExc_ValueError, "effects: out must hold 5 int64 per chunk");
        goto error;
    }
    for (Py_ssize_t i = 0; i < n; i++, row += 5) {
        PyObject *tokens = PySequence_Fast_GET_ITEM(fast, i);
        if (!PyTuple_Check(tokens)) {
            PyErr_SetString(PyExc_TypeError, "effects: token tuples expected");
            goto error;
        }
        Py_ssize_t count = PyTuple_GET_SIZE(tokens);
        int seen[2] = {0, 1};
        int64_t sentences[2] = {0, 0};
        for (Py_ssize_t t = 0; t < count; t++) {
            PyObject *token = PyTuple_GET_ITEM(tokens, t);
            int in_punct, punct;
            if (!PyUnicode_Check(token) || token_punct(token, punct_chars, is_punct, &in_punct, &punct) < 0) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "effects: tokens must be str");
                goto error;
            }
            for (int s = 0; s < 2; s++) {
                if (seen[s] && !in_punct && !punct) {
                    sentences[s]++;
                    seen[s] = 0;
                } else if (in_punct) {
                    seen[s] = 1;
                }
            }
        }
        row[0] = seen[0];
        row[1] = sentences[0];
        row[2] = seen[1];
        row[3] = sentences[1];
        row[4] = count;
    }
    Py_DECREF(fast);
    PyBuffer_Release(&out);
    Py_RETURN_NONE;
error:
    Py_DECREF(fast);
    PyBuffer_Release(&out);
    return NULL;
}

/* word_facts(words, punct_table, symbol_out, alpha_out): per word, 1 if every character is
 * in the punctuation table (`word.strip(PUNCTUATION) == ""`), and 1 if some character is
 * alphabetic (`str.isalpha`). */
static PyObject *word_facts(PyObject *self, PyObject *args) {
    PyObject *words;
    Py_buffer punct, symbol, alpha;
    if (!PyArg_ParseTuple(args, "Oy*w*w*", &words, &punct, &symbol, &alpha)) return NULL;
    PyObject *fast = PySequence_Fast(words, "word_facts: a sequence of str");
    PyObject *result = NULL;
    if (fast == NULL) goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    if (punct.len != MAX_CODE || symbol.len != n || alpha.len != n) {
        PyErr_SetString(PyExc_ValueError, "word_facts: bad buffer sizes");
        goto done;
    }
    const unsigned char *table = punct.buf;
    unsigned char *is_symbol = symbol.buf, *has_alpha = alpha.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *word = PySequence_Fast_GET_ITEM(fast, i);
        if (!PyUnicode_Check(word)) {
            PyErr_Format(PyExc_TypeError, "words[%zd] is not str", i);
            goto done;
        }
        int kind = PyUnicode_KIND(word);
        const void *data = PyUnicode_DATA(word);
        Py_ssize_t length = PyUnicode_GET_LENGTH(word);
        int all_punct = 1, any_alpha = 0;
        for (Py_ssize_t k = 0; k < length; k++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, k);
            all_punct &= c < MAX_CODE && table[c];
            any_alpha |= Py_UNICODE_ISALPHA(c);
        }
        is_symbol[i] = (unsigned char)all_punct;
        has_alpha[i] = (unsigned char)any_alpha;
    }
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(fast);
    PyBuffer_Release(&punct);
    PyBuffer_Release(&symbol);
    PyBuffer_Release(&alpha);
    return result;
}

/* encode_tokens(token_tuples, ids, next_id, sizes_out) -> (word_ids, new_words): the words of
 * each chunk's token tuple as ids from the dict `ids` (word -> int), in order; a word not in
 * it gets the next id (from next_id up, in order of first appearance) and is added to `ids`
 * and to `new_words`. word_ids: bytes of int64; sizes_out: int64 tokens per chunk. */
static PyObject *encode_tokens(PyObject *self, PyObject *args) {
    PyObject *chunks, *ids;
    Py_ssize_t next_id;
    Py_buffer sizes;
    if (!PyArg_ParseTuple(args, "OO!nw*", &chunks, &PyDict_Type, &ids, &next_id, &sizes)) return NULL;
    PyObject *fast = PySequence_Fast(chunks, "encode_tokens: a sequence of token tuples");
    PyObject *new_words = NULL, *out = NULL, *result = NULL;
    if (fast == NULL) goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast), total = 0;
    if (sizes.len != (Py_ssize_t)sizeof(int64_t) * n) {
        PyErr_SetString(PyExc_ValueError, "encode_tokens: sizes_out must hold one int64 per chunk");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *tokens = PySequence_Fast_GET_ITEM(fast, i);
        if (!PyTuple_Check(tokens)) {
            PyErr_SetString(PyExc_TypeError, "encode_tokens: token tuples expected");
            goto done;
        }
        ((int64_t *)sizes.buf)[i] = PyTuple_GET_SIZE(tokens);
        total += PyTuple_GET_SIZE(tokens);
    }
    new_words = PyList_New(0);
    out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)sizeof(int64_t) * total);
    if (new_words == NULL || out == NULL) goto done;
    int64_t *word_ids = (int64_t *)PyBytes_AS_STRING(out);
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *tokens = PySequence_Fast_GET_ITEM(fast, i);
        for (Py_ssize_t t = 0; t < PyTuple_GET_SIZE(tokens); t++) {
            PyObject *word = PyTuple_GET_ITEM(tokens, t);
            PyObject *found = PyDict_GetItemWithError(ids, word);
            if (found != NULL) {
                int64_t id = PyLong_AsLongLong(found);
                if (id == -1 && PyErr_Occurred()) goto done;
                word_ids[at++] = id;
                continue;
            }
            if (PyErr_Occurred() || !PyUnicode_Check(word)) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "encode_tokens: tokens must be str");
                goto done;
            }
            PyObject *id = PyLong_FromSsize_t(next_id);
            if (id == NULL) goto done;
            int status = PyDict_SetItem(ids, word, id);
            Py_DECREF(id);
            if (status < 0 || PyList_Append(new_words, word) < 0) goto done;
            word_ids[at++] = next_id++;
        }
    }
    result = Py_BuildValue("(OO)", out, new_words);
done:
    Py_XDECREF(fast);
    Py_XDECREF(new_words);
    Py_XDECREF(out);
    PyBuffer_Release(&sizes);
    return result;
}

/* repeated_groups(keys) -> (members, group, first, count), each bytes of int64: the indices of
 * `keys` (uint64) whose value occurs more than once, in increasing order; for each, its group
 * (groups numbered in order of first occurrence); per group its first index and its size.
 * One pass with an open-addressing table instead of a sort (signals/_batch.py
 * `_repeated_groups` gives the same members, firsts and sizes, numbering groups by value). */
typedef struct {
    uint64_t key;
    int64_t group;
} GroupSlot;

static PyObject *repeated_groups(PyObject *self, PyObject *args) {
    Py_buffer keys;
    if (!PyArg_ParseTuple(args, "y*", &keys)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = keys.len / (Py_ssize_t)sizeof(uint64_t), capacity = 16, repeated = 0, members = 0;
    const uint64_t *key = keys.buf;
    while (capacity < 2 * n) capacity *= 2;
    GroupSlot *slot = PyMem_Malloc(sizeof(GroupSlot) * (size_t)capacity); /* group -1: empty */
    int64_t *of = PyMem_Malloc(sizeof(int64_t) * (size_t)(n ? n : 1));     /* group of each index */
    int64_t *first = PyMem_Malloc(sizeof(int64_t) * (size_t)(n ? n : 1));  /* per group, by first occurrence */
    int64_t *size = PyMem_Malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    int64_t *renumber = PyMem_Malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    if (keys.len % (Py_ssize_t)sizeof(uint64_t)) {
        PyErr_SetString(PyExc_ValueError, "repeated_groups: keys must be uint64");
        goto done;
    }
    if (!slot || !of || !first || !size || !renumber) {
        PyErr_NoMemory();
        goto done;
    }
    memset(slot, 0xff, sizeof(GroupSlot) * (size_t)capacity);
    Py_ssize_t groups = 0;
    uint64_t mask = (uint64_t)capacity - 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t h = key[i] * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
        for (uint64_t at = h & mask;; at = (at + 1) & mask) {
            int64_t g = slot[at].group;
            if (g < 0) {
                slot[at].key = key[i];
                slot[at].group = groups;
                first[groups] = i;
                size[groups] = 1;
                of[i] = groups++;
                break;
            }
            if (slot[at].key == key[i]) {
                size[g]++;
                of[i] = g;
                break;
            }
        }
    }
    for (Py_ssize_t g = 0; g < groups; g++) {
        renumber[g] = size[g] > 1 ? repeated++ : -1;
        if (size[g] > 1) members += size[g];
    }
    PyObject *member_bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)sizeof(int64_t) * members);
    PyObject *group_bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)sizeof(int64_t) * members);
    PyObject *first_bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)sizeof(int64_t) * repeated);
    PyObject *count_bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)sizeof(int64_t) * repeated);
    if (member_bytes && group_bytes && first_bytes && count_bytes) {
        int64_t *m = (int64_t *)PyBytes_AS_STRING(member_bytes), *gr = (int64_t *)PyBytes_AS_STRING(group_bytes);
        int64_t *fi = (int64_t *)PyBytes_AS_STRING(first_bytes), *co = (int64_t *)PyBytes_AS_STRING(count_bytes);
        Py_ssize_t at = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            int64_t g = renumber[of[i]];
            if (g < 0) continue;
            m[at] = i;
            gr[at++] = g;
        }
        for (Py_ssize_t g = 0; g < groups; g++) {
            if (renumber[g] < 0) continue;
            fi[renumber[g]] = first[g];
            co[renumber[g]] = size[g];
        }
        result = PyTuple_Pack(4, member_bytes, group_bytes, first_bytes, count_bytes);
    }
    Py_XDECREF(member_bytes);
    Py_XDECREF(group_bytes);
    Py_XDECREF(first_bytes);
    Py_XDECREF(count_bytes);
done:
    PyMem_Free(slot);
    PyMem_Free(of);
    PyMem_Free(first);
    PyMem_Free(size);
    PyMem_Free(renumber);
    PyBuffer_Release(&keys);
    return result;
}

static PyMethodDef module_methods[] = {
    {"repeated_groups", repeated_groups, METH_VARARGS,
     "repeated_groups(uint64 keys) -> (members, group, first, count) as int64 bytes: the repeated values'\n"
     "indices, their groups (numbered by first occurrence), each group's first index and size."},
    {"encode_tokens", encode_tokens, METH_VARARGS,
     "encode_tokens(token_tuples, ids, next_id, sizes_out) -> (int64 word ids as bytes, new words): ids of\n"
     "every token, new words added to `ids` with the next ids."},
    {"tokenize", tokenize, METH_VARARGS,
     "tokenize(chunks, prefix, suffix, infix, table, specials, matcher, matcher_first, url, apply_matcher,\n"
     "matcher_max) -> list of token tuples: spaCy's tokenizer over white-space-free chunks (see words.py)."},
    {"effects", effects, METH_VARARGS,
     "effects(token_tuples, punct_chars, is_punct, out): each chunk's sentencizer effect, 5 int64 a chunk."},
    {"word_facts", word_facts, METH_VARARGS,
     "word_facts(words, punct_table, symbol_out, alpha_out): Gopher's symbol-word and has-letter flags."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "thresher._native_words",
    .m_doc = "spaCy-compatible tokenizer kernels for new chunks and per-word facts.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__native_words(void) { return PyModule_Create(&module); }
