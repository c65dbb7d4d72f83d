"""Export records made from models, and the native record a model's labels export as,
written out from the models' attributes: the oracle the writers' record paths are
compared with."""

from __future__ import annotations

from typing import Any

from annotator.core.models import Document, DocumentAnnotation
from annotator.formats.base import ExportRecord


def export_record(
    document: Document, annotation: DocumentAnnotation, annotator: str = ""
) -> ExportRecord:
    """The export record of ``annotation``: its checked record, as the store hands it over."""
    fields = (document.id, document.text, document.meta)
    return ExportRecord(fields, annotator, labels=annotation.model_dump(mode="json"))


def native_reference(
    document: Document, annotation: DocumentAnnotation, annotator: str
) -> dict[str, Any]:
    """The native export record, read from the models (empty attrs and notes left out)."""
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
    relations = []
    for rel in annotation.relations:
        relation: dict[str, Any] = {
            "id": rel.id,
            "label": rel.label,
            "head": rel.head,
            "tail": rel.tail,
        }
        if rel.note:
            relation["note"] = rel.note
        relations.append(relation)
    result: dict[str, Any] = {
        "id": document.id,
        "text": document.text,
        "meta": document.meta,
        "annotator": annotator,
        "status": annotation.status,
        "note": annotation.note,
        "spans": spans,
        "relations": relations,
    }
    if annotation.provenance:
        result["provenance"] = annotation.provenance
    if annotation.cats:
        result["cats"] = annotation.cats
    return result
