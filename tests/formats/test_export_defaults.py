"""Exports are training data: only worked-on documents by default, and what was left out is said."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.cli import main
from annotator.services import export_project, import_sources
from annotator.store import Project

TEXT = "Alice 👍🏽 met Bob\r\nin Café Noël."


def span(span_id: str, word: str, label: str = "PERSON", **extra: Any) -> dict[str, Any]:
    text = TEXT.replace("\r\n", "\n")
    start = text.index(word)
    return {"id": span_id, "start": start, "end": start + len(word), "label": label, **extra}


def document(doc_id: str, status: str, spans: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "id": doc_id,
        "text": f"{TEXT} ({doc_id})",
        "spans": spans,
        "relations": [],
        "status": status,
        **extra,
    }


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """Documents in every state an analyst leaves them, labelled by alice."""
    done = document(
        "done",
        "done",
        [span("T1", "Alice", note="the minister"), span("T2", "Bob", attrs={"Negated": True})],
        note="checked twice",
    )
    done["relations"] = [{"id": "R1", "label": "MET", "head": "T1", "tail": "T2", "note": "once"}]
    records = [
        document("untouched", "todo", []),
        document("todo-with-spans", "todo", [span("T1", "Bob")]),
        document("in-progress", "in_progress", []),
        done,
        document("skipped", "skipped", [span("T1", "Alice")]),
    ]
    source = tmp_path / "native.jsonl"
    source.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    project = Project.create(tmp_path / "p")
    import_sources(project, [source], "native", annotator="alice")
    # A Prodigy task answered "ignore": its document comes in without labels.
    ignored = tmp_path / "prodigy.jsonl"
    ignored.write_bytes(
        orjson.dumps({"text": "Nobody looked at this one.", "answer": "ignore", "spans": []})
        + b"\n"
    )
    import_sources(project, [ignored], "prodigy", annotator="alice")
    assert len(project) == 6
    project.close()
    return tmp_path / "p"


def exported_ids(path: Path) -> list[str]:
    return sorted(orjson.loads(line)["id"] for line in path.read_bytes().splitlines())


def test_only_worked_on_documents_are_exported_by_default(
    mixed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    assert main(["export", str(mixed), "--format", "native", "-o", str(out)]) == 0
    assert exported_ids(out) == ["done", "in-progress", "todo-with-spans"]
    printed = capsys.readouterr().out.splitlines()
    assert printed[1:] == [
        "not exported: 2 unlabelled (status todo, no labels) and 1 skipped documents "
        "(--include-unlabelled exports them too)"
    ]


def test_include_unlabelled_brings_every_document(
    mixed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    args = ["export", str(mixed), "--format", "native", "-o", str(out), "--include-unlabelled"]
    assert main(args) == 0
    assert len(exported_ids(out)) == 6
    assert capsys.readouterr().out.splitlines()[0].startswith("exported 6 documents")


def test_a_status_asked_for_is_exported(mixed: Path, tmp_path: Path) -> None:
    with Project.open(mixed) as project:
        out = tmp_path / "skipped.jsonl"
        summary = export_project(project, "native", out, statuses=["skipped", "todo"])
    ids = exported_ids(out)
    assert len(ids) == 4  # the Prodigy task answered "ignore" too
    assert {"skipped", "todo-with-spans", "untouched"} < set(ids)
    assert summary.unlabelled_left_out == summary.skipped_left_out == 0


@pytest.mark.parametrize("labels", [None, ["PERSON"]])
def test_the_summary_counts_what_the_format_left_out_of_this_export(
    mixed: Path, tmp_path: Path, labels: list[str] | None
) -> None:
    """Counted over the documents exported (not the ones left out), whether labels come
    as sealed journal lines or filtered records."""
    with Project.open(mixed) as project:
        summary = export_project(project, "bio", tmp_path / "out.jsonl", labels=labels)
    assert summary.documents == 3
    assert summary.left_out_lines() == [
        "not exported: 2 unlabelled (status todo, no labels) and 1 skipped documents "
        "(--include-unlabelled exports them too)",
        "bio cannot carry, so left out: the status of 3 documents (1 todo, 1 in_progress, "
        "1 done), 1 relations, 1 document notes, 1 span notes, 1 spans with attributes, "
        "1 relation notes",
    ]


def test_brat_says_only_the_status_is_left_out(
    mixed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "brat"
    assert main(["export", str(mixed), "--format", "brat", "-o", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == (
        "brat cannot carry, so left out: the status of 3 documents (1 todo, 1 in_progress, "
        "1 done), 1 document notes"
    )
    assert "AnnotatorNotes" in (out / "done.ann").read_text()


def test_native_leaves_nothing_out(mixed: Path, tmp_path: Path) -> None:
    with Project.open(mixed) as project:
        summary = export_project(project, "native", tmp_path / "o.jsonl", include_unlabelled=True)
    assert summary.left_out_lines() == [] and summary.not_carried == {}
