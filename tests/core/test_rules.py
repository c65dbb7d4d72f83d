"""The quick record checks are the models' own rules: read from the models (core/rules.py),
they accept exactly what pydantic (strict: no coercion) accepts, on a generated corpus
with emoji, CRLF and combining marks, and a field added to a model is checked with no
edit to the quick path."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from annotator.core.models import DocumentAnnotation, Relation, Span, ids_ok
from annotator.core.records import record_ok, relations_ok, spans_ok
from annotator.core.rules import JOINT_VALIDATORS, RELATION, SPAN, RecordRules

PIECES = [
    "Xi",
    " ",
    "\r\n",
    "👍🏽",
    "👨‍👩‍👧",
    "🇫🇷",
    "e\u0301",
    "x\u0308\u0323",
    "北京",
    "“",
    "\t",
    "a",
]
# Values of every JSON type, and edge values of the types the fields hold.
ODD_VALUES: list[Any] = ["", "T1", "é\u0301", -1, 0, 1, 10**20, 1.5, True, None, [], {}, ["a"]]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40)))


def _span(rng: random.Random, text: str, number: int) -> dict[str, Any]:
    start = rng.randrange(len(text))
    end = rng.randint(start + 1, len(text))
    return {
        "id": f"T{number}",
        "start": start,
        "end": end,
        "label": rng.choice(["PERSON", "QUOTE", "É"]),
        "text": text[start:end],
        "attrs": rng.choice([{}, {"k": "👍🏽"}]),
        "note": rng.choice(["", "a\r\nb"]),
    }


def _mutated(rng: random.Random, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with one field given another value, left out, or one more key."""
    result = dict(record)
    roll = rng.random()
    if roll < 0.1:
        del result[rng.choice(list(result))]
    elif roll < 0.15:
        result["extra"] = 1
    elif roll < 0.9:
        result[rng.choice(list(result))] = rng.choice(ODD_VALUES)
    return result


def _strictly_valid(model: type[BaseModel], record: Any) -> bool:
    try:
        model.model_validate(copy.deepcopy(record), strict=True)
    except ValidationError:
        return False
    return True


def _corpus(seed: int, count: int) -> list[tuple[str, dict[str, Any]]]:
    rng = random.Random(seed)
    result = []
    for number in range(count):
        text = _text(rng)
        span = _span(rng, text, number)
        result.append((text, _mutated(rng, span) if rng.random() < 0.7 else span))
    return result


def test_the_models_validators_are_the_joint_rules_the_quick_path_knows() -> None:
    for model, known in JOINT_VALIDATORS.items():
        decorators = model.__pydantic_decorators__
        assert set(decorators.model_validators) == known, model
        assert not decorators.field_validators, model


@pytest.mark.parametrize("seed", range(4))
def test_spans_quick_check_agrees_with_pydantic_on_a_generated_corpus(seed: int) -> None:
    accepted = refused = 0
    for text, span in _corpus(seed, 500):
        valid = _strictly_valid(Span, span)
        if tuple(span) != SPAN.fields:
            # Another shape (a field left to its default): pydantic's to judge.
            assert not spans_ok([span])
            continue
        assert spans_ok([span]) == valid, span
        if valid:
            accepted += 1
            fits = text[span["start"] : span["end"]] == span["text"] and span["end"] <= len(text)
            assert spans_ok([span], text) == fits
        else:
            refused += 1
    assert accepted > 50 and refused > 50  # both sides of every rule are exercised


@pytest.mark.parametrize("seed", range(3))
def test_documents_quick_check_agrees_with_pydantic(seed: int) -> None:
    rng = random.Random(seed)
    outcomes = set()
    for number in range(300):
        text = _text(rng)
        spans = [_span(rng, text, index) for index in range(rng.randint(0, 4))]
        relations = [
            {
                "id": f"R{index}",
                "label": "ATTRIBUTED_TO",
                "head": rng.choice(spans)["id"] if spans else "T0",
                "tail": rng.choice([*(span["id"] for span in spans), "T99"]),
                "note": "",
            }
            for index in range(rng.randint(0, 3))
        ]
        if spans and rng.random() < 0.2:
            spans.append(dict(spans[0]))  # a duplicate id
        if relations and rng.random() < 0.2:
            relations[-1] = _mutated(rng, relations[-1])
        record: dict[str, Any] = {
            "doc_id": f"d{number}",
            "text_hash": "",
            "status": rng.choice(["done", "todo", "finished"]),
            "note": "",
            "updated": "2026-01-01T00:00:00.000Z",
            "spans": spans,
            "relations": relations,
            "provenance": {},
            "cats": rng.choice([{}, {"topic": ["politics"]}, {"topic": []}, {"": ["x"]}]),
        }
        if rng.random() < 0.3:
            record = _mutated(rng, record)
        valid = _strictly_valid(DocumentAnnotation, record)
        if tuple(record) == tuple(DocumentAnnotation.model_fields) and _all_shaped(
            record["relations"]
        ):
            assert record_ok(record) == valid, record
            outcomes.add(valid)
        else:
            # Another shape (a field left to its default): pydantic's to judge.
            assert not record_ok(record) or valid
        relations = record.get("relations")
        if type(relations) is list and spans_ok(spans) and _all_shaped(relations):
            ids = {span["id"] for span in spans}
            expected = all(_strictly_valid(Relation, rel) for rel in relations) and ids_ok(
                list(ids),
                [rel["id"] for rel in relations],
                [rel["head"] for rel in relations],
                [rel["tail"] for rel in relations],
            )
            assert relations_ok(relations, ids) == expected
    assert outcomes == {True, False}


def _all_shaped(relations: Any) -> bool:
    return type(relations) is not list or all(
        type(rel) is dict and tuple(rel) == RELATION.fields for rel in relations
    )


class GradedSpan(Span):
    """Span with two more fields, as a change to the model would add them."""

    grade: int = Field(default=1, ge=1)
    source: str = Field(default="x", min_length=1)


def test_a_field_added_to_the_model_is_checked_by_the_quick_path() -> None:
    rules = RecordRules(GradedSpan, SPAN.joint)
    assert rules.fields == (*SPAN.fields, "grade", "source")
    rng = random.Random(9)
    seen = set()
    for _, span in _corpus(11, 400):
        graded = {**span, "grade": rng.choice([1, 3, 0, -2, "2", True]), "source": "wire"}
        if rng.random() < 0.2:
            graded["source"] = rng.choice(["", 5])
        if tuple(graded) != rules.fields:
            continue
        valid = _strictly_valid(GradedSpan, graded)
        seen.add(valid)
        assert (rules.checked_columns([graded]) is not None) == valid, graded
        columns = {name: (value,) for name, value in graded.items()}
        assert rules.columns_ok(columns) == valid, graded
        assert rules.record_ok(graded) == valid
    assert seen == {True, False}


def test_a_field_the_quick_path_cannot_check_fails_at_once() -> None:
    class Scored(Span):
        score: float = 0.0

    class Bounded(Span):
        size: int = Field(default=1, le=5)

    for model in (Scored, Bounded):
        with pytest.raises(TypeError, match="not checked in bulk"):
            RecordRules(model)
