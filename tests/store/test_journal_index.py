"""The labels index reads each line's summary without parsing its spans."""

from __future__ import annotations

from pathlib import Path

import orjson

from annotator.core import DocumentAnnotation, Span
from annotator.store import Project
from tests.store.helpers import make_documents


def _labelled(project: Project, doc_id: str, count: int) -> DocumentAnnotation:
    text = project.get_text(doc_id)
    annotation = DocumentAnnotation(doc_id=doc_id, status="done")
    for number in range(count):
        annotation.add_span(Span.of(text, number, number + 1, "X", f"T{number + 1}"))
    return annotation


def test_lines_of_older_versions_without_counts_are_indexed_too(project_path: Path) -> None:
    with Project.open(project_path) as project:
        project.add_documents(make_documents(3))
        store = project.annotations("alice")
        store.save(_labelled(project, "doc-0", 2))
        old = _labelled(project, "doc-1", 3)
    journal = project_path / "annotations" / "alice.jsonl"
    with journal.open("ab") as handle:
        handle.write(orjson.dumps(old.model_dump(mode="json")) + b"\n")  # no "counts"
    with Project.open(project_path) as project:
        store = project.annotations("alice", writable=False)
        assert [(store.summary(d).spans, store.summary(d).status) for d in ("doc-0", "doc-1")] == [  # type: ignore[union-attr]
            (2, "done"),
            (3, "done"),
        ]
        assert store.get("doc-1") == old and store.problems == []


def test_counts_left_stale_by_a_hand_edit_are_corrected_when_the_labels_are_read(
    project_path: Path,
) -> None:
    with Project.open(project_path) as project:
        project.add_documents(make_documents(1))
        project.annotations("alice").save(_labelled(project, "doc-0", 2))
    journal = project_path / "annotations" / "alice.jsonl"
    journal.write_bytes(journal.read_bytes().replace(b'"counts":[2,0]', b'"counts":[7,0]'))
    with Project.open(project_path) as project:
        store = project.annotations("alice", writable=False)
        assert store.summary("doc-0").spans == 7  # type: ignore[union-attr]
        annotation = store.get("doc-0")
        assert annotation is not None and len(annotation.spans) == 2
        assert store.summary("doc-0").spans == 2  # type: ignore[union-attr]


def test_a_torn_last_line_after_good_ones_is_still_detected(project_path: Path) -> None:
    with Project.open(project_path) as project:
        project.add_documents(make_documents(2))
        store = project.annotations("alice")
        first = _labelled(project, "doc-0", 2)
        store.save(first)
        store.save(_labelled(project, "doc-1", 2))
    journal = project_path / "annotations" / "alice.jsonl"
    data = journal.read_bytes()
    journal.write_bytes(data[: len(data) - 40])  # the second save cut off mid-spans
    with Project.open(project_path) as project:
        store = project.annotations("alice")
        assert store.doc_ids() == ["doc-0"] and store.get("doc-0") == first
        assert len(store.problems) == 1 and "cut off" in store.problems[0]
