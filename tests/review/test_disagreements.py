"""Disagreement finding and the cross-document cursor."""

from __future__ import annotations

from pathlib import Path

from annotator.review.disagreements import (
    DisagreementCursor,
    DisagreementFinder,
    agreed_labels,
    find_disagreements,
)
from annotator.review.source import ReviewSource
from annotator.store import Project
from tests.review.helpers import annotation, make_project

TEXT = 'President Vladimir Putin met Xi Jinping in Beijing. "We remain together," Putin said.'


def kinds(items: list) -> list[tuple[str, str]]:
    return [(item.kind, item.key) for item in items]


def test_each_kind_of_disagreement_in_reading_order() -> None:
    alice = annotation(
        "d",
        TEXT,
        [
            ("PERSON", "Vladimir Putin"),
            ("PERSON", "Xi Jinping"),
            ("GPE", "Beijing"),
            ("QUOTE", "We remain together"),
            ("SOURCE", "Putin", 1),
        ],
        [("ATTRIBUTED_TO", 3, 4)],
    )
    bob = annotation(
        "d",
        TEXT,
        [
            ("PERSON", "President Vladimir Putin"),  # boundaries differ
            ("PERSON", "Xi Jinping"),  # agreed
            ("LOC", "Beijing"),  # label differs
            ("QUOTE", "We remain together"),
            ("SOURCE", "Putin", 1),
            ("SOURCE", "Xi Jinping"),  # alice has no such span
        ],
        [("ATTRIBUTED_TO", 3, 5)],  # attributed to Xi instead of Putin
    )
    found = find_disagreements("d", TEXT, {"alice": alice, "bob": bob})
    assert [(item.kind, item.start) for item in found] == [
        ("different_boundaries", 0),
        ("missing_span", 29),
        ("different_label", 43),
        ("different_relation", 53),
    ]
    boundaries = found[0]
    assert [v.span for v in boundaries.versions] == [(0, 24, "PERSON"), (10, 24, "PERSON")]
    assert [v.annotators for v in boundaries.versions] == [("bob",), ("alice",)]
    assert [v.text for v in boundaries.versions] == ["President Vladimir Putin", "Vladimir Putin"]
    missing = found[1]
    assert missing.versions[0].annotators == ("bob",) and missing.missing == ("alice",)
    relation = found[3]
    assert relation.is_relation
    assert [v.relation[2][2] for v in relation.versions if v.relation] == ["SOURCE", "SOURCE"]
    assert {v.annotators for v in relation.versions} == {("alice",), ("bob",)}
    assert "different relation" in relation.describe()
    # The same input gives the same keys and order (the gold layer records keys).
    assert kinds(find_disagreements("d", TEXT, {"bob": bob, "alice": alice})) == kinds(found)


def test_agreed_labels_and_nested_spans_are_not_disputed() -> None:
    spans = [("SOURCE", "President Vladimir Putin"), ("PERSON", "Vladimir Putin")]
    alice = annotation("d", TEXT, spans)
    bob = annotation("d", TEXT, spans)
    assert find_disagreements("d", TEXT, {"alice": alice, "bob": bob}) == []
    agreed_spans, agreed_relations = agreed_labels({"alice": alice, "bob": bob})
    assert agreed_spans == [(0, 24, "SOURCE"), (10, 24, "PERSON")]
    assert agreed_relations == []


def test_unlinked_overlaps_stay_separate_and_chains_mix() -> None:
    text = "The Chinese capital Beijing hosted them."
    alice = annotation("d", text, [("QUOTE", "The Chinese capital Beijing"), ("GPE", "Beijing")])
    bob = annotation("d", text, [("GPE", "capital Beijing")])
    carol = annotation("d", text, [("LOC", "capital Beijing")])
    found = find_disagreements("d", text, {"alice": alice, "bob": bob, "carol": carol})
    # The long QUOTE shares neither range nor label with the place names: its own item.
    assert [(item.kind, len(item.versions)) for item in found] == [
        ("missing_span", 1),
        ("label_and_boundaries", 3),
    ]
    assert found[0].missing == ("bob", "carol")
    assert found[1].missing == ()


def test_single_annotator_has_nothing_to_disagree_with() -> None:
    alice = annotation("d", TEXT, [("PERSON", "Xi Jinping")])
    assert find_disagreements("d", TEXT, {"alice": alice}) == []


def test_cursor_crosses_documents_and_skips(tmp_path: Path) -> None:
    docs = {"one": "Alpha met Beta.", "two": "Nothing disputed here.", "three": "Gamma and Delta."}
    path = make_project(
        tmp_path / "p",
        docs,
        {
            "alice": {
                "one": annotation("one", docs["one"], [("PERSON", "Alpha"), ("PERSON", "Beta")]),
                "two": annotation("two", docs["two"], []),
                "three": annotation("three", docs["three"], [("PERSON", "Gamma")]),
            },
            "bob": {
                "one": annotation("one", docs["one"], [("ORG", "Alpha")]),
                "two": annotation("two", docs["two"], []),
                "three": annotation("three", docs["three"], [("PERSON", "Delta")]),
            },
        },
    )
    with Project.open(path) as project:
        source = ReviewSource(project)
        finder = DisagreementFinder(source)
        doc_ids = source.documents()
        assert doc_ids == ["one", "two", "three"]
        cursor = DisagreementCursor(finder, doc_ids)
        assert cursor.current() is None and cursor.previous() is None
        walk = []
        while (item := cursor.next()) is not None:
            walk.append((item.doc_id, item.kind, item.start))
        assert walk == [
            ("one", "different_label", 0),
            ("one", "missing_span", 10),
            ("three", "missing_span", 0),
            ("three", "missing_span", 10),
        ]
        assert cursor.current() is not None and cursor.current().start == 10  # type: ignore[union-attr]
        back = []
        while (item := cursor.previous()) is not None:
            back.append((item.doc_id, item.start))
        assert back == [("three", 0), ("one", 10), ("one", 0)]
        skipping = DisagreementCursor(finder, doc_ids, skip=lambda item: item.doc_id == "one")
        first = skipping.next()
        assert first is not None and first.doc_id == "three"
        cursor.go_to("three")
        item = cursor.next()
        assert item is not None and (item.doc_id, item.start) == ("three", 0)
