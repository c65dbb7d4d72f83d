"""Journal lines the store checked carry a checksum; only intact ones skip the span checks."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotator.core import Document, DocumentAnnotation, Span
from annotator.core.errors import AnnotationError
from annotator.core.models import text_hash
from annotator.core.records import intact, seal
from annotator.services import export_project
from annotator.store import Project

TEXT = "Xi 👍🏽 said “café\u0301” in 北京\tand left."


def _saved(tmp_path: Path) -> Path:
    with Project.create(tmp_path / "p") as project:
        project.add_documents([Document(id="d", text=TEXT)])
        annotation = DocumentAnnotation(doc_id="d")
        for number, phrase in enumerate(["Xi", "👍🏽", "café\u0301", "北京"], 1):
            start = TEXT.index(phrase)
            annotation.add_span(Span.of(TEXT, start, start + len(phrase), "L", f"T{number}"))
        project.annotations("alice").save(annotation)
    return tmp_path / "p" / "annotations" / "alice.jsonl"


def test_seal_and_intact() -> None:
    line = orjson.dumps({"a": 'é,"checksum":1}', "b": [1, 2]})
    sealed = seal(line)
    assert intact(sealed) and not intact(line)
    assert orjson.loads(sealed)["b"] == [1, 2]
    assert not intact(sealed.replace(b"[1,2]", b"[1,3]"))
    assert not intact(sealed[:-2] + b"}")
    assert not intact(sealed[:-1] + b"x}")


def test_saved_lines_are_sealed_and_read_back_without_the_checksum(tmp_path: Path) -> None:
    journal = _saved(tmp_path)
    line = journal.read_bytes().rstrip(b"\n")
    assert intact(line)
    with Project.open(tmp_path / "p") as project:
        store = project.annotations("alice", writable=False)
        fast = store.get_record("d", TEXT, text_hash(TEXT))
        checked = store.get_record("d", TEXT)
        annotation = store.get("d")
    assert fast == checked and fast is not None and "checksum" not in fast
    assert annotation is not None and annotation.model_extra in (None, {})
    assert annotation.model_dump(mode="json") == checked


def test_an_edited_line_is_checked_even_with_its_checksum(tmp_path: Path) -> None:
    journal = _saved(tmp_path)
    journal.write_bytes(journal.read_bytes().replace(b'"start":0,"end":2', b'"start":1,"end":3'))
    with Project.open(tmp_path / "p") as project:
        store = project.annotations("alice", writable=False)
        with pytest.raises(AnnotationError, match="T1"):
            store.get_record("d", TEXT, text_hash(TEXT))


def test_a_sealed_line_for_another_text_is_not_vouched_for(tmp_path: Path) -> None:
    _saved(tmp_path)
    other = "Xi " + TEXT[3:].replace("👍🏽", "ok")
    with Project.open(tmp_path / "p") as project:
        store = project.annotations("alice", writable=False)
        record = store.get_record("d", other, text_hash(other))
    # Returned through the full check, with the hash of the text it was made on: the
    # export sees that hash and skips the labels.
    assert record is not None and record["text_hash"] == text_hash(TEXT)


def test_lines_without_a_checksum_still_export(tmp_path: Path) -> None:
    journal = _saved(tmp_path)
    record = orjson.loads(journal.read_bytes())
    del record["checksum"]
    journal.write_bytes(orjson.dumps(record) + b"\n")
    with Project.open(tmp_path / "p") as project:
        summary = export_project(project, "native", tmp_path / "out.jsonl", annotator="alice")
    assert (summary.documents, summary.spans, summary.warnings) == (1, 4, [])
    exported = orjson.loads((tmp_path / "out.jsonl").read_bytes())
    assert [TEXT[s["start"] : s["end"]] for s in exported["spans"]] == [
        s["text"] for s in exported["spans"]
    ]
