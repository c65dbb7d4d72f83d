/* doccano's offsets, compiled: where a chunk of documents' spans go in their texts (the
 * unit each document counts decided from its spans), and the entities of an export
 * counted in UTF-16 units.
 *
 * Both ran per span in Python (a few microseconds each, most of doccano's import and
 * export). doccano_batches.py and doccano.py use this module when it is built and their
 * own Python code when it is not; the tests check both give the same on any text.
 *
 * A character beyond U+FFFF (only in a str of PyUnicode_4BYTE_KIND: CPython stores
 * every str in the narrowest kind that holds it) counts one code point and two UTF-16
 * units. \w and \s are Py_UNICODE_ISALNUM and Py_UNICODE_ISSPACE, as str.isalnum and
 * str.isspace test them.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "_text_json.h"

enum { DECIDE = 0, CODEPOINT = 1, UTF16 = 2 };

/* Where each astral character starts in UTF-16 units, ascending; the count, or -1 with
 * an exception set. The caller frees *positions. */
static Py_ssize_t astral_units(const Text *text, Py_ssize_t length, Py_ssize_t **positions) {
    *positions = NULL;
    if (text->kind != PyUnicode_4BYTE_KIND) return 0;
    const Py_UCS4 *chars = text->data;
    Py_ssize_t count = 0;
    for (Py_ssize_t i = 0; i < length; i++) count += chars[i] > 0xffff;
    *positions = PyMem_Malloc((count + 1) * sizeof(Py_ssize_t));
    if (*positions == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t found = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        if (chars[i] > 0xffff) {
            (*positions)[found] = i + found;
            found++;
        }
    }
    return count;
}

/* How many of the ascending values are below value (bisect.bisect_left). */
static inline Py_ssize_t below(const Py_ssize_t *values, Py_ssize_t count, Py_ssize_t value) {
    Py_ssize_t low = 0, high = count;
    while (low < high) {
        Py_ssize_t middle = (low + high) / 2;
        if (values[middle] < value) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low;
}

/* Whether every span is inside [0, length] and not empty (doccano_batches._fits). */
static int fits(const Py_ssize_t *starts, const Py_ssize_t *ends, Py_ssize_t count,
                Py_ssize_t length) {
    for (Py_ssize_t k = 0; k < count; k++) {
        if (starts[k] < 0 || ends[k] < 0 || starts[k] > length || ends[k] > length) return 0;
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        if (starts[k] >= ends[k]) return 0;
    }
    return 1;
}

/* The offsets read as UTF-16 units, in code points, into out_starts and out_ends, when
 * none falls inside a surrogate pair and the spans then fit (doccano_batches._by_units). */
static int by_units(const Py_ssize_t *positions, Py_ssize_t astral, const Py_ssize_t *starts,
                    const Py_ssize_t *ends, Py_ssize_t count, Py_ssize_t length,
                    Py_ssize_t *out_starts, Py_ssize_t *out_ends) {
    for (Py_ssize_t k = 0; k < 2 * count; k++) {
        Py_ssize_t value = k < count ? starts[k] : ends[k - count];
        Py_ssize_t before = below(positions, astral, value);
        if (before && positions[before - 1] + 1 == value) return 0;
        if (k < count) {
            out_starts[k] = value - before;
        } else {
            out_ends[k - count] = value - before;
        }
    }
    return fits(out_starts, out_ends, count, length);
}

static inline int is_alnum(Py_UCS4 c) { return Py_UNICODE_ISALNUM(c); }

/* offsets._on_boundaries: not starting or ending on a space, not cutting a word, and
 * holding a letter or digit. The span is inside the text and not empty. */
static int on_boundaries(const Text *text, Py_ssize_t length, Py_ssize_t start,
                         Py_ssize_t end) {
    Py_UCS4 first = at(text, start), last = at(text, end - 1);
    if (Py_UNICODE_ISSPACE(first) || Py_UNICODE_ISSPACE(last)) return 0;
    if (start && is_alnum(at(text, start - 1)) && is_alnum(first)) return 0;
    if (end < length && is_alnum(last) && is_alnum(at(text, end))) return 0;
    for (Py_ssize_t i = start; i < end; i++) {
        if (is_alnum(at(text, i))) return 1;
    }
    return 0;
}

/* The unit a document's spans tell when both readings are possible and differ
 * (doccano_batches._decided): every span placed differently votes for the reading that
 * puts it on word boundaries when the other does not; one vote, or DECIDE for none. */
static int vote(const Text *text, Py_ssize_t length, const Py_ssize_t *cp_starts,
                const Py_ssize_t *cp_ends, const Py_ssize_t *unit_starts,
                const Py_ssize_t *unit_ends, Py_ssize_t count) {
    int for_codepoints = 0, for_units = 0;
    for (Py_ssize_t k = 0; k < count; k++) {
        if (cp_starts[k] == unit_starts[k] && cp_ends[k] == unit_ends[k]) continue;
        int difference = on_boundaries(text, length, cp_starts[k], cp_ends[k]) -
                         on_boundaries(text, length, unit_starts[k], unit_ends[k]);
        for_codepoints |= difference > 0;
        for_units |= difference < 0;
    }
    if (for_codepoints == for_units) return DECIDE;
    return for_codepoints ? CODEPOINT : UTF16;
}

/* Whether some span ending after the first astral character is on word boundaries. */
static int some_span_after_on_boundaries(const Text *text, Py_ssize_t length,
                                         Py_ssize_t first_astral, const Py_ssize_t *starts,
                                         const Py_ssize_t *ends, Py_ssize_t count) {
    for (Py_ssize_t k = 0; k < count; k++) {
        if (ends[k] > first_astral && on_boundaries(text, length, starts[k], ends[k])) return 1;
    }
    return 0;
}

/* One document's spans placed into starts and ends (its offsets on the way in, stored
 * ones on the way out; scratch holds 2 * count more): the unit its spans told (DECIDE:
 * none told), or -1 when they are not placed without a doubt, or -2 with an exception. */
static int place_document(PyObject *source, Py_ssize_t *starts, Py_ssize_t *ends,
                          Py_ssize_t count, int unit, Py_ssize_t *scratch) {
    Text text = {PyUnicode_KIND(source), PyUnicode_DATA(source)};
    Py_ssize_t length = PyUnicode_GET_LENGTH(source);
    int by_codepoints = fits(starts, ends, count, length);
    if (unit == CODEPOINT || text.kind != PyUnicode_4BYTE_KIND) {
        return by_codepoints ? DECIDE : -1;
    }
    Py_ssize_t *positions;
    Py_ssize_t astral = astral_units(&text, length, &positions);
    if (astral < 0) return -2;
    Py_ssize_t *unit_starts = scratch, *unit_ends = scratch + count;
    int units = by_units(positions, astral, starts, ends, count, length, unit_starts, unit_ends);
    /* The first astral character, in code points (the first position counts no pair). */
    Py_ssize_t first_astral = astral ? positions[0] : length;
    PyMem_Free(positions);
    int told;
    if (unit == UTF16) {
        if (!units) return -1;
        told = DECIDE;
    } else if (!by_codepoints && !units) {
        return -1;
    } else if (!by_codepoints || !units) {
        /* The one possible reading, if some span after the astral character looks
         * marked by a person under it. */
        told = units ? UTF16 : CODEPOINT;
        const Py_ssize_t *placed_starts = units ? unit_starts : starts;
        const Py_ssize_t *placed_ends = units ? unit_ends : ends;
        if (!some_span_after_on_boundaries(&text, length, first_astral, placed_starts,
                                           placed_ends, count)) {
            return -1;
        }
    } else {
        int same = 1;
        for (Py_ssize_t k = 0; k < count && same; k++) {
            same = starts[k] == unit_starts[k] && ends[k] == unit_ends[k];
        }
        if (same) return DECIDE;
        told = vote(&text, length, starts, ends, unit_starts, unit_ends, count);
        if (told == DECIDE) return -1;
    }
    if (told == UTF16 || unit == UTF16) {
        memcpy(starts, unit_starts, count * sizeof(Py_ssize_t));
        memcpy(ends, unit_ends, count * sizeof(Py_ssize_t));
    }
    return told;
}

/* The list's ints as Py_ssize_t; 0 when one is not an int or does not fit (no
 * exception then), -1 with an exception set. */
static int read_offsets(PyObject *list, Py_ssize_t *values, Py_ssize_t count) {
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *item = PyList_GET_ITEM(list, k);
        if (!PyLong_CheckExact(item)) return 0;
        values[k] = PyLong_AsSsize_t(item);
        if (values[k] == -1 && PyErr_Occurred()) {
            if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return -1;
            PyErr_Clear();
            return 0;
        }
    }
    return 1;
}

PyDoc_STRVAR(place_doccano_doc,
             "place_doccano(texts, counts, starts, ends, unit) -> (starts, ends, told) | None\n\n"
             "doccano_batches._placed, compiled: the spans of each text (counts[i] of them,\n"
             "in order, in starts and ends) placed in code points, counted in unit (0: as\n"
             "each document's spans tell, 1: code points, 2: UTF-16 units), and for each\n"
             "document the unit its spans told (0 when none was). None when a document's\n"
             "spans are not placed without a doubt (or an offset is not an int).");

static PyObject *place_doccano(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5 || !PyList_Check(args[0]) || !PyList_Check(args[1]) ||
        !PyList_Check(args[2]) || !PyList_Check(args[3]) || !PyLong_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError,
                        "place_doccano(texts: list, counts: list, starts: list, ends: list, "
                        "unit: int)");
        return NULL;
    }
    PyObject *texts = args[0], *counts = args[1];
    Py_ssize_t documents = PyList_GET_SIZE(texts);
    Py_ssize_t total = PyList_GET_SIZE(args[2]);
    long unit = PyLong_AsLong(args[4]);
    if (PyList_GET_SIZE(counts) != documents || PyList_GET_SIZE(args[3]) != total ||
        unit < DECIDE || unit > UTF16) {
        PyErr_SetString(PyExc_ValueError, "place_doccano: a count a text, an end a start");
        return NULL;
    }
    PyObject *result = NULL, *told_list = NULL, *start_list = NULL, *end_list = NULL;
    Py_ssize_t *starts = PyMem_Malloc((4 * total + 1) * sizeof(Py_ssize_t));
    if (starts == NULL) return PyErr_NoMemory();
    Py_ssize_t *ends = starts + total, *scratch = starts + 2 * total;
    int read = read_offsets(args[2], starts, total);
    if (read > 0) read = read_offsets(args[3], ends, total);
    if (read <= 0) {
        if (read == 0) {
            Py_INCREF(Py_None);
            result = Py_None;
        }
        goto done;
    }
    told_list = PyList_New(documents);
    if (told_list == NULL) goto done;
    Py_ssize_t low = 0;
    for (Py_ssize_t number = 0; number < documents; number++) {
        PyObject *text = PyList_GET_ITEM(texts, number);
        Py_ssize_t count = PyLong_AsSsize_t(PyList_GET_ITEM(counts, number));
        if (count == -1 && PyErr_Occurred()) goto done;
        if (!PyUnicode_Check(text) || count < 0 || low + count > total) {
            PyErr_SetString(PyExc_ValueError, "place_doccano: a str a text, counts in range");
            goto done;
        }
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(text) < 0) goto done;
#endif
        int told = DECIDE;
        if (count) {
            told = place_document(text, starts + low, ends + low, count, (int)unit, scratch);
            if (told == -2) goto done;
            if (told == -1) {
                Py_INCREF(Py_None);
                result = Py_None;
                goto done;
            }
        }
        PyObject *told_number = PyLong_FromLong(told);
        if (told_number == NULL) goto done;
        PyList_SET_ITEM(told_list, number, told_number);
        low += count;
    }
    if (low != total) {
        PyErr_SetString(PyExc_ValueError, "place_doccano: the counts must add up to the spans");
        goto done;
    }
    start_list = int_list(starts, total);
    end_list = int_list(ends, total);
    if (start_list != NULL && end_list != NULL) {
        result = PyTuple_Pack(3, start_list, end_list, told_list);
    }
done:
    PyMem_Free(starts);
    Py_XDECREF(told_list);
    Py_XDECREF(start_list);
    Py_XDECREF(end_list);
    return result;
}

/* The code-point index of every astral character, ascending; the count, or -1 with an
 * exception set. The caller frees *indices. */
static Py_ssize_t astral_indices(const Text *text, Py_ssize_t length, Py_ssize_t **indices) {
    Py_ssize_t count = astral_units(text, length, indices);
    for (Py_ssize_t k = 0; k < count; k++) (*indices)[k] -= k;
    return count;
}

/* dict[key] as Py_ssize_t when it is an int that fits; 0 otherwise (no exception then),
 * -1 with an exception set. */
static int int_item(PyObject *dict, PyObject *key, Py_ssize_t *value) {
    PyObject *item = PyDict_GetItemWithError(dict, key);
    if (item == NULL) return PyErr_Occurred() ? -1 : 0;
    if (!PyLong_CheckExact(item)) return 0;
    *value = PyLong_AsSsize_t(item);
    if (*value == -1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return -1;
        PyErr_Clear();
        return 0;
    }
    return 1;
}

static PyObject *START_KEY, *END_KEY, *LABEL_KEY;

/* One span record's entity onto the buffer (number its place); 0 when the record is not
 * one this function writes (no exception then), -1 with an exception set. */
static int put_entity(Buffer *buffer, PyObject *span, Py_ssize_t number, const Text *text,
                      const Py_ssize_t *astral, Py_ssize_t astral_count) {
    if (!PyDict_CheckExact(span)) return 0;
    Py_ssize_t start, end;
    int found = int_item(span, START_KEY, &start);
    if (found > 0) found = int_item(span, END_KEY, &end);
    if (found <= 0) return found;
    PyObject *label = PyDict_GetItemWithError(span, LABEL_KEY);
    if (label == NULL) return PyErr_Occurred() ? -1 : 0;
    if (!PyUnicode_CheckExact(label)) return 0;
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(label) < 0) return -1;
#endif
    Text label_text = {PyUnicode_KIND(label), PyUnicode_DATA(label)};
    Py_ssize_t label_length = PyUnicode_GET_LENGTH(label);
    /* Keys and punctuation (51 bytes), three numbers (20 digits each at most). */
    if (reserve(buffer, 6 * label_length + 120) < 0) return -1;
    put(buffer, number ? ",{\"id\":" : "{\"id\":", number ? 7 : 6);
    put_number(buffer, number);
    put(buffer, ",\"start_offset\":", 16);
    put_number(buffer, start + below(astral, astral_count, start));
    put(buffer, ",\"end_offset\":", 14);
    put_number(buffer, end + below(astral, astral_count, end));
    put(buffer, ",\"label\":\"", 10);
    if (put_json_chars(buffer, &label_text, 0, label_length)) return 0;
    put(buffer, "\"}", 2);
    return 1;
}

PyDoc_STRVAR(doccano_entities_doc,
             "doccano_entities(text, spans) -> bytes | None\n\n"
             "The entities doccano.doccano_record writes of these span records (dicts with\n"
             "int start and end, str label), numbered in order, their offsets counted in\n"
             "UTF-16 units of text: the JSON array orjson writes of them. None for a record\n"
             "it does not write (another type, an offset too large, a lone surrogate).");

static PyObject *doccano_entities(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyUnicode_Check(args[0]) || !PyList_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "doccano_entities(text: str, spans: list)");
        return NULL;
    }
    PyObject *source = args[0], *spans = args[1];
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(source) < 0) return NULL;
#endif
    Text text = {PyUnicode_KIND(source), PyUnicode_DATA(source)};
    Py_ssize_t *astral;
    Py_ssize_t astral_count = astral_indices(&text, PyUnicode_GET_LENGTH(source), &astral);
    if (astral_count < 0) return NULL;
    PyObject *result = NULL;
    Buffer buffer = {NULL, 0, 0};
    Py_ssize_t count = PyList_GET_SIZE(spans);
    if (reserve(&buffer, 80 * count + 2) < 0) goto done;
    put(&buffer, "[", 1);
    for (Py_ssize_t k = 0; k < count; k++) {
        int written = put_entity(&buffer, PyList_GET_ITEM(spans, k), k, &text, astral,
                                 astral_count);
        if (written < 0) goto done;
        if (written == 0) {
            Py_INCREF(Py_None);
            result = Py_None;
            goto done;
        }
    }
    if (reserve(&buffer, 1) < 0) goto done;
    put(&buffer, "]", 1);
    result = PyBytes_FromStringAndSize(buffer.bytes, buffer.size);
done:
    PyMem_Free(astral);
    PyMem_Free(buffer.bytes);
    return result;
}

static PyMethodDef methods[] = {
    {"place_doccano", (PyCFunction)(void (*)(void))place_doccano, METH_FASTCALL,
     place_doccano_doc},
    {"doccano_entities", (PyCFunction)(void (*)(void))doccano_entities, METH_FASTCALL,
     doccano_entities_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_offsets",
    "doccano's offsets, compiled (see doccano_batches.py and doccano.py).", -1, methods,
};

PyMODINIT_FUNC PyInit__offsets(void) {
    START_KEY = PyUnicode_InternFromString("start");
    END_KEY = PyUnicode_InternFromString("end");
    LABEL_KEY = PyUnicode_InternFromString("label");
    if (START_KEY == NULL || END_KEY == NULL || LABEL_KEY == NULL) return NULL;
    return PyModule_Create(&module);
}
