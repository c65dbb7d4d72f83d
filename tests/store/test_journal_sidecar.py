"""The labels index kept beside the journal: used only for the journal it describes."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.core import DocumentAnnotation, Span
from annotator.store import Project
from annotator.store import journal as journal_module
from annotator.store.files import Scannable
from tests.store.helpers import make_documents

DOCS = 6


@pytest.fixture(autouse=True)
def _sidecar_for_small_journals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_module, "SIDECAR_MIN_BYTES", 0)


def _labelled(
    project: Project, doc_id: str, count: int, status: str = "done"
) -> DocumentAnnotation:
    text = project.get_text(doc_id)
    annotation = DocumentAnnotation(doc_id=doc_id, status=status)  # type: ignore[arg-type]
    for number in range(count):
        annotation.add_span(Span.of(text, number, number + 1, "X", f"T{number + 1}"))
    return annotation


def _summaries(project_path: Path) -> dict[str, tuple[int, str, int, int]]:
    with Project.open(project_path) as project:
        store = project.annotations("alice", writable=False)
        assert store.problems == []
        found = {}
        for doc_id in store.doc_ids():
            entry = store.summary(doc_id)
            assert entry is not None
            found[doc_id] = (entry.spans, entry.status, entry.offset, entry.line)
            assert len(store.get(doc_id).spans) == entry.spans  # type: ignore[union-attr]
        return found


def _journal(project_path: Path) -> Path:
    return project_path / "annotations" / "alice.jsonl"


def _sidecar(project_path: Path) -> Path:
    return project_path / "annotations" / ".alice.jsonl.idx"


@pytest.fixture
def labelled(project_path: Path) -> Path:
    with Project.open(project_path) as project:
        project.add_documents(make_documents(DOCS))
        store = project.annotations("alice")
        for number in range(DOCS):
            store.save(_labelled(project, f"doc-{number}", number + 1))
        store.save(_labelled(project, "doc-0", 3, "todo"))
    return project_path


def _bytes_scanned(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    scanned: list[int] = []
    original = journal_module._index_of_summaries

    def spy(
        data: Scannable, start: int = 0, first_line: int = 0, size: int | None = None
    ) -> object:
        scanned.append(len(data) if size is None else size)
        return original(data, start, first_line, size)

    monkeypatch.setattr(journal_module, "_index_of_summaries", spy)
    return scanned


def test_the_writer_leaves_a_sidecar_and_an_open_reads_only_what_came_after(
    labelled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _sidecar(labelled).exists()
    scanned = _bytes_scanned(monkeypatch)
    before = _summaries(labelled)
    assert scanned == [0]
    assert before["doc-0"][:2] == (3, "todo") and before["doc-5"][:2] == (6, "done")

    with Project.open(labelled) as project:
        project.annotations("alice").save(_labelled(project, "doc-1", 4, "skipped"))
    size = _journal(labelled).stat().st_size
    scanned.clear()
    # A save after the sidecar was written whose writer was killed before closing.
    line = _journal(labelled).read_bytes().splitlines()[-1].replace(b'"skipped"', b'"done"')
    with _journal(labelled).open("ab") as handle:
        handle.write(line + b"\n")
    after = _summaries(labelled)
    assert scanned == [len(line) + 1]
    assert after["doc-1"][:2] == (4, "done") and after["doc-1"][2] == size
    assert {k: v for k, v in after.items() if k != "doc-1"} == {
        k: v for k, v in before.items() if k != "doc-1"
    }


def test_a_torn_save_after_the_sidecar_is_still_found_and_set_aside(labelled: Path) -> None:
    expected = _summaries(labelled)
    with _journal(labelled).open("ab") as handle:
        handle.write(b'{"doc_id":"doc-2","text_hash":"x","status":"do')
    with Project.open(labelled) as project:
        store = project.annotations("alice")
        assert len(store.problems) == 1 and "cut off" in store.problems[0]
    assert (labelled / "annotations" / "alice.jsonl.torn").exists()
    assert _journal(labelled).read_bytes().endswith(b"}\n")
    assert _summaries(labelled) == expected


@pytest.mark.parametrize(
    "spoil",
    [
        "garbage",
        "missing",
        "shorter journal",
        "same size, edited",
        "replaced journal",
    ],
)
def test_a_sidecar_that_does_not_describe_the_journal_is_not_used(
    labelled: Path, spoil: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = _journal(labelled)
    data = journal.read_bytes()
    lines = data.splitlines(keepends=True)
    if spoil == "garbage":
        _sidecar(labelled).write_bytes(b'{"version":1}\n[[1,2')
    elif spoil == "missing":
        _sidecar(labelled).unlink()
    elif spoil == "shorter journal":
        with journal.open("r+b") as handle:  # same inode, cut back by hand
            handle.truncate(len(data) - len(lines[-1]))
    elif spoil == "same size, edited":
        with journal.open("r+b") as handle:  # in place: same inode, same size
            handle.write(data.replace(b'"status":"todo"', b'"status":"done"'))
    else:
        replacement = journal.with_name("new.tmp")
        replacement.write_bytes(b"".join(lines[:2]))
        replacement.replace(journal)
    scanned = _bytes_scanned(monkeypatch)
    found = _summaries(labelled)
    assert scanned == [journal.stat().st_size]
    if spoil == "same size, edited":
        assert found["doc-0"][:2] == (3, "done")
    if spoil == "shorter journal":
        assert found["doc-0"][:2] == (1, "done")
    if spoil == "replaced journal":
        assert sorted(found) == ["doc-0", "doc-1"]


def test_compaction_replaces_the_sidecar_with_one_for_the_new_journal(
    labelled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = {k: v[:2] for k, v in _summaries(labelled).items()}
    with Project.open(labelled) as project:
        store = project.annotations("alice")
        store.compact()
        assert not _sidecar(labelled).exists()
    scanned = _bytes_scanned(monkeypatch)
    found = _summaries(labelled)
    assert scanned == [0]
    assert {k: v[:2] for k, v in found.items()} == expected
    assert sorted(v[3] for v in found.values()) == list(range(1, DOCS + 1))


def test_an_unreadable_line_keeps_being_reported_so_no_sidecar_hides_it(
    project_path: Path,
) -> None:
    with Project.open(project_path) as project:
        project.add_documents(make_documents(2))
        store = project.annotations("alice")
        store.save(_labelled(project, "doc-0", 1))
    _sidecar(project_path).unlink()
    with _journal(project_path).open("ab") as handle:
        handle.write(b"not json\n")
    for _ in range(2):
        with Project.open(project_path) as project:
            store = project.annotations("alice")
            assert len(store.problems) == 1 and "unreadable" in store.problems[0]
            store.save(_labelled(project, "doc-1", 2))
        assert not _sidecar(project_path).exists()


def test_readers_never_write_the_sidecar(labelled: Path) -> None:
    _sidecar(labelled).unlink()
    _summaries(labelled)
    assert not _sidecar(labelled).exists()
