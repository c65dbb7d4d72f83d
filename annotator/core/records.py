"""Labels to and from their JSON records without pydantic on the hot path.

pydantic validates a journal line at about 30 MB/s and builds a model per span; a
project's journals are hundreds of MB, and a long article has 10,000 spans. The checks
here are the models' own rules (DocumentAnnotation, Span, Relation in models.py), read
from the models by core/rules.py and applied in one O(n) pass over the record; the
models are then built without validating again. Whatever the quick check does not
accept at once (a record in an unusual shape, a wrong type, a broken constraint) goes
through pydantic, so the inputs accepted and the messages given are exactly pydantic's.
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Mapping, Sequence
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any

import orjson
from pydantic import BaseModel

from annotator.core.models import DocumentAnnotation, Relation, Span, cats_problem, ids_ok
from annotator.core.rules import ANNOTATION, RELATION, SPAN

SPAN_FIELDS = SPAN.fields
RELATION_FIELDS = RELATION.fields
ANNOTATION_FIELDS = ANNOTATION.fields
# Document categories are written only when there are some, in the line's head (after
# "updated"): a line without them is the line of a version that had none.
CATS_KEY = "cats"
# The fields of a record without categories, and those of a journal line's record with
# them, in the order the line holds them.
_FIELDS_WITHOUT_CATS = tuple(name for name in ANNOTATION_FIELDS if name != CATS_KEY)
_HEAD_END = _FIELDS_WITHOUT_CATS.index("updated") + 1
_LINE_FIELDS_WITH_CATS = (
    *_FIELDS_WITHOUT_CATS[:_HEAD_END],
    CATS_KEY,
    *_FIELDS_WITHOUT_CATS[_HEAD_END:],
)
_RECORD_SHAPES = frozenset({ANNOTATION_FIELDS, _FIELDS_WITHOUT_CATS, _LINE_FIELDS_WITH_CATS})
# Journal lines carry [spans, relations] after the summary fields, so an index can read a
# document's status and counts from the start of its line without parsing its spans.
COUNTS_KEY = "counts"
# The store ends a line it wrote after checking its spans against the text whose hash
# the line carries with a checksum of the rest of the line: an intact line read back
# for that same text needs no second check (export reads every line of a project).
CHECKSUM_KEY = "checksum"
_CHECKSUM_MARK = b',"checksum":'
_LINE_KEYS = (COUNTS_KEY, CHECKSUM_KEY)
_STATUSES = ANNOTATION.by_name["status"].choices or frozenset()

_SPAN_FIELDS_SET = set(SPAN_FIELDS)
_RELATION_FIELDS_SET = set(RELATION_FIELDS)
_ANNOTATION_FIELDS_SET = set(ANNOTATION_FIELDS)
_new = object.__new__
_set = object.__setattr__
_FIELDS_SETS: dict[type[BaseModel], set[str]] = {
    Span: _SPAN_FIELDS_SET,
    Relation: _RELATION_FIELDS_SET,
}


def spans_ok(spans: list[Any], text: str | None = None) -> bool:
    """The Span model's rules for every dict of ``spans`` (each holding exactly the Span
    fields), unique ids, and, given the document text, ``text[start:end] == text``.

    Written as whole-list operations (map, zip, set) that run in C: a Python loop with
    the same checks cost as much as parsing the JSON the spans came from.
    """
    if not spans:
        return True
    columns = SPAN.checked_columns(spans)
    return columns is not None and _spans_fit(columns, text)


def span_columns_ok(
    ids: tuple[Any, ...],
    starts: tuple[Any, ...],
    ends: tuple[Any, ...],
    labels: tuple[Any, ...],
    texts: tuple[Any, ...],
    text: str | None = None,
) -> bool:
    """:func:`spans_ok` for spans given column by column (one or more), without attrs
    or notes (a reader whose spans have none checks them before building the records)."""
    columns = {"id": ids, "start": starts, "end": ends, "label": labels, "text": texts}
    return SPAN.columns_ok(columns) and _spans_fit(columns, text)


def _spans_fit(columns: Mapping[str, Sequence[Any]], text: str | None) -> bool:
    """Span ids unique and, given the text, each span's text at its place in it."""
    if not ids_ok(columns["id"], (), (), ()):
        return False
    if text is None:
        return True
    starts, ends = columns["start"], columns["end"]
    return max(ends) <= len(text) and list(map(text.__getitem__, map(slice, starts, ends))) == list(
        columns["text"]
    )


def spans_fit(spans: list[dict[str, Any]], text: str) -> bool:
    """Whether checked span records cover exactly their ``text`` in the document text."""
    if not spans:
        return True
    starts = list(map(_start_of, spans))
    ends = list(map(_end_of, spans))
    return max(ends) <= len(text) and list(map(text.__getitem__, map(slice, starts, ends))) == list(
        map(_text_of, spans)
    )


def relations_ok(relations: list[Any], span_ids: set[str] | frozenset[str]) -> bool:
    """The Relation model's rules for dicts of exactly its fields, unique ids, ends among
    ``span_ids``."""
    if not relations:
        return True
    columns = RELATION.checked_columns(relations)
    return columns is not None and (
        ids_ok(span_ids, columns["id"], columns["head"], columns["tail"])  # type: ignore[arg-type]
    )


_span_id = itemgetter("id")
_start_of = itemgetter("start")
_end_of = itemgetter("end")
_text_of = itemgetter("text")


def record_ok(record: Any, text: str | None = None) -> bool:
    """True when ``record`` (with every field, in field order, or as a journal line holds
    them: ``cats`` left out or in the head) is a valid DocumentAnnotation, and, given the
    document text, its spans fit it.

    False means "ask pydantic", not "invalid": a record with fields missing or reordered
    may still be valid.
    """
    if type(record) is not dict or tuple(record) not in _RECORD_SHAPES:
        return False
    spans = record["spans"]
    return (
        ANNOTATION.record_ok(record)
        and spans_ok(spans, text)
        and relations_ok(record["relations"], set(map(_span_id, spans)))
    )


def cats_ok(cats: Any) -> bool:
    """Whether ``cats`` is a valid DocumentAnnotation.cats (see models.cats_problem)."""
    return type(cats) is dict and not any(map(cats_problem, cats, cats.values()))


def check_ids(annotation: DocumentAnnotation) -> None:
    """DocumentAnnotation's own check (unique ids, relations between its spans), for a
    model built without validation; raises ValueError with the model's message."""
    relations = annotation.relations
    if not ids_ok(
        list(map(_id_of, annotation.spans)),
        list(map(_id_of, relations)),
        list(map(_head_of, relations)),
        list(map(_tail_of, relations)),
    ):
        DocumentAnnotation.model_validate(annotation.model_dump())


def build_all(model: type[BaseModel], records: list[dict[str, Any]]) -> list[Any]:
    """:func:`_build` for a list of checked records, without a Python call per record."""
    count = len(records)
    objects = list(map(_new, repeat(model, count)))
    fields_set = _FIELDS_SETS[model]
    deque(map(_set, objects, repeat("__dict__", count), records), 0)
    deque(map(_set, objects, repeat("__pydantic_fields_set__", count), repeat(fields_set)), 0)
    deque(map(_set, objects, repeat("__pydantic_extra__", count), repeat(None)), 0)
    # No private attributes on the models built in bulk (spans, relations).
    assert not model.__private_attributes__
    deque(map(_set, objects, repeat("__pydantic_private__", count), repeat(None)), 0)
    return objects


def _build(model: type[BaseModel], fields: dict[str, Any], fields_set: set[str]) -> Any:
    # What model_construct does, minus its per-field default handling (every field is
    # given): 8x faster, which matters at millions of spans. fields_set is shared: it
    # already names every field, so pydantic's own additions to it change nothing.
    instance = _new(model)
    _set(instance, "__dict__", fields)
    _set(instance, "__pydantic_fields_set__", fields_set)
    _set(instance, "__pydantic_extra__", None)
    # Private attributes (caches) start unset, as model_construct leaves them.
    private = model.__private_attributes__
    _set(instance, "__pydantic_private__", {name: None for name in private} if private else None)
    return instance


def make_span(fields: dict[str, Any]) -> Span:
    """``Span(**fields)`` for readers of foreign files (``fields`` holding every Span
    field): the same rules, by hand when they hold (pydantic raises the usual
    ValidationError when they do not)."""
    if tuple(fields) == SPAN_FIELDS and SPAN.record_ok(fields):
        return _build(Span, fields, _SPAN_FIELDS_SET)
    return Span(**fields)


def make_relation(raw: Any) -> Relation:
    """``Relation.model_validate(raw)``, by hand when the record is in the usual shape."""
    if type(raw) is dict and "note" not in raw and tuple(raw) == RELATION_FIELDS[:4]:
        fields = {**raw, "note": ""}
        if RELATION.record_ok(fields):
            return _build(Relation, fields, _RELATION_FIELDS_SET)
    elif type(raw) is dict and tuple(raw) == RELATION_FIELDS and RELATION.record_ok(raw):
        return _build(Relation, dict(raw), _RELATION_FIELDS_SET)
    return Relation.model_validate(raw)


def annotation_from_record(record: Any) -> DocumentAnnotation:
    """A DocumentAnnotation from a JSON record; raises pydantic's ValidationError if invalid.

    The record's dicts become the models' fields (no copy): do not reuse it.
    """
    if isinstance(record, dict) and (COUNTS_KEY in record or CHECKSUM_KEY in record):
        record = {key: value for key, value in record.items() if key not in _LINE_KEYS}
    if not record_ok(record):
        return DocumentAnnotation.model_validate(record)
    record["spans"] = build_all(Span, record["spans"])
    record["relations"] = build_all(Relation, record["relations"])
    # The model's field order: cats last (a journal line holds them in its head, or not).
    record[CATS_KEY] = record.pop(CATS_KEY, None) or {}
    return _build(DocumentAnnotation, record, set(_ANNOTATION_FIELDS_SET))


def _top_ok(annotation: DocumentAnnotation) -> bool:
    fields = annotation.__dict__
    if type(annotation) is not DocumentAnnotation or tuple(fields) != ANNOTATION_FIELDS:
        return False
    return ANNOTATION.record_ok(fields)


def _fields_of(value: Any) -> dict[str, Any]:
    if isinstance(value, BaseModel):
        return value.__dict__
    raise TypeError(f"cannot write {type(value).__name__}")


class LineEncoder:
    """Journal lines for annotations, checked as pydantic would check them, and against
    their document's text.

    Saving an edit to an article with 10,000 spans must not cost 10,000 checks: spans
    are frozen models, so a span object checked and encoded once (against the same
    text) stays valid, and its bytes are reused; only spans the edit created are
    checked. A span with ``attrs`` is checked every time (a dict can change in place).
    The spans of the last few documents are remembered, no more.
    """

    def __init__(self, keep: int = 4) -> None:
        self.keep = keep
        # doc_id -> (text the spans were checked against, the span objects (kept alive,
        # so that no other object can take their id), id(span) -> its bytes)
        self._known: dict[str, tuple[str, list[Span], dict[int, bytes]]] = {}

    def encode(self, annotation: DocumentAnnotation, text: str) -> bytes | None:
        """The line (no newline); None when the hand checks cannot vouch for it: the
        caller then checks with pydantic and the text, for the message."""
        if not _top_ok(annotation):
            return None
        fields = annotation.__dict__
        doc_id = fields["doc_id"]
        spans: list[Span] = fields["spans"]
        relations: list[Relation] = fields["relations"]
        remembered = self._known.pop(doc_id, None)
        known: dict[int, bytes] = {}
        if remembered is not None and (remembered[0] is text or remembered[0] == text):
            known = remembered[2]
        ids = list(map(id, spans))
        pieces: list[bytes | None] = list(map(known.get, ids))
        # Spans with attrs are checked again, whatever the cache says.
        if any(map(_attrs_of, spans)):
            pieces = [
                None if span.attrs else piece for span, piece in zip(spans, pieces, strict=True)
            ]
        if None in pieces:
            missing = [index for index, piece in enumerate(pieces) if piece is None]
            new = [spans[index] for index in missing]
            if set(map(type, new)) != {Span} or any(map(_extra_of, new)):
                return None
            values = list(map(vars, new))
            if not spans_ok(values, text):
                return None
            try:
                for index, piece in zip(missing, map(orjson.dumps, values), strict=True):
                    pieces[index] = piece
            except orjson.JSONEncodeError:
                return None
        span_ids = set(map(_id_of, spans))
        if len(span_ids) != len(spans):
            return None
        if relations and (
            set(map(type, relations)) != {Relation}
            or any(map(_extra_of, relations))
            or not relations_ok(list(map(vars, relations)), span_ids)
        ):
            return None
        summary = {
            "doc_id": doc_id,
            "text_hash": fields["text_hash"],
            "status": fields["status"],
            "note": fields["note"],
            "updated": fields["updated"],
        }
        if fields[CATS_KEY]:
            summary[CATS_KEY] = fields[CATS_KEY]
        summary[COUNTS_KEY] = [len(spans), len(relations)]
        try:
            head = orjson.dumps(summary)
            tail = orjson.dumps(
                {"relations": relations, "provenance": fields["provenance"]}, default=_fields_of
            )
        except orjson.JSONEncodeError:
            return None
        encoded: list[bytes] = pieces  # type: ignore[assignment]  # no None is left
        if self.keep:
            self._known[doc_id] = (text, list(spans), dict(zip(ids, encoded, strict=True)))
            while len(self._known) > self.keep:
                del self._known[next(iter(self._known))]
        return b"".join((head[:-1], b',"spans":[', b",".join(encoded), b"],", tail[1:]))


_attrs_of = attrgetter("attrs")
_extra_of = attrgetter("__pydantic_extra__")
_id_of = attrgetter("id")
_head_of = attrgetter("head")
_tail_of = attrgetter("tail")


def encode_record(record: dict[str, Any]) -> bytes:
    """The journal line for a validated record (DocumentAnnotation's fields; ``cats``
    may be missing)."""
    ordered = {key: record[key] for key in _FIELDS_WITHOUT_CATS[:_HEAD_END]}
    cats = record.get(CATS_KEY)
    if cats:
        ordered[CATS_KEY] = cats
    ordered[COUNTS_KEY] = [len(record["spans"]), len(record["relations"])]
    for key in _FIELDS_WITHOUT_CATS[_HEAD_END:]:
        ordered[key] = record[key]
    return orjson.dumps(ordered)


# encode_record's output for a record whose spans and relations are given already encoded,
# up to its last brace (what seal checksums). The digest is hex and status one of STATUSES,
# so both go in as they are; the doc id and note are encoded by orjson.
_LINE_BODY = (
    b'{"doc_id":%b,"text_hash":"%b","status":"%b","note":%b,"updated":"%b",'
    b'"counts":[%d,%d],"spans":%b,"relations":%b,"provenance":{}'
)
_SEALED = b"%b" + _CHECKSUM_MARK + b"%d}"


def encode_lines(
    doc_ids: list[str],
    digests: list[str],
    statuses: Sequence[str],
    notes: list[str],
    updated: str,
    span_counts: list[int],
    relation_counts: list[int],
    spans_json: list[bytes],
    relations_json: list[bytes],
) -> list[bytes]:
    """``seal(encode_record(...))`` for many new records at once, column by column.

    ``spans_json[i]`` and ``relations_json[i]`` are the JSON arrays of record i's span and
    relation records (every field, in field order), already checked, as orjson encodes
    them; statuses must be in STATUSES. An import writes thousands of lines: this builds
    them with a few C-level passes instead of a dict, an encode and a seal per line.
    """
    if not _STATUSES.issuperset(statuses):
        raise ValueError(f"unknown status among {sorted(set(statuses) - _STATUSES)}")
    columns = zip(
        map(orjson.dumps, doc_ids),
        map(str.encode, digests),
        map(str.encode, statuses),
        map(orjson.dumps, notes),
        repeat(updated.encode(), len(doc_ids)),
        span_counts,
        relation_counts,
        spans_json,
        relations_json,
        strict=True,
    )
    bodies = list(map(_LINE_BODY.__mod__, columns))
    return list(map(_SEALED.__mod__, zip(bodies, map(zlib.crc32, bodies), strict=True)))


def seal(line: bytes) -> bytes:
    """``line`` (a JSON object) ending with its checksum, for :func:`intact`."""
    body = line[:-1]
    return b"%b%b%d}" % (body, _CHECKSUM_MARK, zlib.crc32(body))


def intact(raw: bytes) -> bool:
    """Whether ``raw`` ends with the checksum :func:`seal` gave it, and the rest matches."""
    cut = raw.rfind(_CHECKSUM_MARK)
    if cut < 0 or not raw.endswith(b"}"):
        return False
    digits = raw[cut + len(_CHECKSUM_MARK) : -1]
    return digits.isdigit() and int(digits) == zlib.crc32(memoryview(raw)[:cut])
