"""Model suggestions from doc.ents, with a blank spaCy pipeline and an EntityRuler."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from annotator.assist.model import INSTALL_HINT, ModelSuggester, load_pipeline, spacy_available
from annotator.assist.suggestions import SuggestionLayer
from annotator.core.errors import AnnotatorError
from annotator.core.models import Document
from annotator.store import Project

spacy = pytest.importorskip("spacy")


def pipeline() -> Any:
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(
        [
            {"label": "PERSON", "pattern": [{"lower": "xi"}, {"lower": "jinping"}]},
            {"label": "GPE", "pattern": "Beijing"},
            {"label": "CARDINAL", "pattern": "two"},
        ]
    )
    return nlp


def test_entities_become_matches_with_code_point_offsets() -> None:
    suggester = ModelSuggester(pipeline(), labels=["PERSON", "GPE"])
    text = "👍🏽 Xi Jinping spent two days in Beijing."
    matches = suggester.find(text)
    assert [(m.label, text[m.start : m.end]) for m in matches] == [
        ("PERSON", "Xi Jinping"),
        ("GPE", "Beijing"),
    ]
    assert matches[0].start == 3
    assert suggester.skipped == {"CARDINAL": 1}


def test_batches_keep_documents_apart(project: Project) -> None:
    project.add_documents(
        [Document(id=f"d{i}", text=f"Story {i}: Xi Jinping in Beijing.") for i in range(7)]
        + [Document(id="empty", text="")]
    )
    suggester = ModelSuggester(pipeline(), project.schema.label_names(), batch_size=3)
    report = SuggestionLayer(project, "alice").suggest(suggester, "model:test")
    assert (report.documents, report.found, report.added) == (8, 14, 14)
    store = project.suggestions("alice")
    for i in range(7):
        text = project.get_text(f"d{i}")
        spans = store.get(f"d{i}").spans  # type: ignore[union-attr]
        assert [text[s.start : s.end] for s in spans] == ["Xi Jinping", "Beijing"]
    assert "empty" not in store


def test_without_spacy_the_message_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "spacy", None)  # import spacy now raises ImportError
    assert not spacy_available()
    with pytest.raises(AnnotatorError) as caught:
        load_pipeline("en_core_web_sm")
    assert INSTALL_HINT in str(caught.value)
    assert "python -m spacy download en_core_web_sm" in str(caught.value)


def test_missing_pipeline_is_one_clear_line() -> None:
    with pytest.raises(AnnotatorError, match="'xx_no_such_pipeline' is not installed"):
        load_pipeline("xx_no_such_pipeline")


def test_a_saved_pipeline_loads_by_path(tmp_path: Any) -> None:
    pipeline().to_disk(tmp_path / "ruler")
    nlp = load_pipeline(str(tmp_path / "ruler"))
    assert [m.text for m in ModelSuggester(nlp).find("Beijing")] == ["Beijing"]


def test_spancat_scores_are_kept_and_entities_score_one() -> None:
    import numpy
    from spacy.language import Language
    from spacy.tokens import Span, SpanGroup

    # What a trained spancat leaves: spans under "sc" with float32 "scores" beside them.
    @Language.component("fake_spancat_scores")
    def fake_spancat(doc: Any) -> Any:
        beijing = next(token.i for token in doc if token.text == "Beijing")
        # Everything before "in", and "Beijing".
        spans = [Span(doc, 0, beijing - 1, "CLAIM"), Span(doc, beijing, beijing + 1, "GPE")]
        scores = numpy.array([0.61234, 0.1], dtype="float32")
        doc.spans["sc"] = SpanGroup(doc, name="sc", spans=spans, attrs={"scores": scores})
        return doc

    nlp = pipeline()
    nlp.add_pipe("fake_spancat_scores")
    text = "Xi Jinping 👍🏽 in Beijing."
    matches = ModelSuggester(nlp, labels=["PERSON", "GPE", "CLAIM"]).find(text)
    assert [(m.label, text[m.start : m.end], m.score) for m in matches] == [
        ("PERSON", "Xi Jinping", 1.0),
        ("GPE", "Beijing", 1.0),
        ("CLAIM", "Xi Jinping 👍🏽", 0.612),
        ("GPE", "Beijing", 0.1),
    ]
