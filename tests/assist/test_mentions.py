"""Label all mentions: whole-word occurrences of a labelled span's text."""

from __future__ import annotations

import pytest

from annotator.assist.mentions import PhraseFinder, find_mentions, mentions_in, plan_mentions
from annotator.core.models import DocumentAnnotation, Span
from annotator.store import Project


def spans(text: str, found: list[tuple[int, int]]) -> list[str]:
    return [text[start:end] for start, end in found]


def test_exact_and_case_insensitive_whole_words() -> None:
    text = "Kim Jong Un met KIM JONG UN; Kim Jong Unwin and Kim Jong Un's aide."
    assert spans(text, find_mentions(text, "Kim Jong Un")) == ["Kim Jong Un", "Kim Jong Un"]
    assert spans(text, find_mentions(text, "kim jong un", ignore_case=True)) == [
        "Kim Jong Un",
        "KIM JONG UN",
        "Kim Jong Un",
    ]


def test_offsets_with_emoji_cjk_combining_marks_and_tabs() -> None:
    text = "👍🏽 José\tJOSÉ Jose\u0301 北京 José"
    found = find_mentions(text, "José", ignore_case=True)
    assert found == [(3, 7), (8, 12), (22, 26)]
    assert spans(text, found) == ["José", "JOSÉ", "José"]
    assert find_mentions("在北京 北京。", "北京") == [(4, 6)]  # CJK runs are one word


def test_phrase_with_punctuation_at_its_edges() -> None:
    text = "the U.S. and the U.S.A. and (U.S.)"
    assert spans(text, find_mentions(text, "U.S.")) == ["U.S.", "U.S."]


def test_blank_phrase_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        PhraseFinder("  ")


def test_skips_ranges_already_labelled_with_that_label() -> None:
    text = "Kim met Kim Jong Un and Kim."
    labels = DocumentAnnotation(
        doc_id="d",
        spans=[
            Span.of(text, 0, 3, "PERSON", "T1"),
            Span.of(text, 8, 19, "PERSON", "T2"),
            Span.of(text, 24, 27, "ORG", "T3"),
        ],
    )
    found = mentions_in("d", text, PhraseFinder("Kim"), "PERSON", labels)
    # The labelled "Kim" and the one inside "Kim Jong Un" are skipped; an ORG label is not
    # a PERSON label, so that mention is still proposed.
    assert [(m.start, m.end, m.text) for m in found] == [(24, 27, "Kim")]


def test_plan_across_the_documents_of_a_project(project: Project) -> None:
    from annotator.core.models import Document

    project.add_documents(
        [
            Document(id="a", text="Xi Jinping arrived. Xi Jinping spoke."),
            Document(id="b", text="xi jinping and Xi Jinping"),
            Document(id="c", text="Nothing here."),
        ]
    )
    store = project.annotations("alice")
    labels = store.get_or_new("a")
    span = Span.of(project.get_text("a"), 0, 10, "PERSON", "T1")
    labels.add_span(span)
    store.save(labels)

    documents = [(doc.id, doc.text) for doc in project.iter_documents()]
    plan = plan_mentions(span, documents, store.get)
    assert [(m.doc_id, m.start, m.text) for m in plan] == [
        ("a", 20, "Xi Jinping"),
        ("b", 15, "Xi Jinping"),
    ]
    loose = plan_mentions(span, documents, store.get, ignore_case=True)
    assert [(m.doc_id, m.start) for m in loose] == [("a", 20), ("b", 0), ("b", 15)]
    assert all(m.label == "PERSON" for m in loose)
