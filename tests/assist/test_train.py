"""`annotator train`: a spaCy pipeline from an analyst's labels, scored on held-out
documents, and its predictions as suggestions to correct."""

from __future__ import annotations

import contextlib
import io
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.assist.suggestions import SuggestionLayer
from annotator.assist.train import assign_labels, labelled_samples, split_samples
from annotator.cli import main
from annotator.core.models import Document, DocumentAnnotation, Span
from annotator.store import Project
from annotator.store.memory import MemoryProject

spacy = pytest.importorskip("spacy")

NAMES = ["Putin", "Xi", "Kim", "Modi", "Lula", "Macron"]
PLACES = ["Beijing", "Moscow", "Pyongyang", "Delhi", "Brasília", "Paris"]


def article(i: int) -> tuple[str, list[tuple[str, str]]]:
    """A short article with a person, a place, a quote and its source."""
    who, where = NAMES[i % len(NAMES)], PLACES[(i * 5) % len(PLACES)]
    quote = f"we will meet again {i}"
    text = f'{who} 👍🏽 arrived in {where}.\n"{quote}," {who} said.'
    return text, [("PERSON", who), ("GPE", where), ("QUOTE", quote), ("SOURCE", who)]


def labels_for(doc_id: str, text: str, wanted: list[tuple[str, str]]) -> DocumentAnnotation:
    annotation = DocumentAnnotation(doc_id=doc_id, status="done")
    start_at = 0
    for number, (label, surface) in enumerate(wanted, 1):
        start = text.index(surface, start_at if label == "SOURCE" else 0)
        annotation.add_span(Span.of(text, start, start + len(surface), label, f"T{number}"))
        if label == "QUOTE":
            start_at = start + len(surface)
    return annotation


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("train")
    path = root / "project"
    with Project.create(path) as project:
        documents = {f"doc{i}": article(i) for i in range(24)}
        project.add_documents(
            [Document(id=doc_id, text=text) for doc_id, (text, _) in documents.items()]
            + [Document(id="untouched", text="Nobody labelled this one.")]
        )
        alice = project.annotations("alice")
        for doc_id, (text, wanted) in documents.items():
            alice.save(labels_for(doc_id, text, wanted))
    model = root / "model"
    args = ["train", str(path), "--annotator", "alice", "-o", str(model), "--json"]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main([*args, "--epochs", "12"]) == 0
    return path, model, orjson.loads(printed.getvalue())


def test_trained_model_loads_and_its_figures_are_the_saved_models(
    trained: tuple[Path, Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, model, report = trained
    nlp = spacy.load(model)
    assert {"ner", "span_finder", "spancat"} <= set(nlp.pipe_names)
    assert set(nlp.get_pipe("ner").labels) == {"PERSON", "GPE"}
    assert set(nlp.get_pipe("spancat").labels) == {"QUOTE", "SOURCE"}
    info = orjson.loads((model / "annotator-model.json").read_bytes())
    # The untouched document is no example of "no entities".
    assert "untouched" not in info["train"] + info["dev"]
    assert len(info["train"]) + len(info["dev"]) == 24

    # Independently: predict the named dev documents and count exact matches.
    with Project.open(path) as project:
        gold = {
            doc_id: {
                (s.start, s.end, s.label) for s in project.annotations("alice").get(doc_id).spans
            }  # type: ignore[union-attr]
            for doc_id in info["dev"]
        }
        texts = [project.get_text(doc_id) for doc_id in info["dev"]]
    tp = predicted = expected = 0
    for doc_id, doc in zip(info["dev"], nlp.pipe(texts), strict=True):
        found = {(e.start_char, e.end_char, e.label_) for e in doc.ents}
        found |= {(s.start_char, s.end_char, s.label_) for s in doc.spans.get("sc", [])}
        tp += len(found & gold[doc_id])
        predicted += len(found)
        expected += len(gold[doc_id])
    p = tp / predicted if predicted else 0.0
    r = tp / expected if expected else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0

    assert report["dev"] == info["dev"]
    assert set(report["labels"]) <= {"PERSON", "GPE", "QUOTE", "SOURCE"}
    assert all(set(v) == {"p", "r", "f"} for v in report["labels"].values())
    # The figures printed are the saved model's on the named dev documents.
    assert report["f"] == pytest.approx(round(f, 4), abs=1e-4)
    assert report["f"] > 0.5


def test_model_suggestions_land_in_the_layer_and_accepting_makes_a_span(
    trained: tuple[Path, Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, model, _ = trained
    with Project.open(path) as project:
        project.add_documents(
            [
                Document(
                    id="new",
                    text='Putin 👍🏽 arrived in Paris.\n"we will meet again 99," Putin said.',
                )
            ]
        )
    capsys.readouterr()
    args = ["suggest", str(path), "--model", str(model), "--annotator", "alice"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("alice: found ")
    with Project.open(path) as project:
        layer = SuggestionLayer(project, "alice")
        pending = layer.pending("new")
        assert pending, "the model suggested nothing on a document like its training data"
        text = project.get_text("new")
        assert all(text[s.start : s.end] == s.text for s in pending)
        # Finished documents get no suggestions.
        assert layer.pending("doc0") == []
        accepted = layer.accept("new", pending[0].id)
        assert accepted.label_span is not None
        labels = project.annotations("alice").get("new")
        assert labels is not None and accepted.label_span.id in {s.id for s in labels.spans}


def test_split_is_by_id_and_labels_go_where_they_fit() -> None:
    store = MemoryProject()
    texts = [f"Putin met Xi in Beijing {i}." for i in range(10)]
    store.add_documents([Document(id=f"d{i}", text=text) for i, text in enumerate(texts)])
    layer = store.annotations("bob")
    for i, text in enumerate(texts):
        labels = DocumentAnnotation(doc_id=f"d{i}", status="done")
        labels.add_span(Span.of(text, 0, 5, "PERSON", "T1"))
        # An ORG that overlaps a PERSON can't be a ner label.
        labels.add_span(Span.of(text, 0, 9, "ORG", "T2"))
        labels.add_span(Span.of(text, 16, 23, "GPE", "T3"))
        layer.save(labels)
    samples = labelled_samples(store, "bob")
    train, dev = split_samples(samples)
    assert train and dev and not {s.doc_id for s in train} & {s.doc_id for s in dev}
    assert split_samples(list(reversed(samples))) == (train, dev)
    categories = {"PERSON": "entity", "ORG": "entity", "GPE": "entity"}
    assert assign_labels(samples, categories.__getitem__) == (["GPE"], ["ORG", "PERSON"])


def test_bad_input_is_one_clear_line(
    trained: tuple[Path, Path, dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, model, _ = trained
    out = str(tmp_path / "m")

    def error(args: list[str]) -> str:
        capsys.readouterr()
        assert main(args) == 1
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and "internal error" not in lines[0]
        return lines[0]

    assert "has labelled no documents" in error(
        ["train", str(path), "--annotator", "zoe", "-o", out]
    )
    assert "already exists" in error(["train", str(path), "--annotator", "alice", "-o", str(model)])
    assert "--annotator NAME or --gold" in error(["train", str(path), "-o", out])

    one = tmp_path / "one"
    with Project.create(one) as project:
        project.add_documents([Document(id="a", text="Putin met Xi.")])
        labels = DocumentAnnotation(doc_id="a", status="done")
        labels.add_span(Span.of("Putin met Xi.", 0, 5, "PERSON", "T1"))
        project.annotations("carl").save(labels)
    assert "needs at least two" in error(["train", str(one), "--annotator", "carl", "-o", out])
    assert not Path(out).exists()

    # A model whose labels are none of this project's.
    other = tmp_path / "other"
    schema = {"labels": [{"name": "TOPIC", "category": "entity"}], "relations": []}
    (tmp_path / "labels.json").write_bytes(orjson.dumps(schema))
    assert main(["init", str(other), "--labels", str(tmp_path / "labels.json")]) == 0
    with Project.open(other) as project:
        project.add_documents([Document(id="a", text="Putin met Xi.")])
    message = error(["suggest", str(other), "--model", str(model), "--annotator", "x"])
    assert "trained on another project" in message and str(model) in message


def test_one_label_only_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p"
    with Project.create(path) as project:
        texts = {f"d{i}": f"{NAMES[i % 6]} spoke." for i in range(6)}
        project.add_documents([Document(id=k, text=v) for k, v in texts.items()])
        for doc_id, text in texts.items():
            labels = DocumentAnnotation(doc_id=doc_id, status="done")
            labels.add_span(Span.of(text, 0, text.index(" "), "PERSON", "T1"))
            project.annotations("ann").save(labels)
    capsys.readouterr()
    assert (
        main(["train", str(path), "--annotator", "ann", "-o", str(tmp_path / "m"), "--epochs", "2"])
        == 0
    )
    captured = capsys.readouterr()
    assert "one label only (PERSON)" in captured.err
    assert "PERSON" in captured.out and Counter(captured.out.split())["overall"] == 1
