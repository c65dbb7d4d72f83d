"""Sources as the other tools write them: their offset units, CRLF text, their meanings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.core import DocumentAnnotation
from annotator.services import export_project, import_sources
from annotator.store import Project

# The source's text keeps CRLF; offsets in each source count the '\r's.
SOURCE = "Putin 👍🏽 said:\r\n“We remain, 北京.”\r\nXi\tagreed, cafe\u0301."
STORED = SOURCE.replace("\r\n", "\n")


def cp(phrase: str, text: str = SOURCE) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


def u16(phrase: str, text: str = SOURCE) -> tuple[int, int]:
    start, end = cp(phrase, text)
    return len(text[:start].encode("utf-16-le")) // 2, len(text[:end].encode("utf-16-le")) // 2


def covered(project: Project, name: str | None = None) -> list[tuple[str, str]]:
    names = [name] if name else project.annotators()
    result: list[tuple[str, str]] = []
    for layer in names:
        for doc in project.iter_documents():
            annotation = project.annotations(layer).get(doc.id)
            if annotation is not None:
                assert not annotation.problems_with(doc.text)
                result.extend((s.label, s.text) for s in annotation.spans)
    return sorted(result)


def write_jsonl(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(item) + b"\n" for item in items))
    return path


@pytest.fixture
def fresh(tmp_path: Path) -> Project:
    return Project.create(tmp_path / "project")


# --- doccano -------------------------------------------------------------------------------


def test_doccano_utf16_offsets_over_crlf_text(tmp_path: Path, fresh: Project) -> None:
    item = {
        "text": SOURCE,
        "label": [[*u16("北京"), "GPE"], [*u16("Xi"), "PERSON"], [*u16("cafe\u0301"), "ORG"]],
    }
    import_sources(fresh, [write_jsonl(tmp_path / "d.jsonl", [item])], "auto")
    assert covered(fresh) == [("GPE", "北京"), ("ORG", "cafe\u0301"), ("PERSON", "Xi")]
    assert fresh.get_document("d-1").text == STORED


def test_doccano_export_counts_utf16(tmp_path: Path, fresh: Project) -> None:
    item = {"id": "x", "text": SOURCE, "label": [[*u16("Xi"), "PERSON"]]}
    import_sources(fresh, [write_jsonl(tmp_path / "d.jsonl", [item])], "doccano", "bob")
    export_project(fresh, "doccano", tmp_path / "out.jsonl", annotator="bob")
    written = orjson.loads((tmp_path / "out.jsonl").read_bytes())
    assert written["label"] == [[*u16("Xi", STORED), "PERSON"]]
    assert "entities" not in written  # no relations: the label form


def test_doccano_offset_inside_an_emoji_is_refused(tmp_path: Path, fresh: Project) -> None:
    start, _ = u16("👍🏽")
    item = {"text": SOURCE, "label": [[start + 1, start + 4, "X"]]}
    with pytest.raises(Exception, match=r"d.jsonl:1: label\[0\].*surrogate pair"):
        import_sources(fresh, [write_jsonl(tmp_path / "d.jsonl", [item])], "doccano")
    assert len(fresh) == 0


# --- Label Studio --------------------------------------------------------------------------


def region(rid: str, span: tuple[int, int], label: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "type": "labels",
        "from_name": "label",
        "to_name": "text",
        "value": {"start": span[0], "end": span[1], "text": text, "labels": [label]},
        **extra,
    }


def ls_task(annotations: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": 7, "data": {"text": SOURCE}, "annotations": annotations, **extra}


def test_label_studio_code_points_layers_and_what_is_not_a_label(
    tmp_path: Path, fresh: Project
) -> None:
    alice = {
        "completed_by": {"id": 1, "email": "alice@example.com"},
        "result": [
            region("a", cp("“We remain, 北京.”"), "QUOTE", "“We remain, 北京.”"),
            region("b", cp("Putin"), "PERSON", "Putin", meta={"text": ["check spelling"]}),
            {"type": "relation", "from_id": "b", "to_id": "a", "direction": "left", "labels": []},
            {"id": "c", "type": "choices", "value": {"choices": ["politics"]}},
        ],
    }
    bob = {"completed_by": 2, "result": [region("x", cp("Xi"), "PERSON", "Xi")]}
    cancelled = {
        "completed_by": 3,
        "was_cancelled": True,
        "result": [region("y", cp("Xi"), "ORG", "Xi")],
    }
    prediction = {"result": [region("p", cp("Putin"), "ORG", "Putin")]}
    path = tmp_path / "tasks.json"
    path.write_bytes(orjson.dumps([ls_task([alice, bob, cancelled], predictions=[prediction])]))
    notices: list[str] = []
    import_sources(fresh, [path], "auto", notify=notices.append)
    assert fresh.annotators() == ["alice", "ls-user-2"]
    assert covered(fresh, "alice") == [("PERSON", "Putin"), ("QUOTE", "“We remain, 北京.”")]
    assert covered(fresh, "ls-user-2") == [("PERSON", "Xi")]
    annotation = fresh.annotations("alice").get("7")
    assert annotation is not None
    (relation,) = annotation.relations
    assert (relation.head, relation.tail, relation.label) == ("a", "b", "RELATED_TO")
    assert annotation.span("b").note == "check spelling"  # type: ignore[union-attr]
    text = "\n".join(notices)
    assert "prediction" in text and "cancelled" in text and "'choices'" in text


def test_label_studio_annotator_option_makes_one_layer(tmp_path: Path, fresh: Project) -> None:
    one = {"completed_by": 1, "result": [region("a", cp("Xi"), "PERSON", "Xi")]}
    two = {"completed_by": 2, "result": [region("a", cp("Xi"), "PERSON", "Xi")]}
    path = tmp_path / "tasks.json"
    path.write_bytes(orjson.dumps([ls_task([one, two])]))
    import_sources(fresh, [path], "label-studio", annotator="carol")
    assert fresh.annotators() == ["carol"]
    assert covered(fresh) == [("PERSON", "Xi")]  # the same span twice is kept once


def test_label_studio_before_2022_counted_utf16(tmp_path: Path, fresh: Project) -> None:
    annotation = {"result": [region("a", u16("北京"), "GPE", "北京")]}
    path = tmp_path / "old.json"
    path.write_bytes(orjson.dumps([ls_task([annotation])]))
    notices: list[str] = []
    import_sources(fresh, [path], "label-studio", notify=notices.append)
    assert covered(fresh) == [("GPE", "北京")]
    assert any("UTF-16" in notice for notice in notices)


def test_label_studio_wrong_text_is_refused(tmp_path: Path, fresh: Project) -> None:
    annotation = {"result": [region("a", cp("Xi"), "PERSON", "Putin")]}
    path = tmp_path / "bad.json"
    path.write_bytes(orjson.dumps([ls_task([annotation])]))
    with pytest.raises(
        Exception, match=r"bad.json:1: \[0\]: annotations\[0\].result\[0\].value says 'Putin'"
    ):
        import_sources(fresh, [path], "label-studio")
    assert len(fresh) == 0


# --- Prodigy --------------------------------------------------------------------------------


def test_prodigy_answers_annotators_and_relations(tmp_path: Path, fresh: Project) -> None:
    quote, putin = cp("“We remain, 北京.”"), cp("Putin")
    spans = [
        {"start": putin[0], "end": putin[1], "label": "PERSON", "token_start": 0, "token_end": 0},
        {"start": quote[0], "end": quote[1], "label": "QUOTE", "token_start": 4, "token_end": 9},
    ]
    relation = {
        "head": 9,
        "child": 0,
        "head_span": spans[1],
        "child_span": spans[0],
        "label": "ATTRIBUTED_TO",
    }
    tasks = [
        {
            "text": SOURCE,
            "spans": spans,
            "relations": [relation],
            "answer": "accept",
            "_annotator_id": "news-alice",
        },
        {"text": SOURCE, "spans": spans[:1], "answer": "accept", "_annotator_id": "news-bob"},
        {
            "text": SOURCE,
            "spans": [{"start": 0, "end": 2, "label": "X"}],
            "answer": "reject",
            "_annotator_id": "news-bob",
        },
        {
            "text": "Another text",
            "spans": [{"start": 0, "end": 7, "label": "X"}],
            "answer": "ignore",
        },
    ]
    notices: list[str] = []
    summary = import_sources(
        fresh, [write_jsonl(tmp_path / "p.jsonl", tasks)], "auto", notify=notices.append
    )
    assert summary.added == 2
    assert fresh.annotators() == ["news-alice", "news-bob"]
    assert covered(fresh, "news-bob") == [("PERSON", "Putin")]
    alice = fresh.annotations("news-alice").get("p-1")
    assert alice is not None and alice.status == "done"
    (rel,) = alice.relations
    assert (alice.span(rel.head).label, alice.span(rel.tail).label) == ("QUOTE", "PERSON")  # type: ignore[union-attr]
    assert "X" not in fresh.schema.label_names()  # rejected and ignored spans are no labels
    assert sum("answered" in notice for notice in notices) == 2


def test_prodigy_export_tokens_and_hashes(tmp_path: Path, fresh: Project) -> None:
    import_sources(
        fresh,
        [
            write_jsonl(
                tmp_path / "p.jsonl",
                [
                    {
                        "text": SOURCE,
                        "spans": [
                            {
                                "start": cp("cafe\u0301")[0],
                                "end": cp("cafe\u0301")[1] - 1,
                                "label": "ORG",
                            }
                        ],
                        "answer": "accept",
                    }
                ],
            )
        ],
        "prodigy",
    )
    out = tmp_path / "out.jsonl"
    export_project(fresh, "prodigy", out)
    task = orjson.loads(out.read_bytes())
    (span,) = task["spans"]
    assert STORED[span["start"] : span["end"]] == "cafe"
    tokens = task["tokens"]
    assert [t["text"] for t in tokens[span["token_start"] : span["token_end"] + 1]] == ["cafe"]
    assert all(STORED[t["start"] : t["end"]] == t["text"] for t in tokens)
    assert isinstance(task["_input_hash"], int) and -(2**31) <= task["_task_hash"] < 2**31
    assert task["answer"] == "accept"


# --- brat -----------------------------------------------------------------------------------


def write_brat(folder: Path, name: str, text: str, ann: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.txt").write_bytes(text.encode())
    (folder / f"{name}.ann").write_bytes(ann.encode())


def test_brat_crlf_text_discontinuous_notes_attributes(tmp_path: Path, fresh: Project) -> None:
    s1, e1 = cp("Putin")
    s2, e2 = cp("Xi")
    sq, eq = cp("“We remain, 北京.”")
    ann = (
        f"T1\tPERSON {s1} {e1}\tPutin\n"
        f"T2\tPERSON {s2} {e2}\tXi\n"
        f"T3\tQUOTE {sq} {eq}\t“We remain, 北京.”\n"
        f"T4\tPAIR {s1} {e1};{s2} {e2}\tPutin Xi\n"
        "R1\tATTRIBUTED_TO Arg1:T3 Arg2:T1\n"
        "#1\tAnnotatorNotes T1\tPresident\n"
        "#2\tAnnotatorNotes R1\tsure\n"
        "A1\tNegated T2\n"
        "A2\tConfidence T1 High\n"
        "N1\tReference T1 Wikidata:Q7747\tVladimir Putin\n"
    )
    write_brat(tmp_path / "brat", "doc", SOURCE, ann)
    notices: list[str] = []
    import_sources(fresh, [tmp_path / "brat"], "auto", notify=notices.append)
    annotation = fresh.annotations("imported").get("doc")
    assert annotation is not None
    spans = {s.id: s for s in annotation.spans}
    assert spans["T1"].text == "Putin" and spans["T1"].note == "President"
    assert spans["T1"].attrs == {
        "Confidence": "High",
        "normalizations": [
            {"type": "Reference", "ref": "Wikidata:Q7747", "text": "Vladimir Putin"}
        ],
    }
    assert spans["T2"].attrs == {"Negated": True}
    assert (spans["T4"].text, spans["T4.2"].text) == ("Putin", "Xi")
    assert spans["T4"].attrs == spans["T4.2"].attrs == {"discontinuous": "T4"}
    assert annotation.relations[0].note == "sure"
    assert any("discontinuous" in notice for notice in notices)

    export_project(fresh, "brat", tmp_path / "out")
    written = (tmp_path / "out" / "doc.ann").read_text()
    assert f"PAIR {s1 - 0} {e1};{cp('Xi', STORED)[0]} {cp('Xi', STORED)[1]}\tPutin Xi" in written
    assert "A1\tConfidence T1 High" in written and "Negated T2" in written
    assert "\tReference T1 Wikidata:Q7747\tVladimir Putin" in written
    assert (tmp_path / "out" / "doc.txt").read_bytes() == STORED.encode()


def test_brat_utf16_offsets_from_the_browser_client(tmp_path: Path, fresh: Project) -> None:
    s, e = u16("Xi")
    write_brat(tmp_path / "brat", "doc", SOURCE, f"T1\tPERSON {s} {e}\tXi\n")
    notices: list[str] = []
    import_sources(fresh, [tmp_path / "brat" / "doc.ann"], "brat", notify=notices.append)
    assert covered(fresh) == [("PERSON", "Xi")]
    assert any("UTF-16" in notice for notice in notices)


@pytest.mark.parametrize(
    ("ann", "message"),
    [
        ("T1\tPERSON 0 5\tWrong\n", r"doc.ann:1: T1 says 'Wrong'"),
        ("T1\tPERSON 0 500\tPutin\n", r"doc.ann:1: T1 \[0, 500\): offset 500 is outside"),
        (
            "T1\tPERSON 0 5\tPutin\nR1\tREL Arg1:T1 Arg2:T9\n",
            r"doc.ann:2: refers to missing annotation 'T9'",
        ),
        ("T1\tPERSON 0 5\tPutin\nX1\tstrange\n", r"doc.ann:2: unknown annotation line 'X1'"),
        ("T1\tPERSON zero 5\tPutin\n", r"doc.ann:1: malformed T line"),
        (
            "T1\tPERSON 0 5\tPutin\nE1\tMove:E2\nE2\tMove:E1 Agent:T1\nR1\tREL Arg1:E1 Arg2:T1\n",
            r"doc.ann:4: events trigger each other in a loop: E1 → E2 → E1",
        ),
    ],
)
def test_brat_malformed_files_are_refused(
    tmp_path: Path, fresh: Project, ann: str, message: str
) -> None:
    write_brat(tmp_path / "brat", "doc", SOURCE, ann)
    with pytest.raises(Exception, match=message):
        import_sources(fresh, [tmp_path / "brat"], "brat")
    assert len(fresh) == 0 and fresh.annotators() == []


def test_brat_import_leaves_no_reference_cycles(tmp_path: Path) -> None:
    """Imports run without the cyclic collector: a document's parse in a cycle (a closure
    calling itself) stayed in memory to the end, five times the folder's size."""
    import gc

    from annotator.formats.base import get_reader

    s1, e1 = cp("Putin")
    s2, e2 = cp("Xi")
    ann = (
        f"T1\tPERSON {s1} {e1}\tPutin\nT2\tPERSON {s2} {e2}\tXi\n"
        "E1\tMeet:T1 Agent:T2\nR1\tMET Arg1:T1 Arg2:E1\n"
    )
    for number in range(20):
        write_brat(tmp_path / "brat", f"doc{number}", SOURCE, ann)
    reader = get_reader("brat")
    gc.collect()
    gc.disable()
    try:
        records = list(reader.read(tmp_path / "brat"))
        assert len(records) == 20 and len(records[0].labels[None].records[1]) == 2
        del records
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_brat_file_names_are_safe_and_distinct(tmp_path: Path, fresh: Project) -> None:
    ids = ["../../etc/passwd", "/abs/path", "a/b", "a_b", "A_B", "CON", ".hidden", "ok-1"]
    path = write_jsonl(
        tmp_path / "docs.jsonl", [{"id": i, "text": f"text {n}"} for n, i in enumerate(ids)]
    )
    import_sources(fresh, [path], "native")
    out = tmp_path / "out"
    export_project(fresh, "brat", out, include_unlabelled=True)
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.txt"))
    assert len(names) == len(ids)
    assert len({n.lower() for n in names}) == len(ids)
    assert all(not part.startswith(".") for n in names for part in n.split("/"))
    # A safe relative path stays one (the reader names a subfolder's document so).
    assert "ok-1.txt" in names and "a/b.txt" in names
    assert not (tmp_path / "etc").exists()
    assert all(p.resolve().is_relative_to(out.resolve()) for p in out.rglob("*"))
    annotation_free = [p for p in out.rglob("*.ann")]
    assert all(p.read_text() == "" for p in annotation_free)


def test_layer_with_two_labels_on_one_region(tmp_path: Path, fresh: Project) -> None:
    item = region("a", cp("Xi"), "PERSON", "Xi")
    item["value"]["labels"] = ["PERSON", "SOURCE"]
    path = tmp_path / "t.json"
    path.write_bytes(orjson.dumps([ls_task([{"result": [item]}])]))
    import_sources(fresh, [path], "label-studio")
    assert covered(fresh) == [("PERSON", "Xi"), ("SOURCE", "Xi")]
    annotation = fresh.annotations("imported").get("7")
    assert isinstance(annotation, DocumentAnnotation) and annotation.status == "done"


def test_prodigy_relation_finds_the_span_with_its_label(tmp_path: Path, fresh: Project) -> None:
    """Two spans over the same words: the relation keeps pointing at the right one."""
    from annotator.core import DocumentAnnotation, Relation, Span

    import_sources(fresh, [write_jsonl(tmp_path / "in.jsonl", [{"id": "d", "text": STORED}])])
    text = fresh.get_text("d")
    xi = text.index("Xi")
    quote = text.index("“")
    labels = DocumentAnnotation(
        doc_id="d",
        text_hash=fresh.get_document("d").hash,
        spans=[
            Span.of(text, xi, xi + 2, "PERSON", "T1"),
            Span.of(text, xi, xi + 2, "SOURCE", "T2"),
            Span.of(text, quote, quote + 5, "QUOTE", "T3"),
        ],
        relations=[Relation(id="R1", label="ATTRIBUTED_TO", head="T3", tail="T2")],
    )
    fresh.annotations("ann").save(labels)
    export_project(fresh, "prodigy", tmp_path / "out.jsonl", annotator="ann")
    again = Project.create(tmp_path / "again")
    import_sources(again, [tmp_path / "out.jsonl"], "prodigy")
    result = again.annotations("ann").get("d")
    assert result is not None
    (rel,) = result.relations
    assert result.span(rel.tail).label == "SOURCE"  # type: ignore[union-attr]
    again.close()


# --- a byte-order mark inside the text ------------------------------------------------------

BOM_SOURCE = "\ufeff" + SOURCE


def test_doccano_text_with_a_bom_keeps_its_spans_in_place(tmp_path: Path, fresh: Project) -> None:
    # doccano (JavaScript) counts the BOM as one UTF-16 unit; the stored text drops it.
    item = {
        "text": BOM_SOURCE,
        "label": [[*u16("Putin", BOM_SOURCE), "PERSON"], [*u16("北京", BOM_SOURCE), "GPE"]],
    }
    import_sources(fresh, [write_jsonl(tmp_path / "d.jsonl", [item])], "doccano", "bob")
    assert fresh.get_document("d-1").text == STORED
    assert covered(fresh) == [("GPE", "北京"), ("PERSON", "Putin")]


def test_label_studio_text_with_a_bom_keeps_its_spans_in_place(
    tmp_path: Path, fresh: Project
) -> None:
    task = {
        "id": 8,
        "data": {"text": BOM_SOURCE},
        "annotations": [
            {
                "result": [
                    region("a", cp("Xi", BOM_SOURCE), "PERSON", "Xi"),
                    region("b", cp("北京", BOM_SOURCE), "GPE", "北京"),
                ]
            }
        ],
    }
    path = tmp_path / "ls.json"
    path.write_bytes(orjson.dumps([task]))
    import_sources(fresh, [path], "label-studio", "carol")
    assert covered(fresh) == [("GPE", "北京"), ("PERSON", "Xi")]


def test_prodigy_text_with_a_bom_keeps_its_spans_in_place(tmp_path: Path, fresh: Project) -> None:
    start, end = cp("cafe\u0301", BOM_SOURCE)
    task = {"text": BOM_SOURCE, "spans": [{"start": start, "end": end, "label": "ORG"}]}
    import_sources(fresh, [write_jsonl(tmp_path / "p.jsonl", [task])], "prodigy", "dan")
    assert covered(fresh) == [("ORG", "cafe\u0301")]
