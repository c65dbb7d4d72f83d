"""Suggestions as their own layer: add, deduplicate, accept, reject, undo, never exported."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotator.assist.patterns import PatternMatcher, parse_pattern
from annotator.assist.suggestions import (
    REJECTED,
    SuggestionLayer,
    accept,
    accept_all,
    add_suggestions,
    reject,
    undo_accept,
    undo_accept_all,
    undo_reject,
)
from annotator.core.models import Document, DocumentAnnotation, Span
from annotator.store import Project
from annotator.store.interface import ProjectStore

TEXT = "Putin met Xi in Beijing. 👍🏽 Beijing welcomed Putin."


def ranges(annotation: DocumentAnnotation) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, s.label) for s in annotation.spans]


def beijing_and_putin() -> list[tuple[int, int, str]]:
    return [
        (0, 5, "PERSON"),
        (16, 23, "GPE"),
        (28, 35, "GPE"),
        (45, 50, "PERSON"),
    ]


def test_add_skips_what_is_labelled_suggested_or_rejected() -> None:
    assert TEXT[28:35] == "Beijing" and TEXT[45:50] == "Putin"
    suggested = DocumentAnnotation(doc_id="d")
    labels = DocumentAnnotation(doc_id="d", spans=[Span.of(TEXT, 0, 5, "PERSON", "T1")])
    added = add_suggestions(suggested, labels, TEXT, beijing_and_putin(), "patterns:x")
    assert [(s.start, s.end, s.label, s.text) for s in added] == [
        (16, 23, "GPE", "Beijing"),
        (28, 35, "GPE", "Beijing"),
        (45, 50, "PERSON", "Putin"),
    ]
    assert [s.id for s in added] == ["S1", "S2", "S3"]
    assert added[0].attrs == {"source": "patterns:x"}
    # Same label on the same range is a duplicate; another label there is a new proposal.
    again = add_suggestions(
        suggested, labels, TEXT, [*beijing_and_putin(), (16, 23, "LOC")], "model:m"
    )
    assert [(s.start, s.label, s.id) for s in again] == [(16, "LOC", "S4")]
    reject(suggested, "S4")
    assert add_suggestions(suggested, labels, TEXT, [(16, 23, "LOC")], "model:m") == []
    with pytest.raises(Exception, match="outside the text"):
        add_suggestions(suggested, labels, TEXT, [(40, 99, "GPE")], "x")


def test_accept_moves_into_labels_and_undo_puts_it_back() -> None:
    suggested = DocumentAnnotation(doc_id="d")
    labels = DocumentAnnotation(doc_id="d", spans=[Span.of(TEXT, 0, 5, "PERSON", "T1")])
    add_suggestions(suggested, labels, TEXT, beijing_and_putin(), "p")
    before = ranges(suggested)
    done = accept(suggested, labels, "S2")
    assert done.label_span is not None and done.label_span.id == "T2"
    assert (done.label_span.start, done.label_span.text) == (28, "Beijing")
    assert done.label_span.attrs == {}
    assert "S2" not in {s.id for s in suggested.spans}
    labels.check_against(TEXT)
    undo_accept(suggested, labels, done)
    assert ranges(suggested) == before
    assert ranges(labels) == [(0, 5, "PERSON")]


def test_accepting_what_is_already_labelled_only_drops_the_suggestion() -> None:
    suggested = DocumentAnnotation(doc_id="d")
    add_suggestions(suggested, None, TEXT, [(0, 5, "PERSON")], "p")
    labels = DocumentAnnotation(doc_id="d", spans=[Span.of(TEXT, 0, 5, "PERSON", "T1")])
    done = accept(suggested, labels, "S1")
    assert done.label_span is None and suggested.spans == [] and len(labels.spans) == 1
    undo_accept(suggested, labels, done)
    assert len(suggested.spans) == 1 and len(labels.spans) == 1


def test_reject_remembers_and_undo_forgets() -> None:
    suggested = DocumentAnnotation(doc_id="d")
    add_suggestions(suggested, None, TEXT, beijing_and_putin(), "p")
    span, index = reject(suggested, "S3")
    assert suggested.provenance[REJECTED] == [[28, 35, "GPE"]]
    undo_reject(suggested, span, index)
    assert REJECTED not in suggested.provenance
    assert [s.id for s in suggested.spans] == ["S1", "S2", "S3", "S4"]


def test_accept_all_and_undo() -> None:
    suggested = DocumentAnnotation(doc_id="d")
    labels = DocumentAnnotation(doc_id="d")
    add_suggestions(suggested, labels, TEXT, beijing_and_putin(), "p")
    done = accept_all(suggested, labels)
    assert suggested.spans == []
    assert ranges(labels) == beijing_and_putin()
    assert [s.id for s in labels.spans] == ["T1", "T2", "T3", "T4"]
    undo_accept_all(suggested, labels, done)
    assert labels.spans == [] and ranges(suggested) == beijing_and_putin()


def test_layer_on_a_project_is_saved_and_never_exported(project: Project, tmp_path: Path) -> None:
    from annotator.services import export_project

    project.add_documents([Document(id="a", text=TEXT), Document(id="b", text="No names.")])
    matcher = PatternMatcher(
        [
            parse_pattern({"label": "GPE", "pattern": "Beijing"}),
            parse_pattern({"label": "PERSON", "pattern": [{"lower": "putin"}]}),
        ]
    )
    layer = SuggestionLayer(project, "alice")
    report = layer.suggest(matcher, "patterns:test")
    assert (report.documents, report.found, report.added) == (2, 4, 4)
    assert report.describe() == (
        "found 4 matches in 2 documents; added 4 suggestions (GPE 2, PERSON 2)"
    )
    assert (project.path / "suggestions" / "alice.jsonl").exists()
    # Nothing is a label yet, so an export of alice's labels has no spans.
    project.annotations("alice").save(project.annotations("alice").get_or_new("a"))
    out = tmp_path / "out.jsonl"
    export_project(project, "native", out, annotator="alice")
    assert all(not orjson.loads(line)["spans"] for line in out.read_bytes().splitlines())

    accepted = layer.accept("a", "S1")
    assert accepted.label_span is not None
    layer.reject("a", "S2")
    assert [s.id for s in layer.pending("a")] == ["S3", "S4"]
    assert len(layer.accept_all("a")) == 2
    again = layer.suggest(matcher, "patterns:test")
    assert (again.found, again.added, again.skipped) == (4, 0, 4)
    project.close()
    # A fresh Project: its reader for the export sees the accepted labels.
    reopened = Project.open(project.path)
    try:
        export_project(reopened, "native", out, annotator="alice")
        exported = [orjson.loads(line) for line in out.read_bytes().splitlines()]
        labelled = sorted(s["text"] for r in exported for s in r["spans"])
        assert labelled == ["Beijing", "Putin", "Putin"]
        assert reopened.suggestions("alice", writable=False).get("a").provenance[REJECTED] == [
            [16, 23, "GPE"]
        ]
    finally:
        reopened.close()


def test_layer_add_ranges_for_label_all_mentions(any_store: ProjectStore) -> None:
    project = any_store
    project.add_documents([Document(id="a", text=TEXT)])
    layer = SuggestionLayer(project, "bob")
    added = layer.add_ranges("a", [(16, 23, "GPE"), (16, 23, "GPE")], "mentions", None)
    assert [s.text for s in added] == ["Beijing"]
    assert layer.pending("a")[0].attrs == {"source": "mentions"}


def test_a_run_stopped_half_way_keeps_what_it_found(any_store: ProjectStore) -> None:
    project = any_store
    project.add_documents([Document(id=f"d{i}", text=f"Beijing {i}") for i in range(5)])
    matcher = PatternMatcher([parse_pattern({"label": "GPE", "pattern": "Beijing"})])

    class Stop(Exception):
        pass

    def progress(done: int, total: int | None) -> None:
        if done == 3:
            raise Stop

    layer = SuggestionLayer(project, "alice")
    with pytest.raises(Stop):
        layer.suggest(matcher, "patterns:test", progress=progress)
    assert [doc for doc in project.document_ids() if layer.pending(doc)] == ["d0", "d1", "d2"]
    report = layer.suggest(matcher, "patterns:test")
    assert (report.added, report.skipped) == (2, 3)
