"""The quick lanes of doccano and Label Studio give exactly what the plain paths give.

doccano import hands alike stretches of records over in checked batches (the import then
writes them column by column); doccano and Label Studio export read the store's checked
records instead of building models. Each is compared with the plain path, on texts with
emoji before spans (UTF-16 offsets), CRLF, a byte-order mark, combining marks, duplicate
spans, relations, categories and records without labels.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.core import Document, DocumentAnnotation, Relation, Span
from annotator.core.errors import InputError
from annotator.core.records import COUNTS_KEY, encode_record
from annotator.formats import doccano, jsonio
from annotator.formats.base import CheckedBatch, ExportRecord, read_chunks
from annotator.formats.doccano_export import doccano_record
from annotator.formats.label_studio import label_studio_task
from annotator.services import export_project, import_sources
from annotator.store import Project
from tests.formats.export_reference import export_record

EMOJI_TEXT = "Xi 👍🏽 met Kim in 北京 🇫🇷 and left."


def _utf16(text: str, offset: int) -> int:
    return len(text[:offset].encode("utf-16-le")) // 2


def _entity(text: str, phrase: str, number: int, label: str = "PERSON") -> dict[str, Any]:
    start = text.index(phrase)
    return {
        "id": number,
        "start_offset": _utf16(text, start),
        "end_offset": _utf16(text, start + len(phrase)),
        "label": label,
    }


def _doccano_records() -> list[dict[str, Any]]:
    crlf = "First line\r\nKim said caf\u00e9\u0301 twice.\r\n"
    records: list[dict[str, Any]] = []
    for number in range(7):
        text = f"{EMOJI_TEXT} {number}"
        records.append(
            {
                "id": f"e{number}",
                "text": text,
                "entities": [_entity(text, "Kim", 1), _entity(text, "北京", 2, "GPE")],
                "relations": [{"id": 0, "from_id": 1, "to_id": 2, "type": "IN"}],
                "meta": {"n": number},
            }
        )
    records += [
        {"text": "No labels here 👍", "label": []},
        {"text": "Also none, with cats", "label": ["sports", "news"]},
        {"id": "crlf", "text": crlf, "label": [[12, 15, "PERSON"], [12, 15, "PERSON"]]},
        {"id": "bom", "text": "\ufeffKim 👍 Kim", "label": [[1, 4, "PERSON"], [8, 11, "PERSON"]]},
        {"id": "plain", "text": "Kim in Seoul", "label": [[0, 3, "PERSON"], [7, 12, "GPE"]]},
        {"id": "last", "text": "Kim and Lee", "entities": [_entity("Kim and Lee", "Lee", 1)]},
    ]
    return records


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    return path


def _project_state(path: Path) -> tuple[list[Any], list[Any]]:
    """Documents and alice's labels, without the times they were written."""
    with Project.open(path) as project:
        documents = [document.model_dump() for document in project.iter_documents()]
        store = project.annotations("alice", writable=False)
        labels = []
        for document in documents:
            annotation = store.get(document["id"])
            labels.append(
                None if annotation is None else annotation.model_dump(exclude={"updated"})
            )
    return documents, labels


def test_doccano_batches_import_as_records_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _write(tmp_path / "in.jsonl", _doccano_records())
    monkeypatch.setattr(doccano, "_BATCH", 3)  # several batches, and stretches between them
    chunks = list(read_chunks(doccano.reader, source))
    batches = [chunk for chunk in chunks if isinstance(chunk, CheckedBatch)]
    assert batches and any(batch.labelled for batch in batches)

    notices: dict[str, list[str]] = {"batched": [], "plain": []}
    with Project.create(tmp_path / "batched") as project:
        import_sources(project, [source], "doccano", "alice", notify=notices["batched"].append)
    monkeypatch.delattr(doccano.DoccanoReader, "read_chunks")
    with Project.create(tmp_path / "plain") as project:
        import_sources(project, [source], "doccano", "alice", notify=notices["plain"].append)

    batched, plain = _project_state(tmp_path / "batched"), _project_state(tmp_path / "plain")
    assert batched == plain
    assert notices["batched"] == notices["plain"]
    assert any("UTF-16" in notice for notice in notices["batched"])
    documents, labels = batched
    for document, annotation in zip(documents, labels, strict=True):
        for span in annotation["spans"] if annotation else []:
            assert document["text"][span["start"] : span["end"]] == span["text"]
    # The emoji before the spans are read as UTF-16 units: the spans are the names.
    assert [span["text"] for span in labels[0]["spans"]] == ["Kim", "北京"]


def test_doccano_refusal_after_a_batch_names_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [*_doccano_records()[:5], {"text": "Kim", "label": [[0, 9, "PERSON"]]}]
    source = _write(tmp_path / "in.jsonl", records)
    monkeypatch.setattr(doccano, "_BATCH", 2)
    with Project.create(tmp_path / "project") as project:
        with pytest.raises(Exception, match=r"in\.jsonl:6"):
            import_sources(project, [source], "doccano", "alice")
        assert list(project.iter_documents()) == []


def _annotated() -> tuple[Document, DocumentAnnotation]:
    text = "Xi 👍🏽 said “café\u0301” in 北京\tand left 🇫🇷 Kim."
    spans = []
    for number, phrase in enumerate(["Xi", "café\u0301", "北京", "Kim", "🇫🇷"], 1):
        start = text.index(phrase)
        spans.append(
            Span(
                id=f"T{number}",
                start=start,
                end=start + len(phrase),
                label="GPE" if phrase == "北京" else "PERSON",
                text=phrase,
                note="a note" if number == 2 else "",
                attrs={"k": 1} if number == 3 else {},
            )
        )
    relations = [
        Relation(id="R1", label="MET", head="T1", tail="T4"),
        Relation(id="R2", label="IN", head="T4", tail="T3", note="why"),
    ]
    document = Document(id="d1", text=text, meta={"title": "Xi", "n": 1})
    return document, DocumentAnnotation(
        doc_id="d1", status="in_progress", spans=spans, relations=relations
    )


@pytest.mark.parametrize("status", ["todo", "done"])
@pytest.mark.parametrize("with_labels", [True, False])
def test_exports_from_records_equal_exports_from_models(status: str, with_labels: bool) -> None:
    document, annotation = _annotated()
    if not with_labels:
        annotation = annotation.model_copy(update={"spans": [], "relations": []})
    annotation = annotation.model_copy(update={"status": status})
    # The record as a journal line holds it (categories in the head, counts) and as the
    # model dumps it: the same export.
    line = orjson.loads(encode_record(annotation.model_dump(mode="json")))
    del line[COUNTS_KEY]
    fields = (document.id, document.text, document.meta)
    from_line = ExportRecord(fields=fields, annotator="gold", labels=line)
    from_dump = export_record(document, annotation, "gold")
    assert doccano_record(from_line) == doccano_record(from_dump)
    assert label_studio_task(from_line, 4) == label_studio_task(from_dump, 4)


def test_doccano_and_label_studio_exports_build_no_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document, annotation = _annotated()
    native = tmp_path / "in.jsonl"
    native.write_bytes(
        orjson.dumps(
            {
                "id": document.id,
                "text": document.text,
                "meta": document.meta,
                **annotation.model_dump(include={"status", "spans", "relations"}),
            }
        )
        + b"\n"
    )
    with Project.create(tmp_path / "project") as project:
        import_sources(project, [native], "native", "alice")
        expected = {}
        for fmt, name in (("doccano", "out.jsonl"), ("label-studio", "out.json")):
            export_project(project, fmt, tmp_path / name, annotator="alice")
            expected[fmt] = (tmp_path / name).read_bytes()

        def no_models(*args: object, **kwargs: object) -> None:
            raise AssertionError("a model was built for the export")

        # Writers take the store's checked records: nothing builds a model on the way out.
        monkeypatch.setattr("annotator.core.records.build_all", no_models)
        monkeypatch.setattr("annotator.formats.base.build_all", no_models)
        monkeypatch.setattr(DocumentAnnotation, "model_validate", no_models)
        for fmt, name in (("doccano", "again.jsonl"), ("label-studio", "again.json")):
            export_project(project, fmt, tmp_path / name, annotator="alice")
            assert (tmp_path / name).read_bytes() == expected[fmt]
        for fmt in ("native", "prodigy", "brat", "bio", "citron"):
            export_project(project, fmt, tmp_path / f"other-{fmt}", annotator="alice")
    exported = orjson.loads(expected["doccano"])
    text = exported["text"]
    units = text.encode("utf-16-le")
    for entity, span in zip(exported["entities"], annotation.spans, strict=True):
        covered = units[2 * entity["start_offset"] : 2 * entity["end_offset"]].decode("utf-16-le")
        assert covered == span.text


# --- JSON lists: an element on its own line is decoded by orjson alone ----------------------


class _CountingDecoder(json.JSONDecoder):
    calls = 0

    def raw_decode(self, s: str, idx: int = 0) -> tuple[Any, int]:
        _CountingDecoder.calls += 1
        return super().raw_decode(s, idx)


def _elements(path: Path) -> list[tuple[dict[str, Any], int | None, str]]:
    return [(item, loc.line, str(loc)) for item, loc in jsonio.iter_json_objects(path)]


def test_one_line_elements_skip_the_stdlib_decoder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = [
        {"id": n, "data": {"text": f'Kim 👍 {n}\t"q" \\ é'}, "x": [1, {"y": None}]}
        for n in range(5)
    ]
    path = tmp_path / "tasks.json"
    path.write_bytes(b"[\n" + b",\n".join(map(orjson.dumps, tasks)) + b"\n]\n")
    _CountingDecoder.calls = 0
    monkeypatch.setattr(jsonio, "_strict_decoder", _CountingDecoder)
    found = _elements(path)
    assert [item for item, _, _ in found] == tasks
    assert [line for _, line, _ in found] == [2, 3, 4, 5, 6]
    assert _CountingDecoder.calls == 0


def test_lists_in_any_layout_read_as_before(tmp_path: Path) -> None:
    """Two elements on a line, trailing spaces, the bracket after the last element,
    pretty-printed elements, CRLF: the same objects, on the same lines, as json reads."""
    path = tmp_path / "tasks.json"
    text = (
        '[{"a": 1},  {"b": [1, 2]} ,\r\n'
        '  {"c": "x,y}"}   ,\r\n'
        '{\n  "d": {"e": "f"}\n},\n'
        '{"g": "}\\n{"}, {"h": 2}]\n'
    )
    path.write_text(text, encoding="utf-8", newline="")
    found = _elements(path)
    assert [item for item, _, _ in found] == json.loads(text)
    assert [line for _, line, _ in found] == [1, 1, 2, 3, 6, 6]


@pytest.mark.parametrize(
    ("element", "message"),
    [
        ('{"a": NaN}', r"tasks\.json:3: not valid JSON"),
        ('{"a": "\\ud800"}', r"tasks\.json:3: not valid JSON"),
        (
            '{"a": ' + "[" * 995 + "]" * 995 + "}",
            r"tasks\.json:3: not valid JSON: nested too deeply",
        ),
        ('{"a": 1} {"b": 2}', r"tasks\.json:3: not valid JSON: expected ','"),
    ],
)
def test_bad_one_line_elements_are_refused_as_before(
    tmp_path: Path, element: str, message: str
) -> None:
    path = tmp_path / "tasks.json"
    path.write_text('[\n{"ok": 1},\n' + element + "\n]\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        _elements(path)


# --- brat: labels as checked records -----------------------------------------------------

BRAT_TEXT = "Kim 👍 met Lee\r\nin 北京 today.\n"
BRAT_ANN = (
    "T1\tPERSON 0 3\tKim\n"
    "T2\tPERSON 11 14\tLee\n"
    "T3\tGPE 19 21\t北京\n"
    "T4\tEVENT 0 3;11 14\tKim Lee\n"
    "R1\tMET Arg1:T1 Arg2:T2\n"
    "E1\tEVENT:T4 Place:T3 Agent2:T1\n"
    "*\tEquiv T1 T4\n"
    "#1\tAnnotatorNotes T1\tthe leader\n"
    "#2\tAnnotatorNotes R1\tin person\n"
    "A1\tNegated T2\n"
    "A2\tCertainty T4 High\n"
    "N1\tReference T3 Wiki:Q956\tBeijing\n"
)


def test_brat_labels_are_checked_records_in_field_order(tmp_path: Path) -> None:
    from annotator.core.records import RELATION_FIELDS, SPAN_FIELDS
    from annotator.formats.base import CheckedLabels
    from annotator.formats.brat import reader as brat_reader

    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / "doc.txt").write_bytes(BRAT_TEXT.encode())
    (folder / "doc.ann").write_bytes(BRAT_ANN.encode())
    (record,) = list(brat_reader.read(folder))
    labels = record.labels[None]
    assert isinstance(labels, CheckedLabels) and labels.fits_text
    spans, relations = labels.records
    text = record.document.text
    assert all(tuple(span) == SPAN_FIELDS for span in spans)
    assert all(tuple(rel) == RELATION_FIELDS for rel in relations)
    assert all(text[span["start"] : span["end"]] == span["text"] for span in spans)
    assert [(s["id"], s["label"], s["text"], s["note"], s["attrs"]) for s in spans] == [
        ("T1", "PERSON", "Kim", "the leader", {}),
        ("T2", "PERSON", "Lee", "", {"Negated": True}),
        (
            "T3",
            "GPE",
            "北京",
            "",
            {"normalizations": [{"type": "Reference", "ref": "Wiki:Q956", "text": "Beijing"}]},
        ),
        ("T4", "EVENT", "Kim", "", {"discontinuous": "T4", "Certainty": "High"}),
        ("T4.2", "EVENT", "Lee", "", {"discontinuous": "T4", "Certainty": "High"}),
    ]
    assert [(r["id"], r["label"], r["head"], r["tail"], r["note"]) for r in relations] == [
        ("R1", "MET", "T1", "T2", "in person"),
        ("Equiv7.1", "Equiv", "T1", "T4", ""),
        ("E1.Place", "Place", "T4", "T3", ""),
        ("E1.Agent2", "Agent", "T4", "T1", ""),
    ]
    # The models built from them, if asked for, are the same labels.
    assert [span.model_dump() for span in labels.models()[0]] == spans
    with Project.create(tmp_path / "project") as project:
        import_sources(project, [folder], "brat", "alice")
        stored = project.annotations("alice", writable=False).get("doc")
        assert stored is not None
        assert [span.model_dump() for span in stored.spans] == spans
        assert [rel.model_dump() for rel in stored.relations] == relations


def test_brat_duplicate_relation_ids_are_refused_as_before(tmp_path: Path) -> None:
    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / "doc.txt").write_bytes(BRAT_TEXT.encode())
    (folder / "doc.ann").write_bytes(
        b"T1\tPERSON 0 3\tKim\nT2\tPERSON 11 14\tLee\nE1\tMET:T1 Theme:T2 Theme:T1\n"
    )
    with Project.create(tmp_path / "project") as project:
        with pytest.raises(Exception, match=r"duplicate relation id 'E1\.Theme'"):
            import_sources(project, [folder], "brat", "alice")
