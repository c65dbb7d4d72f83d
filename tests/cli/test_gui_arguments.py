"""`annotator gui`'s command line: bare `annotator` means gui, errors and help read as
argparse writes them, and a bad project or name is one line before any window."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from annotator import cli
from annotator.store import Project


def full_parse(arguments: list[str]) -> argparse.Namespace:
    return cli.build_parser().parse_args(cli._default_to_gui(arguments))


def test_the_command_list_matches_the_parser() -> None:
    parser = cli.build_parser()
    assert parser._subparsers is not None
    choices: list[str] = []
    for action in parser._subparsers._group_actions:
        choices.extend(getattr(action, "choices", None) or ())
    assert tuple(choices) == cli.COMMANDS


@pytest.mark.parametrize(
    "arguments", [["gui", "a", "b"], ["gui", "--bogus"], ["--bogus"], ["gui", "--annotator"]]
)
def test_errors_read_as_the_full_parser_writes_them(
    arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as full:
        full_parse(arguments)
    expected = capsys.readouterr()
    with pytest.raises(SystemExit) as through_main:
        cli.main(arguments)
    assert capsys.readouterr() == expected
    assert through_main.value.code == full.value.code == 2


def test_gui_help_is_the_full_parsers(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["gui", "--help"])
    out = capsys.readouterr().out
    assert out.startswith(
        "usage: annotator gui [-h] [--annotator ANNOTATOR] [--remember] [project]"
    )
    assert out.count("usage:") == 1


def test_a_folder_that_is_no_project_is_one_line_before_any_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "not a project ünïcode"
    folder.mkdir()
    assert cli.main(["gui", str(folder)]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert err == f"annotator: error: {folder}: not a project folder (no annotator.json)\n"
    assert cli.main(["gui", str(tmp_path / "missing")]) == cli.EXIT_ERROR
    assert "not a project folder" in capsys.readouterr().err


def test_a_bad_annotator_name_is_one_line_before_any_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Project.create(tmp_path / "p").close()
    assert cli.main(["gui", str(tmp_path / "p"), "--annotator", "a/b"]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("annotator: error: annotator name 'a/b' must be") and err.count("\n") == 1
