"""The data model: documents, spans, relations, label schema and one annotator's labels.

Offsets are Python string indices (code points), ``end`` exclusive, into the document
text exactly as stored. Field names are a contract (docs/architecture.md): users' scripts read them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import repeat
from operator import getitem, lt, methodcaller, sub
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from annotator.core.errors import AnnotationError

# Re-exported: the statuses lived here before the window needed them without pydantic.
from annotator.core.status import STATUSES as STATUSES
from annotator.core.status import Status as Status

# "cue": the words that introduce a quote ("said", "according to"), as PARC and Citron mark them.
Category = Literal["entity", "claim", "quote", "source", "cue"]
CATEGORIES: tuple[Category, ...] = ("entity", "claim", "quote", "source", "cue")

_LABEL_NAME = re.compile(r"^[^\s,]+$")


def _empty(value: Any) -> bool:
    """Fields left out of model_dump while empty: files written before the field existed
    stay byte-identical."""
    return not value


def text_hash(text: str) -> str:
    """A short, stable fingerprint of a document text; labels carry it to detect text changes."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def text_hashes(texts: list[str]) -> list[str]:
    """``text_hash`` of every text, without a Python call per text (imports hash thousands)."""
    encoded = map(str.encode, texts, repeat("utf-8"), repeat("surrogatepass"))
    digests = map(_hexdigest, map(hashlib.sha256, encoded))
    return list(map(getitem, digests, repeat(_SHORT)))


_hexdigest = methodcaller("hexdigest")
_SHORT = slice(16)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Document(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    id: str = Field(min_length=1)
    text: str
    meta: dict[str, Any] = Field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or self.id)

    @property
    def hash(self) -> str:
        return text_hash(self.text)


class Span(BaseModel):
    # Frozen: a span checked once stays valid, so saving an edit re-checks only new spans
    # (store/journal.py); edits replace spans with model_copy(update=...).
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    start: int = Field(ge=0)
    end: int
    label: str = Field(min_length=1)
    text: str
    attrs: dict[str, Any] = Field(default_factory=dict)
    note: str = ""

    @model_validator(mode="after")
    def _check_extent(self) -> Span:
        if extents_ok((self.start,), (self.end,), (self.text,)):
            return self
        if self.end <= self.start:
            raise ValueError(f"span {self.id}: empty or reversed range [{self.start}, {self.end})")
        if len(self.text) != self.end - self.start:
            raise ValueError(
                f"span {self.id}: text {self.text!r} has length {len(self.text)}, "
                f"range [{self.start}, {self.end}) has length {self.end - self.start}"
            )
        return self

    @classmethod
    def of(cls, doc_text: str, start: int, end: int, label: str, span_id: str) -> Span:
        """A span over ``doc_text[start:end]``; raises if the range is outside the text."""
        if not 0 <= start < end <= len(doc_text):
            raise AnnotationError(
                f"span [{start}, {end}) is outside a text of length {len(doc_text)}"
            )
        return cls(id=span_id, start=start, end=end, label=label, text=doc_text[start:end])


class Relation(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    label: str = Field(min_length=1)
    head: str = Field(min_length=1)
    tail: str = Field(min_length=1)
    note: str = ""


class Label(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    name: str = Field(min_length=1)
    category: Category = "entity"
    color: str = "#a6cee3"
    hotkey: str = ""
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name_has_no_spaces(cls, value: str) -> str:
        if not _LABEL_NAME.match(value):
            raise ValueError(f"label name {value!r} must not contain spaces or commas")
        return value

    @field_validator("color")
    @classmethod
    def _color_is_hex(cls, value: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError(f"colour {value!r} must look like #RRGGBB")
        return value


class RelationType(BaseModel):
    """A relation label; empty ``head``/``tail`` lists allow any span label there."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    name: str = Field(min_length=1)
    head: list[str] = Field(default_factory=list)
    tail: list[str] = Field(default_factory=list)
    hotkey: str = ""

    def allows(self, head_label: str, tail_label: str) -> bool:
        return (not self.head or head_label in self.head) and (
            not self.tail or tail_label in self.tail
        )


class DocumentCategory(BaseModel):
    """A label on the whole document (topic, stance): one of ``choices``, or any number
    of them when ``multiple``. ``hotkeys`` maps a choice to the key that sets it."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    name: str = Field(min_length=1)
    choices: list[str]
    multiple: bool = False
    hotkeys: dict[str, str] = Field(default_factory=dict)
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name_has_no_colon(cls, value: str) -> str:
        # Flat exports name a choice "category:choice" (doccano, Prodigy, spaCy).
        if ":" in value:
            raise ValueError(f"category name {value!r} must not contain a colon")
        return value

    @model_validator(mode="after")
    def _check_choices(self) -> DocumentCategory:
        if not self.choices:
            raise ValueError(f"category {self.name!r} has no choices")
        if "" in self.choices:
            raise ValueError(f"category {self.name!r}: a choice has an empty name")
        _require_unique(self.choices, f"choice of category {self.name!r}")
        for choice in self.hotkeys:
            if choice not in self.choices:
                raise ValueError(f"category {self.name!r}: hotkey for unknown choice {choice!r}")
        return self


class LabelSchema(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    labels: list[Label] = Field(default_factory=list)
    relations: list[RelationType] = Field(default_factory=list)
    # Document categories; left out of annotator.json (model_dump) while there are none.
    categories: list[DocumentCategory] = Field(default_factory=list, exclude_if=_empty)

    @model_validator(mode="after")
    def _check_unique(self) -> LabelSchema:
        _require_unique((label.name for label in self.labels), "label")
        _require_unique((rel.name for rel in self.relations), "relation type")
        hotkeys = [label.hotkey for label in self.labels if label.hotkey]
        _require_unique(hotkeys, "hotkey")
        if self.categories:
            _require_unique((category.name for category in self.categories), "category")
            # A category's key sets its choice wherever the document has focus, as a
            # label's key does: one key, one meaning (relation keys included).
            taken = {*hotkeys, *(rel.hotkey for rel in self.relations if rel.hotkey)}
            _require_unique(
                [key.upper() for key in taken]
                + [
                    key.upper()
                    for category in self.categories
                    for key in category.hotkeys.values()
                    if key
                ],
                "hotkey",
            )
        return self

    def category(self, name: str) -> DocumentCategory | None:
        for category in self.categories:
            if category.name == name:
                return category
        return None

    def cats_problems(self, cats: dict[str, list[str]]) -> list[str]:
        """Categories or choices in ``cats`` that the schema does not have, and more than
        one choice in a single-choice category; empty when they fit."""
        problems = []
        for name, chosen in cats.items():
            category = self.category(name)
            if category is None:
                problems.append(f"unknown category {name!r}")
                continue
            unknown = [choice for choice in chosen if choice not in category.choices]
            if unknown:
                problems.append(f"category {name!r} has no choice {unknown[0]!r}")
            elif len(chosen) > 1 and not category.multiple:
                problems.append(f"category {name!r} takes one choice, not {len(chosen)}")
        return problems

    def label(self, name: str) -> Label | None:
        for label in self.labels:
            if label.name == name:
                return label
        return None

    def label_names(self) -> list[str]:
        return [label.name for label in self.labels]

    def names_in(self, category: Category) -> list[str]:
        return [label.name for label in self.labels if label.category == category]

    def relation(self, name: str) -> RelationType | None:
        for rel in self.relations:
            if rel.name == name:
                return rel
        return None

    def relations_allowed(self, head_label: str, tail_label: str) -> list[RelationType]:
        return [rel for rel in self.relations if rel.allows(head_label, tail_label)]

    def with_label(self, label: Label) -> LabelSchema:
        """A copy with ``label`` added, or replacing the label of the same name."""
        labels = [existing for existing in self.labels if existing.name != label.name]
        return self.model_copy(update={"labels": [*labels, label]})


def _require_unique(values: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)


class _SpanIds:
    """DocumentAnnotation's set of span ids, for the list it was taken from.

    A cache, not part of the annotation's value: pydantic compares private attributes
    too, so every cache equals every other (and None), and two annotations with the same
    labels stay equal whether or not either has taken it.
    """

    __slots__ = ("ids", "spans")

    def __init__(self, spans: list[Span]) -> None:
        self.spans = spans
        self.ids = {span.id for span in spans}

    def __eq__(self, other: object) -> bool:
        return other is None or isinstance(other, _SpanIds)

    __hash__ = None  # type: ignore[assignment]


class DocumentAnnotation(BaseModel):
    """One annotator's labels on one document.

    The edit methods are the single place where labels change: the GUI's undo commands
    each call one of them, and every one of them keeps the annotation valid.
    """

    model_config = ConfigDict(defer_build=True, extra="forbid", validate_assignment=False)

    doc_id: str = Field(min_length=1)
    text_hash: str = ""
    status: Status = "todo"
    note: str = ""
    updated: str = Field(default_factory=now_iso)
    spans: list[Span] = Field(default_factory=list)
    relations: list[Relation] = Field(default_factory=list)
    # Who settled a gold label and from whose versions; empty on an analyst's own layer.
    provenance: dict[str, Any] = Field(default_factory=dict)
    # Document categories: category name -> the choices made, each list non-empty (a
    # category with nothing chosen is left out, and so is the field from journal lines).
    cats: dict[str, list[str]] = Field(default_factory=dict, exclude_if=_empty)
    # The span ids, for add_span's duplicate check (a scan of 10,000 spans was half of
    # adding one in the window): kept by the edit methods, taken again whenever the span
    # list was replaced or changed length behind their back.
    _span_id_set: _SpanIds | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check_ids(self) -> DocumentAnnotation:
        if ids_ok(
            [span.id for span in self.spans],
            [rel.id for rel in self.relations],
            [rel.head for rel in self.relations],
            [rel.tail for rel in self.relations],
        ) and not any(map(cats_problem, self.cats, self.cats.values())):
            return self
        span_ids = set()
        for span in self.spans:
            if span.id in span_ids:
                raise ValueError(f"document {self.doc_id}: duplicate span id {span.id!r}")
            span_ids.add(span.id)
        relation_ids = set()
        for rel in self.relations:
            if rel.id in relation_ids:
                raise ValueError(f"document {self.doc_id}: duplicate relation id {rel.id!r}")
            relation_ids.add(rel.id)
            for end in (rel.head, rel.tail):
                if end not in span_ids:
                    raise ValueError(
                        f"document {self.doc_id}: relation {rel.id} refers to missing span {end!r}"
                    )
        for name, chosen in self.cats.items():
            problem = cats_problem(name, chosen)
            if problem:
                raise ValueError(f"document {self.doc_id}: {problem}")
        return self

    # --- checks against the text -------------------------------------------------

    def problems_with(self, text: str) -> list[str]:
        """Every way these labels disagree with ``text``; empty when they fit."""
        problems: list[str] = []
        if self.text_hash and self.text_hash != text_hash(text):
            problems.append(
                f"document {self.doc_id}: labels were made on a different text "
                f"(hash {self.text_hash}, text now {text_hash(text)})"
            )
            return problems
        for span in self.spans:
            if span.end > len(text):
                problems.append(
                    f"document {self.doc_id}: span {span.id} [{span.start}, {span.end}) "
                    f"is past the end of the text ({len(text)})"
                )
            elif text[span.start : span.end] != span.text:
                problems.append(
                    f"document {self.doc_id}: span {span.id} says {span.text!r} but the text "
                    f"at [{span.start}, {span.end}) is {text[span.start : span.end]!r}"
                )
        return problems

    def check_against(self, text: str) -> None:
        problems = self.problems_with(text)
        if problems:
            raise AnnotationError(problems[0])

    # --- lookups -----------------------------------------------------------------

    def span(self, span_id: str) -> Span | None:
        for span in self.spans:
            if span.id == span_id:
                return span
        return None

    def relation(self, relation_id: str) -> Relation | None:
        for rel in self.relations:
            if rel.id == relation_id:
                return rel
        return None

    def find_span(self, start: int, end: int, label: str) -> Span | None:
        for span in self.spans:
            if span.start == start and span.end == end and span.label == label:
                return span
        return None

    def relations_of(self, span_id: str) -> list[Relation]:
        return [rel for rel in self.relations if span_id in (rel.head, rel.tail)]

    def _span_ids(self) -> set[str]:
        known = self._span_id_set
        if known is None or known.spans is not self.spans or len(known.ids) != len(self.spans):
            known = _SpanIds(self.spans)
            self._span_id_set = known
        return known.ids

    def next_span_id(self) -> str:
        return _next_id("T", (span.id for span in self.spans))

    def has_span_id(self, span_id: str) -> bool:
        """Whether a span uses this id (the set add_span keeps, built once)."""
        return span_id in self._span_ids()

    def next_relation_id(self) -> str:
        return _next_id("R", (rel.id for rel in self.relations))

    # --- edits (each one is one undoable step in the GUI) --------------------------

    def touch(self) -> None:
        self.updated = now_iso()

    def add_span(self, span: Span, index: int | None = None) -> None:
        ids = self._span_ids()
        if span.id in ids:
            raise AnnotationError(f"span id {span.id!r} is already used")
        if index is None:
            self.spans.append(span)
        else:
            self.spans.insert(index, span)
        ids.add(span.id)
        self.touch()

    def remove_span(self, span_id: str) -> tuple[Span, int, list[tuple[int, Relation]]]:
        """Remove a span and the relations that use it; returns what undo needs."""
        index = self._span_index(span_id)
        ids = self._span_ids()
        span = self.spans.pop(index)
        ids.discard(span_id)
        removed = [
            (i, rel) for i, rel in enumerate(self.relations) if span_id in (rel.head, rel.tail)
        ]
        removed_ids = {rel.id for _, rel in removed}
        self.relations = [rel for rel in self.relations if rel.id not in removed_ids]
        self.touch()
        return span, index, removed

    def restore_span(self, span: Span, index: int, relations: list[tuple[int, Relation]]) -> None:
        """Undo of :meth:`remove_span`: puts the span and its relations back where they were."""
        self.add_span(span, index)
        for position, rel in relations:
            self.relations.insert(position, rel)
        self.touch()

    def relabel_span(self, span_id: str, label: str) -> str:
        """Give a span another label; returns the old one."""
        index = self._span_index(span_id)
        old = self.spans[index].label
        self.spans[index] = self.spans[index].model_copy(update={"label": label})
        self.touch()
        return old

    def set_span_note(self, span_id: str, note: str) -> str:
        index = self._span_index(span_id)
        old = self.spans[index].note
        self.spans[index] = self.spans[index].model_copy(update={"note": note})
        self.touch()
        return old

    def add_relation(self, relation: Relation, index: int | None = None) -> None:
        if self.relation(relation.id) is not None:
            raise AnnotationError(f"relation id {relation.id!r} is already used")
        for end in (relation.head, relation.tail):
            if self.span(end) is None:
                raise AnnotationError(f"relation {relation.id} refers to missing span {end!r}")
        if index is None:
            self.relations.append(relation)
        else:
            self.relations.insert(index, relation)
        self.touch()

    def remove_relation(self, relation_id: str) -> tuple[Relation, int]:
        for index, rel in enumerate(self.relations):
            if rel.id == relation_id:
                del self.relations[index]
                self.touch()
                return rel, index
        raise AnnotationError(f"no relation {relation_id!r} in document {self.doc_id}")

    def find_relation(self, label: str, head: str, tail: str) -> Relation | None:
        for rel in self.relations:
            if rel.label == label and rel.head == head and rel.tail == tail:
                return rel
        return None

    def set_status(self, status: Status) -> Status:
        old = self.status
        self.status = status
        self.touch()
        return old

    def set_note(self, note: str) -> str:
        old = self.note
        self.note = note
        self.touch()
        return old

    def set_cats(self, category: str, chosen: list[str]) -> list[str]:
        """Make ``chosen`` the document's choices in ``category`` (none: the category is
        left out); returns the choices it had, which undo gives back to this method."""
        problem = cats_problem(category, chosen) if chosen else None
        if problem:
            raise AnnotationError(f"document {self.doc_id}: {problem}")
        old = self.cats.get(category, [])
        cats = dict(self.cats)
        if chosen:
            cats[category] = list(chosen)
        else:
            cats.pop(category, None)
        self.cats = cats
        self.touch()
        return list(old)

    def rename_label(self, old: str, new: str) -> int:
        """Relabel every span labelled ``old``; returns how many changed."""
        changed = 0
        for index, span in enumerate(self.spans):
            if span.label == old:
                self.spans[index] = span.model_copy(update={"label": new})
                changed += 1
        if changed:
            self.touch()
        return changed

    def _span_index(self, span_id: str) -> int:
        # Newest first: a span removed, relabelled or noted is most often one just made
        # (add_span appends it), found at once instead of after every span read with the
        # document (1.5 ms at 10,000 spans).
        spans = self.spans
        for index in range(len(spans) - 1, -1, -1):
            if spans[index].id == span_id:
                return index
        raise AnnotationError(f"no span {span_id!r} in document {self.doc_id}")


# The rules that join fields, written over columns (one value per span or relation) so
# that records.py checks thousands of records with them at once; the validators above
# apply them to one model and, when they fail, say what is wrong.


def extents_ok(starts: Sequence[int], ends: Sequence[int], texts: Sequence[str]) -> bool:
    """Span's joint rule for spans given column by column: each range neither empty nor
    reversed, each text as long as its range."""
    return all(map(lt, starts, ends)) and list(map(len, texts)) == list(map(sub, ends, starts))


def ids_ok(
    span_ids: Sequence[str], relation_ids: Sequence[str], heads: Sequence[str], tails: Sequence[str]
) -> bool:
    """DocumentAnnotation's joint rule: span ids unique, relation ids unique, every
    relation between spans of the document."""
    known = set(span_ids)
    return (
        len(known) == len(span_ids)
        and len(set(relation_ids)) == len(relation_ids)
        and known.issuperset(heads)
        and known.issuperset(tails)
    )


def cats_problem(category: str, chosen: Any) -> str | None:
    """What is wrong with one entry of DocumentAnnotation.cats, whatever the schema; None if
    nothing."""
    if type(category) is not str or not category:
        return f"category name {category!r} is not a non-empty string"
    if type(chosen) is not list or not chosen:
        return f"category {category!r}: the choices must be a non-empty list"
    if any(type(choice) is not str or not choice for choice in chosen):
        return f"category {category!r}: every choice must be a non-empty string"
    if len(set(chosen)) != len(chosen):
        return f"category {category!r}: a choice is given twice"
    return None


def _next_id(prefix: str, existing: Iterable[str]) -> str:
    highest = 0
    for value in existing:
        if value.startswith(prefix) and value[len(prefix) :].isdigit():
            highest = max(highest, int(value[len(prefix) :]))
    return f"{prefix}{highest + 1}"
