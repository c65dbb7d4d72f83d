"""One annotator's labelling session on a project: the annotations being edited and saving.

Pure Python, no Qt. Undo commands find annotations here by document id, so an edit made
on one document can be undone after the window has moved on to another. Every edit is
saved through the store (an append to the annotator's journal) as soon as the window has
repainted: ``schedule`` runs the save on the next turn of the event loop, so the analyst
sees the new span at once even on a 10,000-span article whose save takes longer than a
frame, and a crash loses at most the edit in flight. A failed save keeps the document
in ``unsaved`` until a later save succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from annotator.core.errors import AnnotatorError

if TYPE_CHECKING:
    from annotator.core.models import DocumentAnnotation, Span
    from annotator.store import AnnotationStore, Project


class Change:
    """What an edit touched: spans by id (None = gone) and whether relations changed.

    A plain class, not a dataclass: the window imports this module before it shows, and
    the dataclasses module and the classes it generates cost a few ms there.
    """

    __slots__ = ("doc_id", "document", "relations", "spans")

    def __init__(
        self,
        doc_id: str,
        spans: dict[str, Span | None] | None = None,
        relations: bool = False,
        document: bool = False,  # status, note or categories
    ) -> None:
        self.doc_id = doc_id
        self.spans: dict[str, Span | None] = {} if spans is None else spans
        self.relations = relations
        self.document = document

    def __repr__(self) -> str:
        return (
            f"Change({self.doc_id!r}, spans={self.spans!r}, relations={self.relations}, "
            f"document={self.document})"
        )


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
        self.pending: set[str] = set()  # edited, save scheduled
        self.listeners: list[ChangeListener] = []
        self.focus: Callable[[str], None] = lambda doc_id: None
        # Runs a callable soon (the window passes a zero-delay timer); None = save at once.
        self.schedule: Callable[[Callable[[], object]], None] | None = None
        self.saved: Callable[[], None] = lambda: None
        self._annotations: dict[str, DocumentAnnotation] = {}
        self._mismatch: dict[str, list[str]] = {}
        self._next_numbers: dict[str, int] = {}

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
                if stored.cats:
                    problems += [
                        f"document {doc_id}: {problem} (not in the schema)"
                        for problem in self.project.schema.cats_problems(stored.cats)
                    ]
                if problems:
                    self._mismatch[doc_id] = problems
            if stored is None:
                # Loaded here, not at import: the window imports this module before it shows.
                from annotator.core.models import DocumentAnnotation

                # A project's document ids are non-empty strings: nothing for a validator to check.
                stored = DocumentAnnotation.model_construct(doc_id=doc_id)
            annotation = stored
            self._annotations[doc_id] = annotation
        return annotation

    def problems(self, doc_id: str) -> list[str]:
        """Why this document's stored labels cannot be shown on its text (empty if they can)."""
        self.annotation(doc_id)
        return self._mismatch.get(doc_id, [])

    def next_span_id(self, doc_id: str) -> str:
        """A span id never used in this document during the session.

        Counted once per document, then incremented: scanning 10,000 ids on every new
        span would cost more than the rest of the edit.
        """
        number = self._next_numbers.get(doc_id)
        if number is None:
            number = int(self.annotation(doc_id).next_span_id()[1:])
        self._next_numbers[doc_id] = number + 1
        return f"T{number}"

    def can_edit(self, doc_id: str) -> bool:
        return self.writable and not self.problems(doc_id)

    def status(self, doc_id: str) -> str:
        live = self._annotations.get(doc_id)
        if live is not None:
            return live.status
        summary = self.store.summary(doc_id)
        return summary.status if summary is not None else "todo"

    def statuses(self, doc_ids: list[str]) -> list[str]:
        """The status of each document, in one pass (the list of 100,000 at start-up)."""
        live = self._annotations
        summary = self.store.summary
        result: list[str] = []
        append = result.append
        for doc_id in doc_ids:
            annotation = live.get(doc_id)
            if annotation is not None:
                append(annotation.status)
            else:
                entry = summary(doc_id)
                append(entry.status if entry is not None else "todo")
        return result

    def span_count(self, doc_id: str) -> int:
        live = self._annotations.get(doc_id)
        if live is not None:
            return len(live.spans)
        summary = self.store.summary(doc_id)
        return summary.spans if summary is not None else 0

    # --- writing ---------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        """Whether some edit is not on disk yet (save pending or failed)."""
        return bool(self.pending or self.unsaved)

    def commit(self, change: Change) -> None:
        """Tell the listeners about an edit and save the document (now, or scheduled)."""
        first = not self.pending
        self.pending.add(change.doc_id)
        for listener in list(self.listeners):
            listener(change)
        if self.schedule is None:
            self.flush()
        elif first:
            self.schedule(self.flush)

    def flush(self) -> bool:
        """Save every document with a pending edit; True when all of them were saved."""
        ok = True
        while self.pending:
            ok = self.save(self.pending.pop()) and ok
        self.saved()
        return ok

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
        """Save pending edits and retry failed saves; True when nothing is left unsaved."""
        self.pending.update(self.unsaved)
        self.flush()
        return not self.unsaved

    def forget(self) -> None:
        """Drop cached annotations (after a bulk change such as a label rename)."""
        self._annotations = {
            doc_id: annotation
            for doc_id, annotation in self._annotations.items()
            if doc_id in self.unsaved or doc_id in self.pending
        }
        self._mismatch.clear()
