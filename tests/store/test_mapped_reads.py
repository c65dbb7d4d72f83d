"""An open scans documents.jsonl and the journal mapped when they are large, read when small.

tests/store/conftest.py runs every store test both ways; this checks the switch itself.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

import pytest

from annotator.core import DocumentAnnotation, Span
from annotator.store import Project, files
from tests.store.helpers import make_documents


def _mapped_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sizes: list[int] = []
    real = mmap.mmap

    def spy(fd: int, length: int, access: int = mmap.ACCESS_DEFAULT) -> mmap.mmap:
        sizes.append(length)
        return real(fd, length, access=access)

    monkeypatch.setattr(files.mmap, "mmap", spy)
    return sizes


def test_an_open_without_index_files_maps_both_files_it_scans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scanned_as: str
) -> None:
    path = tmp_path / "p"
    with Project.create(path) as project:
        project.add_documents(make_documents(30))
        store = project.annotations("alice")
        for number in range(30):
            doc_id = f"doc-{number}"
            text = project.get_text(doc_id)
            annotation = DocumentAnnotation(doc_id=doc_id)
            annotation.add_span(Span.of(text, 0, 8, "X", "s-1"))
            store.save(annotation)
    for index_file in path.rglob("*.idx"):
        index_file.unlink()
    sizes = _mapped_sizes(monkeypatch)
    with Project.open(path) as project:
        store = project.annotations("alice", writable=False)
        assert len(project.entries()) == 30 and len(store.doc_ids()) == 30
        assert store.get("doc-29").spans[0].text == "Headline"  # type: ignore[union-attr]
    documents = (path / "documents.jsonl").stat().st_size
    journal = (path / "annotations" / "alice.jsonl").stat().st_size
    assert sizes == ([documents, journal] if scanned_as == "mapped" else [])


def test_a_file_cut_after_its_size_was_taken_is_read_not_mapped(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    path.write_bytes(b'{"a":1}\n' * 1000)
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        os.truncate(path, size // 2)  # another program cuts it back meanwhile
        with files.file_range(fd, 0, size) as data:
            assert isinstance(data, bytes) and data == b'{"a":1}\n' * 500
    finally:
        os.close(fd)
