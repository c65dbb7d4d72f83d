"""Undo commands: each calls one DocumentAnnotation method in redo and one in undo.

Commands hold a document id, not a widget or a snapshot: the annotation is looked up in
the session when the command runs, so undoing an edit made on another document works
(the session first brings that document back into view, see ``Session.focus``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from annotator.editing.session import Change, Session

if TYPE_CHECKING:
    from annotator.core.models import DocumentAnnotation, Relation, Span, Status


class AnnotationCommand(QUndoCommand):
    def __init__(self, session: Session, doc_id: str, text: str) -> None:
        super().__init__(text)
        self.session = session
        self.doc_id = doc_id
        self._first = True

    def redo(self) -> None:
        # The first redo runs on push, on the document in view; later ones may not.
        if not self._first:
            self.session.focus(self.doc_id)
        self._first = False
        change = Change(self.doc_id)
        self.apply(self.session.annotation(self.doc_id), change)
        self.session.commit(change)

    def undo(self) -> None:
        self.session.focus(self.doc_id)
        change = Change(self.doc_id)
        self.revert(self.session.annotation(self.doc_id), change)
        self.session.commit(change)

    def apply(self, annotation: DocumentAnnotation, change: Change) -> None:
        raise NotImplementedError

    def revert(self, annotation: DocumentAnnotation, change: Change) -> None:
        raise NotImplementedError


class AddSpan(AnnotationCommand):
    def __init__(self, session: Session, doc_id: str, span: Span) -> None:
        super().__init__(session, doc_id, f"Label {span.label} “{_short(span.text)}”")
        self.span = span

    def apply(self, annotation: DocumentAnnotation, change: Change) -> None:
        annotation.add_span(self.span)
        change.spans[self.span.id] = self.span

    def revert(self, annotation: DocumentAnnotation, change: Change) -> None:
        annotation.remove_span(self.span.id)
        change.spans[self.span.id] = None


class RemoveSpan(AnnotationCommand):
    def __init__(self, session: Session, doc_id: str, span: Span) -> None:
        super().__init__(session, doc_id, f"Delete {span.label} “{_short(span.text)}”")
        self.span_id = span.id
        self._removed: tuple[Span, int, list[tuple[int, Relation]]] | None = None

    def apply(self, annotation: DocumentAnnotation, change: Change) -> None:
        self._removed = annotation.remove_span(self.span_id)
        change.spans[self.span_id] = None
        change.relations = bool(self._removed[2])

    def revert(self, annotation: DocumentAnnotation, change: Change) -> None:
        assert self._removed is not None
        span, index, relations = self._removed
        annotation.restore_span(span, index, relations)
        change.spans[span.id] = span
        change.relations = bool(relations)


class RelabelSpan(AnnotationCommand):
    def __init__(self, session: Session, doc_id: str, span: Span, label: str) -> None:
        super().__init__(session, doc_id, f"Relabel {span.label} as {label}")
        self.span_id = span.id
        self.label = label
        self.old = span.label

    def _set(self, annotation: DocumentAnnotation, change: Change, label: str) -> None:
        annotation.relabel_span(self.span_id, label)
        change.spans[self.span_id] = annotation.span(self.span_id)

    def apply(self, annotation: DocumentAnnotation, change: Change) -> None:
        self._set(annotation, change, self.label)

    def revert(self, annotation: DocumentAnnotation, change: Change) -> None:
        self._set(annotation, change, self.old)


class SetSpanNote(AnnotationCommand):
    def __init__(self, session: Session, doc_id: str, span: Span, note: str) -> None:
        super().__init__(session, doc_id, f"Note on {span.label} “{_short(span.text)}”")
        self.span_id = span.id
        self.note = note
        self.old = span.note

    def apply(self, annotation: DocumentAnnotation, change: Change) -> None:
        annotation.set_span_note(self.span_id, self.note)
        change.spans[self.span_id] = annotation.span(self.span_id)

    def revert(self, annotation: DocumentAnnotation, change: Change) -> None:
        annotation.set_span_note(self.span_id, self.old)
        change.spans[self.span_id] = annotation.span(self.span_id)


class AddRelation(AnnotationCommand):
    def __init__(self, session: Session, doc_id: str, relation: Relation) -> None:
        super().__init__(session, doc_id, f"Add {relation.label}")
        self.relation = relation

    def apply(self, annotation: DocumentAnnotation, change: Change) -> None:
        annotation.add_relation(self.relation)
        change.relations = True

    def revert(self, annotation: DocumentAnnotation, change: Change) -> None:
        annotation.remove_relation(self.relation.id)
        change.relations = True


class RemoveRelation(AnnotationCommand):
    def __init__(self, session: Session, doc_id: str, relation: Relation) -> None:
        super().__init__(session, doc_id, f"Remove {relation.label}")
        self.relation_id = relation.id
        self._removed: tuple[Relation, int] | None = None

    def apply(self, annotation: DocumentAnnotation, change: Change) -> None:
        self._removed = annotation.remove_relation(self.relation_id)
        change.relations = True

    def revert(self, annotation: DocumentAnnotation, change: Change) -> None:
        assert self._removed is not None
        relation, index = self._removed
        annotation.add_relation(relation, index)
        change.relations = True


class SetStatus(AnnotationCommand):
    def __init__(self, session: Session, doc_id: str, status: Status, old: Status) -> None:
        super().__init__(session, doc_id, f"Mark {status.replace('_', ' ')}")
        self.status = status
        self.old = old

    def apply(self, annotation: DocumentAnnotation, change: Change) -> None:
        annotation.set_status(self.status)
        change.document = True

    def revert(self, annotation: DocumentAnnotation, change: Change) -> None:
        annotation.set_status(self.old)
        change.document = True


class SetNote(AnnotationCommand):
    def __init__(self, session: Session, doc_id: str, note: str, old: str) -> None:
        super().__init__(session, doc_id, "Edit document note")
        self.note = note
        self.old = old

    def apply(self, annotation: DocumentAnnotation, change: Change) -> None:
        annotation.set_note(self.note)
        change.document = True

    def revert(self, annotation: DocumentAnnotation, change: Change) -> None:
        annotation.set_note(self.old)
        change.document = True


class SetCats(AnnotationCommand):
    """The document's choices in one category (none: the category is cleared)."""

    def __init__(
        self, session: Session, doc_id: str, category: str, chosen: list[str], old: list[str]
    ) -> None:
        shown = ", ".join(chosen) if chosen else "none"
        super().__init__(session, doc_id, f"Set {category}: {shown}")
        self.category = category
        self.chosen = list(chosen)
        self.old = list(old)

    def apply(self, annotation: DocumentAnnotation, change: Change) -> None:
        annotation.set_cats(self.category, self.chosen)
        change.document = True

    def revert(self, annotation: DocumentAnnotation, change: Change) -> None:
        annotation.set_cats(self.category, self.old)
        change.document = True


def _short(text: str, limit: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
