"""The native format: export, import, and export again gives the same records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.core import (
    AnnotatorError,
    DocumentAnnotation,
    InputError,
    LockedError,
    Relation,
    Span,
)
from annotator.core.models import Document
from annotator.core.text import normalize_newlines, strip_bom
from annotator.formats.native import NativeRecord, json_schema, native_record, record_to_import
from annotator.formats.native import reader as native_reader
from annotator.services import export_project, import_sources
from annotator.store import Project
from tests.formats.export_reference import export_record
from tests.store.helpers import snapshot

# In the source, CRLF line endings: span offsets count the '\r's, as the source's tool did.
SOURCE_TEXT = "Putin 👍🏽 said:\r\n“We remain together,” in 北京.\r\nXi agreed.\tcafe\u0301"


def spans_for(text: str, phrases: list[tuple[str, str]]) -> list[dict[str, Any]]:
    spans = []
    for number, (label, phrase) in enumerate(phrases, 1):
        start = text.index(phrase)
        spans.append(
            {"id": f"T{number}", "start": start, "end": start + len(phrase), "label": label}
        )
    return spans


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(record) + b"\n" for record in records))
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    phrases = [
        ("SOURCE", "Putin"),
        ("QUOTE", "“We remain together,”"),
        ("GPE", "北京"),
        ("PERSON", "Xi"),
        ("CLAIM", "said:\r\n“We"),  # crosses a CRLF
        ("X", "cafe\u0301"),
    ]
    spans = spans_for(SOURCE_TEXT, phrases)
    spans[0]["note"] = "speaker"
    spans[2]["attrs"] = {"wikidata": "Q956"}
    record = {
        "id": "n1",
        "text": SOURCE_TEXT,
        "source": "wire",
        "annotator": "alice",
        "status": "done",
        "note": "checked",
        "spans": spans,
        "relations": [
            {"id": "R1", "label": "ATTRIBUTED_TO", "head": "T2", "tail": "T1"},
            {"id": "R2", "label": "ATTRIBUTED_TO", "head": "T5", "tail": "T4", "note": "implied"},
        ],
    }
    plain = {"id": "n2", "text": "Unlabelled 👩\u200d👩\u200d👧 article"}
    return write_jsonl(tmp_path / "in.jsonl", [record, plain])


def test_crlf_offsets_from_a_source_land_on_the_same_characters(
    project: Project, source: Path
) -> None:
    import_sources(project, [source])
    text = project.get_text("n1")
    assert "\r" not in text and text == SOURCE_TEXT.replace("\r\n", "\n")
    annotation = project.annotations("alice").get("n1")
    assert annotation is not None
    assert [span.text for span in annotation.spans] == [
        "Putin",
        "“We remain together,”",
        "北京",
        "Xi",
        "said:\n“We",
        "cafe\u0301",
    ]
    assert annotation.problems_with(text) == []
    assert (annotation.status, annotation.note) == ("done", "checked")
    assert project.get_document("n1").meta["source"] == "wire"


def test_export_import_export_round_trip(project: Project, source: Path, tmp_path: Path) -> None:
    import_sources(project, [source])
    first = tmp_path / "first.jsonl"
    export_project(project, "native", first, annotator="alice", include_unlabelled=True)

    with Project.create(tmp_path / "second") as second:
        import_sources(second, [first])
        assert second.annotators() == ["alice"]
        again = tmp_path / "again.jsonl"
        export_project(second, "native", again, annotator="alice", include_unlabelled=True)
    assert read_jsonl(again) == read_jsonl(first)

    records = read_jsonl(first)
    assert [record["id"] for record in records] == ["n1", "n2"]
    n1 = records[0]
    for span in n1["spans"]:
        assert n1["text"][span["start"] : span["end"]] == span["text"]
    assert n1["spans"][0]["note"] == "speaker"
    assert n1["spans"][2]["attrs"] == {"wikidata": "Q956"}
    assert n1["relations"] == [
        {"id": "R1", "label": "ATTRIBUTED_TO", "head": "T2", "tail": "T1"},
        {"id": "R2", "label": "ATTRIBUTED_TO", "head": "T5", "tail": "T4", "note": "implied"},
    ]
    assert (n1["annotator"], n1["status"], n1["note"]) == ("alice", "done", "checked")
    assert records[1]["spans"] == [] and records[1]["status"] == "todo"
    for record in records:
        NativeRecord.model_validate(record)


def test_the_json_schema_describes_an_export_record(project: Project, source: Path) -> None:
    schema = json_schema()
    assert schema["type"] == "object"
    assert {"id", "text", "spans", "relations", "annotator"} <= set(schema["properties"])
    assert set(schema["required"]) >= {"id", "text", "annotator"}
    span = schema["$defs"]["NativeSpan"]["properties"]
    assert {"start", "end", "label", "text"} <= set(span)


def test_reimporting_an_export_adds_no_duplicate_spans(
    project: Project, source: Path, tmp_path: Path
) -> None:
    import_sources(project, [source])
    out = tmp_path / "out.jsonl"
    export_project(project, "native", out, annotator="alice", include_unlabelled=True)
    before = project.annotations("alice").get("n1")
    summary = import_sources(project, [out])
    assert summary.added == 0 and summary.unchanged == 2
    after = project.annotations("alice").get("n1")
    assert after is not None and before is not None
    assert after.spans == before.spans and after.relations == before.relations


def test_export_skips_labels_made_on_another_text_and_says_so(
    project: Project, tmp_path: Path
) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"id": "d", "text": "Putin spoke."}])
    import_sources(project, [tmp_path / "d.jsonl"])
    store = project.annotations("alice")
    annotation = DocumentAnnotation(
        doc_id="d",
        text_hash="0000000000000000",
        spans=[Span(id="T1", start=0, end=5, label="PERSON", text="Putin")],
    )
    # Written behind the store's back, as a merge from another copy of the project could.
    with store.path.open("ab") as handle:
        handle.write(annotation.model_dump_json().encode() + b"\n")
    project.release_annotations("alice")
    warnings: list[str] = []
    summary = export_project(project, "native", tmp_path / "o.jsonl", notify=warnings.append)
    assert summary.documents == 0
    assert len(warnings) == 1 and "different text" in warnings[0]


def _record(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": "r", "text": "Putin met Xi."}
    base.update(fields)
    return base


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (_record(spans=[{"start": 0, "end": 50, "label": "PERSON"}]), "outside the text"),
        (_record(spans=[{"start": 3, "end": 3, "label": "PERSON"}]), "outside the text"),
        (_record(spans=[{"start": 0, "end": 5, "label": "PERSON", "text": "Xi"}]), "says 'Xi'"),
        (_record(spans=[{"start": "a", "end": 5, "label": "PERSON"}]), "integer"),
        (_record(spans=[{"start": 0, "end": 5}]), '"label"'),
        (_record(spans=["Putin"]), "not an object"),
        (
            _record(
                spans=[{"id": "T1", "start": 0, "end": 5, "label": "PERSON"}],
                relations=[{"id": "R1", "label": "ATTRIBUTED_TO", "head": "T1", "tail": "T9"}],
            ),
            "missing span 'T9'",
        ),
        (
            _record(
                spans=[
                    {"id": "T1", "start": 0, "end": 5, "label": "PERSON"},
                    {"id": "T1", "start": 10, "end": 12, "label": "PERSON"},
                ]
            ),
            "duplicate span id 'T1'",
        ),
        (
            _record(
                spans=[
                    {"id": "T1", "start": 0, "end": 5, "label": "PERSON"},
                    {"id": "T2", "start": 10, "end": 12, "label": "PERSON"},
                ],
                relations=[
                    {"id": "R1", "label": "ATTRIBUTED_TO", "head": "T1", "tail": "T2"},
                    {"id": "R1", "label": "ATTRIBUTED_TO", "head": "T2", "tail": "T1"},
                ],
            ),
            "duplicate relation id 'R1'",
        ),
        (_record(spans=[], status="finished"), "unknown status"),
    ],
)
def test_bad_labels_are_refused_with_the_line_and_nothing_changes(
    project: Project, tmp_path: Path, record: dict[str, Any], message: str
) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [_record(id="fine", text="Fine."), record])
    before = snapshot(project.path)
    with pytest.raises(AnnotatorError) as caught:
        import_sources(project, [path], annotator="alice")
    assert f"{path}:2" in str(caught.value)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert snapshot(project.path) == before
    assert len(project) == 0


def test_labels_for_an_annotator_another_program_holds_refuse_the_whole_import(
    project: Project, source: Path
) -> None:
    with Project.open(project.path) as other:
        other.annotations("alice")  # the analyst has the project open in the GUI
        before = snapshot(project.path)
        with pytest.raises(LockedError):
            import_sources(project, [source])
    assert snapshot(project.path) == before
    assert len(project) == 0


def test_a_bom_in_a_text_field_does_not_shift_the_spans(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "bom.jsonl",
        [_record(text="\ufeffPutin met Xi.", spans=[{"start": 1, "end": 6, "label": "PERSON"}])],
    )
    [record] = list(native_reader.read(path))
    assert record.document.text == "Putin met Xi."
    [span] = record.labels[None].models()[0]
    assert (span.start, span.end, span.text) == (0, 5, "Putin")


def test_a_relation_added_after_import_survives_export(
    project: Project, source: Path, tmp_path: Path
) -> None:
    import_sources(project, [source])
    store = project.annotations("alice")
    annotation = store.get("n1")
    assert annotation is not None
    annotation.add_relation(
        Relation(id=annotation.next_relation_id(), label="ATTRIBUTED_TO", head="T5", tail="T1")
    )
    store.save(annotation)
    out = tmp_path / "out.jsonl"
    export_project(project, "native", out, annotator="alice", include_unlabelled=True)
    assert [rel["id"] for rel in read_jsonl(out)[0]["relations"]] == ["R1", "R2", "R3"]


def test_a_failed_export_leaves_no_file(project: Project, source: Path, tmp_path: Path) -> None:
    import_sources(project, [source])
    out = tmp_path / "out.jsonl"
    with pytest.raises(AnnotatorError):
        export_project(project, "native", out, labels=["NOT_A_LABEL"], annotator="alice")
    assert not out.exists()
    assert list(tmp_path.glob(".out.jsonl*")) == []


def test_the_reader_claims_json_files(tmp_path: Path) -> None:
    assert native_reader.sniff(tmp_path / "a.jsonl")
    assert native_reader.sniff(tmp_path / "a.JSON")
    assert not native_reader.sniff(tmp_path / "a.txt")
    with pytest.raises(InputError):
        list(native_reader.read(write_jsonl(tmp_path / "x.jsonl", [{"no": "text"}])))


# --- properties ---------------------------------------------------------------------------

PIECES = ["\r\n", "\r", "\n", "a", " ", "\t", "\u00a0", "👍🏽", "e\u0301", "北京", "“", "\ufeff"]
texts = st.lists(st.sampled_from(PIECES), min_size=1, max_size=30).map("".join)


def _boundaries(text: str) -> list[int]:
    """Offsets a source tool could put a span edge on: never inside a CRLF."""
    return [
        i for i in range(len(text) + 1) if not (0 < i < len(text) and text[i - 1 : i + 1] == "\r\n")
    ]


@settings(max_examples=150, deadline=None)
@given(texts, st.data())
def test_spans_in_a_crlf_source_cover_the_same_text_after_import(
    original: str, data: st.DataObject
) -> None:
    if original.startswith("\ufeff"):
        original = "x" + original  # a leading BOM is stripped: covered by its own test
    edges = _boundaries(original)
    raw_spans: list[dict[str, Any]] = []
    for number in range(data.draw(st.integers(0, 4))):
        start, end = sorted(
            data.draw(st.lists(st.sampled_from(edges), min_size=2, max_size=2, unique=True))
        )
        raw_spans.append({"id": f"T{number}", "start": start, "end": end, "label": "X"})
    record = record_to_import({"id": "d", "text": original, "spans": raw_spans}, "f.jsonl:1", "d")
    text = record.document.text
    assert text == normalize_newlines(original)[0]
    imported = record.labels[None].models()[0]
    assert len(imported) == len(raw_spans)
    for raw, span in zip(raw_spans, imported, strict=True):
        assert span.text == text[span.start : span.end]
        assert span.text == normalize_newlines(original[raw["start"] : raw["end"]])[0]


@settings(max_examples=100, deadline=None)
@given(texts, st.data())
def test_native_record_then_import_gives_back_the_same_labels(
    text: str, data: st.DataObject
) -> None:
    text = normalize_newlines(strip_bom(text)[0])[0] or "x"
    annotation = DocumentAnnotation(doc_id="d")
    for _ in range(data.draw(st.integers(0, 5))):
        start = data.draw(st.integers(0, len(text) - 1))
        end = data.draw(st.integers(start + 1, len(text)))
        annotation.add_span(Span.of(text, start, end, "X", annotation.next_span_id()))
    if len(annotation.spans) >= 2:
        annotation.add_relation(
            Relation(id="R1", label="ATTRIBUTED_TO", head="T1", tail="T2", note="n")
        )
    document = Document(id="d", text=text, meta={"title": "t"})
    exported = orjson.loads(orjson.dumps(native_record(export_record(document, annotation, "a"))))
    record = record_to_import(exported, "f.jsonl:1", "d")
    assert record.document == document
    labels = record.labels["a"]
    assert labels.models() == (annotation.spans, annotation.relations)
