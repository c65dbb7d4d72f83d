/* The tokenizer of annotator/formats/tokens.py, compiled: the same tokens as its regular
 * expression (_pattern), one pass over the text with no object per token.
 *
 * Exporting BIO and Prodigy spends most of its time tokenizing; in Python every token
 * costs at least one object and the pattern about 50 ns a character. tokens.py uses this
 * module when it is built and falls back to its own code when it is not; the tests check
 * both against the pattern on any text.
 *
 * A token is, at the first character that is not whitespace (the pattern's alternatives
 * in its order):
 *   word   a letter (\w but CJK), then letters and marks;
 *   cjk    a CJK character, then marks;
 *   flag   two regional indicators, then marks;
 *   other  any other character, then marks, then (ZWJ, a character that is not
 *          whitespace, marks) as often as they follow.
 * "Marks" are the characters tokens.py's _extend_codes lists (combining marks, skin
 * tones, tags, variation selectors, ZWNJ), given once to set_marks as a bitmap.
 * \w and \s are Py_UNICODE_ISALNUM (or "_") and Py_UNICODE_ISSPACE, as in re.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "_text_json.h"

#define MAX_CODE 0x110000

static unsigned char *marks_bitmap = NULL;

static inline int is_mark(Py_UCS4 c) { return (marks_bitmap[c >> 3] >> (c & 7)) & 1; }

static inline int is_cjk(Py_UCS4 c) {
    if (c < 0x2e80) return 0;
    if (c <= 0x2fdf) return 1;
    if (c < 0x3005) return 0;
    if (c <= 0x3007) return 1;
    if (c >= 0x3021 && c <= 0x3029) return 1;
    if (c >= 0x3031 && c <= 0x3035) return 1;
    if (c >= 0x3038 && c <= 0x303c) return 1;
    if (c >= 0x3040 && c <= 0x30ff) return 1;
    if (c >= 0x3100 && c <= 0x312f) return 1;
    if (c >= 0x3190 && c <= 0x31ff) return 1;
    if (c >= 0x3400 && c <= 0x4dbf) return 1;
    if (c >= 0x4e00 && c <= 0x9fff) return 1;
    if (c >= 0xf900 && c <= 0xfaff) return 1;
    return c >= 0x20000 && c <= 0x3134f;
}

static inline int is_word(Py_UCS4 c) {
    if (c < 128) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
    }
    return Py_UNICODE_ISALNUM(c);
}

static inline int is_letter(Py_UCS4 c) { return is_word(c) && !is_cjk(c); }

static inline int is_regional(Py_UCS4 c) { return c >= 0x1f1e6 && c <= 0x1f1ff; }

static inline Py_ssize_t after_marks(const Text *text, Py_ssize_t i, Py_ssize_t end) {
    while (i < end && is_mark(at(text, i))) i++;
    return i;
}

/* The end of the token starting at `start` (not whitespace), inside [start, end). */
static Py_ssize_t token_end(const Text *text, Py_ssize_t start, Py_ssize_t end) {
    Py_UCS4 c = at(text, start);
    Py_ssize_t i = start + 1;
    if (is_letter(c)) {
        while (i < end) {
            Py_UCS4 next = at(text, i);
            if (!(is_letter(next) || (next >= 128 && is_mark(next)))) break;
            i++;
        }
        return i;
    }
    if (is_cjk(c)) return after_marks(text, i, end);
    if (is_regional(c) && i < end && is_regional(at(text, i))) {
        return after_marks(text, i + 1, end);
    }
    i = after_marks(text, i, end);
    while (i + 1 < end && at(text, i) == 0x200d && !Py_UNICODE_ISSPACE(at(text, i + 1))) {
        i = after_marks(text, i + 2, end);
    }
    return i;
}

static inline Py_ssize_t skip_space(const Text *text, Py_ssize_t i, Py_ssize_t end) {
    while (i < end && Py_UNICODE_ISSPACE(at(text, i))) i++;
    return i;
}

/* The cuts as offsets, checked to ascend inside [0, length]; -1 with an exception set. */
static Py_ssize_t read_cuts(PyObject *cuts, Py_ssize_t length, Py_ssize_t **out) {
    if (!PyList_Check(cuts)) {
        PyErr_SetString(PyExc_TypeError, "cuts must be a list of int");
        return -1;
    }
    Py_ssize_t count = PyList_GET_SIZE(cuts);
    Py_ssize_t *values = PyMem_Malloc((count + 1) * sizeof(Py_ssize_t));
    if (values == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t previous = 0;
    for (Py_ssize_t k = 0; k < count; k++) {
        Py_ssize_t cut = PyLong_AsSsize_t(PyList_GET_ITEM(cuts, k));
        if (cut == -1 && PyErr_Occurred()) {
            PyMem_Free(values);
            return -1;
        }
        if (cut < previous || cut > length) {
            PyMem_Free(values);
            PyErr_SetString(PyExc_ValueError, "cuts must ascend inside the text");
            return -1;
        }
        values[k] = previous = cut;
    }
    *out = values;
    return count;
}

/* The text and cuts of a call name(text, cuts): the text's length, or -1 with an
 * exception set. The cuts are the caller's to free. */
static Py_ssize_t read_call(const char *name, PyObject *const *args, Py_ssize_t nargs,
                            Text *text, Py_ssize_t **cuts, Py_ssize_t *cut_count) {
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "%s(text, cuts) takes 2 arguments", name);
        return -1;
    }
    PyObject *source = args[0];
    if (!PyUnicode_Check(source)) {
        PyErr_SetString(PyExc_TypeError, "text must be a str");
        return -1;
    }
    if (marks_bitmap == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "set_marks has not been called");
        return -1;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(source) < 0) return -1;
#endif
    Py_ssize_t length = PyUnicode_GET_LENGTH(source);
    *cut_count = read_cuts(args[1], length, cuts);
    if (*cut_count < 0) return -1;
    text->kind = PyUnicode_KIND(source);
    text->data = PyUnicode_DATA(source);
    return length;
}

/* Every token's start and end, stretch by stretch, and (unless counts is NULL) how many
 * each of the cut_count + 1 stretches holds; the number of tokens, or -1 with an
 * exception set. */
static Py_ssize_t find_tokens(const Text *text, Py_ssize_t length, const Py_ssize_t *cuts,
                              Py_ssize_t cut_count, Py_ssize_t **starts, Py_ssize_t **ends,
                              Py_ssize_t *counts) {
    /* At most one token a character. */
    *starts = PyMem_Malloc((length + 1) * sizeof(Py_ssize_t));
    *ends = PyMem_Malloc((length + 1) * sizeof(Py_ssize_t));
    if (*starts == NULL || *ends == NULL) {
        PyMem_Free(*starts);
        PyMem_Free(*ends);
        *starts = *ends = NULL;
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t count = 0;
    Py_ssize_t stretch_start = 0;
    for (Py_ssize_t k = 0; k <= cut_count; k++) {
        Py_ssize_t stretch_end = k < cut_count ? cuts[k] : length;
        Py_ssize_t before = count;
        Py_ssize_t i = skip_space(text, stretch_start, stretch_end);
        while (i < stretch_end) {
            Py_ssize_t end = token_end(text, i, stretch_end);
            (*starts)[count] = i;
            (*ends)[count] = end;
            count++;
            i = skip_space(text, end, stretch_end);
        }
        if (counts != NULL) counts[k] = count - before;
        stretch_start = stretch_end;
    }
    return count;
}

/* The tokens of a call name(text, cuts) (see find_tokens); -1 with an exception set. */
static Py_ssize_t call_tokens(const char *name, PyObject *const *args, Py_ssize_t nargs,
                              Text *text, Py_ssize_t *length, Py_ssize_t **starts,
                              Py_ssize_t **ends) {
    Py_ssize_t *cuts = NULL, cut_count;
    *length = read_call(name, args, nargs, text, &cuts, &cut_count);
    if (*length < 0) return -1;
    Py_ssize_t count = find_tokens(text, *length, cuts, cut_count, starts, ends, NULL);
    PyMem_Free(cuts);
    return count;
}

PyDoc_STRVAR(tokens_json_doc,
             "tokens_json(text, cuts) -> (bytes, list[int]) | None\n\n"
             "The tokens of each stretch of text between the cuts (ascending offsets) as the\n"
             "JSON array orjson writes of their strings, and how many each stretch holds;\n"
             "None when the text holds a lone surrogate.");

static PyObject *tokens_json(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    Text text;
    Py_ssize_t *cuts = NULL, cut_count;
    Py_ssize_t length = read_call("tokens_json", args, nargs, &text, &cuts, &cut_count);
    if (length < 0) return NULL;
    Py_ssize_t *counts = PyMem_Malloc((cut_count + 1) * sizeof(Py_ssize_t));
    if (counts == NULL) {
        PyMem_Free(cuts);
        return PyErr_NoMemory();
    }
    Py_ssize_t *starts = NULL, *ends = NULL;
    Py_ssize_t total = find_tokens(&text, length, cuts, cut_count, &starts, &ends, counts);
    PyMem_Free(cuts);
    PyObject *result = NULL;
    PyObject *json = NULL, *count_list = NULL;
    Buffer buffer = {NULL, 0, 0};
    if (total < 0) goto done;
    if (reserve(&buffer, length + 64) < 0) goto done;
    put(&buffer, "[", 1);
    for (Py_ssize_t k = 0; k < total; k++) {
        if (reserve(&buffer, 6 * (ends[k] - starts[k]) + 4) < 0) goto done;
        put(&buffer, k ? ",\"" : "\"", k ? 2 : 1);
        if (put_json_chars(&buffer, &text, starts[k], ends[k])) {
            result = Py_None;
            Py_INCREF(result);
            goto done;
        }
        put(&buffer, "\"", 1);
    }
    if (reserve(&buffer, 1) < 0) goto done;
    put(&buffer, "]", 1);
    json = PyBytes_FromStringAndSize(buffer.bytes, buffer.size);
    count_list = int_list(counts, cut_count + 1);
    if (json != NULL && count_list != NULL) result = PyTuple_Pack(2, json, count_list);
done:
    PyMem_Free(buffer.bytes);
    PyMem_Free(counts);
    PyMem_Free(starts);
    PyMem_Free(ends);
    Py_XDECREF(json);
    Py_XDECREF(count_list);
    return result;
}

PyDoc_STRVAR(tokens_at_doc,
             "tokens_at(text, cuts) -> (starts, ends, texts)\n\n"
             "Every token of each stretch of text between the cuts (ascending offsets): its\n"
             "start, end and text.");

static PyObject *tokens_at(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    Text text;
    Py_ssize_t *starts = NULL, *ends = NULL, length;
    Py_ssize_t count = call_tokens("tokens_at", args, nargs, &text, &length, &starts, &ends);
    if (count < 0) return NULL;
    PyObject *start_list = int_list(starts, count);
    PyObject *end_list = int_list(ends, count);
    PyObject *texts = PyList_New(count);
    PyObject *result = NULL;
    if (start_list == NULL || end_list == NULL || texts == NULL) goto done;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *token = PyUnicode_Substring(args[0], starts[k], ends[k]);
        if (token == NULL) goto done;
        PyList_SET_ITEM(texts, k, token);
    }
    result = PyTuple_Pack(3, start_list, end_list, texts);
done:
    PyMem_Free(starts);
    PyMem_Free(ends);
    Py_XDECREF(start_list);
    Py_XDECREF(end_list);
    Py_XDECREF(texts);
    return result;
}

PyDoc_STRVAR(prodigy_tokens_doc,
             "prodigy_tokens(text, cuts) -> (bytes, starts, ends) | None\n\n"
             "The tokens of tokens_at as the JSON array of Prodigy's token objects that\n"
             "orjson writes ({\"text\", \"start\", \"end\", \"id\", \"ws\"} each), with their\n"
             "starts and ends; None when the text holds a lone surrogate.");

static PyObject *prodigy_tokens(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    Text text;
    Py_ssize_t *starts = NULL, *ends = NULL, length;
    Py_ssize_t count = call_tokens("prodigy_tokens", args, nargs, &text, &length, &starts, &ends);
    if (count < 0) return NULL;
    PyObject *result = NULL;
    PyObject *json = NULL, *start_list = NULL, *end_list = NULL;
    Buffer buffer = {NULL, 0, 0};
    if (reserve(&buffer, 64 * count + 2) < 0) goto done;
    put(&buffer, "[", 1);
    for (Py_ssize_t k = 0; k < count; k++) {
        Py_ssize_t start = starts[k], end = ends[k];
        Py_ssize_t after = k + 1 < count ? starts[k + 1] : length;
        /* Keys and punctuation (36 bytes), three numbers (20 digits each at most). */
        if (reserve(&buffer, 6 * (end - start) + 120) < 0) goto done;
        put(&buffer, k ? ",{\"text\":\"" : "{\"text\":\"", k ? 10 : 9);
        if (put_json_chars(&buffer, &text, start, end)) {
            result = Py_None;
            Py_INCREF(result);
            goto done;
        }
        put(&buffer, "\",\"start\":", 10);
        put_number(&buffer, start);
        put(&buffer, ",\"end\":", 7);
        put_number(&buffer, end);
        put(&buffer, ",\"id\":", 6);
        put_number(&buffer, k);
        if (end != after) {
            put(&buffer, ",\"ws\":true}", 11);
        } else {
            put(&buffer, ",\"ws\":false}", 12);
        }
    }
    if (reserve(&buffer, 1) < 0) goto done;
    put(&buffer, "]", 1);
    json = PyBytes_FromStringAndSize(buffer.bytes, buffer.size);
    start_list = int_list(starts, count);
    end_list = int_list(ends, count);
    if (json != NULL && start_list != NULL && end_list != NULL) {
        result = PyTuple_Pack(3, json, start_list, end_list);
    }
done:
    PyMem_Free(buffer.bytes);
    PyMem_Free(starts);
    PyMem_Free(ends);
    Py_XDECREF(json);
    Py_XDECREF(start_list);
    Py_XDECREF(end_list);
    return result;
}

PyDoc_STRVAR(set_marks_doc,
             "set_marks(bitmap)\n\n"
             "The characters that join the one before them: bit c % 8 of byte c // 8 for each\n"
             "code point c (0x22000 bytes).");

static PyObject *set_marks(PyObject *module, PyObject *bitmap) {
    Py_buffer view;
    if (PyObject_GetBuffer(bitmap, &view, PyBUF_SIMPLE) < 0) return NULL;
    if (view.len != MAX_CODE / 8) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "the bitmap must hold 0x22000 bytes");
        return NULL;
    }
    unsigned char *copy = PyMem_Malloc(MAX_CODE / 8);
    if (copy == NULL) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    memcpy(copy, view.buf, MAX_CODE / 8);
    PyBuffer_Release(&view);
    PyMem_Free(marks_bitmap);
    marks_bitmap = copy;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"tokens_json", (PyCFunction)(void (*)(void))tokens_json, METH_FASTCALL, tokens_json_doc},
    {"tokens_at", (PyCFunction)(void (*)(void))tokens_at, METH_FASTCALL, tokens_at_doc},
    {"prodigy_tokens", (PyCFunction)(void (*)(void))prodigy_tokens, METH_FASTCALL,
     prodigy_tokens_doc},
    {"set_marks", set_marks, METH_O, set_marks_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_tokens", "annotator's tokenizer, compiled (see tokens.py).", -1,
    methods,
};

PyMODINIT_FUNC PyInit__tokens(void) { return PyModule_Create(&module); }
