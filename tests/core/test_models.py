"""Validation refuses whatever would corrupt labels; edits keep annotations valid."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from annotator.core import (
    AnnotationError,
    Document,
    DocumentAnnotation,
    Label,
    LabelSchema,
    Relation,
    RelationType,
    Span,
    default_schema,
    text_hash,
)

TEXT = "Putin 👍🏽 said “cafe\u0301” in 北京.\tDone"


def span_of(phrase: str, label: str, span_id: str, text: str = TEXT) -> Span:
    start = text.index(phrase)
    return Span.of(text, start, start + len(phrase), label, span_id)


def annotated() -> DocumentAnnotation:
    quote = span_of("“cafe\u0301”", "QUOTE", "T1")
    source = span_of("Putin", "SOURCE", "T2")
    place = span_of("北京", "GPE", "T3")
    return DocumentAnnotation(
        doc_id="d1",
        text_hash=text_hash(TEXT),
        spans=[quote, source, place],
        relations=[Relation(id="R1", label="ATTRIBUTED_TO", head="T1", tail="T2")],
    )


# --- spans ---------------------------------------------------------------------------


def test_span_of_slices_code_points_through_emoji_and_combining_marks() -> None:
    span = span_of("“cafe\u0301”", "QUOTE", "T1")
    assert TEXT[span.start : span.end] == span.text == "“cafe\u0301”"
    assert span.end - span.start == 7  # the combining mark is its own code point
    after = span_of("said", "CLAIM", "T2")
    assert after.start == len("Putin 👍🏽 ")  # the skin-tone emoji is two code points


@pytest.mark.parametrize(
    ("start", "end"), [(-1, 3), (3, 3), (5, 2), (0, len(TEXT) + 1), (len(TEXT), len(TEXT) + 1)]
)
def test_span_of_refuses_ranges_outside_the_text_or_empty(start: int, end: int) -> None:
    with pytest.raises(AnnotationError):
        Span.of(TEXT, start, end, "PERSON", "T1")


@pytest.mark.parametrize(
    "fields",
    [
        {"start": 3, "end": 3, "text": ""},  # empty
        {"start": 4, "end": 2, "text": "ab"},  # reversed
        {"start": -1, "end": 2, "text": "abc"},  # negative
        {"start": 0, "end": 3, "text": "ab"},  # text shorter than the range
        {"start": 0, "end": 1, "text": "ab"},  # text longer than the range
    ],
)
def test_span_model_refuses_inconsistent_extents(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Span.model_validate({"id": "T1", "label": "PERSON", **fields})


@pytest.mark.parametrize("missing", ["id", "label"])
def test_span_model_refuses_empty_id_or_label(missing: str) -> None:
    fields = {"id": "T1", "start": 0, "end": 1, "label": "PERSON", "text": "P", missing: ""}
    with pytest.raises(ValidationError):
        Span.model_validate(fields)


def test_span_model_refuses_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        Span.model_validate(
            {"id": "T1", "start": 0, "end": 1, "label": "X", "text": "P", "colour": "red"}
        )


# --- annotations against their text --------------------------------------------------


def test_a_valid_annotation_fits_its_text() -> None:
    annotation = annotated()
    assert annotation.problems_with(TEXT) == []
    annotation.check_against(TEXT)


def test_span_text_that_differs_from_the_document_is_reported() -> None:
    bad = Span(id="T9", start=0, end=5, label="PERSON", text="Xi Ji")
    annotation = DocumentAnnotation(doc_id="d1", spans=[bad])
    problems = annotation.problems_with(TEXT)
    assert len(problems) == 1
    assert "T9" in problems[0] and "'Xi Ji'" in problems[0] and "'Putin'" in problems[0]
    with pytest.raises(AnnotationError, match="T9"):
        annotation.check_against(TEXT)


def test_span_past_the_end_of_the_text_is_reported() -> None:
    tail = Span(id="T1", start=len(TEXT) - 1, end=len(TEXT) + 2, label="X", text="abc")
    problems = DocumentAnnotation(doc_id="d1", spans=[tail]).problems_with(TEXT)
    assert len(problems) == 1 and "past the end" in problems[0]


def test_labels_made_on_another_text_are_reported_by_hash() -> None:
    annotation = annotated()
    changed = TEXT.replace("Putin", "Xi   ")
    problems = annotation.problems_with(changed)
    assert len(problems) == 1 and "different text" in problems[0]


def test_relation_to_a_missing_span_is_refused() -> None:
    data = annotated().model_dump()
    data["relations"].append({"id": "R2", "label": "ATTRIBUTED_TO", "head": "T1", "tail": "T7"})
    with pytest.raises(ValidationError, match="missing span 'T7'"):
        DocumentAnnotation.model_validate(data)


@pytest.mark.parametrize("kind", ["spans", "relations"])
def test_duplicate_ids_are_refused(kind: str) -> None:
    data = annotated().model_dump()
    data[kind].append(dict(data[kind][0]))
    with pytest.raises(ValidationError, match="duplicate"):
        DocumentAnnotation.model_validate(data)


def test_unknown_status_is_refused() -> None:
    with pytest.raises(ValidationError):
        DocumentAnnotation.model_validate({"doc_id": "d1", "status": "finished"})


def test_annotation_json_round_trip_is_exact() -> None:
    annotation = annotated()
    again = DocumentAnnotation.model_validate_json(annotation.model_dump_json())
    assert again == annotation


def test_document_title_and_hash() -> None:
    doc = Document(id="d1", text=TEXT, meta={"title": "Putin"})
    assert doc.title == "Putin"
    assert Document(id="d2", text=TEXT).title == "d2"
    assert doc.hash == text_hash(TEXT) != text_hash(TEXT + " ")
    with pytest.raises(ValidationError):
        Document(id="", text="x")


# --- schema ----------------------------------------------------------------------------


def test_default_schema_has_news_labels_and_attribution() -> None:
    schema = default_schema()
    names = schema.label_names()
    for name in ("PERSON", "ORG", "GPE", "CLAIM", "QUOTE", "SOURCE"):
        assert name in names
    assert schema.names_in("quote") == ["QUOTE"]
    allowed = [rel.name for rel in schema.relations_allowed("QUOTE", "SOURCE")]
    assert allowed == ["ATTRIBUTED_TO"]
    assert schema.relations_allowed("SOURCE", "QUOTE") == []
    assert schema.relations_allowed("CLAIM", "PERSON") != []


@pytest.mark.parametrize(
    "labels",
    [
        [{"name": "A"}, {"name": "A"}],
        [{"name": "A", "hotkey": "x"}, {"name": "B", "hotkey": "x"}],
        [{"name": "has space"}],
        [{"name": "a,b"}],
        [{"name": "A", "color": "red"}],
        [{"name": "A", "category": "topic"}],
    ],
)
def test_schema_refuses_ambiguous_or_malformed_labels(labels: list[dict[str, str]]) -> None:
    with pytest.raises(ValidationError):
        LabelSchema.model_validate({"labels": labels})


def test_schema_with_label_replaces_by_name() -> None:
    schema = LabelSchema(labels=[Label(name="A"), Label(name="B")])
    updated = schema.with_label(Label(name="A", category="claim"))
    assert sorted(updated.label_names()) == ["A", "B"]
    assert updated.label("A") is not None and updated.label("A").category == "claim"  # type: ignore[union-attr]
    assert schema.label("A").category == "entity"  # type: ignore[union-attr]


def test_relation_type_with_empty_lists_allows_anything() -> None:
    assert RelationType(name="LINK").allows("X", "Y")


# --- edits ------------------------------------------------------------------------------


def test_remove_span_then_restore_span_is_an_exact_round_trip() -> None:
    annotation = annotated()
    annotation.add_relation(Relation(id="R2", label="ATTRIBUTED_TO", head="T1", tail="T3"))
    annotation.add_relation(Relation(id="R3", label="LINK", head="T2", tail="T3"))
    before = annotation.model_dump(exclude={"updated"})

    span, index, removed = annotation.remove_span("T1")
    assert span.id == "T1" and index == 0
    assert [rel.id for _, rel in removed] == ["R1", "R2"]
    assert [rel.id for rel in annotation.relations] == ["R3"]
    assert annotation.span("T1") is None

    annotation.restore_span(span, index, removed)
    assert annotation.model_dump(exclude={"updated"}) == before
    DocumentAnnotation.model_validate(annotation.model_dump())


def test_remove_and_restore_a_middle_span_keeps_order_of_spans_and_relations() -> None:
    annotation = annotated()
    annotation.add_relation(Relation(id="R2", label="LINK", head="T3", tail="T2"))
    annotation.add_relation(Relation(id="R3", label="LINK", head="T1", tail="T3"))
    before = annotation.model_dump(exclude={"updated"})
    span, index, removed = annotation.remove_span("T2")
    assert index == 1 and [rel.id for _, rel in removed] == ["R1", "R2"]
    annotation.restore_span(span, index, removed)
    assert annotation.model_dump(exclude={"updated"}) == before


def test_edits_refuse_what_would_corrupt() -> None:
    annotation = annotated()
    with pytest.raises(AnnotationError):
        annotation.add_span(span_of("said", "CLAIM", "T1"))  # id taken
    with pytest.raises(AnnotationError):
        annotation.add_relation(Relation(id="R1", label="X", head="T1", tail="T3"))
    with pytest.raises(AnnotationError, match="missing span"):
        annotation.add_relation(Relation(id="R9", label="X", head="T1", tail="T404"))
    with pytest.raises(AnnotationError):
        annotation.remove_span("T404")
    with pytest.raises(AnnotationError):
        annotation.remove_relation("R404")
    with pytest.raises(AnnotationError):
        annotation.relabel_span("T404", "ORG")
    DocumentAnnotation.model_validate(annotation.model_dump())


def test_relabel_note_status_and_rename_return_the_old_value() -> None:
    annotation = annotated()
    assert annotation.relabel_span("T3", "LOC") == "GPE"
    assert annotation.span("T3").label == "LOC"  # type: ignore[union-attr]
    assert annotation.set_span_note("T3", "capital") == ""
    assert annotation.span("T3").note == "capital"  # type: ignore[union-attr]
    assert annotation.set_status("done") == "todo"
    assert annotation.set_note("checked") == ""
    assert annotation.rename_label("LOC", "GPE") == 1
    assert annotation.rename_label("NOPE", "GPE") == 0
    rel, index = annotation.remove_relation("R1")
    assert (rel.id, index, annotation.relations) == ("R1", 0, [])
    annotation.add_relation(rel, index)
    assert annotation.relation("R1") == rel
    assert annotation.problems_with(TEXT) == []


def test_edits_touch_the_updated_time() -> None:
    annotation = annotated()
    annotation.updated = "2000-01-01T00:00:00.000Z"
    annotation.set_status("in_progress")
    assert annotation.updated > "2000-01-01T00:00:00.000Z"


def test_next_ids_skip_past_the_highest_numbered_id() -> None:
    annotation = annotated()
    annotation.add_span(span_of("said", "CLAIM", "T10"))
    annotation.add_span(span_of("Done", "CLAIM", "custom"))
    assert annotation.next_span_id() == "T11"
    assert annotation.next_relation_id() == "R2"
    assert DocumentAnnotation(doc_id="d").next_span_id() == "T1"


def test_add_span_refuses_exactly_the_ids_in_use_whatever_changed_the_spans() -> None:
    # add_span keeps a set of ids; edits made behind the edit methods' back (a list
    # replaced, appended to, or emptied) must not make it accept a duplicate or refuse a
    # free id.
    import random

    from annotator.core.errors import AnnotationError

    text = "Putin 👍🏽 said “café\u0301” in 北京.\tDone.\n" * 3
    rng = random.Random(5)
    annotation = DocumentAnnotation(doc_id="d")

    def fresh_span(span_id: str) -> Span:
        start = rng.randrange(0, len(text) - 3)
        return Span.of(text, start, start + 2, "PERSON", span_id)

    for _ in range(600):
        span_id = f"T{rng.randrange(1, 40)}"
        action = rng.random()
        in_use = {span.id for span in annotation.spans}
        if action < 0.5:
            if span_id in in_use:
                with pytest.raises(AnnotationError):
                    annotation.add_span(fresh_span(span_id))
            else:
                annotation.add_span(fresh_span(span_id), rng.choice([None, 0]))
        elif action < 0.7 and annotation.spans:
            removed = rng.choice(annotation.spans).id
            span, index, relations = annotation.remove_span(removed)
            if rng.random() < 0.5:
                annotation.restore_span(span, index, relations)
        elif action < 0.8 and annotation.spans:
            annotation.relabel_span(rng.choice(annotation.spans).id, "ORG")
        elif action < 0.87 and span_id not in in_use:
            annotation.spans.append(fresh_span(span_id))
        elif action < 0.94:
            annotation.spans = [span for span in annotation.spans if rng.random() < 0.7]
        elif annotation.spans:
            annotation.spans.pop(rng.randrange(len(annotation.spans)))
        ids = [span.id for span in annotation.spans]
        assert len(ids) == len(set(ids))
