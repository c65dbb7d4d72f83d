"""Least sure first: the model's score kept on each suggestion, and documents ordered by it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest

from annotator.assist.patterns import Match
from annotator.assist.suggestions import SCORE_ATTR, SuggestionLayer, add_suggestions
from annotator.assist.uncertainty import document_uncertainty, least_sure_first, uncertainty
from annotator.core.models import Document, DocumentAnnotation, Span, text_hash
from annotator.store import Project


def span(number: int, score: object = None) -> Span:
    attrs: dict[str, object] = {"source": "model:test"}
    if score is not None:
        attrs[SCORE_ATTR] = score
    return Span(id=f"S{number}", start=0, end=1, label="GPE", text="x", attrs=attrs)


def test_uncertainty_is_highest_at_one_half() -> None:
    assert uncertainty(0.5) == 1.0
    assert uncertainty(0.0) == uncertainty(1.0) == 0.0
    assert uncertainty(0.25) == pytest.approx(0.5) == uncertainty(0.75)


def test_a_document_counts_its_least_sure_scored_suggestion() -> None:
    assert document_uncertainty([span(1, 0.9), span(2, 0.6), span(3)]) == pytest.approx(0.8)
    assert document_uncertainty([span(1, 1.0)]) == 0.0  # an ner entity
    # Pattern suggestions carry no score; a flag is not a score.
    assert document_uncertainty([span(1), span(2, True), span(3, "0.5")]) is None
    assert document_uncertainty([]) is None


def test_least_sure_first_then_unscored_in_the_order_given() -> None:
    suggestions = {
        "patterns": [span(1)],
        "sure": [span(1, 0.99)],
        "hesitant": [span(1, 0.97), span(2, 0.45)],
        "entity": [span(1, 1.0)],
        "nothing": [],
        "also_hesitant": [span(1, 0.55)],
    }
    order = least_sure_first(list(suggestions), lambda doc_id: suggestions[doc_id])
    assert order == ["hesitant", "also_hesitant", "sure", "entity", "patterns", "nothing"]
    assert least_sure_first([], lambda doc_id: []) == []


def test_a_match_score_is_kept_in_the_suggestion_attrs() -> None:
    text = "Xi 👍🏽 Beijing"
    suggested = DocumentAnnotation(doc_id="d", text_hash=text_hash(text))
    added = add_suggestions(
        suggested,
        None,
        text,
        [Match(0, 2, "PERSON", "Xi", 0.512), (6, 13, "GPE"), Match(6, 13, "ORG", "Beijing")],
        "model:test",
    )
    assert [s.attrs for s in added] == [
        {"source": "model:test", SCORE_ATTR: 0.512},
        {"source": "model:test"},
        {"source": "model:test"},
    ]
    assert [text[s.start : s.end] for s in added] == ["Xi", "Beijing", "Beijing"]


class ScoredFinder:
    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores

    def find_many(self, texts: Iterable[str]) -> Iterator[list[Match]]:
        for text in texts:
            word = text.split()[0]
            yield [Match(0, len(word), "GPE", word, self.scores.get(word))]


def test_scores_survive_the_suggestions_file(project: Project) -> None:
    project.add_documents(
        [Document(id="a", text="Beijing today"), Document(id="b", text="Paris today")]
    )
    layer = SuggestionLayer(project, "alice")
    layer.suggest(ScoredFinder({"Beijing": 0.731}), "model:test")
    project.close()
    reopened = Project.open(project.path)
    layer = SuggestionLayer(reopened, "alice")
    assert [s.attrs.get(SCORE_ATTR) for s in layer.pending("a")] == [0.731]
    assert [SCORE_ATTR in s.attrs for s in layer.pending("b")] == [False]
    assert least_sure_first(["b", "a"], layer.pending) == ["a", "b"]
    reopened.close()
