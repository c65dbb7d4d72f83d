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

/* The index of the first character beyond U+FFFF from i on, or length. Such characters
 * are rare even in a text of that kind: eight at a time are told to hold none at once. */
static Py_ssize_t next_astral(const Py_UCS4 *chars, Py_ssize_t i, Py_ssize_t length) {
    for (; i + 8 <= length; i += 8) {
        Py_UCS4 any = 0;
        for (int k = 0; k < 8; k++) any |= chars[i + k];
        if (any > 0xffff) break;
    }
    for (; i < length; i++) {
        if (chars[i] > 0xffff) return i;
    }
    return length;
}

/* Where each astral character starts in UTF-16 units, ascending; the count, or -1 with
 * an exception set. The caller frees *positions. */
static Py_ssize_t astral_units(const Text *text, Py_ssize_t length, Py_ssize_t **positions) {
    *positions = NULL;
    if (text->kind != PyUnicode_4BYTE_KIND) return 0;
    const Py_UCS4 *chars = text->data;
    Py_ssize_t count = 0;
    for (Py_ssize_t i = next_astral(chars, 0, length); i < length;
         i = next_astral(chars, i + 1, length))
        count++;
    *positions = PyMem_Malloc((count + 1) * sizeof(Py_ssize_t));
    if (*positions == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t found = 0;
    for (Py_ssize_t i = next_astral(chars, 0, length); i < length;
         i = next_astral(chars, i + 1, length)) {
        (*positions)[found] = i + found;
        found++;
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

/* An entity up to its label onto the buffer, offsets in UTF-16 units: keys and
 * punctuation (50 bytes), three numbers (20 digits each at most) must have room. */
static void put_entity_head(Buffer *buffer, Py_ssize_t number, Py_ssize_t start,
                            Py_ssize_t end) {
    put(buffer, number ? ",{\"id\":" : "{\"id\":", number ? 7 : 6);
    put_number(buffer, number);
    put(buffer, ",\"start_offset\":", 16);
    put_number(buffer, start);
    put(buffer, ",\"end_offset\":", 14);
    put_number(buffer, end);
    put(buffer, ",\"label\":", 9);
}

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
    if (reserve(buffer, 6 * label_length + 120) < 0) return -1;
    put_entity_head(buffer, number, start + below(astral, astral_count, start),
                    end + below(astral, astral_count, end));
    put(buffer, "\"", 1);
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

/* --- doccano import: a chunk's span lists read, checked, placed and made records ----- */

static PyObject *START_OFFSET_KEY, *END_OFFSET_KEY, *ID_KEY, *TEXT_KEY, *ATTRS_KEY, *NOTE_KEY,
    *EMPTY;

/* One span as a record lists it: offsets, label (a new reference once read) and number. */
typedef struct {
    Py_ssize_t start, end, number;
    PyObject *label;
} RawSpan;

/* The spans of one record (a list of entity objects with int ids, or of [start, end,
 * label] lists) into raw; 1 when they are all alike and of the right types, 0 when not
 * (no exception then), -1 with an exception set. */
static int read_spans(PyObject *spans, RawSpan *raw) {
    Py_ssize_t count = PyList_GET_SIZE(spans);
    int lists = count && PyList_CheckExact(PyList_GET_ITEM(spans, 0));
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *span = PyList_GET_ITEM(spans, k);
        PyObject *start, *end, *label;
        if (lists) {
            if (!PyList_CheckExact(span) || PyList_GET_SIZE(span) != 3) return 0;
            start = PyList_GET_ITEM(span, 0);
            end = PyList_GET_ITEM(span, 1);
            label = PyList_GET_ITEM(span, 2);
            raw[k].number = k + 1;
        } else {
            if (!PyDict_CheckExact(span)) return 0;
            int found = int_item(span, ID_KEY, &raw[k].number);
            if (found <= 0) return found;
            start = PyDict_GetItemWithError(span, START_OFFSET_KEY);
            end = start ? PyDict_GetItemWithError(span, END_OFFSET_KEY) : NULL;
            label = end ? PyDict_GetItemWithError(span, LABEL_KEY) : NULL;
            if (label == NULL) return PyErr_Occurred() ? -1 : 0;
        }
        if (!PyLong_CheckExact(start) || !PyLong_CheckExact(end) || !PyUnicode_CheckExact(label))
            return 0;
        raw[k].start = PyLong_AsSsize_t(start);
        if (raw[k].start == -1 && PyErr_Occurred()) goto overflow;
        raw[k].end = PyLong_AsSsize_t(end);
        if (raw[k].end == -1 && PyErr_Occurred()) goto overflow;
        raw[k].label = label;
    }
    return 1;
overflow:
    if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return -1;
    PyErr_Clear();
    return 0;
}

/* The label without the whitespace around it (str.strip); a new reference, or NULL with
 * an exception set. */
static PyObject *stripped(PyObject *label) {
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(label) < 0) return NULL;
#endif
    Text text = {PyUnicode_KIND(label), PyUnicode_DATA(label)};
    Py_ssize_t low = 0, high = PyUnicode_GET_LENGTH(label);
    while (low < high && Py_UNICODE_ISSPACE(at(&text, low))) low++;
    while (high > low && Py_UNICODE_ISSPACE(at(&text, high - 1))) high--;
    if (low == 0 && high == PyUnicode_GET_LENGTH(label)) {
        Py_INCREF(label);
        return label;
    }
    return PyUnicode_Substring(label, low, high);
}

typedef struct {
    Py_ssize_t start, end, index;
} Place;

static int by_place(const void *left, const void *right) {
    const Place *a = left, *b = right;
    if (a->start != b->start) return a->start < b->start ? -1 : 1;
    if (a->end != b->end) return a->end < b->end ? -1 : 1;
    return 0;
}

static int by_number(const void *left, const void *right) {
    Py_ssize_t a = *(const Py_ssize_t *)left, b = *(const Py_ssize_t *)right;
    return a < b ? -1 : a > b;
}

/* Whether no two spans share start, end and label; places is scratch for count. */
static int listed_once(const Py_ssize_t *starts, const Py_ssize_t *ends, PyObject **labels,
                       Py_ssize_t count, Place *places) {
    for (Py_ssize_t k = 0; k < count; k++) places[k] = (Place){starts[k], ends[k], k};
    qsort(places, count, sizeof(Place), by_place);
    for (Py_ssize_t k = 0; k < count; k++) {
        for (Py_ssize_t j = k + 1; j < count && by_place(&places[k], &places[j]) == 0; j++) {
            if (PyUnicode_Compare(labels[places[k].index], labels[places[j].index]) == 0)
                return 0;
        }
    }
    return 1;
}

/* Whether one document's spans are each listed once (start, end and label) under ids
 * of their own; places and numbers are scratch for count spans. */
static int each_once(const Py_ssize_t *starts, const Py_ssize_t *ends, PyObject **labels,
                     const RawSpan *raw, Py_ssize_t count, Place *places,
                     Py_ssize_t *numbers) {
    if (!listed_once(starts, ends, labels, count, places)) return 0;
    for (Py_ssize_t k = 0; k < count; k++) numbers[k] = raw[k].number;
    qsort(numbers, count, sizeof(Py_ssize_t), by_number);
    for (Py_ssize_t k = 1; k < count; k++) {
        if (numbers[k] == numbers[k - 1]) return 0;
    }
    return 1;
}

/* One span record, every Span field in field order (covered: the text it covers, a
 * reference it takes over); NULL with an exception set. */
static PyObject *span_record(PyObject *id, Py_ssize_t start, Py_ssize_t end, PyObject *label,
                             PyObject *covered) {
    PyObject *record = _PyDict_NewPresized(7);
    if (record == NULL) {
        Py_XDECREF(covered);
        return NULL;
    }
    PyObject *values[5] = {PyLong_FromSsize_t(start), PyLong_FromSsize_t(end), covered,
                           PyDict_New(), NULL};
    int failed = values[0] == NULL || values[1] == NULL || values[2] == NULL ||
                 values[3] == NULL || PyDict_SetItem(record, ID_KEY, id) < 0 ||
                 PyDict_SetItem(record, START_KEY, values[0]) < 0 ||
                 PyDict_SetItem(record, END_KEY, values[1]) < 0 ||
                 PyDict_SetItem(record, LABEL_KEY, label) < 0 ||
                 PyDict_SetItem(record, TEXT_KEY, values[2]) < 0 ||
                 PyDict_SetItem(record, ATTRS_KEY, values[3]) < 0 ||
                 PyDict_SetItem(record, NOTE_KEY, EMPTY) < 0;
    for (int k = 0; k < 4; k++) Py_XDECREF(values[k]);
    if (failed) {
        Py_DECREF(record);
        return NULL;
    }
    return record;
}

/* One document's span records as the JSON array orjson writes of them (every Span field
 * in order; attrs and note empty), its spans' ids and labels appended to ids and labels;
 * NULL with an exception set, or None (a new reference) for a lone surrogate. */
static PyObject *document_json(PyObject *text, const Py_ssize_t *starts, const Py_ssize_t *ends,
                               PyObject **labels, const RawSpan *raw, Py_ssize_t count,
                               PyObject *ids, PyObject *label_list) {
    Text chars = {PyUnicode_KIND(text), PyUnicode_DATA(text)};
    Buffer buffer = {NULL, 0, 0};
    PyObject *result = NULL;
    if (reserve(&buffer, 2) < 0) return NULL;
    put(&buffer, "[", 1);
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *id = PyUnicode_FromFormat("T%zd", raw[k].number);
        int failed = id == NULL || PyList_Append(ids, id) < 0 ||
                     PyList_Append(label_list, labels[k]) < 0;
        Py_XDECREF(id);
        if (failed) goto done;
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(labels[k]) < 0) goto done;
#endif
        Text label = {PyUnicode_KIND(labels[k]), PyUnicode_DATA(labels[k])};
        Py_ssize_t label_length = PyUnicode_GET_LENGTH(labels[k]);
        /* Keys and punctuation (62 bytes), four numbers (20 digits each at most). */
        if (reserve(&buffer, 6 * (label_length + ends[k] - starts[k]) + 160) < 0) goto done;
        put(&buffer, k ? ",{\"id\":\"T" : "{\"id\":\"T", k ? 9 : 8);
        put_number(&buffer, raw[k].number);
        put(&buffer, "\",\"start\":", 10);
        put_number(&buffer, starts[k]);
        put(&buffer, ",\"end\":", 7);
        put_number(&buffer, ends[k]);
        put(&buffer, ",\"label\":\"", 10);
        if (put_json_chars(&buffer, &label, 0, label_length)) goto surrogate;
        put(&buffer, "\",\"text\":\"", 10);
        if (put_json_chars(&buffer, &chars, starts[k], ends[k])) goto surrogate;
        put(&buffer, "\",\"attrs\":{},\"note\":\"\"}", 23);
    }
    if (reserve(&buffer, 1) < 0) goto done;
    put(&buffer, "]", 1);
    result = PyBytes_FromStringAndSize(buffer.bytes, buffer.size);
    goto done;
surrogate:
    Py_INCREF(Py_None);
    result = Py_None;
done:
    PyMem_Free(buffer.bytes);
    return result;
}

PyDoc_STRVAR(doccano_spans_doc,
             "doccano_spans(texts, span_lists, unit) -> (spans, labels, ids, told) | None\n\n"
             "doccano_batches' span work for a chunk, compiled: each text's spans (entity\n"
             "objects with int ids, or [start, end, label] lists, alike in each list) read,\n"
             "placed as doccano_batches._placed places them, checked (int offsets, labels not blank,\n"
             "no span listed twice, no id twice) and written as span records (every Span\n"
             "field, in order). Returns each document's records as the JSON array orjson\n"
             "writes, all spans' labels (stripped) and ids, and each document's told unit;\n"
             "None where the Python code must look (or would refuse the chunk).");

static PyObject *doccano_spans(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3 || !PyList_Check(args[0]) || !PyList_Check(args[1]) ||
        PyList_GET_SIZE(args[0]) != PyList_GET_SIZE(args[1]) || !PyLong_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "doccano_spans(texts: list, span_lists: list, unit)");
        return NULL;
    }
    PyObject *texts = args[0], *span_lists = args[1];
    long unit = PyLong_AsLong(args[2]);
    if (unit < DECIDE || unit > UTF16) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "unit: 0, 1 or 2");
        return NULL;
    }
    Py_ssize_t documents = PyList_GET_SIZE(texts), total = 0;
    for (Py_ssize_t number = 0; number < documents; number++) {
        PyObject *spans = PyList_GET_ITEM(span_lists, number);
        if (!PyList_CheckExact(spans) || !PyUnicode_Check(PyList_GET_ITEM(texts, number)))
            Py_RETURN_NONE;
        total += PyList_GET_SIZE(spans);
    }
    PyObject *result = NULL, *all_json = NULL, *ids = NULL, *label_list = NULL,
             *told_list = NULL;
    RawSpan *raw = PyMem_Calloc(total + 1, sizeof(RawSpan));
    PyObject **labels = PyMem_Calloc(total + 1, sizeof(PyObject *));
    Py_ssize_t *offsets = PyMem_Malloc((5 * total + 1) * sizeof(Py_ssize_t));
    Place *places = PyMem_Malloc((total + 1) * sizeof(Place));
    if (raw == NULL || labels == NULL || offsets == NULL || places == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t *starts = offsets, *ends = offsets + total, *scratch = offsets + 2 * total;
    all_json = PyList_New(documents);
    ids = PyList_New(0);
    label_list = PyList_New(0);
    told_list = PyList_New(documents);
    if (all_json == NULL || ids == NULL || label_list == NULL || told_list == NULL) goto done;
    Py_ssize_t low = 0;
    for (Py_ssize_t number = 0; number < documents; number++) {
        PyObject *text = PyList_GET_ITEM(texts, number);
        PyObject *spans = PyList_GET_ITEM(span_lists, number);
        Py_ssize_t count = PyList_GET_SIZE(spans);
        int read = read_spans(spans, raw + low);
        if (read < 0) goto done;
        if (read == 0) goto none;
        for (Py_ssize_t k = low; k < low + count; k++) {
            starts[k] = raw[k].start;
            ends[k] = raw[k].end;
            labels[k] = stripped(raw[k].label);
            if (labels[k] == NULL) goto done;
            if (PyUnicode_GET_LENGTH(labels[k]) == 0) goto none;
        }
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(text) < 0) goto done;
#endif
        int told = DECIDE;
        if (count) {
            told = place_document(text, starts + low, ends + low, count, (int)unit, scratch);
            if (told == -2) goto done;
            if (told == -1) goto none;
            if (!each_once(starts + low, ends + low, labels + low, raw + low, count, places,
                           scratch))
                goto none;
        }
        PyObject *json = document_json(text, starts + low, ends + low, labels + low, raw + low,
                                       count, ids, label_list);
        if (json == NULL) goto done;
        if (json == Py_None) {
            result = json;
            goto done;
        }
        PyList_SET_ITEM(all_json, number, json);
        PyObject *told_number = PyLong_FromLong(told);
        if (told_number == NULL) goto done;
        PyList_SET_ITEM(told_list, number, told_number);
        low += count;
    }
    result = PyTuple_Pack(4, all_json, label_list, ids, told_list);
    goto done;
none:
    Py_INCREF(Py_None);
    result = Py_None;
done:
    if (labels != NULL) {
        for (Py_ssize_t k = 0; k < total; k++) Py_XDECREF(labels[k]);
    }
    PyMem_Free(labels);
    PyMem_Free(raw);
    PyMem_Free(offsets);
    PyMem_Free(places);
    Py_XDECREF(all_json);
    Py_XDECREF(label_list);
    Py_XDECREF(ids);
    Py_XDECREF(told_list);
    return result;
}

/* --- Label Studio import: an annotation's plain regions --------------------------------- */

static PyObject *TYPE_KEY, *VALUE_KEY, *LABELS_KEY, *META_KEY, *LABELS_KIND, *RELATION_KIND;

/* Whether the str equals text[start:end]. */
static int covers(PyObject *stated, const Text *text, Py_ssize_t start, Py_ssize_t end) {
    if (PyUnicode_GET_LENGTH(stated) != end - start) return 0;
    Text own = {PyUnicode_KIND(stated), PyUnicode_DATA(stated)};
    for (Py_ssize_t i = start; i < end; i++) {
        if (at(&own, i - start) != at(text, i)) return 0;
    }
    return 1;
}

/* One region's id (str of a str or int that is not empty or 0), offsets, stripped label
 * and covered text (new references); 1, 0 when it is not plain, -1 with an exception. */
static int read_region(PyObject *region, PyObject *source, const Text *text,
                       Py_ssize_t length, PyObject **id, Py_ssize_t *start, Py_ssize_t *end,
                       PyObject **label, PyObject **covered) {
    PyObject *value = PyDict_GetItemWithError(region, VALUE_KEY);
    if (value == NULL) return PyErr_Occurred() ? -1 : 0;
    if (!PyDict_CheckExact(value)) return 0;
    PyObject *meta = PyDict_GetItemWithError(region, META_KEY);
    if (meta == NULL && PyErr_Occurred()) return -1;
    int noted = meta == NULL ? 0 : PyObject_IsTrue(meta);
    if (noted) return noted < 0 ? -1 : 0;
    int found = int_item(value, START_KEY, start);
    if (found > 0) found = int_item(value, END_KEY, end);
    if (found <= 0) return found;
    if (*start < 0 || *end > length || *start >= *end) return 0;
    PyObject *names = PyDict_GetItemWithError(value, LABELS_KEY);
    PyObject *stated = PyDict_GetItemWithError(value, TEXT_KEY);
    PyObject *raw_id = PyDict_GetItemWithError(region, ID_KEY);
    if (PyErr_Occurred()) return -1;
    if (names == NULL || !PyList_CheckExact(names) || PyList_GET_SIZE(names) != 1) return 0;
    PyObject *name = PyList_GET_ITEM(names, 0);
    if (!PyUnicode_CheckExact(name) || stated == NULL || !PyUnicode_Check(stated)) return 0;
    if (raw_id == NULL || !(PyUnicode_CheckExact(raw_id) || PyLong_CheckExact(raw_id))) return 0;
    int truthy = PyObject_IsTrue(raw_id);
    if (truthy <= 0) return truthy;
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(stated) < 0) return -1;
#endif
    if (!covers(stated, text, *start, *end)) return 0;
    *label = stripped(name);
    if (*label == NULL) return -1;
    if (PyUnicode_GET_LENGTH(*label) == 0) {
        Py_CLEAR(*label);
        return 0;
    }
    *id = PyObject_Str(raw_id);
    *covered = PyUnicode_CheckExact(stated) ? Py_NewRef(stated)
                                            : PyUnicode_Substring(source, *start, *end);
    if (*id == NULL || *covered == NULL) {
        Py_CLEAR(*label);
        Py_CLEAR(*id);
        Py_CLEAR(*covered);
        return -1;
    }
    return 1;
}

PyDoc_STRVAR(label_studio_regions_doc,
             "label_studio_regions(text, results) -> (spans, region_ids, relations) | None\n\n"
             "label_studio._plain_regions, compiled: an annotation's results, when each is a\n"
             "relation or a plain region (one label, int offsets in code points of text, the\n"
             "text it covers, an id of its own, no note) and no span is listed twice: the\n"
             "span records, each region's id -> (its span id,), and (place, result) of each\n"
             "relation. None for anything else.");

static PyObject *label_studio_regions(PyObject *module, PyObject *const *args,
                                      Py_ssize_t nargs) {
    if (nargs != 2 || !PyUnicode_Check(args[0]) || !PyList_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "label_studio_regions(text: str, results: list)");
        return NULL;
    }
    PyObject *source = args[0], *results = args[1];
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(source) < 0) return NULL;
#endif
    Text text = {PyUnicode_KIND(source), PyUnicode_DATA(source)};
    Py_ssize_t length = PyUnicode_GET_LENGTH(source), count = PyList_GET_SIZE(results);
    PyObject *result = NULL, *spans = PyList_New(0), *region_ids = PyDict_New(),
             *relations = PyList_New(0);
    Py_ssize_t *offsets = PyMem_Malloc((2 * count + 1) * sizeof(Py_ssize_t));
    PyObject **labels = PyMem_Calloc(count + 1, sizeof(PyObject *));
    Place *places = PyMem_Malloc((count + 1) * sizeof(Place));
    Py_ssize_t regions = 0;
    if (spans == NULL || region_ids == NULL || relations == NULL) goto done;
    if (offsets == NULL || labels == NULL || places == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *item = PyList_GET_ITEM(results, k);
        if (!PyDict_CheckExact(item)) goto none;
        PyObject *kind = PyDict_GetItemWithError(item, TYPE_KEY);
        if (kind == NULL && PyErr_Occurred()) goto done;
        if (kind == NULL || !PyUnicode_Check(kind)) goto none;
        if (PyUnicode_Compare(kind, RELATION_KIND) == 0) {
            PyObject *pair = Py_BuildValue("(nO)", k, item);
            if (pair == NULL || PyList_Append(relations, pair) < 0) {
                Py_XDECREF(pair);
                goto done;
            }
            Py_DECREF(pair);
            continue;
        }
        if (PyUnicode_Compare(kind, LABELS_KIND) != 0) goto none;
        PyObject *id = NULL, *covered = NULL;
        Py_ssize_t *start = offsets + regions, *end = offsets + count + regions;
        int read = read_region(item, source, &text, length, &id, start, end, &labels[regions],
                               &covered);
        if (read < 0) goto done;
        if (read == 0) goto none;
        int taken = PyDict_Contains(region_ids, id);
        PyObject *ids = taken == 0 ? PyTuple_Pack(1, id) : NULL;
        int stored = ids != NULL && PyDict_SetItem(region_ids, id, ids) == 0;
        Py_XDECREF(ids);
        PyObject *record = stored ? span_record(id, *start, *end, labels[regions], covered)
                                  : (Py_XDECREF(covered), NULL);
        Py_DECREF(id);
        regions++;
        if (record == NULL || PyList_Append(spans, record) < 0) {
            Py_XDECREF(record);
            if (taken == 1) goto none;
            goto done;
        }
        Py_DECREF(record);
    }
    if (!listed_once(offsets, offsets + count, labels, regions, places)) goto none;
    result = PyTuple_Pack(3, spans, region_ids, relations);
    goto done;
none:
    Py_INCREF(Py_None);
    result = Py_None;
done:
    if (labels != NULL) {
        for (Py_ssize_t k = 0; k < count; k++) Py_XDECREF(labels[k]);
    }
    PyMem_Free(labels);
    PyMem_Free(offsets);
    PyMem_Free(places);
    Py_XDECREF(spans);
    Py_XDECREF(region_ids);
    Py_XDECREF(relations);
    return result;
}

/* --- doccano export from a sealed journal line, its labels left unparsed ------------- */

/* The store's journal line is orjson's encoding of the checked record (store/sealed.py):
 * no whitespace, every string as orjson writes it. Each scanner below reads one piece of
 * it from p, returns where the piece ends, or NULL when the bytes are not laid out so (the
 * caller then parses the line: never a guess). */

/* After the string whose opening quote is at p: after the first quote behind an even
 * run of backslashes (memchr: span texts are most of a line). */
static const char *string_end(const char *p, const char *end) {
    const char *inside = p + 1;
    for (p = inside; p < end; p++) {
        p = memchr(p, '"', end - p);
        if (p == NULL) return NULL;
        const char *run = p;
        while (run > inside && run[-1] == '\\') run--;
        if ((p - run) % 2 == 0) return p + 1;
    }
    return NULL;
}

/* After the JSON value at p (a string, a number, a literal, or an object or array
 * skipped by its brackets, the strings inside them skipped whole). */
static const char *value_end(const char *p, const char *end) {
    if (p >= end) return NULL;
    if (*p == '"') return string_end(p, end);
    if (*p != '{' && *p != '[') {
        while (p < end && *p != ',' && *p != '}' && *p != ']') p++;
        return p;
    }
    Py_ssize_t depth = 0;
    while (p < end) {
        char c = *p;
        if (c == '"') {
            p = string_end(p, end);
            if (p == NULL) return NULL;
            continue;
        }
        if (c == '{' || c == '[') depth++;
        if ((c == '}' || c == ']') && --depth == 0) return p + 1;
        p++;
    }
    return NULL;
}

/* Whether the n bytes at p are one valid UTF-8 character (no surrogate, none over
 * U+10FFFF, no overlong form), as orjson writes and reads them; its length, or 0. */
static int utf8_length(const unsigned char *p, const unsigned char *end) {
    unsigned char c = p[0];
    int length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (length == 0 || c > 0xf4 || end - p < length) return 0;
    for (int k = 1; k < length; k++) {
        if ((p[k] & 0xc0) != 0x80) return 0;
    }
    if (c == 0xe0 && p[1] < 0xa0) return 0;
    if (c == 0xed && p[1] >= 0xa0) return 0;
    if (c == 0xf0 && p[1] < 0x90) return 0;
    if (c == 0xf4 && p[1] >= 0x90) return 0;
    return length;
}

/* Whether the inside of a JSON string is exactly what orjson writes of the string it
 * holds: then these bytes can be copied out, as orjson would write that string again. */
static int as_orjson_writes(const char *start, const char *stop) {
    const unsigned char *p = (const unsigned char *)start, *end = (const unsigned char *)stop;
    while (p < end) {
        unsigned char c = *p;
        if (c >= 0x80) {
            int length = utf8_length(p, end);
            if (length == 0) return 0;
            p += length;
        } else if (c < 0x20 || c == '"') {
            return 0;
        } else if (c != '\\') {
            p++;
        } else if (end - p >= 2 && strchr("\"\\bfnrt", p[1]) != NULL && p[1] != 0) {
            p += 2;
        } else {
            /* \u00XX for a control character without a short form, in lower case. */
            if (end - p < 6 || memcmp(p + 1, "u00", 3) != 0 || (p[4] != '0' && p[4] != '1'))
                return 0;
            const char *digit = strchr(HEX, p[5]);
            if (digit == NULL || p[5] == 0) return 0;
            int value = (p[4] - '0') * 16 + (int)(digit - HEX);
            if (value == '\b' || value == '\t' || value == '\n' || value == '\f' ||
                value == '\r')
                return 0;
            p += 6;
        }
    }
    return 1;
}

/* A span's or a relation's fields this export reads: JSON strings (quotes included) and
 * offsets; whether its note and its attrs hold anything (the export counts what doccano
 * cannot carry). */
typedef struct {
    const char *id, *label, *head, *tail;
    Py_ssize_t id_size, label_size, head_size, tail_size;
    Py_ssize_t start, end;
    int note_filled, attrs_filled;
} Fields;

static int key_is(const char *key, Py_ssize_t size, const char *name) {
    return size == (Py_ssize_t)strlen(name) && memcmp(key, name, size) == 0;
}

/* A non-negative int as orjson writes it (no sign, no leading zero, 18 digits at most). */
static int read_offset(const char *p, const char *stop, Py_ssize_t *value) {
    Py_ssize_t size = stop - p;
    if (size < 1 || size > 18 || (*p == '0' && size > 1)) return 0;
    *value = 0;
    for (; p < stop; p++) {
        if (*p < '0' || *p > '9') return 0;
        *value = *value * 10 + (*p - '0');
    }
    return 1;
}

/* The object at p into fields (the keys read; a key given twice, the last one, as
 * orjson.loads takes it); after it, or NULL. */
static const char *object_fields(const char *p, const char *end, Fields *fields, int *seen) {
    if (p >= end || *p != '{') return NULL;
    p++;
    *seen = 0;
    if (p < end && *p == '}') return p + 1;
    while (p < end) {
        if (*p != '"') return NULL;
        const char *key = p + 1, *after = string_end(p, end);
        if (after == NULL || after >= end || *after != ':') return NULL;
        Py_ssize_t key_size = after - 1 - key;
        const char *value = after + 1, *stop = value_end(value, end);
        if (stop == NULL || stop >= end) return NULL;
        const char **text = NULL;
        Py_ssize_t *size = NULL;
        if (key_is(key, key_size, "start") || key_is(key, key_size, "end")) {
            int is_start = key_size == 5;
            if (!read_offset(value, stop, is_start ? &fields->start : &fields->end)) return NULL;
            *seen |= is_start ? 1 : 2;
        } else if (key_is(key, key_size, "id")) {
            text = &fields->id, size = &fields->id_size, *seen |= 4;
        } else if (key_is(key, key_size, "label")) {
            text = &fields->label, size = &fields->label_size, *seen |= 8;
        } else if (key_is(key, key_size, "head")) {
            text = &fields->head, size = &fields->head_size, *seen |= 16;
        } else if (key_is(key, key_size, "tail")) {
            text = &fields->tail, size = &fields->tail_size, *seen |= 32;
        } else if (key_is(key, key_size, "note")) {
            if (*value != '"') return NULL;
            fields->note_filled = stop - value > 2;
        } else if (key_is(key, key_size, "attrs")) {
            if (*value != '{') return NULL;
            fields->attrs_filled = stop - value > 2;
        }
        if (text != NULL) {
            if (*value != '"' || !as_orjson_writes(value + 1, stop - 1)) return NULL;
            *text = value;
            *size = stop - value;
        }
        p = stop;
        if (*p == '}') return p + 1;
        if (*p != ',') return NULL;
        p++;
    }
    return NULL;
}

/* The span ids, for relations to find their ends by: an open-addressing table of span
 * numbers + 1 (0: empty), a later span with the same id taking its place, as a dict does. */
typedef struct {
    Py_ssize_t *slots;
    size_t mask;
    const Fields *spans;
} IdTable;

static size_t id_hash(const char *bytes, Py_ssize_t size) {
    size_t hash = 14695981039346656037ULL;
    for (Py_ssize_t k = 0; k < size; k++) hash = (hash ^ (unsigned char)bytes[k]) * 1099511628211ULL;
    return hash;
}

static Py_ssize_t *id_slot(const IdTable *table, const char *id, Py_ssize_t size) {
    size_t k = id_hash(id, size) & table->mask;
    while (table->slots[k]) {
        const Fields *span = &table->spans[table->slots[k] - 1];
        if (span->id_size == size && memcmp(span->id, id, size) == 0) break;
        k = (k + 1) & table->mask;
    }
    return &table->slots[k];
}

/* The objects of the array at p (count of them expected) into fields, each with every
 * key of wanted; after the array, or NULL. */
static const char *array_fields(const char *p, const char *end, Fields *fields,
                                Py_ssize_t count, int wanted) {
    if (p >= end || *p != '[') return NULL;
    p++;
    for (Py_ssize_t k = 0; k < count; k++) {
        int seen;
        if (k && (p >= end || *p++ != ',')) return NULL;
        p = object_fields(p, end, &fields[k], &seen);
        if (p == NULL || (seen & wanted) != wanted) return NULL;
    }
    return p < end && *p == ']' ? p + 1 : NULL;
}

/* doccano's relations onto buffer: each end the number of the span with its id. */
static int put_relations(Buffer *buffer, const Fields *spans, Py_ssize_t span_count,
                         const Fields *relations, Py_ssize_t relation_count) {
    size_t size = 2;
    while (size < 2 * (size_t)span_count) size *= 2;
    IdTable table = {PyMem_Calloc(size, sizeof(Py_ssize_t)), size - 1, spans};
    if (table.slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    int result = 1;
    for (Py_ssize_t k = 0; k < span_count; k++) {
        *id_slot(&table, spans[k].id, spans[k].id_size) = k + 1;
    }
    if (reserve(buffer, 1) < 0) goto failed;
    put(buffer, "[", 1);
    for (Py_ssize_t k = 0; k < relation_count && result == 1; k++) {
        const Fields *relation = &relations[k];
        Py_ssize_t from = *id_slot(&table, relation->head, relation->head_size);
        Py_ssize_t to = *id_slot(&table, relation->tail, relation->tail_size);
        if (!from || !to) {
            result = 0;
            break;
        }
        if (reserve(buffer, relation->label_size + 100) < 0) goto failed;
        put(buffer, k ? ",{\"id\":" : "{\"id\":", k ? 7 : 6);
        put_number(buffer, k);
        put(buffer, ",\"from_id\":", 11);
        put_number(buffer, from - 1);
        put(buffer, ",\"to_id\":", 9);
        put_number(buffer, to - 1);
        put(buffer, ",\"type\":", 8);
        put(buffer, relation->label, relation->label_size);
        put(buffer, "}", 1);
    }
    if (result == 1) {
        if (reserve(buffer, 1) < 0) goto failed;
        put(buffer, "]", 1);
    }
    PyMem_Free(table.slots);
    return result;
failed:
    PyMem_Free(table.slots);
    return -1;
}

/* doccano's entities onto buffer, offsets in UTF-16 units of text. */
static int put_sealed_entities(Buffer *buffer, const Fields *spans, Py_ssize_t count,
                               PyObject *source) {
    Text text = {PyUnicode_KIND(source), PyUnicode_DATA(source)};
    Py_ssize_t *astral;
    Py_ssize_t astral_count = astral_indices(&text, PyUnicode_GET_LENGTH(source), &astral);
    if (astral_count < 0) return -1;
    if (reserve(buffer, 1) < 0) goto failed;
    put(buffer, "[", 1);
    for (Py_ssize_t k = 0; k < count; k++) {
        const Fields *span = &spans[k];
        if (reserve(buffer, span->label_size + 120) < 0) goto failed;
        put_entity_head(buffer, k, span->start + below(astral, astral_count, span->start),
                        span->end + below(astral, astral_count, span->end));
        put(buffer, span->label, span->label_size);
        put(buffer, "}", 1);
    }
    if (reserve(buffer, 1) < 0) goto failed;
    put(buffer, "]", 1);
    PyMem_Free(astral);
    return 1;
failed:
    PyMem_Free(astral);
    return -1;
}

PyDoc_STRVAR(doccano_sealed_doc,
             "doccano_sealed(text, line, spans_at, span_count, relation_count)\n"
             "    -> tuple[bytes, bytes, tuple[int, int, int]] | None\n\n"
             "The entities and the relations doccano_export.doccano_record writes of a sealed\n"
             "journal line's labels (line: its bytes, spans_at: where ',\"spans\":' starts,\n"
             "the counts its head gives), read from the bytes without parsing them: the JSON\n"
             "arrays orjson writes of them; and ExportRecord.detail_counts of them. None when\n"
             "the line is not laid out as orjson writes the store's records (a note not a\n"
             "string, attrs not an object), or a relation's end is no span (parse it then).");

static PyObject *doccano_sealed(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5 || !PyUnicode_Check(args[0]) || !PyBytes_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError,
                        "doccano_sealed(text: str, line: bytes, spans_at: int, span_count: int, "
                        "relation_count: int)");
        return NULL;
    }
    Py_ssize_t spans_at = PyLong_AsSsize_t(args[2]);
    Py_ssize_t span_count = spans_at == -1 && PyErr_Occurred() ? -1 : PyLong_AsSsize_t(args[3]);
    Py_ssize_t relation_count =
        span_count == -1 && PyErr_Occurred() ? -1 : PyLong_AsSsize_t(args[4]);
    if (relation_count == -1 && PyErr_Occurred()) return NULL;
    PyObject *source = args[0];
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(source) < 0) return NULL;
#endif
    const char *line = PyBytes_AS_STRING(args[1]);
    Py_ssize_t size = PyBytes_GET_SIZE(args[1]);
    static const char SPANS[] = ",\"spans\":", RELATIONS[] = ",\"relations\":";
    if (spans_at < 0 || span_count < 0 || relation_count < 0 || spans_at > size ||
        span_count > size || relation_count > size ||
        size - spans_at < (Py_ssize_t)sizeof SPANS - 1 ||
        memcmp(line + spans_at, SPANS, sizeof SPANS - 1) != 0)
        Py_RETURN_NONE;
    const char *end = line + size;
    Fields *spans = PyMem_Calloc(span_count + relation_count + 1, sizeof(Fields));
    if (spans == NULL) return PyErr_NoMemory();
    Fields *relations = spans + span_count;
    PyObject *result = NULL;
    Buffer entities = {NULL, 0, 0}, links = {NULL, 0, 0};
    const char *p = array_fields(line + spans_at + sizeof SPANS - 1, end, spans, span_count,
                                 1 | 2 | 4 | 8);
    if (p != NULL && end - p > (Py_ssize_t)sizeof RELATIONS - 1 &&
        memcmp(p, RELATIONS, sizeof RELATIONS - 1) == 0) {
        p = array_fields(p + sizeof RELATIONS - 1, end, relations, relation_count,
                         8 | 16 | 32);
    } else {
        p = NULL;
    }
    if (p == NULL) {
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    int made = put_sealed_entities(&entities, spans, span_count, source);
    if (made == 1) made = put_relations(&links, spans, span_count, relations, relation_count);
    if (made < 0) goto done;
    if (made == 0) {
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    Py_ssize_t span_notes = 0, span_attrs = 0, relation_notes = 0;
    for (Py_ssize_t k = 0; k < span_count; k++) {
        span_notes += spans[k].note_filled;
        span_attrs += spans[k].attrs_filled;
    }
    for (Py_ssize_t k = 0; k < relation_count; k++) relation_notes += relations[k].note_filled;
    result = Py_BuildValue("(y#y#(nnn))", entities.bytes, entities.size, links.bytes, links.size,
                           span_notes, span_attrs, relation_notes);
done:
    PyMem_Free(spans);
    PyMem_Free(entities.bytes);
    PyMem_Free(links.bytes);
    return result;
}

/* --- Label Studio import: a stretch of tasks' plain regions, written as JSON ---------- */

/* The str as a JSON string, quotes and all, as orjson writes it; 0, 1 for a lone
 * surrogate, -1 with an exception set. */
static int put_json_str(Buffer *buffer, PyObject *str) {
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(str) < 0) return -1;
#endif
    Py_ssize_t length = PyUnicode_GET_LENGTH(str);
    if (reserve(buffer, 6 * length + 2) < 0) return -1;
    Text chars = {PyUnicode_KIND(str), PyUnicode_DATA(str)};
    put(buffer, "\"", 1);
    if (put_json_chars(buffer, &chars, 0, length)) return 1;
    put(buffer, "\"", 1);
    return 0;
}

/* One annotation's results read as label_studio_regions reads them, its span records
 * written as the JSON array orjson writes of them (*json), their labels appended to
 * label_list, its region ids (*ids, a set) and its relation results (*relations);
 * 1, 0 when they are not plain (no exception then), -1 with an exception set. */
static int annotation_json(PyObject *source, PyObject *results, PyObject *label_list,
                           PyObject **json, PyObject **ids, PyObject **relations) {
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(source) < 0) return -1;
#endif
    Text text = {PyUnicode_KIND(source), PyUnicode_DATA(source)};
    Py_ssize_t length = PyUnicode_GET_LENGTH(source), count = PyList_GET_SIZE(results);
    Py_ssize_t *offsets = PyMem_Malloc((2 * count + 1) * sizeof(Py_ssize_t));
    PyObject **labels = PyMem_Calloc(2 * count + 1, sizeof(PyObject *));
    Place *places = PyMem_Malloc((count + 1) * sizeof(Place));
    Buffer buffer = {NULL, 0, 0};
    Py_ssize_t regions = 0;
    int outcome = -1;
    *ids = PySet_New(NULL);
    *relations = PyList_New(0);
    if (*ids == NULL || *relations == NULL) goto done;
    if (offsets == NULL || labels == NULL || places == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t *starts = offsets, *ends = offsets + count;
    PyObject **region_ids = labels + count;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *item = PyList_GET_ITEM(results, k);
        if (!PyDict_CheckExact(item)) goto plain_not;
        PyObject *kind = PyDict_GetItemWithError(item, TYPE_KEY);
        if (kind == NULL && PyErr_Occurred()) goto done;
        if (kind == NULL || !PyUnicode_Check(kind)) goto plain_not;
        if (PyUnicode_Compare(kind, RELATION_KIND) == 0) {
            if (PyList_Append(*relations, item) < 0) goto done;
            continue;
        }
        if (PyUnicode_Compare(kind, LABELS_KIND) != 0) goto plain_not;
        PyObject *covered = NULL;
        int read = read_region(item, source, &text, length, &region_ids[regions],
                               &starts[regions], &ends[regions], &labels[regions], &covered);
        Py_XDECREF(covered);
        if (read < 0) goto done;
        if (read == 0) goto plain_not;
        regions++;
        int taken = PySet_Contains(*ids, region_ids[regions - 1]);
        if (taken < 0) goto done;
        if (taken) goto plain_not;
        if (PySet_Add(*ids, region_ids[regions - 1]) < 0) goto done;
    }
    if (!listed_once(starts, ends, labels, regions, places)) goto plain_not;
    if (reserve(&buffer, 2) < 0) goto done;
    put(&buffer, "[", 1);
    for (Py_ssize_t k = 0; k < regions; k++) {
        if (PyList_Append(label_list, labels[k]) < 0) goto done;
        /* Keys and punctuation (64 bytes), two numbers (20 digits each at most). */
        if (reserve(&buffer, 6 * (ends[k] - starts[k]) + 120) < 0) goto done;
        put(&buffer, k ? ",{\"id\":" : "{\"id\":", k ? 7 : 6);
        int failed = put_json_str(&buffer, region_ids[k]);
        if (failed) goto surrogate_or_error;
        if (reserve(&buffer, 6 * (ends[k] - starts[k]) + 120) < 0) goto done;
        put(&buffer, ",\"start\":", 9);
        put_number(&buffer, starts[k]);
        put(&buffer, ",\"end\":", 7);
        put_number(&buffer, ends[k]);
        put(&buffer, ",\"label\":", 9);
        failed = put_json_str(&buffer, labels[k]);
        if (failed) goto surrogate_or_error;
        if (reserve(&buffer, 6 * (ends[k] - starts[k]) + 120) < 0) goto done;
        put(&buffer, ",\"text\":\"", 9);
        if (put_json_chars(&buffer, &text, starts[k], ends[k])) goto plain_not;
        put(&buffer, "\",\"attrs\":{},\"note\":\"\"}", 23);
        continue;
    surrogate_or_error:
        if (failed < 0) goto done;
        goto plain_not;
    }
    if (reserve(&buffer, 1) < 0) goto done;
    put(&buffer, "]", 1);
    *json = PyBytes_FromStringAndSize(buffer.bytes, buffer.size);
    outcome = *json == NULL ? -1 : 1;
    goto done;
plain_not:
    outcome = 0;
done:
    if (labels != NULL) {
        for (Py_ssize_t k = 0; k < regions; k++) {
            Py_XDECREF(labels[k]);
            Py_XDECREF(region_ids[k]);
        }
        /* A region read but refused for its id holds nothing more than these. */
    }
    PyMem_Free(labels);
    PyMem_Free(offsets);
    PyMem_Free(places);
    PyMem_Free(buffer.bytes);
    if (outcome != 1) {
        Py_CLEAR(*ids);
        Py_CLEAR(*relations);
    }
    return outcome;
}

static PyObject *FROM_ID_KEY, *TO_ID_KEY, *DIRECTION_KEY, *BI_DIRECTION, *LEFT_DIRECTION;

/* An end of a relation: str() of its from_id or to_id, when that names a region of ids
 * (a new reference); NULL with no exception when it names none, or with one set. */
static PyObject *relation_end(PyObject *item, PyObject *key, PyObject *ids) {
    PyObject *raw = PyDict_GetItemWithError(item, key);
    if (raw == NULL && PyErr_Occurred()) return NULL;
    PyObject *end = PyObject_Str(raw == NULL ? Py_None : raw);
    if (end == NULL) return NULL;
    int named = PySet_Contains(ids, end);
    if (named <= 0) Py_CLEAR(end);
    return end;
}

/* Whether the direction is the str ``which``: 1, 0, -1 with an exception set. */
static int direction_is(PyObject *direction, PyObject *which) {
    if (direction == NULL || !PyUnicode_Check(direction)) return 0;
    int compared = PyUnicode_Compare(direction, which);
    if (compared == -1 && PyErr_Occurred()) return -1;
    return compared == 0;
}

/* One relation's records onto the buffer (numbered on from *written), its label names
 * appended to label_list; 1, 0 when it is not plain, -1 with an exception set. */
static int put_relation(Buffer *buffer, PyObject *item, PyObject *ids, PyObject *label_list,
                        Py_ssize_t *written) {
    if (!PyDict_CheckExact(item)) return 0;
    PyObject *ends[2] = {relation_end(item, FROM_ID_KEY, ids), NULL};
    if (ends[0] != NULL) ends[1] = relation_end(item, TO_ID_KEY, ids);
    int outcome = PyErr_Occurred() ? -1 : 0;
    if (ends[1] == NULL) goto done;
    PyObject *direction = PyDict_GetItemWithError(item, DIRECTION_KEY);
    PyObject *names = direction || !PyErr_Occurred() ? PyDict_GetItemWithError(item, LABELS_KEY)
                                                     : NULL;
    if (PyErr_Occurred()) goto done;
    int bi = direction_is(direction, BI_DIRECTION), left = direction_is(direction, LEFT_DIRECTION);
    if (bi < 0 || left < 0) goto done;
    if (bi || names == NULL || !PyList_CheckExact(names) || PyList_GET_SIZE(names) == 0) {
        outcome = 0;
        goto done;
    }
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(names); k++) {
        PyObject *name = PyList_GET_ITEM(names, k);
        if (!PyUnicode_CheckExact(name) || PyUnicode_GET_LENGTH(name) == 0) {
            outcome = 0;
            goto done;
        }
    }
    PyObject *head = ends[left], *tail = ends[1 - left];
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(names); k++) {
        PyObject *name = PyList_GET_ITEM(names, k);
        if (PyList_Append(label_list, name) < 0) goto done;
        if (reserve(buffer, 80) < 0) goto done;
        put(buffer, *written ? ",{\"id\":\"R" : "{\"id\":\"R", *written ? 9 : 8);
        put_number(buffer, ++*written);
        put(buffer, "\",\"label\":", 10);
        int failed = put_json_str(buffer, name);
        if (failed == 0 && reserve(buffer, 16) == 0) {
            put(buffer, ",\"head\":", 8);
            failed = put_json_str(buffer, head);
        } else if (failed == 0) {
            failed = -1;
        }
        if (failed == 0 && reserve(buffer, 16) == 0) {
            put(buffer, ",\"tail\":", 8);
            failed = put_json_str(buffer, tail);
        } else if (failed == 0) {
            failed = -1;
        }
        if (failed == 0 && reserve(buffer, 16) < 0) failed = -1;
        if (failed) {
            outcome = failed < 0 ? -1 : 0;
            goto done;
        }
        put(buffer, ",\"note\":\"\"}", 11);
    }
    outcome = 1;
done:
    Py_XDECREF(ends[0]);
    Py_XDECREF(ends[1]);
    return outcome;
}

/* An annotation's relation results as the JSON array orjson writes of their records
 * (a new reference, their labels appended to label_list, their count in *count); None
 * (a new reference) when one is not plain, NULL with an exception set. */
static PyObject *relations_json(PyObject *relations, PyObject *ids, PyObject *label_list,
                                Py_ssize_t *count) {
    Buffer buffer = {NULL, 0, 0};
    PyObject *result = NULL;
    *count = 0;
    if (reserve(&buffer, 2) < 0) return NULL;
    put(&buffer, "[", 1);
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(relations); k++) {
        int put_one = put_relation(&buffer, PyList_GET_ITEM(relations, k), ids, label_list, count);
        if (put_one < 0) goto done;
        if (put_one == 0) {
            result = Py_NewRef(Py_None);
            goto done;
        }
    }
    if (reserve(&buffer, 1) < 0) goto done;
    put(&buffer, "]", 1);
    result = PyBytes_FromStringAndSize(buffer.bytes, buffer.size);
done:
    PyMem_Free(buffer.bytes);
    return result;
}

PyDoc_STRVAR(label_studio_spans_doc,
             "label_studio_spans(texts, result_lists) -> (spans, span_labels, span_counts,\n"
             "relations, relation_labels, relation_counts) | None\n\n"
             "label_studio_batches' label work for a stretch of tasks, compiled: each\n"
             "annotation's results read as label_studio_regions reads them, and its relations\n"
             "as label_studio_batches.label_work_python reads them (None unless all are\n"
             "plain); each one's span and relation records written as the JSON arrays orjson\n"
             "writes of them, with all their labels and each annotation's counts.");

static PyObject *label_studio_spans(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2 || !PyList_Check(args[0]) || !PyList_Check(args[1]) ||
        PyList_GET_SIZE(args[0]) != PyList_GET_SIZE(args[1])) {
        PyErr_SetString(PyExc_TypeError, "label_studio_spans(texts: list, result_lists: list)");
        return NULL;
    }
    Py_ssize_t documents = PyList_GET_SIZE(args[0]);
    PyObject *spans_json = PyList_New(documents), *labels = PyList_New(0),
             *counts = PyList_New(documents), *relations_all = PyList_New(documents),
             *relation_labels = PyList_New(0), *relation_counts = PyList_New(documents),
             *result = NULL;
    if (spans_json == NULL || labels == NULL || counts == NULL || relations_all == NULL ||
        relation_labels == NULL || relation_counts == NULL)
        goto done;
    for (Py_ssize_t number = 0; number < documents; number++) {
        PyObject *text = PyList_GET_ITEM(args[0], number);
        PyObject *results = PyList_GET_ITEM(args[1], number);
        if (!PyUnicode_Check(text) || !PyList_CheckExact(results)) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        PyObject *json = NULL, *ids = NULL, *relations = NULL;
        Py_ssize_t before = PyList_GET_SIZE(labels), written = 0;
        int read = annotation_json(text, results, labels, &json, &ids, &relations);
        if (read < 0) goto done;
        if (read == 0) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        PyList_SET_ITEM(spans_json, number, json);
        PyObject *linked = relations_json(relations, ids, relation_labels, &written);
        Py_DECREF(ids);
        Py_DECREF(relations);
        if (linked == NULL) goto done;
        if (linked == Py_None) {
            result = linked;
            goto done;
        }
        PyList_SET_ITEM(relations_all, number, linked);
        PyObject *count = PyLong_FromSsize_t(PyList_GET_SIZE(labels) - before);
        if (count == NULL) goto done;
        PyList_SET_ITEM(counts, number, count);
        count = PyLong_FromSsize_t(written);
        if (count == NULL) goto done;
        PyList_SET_ITEM(relation_counts, number, count);
    }
    result = PyTuple_Pack(6, spans_json, labels, counts, relations_all, relation_labels,
                          relation_counts);
done:
    Py_XDECREF(spans_json);
    Py_XDECREF(labels);
    Py_XDECREF(counts);
    Py_XDECREF(relations_all);
    Py_XDECREF(relation_labels);
    Py_XDECREF(relation_counts);
    return result;
}

PyDoc_STRVAR(bracket_count_doc,
             "bracket_count(data) -> int\n\n"
             "data.count(b'{') + data.count(b'['), in one pass (jsonio's nesting guard).");

static PyObject *bracket_count(PyObject *module, PyObject *data) {
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) return NULL;
    const unsigned char *bytes = view.buf;
    size_t found = 0;
    Py_ssize_t k = 0;
    /* '{' and '[' differ in one bit only: no other byte gives '{' with that bit set.
     * Blocks of a fixed length, so that -O2 makes vector code of the inner loop. */
    for (; k + 128 <= view.len; k += 128) {
        unsigned char block = 0;
        for (int j = 0; j < 128; j++) block += (bytes[k + j] | 0x20) == '{';
        found += block;
    }
    for (; k < view.len; k++) found += (bytes[k] | 0x20) == '{';
    PyBuffer_Release(&view);
    return PyLong_FromSize_t(found);
}

static PyMethodDef methods[] = {
    {"doccano_entities", (PyCFunction)(void (*)(void))doccano_entities, METH_FASTCALL,
     doccano_entities_doc},
    {"doccano_sealed", (PyCFunction)(void (*)(void))doccano_sealed, METH_FASTCALL,
     doccano_sealed_doc},
    {"doccano_spans", (PyCFunction)(void (*)(void))doccano_spans, METH_FASTCALL,
     doccano_spans_doc},
    {"label_studio_regions", (PyCFunction)(void (*)(void))label_studio_regions, METH_FASTCALL,
     label_studio_regions_doc},
    {"label_studio_spans", (PyCFunction)(void (*)(void))label_studio_spans, METH_FASTCALL,
     label_studio_spans_doc},
    {"bracket_count", (PyCFunction)bracket_count, METH_O, bracket_count_doc},
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
    START_OFFSET_KEY = PyUnicode_InternFromString("start_offset");
    END_OFFSET_KEY = PyUnicode_InternFromString("end_offset");
    ID_KEY = PyUnicode_InternFromString("id");
    TEXT_KEY = PyUnicode_InternFromString("text");
    ATTRS_KEY = PyUnicode_InternFromString("attrs");
    NOTE_KEY = PyUnicode_InternFromString("note");
    EMPTY = PyUnicode_FromStringAndSize(NULL, 0);
    TYPE_KEY = PyUnicode_InternFromString("type");
    VALUE_KEY = PyUnicode_InternFromString("value");
    LABELS_KEY = PyUnicode_InternFromString("labels");
    META_KEY = PyUnicode_InternFromString("meta");
    LABELS_KIND = PyUnicode_InternFromString("labels");
    RELATION_KIND = PyUnicode_InternFromString("relation");
    FROM_ID_KEY = PyUnicode_InternFromString("from_id");
    TO_ID_KEY = PyUnicode_InternFromString("to_id");
    DIRECTION_KEY = PyUnicode_InternFromString("direction");
    BI_DIRECTION = PyUnicode_InternFromString("bi");
    LEFT_DIRECTION = PyUnicode_InternFromString("left");
    if (FROM_ID_KEY == NULL || TO_ID_KEY == NULL || DIRECTION_KEY == NULL ||
        BI_DIRECTION == NULL || LEFT_DIRECTION == NULL)
        return NULL;
    if (TYPE_KEY == NULL || VALUE_KEY == NULL || LABELS_KEY == NULL || META_KEY == NULL ||
        LABELS_KIND == NULL || RELATION_KIND == NULL)
        return NULL;
    if (START_KEY == NULL || END_KEY == NULL || LABEL_KEY == NULL || START_OFFSET_KEY == NULL ||
        END_OFFSET_KEY == NULL || ID_KEY == NULL || TEXT_KEY == NULL || ATTRS_KEY == NULL ||
        NOTE_KEY == NULL || EMPTY == NULL)
        return NULL;
    return PyModule_Create(&module);
}
