"""An import into a MemoryProject: everything staged, applied together on commit."""

from __future__ import annotations

from typing import Any, Protocol

import orjson

from annotator.core.errors import AnnotatorError
from annotator.core.models import Document, DocumentAnnotation, LabelSchema, text_hash
from annotator.core.records import CHECKSUM_KEY, COUNTS_KEY
from annotator.store.interface import AddOutcome, PreparedLabels, Progress
from annotator.store.journal_lines import prepare_checked_line, prepare_encoded_lines
from annotator.store.names import ANNOTATIONS_DIR, check_annotator_name


class MemoryTarget(Protocol):
    """What an import needs of the MemoryProject it adds to."""

    _hashes: dict[str, str]

    @property
    def location(self) -> str: ...

    def __contains__(self, doc_id: object) -> bool: ...

    def set_schema(self, schema: LabelSchema) -> None: ...

    def _saved_records(self, folder: str, name: str) -> dict[str, dict[str, Any]]: ...

    def _take_documents(self, documents: dict[str, Document], digests: dict[str, str]) -> None: ...

    def _take_records(self, folder: str, name: str, records: dict[str, dict[str, Any]]) -> None: ...


class MemoryImportLayer:
    """One annotator's labels of an import: prepared lines kept until the batch commits."""

    def __init__(self, project: MemoryTarget, name: str) -> None:
        self.project = project
        self.name = name
        self.staged: dict[str, PreparedLabels] = {}

    @property
    def location(self) -> str:
        return f"{self.project.location}/{ANNOTATIONS_DIR}/{self.name}"

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.project._saved_records(ANNOTATIONS_DIR, self.name)

    def get(self, doc_id: str) -> DocumentAnnotation | None:
        record = self.project._saved_records(ANNOTATIONS_DIR, self.name).get(doc_id)
        return None if record is None else DocumentAnnotation.model_validate(record)

    def prepare(self, annotation: DocumentAnnotation, text: str) -> PreparedLabels:
        if not annotation.text_hash:
            annotation.text_hash = text_hash(text)
        annotation.check_against(text)
        return PreparedLabels(
            annotation.doc_id,
            orjson.dumps(annotation.model_dump(mode="json")),
            annotation.status,
            len(annotation.spans),
            len(annotation.relations),
            annotation.updated,
        )

    # A reader's checked records, encoded as the folder store encodes them.
    prepare_checked = staticmethod(prepare_checked_line)
    prepare_encoded = staticmethod(prepare_encoded_lines)

    def append_prepared(self, prepared: list[PreparedLabels]) -> None:
        for item in prepared:
            self.staged[item.doc_id] = item

    def records(self) -> dict[str, dict[str, Any]]:
        """The staged labels as the records a MemoryLayer holds."""
        records: dict[str, dict[str, Any]] = {}
        for doc_id, item in self.staged.items():
            record = orjson.loads(item.line)
            record.pop(CHECKSUM_KEY, None)
            record.pop(COUNTS_KEY, None)
            records[doc_id] = record
        return records


class MemoryImportBatch:
    """Documents, labels and a schema of one import, applied to the project together when
    the batch ends normally and dropped when it ends by an exception."""

    def __init__(self, project: MemoryTarget, progress: Progress | None) -> None:
        self.project = project
        self.progress = progress
        self.counts: dict[AddOutcome, int] = {"added": 0, "unchanged": 0}
        self.shared_text = 0
        self.last_id = ""
        self.last_digest = ""
        self._added: dict[str, Document] = {}
        self._digests: dict[str, str] = {}
        self._by_hash: dict[str, str] = {}
        self._stored_by_hash: dict[str, str] = {}
        for doc_id, digest in project._hashes.items():
            self._stored_by_hash.setdefault(digest, doc_id)
        self._layers: dict[str, MemoryImportLayer] = {}
        self._schema: LabelSchema | None = None

    def __enter__(self) -> MemoryImportBatch:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self._commit()

    def add(self, document: Document) -> AddOutcome:
        digest = text_hash(document.text)
        self.last_digest = digest
        self.last_id = document.id
        known = self._digests.get(document.id) or self.project._hashes.get(document.id)
        if known is not None:
            if known != digest:
                where = "earlier in this import" if document.id in self._added else "in the project"
                raise AnnotatorError(
                    f"document id {document.id!r} is already {where} with a different "
                    "text; give the new document another id"
                )
            outcome: AddOutcome = "unchanged"
        else:
            if digest in self._by_hash or digest in self._stored_by_hash:
                self.shared_text += 1
            self._added[document.id] = document
            self._digests[document.id] = digest
            self._by_hash.setdefault(digest, document.id)
            outcome = "added"
        self.counts[outcome] += 1
        self._tell()
        return outcome

    def add_new(
        self, ids: list[str], texts: list[str], metas: list[dict[str, Any]]
    ) -> list[str] | None:
        digests = [text_hash(text) for text in texts]
        if (
            len(set(ids)) != len(ids)
            or len(set(digests)) != len(ids)
            or any(doc_id in self._digests or doc_id in self.project for doc_id in ids)
            or any(d in self._by_hash or d in self._stored_by_hash for d in digests)
        ):
            return None
        for doc_id, text, meta, digest in zip(ids, texts, metas, digests, strict=True):
            self._added[doc_id] = Document(id=doc_id, text=text, meta=meta)
            self._digests[doc_id] = digest
            self._by_hash[digest] = doc_id
        if ids:
            self.last_id, self.last_digest = ids[-1], digests[-1]
        self.counts["added"] += len(ids)
        self._tell()
        return digests

    def find_text(self, text: str) -> str | None:
        digest = text_hash(text)
        return self._by_hash.get(digest) or self._stored_by_hash.get(digest)

    def open_layer(self, annotator: str) -> MemoryImportLayer:
        check_annotator_name(annotator)
        if annotator not in self._layers:
            self._layers[annotator] = MemoryImportLayer(self.project, annotator)
        return self._layers[annotator]

    def set_schema(self, schema: LabelSchema) -> None:
        self._schema = schema

    def _tell(self) -> None:
        if self.progress is not None:
            self.progress(sum(self.counts.values()), None)

    def _commit(self) -> None:
        project = self.project
        project._take_documents(self._added, self._digests)
        if self._schema is not None:
            project.set_schema(self._schema)
        for name, layer in self._layers.items():
            project._take_records(ANNOTATIONS_DIR, name, layer.records())
