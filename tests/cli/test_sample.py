"""The bundled sample project: users work on a copy, never on resources/sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.cli import main
from annotator.core import Relation
from annotator.services import check_project
from annotator.services.sample import BUNDLED_SAMPLE, ensure_sample_project, user_sample_path
from annotator.store import Project
from tests.store.helpers import snapshot


@pytest.fixture
def fresh_copy() -> Path:
    import shutil

    shutil.rmtree(user_sample_path(), ignore_errors=True)
    return user_sample_path()


def test_the_sample_is_copied_and_working_on_it_never_touches_the_bundle(
    fresh_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundled = snapshot(BUNDLED_SAMPLE)
    path = ensure_sample_project()
    assert path == fresh_copy and path.resolve() != BUNDLED_SAMPLE.resolve()
    assert not path.is_relative_to(BUNDLED_SAMPLE.parents[1])
    assert snapshot(path) == bundled

    with Project.open(path) as project:
        assert len(project) == 5
        assert check_project(project) == []
        store = project.annotations("alice")
        quotes = [
            annotation
            for annotation in store.iter_annotations()
            if any(rel.label == "ATTRIBUTED_TO" for rel in annotation.relations)
        ]
        assert quotes, "the sample shows a quote attributed to its source"
        annotation = quotes[0]
        span, index, removed = annotation.remove_span(annotation.relations[0].head)
        store.save(annotation)
        annotation.restore_span(span, index, removed)
        annotation.add_relation(
            Relation(
                id=annotation.next_relation_id(),
                label="ATTRIBUTED_TO",
                head=span.id,
                tail=removed[0][1].tail,
            )
        )
        store.save(annotation)
        newcomer = project.annotations("newcomer")
        newcomer.save(newcomer.get_or_new(project.document_ids()[0]))

    assert main(["check", str(path)]) == 0
    assert snapshot(BUNDLED_SAMPLE) == bundled
    assert snapshot(path) != bundled


def test_a_second_call_keeps_the_users_work(fresh_copy: Path) -> None:
    path = ensure_sample_project()
    with Project.open(path) as project:
        store = project.annotations("alice")
        annotation = store.get_or_new(project.document_ids()[0])
        annotation.set_note("my own note")
        store.save(annotation)
    assert ensure_sample_project() == path
    with Project.open(path) as project:
        saved = project.annotations("alice").get(project.document_ids()[0])
        assert saved is not None and saved.note == "my own note"


def test_the_bundled_sample_has_no_lock_or_temp_files() -> None:
    names = [path.name for path in BUNDLED_SAMPLE.rglob("*") if path.is_file()]
    assert not [name for name in names if name.endswith((".lock", ".tmp", ".torn"))]
    with Project.open(BUNDLED_SAMPLE) as project:
        assert project.problems == []
        for name in project.annotators():
            assert project.annotations(name, writable=False).problems == []
