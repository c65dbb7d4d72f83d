"""Native and plain JSONL/JSON records read one at a time: the file as JSON objects, each
object checked and turned into an :class:`ImportRecord` (offsets converted where the text
had a BOM or carriage returns), with one clear message naming the line of any mistake.

The columnar lane (:mod:`annotator.formats.native_batches`) takes a JSONL file's plain
stretches instead; what it cannot take comes through here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from annotator.core.errors import InputError
from annotator.core.models import STATUSES, Document, Relation, Span
from annotator.core.records import (
    RELATION_FIELDS,
    SPAN_FIELDS,
    make_relation,
    make_span,
    relations_ok,
    span_columns_ok,
    spans_ok,
)
from annotator.core.text import first_line_title, normalize_newlines, strip_bom
from annotator.formats.base import CheckedLabels, ImportRecord
from annotator.formats.cats import cats_of
from annotator.formats.text import decode_utf8

LABEL_FIELDS = ("spans", "relations", "annotator", "status", "note", "updated", "text_hash")


def iter_json_records(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
    """Objects from a JSONL file (one a line) or a JSON file (a list, or one object).

    Yields each object with its location for messages: "file:line" or "file: [index]".
    JSONL is read a line at a time: a 300 MB import holds one line, not the file
    three times over (bytes, text, lines).
    """
    for chunk in json_chunks(path):
        if isinstance(chunk, LineChunk):
            yield from chunk.objects()
        else:
            yield from chunk


_BOM = "\ufeff".encode()
# Bytes of JSONL read, checked and imported as one batch (about 30 news articles): small
# enough for the batch's objects to stay in the processor's cache from one pass over
# them to the next (batches of 2 MB made the whole import 20-30% slower).
CHUNK_BYTES = 1 << 17


@dataclass(slots=True)
class LineChunk:
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


def json_chunks(path: Path) -> Iterator[LineChunk | Iterator[tuple[dict[str, Any], str]]]:
    """A JSONL file as chunks of lines; a JSON file as one stream of objects.

    Raises "file is empty" at the end when no line held an object.
    """
    # A large buffer: a chunk's lines come out of one read, not a read per 8 KB.
    with open(path, "rb", buffering=CHUNK_BYTES) as handle:
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
            chunk = LineChunk(path, lines, line_no, offset)
            found = found or not all(map(bytes.isspace, lines))
            yield chunk
            line_no += len(lines)
            offset += sum(map(len, lines))
            lines = handle.readlines(CHUNK_BYTES)
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
        # "cats" (document categories) is read one record at a time: native_batches
        # does not take records holding it.
        if key not in ("id", "text", "meta", "cats", *LABEL_FIELDS):
            meta.setdefault(key, value)
    meta.setdefault("title", first_line_title(text))
    if newlines:
        meta["newlines"] = newlines
    document = Document(id=str(raw_id), text=text, meta=meta)
    record = ImportRecord(document=document, where=where)
    cats = _cats(item, where)
    if "spans" in item or "relations" in item or cats:
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
        if checked is None:
            labels = CheckedLabels.of_models(spans, relations, status, note, cats, text=text)
        else:
            labels = CheckedLabels(checked[0], checked[1], status, note, cats, fits_text=checked[2])
        annotator = item.get("annotator")
        if annotator is not None and type(annotator) is not str:
            raise _fail(where, f'"annotator" must be a string, not {annotator!r}')
        record.labels[annotator or None] = labels
    return record


def _cats(item: dict[str, Any], where: str) -> dict[str, list[str]]:
    raw = item.get("cats")
    if raw is None or raw == [] or raw == {}:
        return {}
    cats = cats_of(raw)
    if isinstance(cats, str):
        raise _fail(where, cats)
    return cats


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
            {
                "id": raw.get("id") or f"T{index + 1}",
                "start": start,
                "end": end,
                "label": label,
                "text": covered,
                "attrs": _given(raw, "attrs", {}),
                "note": raw.get("note") or "",
            }
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
