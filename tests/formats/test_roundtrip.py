"""Every importable format: export, import into a new project, the same labels come back."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.services import export_project, import_sources
from annotator.store import Project
from tests.formats.tricky import DOC_ID, TEXT, expected_key, label_key, labels_of, make_project

# (format, output name, whether span notes survive the trip)
FORMATS = [
    ("prodigy", "out.jsonl", False),
    ("doccano", "out.jsonl", False),
    ("label-studio", "out.json", True),
    ("brat", "out", True),
]


@pytest.mark.parametrize(("fmt", "name", "notes"), FORMATS)
def test_round_trip_keeps_every_label(tmp_path: Path, fmt: str, name: str, notes: bool) -> None:
    source = make_project(tmp_path / "a", tmp_path)
    out = tmp_path / name
    summary = export_project(source, fmt, out, annotator="alice", include_unlabelled=True)
    assert summary.documents == 2 and summary.spans == 9 and summary.relations == 2

    target = Project.create(tmp_path / "b")
    notices: list[str] = []
    result = import_sources(target, [out], "auto", notify=notices.append)
    assert result.formats == {str(out): fmt}
    assert f"{out}: detected format {fmt}" in notices
    assert result.added == 2
    assert label_key(labels_of(target), notes=notes) == expected_key(notes=notes)
    target.close()
    source.close()


@pytest.mark.parametrize(("fmt", "name", "notes"), FORMATS)
def test_importing_an_export_into_its_own_project_changes_nothing(
    tmp_path: Path, fmt: str, name: str, notes: bool
) -> None:
    project = make_project(tmp_path / "a", tmp_path)
    before = label_key(project.annotations("alice").get(DOC_ID))  # type: ignore[arg-type]
    out = tmp_path / name
    export_project(project, fmt, out, annotator="alice")
    summary = import_sources(project, [out], fmt, annotator="alice")
    assert summary.added == 0
    after = project.annotations("alice").get(DOC_ID)
    assert after is not None and label_key(after) == before
    project.close()


def test_second_export_is_identical(tmp_path: Path) -> None:
    """Export, import, export: the files match byte for byte."""
    project = make_project(tmp_path / "a", tmp_path)
    for fmt in ("prodigy", "doccano", "label-studio"):
        first = tmp_path / f"{fmt}-1.json"
        export_project(project, fmt, first, annotator="alice")
        again = Project.create(tmp_path / f"b-{fmt}")
        import_sources(again, [first], fmt, annotator="alice")
        second = tmp_path / f"{fmt}-2.json"
        export_project(again, fmt, second, annotator="alice")
        assert labels_of(again).spans  # the labels came through
        assert second.read_bytes() == first.read_bytes(), fmt
        again.close()
    project.close()


def test_split_writes_one_file_per_split(tmp_path: Path) -> None:
    project = make_project(tmp_path / "a", tmp_path)
    out = tmp_path / "splits"
    summary = export_project(
        project,
        "prodigy",
        out,
        annotator="alice",
        split="train=0.5,dev=0.5",
        include_unlabelled=True,
    )
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(
        p.name for p in summary.files
    )
    assert sum(len(p.read_text().splitlines()) for p in summary.files) == 2
    project.close()


def test_label_studio_export_comes_with_a_labelling_interface(tmp_path: Path) -> None:
    project = make_project(tmp_path / "a", tmp_path)
    notices: list[str] = []
    export_project(
        project, "label-studio", tmp_path / "ls.json", annotator="alice", notify=notices.append
    )
    config = (tmp_path / "ls.label-config.xml").read_text()
    assert '<Label value="QUOTE"' in config and '<Relation value="ATTRIBUTED_TO"/>' in config
    assert any("labelling interface" in notice for notice in notices)
    project.close()


def test_text_is_stored_as_seen(tmp_path: Path) -> None:
    project = make_project(tmp_path / "a", tmp_path)
    assert project.get_document(DOC_ID).text == TEXT
    assert project.get_document(DOC_ID).meta["newlines"] == {"crlf": 2}
    project.close()
