"""One annotator's labelling session on a project: the annotations being edited and saving.

Pure Python, no Qt. Undo commands find annotations here by document id, so an edit made
on one document can be undone after the window has moved on to another. Every edit is
saved through the store (an append to the annotator's journal) as soon as the window has
repainted: ``schedule`` runs the save on the next turn of the event loop, so the analyst
sees the new span at once even on a 10,000-span article whose save takes longer than a
frame, and a crash loses at most the edit in flight. A failed save keeps the document
in ``unsaved`` until a later save succeeds. On a store that can be out of reach, the
layer keeps an edit locally when it cannot be sent (store/offline.py): that save is
"offline", not failed, and ``send_waiting`` sends what waits once the store is back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from annotator.core.errors import AnnotatorError

if TYPE_CHECKING:
    from annotator.core.models import DocumentAnnotation, Span
    from annotator.store.interface import AnnotationLayer, ProjectStore
    from annotator.store.offline import OfflineBufferedLayer

# How a document's last save went: in the store, kept on this computer until the
# store can be reached, or not at all (the reason is in ``Session.unsaved``).
SaveOutcome = Literal["saved", "offline", "failed"]


@dataclass(slots=True)
class Change:
    """What an edit touched: spans by id (None = gone) and whether relations changed."""

    doc_id: str
    spans: dict[str, Span | None] = field(default_factory=dict)
    relations: bool = False
    document: bool = False  # status, note or categories


ChangeListener = Callable[[Change], None]


class Session:
    def __init__(
        self,
        project: ProjectStore,
        annotator: str,
        store: AnnotationLayer,
        read_only_reason: str = "",
    ) -> None:
        self.project = project
        self.annotator = annotator
        self.store = store
        self.offline: OfflineBufferedLayer | None = None
        if hasattr(store, "send_waiting"):
            # Loaded here, not at import: only a store that can be out of reach has one.
            from annotator.store.offline import OfflineBufferedLayer

            if isinstance(store, OfflineBufferedLayer):
                self.offline = store
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

        Counted from the number of spans, past any id in use, then incremented: finding
        the highest numbered id took a pass over every span's id (10-20 ms at 10,000
        spans on the first label), while the set of ids looked up here is the one
        add_span builds anyway.
        """
        annotation = self.annotation(doc_id)
        number = self._next_numbers.get(doc_id)
        if number is None:
            number = len(annotation.spans) + 1
        while annotation.has_span_id(f"T{number}"):
            number += 1
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

    @property
    def waiting(self) -> int:
        """How many documents have edits kept on this computer, waiting for the store."""
        return self.offline.waiting() if self.offline is not None else 0

    def outcome(self, doc_id: str) -> SaveOutcome:
        if doc_id in self.unsaved:
            return "failed"
        if self.offline is not None and self.offline.is_waiting(doc_id):
            return "offline"
        return "saved"

    def send_waiting(self) -> int:
        """Send the edits kept offline; how many the store saved. An edit the store
        refuses is kept aside by the layer (``offline.rejected``); if its document is
        being edited here, it becomes a failed save, with the store's reason."""
        if self.offline is None:
            return 0
        before = len(self.offline.rejected)
        sent = self.offline.send_waiting()
        for rejection in self.offline.rejected[before:]:
            if rejection.doc_id in self._annotations:
                self.unsaved[rejection.doc_id] = rejection.message
        return sent

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
