"""The export-only formats, read by their real consumers: spaCy and Hugging Face datasets."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotator.services import export_project
from tests.formats.tricky import DOC_ID, SPANS, TEXT, make_project


def test_docbin_loads_in_spacy_with_every_span(tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    project = make_project(tmp_path / "a", tmp_path)
    out = tmp_path / "train.spacy"
    notices: list[str] = []
    summary = export_project(project, "spacy", out, annotator="alice", notify=notices.append)
    assert summary.documents == 2

    nlp = spacy.blank("en")
    docs = list(DocBin().from_disk(out).get_docs(nlp.vocab))
    assert [doc.user_data["id"] for doc in docs] == [DOC_ID, "plain"]
    doc = docs[0]
    assert doc.text == TEXT
    assert sorted((s.start_char, s.end_char, s.label_) for s in doc.spans["sc"]) == sorted(
        (s.start, s.end, s.label) for s in SPANS
    )
    assert all(s.text == TEXT[s.start_char : s.end_char] for s in doc.spans["sc"])
    ents = [(e.text, e.label_) for e in doc.ents]
    # Entities only, without overlaps: CLAIM/QUOTE are not entities; all entity spans fit.
    assert ents == [
        ("Alice", "PERSON"),
        ("👍🏽", "EVENT"),
        ("e\u0301", "NORP"),
        ("北京", "GPE"),
        ("Bob", "PERSON"),
        ("Ünïcödé", "ORG"),
    ]
    relations = doc.user_data["relations"]
    assert next((r["label"], list(r["head"]), list(r["tail"])) for r in relations) == (
        "ATTRIBUTED_TO",
        [16, 37],
        [0, 5],
    )
    # "e\u0301" inside "Cafe\u0301" and "said:\n\t“Cafe" fit no spaCy token: reported, kept.
    assert any("fit no spaCy token boundary" in notice for notice in notices)
    project.close()


def test_docbin_keeps_many_misfit_spans_of_a_long_article(tmp_path: Path) -> None:
    """Thousands of spans cutting words (several cuts in one token, spans at a token's
    trailing space, emoji and combining marks) on a long text: every one kept exactly."""
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    from annotator.core import DocumentAnnotation, Span
    from annotator.store import Project

    paragraph = "Putin’s envoy met Xi-Jinping in 北京 👍🏽 at the Cafe\u0301 today.  Then left.\n\n"
    text = paragraph * 300
    source = tmp_path / "long.jsonl"
    source.write_bytes(orjson.dumps({"id": "long", "text": text}) + b"\n")
    project = Project.create(tmp_path / "p")
    from annotator.services import import_sources

    import_sources(project, [source], "native")
    local = [(0, 3), (3, 5), (5, 7), (18, 20), (20, 25), (25, 29), (34, 36), (51, 54)]
    local += [(55, 62), (61, 63), (63, 69)]  # a trailing space; two spaces in a row
    spans = [
        Span.of(text, base + start, base + end, "PERSON", f"T{number}")
        for number, (base, (start, end)) in enumerate(
            ((base, pair) for base in range(0, len(text), len(paragraph)) for pair in local), 1
        )
    ]
    document = project.get_document("long")
    project.annotations("alice").save(
        DocumentAnnotation(doc_id="long", text_hash=document.hash, spans=spans)
    )
    notices: list[str] = []
    out = tmp_path / "long.spacy"
    export_project(project, "spacy", out, annotator="alice", notify=notices.append)
    project.close()
    (doc,) = DocBin().from_disk(out).get_docs(spacy.blank("en").vocab)
    assert doc.text == text
    assert [(s.start_char, s.end_char) for s in doc.spans["sc"]] == [
        (s.start, s.end) for s in spans
    ]
    assert any("fit no spaCy token boundary" in notice for notice in notices)


def test_docbin_reports_overlapping_entities(tmp_path: Path) -> None:
    pytest.importorskip("spacy")
    from annotator.core import DocumentAnnotation, Span

    project = make_project(tmp_path / "a", tmp_path)
    text = project.get_text("plain")
    spans = [
        Span.of(text, 0, 9, "ORG", "T1"),  # "No labels"
        Span.of(text, 3, 9, "PERSON", "T2"),  # "labels", inside it
    ]
    project.annotations("alice").save(
        DocumentAnnotation(
            doc_id="plain", text_hash=project.get_document("plain").hash, spans=spans
        )
    )
    notices: list[str] = []
    export_project(project, "spacy", tmp_path / "x.spacy", annotator="alice", notify=notices.append)
    assert any("1 overlapping entity span(s) left out of doc.ents" in n for n in notices)
    project.close()


def test_bio_loads_with_datasets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    datasets = pytest.importorskip("datasets")

    project = make_project(tmp_path / "a", tmp_path)
    out = tmp_path / "bio.jsonl"
    notices: list[str] = []
    export_project(project, "bio", out, annotator="alice", notify=notices.append)
    dataset = datasets.load_dataset(
        "json", data_files=str(out), split="train", cache_dir=str(tmp_path / "cache")
    )
    assert dataset.num_rows == 2
    row = dataset[0]
    assert row["id"] == DOC_ID
    pairs = [(t, tag) for t, tag in zip(row["tokens"], row["ner_tags"], strict=True) if tag != "O"]
    # Entity labels only; "Cafe\u0301" is split so "e\u0301" (NORP) is tagged exactly.
    assert pairs == [
        ("Alice", "B-PERSON"),
        ("👍🏽", "B-EVENT"),
        ("e\u0301", "B-NORP"),
        ("北", "B-GPE"),
        ("京", "I-GPE"),
        ("Bob", "B-PERSON"),
        ("Ünïcödé", "B-ORG"),
    ]
    assert "".join(row["tokens"]) == "".join(TEXT.split())
    project.close()


def test_bio_with_chosen_labels_reports_overlaps(tmp_path: Path) -> None:
    project = make_project(tmp_path / "a", tmp_path)
    out = tmp_path / "bio.jsonl"
    notices: list[str] = []
    export_project(
        project, "bio", out, annotator="alice", labels=["QUOTE", "CLAIM"], notify=notices.append
    )
    row = orjson.loads(out.read_bytes().splitlines()[0])
    tags = [tag for tag in row["ner_tags"] if tag != "O"]
    # The quote is the longest; both claims overlap it and are reported, not tagged.
    assert tags[0] == "B-QUOTE" and set(tags[1:]) == {"I-QUOTE"}
    assert sum("overlaps a longer span" in notice for notice in notices) == 2
    project.close()
