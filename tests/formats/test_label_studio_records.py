"""Label Studio imports hand over checked span and relation records, not models: the
project they leave must be the one the models gave, and wrong labels still refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.core.errors import AnnotatorError
from annotator.formats import label_studio
from annotator.formats.base import CheckedLabels
from annotator.services import import_sources
from annotator.store import Project

TEXT = "Xi 👍🏽 said “café\u0301” in 北京\tand left.\nWang said nothing."


def _region(text: str, phrase: str, region: str, *labels: str, **extra: Any) -> dict[str, Any]:
    start = text.index(phrase)
    return {
        "id": region,
        "type": "labels",
        "from_name": "label",
        "to_name": "text",
        "value": {"start": start, "end": start + len(phrase), "text": phrase, "labels": [*labels]},
        **extra,
    }


def _utf16(region: dict[str, Any], text: str) -> dict[str, Any]:
    value = region["value"]
    before = text[: value["start"]]
    astral = sum(1 for char in before if ord(char) > 0xFFFF)
    inside = sum(1 for char in value["text"] if ord(char) > 0xFFFF)
    value["start"] += astral
    value["end"] += astral + inside
    return region


def _tasks() -> list[dict[str, Any]]:
    crlf = TEXT.replace("\n", "\r\n")
    return [
        {
            "id": 1,
            "data": {"text": TEXT},
            "annotations": [
                {
                    "completed_by": 1,
                    "result": [
                        _region(TEXT, "Xi", "a", "PERSON"),
                        _region(TEXT, "北京", "b", "GPE", "PLACE"),
                        _region(TEXT, "said “café\u0301”", "c", "QUOTE", meta={"text": ["n"]}),
                        _region(TEXT, "Xi", "d", "PERSON"),  # listed twice
                        {"type": "relation", "from_id": "c", "to_id": "d", "labels": ["SAID"]},
                        {"type": "relation", "from_id": "b", "to_id": "a", "direction": "left"},
                    ],
                }
            ],
        },
        {
            "id": 2,
            "data": {"text": "\ufeff" + crlf},
            "annotations": [
                {
                    "completed_by": 1,
                    "result": [
                        _region("\ufeff" + crlf, "Wang", "w", "PERSON"),
                        _region("\ufeff" + crlf, "left.\r\nWang", "x", "SPAN"),
                    ],
                }
            ],
        },
        {
            "id": 3,
            "data": {"text": TEXT + " 3"},
            "annotations": [
                {
                    "completed_by": 2,
                    "result": [_utf16(_region(TEXT, "北京", "u", "GPE"), TEXT)],
                },
                {"completed_by": 2, "result": [_region(TEXT, "Wang", "v", "PERSON")]},
            ],
        },
    ]


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.name.endswith(".lock")
    }


class _AsModels(CheckedLabels):
    """The reader's labels as if it had not checked them against the text: the import
    builds their models and checks them itself."""

    def __init__(
        self,
        spans: list[dict[str, Any]],
        relations: list[dict[str, Any]],
        status: Any = None,
        note: str = "",
        cats: dict[str, list[str]] | None = None,
        *,
        fits_text: bool = True,
    ) -> None:
        super().__init__(spans, relations, status, note, cats, fits_text=False)


def test_records_leave_the_project_models_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "tasks.json"
    source.write_bytes(orjson.dumps(_tasks()))
    for module in (
        "annotator.store.journal_lines",
        "annotator.services.labels",
        "annotator.core.models",
    ):
        monkeypatch.setattr(f"{module}.now_iso", lambda: "2026-11-23T07:00:00.000Z")
    results = []
    for way in ("records", "models"):
        if way == "models":
            monkeypatch.setattr(label_studio, "CheckedLabels", _AsModels)
        root = tmp_path / way
        notices: list[str] = []
        with Project.create(root, name="p") as project:
            summary = import_sources(project, [source], "label-studio", notify=notices.append)
            doc = project.annotations("ls-user-1").get("1")
            assert doc is not None
            assert [(s.id, s.label, s.text) for s in doc.spans][:3] == [
                ("a", "PERSON", "Xi"),
                ("b", "GPE", "北京"),
                ("b.2", "PLACE", "北京"),
            ]
            assert [(r.label, r.head, r.tail) for r in doc.relations] == [
                ("SAID", "c", "a"),
                ("RELATED_TO", "a", "b"),
            ]
        results.append((summary, notices, _files(root)))
    assert results[0] == results[1]


def test_the_reader_hands_over_checked_records(tmp_path: Path) -> None:
    source = tmp_path / "tasks.json"
    source.write_bytes(orjson.dumps(_tasks()[:2]))
    labels = [
        label for record in label_studio.reader.read(source) for label in record.labels.values()
    ]
    assert [(type(label), label.fits_text) for label in labels] == [(CheckedLabels, True)] * 2
    spans, relations = labels[1].records
    assert [span["text"] for span in spans] == ["Wang", "left.\nWang"]
    assert relations == []


def test_two_regions_under_one_id_are_refused(tmp_path: Path, project_path: Path) -> None:
    tasks = _tasks()[:1]
    result = tasks[0]["annotations"][0]["result"] = tasks[0]["annotations"][0]["result"][:4]
    result[3]["id"] = "a"
    result[3]["value"]["labels"] = ["OTHER"]
    source = tmp_path / "tasks.json"
    source.write_bytes(orjson.dumps(tasks))
    before = _files(project_path)
    with Project.open(project_path) as project:
        with pytest.raises(AnnotatorError, match="duplicate span id 'a'"):
            import_sources(project, [source], "label-studio")
    after = _files(project_path)
    assert {key: after[key] for key in before} == before
    assert not any(after[key] for key in after.keys() - before.keys())
