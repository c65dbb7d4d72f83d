"""`annotator copy`: a folder into a database and back gives the same project, byte for
byte in its native exports and its annotator.json, suggestions included."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.cli import main
from annotator.core.models import Span
from annotator.store import Project
from annotator.store.names import GOLD_ANNOTATOR
from annotator.store.postgres import open_postgres
from tests.store.postgres.server import Databases

pytestmark = pytest.mark.postgres


def make_source(
    path: Path, articles: Path, fixtures: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(path), str(articles)]) == 0
    doccano = fixtures / "doccano" / "relation_extraction.export.jsonl"
    assert main(["import", str(path), str(doccano), "--annotator", "alice"]) == 0
    assert main(["import", str(path), str(fixtures / "brat"), "--annotator", "bob"]) == 0
    patterns = fixtures / "prodigy" / "patterns_countries-GPE.jsonl"
    assert main(["suggest", str(path), "--patterns", str(patterns), "--annotator", "dave"]) == 0
    with Project.open(path) as project:
        doc_id = project.document_ids()[0]
        text = project.get_text(doc_id)
        gold = project.annotations(GOLD_ANNOTATOR).get_or_new(doc_id)
        gold.add_span(
            Span.of(text, 0, 4, "PERSON", "G1").model_copy(update={"attrs": {"z": 1, "a": [2]}})
        )
        gold.note = "settled 👍🏽"
        project.annotations(GOLD_ANNOTATOR).save(gold)
        project.save_settings({"analysts_per_document": 2, "z": {"y": 1, "b": 2}})
    capsys.readouterr()


def exports(project: Path, out: Path) -> dict[str, bytes]:
    out.mkdir()
    made = {}
    for who in (["--annotator", "alice"], ["--annotator", "bob"], ["--gold"]):
        target = out / f"{who[-1]}.jsonl"
        options = ["--format", "native", "-o", str(target), "--include-unlabelled"]
        assert main(["export", str(project), *options, *who]) == 0
        made[who[-1]] = target.read_bytes()
    return made


def test_a_folder_copied_to_a_database_and_back_is_the_same_project(
    tmp_path: Path,
    databases: Databases,
    articles_dir: Path,
    fixtures_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source, back = tmp_path / "source", tmp_path / "back"
    postgres_url = databases.new(template=None)
    make_source(source, articles_dir, fixtures_dir, capsys)
    assert main(["copy", str(source), postgres_url]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"{postgres_url}: copied ") and "labels of 3 annotators" in said
    with open_postgres(postgres_url) as database, Project.open(source) as folder:
        assert database.document_ids() == folder.document_ids()
        assert database.annotators() == ["alice", "bob", GOLD_ANNOTATOR]
        assert database.suggestion_annotators() == ["dave"]
        assert database.settings == folder.settings and database.schema == folder.schema
        assert database.name == folder.name
    assert main(["copy", postgres_url, str(back)]) == 0
    assert (back / "annotator.json").read_bytes() == (source / "annotator.json").read_bytes()
    assert (back / "documents.jsonl").read_bytes() == (source / "documents.jsonl").read_bytes()
    original, copied = exports(source, tmp_path / "a"), exports(back, tmp_path / "b")
    assert copied == original and all(original.values())
    with Project.open(source) as folder, Project.open(back) as again:
        before, after = folder.suggestions("dave", False), again.suggestions("dave", False)
        assert len(before) > 0
        assert [before.get_record(d) for d in before.doc_ids()] == [
            after.get_record(d) for d in before.doc_ids()
        ]
    # The copy refuses to land on a project that holds anything.
    assert main(["copy", str(source), str(back)]) == 1
    assert "not empty" in capsys.readouterr().err


def test_copying_into_an_empty_database_and_an_annotator_init_folder(
    tmp_path: Path, databases: Databases, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "source"
    assert main(["init", str(source), "--name", "Wire desk"]) == 0
    empty_database = databases.new(template=None)
    assert main(["copy", str(source), empty_database]) == 0
    with open_postgres(empty_database) as database:
        assert database.name == "Wire desk" and len(database) == 0
    made_by_init = tmp_path / "made"
    assert main(["init", str(made_by_init)]) == 0
    assert main(["copy", empty_database, str(made_by_init)]) == 0
    assert capsys.readouterr().out.endswith(
        "copied 0 documents, labels of 0 annotators (0 document labels), 0 documents' suggestions\n"
    )
    with Project.open(made_by_init) as copied:
        assert copied.name == "made" and len(copied) == 0


def test_a_copy_failing_half_way_leaves_the_database_as_it_was(
    tmp_path: Path,
    databases: Databases,
    articles_dir: Path,
    fixtures_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import psycopg

    from annotator.core.errors import AnnotatorError
    from annotator.store import transfer

    source = tmp_path / "source"
    make_source(source, articles_dir, fixtures_dir, capsys)
    copied = transfer._copy_layer

    def fail_on_bob(source_layer: object, destination: object) -> int:
        if getattr(source_layer, "name", "") == "bob":
            raise AnnotatorError("the server went away")
        return copied(source_layer, destination)  # type: ignore[arg-type]

    monkeypatch.setattr(transfer, "_copy_layer", fail_on_bob)
    # Into an empty database: the tables the copy made are gone again.
    empty = databases.new(template=None)
    assert main(["copy", str(source), empty]) == 1
    assert "the server went away" in capsys.readouterr().err
    with psycopg.connect(empty) as conn:
        assert conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public'"
        ).fetchone() == (0,)
    # Into the empty project `annotator init` made: empty again, its schema kept.
    made = databases.new(template=None)
    assert main(["init", made, "--name", "Desk"]) == 0
    with open_postgres(made) as before:
        schema, settings = before.schema, before.settings
    assert main(["copy", str(source), made]) == 1
    with open_postgres(made) as after:
        assert len(after) == 0 and after.annotators() == [] and after.name == "Desk"
        assert after.schema == schema and after.settings == settings
    # Nothing stands in the way of copying again.
    monkeypatch.setattr(transfer, "_copy_layer", copied)
    assert main(["copy", str(source), made]) == 0
