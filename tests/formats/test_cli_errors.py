"""Malformed sources through the command line: exit 1, one line on stderr, project unchanged."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import pytest

from annotator.cli import main
from tests.store.helpers import snapshot

GOOD = {"text": "Alice met Bob.", "label": [[0, 5, "PERSON"]]}


def jsonl(*items: object) -> bytes:
    return b"".join(orjson.dumps(item) + b"\n" for item in items)


CASES = [
    (
        "broken JSON",
        "doccano",
        "in.jsonl",
        jsonl(GOOD) + b'{"text": "x", "label": [[0, 1, "A"]\n',
        r"in\.jsonl:2: broken JSON line",
    ),
    (
        "truncated file",
        "label-studio",
        "in.json",
        b'[{"data": {"text": "Alice"}, "annotations": []}, {"data": {"te',
        r"in\.json:1: truncated JSON: unexpected end of data",
    ),
    (
        "span out of range",
        "doccano",
        "in.jsonl",
        jsonl(GOOD, {"text": "Bob", "label": [[0, 9, "PERSON"]]}),
        r"in\.jsonl:2: label\[0\] \[0, 9\): offset 9 is outside the text",
    ),
    (
        "span text disagrees",
        "prodigy",
        "in.jsonl",
        jsonl(
            {
                "text": "Alice met Bob.",
                "spans": [{"start": 0, "end": 5, "label": "P", "text": "Bob"}],
                "answer": "accept",
            }
        ),
        r"in\.jsonl:1: spans\[0\] says 'Bob' but the text at \[0, 5\) \(code points\) is 'Alice'",
    ),
    (
        "relation to a missing span",
        "doccano",
        "in.jsonl",
        jsonl(
            {
                "text": "Alice met Bob.",
                "entities": [{"id": 1, "start_offset": 0, "end_offset": 5, "label": "PERSON"}],
                "relations": [{"id": 1, "from_id": 1, "to_id": 2, "type": "MET"}],
            }
        ),
        r"in\.jsonl:1: relations\[0\]\.to_id 2 names no entity",
    ),
    (
        "unknown format",
        "excel",
        "in.jsonl",
        jsonl(GOOD),
        r"unknown format 'excel'",
    ),
    (
        "not UTF-8",
        "doccano",
        "in.jsonl",
        jsonl(GOOD) + b'{"text": "caf\xe9", "label": []}\n',
        r"in\.jsonl:2: not UTF-8 text: byte 0xe9",
    ),
]


@pytest.mark.parametrize(
    ("what", "fmt", "name", "data", "message"), CASES, ids=[c[0] for c in CASES]
)
def test_malformed_source_is_refused_whole(
    tmp_path: Path,
    project_path: Path,
    capsys: pytest.CaptureFixture[str],
    what: str,
    fmt: str,
    name: str,
    data: bytes,
    message: str,
) -> None:
    source = tmp_path / name
    source.write_bytes(data)
    before = snapshot(project_path)
    code = main(["import", str(project_path), str(source), "--format", fmt])
    err = capsys.readouterr().err
    assert code == 1, what
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("annotator: error: ")
    import re

    assert re.search(message, lines[0]), lines[0]
    assert snapshot(project_path) == before


def test_undetectable_source(
    tmp_path: Path, project_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "table.csv"
    source.write_text("a,b\n1,2\n")
    before = snapshot(project_path)
    assert main(["import", str(project_path), str(source)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"annotator: error: {source}: cannot tell which format this is; name it with --format"
    ]
    assert snapshot(project_path) == before


def test_auto_import_says_what_it_detected(
    tmp_path: Path, project_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(jsonl(GOOD))
    assert main(["import", str(project_path), str(source)]) == 0
    captured = capsys.readouterr()
    assert f"{source}: detected format doccano" in captured.err
    assert "1 document added, labels for 1 document to imported" in captured.out


def test_spacy_missing_gives_a_clear_message(
    tmp_path: Path,
    project_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(jsonl(GOOD))
    assert main(["import", str(project_path), str(source), "--annotator", "ann"]) == 0
    capsys.readouterr()
    monkeypatch.setitem(sys.modules, "spacy", None)
    out = tmp_path / "out.spacy"
    assert main(["export", str(project_path), "--format", "spacy", "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs spaCy" in err[0] and "pip install" in err[0]
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_failed_export_leaves_nothing(
    tmp_path: Path,
    project_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from annotator.formats import prodigy

    source = tmp_path / "in.jsonl"
    source.write_bytes(jsonl(GOOD, {"text": "Second text", "label": []}))
    assert main(["import", str(project_path), str(source), "--annotator", "ann"]) == 0

    calls = {"n": 0}
    real = prodigy.prodigy_task

    def fail_on_second(*args: object) -> object:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(prodigy, "prodigy_task", fail_on_second)
    out = tmp_path / "out.jsonl"
    arguments = ["export", str(project_path), "--format", "prodigy", "-o", str(out)]
    assert main([*arguments, "--include-unlabelled"]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "project"]
