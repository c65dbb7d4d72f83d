"""The whole command line on a database URL gives what it gives on a folder.

``init``, ``import`` (native, doccano, brat), ``export``, ``check`` and ``agree`` run on
a fresh database of the test cluster and on a folder; exports must be the same bytes,
and messages the same once the location is named alike. An import that fails half-way
leaves the database as it was.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.cli import main
from annotator.store.open import open_project
from tests.store.postgres.server import Databases

pytestmark = pytest.mark.postgres

FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures"


class _FrozenClock(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> _FrozenClock:
        return cls(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every "updated" the same, so that exports of two imports compare byte by byte."""
    import annotator.core.models as models

    monkeypatch.setattr(models, "datetime", _FrozenClock)


def native_source(tmp_path: Path) -> Path:
    """Hand-written native lines: emoji, combining marks, CRLF, a relation."""
    text = "Zoë said “hi” 👍🏽 to Ana.\r\nThen Bob left."
    lines = [
        {
            "id": "n1",
            "text": text,
            "spans": [
                {"start": 0, "end": 3, "label": "PERSON"},
                {"start": text.index("Ana"), "end": text.index("Ana") + 3, "label": "PERSON"},
            ],
        },
        {"id": "n2", "text": "Cafe\u0301 owners met in Zürich.", "spans": []},
    ]
    path = tmp_path / "native.jsonl"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def session(
    capsys: pytest.CaptureFixture[str], project: str, tmp_path: Path, out: Path
) -> list[tuple[int, str, str]]:
    """Every command of the scenario on ``project``, its outputs in ``out``; the
    messages with the project's location replaced by PROJECT."""
    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not beside the checkout")
    out.mkdir()
    doccano = FIXTURES / "doccano" / "sequence_labeling.export.jsonl"
    commands = [
        ["init", project],
        ["import", project, str(native_source(tmp_path)), "--annotator", "ana"],
        ["import", project, str(native_source(tmp_path)), "--annotator", "bob"],
        ["import", project, str(doccano), "--format", "doccano", "--annotator", "ana"],
        ["import", project, str(FIXTURES / "brat"), "--format", "brat", "--annotator", "bob"],
        ["export", project, "--format", "native", "-o", str(out / "all.jsonl"),
         "--annotator", "ana", "--include-unlabelled"],
        ["export", project, "--format", "doccano", "-o", str(out / "ana.doccano.jsonl"),
         "--annotator", "ana"],
        ["export", project, "--format", "native", "-o", str(out / "bob.jsonl"),
         "--annotator", "bob"],
        ["check", project],
        ["agree", project, "--json"],
    ]  # fmt: skip
    try:
        import spacy  # noqa: F401

        commands.append(
            ["export", project, "--format", "spacy", "-o", str(out / "ana.spacy"),
             "--annotator", "ana"]
        )  # fmt: skip
    except ImportError:
        pass
    results = []
    for command in commands:
        code, stdout, stderr = run(capsys, *command)
        results.append(
            (
                code,
                stdout.replace(project, "PROJECT").replace(str(out), "OUT"),
                stderr.replace(project, "PROJECT").replace(str(out), "OUT"),
            )
        )
    return results


def test_the_command_line_on_a_url_gives_what_it_gives_on_a_folder(
    databases: Databases, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = databases.new(template=None)
    on_folder = session(capsys, str(tmp_path / "folder"), tmp_path, tmp_path / "from-folder")
    on_url = session(capsys, url, tmp_path, tmp_path / "from-url")
    assert [code for code, _, _ in on_folder] == [0] * len(on_folder)
    assert on_url == on_folder
    written = sorted(p.name for p in (tmp_path / "from-folder").iterdir())
    assert "all.jsonl" in written and "ana.doccano.jsonl" in written
    for name in written:
        got = (tmp_path / "from-url" / name).read_bytes()
        assert got == (tmp_path / "from-folder" / name).read_bytes(), name


def test_an_import_failing_late_in_the_file_leaves_the_database_unchanged(
    databases: Databases, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = databases.new(template=None)
    assert run(capsys, "init", url)[0] == 0
    assert run(capsys, "import", url, str(native_source(tmp_path)), "--annotator", "ana")[0] == 0
    with open_project(url) as project:
        before = (
            [(d.id, d.text, d.meta) for d in project.iter_documents()],
            project.schema.model_dump(mode="json"),
            {d: project.layer_reader("ana").get_record(d) for d in project.document_ids()},
        )
    lines = [
        {"id": f"new{n}", "text": f"Zoë met 👍🏽 {n}.", "spans": [{"start": 0, "end": 3,
         "label": "BRANDNEW"}]}
        for n in range(800)
    ]  # fmt: skip
    lines.append({"id": "n1", "text": "Another text under a stored id.", "spans": []})
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    code, _, err = run(capsys, "import", url, str(bad), "--annotator", "ana")
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert "bad.jsonl:801" in err and "different text" in err
    with open_project(url) as project:
        after = (
            [(d.id, d.text, d.meta) for d in project.iter_documents()],
            project.schema.model_dump(mode="json"),
            {d: project.layer_reader("ana").get_record(d) for d in project.document_ids()},
        )
        assert project.unfinished_import() is None
    assert after == before
