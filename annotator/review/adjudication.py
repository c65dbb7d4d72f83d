"""Building the gold layer (annotations/gold.jsonl) from colleagues' labels.

Every operation reads the document's gold labels, changes a copy, saves it through the
store (one journal line, per-document cost) and returns an :class:`Edit` holding the
labels before and after. ``undo(edit)`` and ``redo(edit)`` save one or the other, so a
GUI undo command calls exactly one method and never snapshots anything itself.

What the gold layer records (DocumentAnnotation.provenance)::

    {"reviewer": "carol", "annotators": ["alice", "bob"],
     "agreed": {"by": "carol", "at": "...", "spans": 12, "relations": 2},
     "settled": {DISAGREEMENT_KEY: {"decision": "pick" | "edit" | "reject",
                                    "from": ["alice"], "by": "carol", "at": "...",
                                    "spans": [...], "relations": [...]}}}

and each span taken from colleagues carries ``attrs["annotators"]``: who had it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from annotator.core.errors import AnnotatorError
from annotator.core.models import DocumentAnnotation, Relation, Span, now_iso
from annotator.review.agreement import SpanKey
from annotator.review.categories import agreed_cats
from annotator.review.disagreements import Disagreement, DisagreementFinder
from annotator.review.source import ReviewSource
from annotator.store.interface import ProjectStore
from annotator.store.names import GOLD_ANNOTATOR, check_annotator_name


@dataclass(frozen=True, slots=True)
class Edit:
    """One reviewer action on one document's gold labels, undoable."""

    doc_id: str
    before: DocumentAnnotation
    after: DocumentAnnotation
    description: str


class Adjudicator:
    """A reviewer settling the chosen annotators' labels into the gold layer.

    Holds the gold layer's lock for as long as it is open: two reviewers cannot write
    gold at the same time.
    """

    def __init__(
        self,
        project: ProjectStore,
        reviewer: str,
        annotators: Sequence[str] | None = None,
        statuses: Iterable[str] | None = None,
        at_least: int = 2,
    ) -> None:
        if reviewer == GOLD_ANNOTATOR:
            raise AnnotatorError(f"{reviewer!r} is the gold layer's name; review under your own")
        self.project = project
        self.reviewer = check_annotator_name(reviewer)
        self.statuses = None if statuses is None else tuple(statuses)
        self.compare(annotators, at_least)
        self.store = project.annotations(GOLD_ANNOTATOR)
        self._gold: dict[str, DocumentAnnotation] = {}
        self._texts: dict[str, str] = {}

    def compare(self, annotators: Sequence[str] | None, at_least: int = 2) -> None:
        """Compare these annotators from now on (a team's analyst who started later)."""
        self.source = ReviewSource(self.project, annotators, self.statuses, at_least)
        self.annotators = self.source.annotators
        self.finder = DisagreementFinder(self.source)

    def close(self) -> None:
        self.project.release_annotations(GOLD_ANNOTATOR)

    # --- reading ---------------------------------------------------------------------

    def documents(self) -> list[str]:
        """Documents at least two of the chosen annotators labelled, in project order."""
        return self.source.documents(2)

    def text(self, doc_id: str) -> str:
        text = self._texts.get(doc_id)
        if text is None:
            text = self._texts[doc_id] = self.project.get_text(doc_id)
        return text

    def gold(self, doc_id: str) -> DocumentAnnotation:
        """The document's gold labels as saved (do not change the returned object)."""
        annotation = self._gold.get(doc_id)
        if annotation is None:
            annotation = self.store.get(doc_id)
            if annotation is None:
                annotation = self.store.get_or_new(doc_id)
            self._gold[doc_id] = annotation
        return annotation

    def settlement(self, item: Disagreement) -> dict[str, Any] | None:
        settled = self.gold(item.doc_id).provenance.get("settled") or {}
        record = settled.get(item.key)
        return record if isinstance(record, dict) else None

    def is_settled(self, item: Disagreement) -> bool:
        return self.settlement(item) is not None

    def disagreements(self, doc_id: str) -> list[Disagreement]:
        return self.finder.for_document(doc_id)

    def remaining(self, doc_id: str) -> list[Disagreement]:
        return [item for item in self.disagreements(doc_id) if not self.is_settled(item)]

    def agreed_accepted(self, doc_id: str) -> bool:
        return "agreed" in self.gold(doc_id).provenance

    # --- operations (each returns one undoable Edit) -----------------------------------

    def accept_agreed(self, doc_id: str) -> Edit:
        """Copy into gold every span and relation all the document's annotators agree on."""
        spans, relations = self.finder.agreed(doc_id)
        who = sorted(self.finder.annotations(doc_id))
        before = self.gold(doc_id)
        after = before.model_copy(deep=True)
        added_spans = 0
        for key in spans:
            if after.find_span(*key) is None:
                self._add_span(after, key, who)
                added_spans += 1
        added_relations = 0
        for label, head, tail in relations:
            head_span = after.find_span(*head) or self._add_span(after, head, who)
            tail_span = after.find_span(*tail) or self._add_span(after, tail, who)
            if after.find_relation(label, head_span.id, tail_span.id) is None:
                after.add_relation(
                    Relation(
                        id=after.next_relation_id(),
                        label=label,
                        head=head_span.id,
                        tail=tail_span.id,
                    )
                )
                added_relations += 1
        cats = agreed_cats(
            {name: layer.cats for name, layer in self.finder.annotations(doc_id).items()}
        )
        for name, chosen in cats.items():
            after.set_cats(name, chosen)
        after.provenance["agreed"] = {
            "by": self.reviewer,
            "at": now_iso(),
            "annotators": who,
            "spans": len(spans),
            "relations": len(relations),
        }
        if cats:
            after.provenance["agreed"]["cats"] = sorted(cats)
        return self._commit(
            doc_id,
            before,
            after,
            f"accept {added_spans} agreed spans and {added_relations} relations",
        )

    def accept_all_agreed(self, doc_ids: Iterable[str] | None = None) -> list[Edit]:
        """:meth:`accept_agreed` on every document not accepted yet (one edit per document)."""
        edits = []
        for doc_id in self.documents() if doc_ids is None else doc_ids:
            if not self.agreed_accepted(doc_id):
                edits.append(self.accept_agreed(doc_id))
        return edits

    def pick(self, item: Disagreement, version: int) -> Edit:
        """Settle a disagreement with one annotator's version."""
        chosen = item.versions[version]
        if item.is_category:
            assert chosen.category is not None
            return self._settle_category(
                item, list(chosen.category[1]), "pick", list(chosen.annotators)
            )
        if item.is_relation:
            assert chosen.relation is not None
            return self._settle_relation(item, chosen.relation, "pick", list(chosen.annotators))
        assert chosen.span is not None
        return self._settle_span(item, chosen.span, "pick", list(chosen.annotators))

    def edit(self, item: Disagreement, start: int, end: int, label: str) -> Edit:
        """Settle a span disagreement with the reviewer's own span."""
        if item.is_relation or item.is_category:
            what = "a category" if item.is_category else "a relation"
            raise AnnotatorError(f"{what} is settled by picking a version or rejecting it")
        text = self.text(item.doc_id)
        if not 0 <= start < end <= len(text):
            raise AnnotatorError(f"span [{start}, {end}) is outside the text ({len(text)})")
        if self.project.schema.label(label) is None:
            raise AnnotatorError(f"no label {label!r} in the project's schema")
        sources = [
            name
            for version in item.versions
            if version.span == (start, end, label)
            for name in version.annotators
        ]
        return self._settle_span(item, (start, end, label), "edit", sources)

    def reject(self, item: Disagreement) -> Edit:
        """Settle a disagreement by keeping none of its versions."""
        if item.is_category:
            return self._settle_category(item, [], "reject", [])
        if item.is_relation:
            return self._settle_relation(item, None, "reject", [])
        return self._settle_span(item, None, "reject", [])

    def undo(self, edit: Edit) -> None:
        self._save(edit.before)

    def redo(self, edit: Edit) -> None:
        self._save(edit.after)

    # --- internals ---------------------------------------------------------------------

    def _settle_span(
        self, item: Disagreement, key: SpanKey | None, decision: str, sources: list[str]
    ) -> Edit:
        before = self.gold(item.doc_id)
        after = before.model_copy(deep=True)
        self._clear_earlier(after, item)
        for version in item.versions:
            assert version.span is not None
            existing = after.find_span(*version.span)
            if existing is not None and version.span != key:
                after.remove_span(existing.id)
        added: list[str] = []
        if key is not None:
            span = after.find_span(*key) or self._add_span(after, key, sources)
            added.append(span.id)
        self._record(after, item, decision, sources, spans=added)
        what = "reject" if key is None else f"{decision} {key[2]} {key[0]}-{key[1]}"
        return self._commit(item.doc_id, before, after, what)

    def _settle_relation(
        self,
        item: Disagreement,
        relation: tuple[str, SpanKey, SpanKey] | None,
        decision: str,
        sources: list[str],
    ) -> Edit:
        before = self.gold(item.doc_id)
        after = before.model_copy(deep=True)
        self._clear_earlier(after, item)
        for version in item.versions:
            assert version.relation is not None
            label, head, tail = version.relation
            head_span, tail_span = after.find_span(*head), after.find_span(*tail)
            if head_span is not None and tail_span is not None:
                existing = after.find_relation(label, head_span.id, tail_span.id)
                if existing is not None:
                    after.remove_relation(existing.id)
        added_spans: list[str] = []
        added_relations: list[str] = []
        if relation is not None:
            label, head, tail = relation
            ends = []
            for key in (head, tail):
                span = after.find_span(*key)
                if span is None:
                    span = self._add_span(after, key, self._holders(item.doc_id, key))
                    added_spans.append(span.id)
                ends.append(span)
            new = Relation(
                id=after.next_relation_id(), label=label, head=ends[0].id, tail=ends[1].id
            )
            after.add_relation(new)
            added_relations.append(new.id)
        self._record(after, item, decision, sources, added_spans, added_relations)
        what = "reject relation" if relation is None else f"{decision} relation {relation[0]}"
        return self._commit(item.doc_id, before, after, what)

    def _settle_category(
        self, item: Disagreement, chosen: list[str], decision: str, sources: list[str]
    ) -> Edit:
        category = item.versions[0].category  # a category disagreement has one at least
        assert category is not None
        name = category[0]
        before = self.gold(item.doc_id)
        after = before.model_copy(deep=True)
        after.set_cats(name, chosen)
        self._record(after, item, decision, sources)
        what = f"{decision} {name}: {', '.join(chosen) or 'none'}"
        return self._commit(item.doc_id, before, after, what)

    def _holders(self, doc_id: str, key: SpanKey) -> list[str]:
        return sorted(
            name
            for name, annotation in self.finder.annotations(doc_id).items()
            if annotation.find_span(*key) is not None
        )

    def _clear_earlier(self, gold: DocumentAnnotation, item: Disagreement) -> None:
        """Undo, inside ``gold``, what an earlier settlement of the same disagreement added."""
        record = (gold.provenance.get("settled") or {}).get(item.key)
        if not isinstance(record, dict):
            return
        for relation_id in record.get("relations", []):
            if gold.relation(relation_id) is not None:
                gold.remove_relation(relation_id)
        for span_id in record.get("spans", []):
            if gold.span(span_id) is not None:
                gold.remove_span(span_id)

    def _add_span(self, gold: DocumentAnnotation, key: SpanKey, who: list[str]) -> Span:
        start, end, label = key
        span = Span.of(self.text(gold.doc_id), start, end, label, gold.next_span_id())
        if who:
            span.attrs["annotators"] = list(who)
        gold.add_span(span)
        return span

    def _record(
        self,
        gold: DocumentAnnotation,
        item: Disagreement,
        decision: str,
        sources: list[str],
        spans: list[str] | None = None,
        relations: list[str] | None = None,
    ) -> None:
        settled = dict(gold.provenance.get("settled") or {})
        settled[item.key] = {
            "decision": decision,
            "kind": item.kind,
            "from": sources,
            "by": self.reviewer,
            "at": now_iso(),
            "spans": spans or [],
            "relations": relations or [],
        }
        gold.provenance["settled"] = settled

    def _commit(
        self, doc_id: str, before: DocumentAnnotation, after: DocumentAnnotation, what: str
    ) -> Edit:
        after.provenance["reviewer"] = self.reviewer
        after.provenance["annotators"] = list(self.annotators)
        self._cache(after)
        try:
            finished = self.agreed_accepted(doc_id) and not self.remaining(doc_id)
            after.status = "done" if finished else "in_progress"
            after.touch()
            edit = Edit(doc_id, before, after.model_copy(deep=True), what)
            self._save(edit.after)
        except BaseException:
            self._cache(before)
            raise
        return edit

    def _cache(self, annotation: DocumentAnnotation) -> None:
        self._gold[annotation.doc_id] = annotation

    def _save(self, annotation: DocumentAnnotation) -> None:
        copy = annotation.model_copy(deep=True)
        self.store.save(copy, self.text(annotation.doc_id))
        self._cache(copy)
