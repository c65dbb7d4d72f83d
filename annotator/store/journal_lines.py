"""Journal lines before they are written: checked, encoded and sealed, and the errors a
write of them reports."""

from __future__ import annotations

from itertools import accumulate, repeat
from operator import attrgetter
from typing import Any

from pydantic import ValidationError

from annotator.core.errors import AnnotationError
from annotator.core.models import DocumentAnnotation, Status, now_iso
from annotator.core.records import encode_lines, encode_record, seal
from annotator.store.interface import PreparedLabels
from annotator.store.journal_index import JournalEntry

# A document's labels checked and encoded as a journal line, not yet written: the
# interface's type (an import hands them to any store).
PreparedLine = PreparedLabels


def prepare_checked_line(
    doc_id: str,
    digest: str,
    status: Status,
    note: str,
    spans: list[dict[str, Any]],
    relations: list[dict[str, Any]],
) -> PreparedLine:
    """A new document's labels from records already checked as
    :meth:`AnnotationStore.prepare` would check them (every field in field order, unique
    ids, relation ends among the spans, each span against the text whose hash is
    ``digest``), encoded without a model or a second check: an import's reader has done
    all of it once."""
    updated = now_iso()
    line = encode_record(
        {
            "doc_id": doc_id,
            "text_hash": digest,
            "status": status,
            "note": note,
            "updated": updated,
            "spans": spans,
            "relations": relations,
            "provenance": {},
        }
    )
    line = seal(line)
    return PreparedLine(doc_id, line, status, len(spans), len(relations), updated)


def prepare_encoded_lines(
    doc_ids: list[str],
    digests: list[str],
    statuses: list[Status],
    notes: list[str],
    span_counts: list[int],
    relation_counts: list[int],
    spans_json: list[bytes],
    relations_json: list[bytes],
) -> list[PreparedLine]:
    """:func:`prepare_checked_line` for many new documents at once, their spans and
    relations given as encoded JSON arrays of records checked as it requires (see
    records.encode_lines): an import's reader checks and encodes a whole batch of
    documents in one columnar pass, and its lines are built the same way."""
    updated = now_iso()
    lines = encode_lines(
        doc_ids,
        digests,
        statuses,
        notes,
        updated,
        span_counts,
        relation_counts,
        spans_json,
        relations_json,
    )
    return list(
        map(
            PreparedLine,
            doc_ids,
            lines,
            statuses,
            span_counts,
            relation_counts,
            repeat(updated),
        )
    )


def entries_of(
    prepared: list[PreparedLine], size: int, line_no: int
) -> tuple[list[bytes], list[JournalEntry], int]:
    """The lines, their index entries once appended to a journal of ``size`` bytes and
    ``line_no`` lines, and the journal's size then."""
    lengths = list(map(len, map(_line_of, prepared)))
    offsets = list(accumulate(map((1).__add__, lengths), initial=size))
    entries = list(
        map(
            JournalEntry,
            offsets,
            lengths,
            range(line_no + 1, line_no + len(prepared) + 1),
            map(_status_of, prepared),
            map(_spans_of, prepared),
            map(_relations_of, prepared),
            map(_updated_of, prepared),
        )
    )
    return list(map(_line_of, prepared)), entries, offsets[-1]


def doc_ids_of(prepared: list[PreparedLine]) -> map[str]:
    """The documents the lines are of, in order."""
    return map(_doc_id_of, prepared)


_doc_id_of = attrgetter("doc_id")
_line_of = attrgetter("line")
_status_of = attrgetter("status")
_spans_of = attrgetter("spans")
_relations_of = attrgetter("relations")
_updated_of = attrgetter("updated")


def encode_validated(annotation: DocumentAnnotation) -> bytes:
    """The journal line for an annotation, refused if it could not be read back.

    Edits made around the edit methods (a list appended to directly) skip validation;
    writing such a record would make the document's labels unreadable, since the last
    record wins. Called when the hand-written checks of records.py did not vouch for
    the record: pydantic says what is wrong.
    """
    data = annotation.model_dump(mode="json")
    try:
        DocumentAnnotation.model_validate(data)
    except ValidationError as exc:
        raise AnnotationError(
            f"document {annotation.doc_id}: not saved, {short_validation_error(exc)}"
        ) from None
    return encode_record(data)


def short_validation_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"invalid labels at {where}: {error.get('msg')}" if where else str(error.get("msg"))
