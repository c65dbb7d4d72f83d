"""Labels to and from their JSON records without pydantic on the hot path.

pydantic validates a journal line at about 30 MB/s and builds a model per span; a
project's journals are hundreds of MB, and a long article has 10,000 spans. The checks
here are the model's own constraints (DocumentAnnotation, Span, Relation in models.py),
written out by hand in one O(n) pass over the record, and the models are then built
without validating again. Whatever the hand check does not accept at once (a record in
an unusual shape, a wrong type, a broken constraint) goes through pydantic, so the
inputs accepted and the messages given are exactly pydantic's.

Keep the constants below in step with the fields in models.py; tests/core/test_records.py
compares both paths on valid and invalid records.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

import orjson
from pydantic import BaseModel

from annotator.core.models import STATUSES, DocumentAnnotation, Relation, Span

SPAN_FIELDS = ("id", "start", "end", "label", "text", "attrs", "note")
RELATION_FIELDS = ("id", "label", "head", "tail", "note")
ANNOTATION_FIELDS = (
    "doc_id",
    "text_hash",
    "status",
    "note",
    "updated",
    "spans",
    "relations",
    "provenance",
)
# Journal lines carry [spans, relations] after the summary fields, so an index can read a
# document's status and counts from the start of its line without parsing its spans.
COUNTS_KEY = "counts"

_STATUSES = frozenset(STATUSES)
_SPAN_FIELDS_SET = set(SPAN_FIELDS)
_RELATION_FIELDS_SET = set(RELATION_FIELDS)
_ANNOTATION_FIELDS_SET = set(ANNOTATION_FIELDS)
_new = object.__new__
_set = object.__setattr__

assert tuple(Span.model_fields) == SPAN_FIELDS
assert tuple(Relation.model_fields) == RELATION_FIELDS
assert tuple(DocumentAnnotation.model_fields) == ANNOTATION_FIELDS


def _span_ok(span: Any) -> bool:
    """The Span model's constraints, for a dict holding every field in field order."""
    if type(span) is not dict or tuple(span) != SPAN_FIELDS:
        return False
    span_id, start, end, label, text, attrs, note = span.values()
    return (
        type(span_id) is str
        and span_id != ""
        and type(start) is int
        and type(end) is int
        and 0 <= start < end
        and type(label) is str
        and label != ""
        and type(text) is str
        and len(text) == end - start
        and type(attrs) is dict
        and type(note) is str
    )


def _relation_ok(relation: Any) -> bool:
    if type(relation) is not dict or tuple(relation) != RELATION_FIELDS:
        return False
    rel_id, label, head, tail, note = relation.values()
    return (
        type(rel_id) is str
        and type(label) is str
        and type(head) is str
        and type(tail) is str
        and type(note) is str
        and "" not in (rel_id, label, head, tail)
    )


def record_ok(record: Any) -> bool:
    """True when ``record`` (with every field, in field order) is a valid DocumentAnnotation.

    False means "ask pydantic", not "invalid": a record with fields missing or reordered
    may still be valid.
    """
    if type(record) is not dict or tuple(record) != ANNOTATION_FIELDS:
        return False
    doc_id, digest, status, note, updated, spans, relations, provenance = record.values()
    if not (
        type(doc_id) is str
        and doc_id != ""
        and type(digest) is str
        and type(status) is str
        and status in _STATUSES
        and type(note) is str
        and type(updated) is str
        and type(spans) is list
        and type(relations) is list
        and type(provenance) is dict
    ):
        return False
    span_ids = set()
    for span in spans:
        if not _span_ok(span):
            return False
        span_ids.add(span["id"])
    if len(span_ids) != len(spans):
        return False
    relation_ids = set()
    for relation in relations:
        if not _relation_ok(relation):
            return False
        if relation["head"] not in span_ids or relation["tail"] not in span_ids:
            return False
        relation_ids.add(relation["id"])
    return len(relation_ids) == len(relations)


def _build(model: type[BaseModel], fields: dict[str, Any], fields_set: set[str]) -> Any:
    # What model_construct does, minus its per-field default handling (every field is
    # given): 8x faster, which matters at millions of spans. fields_set is shared: it
    # already names every field, so pydantic's own additions to it change nothing.
    instance = _new(model)
    _set(instance, "__dict__", fields)
    _set(instance, "__pydantic_fields_set__", fields_set)
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance


def annotation_from_record(record: Any) -> DocumentAnnotation:
    """A DocumentAnnotation from a JSON record; raises pydantic's ValidationError if invalid.

    The record's dicts become the models' fields (no copy): do not reuse it.
    """
    if isinstance(record, dict) and COUNTS_KEY in record:
        record = {key: value for key, value in record.items() if key != COUNTS_KEY}
    if not record_ok(record):
        return DocumentAnnotation.model_validate(record)
    span_fields = _SPAN_FIELDS_SET
    relation_fields = _RELATION_FIELDS_SET
    record["spans"] = [_build(Span, span, span_fields) for span in record["spans"]]
    record["relations"] = [
        _build(Relation, relation, relation_fields) for relation in record["relations"]
    ]
    return _build(DocumentAnnotation, record, set(_ANNOTATION_FIELDS_SET))


def _top_ok(annotation: DocumentAnnotation) -> bool:
    fields = annotation.__dict__
    if type(annotation) is not DocumentAnnotation or tuple(fields) != ANNOTATION_FIELDS:
        return False
    doc_id, digest, status, note, updated, spans, relations, provenance = fields.values()
    return (
        type(doc_id) is str
        and doc_id != ""
        and type(digest) is str
        and type(status) is str
        and status in _STATUSES
        and type(note) is str
        and type(updated) is str
        and type(spans) is list
        and type(relations) is list
        and type(provenance) is dict
    )


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
            dumps = orjson.dumps
            length = len(text)
            for index, piece in enumerate(pieces):
                if piece is not None:
                    continue
                span = spans[index]
                if type(span) is not Span or span.__pydantic_extra__:
                    return None
                values = span.__dict__
                if not _span_ok(values):
                    return None
                start, end = values["start"], values["end"]
                if end > length or text[start:end] != values["text"]:
                    return None
                try:
                    pieces[index] = dumps(values)
                except orjson.JSONEncodeError:
                    return None
        span_ids = set(map(_id_of, spans))
        if len(span_ids) != len(spans):
            return None
        relation_ids = set()
        for relation in relations:
            if (
                type(relation) is not Relation
                or relation.__pydantic_extra__
                or not _relation_ok(relation.__dict__)
                or relation.head not in span_ids
                or relation.tail not in span_ids
            ):
                return None
            relation_ids.add(relation.id)
        if len(relation_ids) != len(relations):
            return None
        try:
            head = orjson.dumps(
                {
                    "doc_id": doc_id,
                    "text_hash": fields["text_hash"],
                    "status": fields["status"],
                    "note": fields["note"],
                    "updated": fields["updated"],
                    COUNTS_KEY: [len(spans), len(relations)],
                }
            )
            tail = orjson.dumps(
                {"relations": relations, "provenance": fields["provenance"]}, default=_fields_of
            )
        except orjson.JSONEncodeError:
            return None
        encoded: list[bytes] = pieces  # type: ignore[assignment]  # no None left
        if self.keep:
            self._known[doc_id] = (text, list(spans), dict(zip(ids, encoded, strict=True)))
            while len(self._known) > self.keep:
                del self._known[next(iter(self._known))]
        return b"".join((head[:-1], b',"spans":[', b",".join(encoded), b"],", tail[1:]))


_attrs_of = attrgetter("attrs")
_id_of = attrgetter("id")


def encode_record(record: dict[str, Any]) -> bytes:
    """The journal line for a validated record (DocumentAnnotation's fields)."""
    ordered = {key: record[key] for key in ANNOTATION_FIELDS[:5]}
    ordered[COUNTS_KEY] = [len(record["spans"]), len(record["relations"])]
    for key in ANNOTATION_FIELDS[5:]:
        ordered[key] = record[key]
    return orjson.dumps(ordered)
