"""The real files other tools wrote (../shared/fixtures), imported as they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.core import AnnotatorError
from annotator.services import detect_format, export_project, import_sources
from annotator.store import Project
from tests.store.helpers import snapshot

NEWS = "prodigy/annotated_news_headlines-ORG-PERSON-LOCATION-ner.jsonl"


@pytest.fixture
def fresh(tmp_path: Path) -> Project:
    return Project.create(tmp_path / "project")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        (NEWS, "prodigy"),
        ("doccano/relation_extraction.export.jsonl", "doccano"),
        ("doccano/sequence_labeling.export.jsonl", "doccano"),
        ("doccano/sequence_labeling.custom-columns.jsonl", "doccano"),
        ("doccano/overlapping.jsonl", "doccano"),
        ("brat", "brat"),
        ("brat/PMID-10233888.ann", "brat"),
        ("prodigy/patterns_countries-GPE.jsonl", "prodigy"),
    ],
)
def test_formats_are_detected(fixtures_dir: Path, name: str, fmt: str) -> None:
    assert detect_format(fixtures_dir / name) == fmt


def test_prodigy_news_headlines(fixtures_dir: Path, fresh: Project) -> None:
    notices: list[str] = []
    summary = import_sources(fresh, [fixtures_dir / NEWS], "auto", notify=notices.append)
    assert summary.added == 373
    assert summary.labelled == {"imported": 372}  # 372 accepted, 1 ignored
    assert any("1 × task answered 'ignore'" in notice for notice in notices)
    assert {"LOCATION", "PRODUCT"} <= set(fresh.schema.label_names())
    store = fresh.annotations("imported")
    first = fresh.document_ids()[0]
    annotation = store.get(first)
    assert annotation is not None
    assert [(s.text, s.label) for s in annotation.spans] == [
        ("Uber", "ORG"),
        ("Silicon Valley", "LOCATION"),
    ]
    assert fresh.get_document(first).meta["source"] == "The New York Times"
    for doc in fresh.iter_documents():
        labels = store.get(doc.id)
        assert labels is None or not labels.problems_with(doc.text)


def test_prodigy_keeps_the_input_hash_on_export(
    fixtures_dir: Path, fresh: Project, tmp_path: Path
) -> None:
    import orjson

    import_sources(fresh, [fixtures_dir / NEWS], "prodigy")
    out = tmp_path / "out.jsonl"
    export_project(fresh, "prodigy", out)
    first = orjson.loads(out.read_bytes().split(b"\n")[0])
    assert first["_input_hash"] == 1886699658
    assert [t["text"] for t in first["tokens"][:3]] == ["Uber", "’", "s"]


def test_prodigy_patterns_file_is_explained(fixtures_dir: Path, fresh: Project) -> None:
    before = snapshot(fresh.path)
    with pytest.raises(AnnotatorError, match=r"patterns file.*annotator suggest --patterns"):
        import_sources(fresh, [fixtures_dir / "prodigy/patterns_countries-GPE.jsonl"])
    assert snapshot(fresh.path) == before


def test_doccano_examples(fixtures_dir: Path, fresh: Project) -> None:
    notices: list[str] = []
    folder = fixtures_dir / "doccano"
    summary = import_sources(
        fresh,
        [
            folder / "relation_extraction.export.jsonl",
            folder / "sequence_labeling.export.jsonl",
            folder / "sequence_labeling.custom-columns.jsonl",
            folder / "overlapping.jsonl",
        ],
        notify=notices.append,
    )
    # The custom-column file holds the same three texts as the export, labelled otherwise:
    # documents of their own (line-numbered ids), each with its own labels, counted.
    assert len(fresh) == 8 and summary.shared_text == 3
    store = fresh.annotations("imported")
    custom = store.get("sequence_labeling.custom-columns-1")
    assert custom is not None and [(s.text, s.label) for s in custom.spans] == [("EU", "ORG")]
    google = store.get("relation_extraction.export-1")
    assert google is not None
    assert [s.text for s in google.spans] == [
        "Google",
        "September 4, 1998",
        "Larry Page",
        "Sergey Brin",
    ]
    assert [(r.label, google.span(r.tail).text) for r in google.relations] == [  # type: ignore[union-attr]
        ("foundedAt", "September 4, 1998"),
        ("foundedBy", "Larry Page"),
        ("foundedBy", "Sergey Brin"),
    ]
    eu = store.get("sequence_labeling.export-1")
    assert eu is not None and [(s.text, s.label) for s in eu.spans] == [
        ("EU", "ORG"),
        ("German", "MISC"),
    ]
    overlapping = store.get("overlapping-1")
    assert overlapping is not None and [s.text for s in overlapping.spans] == ["e"]
    assert fresh.get_document("overlapping-1").meta["wikiPageID"] == 1
    assert any("listed twice" in notice for notice in notices)


def test_brat_corpora(fixtures_dir: Path, fresh: Project) -> None:
    notices: list[str] = []
    import_sources(fresh, [fixtures_dir / "brat"], "auto", notify=notices.append)
    assert fresh.document_ids() == ["PMID-10233888", "PMID-10915770", "PMID-16583246"]
    store = fresh.annotations("imported")
    equiv = store.get("PMID-10233888")
    assert equiv is not None and len(equiv.spans) == 38
    assert [(r.label, r.head, r.tail) for r in equiv.relations] == [
        ("Equiv", "T14", "T15"),
        ("Equiv", "T16", "T17"),
        ("Equiv", "T20", "T21"),
    ]
    disease = store.get("PMID-10915770")
    assert disease is not None
    assert disease.span("T1").attrs == {"Category": "SpecificDisease"}  # type: ignore[union-attr]
    events = store.get("PMID-16583246")
    assert events is not None
    assert ("Sidechain", "T27", "T28") in [(r.label, r.head, r.tail) for r in events.relations]
    assert len(events.relations) == 7
    text = "\n".join(notices)
    assert "Equiv group" in text and "6 × event" in text
