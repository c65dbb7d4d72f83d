"""Citron's predictions as suggestions to correct (`annotator suggest --from PATH`): hand
written prediction files in Citron's documented format (bbc/citron, docs/data_format.md;
a predicted quote's confidence is a string, as Citron's Quote.to_json writes it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from annotator.assist.predictions import read_predictions, suggest_predictions
from annotator.assist.suggestions import SCORE_ATTR, SuggestionLayer
from annotator.cli import main
from annotator.core.errors import InputError
from annotator.core.models import Document, DocumentAnnotation, text_hash
from annotator.store import Project
from annotator.store.interface import ProjectStore
from tests.formats.test_citron import CRLF_TEXT, SPLIT_TEXT, crlf_file, split_quote_file, write
from tests.store.helpers import snapshot


def make_project(root: Path) -> Path:
    """Documents with the prediction files' texts (CRLF read as the import reads it), and
    one alice has marked done."""
    path = root / "p"
    with Project.create(path) as project:
        project.add_documents(
            [
                Document(id="humpty", text=SPLIT_TEXT),
                Document(id="budget", text=CRLF_TEXT.replace("\r\n", "\n")),
                Document(id="finished", text=SPLIT_TEXT),
            ]
        )
        done = DocumentAnnotation(doc_id="finished", text_hash=text_hash(SPLIT_TEXT))
        done.status = "done"
        project.annotations("alice").save(done, SPLIT_TEXT)
    return path


def predictions_folder(root: Path) -> Path:
    folder = root / "predicted"
    humpty = split_quote_file()
    humpty["quotes"][0]["confidence"] = "0.9500"
    write(folder, "humpty.json", humpty)
    write(folder, "budget.json", crlf_file())
    write(folder, "finished.json", split_quote_file())
    write(folder / "other", "unknown.json", crlf_file())
    return folder


def pending(project: Project, doc_id: str) -> dict[tuple[str, str], Any]:
    return {(s.label, s.text): s for s in SuggestionLayer(project, "alice").pending(doc_id)}


def test_predictions_become_scored_suggestions_of_every_quote_part(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    folder = predictions_folder(tmp_path)
    with Project.open(path) as project:
        found = read_predictions(project, "alice", folder)
        assert found.files == 4
        assert found.unknown == [str(folder / "other" / "unknown.json")]
        assert found.done == ["finished"]
        report = suggest_predictions(project, "alice", found)
        # humpty: 2 contents, 2 cues, "Humpty Dumpty", "he", 1 content; budget: 3.
        assert (report.documents, report.added) == (2, 10)
        humpty = pending(project, "humpty")
        assert set(humpty) == {
            ("QUOTE", '"When I use a word,"'),
            ("QUOTE", '"it means just what I choose it to mean."'),
            ("QUOTE", '"The question is which is to be master."'),
            ("CUE", "said"),
            ("CUE", "added"),
            ("SOURCE", "Humpty Dumpty"),
            ("SOURCE", "he"),
        }
        scores = {key: span.attrs.get(SCORE_ATTR) for key, span in humpty.items()}
        assert scores[("CUE", "said")] == 0.95
        assert scores[("SOURCE", "he")] == pytest.approx(0.8123)
        # The name is the first quote's source and the second's coreference: the higher.
        assert scores[("SOURCE", "Humpty Dumpty")] == 0.95
        # The emoji before the spans counts one code point, as Python's str does.
        for span in humpty.values():
            assert SPLIT_TEXT[span.start : span.end] == span.text
        budget = pending(project, "budget")
        assert ("CUE", "told reporters") in budget
        assert all(span.attrs.get(SCORE_ATTR) is None for span in budget.values())
        assert pending(project, "finished") == {}


def test_accepting_a_predicted_span_labels_exactly_that_range(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    with Project.open(path) as project:
        folder = predictions_folder(tmp_path)
        suggest_predictions(project, "alice", read_predictions(project, "alice", folder))
        layer = SuggestionLayer(project, "alice")
        content = pending(project, "humpty")[("QUOTE", '"it means just what I choose it to mean."')]
        accepted = layer.accept("humpty", content.id)
        assert accepted.label_span is not None
        labels = project.annotations("alice").get("humpty")
        assert labels is not None
        (span,) = labels.spans
        assert (span.start, span.end, span.label) == (content.start, content.end, "QUOTE")
        assert SPLIT_TEXT[span.start : span.end] == span.text == content.text


def test_a_file_made_on_another_text_is_refused_naming_it(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    folder = predictions_folder(tmp_path)
    changed = split_quote_file()
    # As long as before: every span still fits the file's text, which is not the project's.
    changed["text"] = changed["text"].replace("sat on", "sat at")
    changed.pop("coreference_groups")
    write(folder, "humpty.json", changed)
    before = snapshot(path)
    with Project.open(path) as project, pytest.raises(InputError) as caught:
        found = read_predictions(project, "alice", folder)
        suggest_predictions(project, "alice", found)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(folder / "humpty.json"))
    assert "not the text of document humpty" in message
    assert snapshot(path) == before


def test_cli_suggest_from_a_citron_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make_project(tmp_path)
    folder = predictions_folder(tmp_path)
    code = main(["suggest", str(path), "--from", str(folder), "--format", "citron"])
    assert code == 0
    out, err = capsys.readouterr()
    assert "alice: found 10 matches in 2 documents; added 10 suggestions" in out
    assert "1 file naming no document of the project left out" in err
    assert "1 document marked done got none" in err
    # Run again: nothing new (already suggested).
    assert main(["suggest", str(path), "--from", str(folder), "--annotator", "alice"]) == 0
    assert "added 0 suggestions" in capsys.readouterr().out


def test_cli_format_needs_from(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = make_project(tmp_path)
    assert main(["suggest", str(path), "--format", "citron", "--annotator", "alice"]) != 0
    assert "--format names the format of --from PATH" in capsys.readouterr().err


def test_cli_refuses_a_project_without_the_quote_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from annotator.core.models import Label, LabelSchema

    schema = LabelSchema(labels=[Label(name="PERSON")])
    with Project.create(tmp_path / "p", schema=schema) as project:
        project.add_documents([Document(id="humpty", text=SPLIT_TEXT)])
    folder = predictions_folder(tmp_path)
    code = main(["suggest", str(tmp_path / "p"), "--from", str(folder), "--annotator", "bo"])
    assert code != 0
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "CUE" in err and "QUOTE" in err and "SOURCE" in err


def test_a_file_may_name_its_document_with_a_top_level_id(tmp_path: Path) -> None:
    path = make_project(tmp_path)
    renamed = crlf_file() | {"id": "budget"}
    folder = tmp_path / "by-id"
    write(folder, "citron-output-0001.json", renamed)
    with Project.open(path) as project:
        found = read_predictions(project, "alice", folder)
        assert list(found.found) == ["budget"] and found.unknown == []


def test_predictions_on_any_store(any_store: ProjectStore, tmp_path: Path) -> None:
    """The service talks to the storage interface only: the same on every store."""
    any_store.add_documents([Document(id="humpty", text=SPLIT_TEXT)])
    folder = tmp_path / "predicted"
    write(folder, "humpty.json", split_quote_file())
    found = read_predictions(any_store, "alice", folder)
    report = suggest_predictions(any_store, "alice", found)
    assert report.added == 7
    suggested = any_store.suggestions("alice").get("humpty")
    assert suggested is not None
    assert all(SPLIT_TEXT[s.start : s.end] == s.text for s in suggested.spans)
