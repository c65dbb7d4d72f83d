"""The documents index kept beside documents.jsonl: used only for the file it describes."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.core import Document
from annotator.store import DOCUMENTS_FILE, Project
from annotator.store import project as project_module
from tests.store.helpers import TRICKY, make_documents

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _sidecar_for_small_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(project_module, "SIDECAR_MIN_BYTES", 0)


def _sidecar(path: Path) -> Path:
    return path / f".{DOCUMENTS_FILE}.idx"


def _index(path: Path) -> tuple[list[tuple[object, ...]], list[str]]:
    """Every entry as a tuple, and the problems, from one open."""
    with Project.open(path) as project:
        return [dataclasses.astuple(entry) for entry in project.entries()], project.problems


def _index_without_sidecar(path: Path) -> tuple[list[tuple[object, ...]], list[str]]:
    aside = _sidecar(path).with_name("aside.idx")
    if _sidecar(path).exists():
        _sidecar(path).replace(aside)
    try:
        found = _index(path)
    finally:
        _sidecar(path).unlink(missing_ok=True)
        if aside.exists():
            aside.replace(_sidecar(path))
    return found


@pytest.fixture
def filled(project_path: Path) -> Path:
    with Project.open(project_path) as project:
        project.add_documents(make_documents(5))
    return project_path


def test_an_import_leaves_an_index_the_next_open_uses(filled: Path) -> None:
    assert _sidecar(filled).exists()
    assert _index(filled) == _index_without_sidecar(filled)
    # Proof that an open takes the entries from the sidecar: a row changed there shows.
    head, rows = _sidecar(filled).read_bytes().split(b"\n", 1)
    _sidecar(filled).write_bytes(head + b"\n" + rows.replace(b"Headline 3", b"Sidecar 3"))
    with Project.open(filled) as project:
        assert project.entry("doc-3").title == "Sidecar 3"
        assert project.get_text("doc-3").endswith("Paragraph 3.")


def test_the_index_is_the_one_a_full_read_builds(filled: Path) -> None:
    tricky = [
        Document(id="emoji", text="👍🏽 Thumbs\r\nup", meta={"title": "👍🏽"}),
        Document(id="mark", text="e\u0301 and 北京\tand\u00a0NBSP " + TRICKY),
        Document(id="quote", text='He said "no" \\ and left.', meta={"nested": {"a": [1, 2]}}),
    ]
    with Project.open(filled) as project:
        project.add_documents(tricky)
    entries, problems = _index(filled)
    assert (entries, problems) == _index_without_sidecar(filled)
    assert problems == []
    with Project.open(filled) as project:
        for document in tricky:
            assert project.get_document(document.id) == document


def test_documents_added_since_the_index_are_read_from_the_file(filled: Path) -> None:
    covered = _sidecar(filled).read_bytes()
    with Project.open(filled) as project:
        added = project.add_documents(
            [Document(id=f"more-{n}", text=f"More {n}: {TRICKY}") for n in range(3)]
        )
        assert added["added"] == 3
    # An older index (as if another program had appended without writing one).
    _sidecar(filled).write_bytes(covered)
    with Project.open(filled) as project:
        assert project.document_ids()[-3:] == ["more-0", "more-1", "more-2"]
        assert project.get_text("more-2") == f"More 2: {TRICKY}"
        assert [entry.line for entry in project.entries()] == list(range(1, 9))
    assert _index(filled) == _index_without_sidecar(filled)


@pytest.mark.parametrize(
    "change",
    ["edited in place", "cut back", "replaced", "sidecar garbled", "sidecar truncated"],
)
def test_an_index_that_does_not_describe_the_file_is_ignored(filled: Path, change: str) -> None:
    documents = filled / DOCUMENTS_FILE
    data = documents.read_bytes()
    if change == "edited in place":
        # Same size, same inode: only the content (and mtime) differ.
        edited = data.replace(b"Headline 4", b"Deadline 4")
        with open(documents, "r+b") as handle:
            handle.write(edited)
        os.utime(documents, ns=(1, 1))
    elif change == "cut back":
        documents.write_bytes(data[: data.index(b"\n") + 1])
    elif change == "replaced":
        documents.unlink()
        documents.write_bytes(data.replace(b"Headline 4", b"Deadline 4"))
    elif change == "sidecar garbled":
        _sidecar(filled).write_bytes(b'{"version": 1, "size": 5}\n[["x"]]')
    else:
        raw = _sidecar(filled).read_bytes()
        _sidecar(filled).write_bytes(raw[: len(raw) // 2])
    entries, problems = _index(filled)
    assert (entries, problems) == _index_without_sidecar(filled)
    with Project.open(filled) as project:
        assert all(project.get_document(doc_id).id == doc_id for doc_id in project.document_ids())
        if change in ("edited in place", "replaced"):
            assert project.entry("doc-4").title == "Deadline 4"


def test_a_damaged_file_is_reported_at_every_open(filled: Path) -> None:
    _sidecar(filled).unlink()
    documents = filled / DOCUMENTS_FILE
    with open(documents, "ab") as handle:
        handle.write(b"{not json\n")
    for _ in range(2):
        entries, problems = _index(filled)
        assert len(entries) == 5
        assert len(problems) == 1 and ":6: unreadable document line skipped" in problems[0]
    assert not _sidecar(filled).exists()


def test_lines_of_an_unfinished_import_are_not_indexed(filled: Path) -> None:
    documents = filled / DOCUMENTS_FILE
    size = documents.stat().st_size
    _sidecar(filled).unlink()
    (filled / f".{DOCUMENTS_FILE}.pending").write_bytes(b"%d\n" % size)
    with open(documents, "ab") as handle:
        handle.write(b'{"id": "half", "text": "not yet", "meta": {}}\n')
    # A reader that cannot take the lock (an import holds it) reads up to the mark.
    lock = project_module.FileLock(filled / "annotations" / ".project.lock", "import")
    lock.acquire()
    try:
        with Project.open(filled) as project:
            assert "half" not in project
    finally:
        lock.release()
    with Project.open(filled) as project:
        # The import's lines rolled back by the next opener; the index never had them.
        assert "half" not in project and len(project) == 5
    assert documents.stat().st_size == size


def test_the_text_fingerprint_is_the_same_in_every_process(filled: Path) -> None:
    # The sidecar keeps DocumentEntry.head across processes, so it must not depend on
    # Python's per-process string hash.
    code = f"from annotator.store.documents_index import head_of; print(head_of({'👍🏽 ' + TRICKY * 3!r}))"
    values = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(values) == 1


def test_a_text_stored_in_an_earlier_session_is_found_through_the_index(filled: Path) -> None:
    with Project.open(filled) as project:
        text = project.get_text("doc-2")
    with Project.open(filled) as project:
        with project.document_batch() as batch:
            assert batch.add(Document(id="again", text=text)) == "added"
            assert batch.shared_text == 1
            assert batch.last_id == "again"


def test_a_small_import_leaves_the_index_and_the_next_open_reads_past_it(
    project_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rewriting every row after each small import would cost more than the import.
    monkeypatch.setattr(project_module, "SIDECAR_MIN_BYTES", 2_000)
    with Project.open(project_path) as project:
        project.add_documents(make_documents(40))
    index = _sidecar(project_path).read_bytes()
    with Project.open(project_path) as project:
        project.add_documents([Document(id="late", text=f"Late: {TRICKY}")])
    assert _sidecar(project_path).read_bytes() == index
    with Project.open(project_path) as project:
        assert project.get_text("late") == f"Late: {TRICKY}"
        assert project.entry("late").line == 41
    assert _index(project_path) == _index_without_sidecar(project_path)
