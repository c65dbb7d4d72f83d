/* What the compiled helpers (_tokens.c, _offsets.c) share: reading a str's characters
 * and writing JSON into a growing buffer exactly as orjson writes it. */
#ifndef ANNOTATOR_TEXT_JSON_H
#define ANNOTATOR_TEXT_JSON_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    int kind;
    const void *data;
} Text;

static inline Py_UCS4 at(const Text *text, Py_ssize_t i) {
    return PyUnicode_READ(text->kind, text->data, i);
}

typedef struct {
    char *bytes;
    Py_ssize_t size;
    Py_ssize_t capacity;
} Buffer;

static inline int reserve(Buffer *buffer, Py_ssize_t more) {
    if (buffer->size + more <= buffer->capacity) return 0;
    Py_ssize_t capacity = buffer->capacity * 2;
    if (capacity < buffer->size + more) capacity = buffer->size + more;
    char *grown = PyMem_Realloc(buffer->bytes, capacity);
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    buffer->bytes = grown;
    buffer->capacity = capacity;
    return 0;
}

static inline void put(Buffer *buffer, const char *bytes, Py_ssize_t size) {
    memcpy(buffer->bytes + buffer->size, bytes, size);
    buffer->size += size;
}

static const char HEX[] = "0123456789abcdef";

/* text[start:end] as the inside of a JSON string, as orjson writes it. Room for 6 bytes a
 * character must be reserved. 1 for a lone surrogate (orjson refuses those). */
static inline int put_json_chars(Buffer *buffer, const Text *text, Py_ssize_t start, Py_ssize_t end) {
    char *out = buffer->bytes + buffer->size;
    for (Py_ssize_t i = start; i < end; i++) {
        Py_UCS4 c = at(text, i);
        if (c < 0x80) {
            if (c == '"' || c == '\\') {
                *out++ = '\\';
                *out++ = (char)c;
            } else if (c >= 0x20) {
                *out++ = (char)c;
            } else {
                *out++ = '\\';
                switch (c) {
                    case '\b': *out++ = 'b'; break;
                    case '\t': *out++ = 't'; break;
                    case '\n': *out++ = 'n'; break;
                    case '\f': *out++ = 'f'; break;
                    case '\r': *out++ = 'r'; break;
                    default:
                        memcpy(out, "u00", 3);
                        out += 3;
                        *out++ = HEX[c >> 4];
                        *out++ = HEX[c & 15];
                }
            }
        } else if (c < 0x800) {
            *out++ = (char)(0xc0 | (c >> 6));
            *out++ = (char)(0x80 | (c & 0x3f));
        } else if (c < 0x10000) {
            if (c >= 0xd800 && c <= 0xdfff) return 1;
            *out++ = (char)(0xe0 | (c >> 12));
            *out++ = (char)(0x80 | ((c >> 6) & 0x3f));
            *out++ = (char)(0x80 | (c & 0x3f));
        } else {
            *out++ = (char)(0xf0 | (c >> 18));
            *out++ = (char)(0x80 | ((c >> 12) & 0x3f));
            *out++ = (char)(0x80 | ((c >> 6) & 0x3f));
            *out++ = (char)(0x80 | (c & 0x3f));
        }
    }
    buffer->size = out - buffer->bytes;
    return 0;
}

static inline void put_number(Buffer *buffer, Py_ssize_t number) {
    /* Digits from the last (snprintf took most of the time of a short record). */
    char digits[24];
    int at_digit = sizeof digits;
    size_t magnitude = number < 0 ? (size_t)0 - (size_t)number : (size_t)number;
    do {
        digits[--at_digit] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (number < 0) digits[--at_digit] = '-';
    put(buffer, digits + at_digit, sizeof digits - at_digit);
}


/* The numbers as a list of int; NULL with an exception set. */
static inline PyObject *int_list(const Py_ssize_t *values, Py_ssize_t count) {
    PyObject *list = PyList_New(count);
    if (list == NULL) return NULL;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *number = PyLong_FromSsize_t(values[k]);
        if (number == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, k, number);
    }
    return list;
}

#endif
