"""Imports append to documents.jsonl and roll back by truncation: crashes, readers, failures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson
import pytest

from annotator.core import AnnotatorError, Document
from annotator.services import import_sources
from annotator.store import DOCUMENTS_FILE, Project
from tests.store.helpers import make_documents, snapshot

REPO = Path(__file__).resolve().parents[2]
PENDING = f".{DOCUMENTS_FILE}.pending"


@pytest.fixture
def filled(project_path: Path) -> Path:
    with Project.open(project_path) as project:
        project.add_documents(make_documents(3))
    return project_path


def test_an_import_appends_and_leaves_no_pending_file(filled: Path) -> None:
    before = (filled / DOCUMENTS_FILE).read_bytes()
    with Project.open(filled) as project:
        project.add_documents([Document(id="new", text="a new text 👍🏽")])
        assert project.get_text("new") == "a new text 👍🏽"
    after = (filled / DOCUMENTS_FILE).read_bytes()
    assert after.startswith(before) and after.count(b"\n") == before.count(b"\n") + 1
    assert not (filled / PENDING).exists()


def test_a_failed_import_is_cut_back_to_the_bytes_before(filled: Path) -> None:
    before = snapshot(filled)
    with Project.open(filled) as project:
        with pytest.raises(AnnotatorError), project.document_batch() as batch:
            for number in range(500):  # more than one write buffer
                batch.add(Document(id=f"n{number}", text=f"text {number} " * 300))
            batch.add(Document(id="doc-0", text="another text under an existing id"))
        assert len(project) == 3
    assert snapshot(filled) == before


def test_a_file_without_its_last_newline_gets_one_and_loses_it_again_on_failure(
    filled: Path,
) -> None:
    documents = filled / DOCUMENTS_FILE
    documents.write_bytes(documents.read_bytes().rstrip(b"\n"))
    before = documents.read_bytes()
    with Project.open(filled) as project:
        with pytest.raises(RuntimeError), project.document_batch() as batch:
            batch.add(Document(id="x", text="x"))
            raise RuntimeError("stop")
    assert documents.read_bytes() == before
    with Project.open(filled) as project:
        project.add_documents([Document(id="x", text="x")])
    with Project.open(filled) as project:
        assert project.problems == [] and project.document_ids()[-1] == "x"


def test_an_import_killed_half_way_is_rolled_back_by_the_next_open(filled: Path) -> None:
    before = (filled / DOCUMENTS_FILE).read_bytes()
    script = textwrap.dedent(
        """
        import sys
        from annotator.core import Document
        from annotator.store import Project
        project = Project.open(sys.argv[1])
        with project.document_batch() as batch:
            for number in range(10**9):
                batch.add(Document(id=f"k{number}", text=f"killed {number} " * 50))
                if number == 2000:
                    print("appending", flush=True)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(filled)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "ANNOTATOR_FSYNC": "0"},
    )
    assert child.stdout is not None and child.stdout.readline() == "appending\n"
    # While it runs, a reader sees only the documents from before the import.
    with Project.open(filled) as reader:
        assert reader.document_ids() == ["doc-0", "doc-1", "doc-2"]
    assert (filled / PENDING).exists()
    time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    assert (filled / DOCUMENTS_FILE).stat().st_size > len(before)
    with Project.open(filled) as project:
        assert project.document_ids() == ["doc-0", "doc-1", "doc-2"]
        assert project.problems == []
    assert (filled / DOCUMENTS_FILE).read_bytes() == before
    assert not (filled / PENDING).exists()


def test_shared_texts_are_found_among_stored_texts_and_kept_as_documents(
    filled: Path,
) -> None:
    with Project.open(filled) as project:
        texts = [project.get_text(doc_id) for doc_id in project.document_ids()]
        with project.document_batch() as batch:
            for document in [
                Document(id="copy", text=texts[1]),
                Document(id="doc-2", text=texts[2]),
                Document(id="fresh", text="nothing like it"),
                Document(id="fresh-again", text="nothing like it"),
            ]:
                batch.add(document)
            assert batch.counts == {"added": 3, "unchanged": 1}
            assert batch.shared_text == 2
        # A document is its id: the copies are documents of their own.
        assert project.document_ids() == ["doc-0", "doc-1", "doc-2", "copy", "fresh", "fresh-again"]
        assert project.get_text("copy") == texts[1]


def test_add_new_takes_only_documents_that_are_all_new(filled: Path) -> None:
    before = snapshot(filled)
    with Project.open(filled) as project:
        stored = [project.get_text(doc_id) for doc_id in project.document_ids()]
        refused = [
            (["doc-0", "n1"], ["a new text", "another"]),  # an id in the project
            (["n1", "n1"], ["one text", "another text"]),  # an id twice
            (["n1", "n2"], ["same text", "same text"]),  # a text twice
            (["n1", "n2"], [stored[1], "a new text"]),  # a stored text
        ]
        with project.document_batch() as batch:
            for ids, texts in refused:
                assert batch.add_new(ids, texts, [{} for _ in ids]) is None
            assert batch.counts == {"added": 0, "unchanged": 0}
        assert len(project) == 3
    assert snapshot(filled) == before


def test_add_new_writes_what_add_writes(filled: Path, tmp_path: Path) -> None:
    texts = ["Xi 👍🏽 said “café\u0301”", "北京\ttext", "e\u0301 and 👩‍👩‍👧", ""]
    metas: list[dict[str, object]] = [{"title": "t", "n": 1}, {}, {"k": [1, {"x": None}]}, {}]
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in (DOCUMENTS_FILE, "annotator.json"):
        (copy / name).write_bytes((filled / name).read_bytes())
    (copy / "annotations").mkdir()
    with Project.open(filled) as project, project.document_batch() as batch:
        digests = batch.add_new(["a", "b", "c", "d"], texts, metas)
        assert digests is not None and batch.last_id == "d" and batch.last_digest == digests[-1]
        assert batch.add_new(["e"], ["one more"], [{}]) is not None
        assert batch.counts["added"] == 5
    with Project.open(copy) as project:
        added = [
            Document(id=doc_id, text=text, meta=meta)
            for doc_id, text, meta in zip("abcde", [*texts, "one more"], [*metas, {}], strict=True)
        ]
        project.add_documents(added)
    assert (filled / DOCUMENTS_FILE).read_bytes() == (copy / DOCUMENTS_FILE).read_bytes()
    with Project.open(filled) as project:
        assert [entry.line for entry in project.entries()] == [1, 2, 3, 4, 5, 6, 7, 8]
        assert project.get_document("c") == added[2]
        assert project.get_text("d") == ""


def test_an_import_failing_after_its_batches_is_cut_back(filled: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    lines = [orjson.dumps({"id": f"b{n}", "text": f"batch text {n} " * 40}) for n in range(2000)]
    lines.append(orjson.dumps({"id": "doc-0", "text": "another text under an existing id"}))
    source.write_bytes(b"\n".join(lines) + b"\n")
    before = snapshot(filled)
    with Project.open(filled) as project:
        with pytest.raises(AnnotatorError, match=r"in\.jsonl:2001: document id 'doc-0'"):
            import_sources(project, [source], "native")
        assert len(project) == 3
    assert snapshot(filled) == before


def test_an_import_of_batches_killed_half_way_is_rolled_back(filled: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    with open(source, "wb") as handle:
        for number in range(40_000):
            handle.write(orjson.dumps({"id": f"k{number}", "text": f"killed {number} " * 50}))
            handle.write(b"\n")
    before = (filled / DOCUMENTS_FILE).read_bytes()
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from annotator.services import import_sources
        from annotator.store import Project
        project = Project.open(sys.argv[1])
        import_sources(project, [Path(sys.argv[2])], "native", progress=lambda done, total: (
            done >= 2000 and not print("appending", flush=True) and input()))
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(filled), str(source)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "ANNOTATOR_FSYNC": "0"},
    )
    assert child.stdout is not None and child.stdout.readline() == "appending\n"
    with Project.open(filled) as reader:
        assert reader.document_ids() == ["doc-0", "doc-1", "doc-2"]
    assert (filled / PENDING).exists()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    assert (filled / DOCUMENTS_FILE).stat().st_size > len(before)
    with Project.open(filled) as project:
        assert project.document_ids() == ["doc-0", "doc-1", "doc-2"]
        assert project.problems == []
    assert (filled / DOCUMENTS_FILE).read_bytes() == before
    assert not (filled / PENDING).exists()
