"""One annotator's labelling session on a project: the annotations being edited and saving.

Pure Python, no Qt. Undo commands find annotations here by document id, so an edit made
on one document can be undone after the window has moved on to another. Every edit is
saved at once through the store (an append to the annotator's journal), so a crash loses
at most the edit in flight; a failed save keeps the document in ``unsaved`` until a
later save succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from annotator.core.errors import AnnotatorError
from annotator.core.models import DocumentAnnotation, Span
from annotator.store import AnnotationStore, Project


@dataclass
class Change:
    """What an edit touched: spans by id (None = gone) and whether relations changed."""

    doc_id: str
    spans: dict[str, Span | None] = field(default_factory=dict)
    relations: bool = False
    document: bool = False  # status or note


ChangeListener = Callable[[Change], None]


class Session:
    def __init__(
        self,
        project: Project,
        annotator: str,
        store: AnnotationStore,
        read_only_reason: str = "",
    ) -> None:
        self.project = project
        self.annotator = annotator
        self.store = store
        self.read_only_reason = read_only_reason
        self.unsaved: dict[str, str] = {}  # doc id -> why its last save failed
        self.listeners: list[ChangeListener] = []
        self.focus: Callable[[str], None] = lambda doc_id: None
        self._annotations: dict[str, DocumentAnnotation] = {}
        self._mismatch: dict[str, list[str]] = {}

    @property
    def writable(self) -> bool:
        return not self.read_only_reason

    # --- reading -------------------------------------------------------------------------

    def annotation(self, doc_id: str) -> DocumentAnnotation:
        """The live annotation of a document (the same object for the whole session)."""
        annotation = self._annotations.get(doc_id)
        if annotation is None:
            text = self.project.get_text(doc_id)
            stored = self.store.get(doc_id)
            if stored is not None:
                problems = stored.problems_with(text)
                if problems:
                    self._mismatch[doc_id] = problems
            annotation = stored or DocumentAnnotation(doc_id=doc_id)
            self._annotations[doc_id] = annotation
        return annotation

    def problems(self, doc_id: str) -> list[str]:
        """Why this document's stored labels cannot be shown on its text (empty if they can)."""
        self.annotation(doc_id)
        return self._mismatch.get(doc_id, [])

    def can_edit(self, doc_id: str) -> bool:
        return self.writable and not self.problems(doc_id)

    def status(self, doc_id: str) -> str:
        live = self._annotations.get(doc_id)
        if live is not None:
            return live.status
        summary = self.store.summary(doc_id)
        return summary.status if summary is not None else "todo"

    def span_count(self, doc_id: str) -> int:
        live = self._annotations.get(doc_id)
        if live is not None:
            return len(live.spans)
        summary = self.store.summary(doc_id)
        return summary.spans if summary is not None else 0

    # --- writing ---------------------------------------------------------------------------

    def commit(self, change: Change) -> None:
        """Save the changed document and tell the listeners; a failed save is remembered."""
        self.save(change.doc_id)
        for listener in list(self.listeners):
            listener(change)

    def save(self, doc_id: str) -> bool:
        if not self.writable:
            return False
        annotation = self._annotations.get(doc_id)
        if annotation is None:
            return True
        try:
            self.store.save(annotation, self.project.get_text(doc_id))
        except (AnnotatorError, OSError) as exc:
            self.unsaved[doc_id] = str(exc)
            return False
        self.unsaved.pop(doc_id, None)
        return True

    def save_all(self) -> bool:
        """Retry every failed save; True when nothing is left unsaved."""
        for doc_id in list(self.unsaved):
            self.save(doc_id)
        return not self.unsaved

    def forget(self) -> None:
        """Drop cached annotations (after a bulk change such as a label rename)."""
        self._annotations = {
            doc_id: annotation
            for doc_id, annotation in self._annotations.items()
            if doc_id in self.unsaved
        }
        self._mismatch.clear()
