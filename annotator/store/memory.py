"""A project held in memory: the storage interface with nothing on disk.

It keeps the folder store's rules (documents added all-or-nothing, labels checked
against their text at every save, this program's writer handed out for every
request of that layer, other readers seeing saves only after a refresh) so that the layers above the store can be tested against the
interface alone, and so that a second implementation keeps the interface honest.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from annotator.core.errors import AnnotationError, AnnotatorError
from annotator.core.models import Document, DocumentAnnotation, LabelSchema, Status, text_hash
from annotator.core.schema import default_schema
from annotator.store.interface import AddOutcome, ExportRow, Progress
from annotator.store.listing import matching_rows, rows_in, slice_rows
from annotator.store.memory_import import MemoryImportBatch
from annotator.store.names import check_annotator_name
from annotator.store.rows import checked_row


@dataclass(frozen=True, slots=True)
class MemorySummary:
    status: Status
    spans: int
    relations: int
    updated: str


@dataclass(slots=True)
class MemoryEntry:
    id: str
    meta: dict[str, Any]
    chars: int

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or self.id)


@dataclass(slots=True)
class _Saved:
    """The committed labels of one layer: what a fresh reader sees."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)


class MemoryLayer:
    """One annotator's labels or suggestions, held as checked JSON records."""

    def __init__(self, project: MemoryProject, name: str, folder: str, writable: bool) -> None:
        self.project = project
        self.name = name
        self.folder = folder
        self.writable = writable
        self.problems: list[str] = []
        self._closed = False
        self._records: dict[str, dict[str, Any]] = {}
        self.refresh(force=True)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def location(self) -> str:
        return f"{self.project.location}/{self.folder}/{self.name}"

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._records

    def __len__(self) -> int:
        return len(self._records)

    def doc_ids(self) -> list[str]:
        return list(self._records)

    def summary(self, doc_id: str) -> MemorySummary | None:
        record = self._records.get(doc_id)
        if record is None:
            return None
        return MemorySummary(
            record["status"], len(record["spans"]), len(record["relations"]), record["updated"]
        )

    def get(self, doc_id: str) -> DocumentAnnotation | None:
        record = self._records.get(doc_id)
        return None if record is None else DocumentAnnotation.model_validate(record)

    def get_or_new(self, doc_id: str) -> DocumentAnnotation:
        existing = self.get(doc_id)
        if existing is not None:
            return existing
        return DocumentAnnotation(doc_id=doc_id, text_hash=text_hash(self.project.get_text(doc_id)))

    def get_record(
        self, doc_id: str, text: str | None = None, digest: str | None = None
    ) -> dict[str, Any] | None:
        del digest  # every record was checked at its save
        annotation = self.get(doc_id)
        if annotation is None:
            return None
        if text is not None:
            problems = [p for p in annotation.problems_with(text) if "different text" not in p]
            if problems:
                raise AnnotationError(problems[0])
        return annotation.model_dump(mode="json")

    def iter_annotations(self) -> Iterator[DocumentAnnotation]:
        for doc_id in list(self._records):
            annotation = self.get(doc_id)
            if annotation is not None:
                yield annotation

    def where(self, doc_id: str) -> str:
        return f"{self.location}/{doc_id}"

    def save(self, annotation: DocumentAnnotation, text: str | None = None) -> None:
        self._check_writable()
        if text is None:
            text = self.project.get_text(annotation.doc_id)
        if not annotation.text_hash:
            annotation.text_hash = text_hash(text)
        annotation.check_against(text)
        record = annotation.model_dump(mode="json")
        self._records[annotation.doc_id] = record
        self.project._commit(self.folder, self.name, annotation.doc_id, record)

    def save_many(self, annotations: list[DocumentAnnotation]) -> None:
        self._check_writable()
        for annotation in annotations:
            self.save(annotation)

    def refresh(self, force: bool = False) -> None:
        if self.writable and not force:
            return
        committed = self.project._committed(self.folder, self.name)
        self._records = dict(committed.records)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.writable:
            self.project._writers.discard((self.folder, self.name))

    def _check_writable(self) -> None:
        if not self.writable or self._closed:
            raise AnnotatorError(f"{self.location}: opened read-only")


class MemoryProject:
    """A whole project in memory (documents, schema, settings, layers, state)."""

    remote = False

    def __init__(
        self, name: str = "memory", schema: LabelSchema | None = None, location: str = ""
    ) -> None:
        self._name = name
        self._location = location or f"memory:{name}"
        self._schema = schema or default_schema()
        self._settings: dict[str, Any] = {}
        self.problems: list[str] = []
        self._documents: dict[str, Document] = {}
        self._hashes: dict[str, str] = {}
        self._saved: dict[tuple[str, str], _Saved] = {}
        self._writers: set[tuple[str, str]] = set()
        self._layers: dict[tuple[str, str, bool], MemoryLayer] = {}
        self._state: dict[tuple[str, str], bytes] = {}

    # configuration
    @property
    def name(self) -> str:
        return self._name

    @property
    def location(self) -> str:
        return self._location

    @property
    def schema(self) -> LabelSchema:
        return self._schema

    def set_schema(self, schema: LabelSchema) -> None:
        self._schema = schema

    @property
    def settings(self) -> dict[str, Any]:
        return self._settings

    def save_settings(self, settings: dict[str, Any]) -> None:
        self._settings = copy.deepcopy(settings)

    # documents
    def __len__(self) -> int:
        return len(self._documents)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._documents

    def document_ids(self) -> list[str]:
        return list(self._documents)

    def entries(self) -> list[MemoryEntry]:
        return [MemoryEntry(d.id, d.meta, len(d.text)) for d in self._documents.values()]

    def entry(self, doc_id: str) -> MemoryEntry:
        document = self.get_document(doc_id)
        return MemoryEntry(document.id, document.meta, len(document.text))

    def entry_rows(self, start: int, stop: int) -> list[MemoryEntry]:
        return slice_rows(self.entries(), start, stop)

    def rows_of(self, doc_ids: Collection[str]) -> dict[str, int]:
        return rows_in({doc_id: row for row, doc_id in enumerate(self._documents)}, doc_ids)

    def find_rows(self, term: str) -> list[int]:
        return matching_rows(self.entries(), self.iter_documents, term)

    def get_document(self, doc_id: str) -> Document:
        try:
            return self._documents[doc_id]
        except KeyError:
            raise AnnotatorError(f"{self.location}: no document {doc_id!r}") from None

    def get_text(self, doc_id: str) -> str:
        return self.get_document(doc_id).text

    def iter_documents(self, progress: Progress | None = None) -> Iterator[Document]:
        documents = list(self._documents.values())
        for number, document in enumerate(documents, 1):
            yield document
            if progress is not None:
                progress(number, len(documents))

    def add_documents(
        self, documents: Iterator[Document] | list[Document], progress: Progress | None = None
    ) -> dict[AddOutcome, int]:
        counts: dict[AddOutcome, int] = {"added": 0, "unchanged": 0}
        added: dict[str, Document] = {}
        for document in documents:
            digest = text_hash(document.text)
            known = self._hashes.get(document.id)
            if document.id in added:
                known = text_hash(added[document.id].text)
            if known is not None:
                if known != digest:
                    raise AnnotatorError(
                        f"document id {document.id!r} is already in the project with a "
                        "different text; give the new document another id"
                    )
                counts["unchanged"] += 1
            else:
                added[document.id] = document
                counts["added"] += 1
            if progress is not None:
                progress(sum(counts.values()), None)
        # All or nothing: nothing is visible until every document was accepted.
        for doc_id, document in added.items():
            self._documents[doc_id] = document
            self._hashes[doc_id] = text_hash(document.text)
        return counts

    def import_batch(self, progress: Progress | None = None) -> MemoryImportBatch:
        return MemoryImportBatch(self, progress)

    def unfinished_import(self) -> str | None:
        return None  # an import is applied whole or not at all

    def export_rows(
        self, annotator: str | None, progress: Progress | None = None, *, sealed: bool = True
    ) -> Iterator[ExportRow]:
        del sealed  # records are kept as plain dicts
        layer = self.annotations(annotator, writable=False) if annotator else None
        for document in self.iter_documents(progress):
            fields = (document.id, document.text, document.meta)
            yield checked_row(layer, fields, self._hashes[document.id])

    def _take_documents(self, documents: dict[str, Document], digests: dict[str, str]) -> None:
        """A committed import's new documents."""
        self._documents.update(documents)
        for doc_id in documents:
            self._hashes[doc_id] = digests[doc_id]

    def _take_records(self, folder: str, name: str, records: dict[str, dict[str, Any]]) -> None:
        """A committed import's labels: saved, and seen by this program's writer."""
        self._committed(folder, name).records.update(records)
        writer = self._layers.get((folder, name, True))
        if writer is not None and not writer.closed:
            writer._records.update(records)

    # layers
    def annotators(self) -> list[str]:
        return sorted(
            name
            for (folder, name), saved in self._saved.items()
            if folder == "annotations" and saved.records
        )

    def suggestion_annotators(self) -> list[str]:
        return sorted(
            name
            for (folder, name), saved in self._saved.items()
            if folder == "suggestions" and saved.records
        )

    def annotations(self, annotator: str, writable: bool = True) -> MemoryLayer:
        return self._layer("annotations", annotator, writable)

    def suggestions(self, annotator: str, writable: bool = True) -> MemoryLayer:
        return self._layer("suggestions", annotator, writable)

    def layer_reader(self, annotator: str) -> MemoryLayer:
        check_annotator_name(annotator)
        return MemoryLayer(self, annotator, "annotations", writable=False)

    def release_annotations(self, annotator: str) -> None:
        for key in [key for key in self._layers if key[1] == annotator]:
            self._layers.pop(key).close()

    def _layer(self, folder: str, annotator: str, writable: bool) -> MemoryLayer:
        check_annotator_name(annotator)
        writer = self._layers.get((folder, annotator, True))
        if writer is not None and not writer.closed:
            return writer
        key = (folder, annotator, writable)
        layer = self._layers.get(key)
        if layer is None or layer.closed:
            layer = MemoryLayer(self, annotator, folder, writable)
            if writable:
                self._writers.add((folder, annotator))
            self._layers[key] = layer
        else:
            layer.refresh()
        return layer

    def _committed(self, folder: str, name: str) -> _Saved:
        return self._saved.setdefault((folder, name), _Saved())

    def _saved_records(self, folder: str, name: str) -> dict[str, dict[str, Any]]:
        return self._committed(folder, name).records

    def _commit(self, folder: str, name: str, doc_id: str, record: dict[str, Any]) -> None:
        self._committed(folder, name).records[doc_id] = record

    # state
    def read_state(self, kind: str, name: str) -> bytes | None:
        return self._state.get((check_annotator_name(kind), check_annotator_name(name)))

    def write_state(self, kind: str, name: str, data: bytes) -> None:
        self._state[(check_annotator_name(kind), check_annotator_name(name))] = bytes(data)

    def close(self) -> None:
        for layer in self._layers.values():
            layer.close()
        self._layers.clear()

    def __enter__(self) -> MemoryProject:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
