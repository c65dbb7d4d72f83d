"""The annotator's suggestions layer as the window edits it (no Qt here).

Suggestions are read from PROJECT/suggestions/NAME.jsonl when a document is first shown,
kept live for the session (undo commands find them here by document id, as they find
labels in :class:`~annotator.editing.session.Session`), and saved after every change: an
append to that layer's journal, so the cost is per document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from annotator.core.errors import AnnotatorError, LockedError
from annotator.core.models import DocumentAnnotation, Span, text_hash

if TYPE_CHECKING:
    from annotator.store.interface import AnnotationLayer, ProjectStore


class SuggestionBook:
    def __init__(self, project: ProjectStore, annotator: str) -> None:
        self.project = project
        self.annotator = annotator
        self.read_only_reason = ""
        try:
            self.store: AnnotationLayer = project.suggestions(annotator)
        except LockedError as exc:
            self.read_only_reason = str(exc)
            self.store = project.suggestions(annotator, writable=False)
        self.listeners: list[Callable[[str], None]] = []
        self.last_error = ""
        self._live: dict[str, DocumentAnnotation] = {}
        self._unfit: set[str] = set()

    @property
    def writable(self) -> bool:
        return not self.read_only_reason

    def get(self, doc_id: str) -> DocumentAnnotation:
        """The live suggestions of a document (empty if there are none, or they do not fit)."""
        live = self._live.get(doc_id)
        if live is None:
            text = self.project.get_text(doc_id)
            stored = self.store.get(doc_id)
            if stored is not None and stored.problems_with(text):
                # Made on another version of the text: never shown, never overwritten.
                self._unfit.add(doc_id)
                stored = None
            # Nothing for a validator to check (a project's ids are non-empty strings), and
            # none is built at start-up.
            live = stored or DocumentAnnotation.model_construct(
                doc_id=doc_id, text_hash=text_hash(text)
            )
            self._live[doc_id] = live
        return live

    def pending(self, doc_id: str) -> list[Span]:
        return sorted(self.get(doc_id).spans, key=lambda span: (span.start, span.end))

    def peek(self, doc_id: str) -> list[Span]:
        """A document's suggestions without reading its text (to order documents by them)."""
        live = self._live.get(doc_id)
        stored = live if live is not None else self.store.get(doc_id)
        return list(stored.spans) if stored is not None else []

    def count(self, doc_id: str) -> int:
        live = self._live.get(doc_id)
        if live is not None:
            return len(live.spans)
        summary = self.store.summary(doc_id)
        return summary.spans if summary is not None else 0

    def can_edit(self, doc_id: str) -> bool:
        self.get(doc_id)
        return self.writable and doc_id not in self._unfit

    def forget(self) -> None:
        """Drop the live copies (after a bulk run wrote to the store directly)."""
        self._live.clear()
        self._unfit.clear()

    def commit(self, doc_id: str) -> bool:
        """Save a document's suggestions after an edit and tell the listeners."""
        ok = True
        if self.can_edit(doc_id):
            try:
                self.store.save(self._live[doc_id], self.project.get_text(doc_id))
                self.last_error = ""
            except (AnnotatorError, OSError) as exc:
                self.last_error = str(exc)
                ok = False
        for listener in list(self.listeners):
            listener(doc_id)
        return ok
