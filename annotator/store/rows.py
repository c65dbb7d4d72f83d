"""Export rows from a layer's plain records: what every store's ``export_rows`` does for
a document whose labels it does not hand over encoded (store/interface.py, ExportRow)."""

from __future__ import annotations

from annotator.core.errors import AnnotationError
from annotator.store.interface import AnnotationLayer, DocumentFields, ExportRow


def checked_row(layer: AnnotationLayer | None, fields: DocumentFields, digest: str) -> ExportRow:
    """The document with the layer's record of its labels, checked against its text; the
    first problem instead when the labels were made on another text."""
    if layer is None:
        return ExportRow(fields, digest)
    doc_id, text, _ = fields
    try:
        record = layer.get_record(doc_id, text, digest)
        stale = record is not None and record["text_hash"] not in ("", digest)
    except AnnotationError:
        stale = True
    if not stale:
        return ExportRow(fields, digest, record=record)
    annotation = layer.get(doc_id)
    problems = annotation.problems_with(text) if annotation else []
    return ExportRow(fields, digest, problem=(problems or ["labels do not fit the text"])[0])
