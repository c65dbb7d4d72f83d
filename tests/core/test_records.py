"""The hand-written record checks agree with pydantic, and the encoder with model_dump."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from annotator.core import DocumentAnnotation, Relation, Span
from annotator.core.records import (
    COUNTS_KEY,
    LineEncoder,
    annotation_from_record,
    encode_record,
    record_ok,
)

TEXT = "Xi 👍🏽 said “café\u0301” in 北京\tand\r\nleft."


def annotation() -> DocumentAnnotation:
    result = DocumentAnnotation(doc_id="d1", status="done", note="n")
    for index, phrase in enumerate(["Xi", "👍🏽", "café\u0301", "北京"]):
        start = TEXT.index(phrase)
        result.add_span(Span.of(TEXT, start, start + len(phrase), "L", f"T{index + 1}"))
    result.add_relation(Relation(id="R1", label="ATTRIBUTED_TO", head="T3", tail="T1"))
    return result


def record() -> dict[str, Any]:
    return annotation().model_dump(mode="json")


def test_a_valid_record_takes_the_fast_path_and_equals_the_validated_model() -> None:
    data = record()
    assert record_ok(data)
    built = annotation_from_record(copy.deepcopy(data))
    assert type(built.spans[0]) is Span and type(built.relations[0]) is Relation
    assert built == DocumentAnnotation.model_validate(data)
    assert built.model_dump(mode="json") == data
    # The models built without validation behave like validated ones.
    built.relabel_span("T1", "PERSON")
    assert built.span("T1") is not None and built.span("T1").label == "PERSON"  # type: ignore[union-attr]


def _broken(path: list[Any], value: Any) -> dict[str, Any]:
    data = record()
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


_DELETE = object()

INVALID = [
    (["doc_id"], ""),
    (["doc_id"], 5),
    (["status"], "finished"),
    (["status"], ["done"]),
    (["spans"], {}),
    (["spans", 0, "id"], ""),
    (["spans", 0, "start"], -1),
    (["spans", 0, "end"], 0),
    (["spans", 0, "end"], 3),  # text length no longer matches
    (["spans", 0, "label"], ""),
    (["spans", 0, "text"], None),
    (["spans", 0, "attrs"], []),
    (["spans", 0, "extra"], 1),
    (["spans", 1, "id"], "T1"),  # duplicate span id
    (["relations", 0, "tail"], "T9"),  # missing span
    (["relations", 0, "head"], ""),
    (["relations", 0, "x"], ""),
    (["provenance"], []),
    (["surprise"], 1),
]


@pytest.mark.parametrize(("path", "value"), INVALID)
def test_invalid_records_are_refused_with_pydantics_message(path: list[Any], value: Any) -> None:
    data = _broken(path, value)
    assert not record_ok(data)
    with pytest.raises(ValidationError) as expected:
        DocumentAnnotation.model_validate(copy.deepcopy(data))
    with pytest.raises(ValidationError) as got:
        annotation_from_record(data)
    assert str(got.value) == str(expected.value)


def test_records_in_another_shape_are_still_read_through_pydantic() -> None:
    data = record()
    del data["note"]  # older or hand-written lines may leave defaults out
    data["spans"][0] = {
        key: data["spans"][0][key] for key in ("label", "start", "end", "id", "text")
    }
    assert not record_ok(data)
    assert annotation_from_record(copy.deepcopy(data)) == DocumentAnnotation.model_validate(data)


def test_the_counts_field_of_journal_lines_is_not_a_model_field() -> None:
    original = annotation()
    line = orjson.loads(encode_record(original.model_dump(mode="json")))
    assert list(line)[:6] == ["doc_id", "text_hash", "status", "note", "updated", COUNTS_KEY]
    assert line[COUNTS_KEY] == [4, 1]
    assert annotation_from_record(line) == original


def test_the_encoder_writes_what_model_dump_would() -> None:
    original = annotation()
    line = LineEncoder().encode(original, TEXT)
    assert line is not None
    assert line == encode_record(original.model_dump(mode="json"))
    assert annotation_from_record(orjson.loads(line)) == original


def test_the_encoder_reuses_checked_spans_and_checks_new_ones() -> None:
    encoder = LineEncoder()
    current = annotation()
    assert encoder.encode(current, TEXT) is not None
    current.relabel_span("T2", "EMOJI")
    line = encoder.encode(current, TEXT)
    assert line is not None and line == encode_record(current.model_dump(mode="json"))
    # A new span that does not fit the text is caught even though the others are cached.
    current.spans.append(Span(id="T9", start=0, end=2, label="L", text="no"))
    assert encoder.encode(current, TEXT) is None
    current.spans.pop()
    current.spans.append(current.spans[0])  # duplicate id behind the edit methods
    assert encoder.encode(current, TEXT) is None
    current.spans.pop()
    # The same spans against another text are checked again.
    assert encoder.encode(current, "x" * len(TEXT)) is None
    assert encoder.encode(current, TEXT) is not None


def test_attrs_changed_in_place_after_a_save_are_written() -> None:
    encoder = LineEncoder()
    current = annotation()
    assert encoder.encode(current, TEXT) is not None
    current.spans[0].attrs["annotators"] = ["alice"]
    line = encoder.encode(current, TEXT)
    assert line is not None and b'"annotators":["alice"]' in line


def test_spans_and_relations_are_frozen() -> None:
    span = annotation().spans[0]
    with pytest.raises(ValidationError):
        span.label = "OTHER"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        annotation().relations[0].head = "T2"  # type: ignore[misc]
