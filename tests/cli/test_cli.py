"""The command line: init, import, export, check, schema; every error is one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.cli import main
from annotator.core import DocumentAnnotation, Relation, Span
from annotator.core.text import normalize_newlines
from annotator.store import Project
from tests.store.helpers import snapshot

REPO = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "annotator.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


def test_init_from_the_articles_then_check_in_a_real_process(
    tmp_path: Path, articles_dir: Path
) -> None:
    project = tmp_path / "p"
    created = run_process("init", str(project), str(articles_dir))
    assert created.returncode == 0, created.stderr
    assert "5 documents added" in created.stdout
    checked = run_process("check", str(project))
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == f"{project}: 5 documents, no problems"
    stored = {
        item["id"]: item["text"]
        for item in map(orjson.loads, (project / "documents.jsonl").read_bytes().splitlines())
    }
    for path in articles_dir.glob("*.txt"):
        assert stored[path.stem] == normalize_newlines(path.read_text(encoding="utf-8"))[0]


def test_init_without_sources_and_import_later(
    tmp_path: Path, articles_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "p"
    assert run(capsys, "init", str(project), "--name", "Wire")[0] == 0
    code, out, _ = run(capsys, "import", str(project), str(articles_dir))
    assert code == 0 and "5 documents added" in out
    code, out, _ = run(capsys, "import", str(project), str(articles_dir))
    assert code == 0 and "0 documents added, 5 already present" in out
    with Project.open(project) as opened:
        assert opened.name == "Wire" and len(opened) == 5


# --- bad input: one line, exit 1, project unchanged ------------------------------------


def _bad_sources(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, what the one stderr line must contain besides the file name)."""
    files: dict[str, tuple[Path, bytes, str]] = {
        "latin1": (folder / "latin1.txt", "Titre\nCaf\u00e9\n".encode("latin-1"), ":2: not UTF-8"),
        "empty": (folder / "empty.txt", b"", "empty"),
        "binary": (folder / "binary.txt", b"\x7fELF\x02\x01\x01\x00\x00\x00" * 20, "binary"),
        "broken-jsonl": (
            folder / "broken.jsonl",
            b'{"id": "a", "text": "fine"}\n{"id": "b", "text": "fine too"}\n{"id": "c", "te\n',
            ":3: broken JSON line",
        ),
        "json-without-text": (
            folder / "notext.json",
            b'[{"id": "a", "text": "fine"}, {"id": "b", "body": "no text field"}]',
            '[1] has no "text"',
        ),
        "duplicate-ids": (
            folder / "dups.jsonl",
            b'{"id": "a", "text": "one"}\n{"id": "a", "text": "two"}\n',
            ":2: document id 'a' is already earlier in this import",
        ),
    }
    folder.mkdir(parents=True, exist_ok=True)
    result = {}
    for name, (path, content, expected) in files.items():
        path.write_bytes(content)
        result[name] = (path, expected)
    return result


BAD = ["latin1", "empty", "binary", "broken-jsonl", "json-without-text", "duplicate-ids"]


@pytest.mark.parametrize("case", BAD)
def test_bad_input_to_import_is_one_line_and_changes_nothing(
    case: str, tmp_path: Path, articles_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "p"
    assert run(capsys, "init", str(project), str(articles_dir))[0] == 0
    before = snapshot(project)
    path, expected = _bad_sources(tmp_path / "in")[case]
    code, out, err = run(capsys, "import", str(project), str(path))
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("annotator: error: ") and str(path) in lines[0]
    assert expected in lines[0]
    assert "Traceback" not in err and out == ""
    assert snapshot(project) == before


@pytest.mark.parametrize("case", BAD)
def test_bad_input_to_init_leaves_no_project_behind(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "p"
    path, expected = _bad_sources(tmp_path / "in")[case]
    code, _, err = run(capsys, "init", str(project), str(path))
    assert code == 1 and len(err.splitlines()) == 1 and expected in err
    assert not project.exists()


def test_a_bad_file_in_a_real_process_is_one_line_without_traceback(tmp_path: Path) -> None:
    project = tmp_path / "p"
    Project.create(project).close()
    before = snapshot(project)
    path, _ = _bad_sources(tmp_path / "in")["broken-jsonl"]
    result = run_process("import", str(project), str(path))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"annotator: error: {path}:3: broken JSON line: unexpected end of data"
    ] or (len(result.stderr.splitlines()) == 1 and f"{path}:3" in result.stderr)
    assert snapshot(project) == before


def test_missing_source_and_missing_project_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "init", str(tmp_path / "p"), str(tmp_path / "nope.txt"))
    assert code == 1 and err.count("\n") == 1 and "nope.txt" in err
    assert not (tmp_path / "p").exists()
    code, _, err = run(capsys, "check", str(tmp_path / "nowhere"))
    assert code == 1 and err.count("\n") == 1 and "not a project folder" in err


# --- check ------------------------------------------------------------------------------


def _label(project_path: Path) -> None:
    with Project.open(project_path) as project:
        store = project.annotations("alice")
        for doc_id in project.document_ids()[:2]:
            text = project.get_text(doc_id)
            annotation = DocumentAnnotation(doc_id=doc_id)
            start = text.index("Xi")
            annotation.add_span(Span.of(text, start, start + 2, "PERSON", "T1"))
            start = text.index("Putin")
            annotation.add_span(Span.of(text, start, start + 5, "SOURCE", "T2"))
            annotation.add_relation(Relation(id="R1", label="ATTRIBUTED_TO", head="T1", tail="T2"))
            store.save(annotation)


def test_check_reports_each_span_whose_text_no_longer_matches(
    tmp_path: Path, articles_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "p"
    assert run(capsys, "init", str(project), str(articles_dir))[0] == 0
    _label(project)
    assert run(capsys, "check", str(project))[0] == 0
    journal = project / "annotations" / "alice.jsonl"
    # Same length, other characters: the record still parses, the span no longer fits.
    journal.write_bytes(journal.read_bytes().replace(b'"text":"Putin"', b'"text":"Putyn"'))
    code, out, err = run(capsys, "check", str(project))
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2
    for number, line in enumerate(lines, 1):
        assert line.startswith(f"{journal}:{number}: ") and "'Putyn'" in line and "T2" in line
    assert err.strip() == f"{project}: 2 problems"


def test_check_reports_labels_made_on_a_changed_text_and_broken_lines(
    tmp_path: Path, articles_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "p"
    assert run(capsys, "init", str(project), str(articles_dir))[0] == 0
    _label(project)
    documents = project / "documents.jsonl"
    first, rest = documents.read_bytes().split(b"\n", 1)
    record = orjson.loads(first)
    record["text"] = "Edited. " + record["text"]
    documents.write_bytes(orjson.dumps(record) + b"\n" + rest)
    with (project / "annotations" / "alice.jsonl").open("ab") as handle:
        handle.write(b'{"doc_id": "torn", "spa')
    code, out, _ = run(capsys, "check", str(project))
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2
    assert any("cut off" in line and "alice.jsonl:3" in line for line in lines)
    assert any("different text" in line and record["id"] in line for line in lines)


# --- schema and export ------------------------------------------------------------------

SCHEMA_KEYWORDS = {
    "$defs",
    "$ref",
    "title",
    "description",
    "type",
    "properties",
    "required",
    "items",
    "additionalProperties",
    "anyOf",
    "enum",
    "const",
    "default",
    "minimum",
    "minLength",
    "pattern",
}


def _check_schema(schema: Any, root: dict[str, Any], where: str = "#") -> None:
    """Every keyword is JSON Schema, every $ref resolves, required names exist."""
    if not isinstance(schema, dict):
        return
    unknown = set(schema) - SCHEMA_KEYWORDS
    assert not unknown, f"{where}: not JSON Schema keywords: {unknown}"
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        assert name in root["$defs"], f"{where}: dangling $ref {schema['$ref']}"
    for required in schema.get("required", []):
        assert required in schema["properties"]
    for key in ("properties", "$defs"):
        for name, sub in schema.get(key, {}).items():
            _check_schema(sub, root, f"{where}/{key}/{name}")
    for sub in schema.get("anyOf", []):
        _check_schema(sub, root, f"{where}/anyOf")
    if isinstance(schema.get("items"), dict):
        _check_schema(schema["items"], root, f"{where}/items")
    if isinstance(schema.get("additionalProperties"), dict):
        _check_schema(schema["additionalProperties"], root, f"{where}/additionalProperties")


def _conforms(value: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    """A small validator for the keywords pydantic emits, enough to check our own records."""
    if "$ref" in schema:
        return _conforms(value, root["$defs"][schema["$ref"].removeprefix("#/$defs/")], root)
    if "anyOf" in schema:
        return any(_conforms(value, sub, root) for sub in schema["anyOf"])
    if "enum" in schema and value not in schema["enum"]:
        return False
    kinds = {
        "object": dict,
        "array": list,
        "string": str,
        "integer": int,
        "boolean": bool,
        "null": type(None),
    }
    kind = schema.get("type")
    if kind is not None and not isinstance(value, kinds[kind]):
        return False
    if kind == "integer" and "minimum" in schema and value < schema["minimum"]:
        return False
    if kind == "object":
        if any(name not in value for name in schema.get("required", [])):
            return False
        properties = schema.get("properties", {})
        return all(
            _conforms(item, properties[name], root)
            for name, item in value.items()
            if name in properties
        )
    if kind == "array" and isinstance(schema.get("items"), dict):
        return all(_conforms(item, schema["items"], root) for item in value)
    return True


@pytest.mark.parametrize("what", ["native", "labels", "project"])
def test_schema_prints_json_schema(what: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "schema", what)
    assert code == 0 and err == ""
    schema = orjson.loads(out)
    assert schema["type"] == "object" and schema["properties"]
    _check_schema(schema, schema)


def test_export_native_parses_and_matches_the_project(
    tmp_path: Path, articles_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "p"
    assert run(capsys, "init", str(project), str(articles_dir))[0] == 0
    _label(project)
    out_file = tmp_path / "out" / "export.jsonl"
    code, out, err = run(
        capsys,
        "export",
        str(project),
        "--format",
        "native",
        "-o",
        str(out_file),
        "--include-unlabelled",
    )
    assert code == 0, err
    assert "exported 5 documents, 4 spans, 2 relations" in out
    records = [orjson.loads(line) for line in out_file.read_bytes().splitlines()]
    schema = orjson.loads(run(capsys, "schema")[1])
    with Project.open(project) as opened:
        store = opened.annotations("alice", writable=False)
        assert [record["id"] for record in records] == opened.document_ids()
        for record in records:
            assert _conforms(record, schema, schema)
            assert record["text"] == opened.get_text(record["id"])
            assert record["annotator"] == "alice"
            saved = store.get(record["id"])
            expected_spans = [] if saved is None else saved.spans
            assert [(s["id"], s["start"], s["end"], s["label"]) for s in record["spans"]] == [
                (s.id, s.start, s.end, s.label) for s in expected_spans
            ]
            for span in record["spans"]:
                assert record["text"][span["start"] : span["end"]] == span["text"]
    assert not _conforms({"id": "x"}, schema, schema)  # the validator does refuse


def test_export_with_two_analysts_asks_whose_labels(
    tmp_path: Path, articles_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "p"
    assert run(capsys, "init", str(project), str(articles_dir))[0] == 0
    _label(project)
    with Project.open(project) as opened:
        opened.annotations("bob").save(
            opened.annotations("bob").get_or_new("xi-convenes-putin-kim-beijing")
        )
    out_file = tmp_path / "o.jsonl"
    code, _, err = run(capsys, "export", str(project), "--format", "native", "-o", str(out_file))
    assert code == 1 and len(err.splitlines()) == 1 and "--annotator" in err
    assert not out_file.exists()
