"""Where chosen annotators disagree on a document, and a cursor that walks across documents.

Spans every annotator of the document has (same start, end and label) are agreed; so
are relations every annotator has (same label, both ends the same span). The rest are
grouped into disagreements:

- spans are linked when they cover the same range (they differ in label) or share a
  label and overlap (they differ in boundaries); each linked group is one disagreement:
  ``missing_span`` (one version, some annotators lack it), ``different_label``,
  ``different_boundaries``, or ``label_and_boundaries`` (both, through a chain of links);
- relations not everyone has are grouped by label and head span: ``different_relation``
  (versions differ in their tail, or some annotators lack the relation);
- document categories whose choices differ: ``different_category``, one a category,
  placed at the start of the document (versions are the sets of choices made; an
  annotator who chose nothing there is ``missing``).

Only annotators who labelled the document take part: a colleague who has not opened it
yet does not "miss" every span in it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from annotator.core.models import DocumentAnnotation, text_hash
from annotator.review.agreement import RelationKey, SpanKey
from annotator.review.categories import differing_categories
from annotator.review.source import ReviewSource

Kind = Literal[
    "missing_span",
    "different_label",
    "different_boundaries",
    "label_and_boundaries",
    "different_relation",
    "different_category",
]
KIND_ORDER: dict[Kind, int] = {
    "missing_span": 0,
    "different_label": 1,
    "different_boundaries": 2,
    "label_and_boundaries": 3,
    "different_relation": 4,
    "different_category": 5,
}
KIND_NAMES: dict[Kind, str] = {
    "missing_span": "missing span",
    "different_label": "different label",
    "different_boundaries": "different boundaries",
    "label_and_boundaries": "different label and boundaries",
    "different_relation": "different relation",
    "different_category": "different category",
}


@dataclass(frozen=True, slots=True)
class Version:
    """One way of labelling the disputed place, and who labelled it so."""

    annotators: tuple[str, ...]
    span: SpanKey | None = None
    relation: RelationKey | None = None
    text: str = ""
    # A document category and the choices made in it.
    category: tuple[str, tuple[str, ...]] | None = None

    def describe(self) -> str:
        who = ", ".join(self.annotators)
        if self.category is not None:
            name, chosen = self.category
            return f"{name}: {', '.join(chosen)} ({who})"
        if self.relation is not None:
            label, head, tail = self.relation
            return f"{head[2]} {head[0]}-{head[1]} -{label}-> {tail[2]} {tail[0]}-{tail[1]} ({who})"
        assert self.span is not None
        start, end, label = self.span
        return f"{label} {start}-{end} {self.text!r} ({who})"


@dataclass(frozen=True, slots=True)
class Disagreement:
    doc_id: str
    kind: Kind
    start: int
    end: int
    versions: tuple[Version, ...]
    missing: tuple[str, ...]  # annotators of the document who have none of the versions
    key: str  # stable within the document while the versions stay the same

    @property
    def is_relation(self) -> bool:
        return self.kind == "different_relation"

    @property
    def is_category(self) -> bool:
        return self.kind == "different_category"

    @property
    def by_picking(self) -> bool:
        """Settled only by picking a version or rejecting them (no reviewer's own span)."""
        return self.is_relation or self.is_category

    def describe(self) -> str:
        parts = [version.describe() for version in self.versions]
        if self.missing:
            parts.append(f"nothing ({', '.join(self.missing)})")
        return f"{KIND_NAMES[self.kind]}: " + " vs ".join(parts)


def _span_key_text(key: SpanKey) -> str:
    return f"{key[0]}-{key[1]}-{key[2]}"


def find_disagreements(
    doc_id: str, text: str, annotations: dict[str, DocumentAnnotation]
) -> list[Disagreement]:
    """Every disagreement between the given annotators on one document, in reading order."""
    names = sorted(annotations)
    if len(names) < 2:
        return []
    holders: dict[SpanKey, list[str]] = {}
    relation_holders: dict[RelationKey, list[str]] = {}
    for name in names:
        annotation = annotations[name]
        keys = {span.id: (span.start, span.end, span.label) for span in annotation.spans}
        for key in dict.fromkeys(keys.values()):
            holders.setdefault(key, []).append(name)
        relations = {
            (rel.label, keys[rel.head], keys[rel.tail])
            for rel in annotation.relations
            if rel.head in keys and rel.tail in keys
        }
        for relation in relations:
            relation_holders.setdefault(relation, []).append(name)
    everyone = len(names)
    found = _span_disagreements(doc_id, text, names, holders, everyone)
    found += _relation_disagreements(doc_id, names, relation_holders, everyone)
    found += _category_disagreements(doc_id, {name: annotations[name].cats for name in names})
    found.sort(key=lambda d: (d.start, d.end, KIND_ORDER[d.kind], d.key))
    return found


def _span_disagreements(
    doc_id: str,
    text: str,
    names: list[str],
    holders: dict[SpanKey, list[str]],
    everyone: int,
) -> list[Disagreement]:
    disputed = sorted(key for key, who in holders.items() if len(who) < everyone)
    parent = list(range(len(disputed)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Sorted by start, so only spans starting before this one ends can be linked to it.
    for i, (start, end, label) in enumerate(disputed):
        for j in range(i + 1, len(disputed)):
            other_start, other_end, other_label = disputed[j]
            if other_start >= end:
                break
            same_range = other_start == start and other_end == end
            if same_range or other_label == label:
                parent[root(j)] = root(i)
    groups: dict[int, list[SpanKey]] = {}
    for i, key in enumerate(disputed):
        groups.setdefault(root(i), []).append(key)
    result: list[Disagreement] = []
    for keys in groups.values():
        versions = tuple(
            Version(tuple(holders[key]), span=key, text=text[key[0] : key[1]]) for key in keys
        )
        having = {name for key in keys for name in holders[key]}
        missing = tuple(name for name in names if name not in having)
        if len(keys) == 1:
            kind: Kind = "missing_span"
        elif len({(s, e) for s, e, _ in keys}) == 1:
            kind = "different_label"
        elif len({label for _, _, label in keys}) == 1:
            kind = "different_boundaries"
        else:
            kind = "label_and_boundaries"
        result.append(
            Disagreement(
                doc_id,
                kind,
                min(key[0] for key in keys),
                max(key[1] for key in keys),
                versions,
                missing,
                "span:" + ";".join(_span_key_text(key) for key in keys),
            )
        )
    return result


def _relation_disagreements(
    doc_id: str,
    names: list[str],
    holders: dict[RelationKey, list[str]],
    everyone: int,
) -> list[Disagreement]:
    groups: dict[tuple[str, SpanKey], list[RelationKey]] = {}
    for relation in sorted(holders):
        if len(holders[relation]) < everyone:
            groups.setdefault((relation[0], relation[1]), []).append(relation)
    result: list[Disagreement] = []
    for (label, head), relations in groups.items():
        having = {name for rel in relations for name in holders[rel]}
        result.append(
            Disagreement(
                doc_id,
                "different_relation",
                head[0],
                head[1],
                tuple(Version(tuple(holders[rel]), relation=rel) for rel in relations),
                tuple(name for name in names if name not in having),
                f"relation:{label}:{_span_key_text(head)}:"
                + ";".join(_span_key_text(rel[2]) for rel in relations),
            )
        )
    return result


def _category_disagreements(
    doc_id: str, cats: dict[str, dict[str, list[str]]]
) -> list[Disagreement]:
    result: list[Disagreement] = []
    for name in differing_categories(cats):
        holders: dict[tuple[str, ...], list[str]] = {}
        for annotator, chosen in cats.items():
            choices = tuple(chosen.get(name, []))
            holders.setdefault(choices, []).append(annotator)
        versions = tuple(
            Version(tuple(who), category=(name, choices))
            for choices, who in sorted(holders.items())
            if choices
        )
        result.append(
            Disagreement(
                doc_id,
                "different_category",
                0,
                0,
                versions,
                tuple(holders.get((), [])),
                f"category:{name}:"
                + ";".join(
                    ",".join(version.category[1]) for version in versions if version.category
                ),
            )
        )
    return result


class DisagreementFinder:
    """Disagreements per document for a review session, computed once per document."""

    def __init__(self, source: ReviewSource) -> None:
        self.source = source
        self._cache: dict[str, list[Disagreement]] = {}
        self._agreed: dict[str, tuple[list[SpanKey], list[RelationKey]]] = {}

    def annotations(self, doc_id: str) -> dict[str, DocumentAnnotation]:
        """The chosen annotators' labels that fit the document's current text."""
        current = text_hash(self.source.project.get_text(doc_id))
        return {
            name: annotation
            for name, annotation in self.source.annotations(doc_id).items()
            if not annotation.text_hash or annotation.text_hash == current
        }

    def forget(self, doc_id: str | None = None) -> None:
        """An annotator's labels of ``doc_id`` (None: of any document) changed."""
        for cache in (self._cache, self._agreed):
            if doc_id is None:
                cache.clear()
            else:
                cache.pop(doc_id, None)

    def for_document(self, doc_id: str) -> list[Disagreement]:
        cached = self._cache.get(doc_id)
        if cached is None:
            text = self.source.project.get_text(doc_id)
            cached = find_disagreements(doc_id, text, self.annotations(doc_id))
            self._cache[doc_id] = cached
        return cached

    def agreed(self, doc_id: str) -> tuple[list[SpanKey], list[RelationKey]]:
        """Spans and relations every annotator of the document has (at least two annotators)."""
        cached = self._agreed.get(doc_id)
        if cached is None:
            cached = agreed_labels(self.annotations(doc_id))
            self._agreed[doc_id] = cached
        return cached


def agreed_labels(
    annotations: dict[str, DocumentAnnotation],
) -> tuple[list[SpanKey], list[RelationKey]]:
    if len(annotations) < 2:
        return [], []
    span_sets: list[set[SpanKey]] = []
    relation_sets: list[set[RelationKey]] = []
    for annotation in annotations.values():
        keys = {span.id: (span.start, span.end, span.label) for span in annotation.spans}
        span_sets.append(set(keys.values()))
        relation_sets.append(
            {
                (rel.label, keys[rel.head], keys[rel.tail])
                for rel in annotation.relations
                if rel.head in keys and rel.tail in keys
            }
        )
    spans = sorted(set.intersection(*span_sets))
    relations = sorted(set.intersection(*relation_sets))
    return spans, relations


class DisagreementCursor:
    """Next/previous disagreement across documents, in project order then reading order.

    ``skip`` hides disagreements (e.g. the ones already settled); the cursor stays put
    and returns None when there is nothing further in that direction.
    """

    def __init__(
        self,
        finder: DisagreementFinder,
        doc_ids: Sequence[str],
        skip: Callable[[Disagreement], bool] | None = None,
    ) -> None:
        self.finder = finder
        self.doc_ids = list(doc_ids)
        self.skip = skip
        self.doc_index = 0
        self.item_index = -1  # before the first disagreement of the document

    @property
    def doc_id(self) -> str | None:
        return self.doc_ids[self.doc_index] if self.doc_ids else None

    def current(self) -> Disagreement | None:
        if not self.doc_ids or self.item_index < 0:
            return None
        items = self.finder.for_document(self.doc_ids[self.doc_index])
        return items[self.item_index] if self.item_index < len(items) else None

    def go_to(self, doc_id: str, item_index: int = -1) -> None:
        """Place the cursor in ``doc_id``, before its first disagreement by default."""
        self.doc_index = self.doc_ids.index(doc_id)
        self.item_index = item_index

    def _visible(self, item: Disagreement) -> bool:
        return self.skip is None or not self.skip(item)

    def next(self) -> Disagreement | None:
        doc_index, item_index = self.doc_index, self.item_index + 1
        while doc_index < len(self.doc_ids):
            items = self.finder.for_document(self.doc_ids[doc_index])
            while item_index < len(items):
                if self._visible(items[item_index]):
                    self.doc_index, self.item_index = doc_index, item_index
                    return items[item_index]
                item_index += 1
            doc_index += 1
            item_index = 0
        return None

    def previous(self) -> Disagreement | None:
        doc_index, item_index = self.doc_index, self.item_index - 1
        while doc_index >= 0:
            items = self.finder.for_document(self.doc_ids[doc_index])
            item_index = min(item_index, len(items) - 1)
            while item_index >= 0:
                if self._visible(items[item_index]):
                    self.doc_index, self.item_index = doc_index, item_index
                    return items[item_index]
                item_index -= 1
            doc_index -= 1
            item_index = 1 << 62
        return None
