"""A quote's structure (contents, cue, sources, coreference) in every export that can hold it:
native and brat (relations), Label Studio (relations and its labelling interface), spaCy
(doc.spans["quotes"] by role, doc.user_data["quotes"] in Citron's shape)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotator.core.schema import ATTRIBUTED_TO, CONTINUES, COREF, CUE
from annotator.services import export_project, import_sources
from annotator.store import Project
from tests.formats.test_citron import SPLIT_TEXT, split_quote_file, write

QUOTE_RELATIONS = {CUE, ATTRIBUTED_TO, CONTINUES, COREF}


@pytest.fixture
def quoted(tmp_path: Path) -> Project:
    source = write(tmp_path / "in", "humpty.json", split_quote_file())
    project = Project.create(tmp_path / "p")
    import_sources(project, [source], "citron", annotator="alice")
    return project


def test_native_and_brat_carry_every_quote_relation(quoted: Project, tmp_path: Path) -> None:
    export_project(quoted, "native", tmp_path / "n.jsonl", annotator="alice")
    (line,) = (tmp_path / "n.jsonl").read_bytes().splitlines()
    assert {r["label"] for r in orjson.loads(line)["relations"]} == QUOTE_RELATIONS

    export_project(quoted, "brat", tmp_path / "brat", annotator="alice")
    ann = (tmp_path / "brat" / "humpty.ann").read_text(encoding="utf-8").splitlines()
    spans = {line.split("\t")[0]: line.split("\t")[2] for line in ann if line.startswith("T")}
    relations = {
        (label, spans[arg1.removeprefix("Arg1:")], spans[arg2.removeprefix("Arg2:")])
        for label, arg1, arg2 in (
            line.split("\t")[1].split() for line in ann if line.startswith("R")
        )
    }
    assert relations == {
        (CUE, '"When I use a word,"', "said"),
        (ATTRIBUTED_TO, '"When I use a word,"', "Humpty Dumpty"),
        (CONTINUES, '"it means just what I choose it to mean."', '"When I use a word,"'),
        (CUE, '"The question is which is to be master."', "added"),
        (ATTRIBUTED_TO, '"The question is which is to be master."', "he"),
        (COREF, "he", "Humpty Dumpty"),
    }
    conf = (tmp_path / "brat" / "annotation.conf").read_text(encoding="utf-8")
    assert all(f"\n{name}\tArg1:" in conf for name in QUOTE_RELATIONS)
    assert "\nCUE\n" in conf  # the cue label among the entities
    quoted.close()


def test_label_studio_carries_quote_relations_and_names_them_in_its_interface(
    quoted: Project, tmp_path: Path
) -> None:
    out = tmp_path / "ls.json"
    export_project(quoted, "label-studio", out, annotator="alice")
    (task,) = orjson.loads(out.read_bytes())
    result = task["annotations"][0]["result"]
    regions = {r["id"]: r["value"]["text"] for r in result if r["type"] == "labels"}
    links = {
        (r["labels"][0], regions[r["from_id"]], regions[r["to_id"]])
        for r in result
        if r["type"] == "relation"
    }
    assert (COREF, "he", "Humpty Dumpty") in links
    assert {label for label, _, _ in links} == QUOTE_RELATIONS
    config = out.with_name("ls.label-config.xml").read_text(encoding="utf-8")
    assert all(f'<Relation value="{name}"/>' in config for name in QUOTE_RELATIONS)
    assert 'value="CUE"' in config
    quoted.close()


def test_spacy_docbin_holds_each_quote_as_a_spans_group_by_role(
    quoted: Project, tmp_path: Path
) -> None:
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    out = tmp_path / "q.spacy"
    export_project(quoted, "spacy", out, annotator="alice")
    (doc,) = DocBin().from_bytes(out.read_bytes()).get_docs(spacy.blank("en").vocab)
    parts = sorted((s.id_, s.label_, s.text) for s in doc.spans["quotes"])
    assert parts == [
        ("quote1", "CONTENT", '"When I use a word,"'),
        ("quote1", "CONTENT", '"it means just what I choose it to mean."'),
        ("quote1", "CUE", "said"),
        ("quote1", "SOURCE", "Humpty Dumpty"),
        ("quote2", "CONTENT", '"The question is which is to be master."'),
        ("quote2", "COREFERENCE", "Humpty Dumpty"),
        ("quote2", "CUE", "added"),
        ("quote2", "SOURCE", "he"),
    ]
    second = doc.user_data["quotes"][1]
    start, end = second["coreferences"][0]
    assert doc.text[start:end] == "Humpty Dumpty" and doc.text == SPLIT_TEXT
    assert doc.text[slice(*second["cue"])] == "added"
    quoted.close()
