"""The native reader's columnar lane: a JSONL chunk's records checked and encoded all at
once, column by column, into a :class:`CheckedBatch`.

It only says yes to records that the one-record path (:mod:`annotator.formats.native_records`)
would take unchanged, and gives the same documents and lines; anything else (a blank or
broken line, a text to normalise, labels in another shape) is left to that path.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator
from itertools import repeat
from operator import contains, getitem, itemgetter, or_
from typing import Any

import orjson

from annotator.core.models import STATUSES
from annotator.core.records import RELATION_FIELDS, SPAN_FIELDS
from annotator.core.rules import RELATION, SPAN
from annotator.core.text import TITLE_LIMIT, first_line_title
from annotator.formats.base import CheckedBatch, ImportRecord
from annotator.formats.native_records import LABEL_FIELDS, LineChunk, record_to_import

_PLAIN_KEYS = frozenset({"id", "text", "meta", *LABEL_FIELDS})
_SPAN_FIELD_KEYS = list(SPAN_FIELDS)
_RELATION_FIELD_KEYS = list(RELATION_FIELDS)
_STATUS_OR_NONE = frozenset({*STATUSES, None})
_DICT = {dict}
_STR = {str}
_LIST = {list}
_NONE = type(None)
_first_part = itemgetter(0)
# Native export leaves a span's empty attrs and note out, and a relation's empty note:
# they are put back at the end of each encoded record (see _encoded_with).
_SPAN_DEFAULTS = b',"attrs":{},"note":""'
_RELATION_DEFAULTS = b',"note":""'


def checked_batch(chunk: LineChunk, done: int) -> CheckedBatch | None:
    """The chunk's records checked and encoded column by column (all of them at once,
    see CheckedBatch), or None when any of them is not plain: a blank or broken line,
    a text to normalise, a field to move to meta, labels in another shape than native
    export writes (``native_records._checked_labels``'s short records, keys in field
    order), or anything wrong. Those chunks are read one record at a time, as ever, and
    that path accepts, converts or refuses them (with its message); this one only says
    yes to records the other would take unchanged, and gives the same documents and lines.
    """
    lines = chunk.lines
    if any(map(bytes.isspace, lines)):
        return None
    try:
        items = list(map(orjson.loads, lines))
    except orjson.JSONDecodeError:
        return None
    try:
        return _checked_items(items, chunk, done)
    except (TypeError, ValueError, KeyError):
        # An unhashable value where a name or status should be, and the like.
        return None


def _checked_items(items: list[Any], chunk: LineChunk, done: int) -> CheckedBatch | None:
    if set(map(type, items)) != _DICT or not all(map(_PLAIN_KEYS.issuperset, items)):
        return None
    get: Any = dict.get  # the items' values are checked here, whatever their types
    texts: list[str] = list(map(get, items, repeat("text")))
    if set(map(type, texts)) != _STR:
        return None
    # Stored as they are: no BOM to strip, no newline to normalise, so no offset moves.
    if any(map(contains, texts, repeat("\r"))) or any(map(str.startswith, texts, repeat("\ufeff"))):
        return None
    stem = chunk.path.stem
    columns = _ids_and_metas(items, texts, stem, done)
    if columns is None:
        return None
    ids, metas = columns
    path, first_line = chunk.path, chunk.first_line

    def records() -> Iterator[ImportRecord]:
        for number, (item, line_no) in enumerate(zip(items, itertools.count(first_line)), done + 1):
            yield record_to_import(item, f"{path}:{line_no}", fallback_id=f"{stem}-{number}")

    labelled = list(
        map(or_, map(contains, items, repeat("spans")), map(contains, items, repeat("relations")))
    )
    if not any(labelled):
        return CheckedBatch(ids, texts, metas, records)
    if not all(labelled):
        return None
    span_lists = _lists(items, "spans")
    relation_lists = _lists(items, "relations")
    if span_lists is None or relation_lists is None:
        return None
    span_counts = list(map(len, span_lists))
    checked = _checked_spans(span_lists, span_counts, texts)
    if checked is None:
        return None
    span_labels, id_sets, spans_complete = checked
    relation_counts = list(map(len, relation_lists))
    checked_relations = _checked_relations(relation_lists, relation_counts, id_sets)
    if checked_relations is None:
        return None
    relation_labels, relations_complete = checked_relations
    statuses = list(map(get, items, repeat("status")))
    if not _STATUS_OR_NONE.issuperset(statuses):
        return None
    notes = list(map(get, items, repeat("note"), repeat("")))
    note_types = set(map(type, notes))
    if not note_types <= {str, _NONE}:
        return None
    if _NONE in note_types:
        notes = [note or "" for note in notes]
    names = set(map(get, items, repeat("annotator")))
    if len(names) != 1:
        return None
    who = names.pop()
    if who is not None and type(who) is not str:
        return None  # refused, with its line, one record at a time
    return CheckedBatch(
        ids,
        texts,
        metas,
        records,
        labelled=True,
        who=who if isinstance(who, str) and who else None,
        statuses=statuses,
        notes=notes,
        span_counts=span_counts,
        relation_counts=relation_counts,
        span_labels=span_labels,
        relation_labels=list(dict.fromkeys(relation_labels)),
        # Encoded only once the import takes the batch (a re-import falls back).
        encode=lambda: (
            _encoded_with(span_lists, span_counts, b"" if spans_complete else _SPAN_DEFAULTS),
            _encoded_with(
                relation_lists, relation_counts, b"" if relations_complete else _RELATION_DEFAULTS
            ),
        ),
    )


def _ids_and_metas(
    items: list[dict[str, Any]], texts: list[str], stem: str, done: int
) -> tuple[list[str], list[dict[str, Any]]] | None:
    """The documents' ids (made up from ``stem`` where a record has none) and metas with
    their titles, as record_to_import makes them; None for an id or meta it would refuse."""
    get: Any = dict.get
    if all(map(contains, items, repeat("id"))):
        ids = list(map(_id_of, items))
    else:
        made_up = [f"{stem}-{number}" for number in range(done + 1, done + len(items) + 1)]
        ids = list(map(get, items, repeat("id"), made_up))
    id_types = set(map(type, ids))
    if not id_types <= {str, int}:
        return None
    if id_types != _STR:
        ids = list(map(str, ids))
    if "" in ids:
        return None
    metas: list[dict[str, Any]] = list(map(get, items, repeat("meta")))
    meta_types = set(map(type, metas))
    if meta_types == _DICT:
        metas = list(map(dict, metas))
    elif meta_types <= {dict, _NONE}:
        metas = [dict(meta) if meta else {} for meta in metas]
    else:
        return None
    titles = list(map(str.strip, map(_first_part, map(str.partition, texts, repeat("\n")))))
    if "" in titles or max(map(len, titles)) > TITLE_LIMIT:
        titles = [
            title if title and len(title) <= TITLE_LIMIT else first_line_title(text)
            for title, text in zip(titles, texts, strict=True)
        ]
    deque(map(dict.setdefault, metas, repeat("title"), titles), 0)
    return ids, metas


def _lists(items: list[dict[str, Any]], key: str) -> list[list[Any]] | None:
    """Each item's ``key`` as ``item.get(key) or []`` reads it, when it is a list or null."""
    get: Any = dict.get
    values: list[list[Any]] = list(map(get, items, repeat(key)))
    types = set(map(type, values))
    if types == _LIST:
        return values
    if types <= {list, _NONE}:
        return [value or [] for value in values]
    return None


def _checked_spans(
    span_lists: list[list[Any]], counts: list[int], texts: list[str]
) -> tuple[list[str], list[set[str]], bool] | None:
    """Every span of every document checked at once, as _checked_labels checks a
    document's span records: all of them export's short records (the five fields it
    always writes) or all of them complete (every field, attrs an object and note a
    string), keys in field order; the Span model's constraints, ids unique in their
    document, each span's text what its document's text holds there. Their labels (each
    once, in order of appearance), each document's span ids, and whether the records
    are complete; or None."""
    spans = list(itertools.chain.from_iterable(span_lists))
    if not spans:
        return [], [set()] * len(span_lists), False
    width = _key_width(spans, _SPAN_FIELD_KEYS, (5, 7))
    if width is None:
        return None
    values = list(itertools.chain.from_iterable(map(dict.values, spans)))
    # The Span model's rules (core/rules.py), over every span of the batch at once.
    columns = dict(
        zip(SPAN_FIELDS[:width], (values[at::width] for at in range(width)), strict=True)
    )
    if not SPAN.columns_ok(columns):
        return None
    ids, starts, ends, labels, span_texts = (columns[name] for name in SPAN_FIELDS[:5])
    # Each span's text starts its document's text[start:end]; as each is as long as its
    # range (the rules above), each is all of it (none runs past its document's end).
    owners = itertools.chain.from_iterable(map(repeat, texts, counts))
    if not all(map(str.startswith, owners, span_texts, starts, ends)):
        return None
    bounds = list(itertools.accumulate(counts, initial=0))
    id_sets = list(map(set, map(getitem, repeat(ids), map(slice, bounds, bounds[1:]))))
    if list(map(len, id_sets)) != counts:
        return None
    return list(dict.fromkeys(labels)), id_sets, width == 7


def _key_width(records: list[Any], fields: list[str], widths: tuple[int, int]) -> int | None:
    """How many fields every record has, when its keys are the first that many of
    ``fields`` in order and that many is one of ``widths``; else None."""
    # Iterating a dict gives its keys: the same keys, in this order, for every record.
    # (Anything but a dict fails: len or dict.values raises TypeError, caught by the
    # batch.) Compared with the first record's own keys: orjson hands out the same key
    # objects again, so the comparison is one of pointers.
    keys = list(itertools.chain.from_iterable(records))
    width = len(records[0])
    if width not in widths or keys[:width] != fields[:width] or keys != keys[:width] * len(records):
        return None
    return width


def _checked_relations(
    relation_lists: list[list[Any]], counts: list[int], id_sets: list[set[str]]
) -> tuple[list[str], bool] | None:
    """Every relation at once, as _checked_labels checks a document's relation records:
    all of them export's short records (the four fields it always writes) or all of
    them complete (with the note), keys in field order, strings, ids unique in their
    document, both ends among its span ids. Their labels, and whether the records are
    complete; or None."""
    relations = list(itertools.chain.from_iterable(relation_lists))
    if not relations:
        return [], False
    width = _key_width(relations, _RELATION_FIELD_KEYS, (4, 5))
    if width is None:
        return None
    values = list(itertools.chain.from_iterable(map(dict.values, relations)))
    columns = dict(
        zip(RELATION_FIELDS[:width], (values[at::width] for at in range(width)), strict=True)
    )
    if not RELATION.columns_ok(columns):
        return None
    ids, labels, heads, tails = (columns[name] for name in RELATION_FIELDS[:4])
    bounds = list(itertools.accumulate(counts, initial=0))
    parts = list(map(slice, bounds, bounds[1:]))
    if (
        list(map(len, map(set, map(getitem, repeat(ids), parts)))) != counts
        or not all(map(set.issuperset, id_sets, map(getitem, repeat(heads), parts)))
        or not all(map(set.issuperset, id_sets, map(getitem, repeat(tails), parts)))
    ):
        return None
    return labels, width == 5


def _encoded_with(lists: list[list[Any]], counts: list[int], defaults: bytes) -> list[bytes]:
    """Each document's records encoded as a JSON array, ``defaults`` added at the end of
    every record.

    Every record here is a flat object whose first key is "id" and whose last value is
    a string, so a record ends exactly where ``"},{"id":`` occurs (or at the array's
    closing ``"}]``). That sequence cannot lie inside a string (its quotes would be
    escaped there), nor begin with a string's opening quote (the string would close
    right before ``id``, a bare word JSON does not allow there): it is always a record's
    last value closing, the record ending and the next one starting with its id.
    """
    if not defaults:
        return list(map(orjson.dumps, lists))
    encoded = map(orjson.dumps, lists)
    replace: Any = bytes.replace
    add: Any = bytes.__add__
    between = map(replace, encoded, repeat(b'"},{"id":'), repeat(b'"' + defaults + b'},{"id":'))
    result: list[bytes] = list(
        map(add, map(getitem, between, repeat(_ALL_BUT_END)), repeat(defaults + b"}]"))
    )
    if 0 in counts:
        result = [data if count else b"[]" for data, count in zip(result, counts, strict=True)]
    return result


_ALL_BUT_END = slice(-2)
_id_of = itemgetter("id")
