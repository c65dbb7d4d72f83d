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


# --- doccano: offset units decided per document ---------------------------------------

EMOJI_TEXT = "Fans 👍🏽 cheered Merkel in Paris."


def _units(text: str, phrase: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """(code points, UTF-16 units) of a phrase's start and end in a text."""
    start = text.index(phrase)
    end = start + len(phrase)

    def utf16(offset: int) -> int:
        return len(text[:offset].encode("utf-16-le")) // 2

    return (start, end), (utf16(start), utf16(end))


def test_doccano_by_a_script_counts_code_points_with_emoji_and_crlf(
    tmp_path: Path, fresh: Project
) -> None:
    text = "Fans 👍🏽 cheered\r\nMerkel in Paris.\r\n"
    (merkel, _), (paris, _) = _units(text, "Merkel"), _units(text, "Paris")
    path = write_jsonl(
        tmp_path / "script.jsonl",
        [
            {"id": "a", "text": text, "label": [[*merkel, "PERSON"], [*paris, "GPE"]]},
            {"id": "b", "text": "plain ASCII Merkel", "label": [[12, 18, "PERSON"]]},
        ],
        newline=b"\r\n",
    )
    notices: list[str] = []
    import_sources(fresh, [path], "doccano", notify=notices.append)
    assert covered(fresh, "a") == [("PERSON", "Merkel"), ("GPE", "Paris")]
    assert covered(fresh, "b") == [("PERSON", "Merkel")]
    # Only the document where the readings differ is counted.
    assert f"{path}: 1 × document whose offsets count code points (told by its spans)" in (
        "\n".join(notices)
    )


def test_doccano_from_its_web_editor_counts_utf16_with_emoji(
    tmp_path: Path, fresh: Project
) -> None:
    (_, merkel), (_, paris) = _units(EMOJI_TEXT, "Merkel"), _units(EMOJI_TEXT, "Paris")
    path = write_jsonl(
        tmp_path / "web.jsonl",
        [
            {
                "id": 1,
                "text": EMOJI_TEXT,
                "entities": [
                    {"id": 4, "start_offset": merkel[0], "end_offset": merkel[1], "label": "PER"},
                    {"id": 5, "start_offset": paris[0], "end_offset": paris[1], "label": "GPE"},
                ],
                "relations": [{"id": 9, "from_id": 4, "to_id": 5, "type": "IN"}],
            }
        ],
    )
    notices: list[str] = []
    import_sources(fresh, [path], "doccano", notify=notices.append)
    assert covered(fresh, "1") == [("PER", "Merkel"), ("GPE", "Paris")]
    annotation = fresh.annotations("imported").get("1")
    assert annotation is not None and [(r.id, r.head, r.tail) for r in annotation.relations] == [
        ("R9", "T4", "T5")
    ]
    assert any("1 × document whose offsets count UTF-16 code units" in n for n in notices)


def test_doccano_surrogate_pair_split_means_code_points(tmp_path: Path, fresh: Project) -> None:
    text = "👍🏽 ok fine"
    # [3, 5) in code points is "ok"; in UTF-16 units, 3 falls inside the skin tone's pair.
    path = write_jsonl(tmp_path / "s.jsonl", [{"id": 1, "text": text, "label": [[3, 5, "X"]]}])
    import_sources(fresh, [path], "doccano")
    assert covered(fresh, "1") == [("X", "ok")]


def test_doccano_span_neither_reading_places_well_is_refused(
    tmp_path: Path, fresh: Project
) -> None:
    # UTF-16 splits a pair, and code points give a skin tone and a thumb: nothing guessed.
    text = "👍🏽👍🏽 ok"
    path = write_jsonl(tmp_path / "s.jsonl", [{"id": 1, "text": text, "label": [[1, 3, "X"]]}])
    with pytest.raises(AnnotatorError, match=r"s\.jsonl:1: label\[0\].*surrogate pair"):
        import_sources(fresh, [path], "doccano")
    assert len(fresh) == 0


def _ambiguous(tmp_path: Path) -> Path:
    # Shifted by one after the emoji, the span is "b-" or "-b": both on word boundaries,
    # so nothing tells the unit.
    text = "👍 a-b-c"
    return write_jsonl(
        tmp_path / "ambiguous.jsonl",
        [
            {"id": 1, "text": "Merkel", "label": [[0, 6, "PERSON"]]},
            {"id": 2, "text": text, "label": [[4, 6, "P"]]},
        ],
    )


def test_doccano_ambiguous_offsets_are_refused_with_the_option_named(
    tmp_path: Path, fresh: Project
) -> None:
    path = _ambiguous(tmp_path)
    before = snapshot(fresh.path)
    with pytest.raises(AnnotatorError) as caught:
        import_sources(fresh, [path], "doccano")
    message = str(caught.value)
    assert message.startswith(f"{path}:2: ") and "\n" not in message
    assert "--offset-unit codepoint|utf16" in message
    assert snapshot(fresh.path) == before


@pytest.mark.parametrize(("unit", "expected"), [("codepoint", "b-"), ("utf16", "-b")])
def test_doccano_offset_unit_option_settles_it(
    tmp_path: Path, fresh: Project, unit: str, expected: str
) -> None:
    import_sources(fresh, [_ambiguous(tmp_path)], "doccano", offset_unit=unit)  # type: ignore[arg-type]
    assert covered(fresh, "2") == [("P", expected)]


def test_cli_names_the_option_and_takes_it(tmp_path: Path) -> None:
    import subprocess
    import sys

    source = _ambiguous(tmp_path)
    project = tmp_path / "p"
    repo = Path(__file__).resolve().parents[2]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "annotator.cli", *args]
        return subprocess.run(command, capture_output=True, text=True, cwd=repo, timeout=60)

    assert cli("init", str(project)).returncode == 0
    refused = cli("import", str(project), str(source), "--format", "doccano")
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "--offset-unit" in refused.stderr
    assert "Traceback" not in refused.stderr
    taken = cli("import", str(project), str(source), "--offset-unit", "utf16")
    assert taken.returncode == 0, taken.stderr
    assert "2 documents added" in taken.stdout


def test_doccano_ascii_documents_skip_the_unit_analysis(
    tmp_path: Path, fresh: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotator.formats import offsets

    def no_search(*args: object) -> None:
        raise AssertionError("the unit search ran on a text without astral characters")

    monkeypatch.setattr(offsets.SourceText, "to_stored", no_search)
    path = write_jsonl(
        tmp_path / "bmp.jsonl",
        [
            {"text": "Merkel met Macron", "label": [[0, 6, "PERSON"]]},
            {"text": "Меркель — 北京", "label": [[0, 7, "PERSON"], [10, 12, "GPE"]]},
        ],
    )
    import_sources(fresh, [path], "doccano")
    assert covered(fresh, "bmp-2") == [("PERSON", "Меркель"), ("GPE", "北京")]


# --- doccano's list forms and categories -------------------------------------------------


def test_doccano_entities_as_lists_with_cats(tmp_path: Path, fresh: Project) -> None:
    # doccano's export of an intent detection and slot filling project.
    path = write_jsonl(
        tmp_path / "intent.jsonl",
        [
            {
                "id": 3,
                "text": "Book a flight to Paris",
                "entities": [[17, 22, "CITY"]],
                "cats": ["book_flight"],
            },
            {"id": 4, "text": "Hello Merkel", "label": [[6, 12, "PERSON"]], "cats": []},
        ],
    )
    notices: list[str] = []
    import_sources(fresh, [path], "auto", notify=notices.append)
    assert covered(fresh, "3") == [("CITY", "Paris")]
    assert covered(fresh, "4") == [("PERSON", "Merkel")]
    # The intent is a document category now, in the category "cats" (formats/cats.py).
    assert "cats" not in fresh.get_document("3").meta
    assert fresh.annotations("imported", writable=False).get("3").cats == {  # type: ignore[union-attr]
        "cats": ["book_flight"]
    }
    assert fresh.schema.categories[0].choices == ["book_flight"]
    assert any("document categories not in the schema were added" in n for n in notices)
