"""The models' validation rules, read from the models, for checking records in bulk.

pydantic checks a record at a time and builds a model per span; records.py checks a
journal line's thousands of spans with a few whole-list operations instead. It does not
write the rules a second time: each field's type and constraints are read here from the
model (its annotation and Field metadata) when this module is imported, and the rules
joining fields are the functions the models' own validators call (models.extents_ok,
models.ids_ok, models.cats_problem). A field this module cannot check in bulk (a type
or constraint it does not know) fails the import, so the two never drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import Any, Literal, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from annotator.core.models import DocumentAnnotation, Relation, Span, cats_problem, extents_ok

# Columns by field name -> whether the rule joining them holds.
JointRule = Callable[[Mapping[str, Sequence[Any]]], bool]


@dataclass(frozen=True)
class FieldRule:
    """What the model accepts of one field, as a JSON record holds it: values of exactly
    ``kind`` (pydantic's coercions, "3" for 3, are left to pydantic), not empty, not below
    ``minimum``, one of ``choices``."""

    name: str
    kind: type
    non_empty: bool = False
    minimum: int | None = None
    choices: frozenset[Any] | None = None


# The types a JSON record holds, which FieldRule checks exactly.
_KINDS: tuple[type, ...] = (str, int, dict, list)


def field_rule(name: str, info: FieldInfo) -> FieldRule:
    """The rule pydantic applies to field ``name`` of a model, as a :class:`FieldRule`."""
    annotation = info.annotation
    origin: Any = get_origin(annotation) or annotation
    choices = None
    if origin is Literal:
        choices = frozenset(get_args(annotation))
        kinds = set(map(type, choices))
        if len(kinds) != 1:
            raise TypeError(f"field {name}: a Literal of mixed types is not checked in bulk")
        origin = kinds.pop()
    kind = next((known for known in _KINDS if origin is known), None)
    if kind is None:
        raise TypeError(f"field {name}: type {annotation!r} is not checked in bulk (core/rules.py)")
    non_empty = False
    minimum = None
    for constraint in info.metadata:
        if isinstance(constraint, annotated_types.MinLen) and constraint.min_length == 1:
            non_empty = True
        elif isinstance(constraint, annotated_types.Ge) and kind is int:
            minimum = int(constraint.ge)  # type: ignore[call-overload]
        else:
            raise TypeError(f"field {name}: {constraint!r} is not checked in bulk (core/rules.py)")
    return FieldRule(name, kind, non_empty, minimum, choices)


class RecordRules:
    """A model's rules for records of its fields: each field's :class:`FieldRule` and the
    model's joint rule, checked over many records at once or over one."""

    def __init__(self, model: type[BaseModel], joint: JointRule | None = None) -> None:
        self.model = model
        self.fields = tuple(model.model_fields)
        self.rules = tuple(field_rule(name, info) for name, info in model.model_fields.items())
        self.by_name = {rule.name: rule for rule in self.rules}
        self.joint = joint
        # A record's values in field order (KeyError when one is missing), and their types.
        self.values = itemgetter(*self.fields)
        self.kinds = tuple(rule.kind for rule in self.rules)
        # For each type, a getter of the columns (by position) of fields of that type.
        self._by_kind = [
            (kind, _picker([index for index, found in enumerate(self.kinds) if found is kind]))
            for kind in dict.fromkeys(self.kinds)
        ]
        self._non_empty = tuple(rule.name for rule in self.rules if rule.non_empty)
        self._non_empty_at = _picker(
            [index for index, rule in enumerate(self.rules) if rule.non_empty]
        )
        self._limits_at = tuple(
            (index, rule.minimum, rule.choices)
            for index, rule in enumerate(self.rules)
            if rule.minimum is not None or rule.choices is not None
        )
        self._limited = tuple(
            rule for rule in self.rules if rule.minimum is not None or rule.choices is not None
        )
        # The field types of each shape of record met (the names in a record's order).
        self._kinds_of: dict[tuple[str, ...], tuple[type, ...]] = {}

    def columns_ok(self, columns: Mapping[str, Sequence[Any]]) -> bool:
        """Whether the values given column by column (a field's values over many records;
        fields left out are not checked) keep the fields' rules and the joint rule."""
        by_name = self.by_name
        for name, column in columns.items():
            if column and set(map(type, column)) != {by_name[name].kind}:
                return False
        return self._values_ok(columns)

    def checked_columns(self, records: list[Any]) -> dict[str, Sequence[Any]] | None:
        """The records' values column by column, when every one is a dict of exactly the
        model's fields keeping its rules; otherwise None (pydantic may still accept another
        shape)."""
        if not records:
            return dict.fromkeys(self.fields, ())
        try:
            if set(map(type, records)) != {dict} or set(map(len, records)) != {len(self.fields)}:
                return None
            # As many keys as fields, all of them fields: exactly the fields.
            rows = list(map(self.values, records))
        except KeyError:
            return None
        values = list(zip(*rows, strict=True))
        # The types of all columns of one type at once: a few C-level passes.
        for kind, pick in self._by_kind:
            if set().union(*map(map, repeat(type), pick(values))) != {kind}:
                return None
        if not all(map(all, self._non_empty_at(values))):
            return None
        for index, minimum, choices in self._limits_at:
            if minimum is not None and min(values[index]) < minimum:
                return None
            if choices is not None and not choices.issuperset(values[index]):
                return None
        columns: dict[str, Sequence[Any]] = dict(zip(self.fields, values, strict=True))
        return columns if self.joint is None or self.joint(columns) else None

    def record_ok(self, record: Mapping[str, Any]) -> bool:
        """The rules for one record's fields present in it (the caller checks its shape)."""
        names = tuple(record)
        kinds = self._kinds_of.get(names)
        if kinds is None:
            if not self.by_name.keys() >= set(names):
                return False
            kinds = self._kinds_of[names] = tuple(self.by_name[name].kind for name in names)
        if tuple(map(type, record.values())) != kinds:
            return False
        return self._values_ok(dict(zip(names, zip(record.values()), strict=True)))

    def _values_ok(self, columns: Mapping[str, Sequence[Any]]) -> bool:
        """The rules beyond the type, for columns whose types are right."""
        non_empty = [columns[name] for name in self._non_empty if name in columns]
        if not all(map(all, non_empty)):
            return False
        for rule in self._limited:
            column = columns.get(rule.name)
            if not column:
                continue
            if rule.minimum is not None and min(column) < rule.minimum:
                return False
            if rule.choices is not None and not rule.choices.issuperset(column):
                return False
        return self.joint is None or self.joint(columns)


def _picker(indices: list[int]) -> Callable[[Sequence[Any]], Sequence[Any]]:
    """A getter of the items at ``indices``, as a tuple even for one index or none."""
    if not indices:
        return lambda values: ()
    if len(indices) == 1:
        (index,) = indices
        return lambda values: (values[index],)
    return itemgetter(*indices)


def _span_joint(columns: Mapping[str, Sequence[Any]]) -> bool:
    if "start" not in columns or "end" not in columns or "text" not in columns:
        return True
    return extents_ok(columns["start"], columns["end"], columns["text"])


def _annotation_joint(columns: Mapping[str, Sequence[Any]]) -> bool:
    # Spans and relations are checked as records of their own (SPAN, RELATION), and their
    # ids together (records.relations_ok); what is left is the categories' own rule.
    for cats in columns.get("cats", ()):
        if any(map(cats_problem, cats, cats.values())):
            return False
    return True


SPAN = RecordRules(Span, _span_joint)
RELATION = RecordRules(Relation)
ANNOTATION = RecordRules(DocumentAnnotation, _annotation_joint)

# The validators the joint rules above stand for, by model; tests/core/test_rules.py
# fails when a model gains one, until its rule is added here.
JOINT_VALIDATORS: dict[type[BaseModel], frozenset[str]] = {
    Span: frozenset({"_check_extent"}),
    Relation: frozenset(),
    DocumentAnnotation: frozenset({"_check_ids"}),
}
