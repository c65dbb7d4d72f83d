"""Import and export through the storage interface: every store gives what the folder gives.

The services see a project only as a ProjectStore (import_batch, export_rows); the folder
store answers with its fast paths, the memory store with plain records. The same
sources imported into each must leave the same documents, labels and schema, and every
export format must write the same bytes from either.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.core.errors import AnnotatorError
from annotator.formats.base import get_writer, writer_names
from annotator.services import export_project, import_sources
from annotator.services.importing import ImportSummary
from annotator.store import Project
from annotator.store.interface import ProjectStore
from tests.formats.tricky import make_project

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"


class _FrozenClock(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> _FrozenClock:
        return cls(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every "updated" the same, so that two imports' exports can be compared byte by byte."""
    import annotator.core.models as models

    monkeypatch.setattr(models, "datetime", _FrozenClock)


def snapshot(store: ProjectStore) -> tuple[Any, ...]:
    """Documents, schema and every annotator's labels, as plain values."""
    documents = [(doc.id, doc.text, doc.meta) for doc in store.iter_documents()]
    labels: dict[tuple[str, str], Any] = {}
    for name in store.annotators():
        layer = store.layer_reader(name)
        try:
            for doc_id in sorted(layer.doc_ids()):
                annotation = layer.get(doc_id)
                assert annotation is not None
                labels[(name, doc_id)] = annotation.model_dump(mode="json")
        finally:
            layer.close()
    return documents, store.schema.model_dump(mode="json"), labels


def outcome(summary: ImportSummary) -> tuple[Any, ...]:
    return (
        summary.added,
        summary.unchanged,
        summary.shared_text,
        summary.labelled,
        summary.new_labels,
        summary.formats,
    )


def tricky_export(tmp_path: Path, fmt: str, name: str) -> Path:
    """The tricky project's labels (emoji, combining marks, CRLF, relations) as ``fmt``."""
    source = make_project(tmp_path / "tricky", tmp_path)
    out = tmp_path / name
    export_project(source, fmt, out, annotator="alice", include_unlabelled=True)
    source.close()
    return out


def _sources(tmp_path: Path, kind: str) -> tuple[list[Path], str]:
    if kind in ("native", "label-studio"):
        name = "tricky.jsonl" if kind == "native" else "tricky.json"
        return [tricky_export(tmp_path, kind, name)], kind
    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not beside the checkout")
    if kind == "doccano":
        folder = FIXTURES / "doccano"
        return [
            folder / "sequence_labeling.export.jsonl",
            folder / "relation_extraction.export.jsonl",
        ], "doccano"
    if kind == "brat":
        return [FIXTURES / "brat"], "brat"
    assert kind == "prodigy"
    return [FIXTURES / "prodigy" / "annotated_news_headlines-ORG-PERSON-LOCATION-ner.jsonl"], (
        "prodigy"
    )


@pytest.mark.parametrize("kind", ["native", "doccano", "label-studio", "brat", "prodigy"])
def test_an_import_leaves_any_store_as_it_leaves_the_folder(
    tmp_path: Path, any_store: ProjectStore, kind: str
) -> None:
    sources, fmt = _sources(tmp_path, kind)
    folder = Project.create(tmp_path / "expected")
    try:
        for _ in range(2):  # the second time: documents unchanged, labels merged
            expected = import_sources(folder, sources, fmt)
            got = import_sources(any_store, sources, fmt)
            assert outcome(got) == outcome(expected)
        assert expected.unchanged > 0
        assert snapshot(any_store) == snapshot(folder)
        assert any_store.annotators() and any_store.annotators() == folder.annotators()
    finally:
        folder.close()


def test_columnar_batches_and_one_by_one_records_reach_any_store(
    tmp_path: Path, any_store: ProjectStore
) -> None:
    """Thousands of new labelled documents (the readers' columnar batches), then records
    that must be taken one by one (an id already stored, a text shared with another)."""
    lines = [
        {
            "id": f"d{n}",
            "text": f"Ana 👍🏽 met Bob in Zürich, day {n}.",
            "spans": [{"start": 0, "end": 3, "label": "PERSON"}],
        }
        for n in range(2500)
    ]
    lines.append({"id": "d1", "text": "Ana 👍🏽 met Bob in Zürich, day 1."})
    lines.append({"id": "again", "text": "Ana 👍🏽 met Bob in Zürich, day 2."})
    source = tmp_path / "many.jsonl"
    source.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    folder = Project.create(tmp_path / "expected")
    try:
        expected = import_sources(folder, [source], "native", annotator="ana")
        got = import_sources(any_store, [source], "native", annotator="ana")
        assert outcome(got) == outcome(expected)
        assert (got.added, got.unchanged, got.shared_text) == (2501, 1, 1)
        assert snapshot(any_store) == snapshot(folder)
    finally:
        folder.close()


def test_an_import_failing_half_way_leaves_any_store_unchanged(
    tmp_path: Path, any_store: ProjectStore
) -> None:
    first = tmp_path / "first.jsonl"
    first.write_bytes(
        orjson.dumps({"id": "kept", "text": "Kept text.", "spans": []}) + b"\n",
    )
    import_sources(any_store, [first], "native", annotator="ana")
    before = snapshot(any_store)
    lines = [
        {
            "id": f"new{n}",
            "text": f"Zoë said “hi” {n}.",
            "spans": [{"start": 0, "end": 3, "label": "BRANDNEW"}],
        }
        for n in range(1500)
    ]
    lines.append({"id": "kept", "text": "Another text under a stored id."})
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    with pytest.raises(AnnotatorError, match=r"bad\.jsonl:1501: .*'kept'.* different text"):
        import_sources(any_store, [bad], "native", annotator="ana")
    # Documents, labels and the schema (BRANDNEW was about to be added): as they were.
    assert snapshot(any_store) == before
    assert "new0" not in any_store
    assert any_store.schema.label("BRANDNEW") is None


def _written(out: Path) -> dict[str, bytes]:
    if out.is_dir():
        return {
            str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
        }
    return {"": out.read_bytes()}


# Every format as it is; with --labels (plain records, not sealed lines) and --split
# (a folder of files) for a file format, a folder format and a token format.
EXPORTS = [(fmt, {}) for fmt in writer_names()] + [
    (fmt, {"labels": ["PERSON", "QUOTE"], "split": "a=0.5,b=0.5"})
    for fmt in ("native", "brat", "bio")
]


@pytest.mark.parametrize(("fmt", "options"), EXPORTS)
def test_every_export_format_writes_the_same_from_any_store(
    tmp_path: Path, any_store: ProjectStore, fmt: str, options: dict[str, Any]
) -> None:
    if fmt == "spacy":
        pytest.importorskip("spacy")
    source = tricky_export(tmp_path, "native", "tricky.jsonl")
    folder = Project.create(tmp_path / "expected")
    try:
        import_sources(folder, [source], "native")
        import_sources(any_store, [source], "native")
        suffix = get_writer(fmt).suffix
        name = f"out{suffix}" if suffix and "split" not in options else "out"
        outputs = []
        for store, where in ((folder, "from-folder"), (any_store, "from-store")):
            out = tmp_path / where / name
            out.parent.mkdir()
            summary = export_project(
                store, fmt, out, annotator="alice", include_unlabelled=True, **options
            )
            assert summary.documents == 2
            # Messages name the output (or the hidden folder it is staged in): told apart.
            warnings = [
                re.sub(r"\.out\.\d+\.\w+\.tmp", ".STAGED", w.replace(str(out.parent), "OUT"))
                for w in summary.warnings
            ]
            outputs.append((_written(out), summary.spans, summary.relations, warnings))
        assert outputs[1] == outputs[0]
        assert outputs[0][1] == (9 if not options else 3)
    finally:
        folder.close()


def test_labels_made_on_another_text_are_left_out_of_an_export_with_the_reason(
    tmp_path: Path, any_store: ProjectStore
) -> None:
    """export_rows' third answer (a problem, not a record), from any store."""
    from annotator.core.models import Document, DocumentAnnotation, Span, text_hash

    any_store.add_documents([Document(id="a", text="Ana met Bob.")])
    stale = DocumentAnnotation(
        doc_id="a",
        text_hash=text_hash("Another text"),
        spans=[Span(id="T1", start=0, end=3, label="PERSON", text="Ana")],
    )
    layer = any_store.annotations("ana")
    # The folder checks labels at every save: this stands for labels saved before the
    # text was changed by hand (the journal line is written as it was then).
    if isinstance(any_store, Project):
        from annotator.core.records import encode_record

        layer.close()
        journal = any_store.path / "annotations" / "ana.jsonl"
        journal.write_bytes(encode_record(stale.model_dump(mode="json")) + b"\n")
    elif any_store.remote:
        # A database row written by an older program, before the text changed.
        from annotator.core.records import encode_record

        any_store.conn.execute(  # type: ignore[attr-defined]
            "INSERT INTO annotations (annotator, document, record, status, spans, relations,"
            " updated) VALUES ('ana', 'a', %s::json, 'todo', 1, 0, '')",
            (encode_record(stale.model_dump(mode="json")).decode(),),
        )
    else:
        layer._records["a"] = stale.model_dump(mode="json")  # type: ignore[attr-defined]
        any_store._commit("annotations", "ana", "a", layer._records["a"])  # type: ignore[attr-defined]
    rows = list(any_store.export_rows("ana"))
    assert len(rows) == 1 and rows[0].sealed is None and rows[0].record is None
    assert rows[0].problem is not None and "different text" in rows[0].problem
    notices: list[str] = []
    summary = export_project(
        any_store, "native", tmp_path / "out.jsonl", annotator="ana", notify=notices.append
    )
    assert summary.documents == 0
    assert notices == [f"{rows[0].problem}; not exported"]
