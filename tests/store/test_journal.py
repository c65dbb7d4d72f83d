"""One annotator's journal: saves, reopening, last record wins, compaction, torn lines."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotator.core import (
    AnnotationError,
    AnnotatorError,
    DocumentAnnotation,
    Relation,
    Span,
    Status,
)
from annotator.store import Project
from annotator.store import journal as journal_module
from tests.store.helpers import TRICKY, labelled, make_documents, snapshot


def test_save_get_and_reopen(filled: Path) -> None:
    with Project.open(filled) as project:
        store = project.annotations("alice")
        annotation = labelled(
            project, "doc-1", [("QUOTE", "“café\u0301”"), ("SOURCE", "Putin"), ("GPE", "北京")]
        )
        annotation.add_relation(Relation(id="R1", label="ATTRIBUTED_TO", head="T1", tail="T2"))
        annotation.set_status("done")
        store.save(annotation)
        assert store.get("doc-1") == annotation
        assert store.get("doc-2") is None
        summary = store.summary("doc-1")
        assert summary is not None
        assert (summary.status, summary.spans, summary.relations) == ("done", 3, 1)
    assert Project.open(filled).annotators() == ["alice"]
    with Project.open(filled) as project:
        store = project.annotations("alice", writable=False)
        assert store.get("doc-1") == annotation
        assert store.doc_ids() == ["doc-1"] and len(store) == 1 and "doc-1" in store
        assert store.problems == []


def test_get_or_new_carries_the_text_hash(filled: Path) -> None:
    with Project.open(filled) as project:
        fresh = project.annotations("alice").get_or_new("doc-0")
        assert fresh.spans == [] and fresh.status == "todo"
        assert fresh.text_hash == project.get_document("doc-0").hash


def test_last_record_wins_and_each_save_is_one_line(filled: Path) -> None:
    with Project.open(filled) as project:
        store = project.annotations("bob")
        annotation = labelled(project, "doc-0", [("PERSON", "Putin")])
        store.save(annotation)
        annotation.relabel_span("T1", "SOURCE")
        store.save(annotation)
        store.save(labelled(project, "doc-2", [("GPE", "北京")]))
        annotation.remove_span("T1")
        annotation.set_status("skipped")
        store.save(annotation)
    lines = (filled / "annotations" / "bob.jsonl").read_bytes().splitlines()
    assert len(lines) == 4
    with Project.open(filled) as project:
        store = project.annotations("bob")
        final = store.get("doc-0")
        assert final is not None and final.spans == [] and final.status == "skipped"
        assert [a.doc_id for a in store.iter_annotations()] == ["doc-2", "doc-0"]


def test_saving_labels_that_do_not_fit_the_text_is_refused(filled: Path) -> None:
    with Project.open(filled) as project:
        store = project.annotations("alice")
        wrong = DocumentAnnotation(
            doc_id="doc-0", spans=[Span(id="T1", start=0, end=5, label="X", text="Xi Ji")]
        )
        with pytest.raises(AnnotationError):
            store.save(wrong)
        stale = labelled(project, "doc-0", [("PERSON", "Putin")])
        stale.text_hash = "0123456789abcdef"
        with pytest.raises(AnnotationError, match="different text"):
            store.save(stale)
    assert (filled / "annotations" / "alice.jsonl").read_bytes() == b""


def test_saving_an_annotation_corrupted_behind_the_edit_methods_is_refused(filled: Path) -> None:
    """A save must never write a record that cannot be read back: that would lose the document."""
    with Project.open(filled) as project:
        store = project.annotations("alice")
        good = labelled(project, "doc-0", [("PERSON", "Putin")])
        store.save(good)
        broken = good.model_copy(deep=True)
        broken.spans.append(broken.spans[0])  # duplicate span id, bypassing add_span
        with pytest.raises(AnnotatorError, match="duplicate span id"):
            store.save(broken)
        dangling = good.model_copy(deep=True)
        dangling.relations.append(Relation(id="R1", label="X", head="T1", tail="T9"))
        with pytest.raises(AnnotatorError, match="missing span"):
            store.save(dangling)
        assert store.get("doc-0") == good
    with Project.open(filled) as project:
        assert project.annotations("alice").get("doc-0") == good


def test_read_only_store_refuses_to_save(filled: Path) -> None:
    with Project.open(filled) as project:
        store = project.annotations("carol", writable=False)
        assert len(store) == 0
        with pytest.raises(AnnotatorError, match="read-only"):
            store.save(DocumentAnnotation(doc_id="doc-0"))
    assert not (filled / "annotations" / "carol.jsonl").exists()


def test_save_many_appends_in_one_go(filled: Path) -> None:
    with Project.open(filled) as project:
        store = project.annotations("importer")
        batch = [labelled(project, f"doc-{i}", [("PERSON", "Putin")]) for i in range(3)]
        store.save_many(batch)
        assert [store.get(f"doc-{i}") for i in range(3)] == batch
    with Project.open(filled) as project:
        store = project.annotations("importer")
        assert [store.get(f"doc-{i}") for i in range(3)] == batch
        assert [store.summary(f"doc-{i}").line for i in range(3)] == [1, 2, 3]  # type: ignore[union-attr]


def test_many_lines_are_appended_in_parts_and_read_back(
    project_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "_APPEND_LINES", 7)
    with Project.open(project_path) as project:
        project.add_documents(make_documents(30))
        store = project.annotations("importer")
        store.save(labelled(project, "doc-29", [("PERSON", "Putin")]))
        batch = [labelled(project, f"doc-{i}", [("GPE", "北京")]) for i in range(25)]
        store.save_many(batch)
        assert [store.get(f"doc-{i}") for i in range(25)] == batch
    raw = (project_path / "annotations" / "importer.jsonl").read_bytes()
    assert raw.endswith(b"\n") and raw.count(b"\n") == 26
    with Project.open(project_path) as project:
        store = project.annotations("importer")
        assert [store.get(f"doc-{i}") for i in range(25)] == batch
        assert [store.summary(f"doc-{i}").line for i in (0, 24)] == [2, 26]  # type: ignore[union-attr]
        assert store.problems == []


def test_bad_annotator_names_are_refused(filled: Path) -> None:
    with Project.open(filled) as project:
        for name in ("", "../escape", "a/b", "x.lock", "with space", "a" * 65):
            with pytest.raises(AnnotatorError, match="annotator name"):
                project.annotations(name)


def test_compaction_keeps_only_the_latest_save_and_is_used_after_reopen(
    filled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "COMPACT_MIN_BYTES", 1000)
    with Project.open(filled) as project:
        store = project.annotations("alice")
        annotation = labelled(project, "doc-1", [("PERSON", "Putin")])
        other = labelled(project, "doc-3", [("GPE", "北京")])
        store.save(other)
        for number in range(30):
            annotation.set_note(f"revision {number}")
            store.save(annotation)
    path = filled / "annotations" / "alice.jsonl"
    assert len(path.read_bytes().splitlines()) == 31
    with Project.open(filled) as project:
        store = project.annotations("alice")  # opening writable compacts
        assert len(path.read_bytes().splitlines()) == 2
        assert store.get("doc-1") == annotation and store.get("doc-3") == other
        annotation.set_note("after compaction")
        store.save(annotation)
        assert store.get("doc-1") == annotation
    with Project.open(filled) as project:
        store = project.annotations("alice", writable=False)
        assert store.get("doc-1") == annotation and store.get("doc-3") == other
        assert store.summary("doc-1").line == 3  # type: ignore[union-attr]
    assert not list((filled / "annotations").glob("*.tmp"))


def test_explicit_compaction_then_more_saves(filled: Path) -> None:
    with Project.open(filled) as project:
        store = project.annotations("alice")
        annotation = labelled(project, "doc-0", [("PERSON", "Putin")])
        statuses: list[Status] = ["in_progress", "done", "flagged"]
        for status in statuses:
            annotation.set_status(status)
            store.save(annotation)
        store.compact()
        assert store.get("doc-0") == annotation
        store.save(labelled(project, "doc-2", [("GPE", "北京")]))
    with Project.open(filled) as project:
        store = project.annotations("alice", writable=False)
        assert store.get("doc-0") == annotation
        assert store.doc_ids() == ["doc-0", "doc-2"]


def _torn_journal(filled: Path) -> tuple[DocumentAnnotation, bytes]:
    with Project.open(filled) as project:
        store = project.annotations("alice")
        first = labelled(project, "doc-0", [("PERSON", "Putin")])
        store.save(first)
        newer = first.model_copy(deep=True)
        newer.relabel_span("T1", "SOURCE")
        line = orjson.dumps(newer.model_dump(mode="json"))
    torn = line[: len(line) // 2]
    with (filled / "annotations" / "alice.jsonl").open("ab") as handle:
        handle.write(torn)
    return first, torn


def test_a_torn_last_line_is_reported_moved_aside_and_the_previous_save_used(
    filled: Path,
) -> None:
    first, torn = _torn_journal(filled)
    journal = filled / "annotations" / "alice.jsonl"
    with Project.open(filled) as project:
        store = project.annotations("alice")
        assert store.get("doc-0") == first
        assert len(store.problems) == 1
        assert "alice.jsonl:2" in store.problems[0] and "cut off" in store.problems[0]
        assert "alice.jsonl.torn" in store.problems[0]
        # The torn bytes are kept, not silently dropped; the journal ends cleanly again.
        assert torn in (filled / "annotations" / "alice.jsonl.torn").read_bytes()
        assert journal.read_bytes().endswith(b"}\n")
        second = labelled(project, "doc-1", [("GPE", "北京")])
        store.save(second)
        assert store.summary("doc-1").line == 2  # type: ignore[union-attr]
    with Project.open(filled) as project:
        store = project.annotations("alice")
        assert store.problems == []
        assert store.get("doc-0") == first and store.get("doc-1") == second


def test_a_torn_last_line_seen_read_only_is_reported_and_the_file_left_alone(
    filled: Path,
) -> None:
    first, _ = _torn_journal(filled)
    before = snapshot(filled)
    with Project.open(filled) as project:
        store = project.annotations("alice", writable=False)
        assert store.get("doc-0") == first
        assert len(store.problems) == 1 and "cut off" in store.problems[0]
    assert snapshot(filled) == before


def test_a_complete_last_record_without_its_newline_is_kept(filled: Path) -> None:
    with Project.open(filled) as project:
        store = project.annotations("alice")
        first = labelled(project, "doc-0", [("PERSON", "Putin")])
        store.save(first)
    journal = filled / "annotations" / "alice.jsonl"
    journal.write_bytes(journal.read_bytes().rstrip(b"\n"))
    with Project.open(filled) as project:
        store = project.annotations("alice")
        assert store.problems == [] and store.get("doc-0") == first
        second = labelled(project, "doc-1", [("GPE", "北京")])
        store.save(second)
    with Project.open(filled) as project:
        store = project.annotations("alice", writable=False)
        assert store.get("doc-0") == first and store.get("doc-1") == second


def test_a_garbled_line_in_the_middle_is_reported_and_skipped(filled: Path) -> None:
    with Project.open(filled) as project:
        store = project.annotations("alice")
        first = labelled(project, "doc-0", [("PERSON", "Putin")])
        store.save(first)
    journal = filled / "annotations" / "alice.jsonl"
    with journal.open("ab") as handle:
        handle.write(b"this is not json\n")
    with Project.open(filled) as project:
        store = project.annotations("alice")
        assert store.get("doc-0") == first
        assert len(store.problems) == 1 and "alice.jsonl:2" in store.problems[0]


def test_text_with_tricky_characters_survives_the_journal(filled: Path) -> None:
    with Project.open(filled) as project:
        text = project.get_text("doc-2")
        assert TRICKY in text
        annotation = labelled(
            project,
            "doc-2",
            [("QUOTE", "👍🏽 said"), ("CLAIM", "\tDone\u00a0now"), ("X", "é\u0301")],
        )
        project.annotations("alice").save(annotation)
    with Project.open(filled) as project:
        again = project.annotations("alice").get("doc-2")
        assert again == annotation
        assert again is not None and again.problems_with(project.get_text("doc-2")) == []


def test_checking_a_project_leaves_the_callers_writable_store_open(filled: Path) -> None:
    from annotator.services import check_project

    with Project.open(filled) as project:
        store = project.annotations("alice")
        first = labelled(project, "doc-0", [("PERSON", "Putin")])
        store.save(first)
        assert check_project(project) == []
        second = labelled(project, "doc-1", [("GPE", "北京")])
        store.save(second)  # the window keeps saving after a check
        assert project.annotations("alice") is store
    with Project.open(filled) as project:
        assert project.annotations("alice", writable=False).get("doc-1") == second


@pytest.mark.parametrize(
    "line", [b'{"doc_id": ["x"], "spans": []}', b'{"doc_id": 5}', b'"just a string"', b"[]"]
)
def test_a_hand_edited_journal_still_opens(filled: Path, line: bytes) -> None:
    with Project.open(filled) as project:
        store = project.annotations("alice")
        first = labelled(project, "doc-0", [("PERSON", "Putin")])
        store.save(first)
    with (filled / "annotations" / "alice.jsonl").open("ab") as handle:
        handle.write(line + b"\n")
    with Project.open(filled) as project:
        store = project.annotations("alice")
        assert store.doc_ids() == ["doc-0"] and store.get("doc-0") == first
        assert len(store.problems) == 1 and "alice.jsonl:2" in store.problems[0]
