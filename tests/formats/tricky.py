"""A project whose labels trip up interchange formats: emoji, combining marks, CJK, tabs,
text imported with CRLF line endings, overlapping spans, relations and notes."""

from __future__ import annotations

from pathlib import Path

from annotator.core import DocumentAnnotation, Relation, Span
from annotator.services import import_sources
from annotator.store import Project

# As the source file had it: CRLF line endings (normalised to \n at import).
SOURCE = "Alice 👍🏽 said:\r\n\t“Cafe\u0301 is 北京's best,” Bob\tagreed.\r\n🇫🇷 Ünïcödé end"
TEXT = SOURCE.replace("\r\n", "\n")
DOC_ID = "news/1"

LabelKey = tuple[list[tuple[int, int, str, str, str]], list[tuple[str, int, int, int, int]]]


def _span(span_id: str, phrase: str, label: str, note: str = "") -> Span:
    start = TEXT.index(phrase)
    return Span(
        id=span_id, start=start, end=start + len(phrase), label=label, text=phrase, note=note
    )


SPANS = [
    _span("T1", "Alice", "PERSON", note="the speaker"),
    _span("T2", "“Cafe\u0301 is 北京's best,”", "QUOTE"),
    _span("T3", "北京", "GPE"),
    _span("T4", "Cafe\u0301 is 北京", "CLAIM"),  # overlaps T2 and T3
    _span("T5", "Bob", "PERSON"),
    _span("T6", "👍🏽", "EVENT"),
    _span("T7", "Ünïcödé", "ORG"),
    _span("T8", "said:\n\t“Cafe", "CLAIM"),  # across a line break and a tab
    _span("T9", "e\u0301", "NORP"),  # ends on a combining mark, inside a word
]
RELATIONS = [
    Relation(id="R1", label="ATTRIBUTED_TO", head="T2", tail="T1"),
    Relation(id="R2", label="ATTRIBUTED_TO", head="T4", tail="T5"),
]


def make_project(path: Path, tmp: Path) -> Project:
    """A project with the tricky document (imported from a CRLF file) labelled by alice."""
    source = tmp / "source.jsonl"
    import orjson

    source.write_bytes(
        orjson.dumps({"id": DOC_ID, "text": SOURCE})
        + b"\n"
        + orjson.dumps({"id": "plain", "text": "No labels here, just text."})
        + b"\n"
    )
    project = Project.create(path)
    import_sources(project, [source], "native")
    document = project.get_document(DOC_ID)
    assert document.text == TEXT
    project.annotations("alice").save(
        DocumentAnnotation(
            doc_id=DOC_ID,
            text_hash=document.hash,
            spans=SPANS,
            relations=RELATIONS,
            status="done",
        )
    )
    return project


def label_key(annotation: DocumentAnnotation, notes: bool = True) -> LabelKey:
    """Labels compared by what they cover, not by ids (formats renumber ids)."""
    by_id = {span.id: span for span in annotation.spans}
    spans = sorted(
        (s.start, s.end, s.label, s.text, s.note if notes else "") for s in annotation.spans
    )
    relations = sorted(
        (r.label, by_id[r.head].start, by_id[r.head].end, by_id[r.tail].start, by_id[r.tail].end)
        for r in annotation.relations
    )
    return spans, relations


def expected_key(notes: bool = True) -> LabelKey:
    return label_key(
        DocumentAnnotation(doc_id=DOC_ID, spans=SPANS, relations=RELATIONS), notes=notes
    )


def labels_of(project: Project, text: str = TEXT) -> DocumentAnnotation:
    """The only layer's labels on the document with ``text`` (ids may differ after import)."""
    doc_id = next(d.id for d in project.iter_documents() if d.text == text)
    names = project.annotators()
    assert len(names) == 1, names
    annotation = project.annotations(names[0]).get(doc_id)
    assert annotation is not None
    return annotation
