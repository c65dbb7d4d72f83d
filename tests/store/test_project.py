"""The project folder: create, open, add documents all-or-nothing, texts read lazily."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.core import AnnotatorError, Document, InputError, Label, default_schema
from annotator.store import CONFIG_FILE, DOCUMENTS_FILE, Project
from tests.store.helpers import TRICKY, make_documents, snapshot


def test_create_writes_the_contract_layout(tmp_path: Path) -> None:
    path = tmp_path / "p"
    with Project.create(path, name="News") as project:
        assert project.name == "News"
        assert len(project) == 0
        assert project.schema == default_schema()
    assert (path / DOCUMENTS_FILE).read_bytes() == b""
    assert (path / "annotations").is_dir()
    config = orjson.loads((path / CONFIG_FILE).read_bytes())
    assert config["name"] == "News"
    assert config["format_version"] == 1
    assert [label["name"] for label in config["schema"]["labels"]][:3] == ["PERSON", "ORG", "GPE"]
    assert "*.lock" in (path / ".gitignore").read_text()


def test_create_refuses_an_existing_project_or_a_non_empty_folder(tmp_path: Path) -> None:
    Project.create(tmp_path / "p").close()
    with pytest.raises(AnnotatorError, match="already exists"):
        Project.create(tmp_path / "p")
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "notes.txt").write_text("mine")
    with pytest.raises(AnnotatorError, match="not empty"):
        Project.create(tmp_path / "q")
    assert sorted(p.name for p in (tmp_path / "q").iterdir()) == ["notes.txt"]


def test_open_refuses_what_is_not_a_project(tmp_path: Path) -> None:
    with pytest.raises(AnnotatorError, match="not a project folder"):
        Project.open(tmp_path)
    (tmp_path / CONFIG_FILE).write_text("{broken")
    with pytest.raises(InputError, match=CONFIG_FILE):
        Project.open(tmp_path)
    (tmp_path / CONFIG_FILE).write_text('{"name": "x", "format_version": 99}')
    with pytest.raises(AnnotatorError, match="newer"):
        Project.open(tmp_path)


def test_schema_changes_persist(project_path: Path) -> None:
    with Project.open(project_path) as project:
        project.set_schema(project.schema.with_label(Label(name="WEAPON", color="#123456")))
    with Project.open(project_path) as project:
        assert project.schema.label("WEAPON") is not None


def test_added_documents_read_back_exactly_after_reopening(project_path: Path) -> None:
    docs = make_documents(5)
    with Project.open(project_path) as project:
        assert project.add_documents(docs) == {"added": 5, "unchanged": 0}
        assert project.get_document("doc-3") == docs[3]
    with Project.open(project_path) as project:
        assert project.document_ids() == [doc.id for doc in docs]
        assert list(project.iter_documents()) == docs
        assert project.get_text("doc-0") == docs[0].text
        entry = project.entry("doc-2")
        assert (entry.title, entry.chars, entry.meta["n"]) == ("Headline 2", len(docs[2].text), 2)
        assert "doc-4" in project and "doc-5" not in project
        with pytest.raises(AnnotatorError, match="no document"):
            project.get_document("doc-5")


def test_adding_the_same_documents_again_is_idempotent(project_path: Path) -> None:
    with Project.open(project_path) as project:
        project.add_documents(make_documents(3))
    before = snapshot(project_path)
    with Project.open(project_path) as project:
        assert project.add_documents(make_documents(3)) == {"added": 0, "unchanged": 3}
        assert len(project) == 3
    assert snapshot(project_path) == before


def test_a_text_already_present_under_another_id_is_a_document_of_its_own(
    project_path: Path,
) -> None:
    with Project.open(project_path) as project:
        project.add_documents(make_documents(2))
        copy = Document(id="copy", text=project.get_text("doc-1"))
        fresh = Document(id="fresh", text="Something new")
        counts = project.add_documents([copy, fresh, Document(id="again", text="Something new")])
        assert counts == {"added": 3, "unchanged": 0}
        assert project.document_ids() == ["doc-0", "doc-1", "copy", "fresh", "again"]


def test_same_id_with_another_text_is_refused_and_nothing_changes(project_path: Path) -> None:
    with Project.open(project_path) as project:
        project.add_documents(make_documents(3))
    before = snapshot(project_path)
    with Project.open(project_path) as project:
        batch = [Document(id="new-1", text="fine"), Document(id="doc-1", text="a different text")]
        with pytest.raises(AnnotatorError, match="doc-1"):
            project.add_documents(batch)
        # The project object is as it was too: the refused batch left no trace in memory.
        assert project.document_ids() == ["doc-0", "doc-1", "doc-2"]
        assert "new-1" not in project
    assert snapshot(project_path) == before


def test_same_id_twice_in_one_batch_with_different_texts_is_refused(project_path: Path) -> None:
    before = snapshot(project_path)
    with Project.open(project_path) as project:
        batch = [Document(id="a", text="one"), Document(id="a", text="two")]
        with pytest.raises(AnnotatorError, match="'a'"):
            project.add_documents(batch)
        assert len(project) == 0
    assert snapshot(project_path) == before


def test_an_exception_inside_a_batch_leaves_no_temp_file(project_path: Path) -> None:
    with Project.open(project_path) as project:
        with pytest.raises(RuntimeError), project.document_batch() as batch:
            batch.add(Document(id="x", text="x"))
            raise RuntimeError("the import failed")
        assert len(project) == 0
    assert sorted(snapshot(project_path)) == [".gitignore", CONFIG_FILE, DOCUMENTS_FILE]


def test_entries_and_the_project_hold_no_document_text(project_path: Path) -> None:
    marker = "UNIQUE-MARKER"
    docs = [
        Document(id=f"d{i}", text=f"{marker}-{i} {TRICKY}", meta={"title": f"T{i}"})
        for i in range(20)
    ]
    with Project.open(project_path) as project:
        project.add_documents(docs)
    with Project.open(project_path) as project:
        entries = project.entries()
        assert [entry.chars for entry in entries] == [len(doc.text) for doc in docs]
        field_names = {field.name for field in dataclasses.fields(entries[0])}
        assert "text" not in field_names
        held = list(_strings_in(project.__dict__))
        assert any(value == "d7" for value in held)  # the walk does reach the entries
        assert not [value for value in held if marker in value]
        # Texts are there when asked for, one at a time.
        assert project.get_text("d7") == docs[7].text


def _strings_in(value: Any, depth: int = 0) -> Any:
    if depth > 6:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_in(key, depth + 1)
            yield from _strings_in(item, depth + 1)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _strings_in(item, depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _strings_in(getattr(value, field.name), depth + 1)


def test_unreadable_document_lines_are_reported_not_fatal(project_path: Path) -> None:
    with Project.open(project_path) as project:
        project.add_documents(make_documents(2))
    with (project_path / DOCUMENTS_FILE).open("ab") as handle:
        handle.write(b'{"id": "broken", "text": \n')
        handle.write(orjson.dumps({"id": "doc-0", "text": "dup"}) + b"\n")
    with Project.open(project_path) as project:
        assert project.document_ids() == ["doc-0", "doc-1"]
        assert len(project.problems) == 2
        assert f"{DOCUMENTS_FILE}:3" in project.problems[0]
        assert "duplicate document id 'doc-0'" in project.problems[1]


def test_documents_added_by_another_program_are_seen_before_adding_more(
    project_path: Path,
) -> None:
    first = Project.open(project_path)
    second = Project.open(project_path)
    try:
        first.add_documents([Document(id="a", text="from the first program")])
        second.add_documents([Document(id="a", text="from the first program")])
        second.add_documents([Document(id="b", text="from the second program")])
    finally:
        first.close()
        second.close()
    with Project.open(project_path) as project:
        assert project.problems == []
        assert project.document_ids() == ["a", "b"]
        assert project.get_text("b") == "from the second program"


def test_a_copy_left_by_an_import_killed_half_way_is_cleared(project_path: Path) -> None:
    stale = project_path / f".{DOCUMENTS_FILE}.abc123.tmp"
    stale.write_bytes(b'{"id": "half", "text": "written')
    with Project.open(project_path) as project:
        project.add_documents([Document(id="a", text="fine")])
        assert project.document_ids() == ["a"]
    assert not stale.exists()


@pytest.mark.parametrize(
    "line",
    [
        b'{"id": ["a"], "text": "list id"}',
        b'{"id": "n", "text": 5}',
        b'{"id": "m", "text": "x", "meta": "not an object"}',
        b"<<<<<<< HEAD",
        b"[1, 2, 3]",
    ],
)
def test_a_hand_edited_documents_file_still_opens(project_path: Path, line: bytes) -> None:
    with Project.open(project_path) as project:
        project.add_documents(make_documents(2))
    with (project_path / DOCUMENTS_FILE).open("ab") as handle:
        handle.write(line + b"\n")
    with Project.open(project_path) as project:
        assert project.document_ids() == ["doc-0", "doc-1"]
        assert len(project.problems) == 1 and f"{DOCUMENTS_FILE}:3" in project.problems[0]
