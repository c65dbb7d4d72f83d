"""Document categories: the schema's rules, the annotation's edit, and journal lines with
and without them (a line without categories is byte for byte what it was before)."""

from __future__ import annotations

import copy
from pathlib import Path

import orjson
import pytest
from pydantic import ValidationError

from annotator.core import Document, DocumentAnnotation, Span
from annotator.core.errors import AnnotationError
from annotator.core.models import DocumentCategory, Label, LabelSchema, text_hash
from annotator.core.records import (
    LineEncoder,
    annotation_from_record,
    encode_record,
    record_ok,
)
from annotator.store import Project
from annotator.store.sealed import sealed_line_of

TEXT = "Xi 👍🏽 said “café\u0301” in 北京."

TOPIC = DocumentCategory(name="topic", choices=["politics", "sport"], hotkeys={"sport": "1"})
FLAGS = DocumentCategory(name="flags", choices=["claim", "opinion"], multiple=True)


def _annotation(cats: dict[str, list[str]] | None = None) -> DocumentAnnotation:
    annotation = DocumentAnnotation(doc_id="d", text_hash=text_hash(TEXT), updated="T")
    annotation.add_span(Span.of(TEXT, 0, 2, "PERSON", "T1"))
    annotation.updated = "T"
    if cats:
        annotation.cats = cats
    return annotation


def test_schema_refuses_clashing_hotkeys_duplicates_and_unknown_choices() -> None:
    labels = [Label(name="PERSON", hotkey="P")]
    LabelSchema(labels=labels, categories=[TOPIC, FLAGS])
    clash = DocumentCategory(name="c", choices=["a"], hotkeys={"a": "p"})
    with pytest.raises(ValidationError, match="duplicate hotkey 'P'"):
        LabelSchema(labels=labels, categories=[clash])
    with pytest.raises(ValidationError, match="duplicate category 'topic'"):
        LabelSchema(categories=[TOPIC, TOPIC])
    with pytest.raises(ValidationError, match="duplicate choice"):
        DocumentCategory(name="c", choices=["a", "a"])
    with pytest.raises(ValidationError, match="hotkey for unknown choice 'b'"):
        DocumentCategory(name="c", choices=["a"], hotkeys={"b": "1"})


def test_cats_problems_names_unknown_categories_choices_and_too_many() -> None:
    schema = LabelSchema(categories=[TOPIC, FLAGS])
    assert schema.cats_problems({"topic": ["sport"], "flags": ["claim", "opinion"]}) == []
    assert schema.cats_problems({"stance": ["pro"]}) == ["unknown category 'stance'"]
    assert schema.cats_problems({"topic": ["tennis"]}) == [
        "category 'topic' has no choice 'tennis'"
    ]
    assert schema.cats_problems({"topic": ["sport", "politics"]}) == [
        "category 'topic' takes one choice, not 2"
    ]


def test_set_cats_returns_what_undo_gives_back() -> None:
    annotation = _annotation()
    assert annotation.set_cats("topic", ["sport"]) == []
    assert annotation.set_cats("flags", ["claim", "opinion"]) == []
    assert annotation.set_cats("topic", ["politics"]) == ["sport"]
    assert annotation.cats == {"topic": ["politics"], "flags": ["claim", "opinion"]}
    assert annotation.set_cats("topic", []) == ["politics"]
    assert annotation.cats == {"flags": ["claim", "opinion"]}
    with pytest.raises(AnnotationError, match="a choice is given twice"):
        annotation.set_cats("flags", ["claim", "claim"])
    assert annotation.cats == {"flags": ["claim", "opinion"]}


def test_a_line_without_cats_is_the_line_of_before() -> None:
    annotation = _annotation()
    line = LineEncoder().encode(annotation, TEXT)
    assert line is not None and b"cats" not in line
    assert line == encode_record(annotation.model_dump(mode="json"))
    assert "cats" not in annotation.model_dump()
    # An old line (no cats key) loads as no cats.
    loaded = annotation_from_record(orjson.loads(line))
    assert loaded.cats == {} and loaded == annotation
    assert tuple(loaded.__dict__)[-1] == "cats"


def test_a_line_with_cats_holds_them_in_its_head_and_reads_back() -> None:
    annotation = _annotation({"topic": ["sport"], "flags": ["claim", "opinion"]})
    line = LineEncoder().encode(annotation, TEXT)
    assert line is not None
    assert line.startswith(
        b'{"doc_id":"d","text_hash":"%b","status":"todo","note":"","updated":"T",'
        b'"cats":{"topic":["sport"],"flags":["claim","opinion"]},"counts":[1,0],"spans":['
        % text_hash(TEXT).encode()
    )
    assert line == encode_record(annotation.model_dump(mode="json"))
    record = orjson.loads(line)
    del record["counts"]
    assert record_ok(copy.deepcopy(record), TEXT)
    loaded = annotation_from_record(record)
    assert loaded == annotation and loaded.cats == annotation.cats
    assert tuple(loaded.__dict__) == tuple(DocumentAnnotation.model_fields)


@pytest.mark.parametrize(
    "cats",
    [{"topic": []}, {"topic": "sport"}, {"topic": [""]}, {"": ["a"]}, {"topic": ["a", "a"]}],
)
def test_malformed_cats_are_refused_by_both_paths(cats: object) -> None:
    record = _annotation().model_dump(mode="json")
    record["cats"] = cats
    assert not record_ok(record)
    with pytest.raises(ValidationError):
        annotation_from_record(record)


def test_the_store_saves_seals_and_reads_back_cats(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p") as project:
        project.add_documents([Document(id="d", text=TEXT)])
        store = project.annotations("alice")
        store.save(_annotation({"topic": ["sport"]}))
    journal = tmp_path / "p" / "annotations" / "alice.jsonl"
    raw = journal.read_bytes().rstrip(b"\n")
    sealed = sealed_line_of(raw, text_hash(TEXT))
    assert sealed is not None and sealed.head["cats"] == {"topic": ["sport"]}
    with Project.open(tmp_path / "p") as project:
        store = project.annotations("alice", writable=False)
        assert store.get_record("d", TEXT, text_hash(TEXT))["cats"] == {"topic": ["sport"]}  # type: ignore[index]
        annotation = store.get("d")
        assert annotation is not None and annotation.cats == {"topic": ["sport"]}
        assert store.summary("d").spans == 1  # type: ignore[union-attr]


def test_check_names_categories_the_schema_lacks(tmp_path: Path) -> None:
    from annotator.services.checking import check_project

    with Project.create(tmp_path / "p") as project:
        project.set_schema(LabelSchema(categories=[TOPIC]))
        project.add_documents([Document(id="d", text=TEXT)])
        project.annotations("alice").save(_annotation({"topic": ["tennis"], "stance": ["pro"]}))
    journal = tmp_path / "p" / "annotations" / "alice.jsonl"
    with Project.open(tmp_path / "p") as project:
        assert check_project(project) == [
            f"{journal}:1: document d: category 'topic' has no choice 'tennis' (not in the schema)",
            f"{journal}:1: document d: unknown category 'stance' (not in the schema)",
        ]
