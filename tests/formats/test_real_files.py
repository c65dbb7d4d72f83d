"""Real files from other tools keep every label as it was: documents are their ids (not
their texts), doccano's offset unit is decided per document from evidence, doccano's list
forms, brat ids, tabs and numbered roles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.core import AnnotatorError
from annotator.services import export_project, import_sources
from annotator.store import Project
from tests.store.helpers import snapshot

SHARED = "Merkel met Macron in Paris.\n"


@pytest.fixture
def fresh(tmp_path: Path) -> Project:
    project = Project.create(tmp_path / "project")
    yield project  # type: ignore[misc]
    project.close()


def write_jsonl(path: Path, items: list[dict[str, Any]], newline: bytes = b"\n") -> Path:
    path.write_bytes(b"".join(orjson.dumps(item) + newline for item in items))
    return path


def covered(project: Project, doc_id: str, who: str = "imported") -> list[tuple[str, str]]:
    annotation = project.annotations(who).get(doc_id)
    assert annotation is not None, doc_id
    return [(span.label, span.text) for span in annotation.spans]


# --- a document is its id ----------------------------------------------------------------


def _brat_pair(folder: Path) -> Path:
    folder.mkdir()
    for name, ann in [
        ("a", "T1\tPERSON 0 6\tMerkel\n"),
        ("b", "T1\tPERSON 11 17\tMacron\nT2\tGPE 21 26\tParis\n"),
    ]:
        (folder / f"{name}.txt").write_bytes(SHARED.encode())
        (folder / f"{name}.ann").write_bytes(ann.encode())
    return folder


def test_brat_files_sharing_a_text_stay_two_documents(tmp_path: Path, fresh: Project) -> None:
    source = _brat_pair(tmp_path / "brat")
    summary = import_sources(fresh, [source], "brat")
    assert (summary.added, summary.shared_text) == (2, 1)
    assert "1 sharing its text with another document" in summary.describe()
    assert covered(fresh, "a") == [("PERSON", "Merkel")]
    assert covered(fresh, "b") == [("PERSON", "Macron"), ("GPE", "Paris")]
    out = tmp_path / "out"
    export_project(fresh, "brat", out)
    assert (out / "a.ann").read_text() == "T1\tPERSON 0 6\tMerkel\n"
    assert (out / "b.ann").read_text() == "T1\tPERSON 11 17\tMacron\nT2\tGPE 21 26\tParis\n"


def test_reimporting_the_same_ids_changes_nothing(tmp_path: Path, fresh: Project) -> None:
    brat = _brat_pair(tmp_path / "brat")
    doccano = write_jsonl(
        tmp_path / "d.jsonl",
        [{"id": 7, "text": SHARED, "label": [[0, 6, "PERSON"]]}, {"id": 8, "text": SHARED}],
    )
    import_sources(fresh, [brat, doccano])
    before = snapshot(fresh.path)
    summary = import_sources(fresh, [brat, doccano])
    assert (summary.added, summary.unchanged, summary.shared_text) == (0, 4, 0)
    assert snapshot(fresh.path) == before


def test_doccano_repeated_texts_labelled_otherwise_stay_apart(
    tmp_path: Path, fresh: Project
) -> None:
    path = write_jsonl(
        tmp_path / "repeated.jsonl",
        [
            {"text": SHARED, "label": [[0, 6, "PERSON"]]},
            {"text": SHARED, "label": [[21, 26, "GPE"]]},
            {"id": 1, "text": SHARED, "label": [[11, 17, "PERSON"]]},
        ],
    )
    summary = import_sources(fresh, [path], "doccano")
    # Without an id, a record is its file and line.
    assert fresh.document_ids() == ["repeated-1", "repeated-2", "1"]
    assert summary.shared_text == 2
    assert covered(fresh, "repeated-1") == [("PERSON", "Merkel")]
    assert covered(fresh, "repeated-2") == [("GPE", "Paris")]
    assert covered(fresh, "1") == [("PERSON", "Macron")]


def test_prodigy_keeps_its_own_rule_one_input_hash_one_example(
    tmp_path: Path, fresh: Project
) -> None:
    def task(who: str, start: int, end: int, input_hash: int = 11) -> dict[str, Any]:
        return {
            "text": SHARED,
            "_input_hash": input_hash,
            "_annotator_id": who,
            "answer": "accept",
            "spans": [{"start": start, "end": end, "label": "PERSON"}],
        }

    alice = write_jsonl(tmp_path / "alice.jsonl", [task("alice", 0, 6)])
    bob = write_jsonl(tmp_path / "bob.jsonl", [task("bob", 11, 17), task("bob", 0, 6, 12)])
    summary = import_sources(fresh, [alice, bob], "prodigy")
    # bob's copy of example 11 is alice's document; example 12 is another one.
    assert fresh.document_ids() == ["alice-1", "bob-2"]
    assert summary.shared_text == 1
    assert covered(fresh, "alice-1", "bob") == [("PERSON", "Macron")]
    assert covered(fresh, "alice-1", "alice") == [("PERSON", "Merkel")]
    # And so across imports.
    assert import_sources(fresh, [bob], "prodigy").added == 0


# --- brat details ------------------------------------------------------------------------


def test_brat_ids_tabs_and_numbered_roles(tmp_path: Path, fresh: Project) -> None:
    text = "Tab\there binds p53 and p21 now.\n"
    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / "doc.txt").write_bytes(text.encode())
    ann = (
        "T7\tProtein 0 8\tTab\there\n"
        "T3\tBinding 9 14\tbinds\n"
        "T12\tProtein 15 18\tp53\n"
        "T13\tProtein 23 26\tp21\n"
        "R4\tRel Arg1:T12 Arg2:T13\n"
        "E2\tBinding:T3 Theme:T12 Theme2:T13\n"
    )
    (folder / "doc.ann").write_bytes(ann.encode())
    notices: list[str] = []
    import_sources(fresh, [folder], "brat", notify=notices.append)
    annotation = fresh.annotations("imported").get("doc")
    assert annotation is not None
    assert [span.id for span in annotation.spans] == ["T7", "T3", "T12", "T13"]
    assert annotation.spans[0].text == "Tab\there"
    relations = [(r.id, r.label, r.head, r.tail) for r in annotation.relations]
    assert relations == [
        ("R4", "Rel", "T12", "T13"),
        ("E2.Theme", "Theme", "T3", "T12"),
        ("E2.Theme2", "Theme", "T3", "T13"),
    ]
    assert fresh.schema.relation("Theme") is not None and fresh.schema.relation("Theme2") is None
    assert any("numbered event role" in notice for notice in notices)
    out = tmp_path / "out"
    export_project(fresh, "brat", out)
    lines = (out / "doc.ann").read_text().splitlines()
    # The source's ids come back; the tab inside a span's text is written as brat does.
    assert lines[:4] == [
        "T7\tProtein 0 8\tTab\there",
        "T3\tBinding 9 14\tbinds",
        "T12\tProtein 15 18\tp53",
        "T13\tProtein 23 26\tp21",
    ]
    assert lines[4] == "R4\tRel Arg1:T12 Arg2:T13"
    again = Project.create(tmp_path / "again")
    import_sources(again, [out], "brat")
    back = again.annotations("imported").get("doc")
    assert back is not None and [(s.id, s.text) for s in back.spans] == [
        (s.id, s.text) for s in annotation.spans
    ]
    again.close()


def test_brat_span_text_with_a_line_separator_is_one_line(tmp_path: Path, fresh: Project) -> None:
    text = "Alpha\u2028Beta rose.\n"
    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / "doc.txt").write_bytes(text.encode())
    (folder / "doc.ann").write_bytes("T1\tORG 0 10\tAlpha\u2028Beta\n".encode())
    import_sources(fresh, [folder], "brat")
    assert covered(fresh, "doc") == [("ORG", "Alpha\u2028Beta")]


def test_a_refused_import_names_file_and_line(tmp_path: Path, fresh: Project) -> None:
    before = snapshot(fresh.path)
    path = write_jsonl(tmp_path / "bad.jsonl", [{"id": 1, "text": "x"}, {"id": 1, "text": "y"}])
    with pytest.raises(AnnotatorError, match=r"bad\.jsonl:2.*already earlier in this import"):
        import_sources(fresh, [path], "doccano")
    assert snapshot(fresh.path) == before
