"""Native export lines made from the store's records equal those made from the models."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotator.core import Document, DocumentAnnotation, Relation, Span
from annotator.formats.native import native_line, native_record
from annotator.services import export_project
from annotator.store import Project
from tests.formats.export_reference import export_record, native_reference

TEXT = "Xi 👍🏽 said “café\u0301” in 北京\tand left."


def _annotation(attrs: bool, notes: bool, provenance: bool) -> DocumentAnnotation:
    annotation = DocumentAnnotation(doc_id="d", status="done", note="checked")
    for number, phrase in enumerate(["Xi", "👍🏽", "café\u0301", "北京"], 1):
        start = TEXT.index(phrase)
        span = Span.of(TEXT, start, start + len(phrase), "L", f"T{number}")
        if attrs and number == 2:
            span = span.model_copy(update={"attrs": {"who": ["a"], "x": {"note": ""}}})
        if notes and number == 3:
            span = span.model_copy(update={"note": 'said "so"'})
        annotation.add_span(span)
    annotation.add_relation(
        Relation(id="R1", label="ATTRIBUTED_TO", head="T3", tail="T1", note="n" if notes else "")
    )
    annotation.add_relation(Relation(id="R2", label="ATTRIBUTED_TO", head="T3", tail="T2"))
    if provenance:
        annotation.provenance = {"settled": {"k": {"spans": ["T1"]}}}
    return annotation


@pytest.mark.parametrize("attrs", [False, True])
@pytest.mark.parametrize("notes", [False, True])
@pytest.mark.parametrize("provenance", [False, True])
def test_lines_from_records_equal_lines_from_models(
    attrs: bool, notes: bool, provenance: bool
) -> None:
    document = Document(id="d", text=TEXT, meta={"title": "t", "note": ""})
    annotation = _annotation(attrs, notes, provenance)
    from_record = export_record(document, annotation, "alice")
    expected = orjson.dumps(native_reference(document, annotation, "alice"))
    assert orjson.dumps(native_record(from_record)) == expected
    assert native_line(from_record) == expected
    assert DocumentAnnotation.model_validate(from_record.labels) == annotation
    assert (from_record.span_count, from_record.relation_count) == (4, 2)


def test_export_skips_labels_that_no_longer_fit_their_text(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p") as project:
        project.add_documents([Document(id="d", text=TEXT), Document(id="e", text="other")])
        project.annotations("alice").save(_annotation(False, False, False))
    journal = tmp_path / "p" / "annotations" / "alice.jsonl"
    # A hand edit moves a span: the line still parses, but no longer fits the text.
    journal.write_bytes(journal.read_bytes().replace(b'"start":0,"end":2', b'"start":1,"end":3'))
    warnings: list[str] = []
    with Project.open(tmp_path / "p") as project:
        summary = export_project(
            project,
            "native",
            tmp_path / "out.jsonl",
            notify=warnings.append,
            include_unlabelled=True,
        )
    assert summary.documents == 1
    assert len(warnings) == 1 and "span T1" in warnings[0] and "not exported" in warnings[0]
