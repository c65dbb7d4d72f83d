"""The native format, and plain JSONL/JSON records with a ``text`` field.

Native export, one JSON object a line per document:

    {"id", "text", "meta", "annotator", "status", "note",
     "spans": [{"id", "start", "end", "label", "text", ...}],
     "relations": [{"id", "label", "head", "tail"}]}

Offsets are code points into ``text``; ``head``/``tail`` are span ids. Import reads the
same records (labels optional), so plain ``{"text": ...}`` JSONL or a JSON list of such
objects imports documents; an ``id`` field is kept, other fields go to ``meta``.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import repeat
from operator import contains, getitem, itemgetter, lt, or_
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from annotator.core.errors import InputError
from annotator.core.models import STATUSES, Document, LabelSchema, Relation, Span, Status
from annotator.core.records import (
    RELATION_FIELDS,
    SPAN_FIELDS,
    build_all,
    make_relation,
    make_span,
    relations_ok,
    span_columns_ok,
    spans_ok,
)
from annotator.core.text import TITLE_LIMIT, first_line_title, normalize_newlines, strip_bom
from annotator.formats.base import (
    AtomicFileSink,
    CheckedBatch,
    CheckedLabels,
    ExportRecord,
    ImportChunk,
    ImportedLabels,
    ImportRecord,
    PathWriter,
)
from annotator.formats.text import decode_utf8
from annotator.store.sealed import SealedLine

LABEL_FIELDS = ("spans", "relations", "annotator", "status", "note", "updated", "text_hash")


def iter_json_records(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
    """Objects from a JSONL file (one a line) or a JSON file (a list, or one object).

    Yields each object with its location for messages: "file:line" or "file: [index]".
    JSONL is read a line at a time: a 300 MB import holds one line, not the file
    three times over (bytes, text, lines).
    """
    for chunk in _chunks(path):
        if isinstance(chunk, _Lines):
            yield from chunk.objects()
        else:
            yield from chunk


_BOM = "\ufeff".encode()
# Bytes of JSONL read, checked and imported as one batch (about 30 news articles): small
# enough for the batch's objects to stay in the processor's cache from one pass over
# them to the next (batches of 2 MB made the whole import 20-30% slower).
_CHUNK_BYTES = 1 << 17


@dataclass(slots=True)
class _Lines:
    """Consecutive lines of a JSONL file, with what messages about them need."""

    path: Path
    lines: list[bytes]
    first_line: int  # the line number of lines[0]
    offset: int  # the byte offset of lines[0] in the file

    def objects(self) -> Iterator[tuple[dict[str, Any], str]]:
        """Each non-blank line's object and "file:line"; one clear error for a bad line."""
        path = self.path
        offset = self.offset
        for line_no, raw in enumerate(self.lines, self.first_line):
            if raw.strip():
                try:
                    item = orjson.loads(raw)
                except orjson.JSONDecodeError as exc:
                    try:
                        raw.decode("utf-8")
                    except UnicodeDecodeError as bad:
                        position = offset + bad.start
                        raise InputError(
                            path,
                            f"not UTF-8 text: byte 0x{raw[bad.start]:02x} at byte offset "
                            f"{position} (save the file as UTF-8 and import again)",
                            line_no,
                        ) from None
                    raise InputError(path, f"broken JSON line: {exc.msg}", line_no) from None
                if not isinstance(item, dict):
                    raise InputError(path, "line is not a JSON object", line_no)
                yield item, f"{path}:{line_no}"
            offset += len(raw)


def _chunks(path: Path) -> Iterator[_Lines | Iterator[tuple[dict[str, Any], str]]]:
    """A JSONL file as chunks of lines; a JSON file as one stream of objects.

    Raises "file is empty" at the end when no line held an object.
    """
    # A large buffer: a chunk's lines come out of one read, not a read per 8 KB.
    with open(path, "rb", buffering=_CHUNK_BYTES) as handle:
        start = handle.read(8192)
        boms = 0
        while start.startswith(_BOM):
            start = start[len(_BOM) :] + handle.read(len(_BOM))
            boms += len(_BOM)
        if b"\x00" in start:
            decode_utf8(path, start)  # says it looks binary
        is_json = path.suffix.lower() == ".json" or start.lstrip().startswith(b"[")
        if is_json:
            yield _json_records(path, start + handle.read())
            return
        offset = boms  # byte offsets in messages count from the file's first byte
        line_no = 1
        found = False
        lines = list(_first_line(start, handle))
        while lines:
            chunk = _Lines(path, lines, line_no, offset)
            found = found or not all(map(bytes.isspace, lines))
            yield chunk
            line_no += len(lines)
            offset += sum(map(len, lines))
            lines = handle.readlines(_CHUNK_BYTES)
        if not found:
            raise InputError(path, "file is empty")


def _first_line(start: bytes, handle: Any) -> Iterator[bytes]:
    """The lines of ``start`` (the file's first bytes), the last one completed from the file."""
    lines = start.split(b"\n")
    for line in lines[:-1]:
        yield line + b"\n"
    rest = lines[-1]
    if rest:
        yield rest + handle.readline()


def _json_records(path: Path, data: bytes) -> Iterator[tuple[dict[str, Any], str]]:
    text = decode_utf8(path, data)
    if not text.strip():
        raise InputError(path, "file is empty")
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON: {exc.msg}", getattr(exc, "lineno", None)) from None
    items = value if isinstance(value, list) else [value]
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise InputError(path, f"[{index}] is not a JSON object")
        yield item, f"{path}: [{index}]"


def _fail(where: str, message: str) -> InputError:
    path, _, rest = where.rpartition(":")
    rest = rest.strip()
    if rest.isdigit():
        return InputError(path, message, int(rest))
    return InputError(path, f"{rest} {message}".strip())


def record_to_import(item: dict[str, Any], where: str, fallback_id: str) -> ImportRecord:
    text = item.get("text")
    if not isinstance(text, str):
        raise _fail(where, 'has no "text" field with a string')
    # Offsets in the source count leading BOMs; the stored text does not have them.
    stripped, _ = strip_bom(text)
    shift = len(text) - len(stripped)
    text = stripped
    text, newlines, newline_map = normalize_newlines(text)
    raw_id = item.get("id", fallback_id)
    if not isinstance(raw_id, str | int) or isinstance(raw_id, bool) or str(raw_id) == "":
        raise _fail(where, f'"id" must be a non-empty string or number, not {raw_id!r}')
    meta = _given(item, "meta", {})  # null means none; false or [] is refused below
    if not isinstance(meta, dict):
        raise _fail(where, '"meta" must be an object')
    meta = dict(meta)
    for key, value in item.items():
        if key not in ("id", "text", "meta", *LABEL_FIELDS):
            meta.setdefault(key, value)
    meta.setdefault("title", first_line_title(text))
    if newlines:
        meta["newlines"] = newlines
    document = Document(id=str(raw_id), text=text, meta=meta)
    record = ImportRecord(document=document, where=where)
    if "spans" in item or "relations" in item:
        raw_spans = _given(item, "spans", [])
        raw_relations = _given(item, "relations", [])
        for key, value in (("spans", raw_spans), ("relations", raw_relations)):
            if type(value) is not list:
                raise _fail(where, f'"{key}" must be a list, not {value!r}')
        checked = (
            None
            if shift or newline_map.removed
            else _checked_labels(raw_spans, raw_relations, text)
        )
        status = item.get("status")
        if checked is None:
            spans, relations = _labels_one_by_one(
                raw_spans, raw_relations, text, newline_map, where, shift
            )
        if status is not None and status not in STATUSES:
            raise _fail(where, f"unknown status {status!r}")
        note = _given(item, "note", "")
        if type(note) is not str:
            raise _fail(where, f'"note" must be a string, not {note!r}')
        labels: ImportedLabels
        if checked is None:
            labels = ImportedLabels(spans, relations, status, note)
        elif checked[2]:
            labels = CheckedLabels((checked[0], checked[1]), status, note)
        else:
            labels = ImportedLabels(
                build_all(Span, checked[0]), build_all(Relation, checked[1]), status, note
            )
        annotator = item.get("annotator")
        if annotator is not None and type(annotator) is not str:
            raise _fail(where, f'"annotator" must be a string, not {annotator!r}')
        record.labels[annotator or None] = labels
    return record


def _labels_one_by_one(
    raw_spans: Any, raw_relations: Any, text: str, newline_map: Any, where: str, shift: int
) -> tuple[list[Span], list[Relation]]:
    """Spans and relations checked one at a time, converting offsets; says which is wrong."""
    spans = []
    for index, raw in enumerate(raw_spans):
        spans.append(_span(raw, index, text, newline_map, where, shift))
    relations = []
    for index, raw in enumerate(raw_relations):
        try:
            relations.append(make_relation(raw))
        except ValidationError as exc:
            raise _fail(where, f"relations[{index}]: {exc.errors()[0]['msg']}") from None
    # Checked here, so the message names the record (the model would refuse them later).
    known = _unique_ids((span.id for span in spans), "span", where)
    _unique_ids((rel.id for rel in relations), "relation", where)
    for rel in relations:
        for end in (rel.head, rel.tail):
            if end not in known:
                raise _fail(where, f"relation {rel.id} refers to missing span {end!r}")
    return spans, relations


_SPAN_REQUIRED = ("id", "start", "end", "label", "text")
_RELATION_REQUIRED = ("id", "label", "head", "tail")


def _checked_labels(
    raw_spans: Any, raw_relations: Any, text: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool] | None:
    """Labels as native export writes them, checked all at once (records.spans_ok):
    span and relation records of exactly the models' fields, and whether their keys are
    in field order (always, unless a source spells out every field in another order),
    so that the import can write them as they are. None when anything is unusual or
    wrong, for the one-by-one path to handle or name."""
    if type(raw_spans) is not list or type(raw_relations) is not list:
        return None
    rows = _rows(raw_spans, _SPAN_REQUIRED, 7)
    if rows is None:
        return None
    if rows is raw_spans:
        spans = rows
        if not spans_ok(spans, text):
            return None
    else:
        # Checked column by column before the records are built (no attrs, no notes).
        ids, starts, ends, labels, texts = list(zip(*rows, strict=True))
        if not span_columns_ok(ids, starts, ends, labels, texts, text):
            return None
        spans = [
            {"id": a, "start": b, "end": c, "label": d, "text": e, "attrs": {}, "note": ""}
            for a, b, c, d, e in rows
        ]
    rows = _rows(raw_relations, _RELATION_REQUIRED, 5)
    if rows is None:
        return None
    relations = (
        rows
        if rows is raw_relations
        else [dict(zip(RELATION_FIELDS, (*row, ""), strict=True)) for row in rows]
    )
    if not relations_ok(relations, {span["id"] for span in spans}):
        return None
    in_order = _in_order(spans, raw_spans, SPAN_FIELDS) and _in_order(
        relations, raw_relations, RELATION_FIELDS
    )
    return spans, relations, in_order


def _in_order(records: list[Any], raw: list[Any], fields: tuple[str, ...]) -> bool:
    """Whether every record's keys are ``fields`` in order (the ones built here are)."""
    return records is not raw or not raw or set(map(tuple, raw)) == {fields}


def _rows(raw: list[Any], required: tuple[str, ...], complete: int) -> list[Any] | None:
    """``raw`` itself when every record has ``complete`` keys (checked later), else the
    values of the required fields of records that have exactly those (export leaves the
    optional ones out when empty); None for any other shape."""
    if not raw:
        return raw
    if set(map(type, raw)) != {dict}:
        return None
    lengths = set(map(len, raw))
    if lengths == {complete}:
        return raw
    if lengths != {len(required)}:
        return None
    try:
        return list(map(itemgetter(*required), raw))
    except KeyError:
        return None


def _unique_ids(ids: Iterable[str], what: str, where: str) -> set[str]:
    values = list(ids)
    seen = set(values)
    if len(seen) == len(values):
        return seen
    seen.clear()
    for value in values:
        if value in seen:
            raise _fail(where, f"duplicate {what} id {value!r}")
        seen.add(value)
    return seen


def _span(raw: Any, index: int, text: str, newline_map: Any, where: str, shift: int = 0) -> Span:
    if not isinstance(raw, dict):
        raise _fail(where, f"spans[{index}] is not an object")
    _check_span_fields(raw, index, where)
    start, end, label = raw["start"], raw["end"], raw["label"]
    if shift or newline_map.removed:
        start = newline_map.to_normalized(start - shift)
        end = newline_map.to_normalized(end - shift)
    if not 0 <= start < end <= len(text):
        raise _fail(
            where, f"spans[{index}] [{start}, {end}) is outside the text (length {len(text)})"
        )
    covered = text[start:end]
    stated = raw.get("text")
    if isinstance(stated, str) and stated != covered:
        if "\r" in stated:
            stated, _, _ = normalize_newlines(stated)
        if stated != covered:
            raise _fail(
                where,
                f"spans[{index}] says {stated!r} but the text at [{start}, {end}) is {covered!r}",
            )
    try:
        return make_span(
            raw.get("id") or f"T{index + 1}",
            start,
            end,
            label,
            covered,
            _given(raw, "attrs", {}),
            raw.get("note") or "",
        )
    except ValidationError as exc:
        raise _fail(where, f"spans[{index}]: {exc.errors()[0]['msg']}") from None


def _given(item: dict[str, Any], key: str, default: Any) -> Any:
    """``item[key]``, or ``default`` when it is missing or null (not when it is 0 or
    false: those are refused as the wrong type, not read as empty)."""
    value = item.get(key)
    return default if value is None else value


def _check_span_fields(raw: dict[str, Any], index: int, where: str) -> None:
    """Offsets are JSON integers and names are strings, as native export writes them:
    nothing is rounded or turned into a string (0.9 is not 0, ["P"] is not a label)."""
    if "start" not in raw or "end" not in raw or "label" not in raw:
        raise _fail(where, f'spans[{index}] needs integer "start", "end" and a "label"')
    for name in ("start", "end"):
        if type(raw[name]) is not int:  # bool is an int to Python, not to JSON
            raise _fail(where, f"spans[{index}].{name} must be an integer, not {raw[name]!r}")
    for name in ("label", "id", "note", "text"):
        value = raw.get(name)
        if (value is not None or name == "label") and type(value) is not str:
            raise _fail(where, f"spans[{index}].{name} must be a string, not {value!r}")


class NativeReader:
    name = "native"

    def sniff(self, path: Path) -> bool:
        return path.suffix.lower() in (".jsonl", ".json", ".ndjson")

    def read(self, path: Path) -> Iterator[ImportRecord]:
        for number, (item, where) in enumerate(iter_json_records(path), 1):
            yield record_to_import(item, where, fallback_id=f"{path.stem}-{number}")

    def read_chunks(self, path: Path) -> Iterator[ImportChunk]:
        """The records of :meth:`read`: a JSONL file's plain stretches as checked batches
        (see CheckedBatch), the rest one by one, in file order."""
        numbered = [0]  # records so far, for ids made up from the file's name
        for chunk in _chunks(path):
            if isinstance(chunk, _Lines):
                batch = _checked_batch(chunk, numbered[0])
                if batch is not None:
                    numbered[0] += len(batch.ids)
                    yield batch
                    continue
                yield _numbered(chunk.objects(), path.stem, numbered)
            else:
                yield _numbered(chunk, path.stem, numbered)


def _numbered(
    objects: Iterator[tuple[dict[str, Any], str]], stem: str, numbered: list[int]
) -> Iterator[ImportRecord]:
    for item, where in objects:
        numbered[0] += 1
        yield record_to_import(item, where, fallback_id=f"{stem}-{numbered[0]}")


_PLAIN_KEYS = frozenset({"id", "text", "meta", *LABEL_FIELDS})
_SPAN_FIELD_KEYS = list(SPAN_FIELDS)
_SPAN_TYPES = [str, int, int, str, str]
_RELATION_FIELD_KEYS = list(RELATION_FIELDS)
_STATUS_OR_NONE = frozenset({*STATUSES, None})
_DICT = {dict}
_STR = {str}
_INT = {int}
_LIST = {list}
_NONE = type(None)
_first_part = itemgetter(0)
# Native export leaves a span's empty attrs and note out, and a relation's empty note:
# they are put back at the end of each encoded record (see _encoded_with).
_SPAN_DEFAULTS = b',"attrs":{},"note":""'
_RELATION_DEFAULTS = b',"note":""'


def _checked_batch(chunk: _Lines, done: int) -> CheckedBatch | None:
    """The chunk's records checked and encoded column by column (all of them at once,
    see CheckedBatch), or None when any of them is not plain: a blank or broken line,
    a text to normalise, a field to move to meta, labels in another shape than native
    export writes (``_checked_labels``'s short records, keys in field order), or
    anything wrong. Those chunks are read one record at a time, as ever, and that path
    accepts, converts or refuses them (with its message); this one only says yes to
    records the other would take unchanged, and gives the same documents and lines.
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


def _checked_items(items: list[Any], chunk: _Lines, done: int) -> CheckedBatch | None:
    if set(map(type, items)) != _DICT or not all(map(_PLAIN_KEYS.issuperset, items)):
        return None
    count = len(items)
    get: Any = dict.get  # the items' values are checked here, whatever their types
    texts: list[str] = list(map(get, items, repeat("text")))
    if set(map(type, texts)) != _STR:
        return None
    # Stored as they are: no BOM to strip, no newline to normalise, so no offset moves.
    if any(map(contains, texts, repeat("\r"))) or any(map(str.startswith, texts, repeat("\ufeff"))):
        return None
    stem = chunk.path.stem
    if all(map(contains, items, repeat("id"))):
        ids = list(map(_id_of, items))
    else:
        made_up = [f"{stem}-{number}" for number in range(done + 1, done + count + 1)]
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
    ids, starts, ends, labels, span_texts = (values[column::width] for column in range(5))
    if width == 7 and (
        set(map(type, values[5::7])) != _DICT or set(map(type, values[6::7])) != _STR
    ):
        return None
    # The span texts' type is checked by startswith below.
    if {*map(type, starts), *map(type, ends)} != _INT or {
        *map(type, ids),
        *map(type, labels),
    } != _STR:
        return None
    if min(starts) < 0 or not all(map(lt, starts, ends)):
        return None
    # Each span's text starts its document's text[start:end]; as their lengths add up to
    # the spans' extents, each is all of it (none runs past its document's end).
    owners = itertools.chain.from_iterable(map(repeat, texts, counts))
    if sum(map(len, span_texts)) != sum(ends) - sum(starts) or not all(
        map(str.startswith, owners, span_texts, starts, ends)
    ):
        return None
    bounds = list(itertools.accumulate(counts, initial=0))
    id_sets = list(map(set, map(getitem, repeat(ids), map(slice, bounds, bounds[1:]))))
    names = list(dict.fromkeys(labels))
    if list(map(len, id_sets)) != counts or "" in names or any(map(contains, id_sets, repeat(""))):
        return None
    return names, id_sets, width == 7


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
    if set(map(type, values)) != _STR:
        return None
    ids, labels, heads, tails = (values[column::width] for column in range(4))
    if "" in ids or "" in labels:
        return None
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


def native_record(record: ExportRecord) -> dict[str, Any]:
    if record.labels is not None:
        return _native_from_labels(record)
    annotation = record.annotation
    spans = []
    for span in annotation.spans:
        item: dict[str, Any] = {
            "id": span.id,
            "start": span.start,
            "end": span.end,
            "label": span.label,
            "text": span.text,
        }
        if span.attrs:
            item["attrs"] = span.attrs
        if span.note:
            item["note"] = span.note
        spans.append(item)
    result: dict[str, Any] = {
        "id": record.doc_id,
        "text": record.text,
        "meta": record.meta,
        "annotator": record.annotator,
        "status": annotation.status,
        "note": annotation.note,
        "spans": spans,
        "relations": [_native_relation(rel) for rel in annotation.relations],
    }
    if annotation.provenance:
        result["provenance"] = annotation.provenance
    return result


_SPAN_CORE = ("id", "start", "end", "label", "text")
_span_core = itemgetter(*_SPAN_CORE)
_RELATION_CORE = ("id", "label", "head", "tail")
_relation_core = itemgetter(*_RELATION_CORE)
_optional = itemgetter("attrs", "note")


def _native_from_labels(record: ExportRecord) -> dict[str, Any]:
    """The same record, from the store's checked journal record (no models built)."""
    labels = record.labels
    assert labels is not None
    spans = _without_empty(labels["spans"], _SPAN_CORE, _span_core, ("attrs", "note"))
    relations = _without_empty(labels["relations"], _RELATION_CORE, _relation_core, ("note",))
    result: dict[str, Any] = {
        "id": record.doc_id,
        "text": record.text,
        "meta": record.meta,
        "annotator": record.annotator,
        "status": labels["status"],
        "note": labels["note"],
        "spans": spans,
        "relations": relations,
    }
    if labels["provenance"]:
        result["provenance"] = labels["provenance"]
    return result


def _without_empty(
    items: list[dict[str, Any]],
    core: tuple[str, ...],
    getter: itemgetter[Any],
    optional: tuple[str, ...],
) -> list[dict[str, Any]]:
    """Each item's core fields, and its optional ones only when set (as export writes them)."""
    result = list(map(dict, map(zip, repeat(core), map(getter, items))))
    for key in optional:
        values = list(map(itemgetter(key), items))
        if any(values):
            for item, value in zip(result, values, strict=True):
                if value:
                    item[key] = value
    return result


def _native_relation(rel: Relation) -> dict[str, Any]:
    item: dict[str, Any] = {"id": rel.id, "label": rel.label, "head": rel.head, "tail": rel.tail}
    if rel.note:
        item["note"] = rel.note
    return item


def native_line(record: ExportRecord) -> bytes:
    """``orjson.dumps(native_record(record))``, made from the store's record without
    rebuilding every span to leave out its empty ``attrs`` and ``note``.

    With no span carrying attrs, the only places ``,"attrs":{},"note":""}`` and the like
    can occur in the encoded spans are the ends of span objects: a quote inside a JSON
    string is always escaped. Relations hold strings only.
    """
    if record.line is not None:
        line = _native_from_sealed(record, record.line)
        if line is not None:
            return line
    labels = record.labels
    if labels is None or any(map(_attrs_of, labels["spans"])):
        return orjson.dumps(native_record(record))
    return _native_join(
        record,
        labels["status"],
        labels["note"],
        orjson.dumps(labels["spans"]),
        orjson.dumps(labels["relations"]),
        labels["provenance"],
    )


def _native_join(
    record: ExportRecord,
    status: str,
    note: str,
    spans: bytes,
    relations: bytes,
    provenance: dict[str, Any],
) -> bytes:
    """The native line from the journal's encoded spans and relations (see native_line)."""
    head = orjson.dumps(
        {
            "id": record.doc_id,
            "text": record.text,
            "meta": record.meta,
            "annotator": record.annotator,
            "status": status,
            "note": note,
        }
    )
    parts = [
        head[:-1],
        b',"spans":',
        spans.replace(b',"attrs":{},"note":""}', b"}").replace(b',"attrs":{},"note":', b',"note":'),
        b',"relations":',
        relations.replace(b',"note":""}', b"}"),
    ]
    if provenance:
        parts += [b',"provenance":', orjson.dumps(provenance)]
    parts.append(b"}")
    return b"".join(parts)


def _native_from_sealed(record: ExportRecord, line: SealedLine) -> bytes | None:
    """The native line with the sealed journal line's span and relation bytes copied as
    they are: they are orjson's encoding of the checked records (the store wrote them),
    so they are what encoding the parsed records again would give. None when a span
    has attrs (the caller parses the line)."""
    parts = line.parts()
    if parts is None:
        return None
    spans, relations, provenance = parts
    return _native_join(
        record,
        line.head["status"],
        line.head["note"],
        spans,
        relations,
        orjson.loads(provenance) if provenance != b"{}" else {},
    )


_attrs_of = itemgetter("attrs")


class NativeSink(AtomicFileSink):
    def write(self, record: ExportRecord) -> None:
        self.handle.write(native_line(record) + b"\n")


class NativeSpan(BaseModel):
    """A span as exported: offsets are code points into the document text, end exclusive."""

    # These models only describe the format (json_schema): built when first asked, not
    # when an import loads this module (60 ms).
    model_config = ConfigDict(defer_build=True)

    id: str
    start: int = Field(ge=0, description="first character, a code-point index into text")
    end: int = Field(description="one past the last character (exclusive)")
    label: str
    text: str = Field(description="always equal to text[start:end]")
    attrs: dict[str, Any] = Field(default_factory=dict)
    note: str = ""


class NativeRelation(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    label: str = Field(description="relation type, e.g. ATTRIBUTED_TO")
    head: str = Field(description="id of the span the relation starts from (a quote or claim)")
    tail: str = Field(description="id of the span it points to (its source)")
    note: str = ""


class NativeRecord(BaseModel):
    """One line of a native export: a document with one annotator's labels."""

    model_config = ConfigDict(title="annotator native export record", defer_build=True)

    id: str
    text: str
    meta: dict[str, Any] = Field(default_factory=dict)
    annotator: str = Field(description="whose labels these are; 'gold' for the settled version")
    status: Status = "todo"
    note: str = ""
    spans: list[NativeSpan] = Field(default_factory=list)
    relations: list[NativeRelation] = Field(default_factory=list)
    provenance: dict[str, Any] = Field(
        default_factory=dict, description="gold only: who settled it, from whose labels"
    )


def json_schema(what: str = "native") -> dict[str, Any]:
    """The JSON Schema of a native export record, a label schema, or annotator.json."""
    from annotator.store.config import ProjectConfig

    models: dict[str, type[BaseModel]] = {
        "native": NativeRecord,
        "labels": LabelSchema,
        "project": ProjectConfig,
    }
    return models[what].model_json_schema(by_alias=True)


reader = NativeReader()
writer = PathWriter("native", ".jsonl", NativeSink)
