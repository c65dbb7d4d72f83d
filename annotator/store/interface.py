"""The storage interface: what every layer above ``store/`` may ask of a project.

A project is documents (id, text, meta), a label schema, and layers of labels: one per
annotator (their own labels) and one per annotator for suggestions awaiting a decision.
The folder store (:class:`annotator.store.project.Project`) is the embedded default;
:class:`annotator.store.memory.MemoryProject` keeps everything in memory and shows the
interface is enough to run review and assist without a folder. A database store (the
team server) implements the same two protocols.

Only the operations here are promised. The folder store has faster paths of its own
(sealed journal lines, columnar batches) that its import and export use; they are
optimisations of the same operations, never the only way to reach the data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from annotator.core.models import Document, DocumentAnnotation, LabelSchema, Status

Progress = Callable[[int, int | None], None]
AddOutcome = Literal["added", "unchanged"]


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

    def save(self, annotation: DocumentAnnotation, text: str | None = None) -> None:
        """Keep this document's labels; they must fit the document's current text."""
        ...

    def save_many(self, annotations: list[DocumentAnnotation]) -> None: ...

    def refresh(self) -> None:
        """Let a read-only layer see what other programs saved since it was opened."""
        ...

    def close(self) -> None: ...


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

    # layers
    def annotators(self) -> list[str]:
        """Everyone who has saved labels."""
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
