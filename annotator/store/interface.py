"""The storage interface: what every layer above ``store/`` may ask of a project.

A project is documents (id, text, meta), a label schema, and layers of labels: one per
annotator (their own labels) and one per annotator for suggestions awaiting a decision.
The folder store (:class:`annotator.store.project.Project`) is the embedded default;
:class:`annotator.store.memory.MemoryProject` keeps everything in memory and shows the
interface is enough to run review and assist without a folder. A database store (the
team server) implements the same two protocols.

Only the operations here are promised. Import and export have operations of their own
(:meth:`ProjectStore.import_batch`, :meth:`ProjectStore.export_rows`): the folder store
implements them with its fast paths (columnar appends to documents.jsonl, journal
lines handed to writers unparsed), the memory store with plain records; a database
store may do either (one transaction per import; a record's JSON as stored).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Protocol, Self, runtime_checkable

import orjson

from annotator.core.models import Document, DocumentAnnotation, LabelSchema, Status
from annotator.core.records import annotation_from_record

Progress = Callable[[int, int | None], None]
AddOutcome = Literal["added", "unchanged"]
# A document as export reads it: id, text, meta (no model per document).
DocumentFields = tuple[str, str, dict[str, Any]]


class LayerSummary(Protocol):
    """What a layer knows of one document's labels without reading them."""

    @property
    def status(self) -> Status: ...

    @property
    def spans(self) -> int: ...

    @property
    def relations(self) -> int: ...

    @property
    def updated(self) -> str: ...


class DocumentInfo(Protocol):
    """What the document list shows of one document without reading its text."""

    @property
    def id(self) -> str: ...

    @property
    def meta(self) -> dict[str, Any]: ...

    @property
    def chars(self) -> int: ...

    @property
    def title(self) -> str: ...


@runtime_checkable
class AnnotationLayer(Protocol):
    """One annotator's labels (or suggestions): the last save of each document wins.

    A writable layer is held by one program at a time: a second writer of the same
    annotator is refused (LockedError) and may open the layer read-only instead.
    """

    name: str
    writable: bool
    problems: list[str]

    @property
    def closed(self) -> bool: ...

    @property
    def location(self) -> str:
        """Where the layer lives, for messages (a file path, a database row set)."""
        ...

    def __contains__(self, doc_id: object) -> bool: ...

    def __len__(self) -> int: ...

    def doc_ids(self) -> list[str]: ...

    def summary(self, doc_id: str) -> LayerSummary | None: ...

    def get(self, doc_id: str) -> DocumentAnnotation | None: ...

    def get_or_new(self, doc_id: str) -> DocumentAnnotation: ...

    def get_record(
        self, doc_id: str, text: str | None = None, digest: str | None = None
    ) -> dict[str, Any] | None:
        """The labels as a checked JSON record (plain dicts and lists), for readers."""
        ...

    def iter_annotations(self) -> Iterator[DocumentAnnotation]: ...

    def where(self, doc_id: str) -> str:
        """Where a document's labels are, for messages (a journal's file and line)."""
        ...

    def save(self, annotation: DocumentAnnotation, text: str | None = None) -> None:
        """Keep this document's labels; they must fit the document's current text."""
        ...

    def save_many(self, annotations: list[DocumentAnnotation]) -> None: ...

    def refresh(self) -> None:
        """Let a read-only layer see what other programs saved since it was opened."""
        ...

    def close(self) -> None: ...


@dataclass(slots=True)
class PreparedLabels:
    """A document's labels checked for an import and encoded (``line``: the JSON record,
    as the folder store writes it, sealed), not yet written; with what a layer's summary
    shows of them."""

    doc_id: str
    line: bytes
    status: Status
    spans: int
    relations: int
    updated: str

    def annotation(self) -> DocumentAnnotation:
        return annotation_from_record(orjson.loads(self.line))


class ImportLayer(Protocol):
    """One annotator's labels as an import writes them (:meth:`ImportBatch.open_layer`).

    Labels are checked and encoded first (``prepare*``: nothing is written), then handed
    over together (:meth:`append_prepared`); they become labels of the project when the
    import's batch commits, and are gone if it does not.
    """

    @property
    def location(self) -> str: ...

    def __contains__(self, doc_id: object) -> bool:
        """Whether the project held labels of this document before the import."""
        ...

    def get(self, doc_id: str) -> DocumentAnnotation | None:
        """The labels the project held before the import."""
        ...

    def prepare(self, annotation: DocumentAnnotation, text: str) -> PreparedLabels:
        """Check labels against the document's text (perhaps one this import adds)."""
        ...

    def prepare_checked(
        self,
        doc_id: str,
        digest: str,
        status: Status,
        note: str,
        spans: list[dict[str, Any]],
        relations: list[dict[str, Any]],
    ) -> PreparedLabels:
        """A new document's labels from span and relation records a reader has already
        checked against the text whose hash is ``digest`` (every field, in field order)."""
        ...

    def prepare_encoded(
        self,
        doc_ids: list[str],
        digests: list[str],
        statuses: list[Status],
        notes: list[str],
        span_counts: list[int],
        relation_counts: list[int],
        spans_json: list[bytes],
        relations_json: list[bytes],
    ) -> Sequence[PreparedLabels]:
        """:meth:`prepare_checked` for many new documents, spans and relations given as
        encoded JSON arrays (a reader's columnar batch)."""
        ...

    def append_prepared(self, prepared: list[PreparedLabels]) -> None:
        """Write prepared labels as part of the import (the last one of a document wins)."""
        ...


class ImportBatch(Protocol):
    """One import's documents, labels and schema change: all of them or nothing.

    Used as a context manager (:meth:`ProjectStore.import_batch`): leaving it normally
    commits everything together, leaving it by an exception keeps nothing (the folder
    store also undoes a batch killed half-way, at the next open).
    """

    @property
    def counts(self) -> dict[AddOutcome, int]:
        """Documents added and found unchanged so far."""
        ...

    @property
    def shared_text(self) -> int:
        """Documents added whose text another document (stored or added) has too."""
        ...

    @property
    def last_id(self) -> str:
        """The id of the last document added or found unchanged."""
        ...

    @property
    def last_digest(self) -> str:
        """The hash of that document's text (text_hash)."""
        ...

    def add(self, document: Document) -> AddOutcome:
        """Add a document (the rules of :meth:`ProjectStore.add_documents`)."""
        ...

    def add_new(
        self, ids: list[str], texts: list[str], metas: list[dict[str, Any]]
    ) -> list[str] | None:
        """Add documents that are all new, in one step, and return their text hashes;
        None, with nothing added, unless every one would be "added" with a text stored
        nowhere yet (the caller then adds them one by one). ``ids`` are non-empty
        strings and ``metas`` JSON objects."""
        ...

    def find_text(self, text: str) -> str | None:
        """The id of a document with this text, stored or added in this batch, if any."""
        ...

    def open_layer(self, annotator: str) -> ImportLayer:
        """An annotator's labels, to write this import's labels to."""
        ...

    def set_schema(self, schema: LabelSchema) -> None:
        """The project's schema once the import commits."""
        ...


class SealedRecord(Protocol):
    """A layer's record of one document exactly as the store encoded it after checking
    it against the document's text: its JSON bytes (``raw``) with the fields before the
    spans parsed (``head``: doc_id, text_hash, status, note, updated, counts). Export
    hands it to writers unparsed (store/sealed.py's SealedLine)."""

    @property
    def head(self) -> dict[str, Any]: ...

    @property
    def raw(self) -> bytes: ...

    @property
    def spans_at(self) -> int:
        """Where ``,"spans":`` starts in ``raw``."""
        ...

    def record(self) -> dict[str, Any]:
        """The whole record, parsed, as :meth:`AnnotationLayer.get_record` returns it."""
        ...

    def parts(self) -> tuple[bytes, bytes, bytes] | None:
        """The encoded spans, relations and provenance, when they can be cut out."""
        ...

    def span_edges(self) -> list[Any] | None:
        """``start, end, label`` of every span in one flat list, when cheap to tell."""
        ...


class ExportRow(NamedTuple):
    """One document on its way to an export, with one layer's last record of its labels.

    At most one of ``sealed`` (the record as encoded, for this very text), ``record``
    (plain dicts, checked against the text) and ``problem`` (labels made on another
    text: not exported, this says why) is set; none of them: no labels.
    """

    fields: DocumentFields
    # text_hash of the text.
    digest: str
    sealed: SealedRecord | None = None
    record: dict[str, Any] | None = None
    problem: str | None = None


@runtime_checkable
class ProjectStore(Protocol):
    """An open project: documents, schema, settings and annotation layers."""

    problems: list[str]
    # Whether the store can be out of reach while the project is open (a database
    # server): the ui then keeps the analyst's edits locally until it can be reached
    # (store/offline.py), and the store raises StoreUnavailable when it cannot be.
    remote: bool

    @property
    def name(self) -> str: ...

    @property
    def location(self) -> str:
        """Where the project lives, for messages (a folder, a database URL without password)."""
        ...

    @property
    def schema(self) -> LabelSchema: ...

    def set_schema(self, schema: LabelSchema) -> None: ...

    @property
    def settings(self) -> dict[str, Any]: ...

    def save_settings(self, settings: dict[str, Any]) -> None: ...

    # documents
    def __len__(self) -> int: ...

    def __contains__(self, doc_id: object) -> bool: ...

    def document_ids(self) -> list[str]: ...

    def entries(self) -> Sequence[DocumentInfo]:
        """Every document's info, in the project's order."""
        ...

    def entry(self, doc_id: str) -> DocumentInfo:
        """One document's info (AnnotatorError if there is none)."""
        ...

    def entry_rows(self, start: int, stop: int) -> Sequence[DocumentInfo]:
        """The info of the documents at rows ``start`` to ``stop - 1`` of the project's
        order (fewer past its end): a window's list reads the rows it shows, not all."""
        ...

    def rows_of(self, doc_ids: Collection[str]) -> dict[str, int]:
        """Each document's row in the project's order (ids of no document left out)."""
        ...

    def find_rows(self, term: str) -> list[int]:
        """The rows, in order, of the documents whose title, id or text contains
        ``term``, compared casefolded (the list's search)."""
        ...

    def get_document(self, doc_id: str) -> Document: ...

    def get_text(self, doc_id: str) -> str: ...

    def iter_documents(self, progress: Progress | None = None) -> Iterator[Document]: ...

    def add_documents(
        self, documents: Iterator[Document] | list[Document], progress: Progress | None = None
    ) -> dict[AddOutcome, int]:
        """Add documents all-or-nothing. A document is its id: the same id and text is
        "unchanged", the same id with another text is refused, and a text already stored
        under another id is added as a document of its own."""
        ...

    def import_batch(self, progress: Progress | None = None) -> AbstractContextManager[ImportBatch]:
        """One import's documents, labels and schema, committed all-or-nothing."""
        ...

    def unfinished_import(self) -> str | None:
        """A line saying an import has not finished (killed, or still running), if one
        has not; a check then leaves its half-written labels alone."""
        ...

    def export_rows(
        self, annotator: str | None, progress: Progress | None = None, *, sealed: bool = True
    ) -> Iterator[ExportRow]:
        """Every document in the project's order with the last record of ``annotator``'s
        labels (none without an annotator). ``sealed=False`` asks for plain records
        only (an export filtering labels reads them all)."""
        ...

    # layers
    def annotators(self) -> list[str]:
        """Everyone who has saved labels."""
        ...

    def suggestion_annotators(self) -> list[str]:
        """Everyone who has suggestions saved for them."""
        ...

    def annotations(self, annotator: str, writable: bool = True) -> AnnotationLayer:
        """One annotator's labels; this program's own writer whenever it has one."""
        ...

    def suggestions(self, annotator: str, writable: bool = True) -> AnnotationLayer:
        """Suggested labels awaiting that annotator's decision."""
        ...

    def layer_reader(self, annotator: str) -> AnnotationLayer:
        """A fresh read-only view of an annotator's labels that the caller closes."""
        ...

    def release_annotations(self, annotator: str) -> None: ...

    # small per-user state (a reviewer's last look)
    def read_state(self, kind: str, name: str) -> bytes | None: ...

    def write_state(self, kind: str, name: str, data: bytes) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


class AnalystCounts(Protocol):
    """One analyst's share of the work: documents handed out to them, and done."""

    @property
    def handed_out(self) -> int: ...
    @property
    def done(self) -> int: ...


@runtime_checkable
class LiveChanges(Protocol):
    """A store that hears of other programs' saves (the team server; a folder does not)."""

    def listen(self) -> None:
        """Start hearing of saves; :meth:`poll_changes` returns them."""
        ...

    def poll_changes(self, timeout: float = 0.0) -> Sequence[tuple[str, str]]:
        """Other programs' saves since the last poll, as (annotator, doc id); doc id ""
        when they saved many: read that annotator's layer again. Annotator "" when no
        one's labels changed but documents were handed out (the team's counts did)."""
        ...


@runtime_checkable
class Routing(Protocol):
    """A store that hands documents out to analysts (the team server)."""

    def next_document(self, annotator: str) -> str | None:
        """Claim for ``annotator`` the next document that still needs analysts."""
        ...

    def progress_by_annotator(self) -> Mapping[str, AnalystCounts]: ...
