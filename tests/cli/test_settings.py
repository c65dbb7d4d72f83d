"""`annotator settings`: show the project's settings, change the ones the app reads, and
refuse a wrong name or value in one line, leaving the project as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator import cli
from annotator.store import Project
from annotator.store.postgres.routing import analysts_needed


def test_shows_then_changes_a_folder_projects_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p"
    Project.create(path).close()
    assert cli.main(["settings", str(path)]) == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out) == {}
    assert cli.main(["settings", str(path), "analysts_per_document=2"]) == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out) == {"analysts_per_document": 2}
    assert json.loads((path / "annotator.json").read_bytes())["settings"] == {
        "analysts_per_document": 2
    }


@pytest.mark.parametrize(
    ("assignment", "said"),
    [
        ("analysts_per_document=two", "analysts_per_document must be a whole number of at least 1, not 'two'"),
        ("analysts_per_document=0", "analysts_per_document must be a whole number of at least 1, not 0"),
        ("analysts_per_document=1.5", "analysts_per_document must be a whole number of at least 1, not 1.5"),
        ("analyst_per_document=2", "unknown setting 'analyst_per_document'; known: analysts_per_document"),
        ("analysts_per_document", "'analysts_per_document': write a setting as NAME=VALUE"),
    ],
)  # fmt: skip
def test_a_wrong_setting_is_one_line_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], assignment: str, said: str
) -> None:
    path = tmp_path / "p"
    Project.create(path).close()
    cli.main(["settings", str(path), "analysts_per_document=3"])
    capsys.readouterr()
    before = (path / "annotator.json").read_bytes()
    # The good assignment beside the bad one is not applied either.
    arguments = ["settings", str(path), "analysts_per_document=2", assignment]
    assert cli.main(arguments) == cli.EXIT_ERROR
    assert capsys.readouterr().err == f"annotator: error: {said}\n"
    assert (path / "annotator.json").read_bytes() == before


@pytest.mark.postgres
def test_a_team_servers_routing_reads_the_setting(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import psycopg

    assert cli.main(["settings", postgres_url, "analysts_per_document=3"]) == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out) == {"analysts_per_document": 3}
    with psycopg.connect(postgres_url) as conn:
        assert analysts_needed(conn) == 3
