"""An import into the database: one transaction for documents, labels and schema.

The batch opens a transaction on the project's connection when it starts and commits
it when it ends normally; an exception rolls everything back, so an import that fails
half-way leaves the database as it was (there is no half-done import to undo at the
next open). New documents are kept in memory until the end and then streamed with COPY
through the staging table (documents.py), which checks them once more against the
stored ones under a lock; labels are upserted as the sealed records a save writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

import psycopg
from psycopg.types.json import Json

from annotator.core.errors import AnnotatorError, LockedError
from annotator.core.models import Document, DocumentAnnotation, LabelSchema, text_hash
from annotator.store.interface import AddOutcome, PreparedLabels, Progress
from annotator.store.journal_lines import prepare_checked_line, prepare_encoded_lines
from annotator.store.names import ANNOTATIONS_DIR, check_annotator_name
from annotator.store.postgres.documents import insert_staged, refused, stage_documents
from annotator.store.postgres.layer import CHANGES_CHANNEL, PostgresLayer, advisory_key


class PostgresProject(Protocol):
    """What an import needs of the project it adds to (postgres/project.py)."""

    @property
    def conn(self) -> psycopg.Connection[Any]: ...

    @property
    def location(self) -> str: ...

    def database(self, not_done: str, where: str | None = None) -> AbstractContextManager[None]: ...

    def get_text(self, doc_id: str) -> str: ...

    def _imported(self, schema: LabelSchema | None, annotators: list[str]) -> None: ...


_UPSERT = (
    "INSERT INTO annotations (annotator, document, record, status, spans, relations, updated)"
    " VALUES (%s, %s, %s::json, %s, %s, %s, %s)"
    " ON CONFLICT (annotator, document) DO UPDATE SET record = excluded.record,"
    " status = excluded.status, spans = excluded.spans, relations = excluded.relations,"
    " updated = excluded.updated, revision = nextval('revisions')"
)


class PostgresImportLayer:
    """One annotator's labels of an import, written when the batch commits."""

    def __init__(self, project: PostgresProject, name: str) -> None:
        self.project = project
        self.name = name
        self.staged: dict[str, PreparedLabels] = {}
        key = advisory_key("annotations", name)
        # Held until the import's transaction ends; this program's own writer of the
        # layer holds the session's lock, which lets this one through.
        row = project.conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (key,)).fetchone()
        if row is None or not row[0]:
            raise LockedError(
                f"{self.location} is open for writing by another program; close it there "
                "first, then import again"
            )
        self._stored = PostgresLayer(project, name, "annotations", writable=False)

    @property
    def location(self) -> str:
        return f"{self.project.location}/{ANNOTATIONS_DIR}/{self.name}"

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._stored

    def get(self, doc_id: str) -> DocumentAnnotation | None:
        return self._stored.get(doc_id)

    def prepare(self, annotation: DocumentAnnotation, text: str) -> PreparedLabels:
        line = self._stored._line_for(annotation, text)
        return PreparedLabels(
            annotation.doc_id,
            line,
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

    def write(self) -> None:
        """Upsert the staged labels (inside the batch's transaction)."""
        if not self.staged:
            return
        rows = [
            (self.name, p.doc_id, p.line.decode(), p.status, p.spans, p.relations, p.updated)
            for p in self.staged.values()
        ]
        conn = self.project.conn
        with conn.cursor() as cursor:
            cursor.executemany(_UPSERT.encode(), rows)
        conn.execute("SELECT pg_notify(%s, %s)", (CHANGES_CHANNEL, f"{self.name}\t"))

    def close(self) -> None:
        self._stored.close()


class PostgresImportBatch:
    """Documents, labels and a schema of one import, written in one transaction."""

    def __init__(self, project: PostgresProject, progress: Progress | None) -> None:
        self.project = project
        self.progress = progress
        self.counts: dict[AddOutcome, int] = {"added": 0, "unchanged": 0}
        self.shared_text = 0
        self.last_id = ""
        self.last_digest = ""
        self._added: dict[str, Document] = {}
        self._digests: dict[str, str] = {}
        self._by_hash: dict[str, str] = {}
        self._stored: dict[str, str] = {}
        self._stored_by_hash: dict[str, str] = {}
        for doc_id, digest in project.conn.execute(
            "SELECT id, text_hash FROM documents ORDER BY ordinal"
        ):
            self._stored[doc_id] = digest
            self._stored_by_hash.setdefault(digest, doc_id)
        self._layers: dict[str, PostgresImportLayer] = {}
        self._schema: LabelSchema | None = None

    def add(self, document: Document) -> AddOutcome:
        digest = text_hash(document.text)
        self.last_digest = digest
        self.last_id = document.id
        known = self._digests.get(document.id) or self._stored.get(document.id)
        if known is not None:
            if known != digest:
                where = "earlier in this import" if document.id in self._added else "in the project"
                raise refused(document.id, where)
            outcome: AddOutcome = "unchanged"
        else:
            if "\x00" in document.text:
                raise AnnotatorError(
                    f"document {document.id!r}: its text holds a NUL character, which "
                    "PostgreSQL cannot store"
                )
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
            or any(doc_id in self._digests or doc_id in self._stored for doc_id in ids)
            or any(d in self._by_hash or d in self._stored_by_hash for d in digests)
            or any("\x00" in text for text in texts)
        ):
            return None
        for doc_id, text, meta, digest in zip(ids, texts, metas, digests, strict=True):
            self._added[doc_id] = Document.model_construct(id=doc_id, text=text, meta=meta)
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

    def open_layer(self, annotator: str) -> PostgresImportLayer:
        check_annotator_name(annotator)
        if annotator not in self._layers:
            self._layers[annotator] = PostgresImportLayer(self.project, annotator)
        return self._layers[annotator]

    def set_schema(self, schema: LabelSchema) -> None:
        self._schema = schema

    def _tell(self) -> None:
        if self.progress is not None:
            self.progress(sum(self.counts.values()), None)

    def write(self) -> None:
        """Everything the batch holds, written in the caller's transaction."""
        conn = self.project.conn
        if self._added:
            given = stage_documents(conn, self._added.values(), None)
            insert_staged(conn, given)
        for layer in self._layers.values():
            layer.write()
        if self._schema is not None:
            conn.execute(
                "UPDATE project SET schema = %s",
                (Json(self._schema.model_dump(mode="json", by_alias=True)),),
            )

    def close(self) -> None:
        for layer in self._layers.values():
            layer.close()


@contextmanager
def import_batch(
    project: PostgresProject, progress: Progress | None
) -> Iterator[PostgresImportBatch]:
    """The batch, in one transaction committed when the block ends normally."""
    conn = project.conn
    with project.database("nothing was imported"), conn.transaction():
        batch = PostgresImportBatch(project, progress)
        try:
            yield batch
            batch.write()
        finally:
            batch.close()
    project._imported(batch._schema, list(batch._layers))
