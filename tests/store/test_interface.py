"""The storage interface, run against every implementation (folder and memory).

What the layers above the store rely on: documents added all-or-nothing and read back
exactly, labels saved and read back per annotator, suggestions apart from labels,
schema, settings and small per-user state.
"""

from __future__ import annotations

import pytest

from annotator.core.errors import AnnotationError, AnnotatorError
from annotator.core.models import Document, DocumentAnnotation, Span
from annotator.store.interface import AnnotationLayer, ProjectStore

TEXT = "Putin 👍🏽 met Xi\tin Beijing.\nDone."


def test_both_stores_implement_the_interface(any_store: ProjectStore) -> None:
    assert isinstance(any_store, ProjectStore)
    assert isinstance(any_store.annotations("alice"), AnnotationLayer)
    assert isinstance(any_store.suggestions("alice"), AnnotationLayer)
    assert isinstance(any_store.layer_reader("alice"), AnnotationLayer)


def test_documents_are_added_all_or_nothing_and_read_back_exactly(
    any_store: ProjectStore,
) -> None:
    store = any_store
    counts = store.add_documents(
        [Document(id="a", text=TEXT, meta={"title": "A"}), Document(id="b", text="Other.")]
    )
    assert counts == {"added": 2, "unchanged": 0}
    # A document is its id: the same text under another id is a document of its own.
    again = store.add_documents([Document(id="a", text=TEXT), Document(id="c", text=TEXT)])
    assert again == {"added": 1, "unchanged": 1}
    with pytest.raises(AnnotatorError, match="different text"):
        store.add_documents([Document(id="d", text="New."), Document(id="a", text="Changed.")])
    # The refused batch added nothing, not even its first, valid document.
    assert store.document_ids() == ["a", "b", "c"] and len(store) == 3 and "d" not in store
    assert store.get_text("a") == TEXT
    assert store.get_document("a").meta == {"title": "A"}
    assert [(e.id, e.title, e.chars) for e in store.entries()] == [
        ("a", "A", len(TEXT)),
        ("b", "b", 6),
        ("c", "c", len(TEXT)),
    ]
    assert store.entry("b").chars == 6
    assert [d.id for d in store.iter_documents()] == ["a", "b", "c"]
    with pytest.raises(AnnotatorError):
        store.entry("missing")


def test_labels_are_saved_per_annotator_and_checked_against_the_text(
    any_store: ProjectStore,
) -> None:
    store = any_store
    store.add_documents([Document(id="a", text=TEXT)])
    assert store.annotators() == []
    alice = store.annotations("alice")
    labels = alice.get_or_new("a")
    start = TEXT.index("Beijing")
    labels.add_span(Span.of(TEXT, start, start + 7, "GPE", "T1"))
    labels.status = "done"
    alice.save(labels)
    assert store.annotators() == ["alice"]
    assert "a" in alice and len(alice) == 1 and alice.doc_ids() == ["a"]
    summary = alice.summary("a")
    assert summary is not None and (summary.status, summary.spans, summary.relations) == (
        "done",
        1,
        0,
    )
    got = alice.get("a")
    assert got is not None and got.spans[0].text == "Beijing"
    record = alice.get_record("a", TEXT)
    assert record is not None and record["spans"][0]["start"] == start
    assert [a.doc_id for a in alice.iter_annotations()] == ["a"]
    # The same program asking again gets its own writer, which is up to date.
    assert store.annotations("alice", writable=False).get("a") is not None
    reader = store.layer_reader("alice")
    try:
        assert reader.get("a") is not None and not reader.writable
        with pytest.raises(AnnotatorError, match="read-only"):
            reader.save(labels)
    finally:
        reader.close()
    # Labels that do not fit the text are refused and not kept.
    bad = DocumentAnnotation(doc_id="a", text_hash="0" * 16)
    with pytest.raises(AnnotationError):
        alice.save(bad)
    assert alice.get("a") is not None and alice.get("a").status == "done"  # type: ignore[union-attr]
    # Suggestions are a layer apart: nothing there is a label.
    suggested = store.suggestions("alice")
    assert "a" not in suggested
    proposal = suggested.get_or_new("a")
    proposal.add_span(Span.of(TEXT, 0, 5, "PERSON", "S1"))
    suggested.save(proposal)
    assert len(alice.get("a").spans) == 1  # type: ignore[union-attr]
    assert store.annotators() == ["alice"]


def test_schema_settings_and_state_round_trip(any_store: ProjectStore) -> None:
    store = any_store
    schema = store.schema
    assert schema.label("PERSON") is not None
    store.set_schema(schema.model_copy(update={"labels": schema.labels[:3]}))
    assert [label.name for label in store.schema.labels] == [x.name for x in schema.labels[:3]]
    store.save_settings({"documents_need": 2})
    assert store.settings == {"documents_need": 2}
    assert store.read_state("review", "carol") is None
    store.write_state("review", "carol", b'{"seen": 1}\n')
    assert store.read_state("review", "carol") == b'{"seen": 1}\n'
    with pytest.raises(AnnotatorError):
        store.write_state("review", "../../evil", b"{}")


def test_the_list_is_read_by_rows_found_by_id_and_searched(any_store: ProjectStore) -> None:
    store = any_store
    store.add_documents(
        [
            Document(id="a", text=TEXT, meta={"title": "Summit in Beijing"}),
            Document(id="b", text="Other news."),
            Document(id="news-c", text="The Minister spoke."),
        ]
    )
    # A window's list reads the rows it shows: a page past the end is short or empty.
    assert [(e.id, e.title, e.chars) for e in store.entry_rows(1, 3)] == [
        ("b", "b", 11),
        ("news-c", "news-c", 19),
    ]
    assert [e.id for e in store.entry_rows(2, 50)] == ["news-c"]
    assert list(store.entry_rows(3, 10)) == [] and list(store.entry_rows(0, 0)) == []
    assert store.rows_of(["news-c", "missing", "a"]) == {"news-c": 2, "a": 0}
    assert store.rows_of([]) == {}
    # Titles, ids and texts, whatever the case; rows in the project's order.
    assert store.find_rows("beijing") == [0]  # title and text
    assert store.find_rows("NEWS") == [1, 2]  # a text, an id
    assert store.find_rows("minister") == [2]
    assert store.find_rows("👍🏽 met") == [0]
    assert store.find_rows("nowhere") == []
    # Characters a pattern would read otherwise are themselves.
    assert store.find_rows("o_her") == [] and store.find_rows("e%s") == []
    assert store.find_rows("R NEWS.") == [1]
