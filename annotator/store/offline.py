"""Edits kept on this computer while the store cannot be reached, and sent when it can.

A team server can drop out (the network goes, the server restarts). The analyst's layer
of such a store (``ProjectStore.remote``) is wrapped in :class:`OfflineBufferedLayer`: a
save goes to the store; when the store cannot be reached (:class:`StoreUnavailable`, or
an OSError from its connection) the document's labels are appended to a local journal
instead (offline_journal.py: append-only, fsync'd, torn-line safe), and every later save
goes there too, in order and without waiting for a timeout at each edit, until
:meth:`OfflineBufferedLayer.send_waiting` has sent them all. Reads see the waiting
version of a document, so the analyst sees their own edits.

Sending replays the waiting records oldest first, the last record of each document only
(a save replaces the whole document's labels, so the last one wins anyway). A record is
marked sent only after the store's save returned: a crash between the two sends it
again at the next chance, which is harmless because a save is an upsert of the same
labels. A record the store refuses (an answer, not StoreUnavailable: the document's
text changed there, say) is kept in NAME.jsonl.rejected and reported by document id.
An edit the store refuses at once is not kept: the caller sees the error, as before.

The journal is ``<user data folder>/offline/<project>-<hash>/<annotator>.jsonl``, one
per project location and annotator, so that edits waiting when the program was closed
or killed are found, and sent, the next time that project is opened.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from annotator.core.errors import (
    AnnotationError,
    AnnotatorError,
    InputError,
    StoreUnavailable,
)
from annotator.core.models import DocumentAnnotation, text_hash
from annotator.core.records import LineEncoder, annotation_from_record, seal
from annotator.store.interface import AnnotationLayer, LayerSummary, ProjectStore
from annotator.store.journal_lines import encode_validated, short_validation_error
from annotator.store.offline_journal import OfflineJournal, WaitingSummary

# What says the store did not answer: its own signal, or the connection's OSError
# (ConnectionError, TimeoutError, a socket's error) when a driver lets one through.
UNREACHABLE = (StoreUnavailable, OSError)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A waiting edit the store refused when it was sent: kept in ``kept_in``."""

    doc_id: str
    reason: str
    kept_in: Path

    @property
    def message(self) -> str:
        return (
            f"document {self.doc_id}: the edit made offline was refused when it was sent "
            f"({self.reason}); it is kept in {self.kept_in}"
        )


def offline_folder(location: str, root: Path | None = None) -> Path:
    """Where edits for the project at ``location`` wait: a folder of the user's data
    folder (or of ``root``) named after the location, with a hash to keep it unique."""
    if root is None:
        import platformdirs

        root = Path(platformdirs.user_data_dir("annotator")) / "offline"
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", location).strip("._-")[-60:] or "project"
    digest = hashlib.sha256(location.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return root / f"{slug}-{digest}"


def offline_buffered(
    project: ProjectStore, layer: AnnotationLayer, root: Path | None = None
) -> AnnotationLayer:
    """``layer`` wrapped in an :class:`OfflineBufferedLayer` when its store can be
    unreachable (``project.remote``) and the layer is writable; else ``layer`` itself."""
    if not project.remote or not layer.writable:
        return layer
    path = offline_folder(project.location, root) / f"{layer.name}.jsonl"
    return OfflineBufferedLayer(layer, path)


class OfflineBufferedLayer:
    """An annotation layer that keeps edits locally while its store cannot be reached."""

    def __init__(self, inner: AnnotationLayer, journal_path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.writable = inner.writable
        self.journal = OfflineJournal(journal_path)
        self.problems: list[str] = [*inner.problems, *self.journal.problems]
        self.rejected: list[Rejection] = []
        # Why the store was last found unreachable (for the status bar's tooltip).
        self.unreachable_reason = ""
        self._encoder = LineEncoder()
        self._digest: tuple[str, str, str] | None = None

    # --- what waits ----------------------------------------------------------------------

    def waiting(self) -> int:
        """How many documents have an edit waiting to be sent."""
        return len(self.journal.waiting)

    def is_waiting(self, doc_id: str) -> bool:
        return doc_id in self.journal.waiting

    def send_waiting(self) -> int:
        """Send the waiting edits, oldest first; how many the store saved.

        Stops at the first that finds the store unreachable (they keep waiting). One the
        store refuses is moved to the rejected file and added to ``rejected``.
        """
        sent = 0
        for doc_id in list(self.journal.waiting):
            try:
                annotation = self._waiting_annotation(doc_id)
            except InputError as exc:
                # Checked when it was kept, so only a damaged journal gets here.
                self._reject(doc_id, f"unreadable ({exc.reason})")
                continue
            try:
                # No text: the store checks the labels against its own copy of the text.
                self.inner.save(annotation)
            except UNREACHABLE as exc:
                self.unreachable_reason = str(exc)
                break
            except AnnotatorError as exc:
                self._reject(doc_id, str(exc))
                continue
            self.journal.mark("sent", doc_id)
            sent += 1
        return sent

    def _reject(self, doc_id: str, reason: str) -> None:
        self.journal.reject(doc_id, reason)
        rejection = Rejection(doc_id, reason, self.journal.rejected_path)
        self.rejected.append(rejection)
        self.problems.append(rejection.message)

    # --- writing -------------------------------------------------------------------------

    def save(self, annotation: DocumentAnnotation, text: str | None = None) -> None:
        """Save to the store; if it cannot be reached, or edits already wait, keep the
        edit locally. Labels that do not fit ``text`` are refused either way."""
        if not self.journal.waiting:
            try:
                self.inner.save(annotation, text)
                return
            except UNREACHABLE as exc:
                self.unreachable_reason = str(exc)
        self._keep(annotation, text)

    def save_many(self, annotations: list[DocumentAnnotation]) -> None:
        if not self.journal.waiting:
            try:
                self.inner.save_many(annotations)
                return
            except UNREACHABLE as exc:
                # Some may have been saved: sending them again is harmless.
                self.unreachable_reason = str(exc)
        for annotation in annotations:
            self._keep(annotation, None)

    def _keep(self, annotation: DocumentAnnotation, text: str | None) -> None:
        if not self.writable:
            raise AnnotatorError(f"{self.location}: opened read-only")
        line = self._line_for(annotation, text)
        summary = WaitingSummary(
            annotation.status, len(annotation.spans), len(annotation.relations), annotation.updated
        )
        self.journal.keep(annotation.doc_id, line, summary)

    def _line_for(self, annotation: DocumentAnnotation, text: str | None) -> bytes:
        """The folder journal's line for these labels, checked against ``text`` when
        given (without it, the store checks them when they are sent)."""
        if text is None:
            return encode_validated(annotation)
        cached = self._digest
        if cached is not None and cached[0] == annotation.doc_id and cached[1] is text:
            digest = cached[2]
        else:
            digest = text_hash(text)
            self._digest = (annotation.doc_id, text, digest)
        if not annotation.text_hash:
            annotation.text_hash = digest
        # As the folder journal does: sealed when checked against this very text.
        line = self._encoder.encode(annotation, text) if annotation.text_hash == digest else None
        if line is None:
            annotation.check_against(text)
            line = encode_validated(annotation)
        return seal(line) if annotation.text_hash == digest else line

    # --- reading: the waiting version where there is one --------------------------------

    @property
    def closed(self) -> bool:
        return self.inner.closed

    @property
    def location(self) -> str:
        return self.inner.location

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.journal.waiting or doc_id in self.inner

    def __len__(self) -> int:
        return len(self.doc_ids())

    def doc_ids(self) -> list[str]:
        stored = self.inner.doc_ids()
        known = set(stored)
        return stored + [doc_id for doc_id in self.journal.waiting if doc_id not in known]

    def summary(self, doc_id: str) -> LayerSummary | None:
        waiting = self.journal.waiting.get(doc_id)
        return waiting.summary if waiting is not None else self.inner.summary(doc_id)

    def get(self, doc_id: str) -> DocumentAnnotation | None:
        if doc_id not in self.journal.waiting:
            return self.inner.get(doc_id)
        return self._waiting_annotation(doc_id)

    def _waiting_annotation(self, doc_id: str) -> DocumentAnnotation:
        waiting = self.journal.waiting[doc_id]
        try:
            return annotation_from_record(orjson.loads(waiting.raw))
        except ValidationError as exc:
            raise InputError(self.journal.path, short_validation_error(exc), waiting.line) from None

    def get_or_new(self, doc_id: str) -> DocumentAnnotation:
        waiting = self.get(doc_id) if doc_id in self.journal.waiting else None
        return waiting if waiting is not None else self.inner.get_or_new(doc_id)

    def get_record(
        self, doc_id: str, text: str | None = None, digest: str | None = None
    ) -> dict[str, Any] | None:
        annotation = self.get(doc_id) if doc_id in self.journal.waiting else None
        if annotation is None:
            return self.inner.get_record(doc_id, text, digest)
        if text is not None:
            problems = [p for p in annotation.problems_with(text) if "different text" not in p]
            if problems:
                raise AnnotationError(problems[0])
        return annotation.model_dump(mode="json")

    def iter_annotations(self) -> Iterator[DocumentAnnotation]:
        waiting = self.journal.waiting
        for annotation in self.inner.iter_annotations():
            if annotation.doc_id not in waiting:
                yield annotation
        for doc_id in list(waiting):
            yield self._waiting_annotation(doc_id)

    def where(self, doc_id: str) -> str:
        return self.inner.where(doc_id)

    def refresh(self) -> None:
        self.inner.refresh()

    def close(self) -> None:
        """Close the local journal (what waits stays there for the next open) and the layer."""
        self.journal.close()
        self.inner.close()
