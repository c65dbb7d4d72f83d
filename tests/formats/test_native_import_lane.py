"""Native imports write a new document's checked span records straight into the journal:
the lines must be the ones the store writes from models, and nothing is checked twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.core.errors import AnnotatorError
from annotator.core.records import annotation_from_record
from annotator.formats.base import CheckedLabels
from annotator.formats.native import reader
from annotator.services import import_sources
from annotator.store import Project

TEXT = "Xi 👍🏽 said “café\u0301” in 北京\tand left."


def _span(phrase: str, number: int, **extra: Any) -> dict[str, Any]:
    start = TEXT.index(phrase)
    return {
        "id": f"T{number}",
        "start": start,
        "end": start + len(phrase),
        "label": "L",
        "text": phrase,
        **extra,
    }


def _records() -> list[dict[str, Any]]:
    relation = {"id": "R1", "label": "ATTRIBUTED_TO", "head": "T2", "tail": "T1"}
    return [
        # As native export writes them: optional fields left out.
        {
            "id": "a",
            "text": TEXT,
            "spans": [_span("Xi", 1), _span("北京", 2)],
            "relations": [relation],
            "status": "done",
            "note": "n",
        },
        # Every field, in field order, with attrs and notes.
        {
            "id": "b",
            "text": TEXT + " b",
            "annotator": "bob",
            "spans": [
                _span("👍🏽", 1, attrs={"k": [1]}, note="x"),
                _span("café\u0301", 2, attrs={}, note=""),
            ],
            "relations": [{**relation, "note": "why"}],
        },
        # Every field, in another order: models' path.
        {
            "id": "c",
            "text": TEXT + " c",
            "spans": [{"note": "", "attrs": {}, **_span("Xi", 1)}],
            "relations": [],
        },
        # No labels at all, and empty label lists.
        {"id": "d", "text": TEXT + " d"},
        {"id": "e", "text": TEXT + " e", "spans": [], "relations": []},
    ]


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    return path


def test_reader_keeps_checked_records_only_in_field_order(tmp_path: Path) -> None:
    source = _write(tmp_path / "in.jsonl", _records())
    labels = [label for record in reader.read(source) for label in record.labels.values()]
    assert {type(label) for label in labels} == {CheckedLabels}
    assert [label.fits_text for label in labels[:3]] == [True, True, False]


def test_checked_lines_equal_the_stores_own(tmp_path: Path, project_path: Path) -> None:
    source = _write(tmp_path / "in.jsonl", _records())
    with Project.open(project_path) as project:
        summary = import_sources(project, [source], "native")
        assert summary.labelled == {"imported": 3, "bob": 1}  # "d" has no labels
        for name in ("imported", "bob"):
            store = project.annotations(name)
            raw = (project_path / "annotations" / f"{name}.jsonl").read_bytes().splitlines()
            assert len(raw) == len(store)
            for line in raw:
                annotation = annotation_from_record(orjson.loads(line))
                text = project.get_text(annotation.doc_id)
                assert store.prepare(annotation, text).line == line
                assert [text[s.start : s.end] for s in annotation.spans] == [
                    s.text for s in annotation.spans
                ]
        a = project.annotations("imported").get("a")
        assert a is not None
        assert (a.status, a.note, [r.head for r in a.relations]) == ("done", "n", ["T2"])
        assert project.annotations("imported").get("e") is not None
        e = project.annotations("imported").get("e")
        assert e is not None and e.status == "todo"
        b = project.annotations("bob").get("b")
        assert b is not None and b.status == "in_progress" and b.spans[0].attrs == {"k": [1]}


def test_second_import_merges_instead(tmp_path: Path, project_path: Path) -> None:
    source = _write(tmp_path / "in.jsonl", _records()[:1])
    more = _records()[:1]
    more[0]["spans"] = [_span("Xi", 1), _span("said", 3)]
    more[0]["relations"] = []
    with Project.open(project_path) as project:
        import_sources(project, [source], "native")
        import_sources(project, [_write(tmp_path / "more.jsonl", more)], "native")
        a = project.annotations("imported").get("a")
        assert a is not None
        assert sorted(s.text for s in a.spans) == ["Xi", "said", "北京"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"spans": [{**_span("Xi", 1), "text": "Yi"}]}, "in.jsonl:2"),
        ({"spans": [_span("Xi", 1), _span("北京", 1)]}, "duplicate span id 'T1'"),
        ({"relations": [{"id": "R1", "label": "A", "head": "T9", "tail": "T1"}]}, "missing span"),
    ],
)
def test_bad_records_refuse_the_import(
    tmp_path: Path, project_path: Path, change: dict[str, Any], message: str
) -> None:
    records = _records()
    records[1] = {**records[1], **change}
    source = _write(tmp_path / "in.jsonl", records)
    with Project.open(project_path) as project:
        before = {p: p.read_bytes() for p in project_path.rglob("*") if p.is_file()}
        with pytest.raises(AnnotatorError, match=message):
            import_sources(project, [source], "native")
    after = {p: p.read_bytes() for p in project_path.rglob("*") if p.is_file()}
    # The annotator's (empty) journal and lock files may now exist; nothing else changed.
    assert {p: after[p] for p in before} == before
    assert not any(after[p] for p in after.keys() - before.keys())
