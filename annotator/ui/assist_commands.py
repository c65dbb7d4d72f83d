"""Undo commands for suggestions and "label all mentions".

Like the labelling commands, each holds document ids (never widgets or snapshots) and
calls the pure functions of :mod:`annotator.assist.suggestions` in redo and their inverse
in undo. Accepting touches two layers, the annotator's labels (through the window's
Session, so the view updates and the labels are autosaved) and the suggestions (through
the SuggestionBook).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from annotator.assist.suggestions import (
    Accepted,
    accept,
    add_suggestions,
    reject,
    undo_accept_all,
    undo_reject,
)
from annotator.core.models import Span
from annotator.editing.assist_book import SuggestionBook
from annotator.editing.session import Change, Session

if TYPE_CHECKING:
    # Only named in annotations: the matcher behind it is loaded when first used.
    from annotator.assist.mentions import Mention


class _AssistCommand(QUndoCommand):
    def __init__(self, session: Session, book: SuggestionBook, doc_id: str, text: str) -> None:
        super().__init__(text)
        self.session = session
        self.book = book
        self.doc_id = doc_id
        self._first = True

    def redo(self) -> None:
        # The first redo runs on push, on the document in view; later ones may not.
        if not self._first:
            self.session.focus(self.doc_id)
        self._first = False
        self.apply()

    def undo(self) -> None:
        self.session.focus(self.doc_id)
        self.revert()

    def apply(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError


class AcceptSuggestions(_AssistCommand):
    """Accept some (or all) suggestions of one document: they become labels."""

    def __init__(
        self, session: Session, book: SuggestionBook, doc_id: str, suggestion_ids: Sequence[str]
    ) -> None:
        suggested = book.get(doc_id)
        first = suggested.span(suggestion_ids[0]) if suggestion_ids else None
        if len(suggestion_ids) == 1 and first is not None:
            caption = f"Accept {first.label} “{_short(first.text)}”"
        else:
            caption = f"Accept {len(suggestion_ids)} suggestions"
        super().__init__(session, book, doc_id, caption)
        self.suggestion_ids = list(suggestion_ids)
        self._label_ids: list[str | None] = []
        self._accepted: list[Accepted] = []

    def apply(self) -> None:
        suggested = self.book.get(self.doc_id)
        labels = self.session.annotation(self.doc_id)
        self._accepted = []
        for position, suggestion_id in enumerate(self.suggestion_ids):
            # Redo after undo gives the label spans the ids they had the first time.
            known = self._label_ids[position] if self._label_ids else None
            self._accepted.append(accept(suggested, labels, suggestion_id, self._id_maker(known)))
        self._label_ids = [
            item.label_span.id if item.label_span else None for item in self._accepted
        ]
        change = Change(self.doc_id)
        for item in self._accepted:
            if item.label_span is not None:
                change.spans[item.label_span.id] = item.label_span
        self.book.commit(self.doc_id)
        self.session.commit(change)

    def _id_maker(self, known: str | None) -> Callable[[], str]:
        if known is not None:
            return lambda: known
        return lambda: self.session.next_span_id(self.doc_id)

    def revert(self) -> None:
        suggested = self.book.get(self.doc_id)
        labels = self.session.annotation(self.doc_id)
        undo_accept_all(suggested, labels, self._accepted)
        change = Change(self.doc_id)
        for item in self._accepted:
            if item.label_span is not None:
                change.spans[item.label_span.id] = None
        self.book.commit(self.doc_id)
        self.session.commit(change)


class RejectSuggestion(_AssistCommand):
    def __init__(self, session: Session, book: SuggestionBook, doc_id: str, span: Span) -> None:
        super().__init__(session, book, doc_id, f"Reject {span.label} “{_short(span.text)}”")
        self.suggestion_id = span.id
        self._removed: tuple[Span, int] | None = None

    def apply(self) -> None:
        self._removed = reject(self.book.get(self.doc_id), self.suggestion_id)
        self.book.commit(self.doc_id)

    def revert(self) -> None:
        assert self._removed is not None
        undo_reject(self.book.get(self.doc_id), *self._removed)
        self.book.commit(self.doc_id)


class LabelMentions(_AssistCommand):
    """Label every planned mention directly, across one or many documents."""

    def __init__(
        self, session: Session, book: SuggestionBook, doc_id: str, mentions: Sequence[Mention]
    ) -> None:
        super().__init__(session, book, doc_id, _mentions_title("Label", mentions))
        self.spans: dict[str, list[Span]] = {}
        for mention in mentions:
            span = Span(
                id=session.next_span_id(mention.doc_id),
                start=mention.start,
                end=mention.end,
                label=mention.label,
                text=mention.text,
            )
            self.spans.setdefault(mention.doc_id, []).append(span)

    def apply(self) -> None:
        for doc_id, spans in self.spans.items():
            annotation = self.session.annotation(doc_id)
            for span in spans:
                annotation.add_span(span)
            self.session.commit(Change(doc_id, spans={span.id: span for span in spans}))

    def revert(self) -> None:
        for doc_id, spans in self.spans.items():
            annotation = self.session.annotation(doc_id)
            for span in spans:
                annotation.remove_span(span.id)
            self.session.commit(Change(doc_id, spans={span.id: None for span in spans}))


class SuggestMentions(_AssistCommand):
    """Add planned mentions as suggestions, across one or many documents."""

    def __init__(
        self, session: Session, book: SuggestionBook, doc_id: str, mentions: Sequence[Mention]
    ) -> None:
        super().__init__(session, book, doc_id, _mentions_title("Suggest", mentions))
        self.mentions: dict[str, list[Mention]] = {}
        for mention in mentions:
            self.mentions.setdefault(mention.doc_id, []).append(mention)
        self._added: dict[str, list[Span]] = {}

    def apply(self) -> None:
        replay = bool(self._added)
        for doc_id, mentions in self.mentions.items():
            suggested = self.book.get(doc_id)
            if replay:
                added = self._added.get(doc_id, [])
                for span in added:
                    suggested.add_span(span)
            else:
                text = self.session.project.get_text(doc_id)
                ranges = [(m.start, m.end, m.label) for m in mentions]
                added = add_suggestions(
                    suggested, self.session.annotation(doc_id), text, ranges, "mentions"
                )
                self._added[doc_id] = added
            if added:
                self.book.commit(doc_id)

    def revert(self) -> None:
        for doc_id, added in self._added.items():
            suggested = self.book.get(doc_id)
            for span in added:
                suggested.remove_span(span.id)
            if added:
                self.book.commit(doc_id)

    @property
    def added(self) -> int:
        return sum(len(spans) for spans in self._added.values())


def _mentions_title(verb: str, mentions: Sequence[Mention]) -> str:
    """The undo history's name for a mentions command, e.g. 'Label 3 mentions of GPE “Beijing”'."""
    label = mentions[0].label if mentions else ""
    text = _short(mentions[0].text) if mentions else ""
    return f"{verb} {len(mentions)} mentions of {label} “{text}”"


def _short(text: str, limit: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
