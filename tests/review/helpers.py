"""Small builders for review tests: documents labelled by several annotators."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from annotator.core.models import Document, DocumentAnnotation, Relation, Span, Status
from annotator.store import Project

SpanSpec = tuple[str, str] | tuple[str, str, int]  # (label, surface text[, occurrence])


def span_at(text: str, label: str, surface: str, span_id: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(surface, start + 1)
    return Span.of(text, start, start + len(surface), label, span_id)


def annotation(
    doc_id: str,
    text: str,
    spans: list[SpanSpec],
    relations: Sequence[tuple[str, int, int]] = (),
    status: Status = "done",
) -> DocumentAnnotation:
    """Spans get ids T1, T2, ... in order; relations name their ends by index into ``spans``."""
    built = []
    for i, (label, surface, *occurrence) in enumerate(spans):
        built.append(span_at(text, label, surface, f"T{i + 1}", *occurrence))
    rels = [
        Relation(id=f"R{i + 1}", label=label, head=built[head].id, tail=built[tail].id)
        for i, (label, head, tail) in enumerate(relations)
    ]
    return DocumentAnnotation(doc_id=doc_id, spans=built, relations=rels, status=status)


def make_project(
    path: Path,
    documents: dict[str, str],
    labels: dict[str, dict[str, DocumentAnnotation]],
) -> Path:
    """A project with ``documents`` (id -> text) and ``labels`` (annotator -> doc id -> labels)."""
    project = Project.create(path)
    try:
        project.add_documents(
            [Document(id=doc_id, text=text) for doc_id, text in documents.items()]
        )
        for name, by_doc in labels.items():
            store = project.annotations(name)
            for doc_annotation in by_doc.values():
                store.save(doc_annotation)
            project.release_annotations(name)
    finally:
        project.close()
    return path


# One document two analysts labelled: they agree on Putin, the quote and its source and
# its attribution; they differ on Xi's name (boundaries) and on Beijing (label).
PAIR_TEXT = 'Putin met Xi Jinping in Beijing 👍🏽. "We remain together," Putin said.'


def disagreeing_pair(doc_id: str = "d") -> tuple[DocumentAnnotation, DocumentAnnotation]:
    """alice's and bob's labels on PAIR_TEXT."""
    alice = annotation(
        doc_id,
        PAIR_TEXT,
        [
            ("PERSON", "Putin"),
            ("PERSON", "Xi Jinping"),
            ("GPE", "Beijing"),
            ("QUOTE", "We remain together"),
            ("SOURCE", "Putin", 1),
        ],
        [("ATTRIBUTED_TO", 3, 4)],
    )
    bob = annotation(
        doc_id,
        PAIR_TEXT,
        [
            ("PERSON", "Putin"),
            ("PERSON", "Jinping"),
            ("LOC", "Beijing"),
            ("QUOTE", "We remain together"),
            ("SOURCE", "Putin", 1),
        ],
        [("ATTRIBUTED_TO", 3, 4)],
    )
    return alice, bob
