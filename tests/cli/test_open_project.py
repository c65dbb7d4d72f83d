"""One way in: a folder path or a postgresql:// URL, and every command takes either.

The team server's store (annotator.store.postgres) is stood in for by a module whose
open_postgres/create_postgres hand out memory projects (the ``team_server`` fixture):
what the command line does with a URL is then exactly what it does with a folder,
through the storage interface.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import pytest

from annotator.cli import main
from annotator.core.errors import AnnotatorError
from annotator.core.models import LabelSchema
from annotator.store import Project
from annotator.store.interface import ProjectStore
from annotator.store.memory import MemoryProject
from annotator.store.open import (
    create_project,
    location_name,
    open_project,
    project_folder,
    project_location,
    shown_location,
)

URL = "postgresql://ana:s3cret@db.example:5433/newsroom"
SHOWN = "postgresql://ana@db.example:5433/newsroom"


def test_a_folder_opens_as_the_folder_store(tmp_path: Path) -> None:
    schema = LabelSchema.model_validate({"labels": [{"name": "PERSON"}]})
    created = create_project(tmp_path / "p", name="News", schema=schema)
    assert isinstance(created, Project) and isinstance(created, ProjectStore)
    assert created.name == "News" and created.schema.label_names() == ["PERSON"]
    created.close()
    with open_project(str(tmp_path / "p"), recover=False) as opened:
        assert isinstance(opened, Project) and opened.location == str(tmp_path / "p")
        assert project_folder(opened) == tmp_path / "p"
    assert project_folder(MemoryProject()) is None


def test_a_url_goes_to_the_team_server_store_with_the_same_arguments(
    team_server: dict[str, MemoryProject],
) -> None:
    schema = LabelSchema.model_validate({"labels": [{"name": "ORG"}]})
    created = create_project(URL, name="Desk", schema=schema)
    assert created is team_server[URL] and created.location == SHOWN
    assert open_project(URL, recover=False) is created
    calls = sys.modules["annotator.store.postgres"].calls  # type: ignore[attr-defined]
    assert calls == [
        ("create", URL, {"name": "Desk", "schema": schema}),
        ("open", URL, {"recover": False}),
    ]
    assert project_folder(created) is None
    other = create_project("postgres://db.example/desk")
    assert open_project("postgres://db.example/desk") is other


def test_without_the_team_server_support_a_url_is_one_line_without_its_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "annotator.store.postgres", None)
    with pytest.raises(AnnotatorError) as refused:
        open_project(URL)
    assert str(refused.value) == f"{SHOWN}: the team server support (PostgreSQL) is not installed"
    assert main(["check", URL]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == f"annotator: error: {refused.value}\n"
    assert "s3cret" not in err


def test_locations_as_typed_and_as_shown() -> None:
    assert project_location(URL) == URL
    assert project_location("postgres://h/db") == "postgres://h/db"
    assert project_location("some/folder") == Path("some/folder")
    assert project_location(Path("postgresql:/x")) == Path("postgresql:/x")
    assert shown_location("postgresql://h:5432/db") == "postgresql://h:5432/db"
    assert shown_location(Path("a/b")) == "a/b"
    assert location_name(URL) == "newsroom" and location_name(Path("x/News")) == "News"


def test_every_command_takes_a_url_where_it_takes_a_folder(
    tmp_path: Path, team_server: dict[str, MemoryProject], capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b"".join(
            orjson.dumps(
                {
                    "id": f"d{n}",
                    "text": f"Zoë Ünal met Bob {n}.",
                    "spans": [{"start": 0, "end": 8, "label": "PERSON", "text": "Zoë Ünal"}],
                    "status": "done",
                }
            )
            + b"\n"
            for n in range(3)
        )
    )
    assert main(["init", URL, str(source), "--annotator", "ana"]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith(f"{SHOWN}: project created; 3 documents added")
    assert main(["import", URL, str(source), "--annotator", "bob"]) == 0
    out, _ = capsys.readouterr()
    assert out == f"{SHOWN}: 0 documents added, 3 already present, labels for 3 documents to bob\n"
    project = team_server[URL]
    assert project.annotators() == ["ana", "bob"]

    out_file = tmp_path / "out.jsonl"
    assert main(["export", URL, "--format", "native", "-o", str(out_file), "--gold"]) == 1
    assert "no gold labels yet" in capsys.readouterr().err
    code = main(["export", URL, "--format", "native", "-o", str(out_file), "--annotator", "ana"])
    assert code == 0
    assert [orjson.loads(line)["id"] for line in out_file.read_bytes().splitlines()] == [
        "d0",
        "d1",
        "d2",
    ]
    capsys.readouterr()

    assert main(["check", URL]) == 0
    assert capsys.readouterr().out == f"{SHOWN}: 3 documents, no problems\n"
    assert main(["agree", URL, "--json"]) == 0
    assert orjson.loads(capsys.readouterr().out)["documents"] == 3

    patterns = tmp_path / "patterns.jsonl"
    patterns.write_bytes(orjson.dumps({"label": "PERSON", "pattern": "Bob"}) + b"\n")
    assert main(["suggest", URL, "--patterns", str(patterns), "--annotator", "ana"]) == 0
    capsys.readouterr()
    suggested = project.suggestions("ana", writable=False)
    assert sorted(suggested.doc_ids()) == ["d0", "d1", "d2"]
