"""CheckedLabels, the one form of imported labels: records of the models' fields, and
whether they fit the document's text (then the import writes them as they are)."""

from __future__ import annotations

from pathlib import Path

import orjson

from annotator.core.models import Relation, Span
from annotator.formats.base import CheckedLabels
from annotator.formats.prodigy import reader as prodigy_reader
from annotator.services import import_sources
from annotator.store import Project

TEXT = "Putin met Xi in Beijing."


def _spans() -> list[Span]:
    return [Span.of(TEXT, 0, 5, "PERSON", "T1"), Span.of(TEXT, 10, 12, "PERSON", "T2")]


def test_models_become_records_in_field_order() -> None:
    relation = Relation(id="R1", label="MET", head="T1", tail="T2")
    labels = CheckedLabels.of_models(_spans(), [relation], "done", text=TEXT)
    spans, relations = labels.records
    assert spans == [span.model_dump() for span in _spans()]
    assert all(tuple(span) == tuple(Span.model_fields) for span in spans)
    assert relations == [relation.model_dump()]
    assert labels.fits_text and labels.status == "done" and labels.cats == {}
    assert labels.models() == (_spans(), [relation])


def test_labels_that_do_not_fit_the_text_are_left_to_the_import() -> None:
    assert not CheckedLabels.of_models(_spans(), [], text=TEXT[:11]).fits_text
    assert not CheckedLabels.of_models(_spans(), [], text=TEXT.upper()).fits_text
    twice = [_spans()[0], _spans()[0]]
    assert not CheckedLabels.of_models(twice, [], text=TEXT).fits_text
    loose_end = Relation(id="R1", label="MET", head="T1", tail="T9")
    assert not CheckedLabels.of_models(_spans(), [loose_end], text=TEXT).fits_text
    assert not CheckedLabels.of_models(_spans(), []).fits_text


def test_prodigy_labels_fit_and_import_as_the_models_did(tmp_path: Path) -> None:
    task = {
        "text": TEXT,
        "answer": "accept",
        "spans": [
            {"start": 0, "end": 5, "label": "PERSON"},
            {"start": 10, "end": 12, "label": "PERSON"},
        ],
    }
    source = tmp_path / "tasks.jsonl"
    source.write_bytes(orjson.dumps(task) + b"\n")
    (record,) = list(prodigy_reader.read(source))
    (labels,) = record.labels.values()
    assert labels.fits_text
    with Project.create(tmp_path / "p") as project:
        import_sources(project, [source], "prodigy", "alice")
        (doc_id,) = project.document_ids()
        stored = project.annotations("alice").get(doc_id)
        assert stored is not None
        assert [(s.start, s.end, s.label, s.text) for s in stored.spans] == [
            (0, 5, "PERSON", "Putin"),
            (10, 12, "PERSON", "Xi"),
        ]
        assert stored.status == "done"
