"""One annotator's labels (or suggestions) in the database: a row per document.

The row holds the whole record, exactly the line the folder store's journal would hold
(sealed with its checksum after the spans were checked against the text), plus status,
counts and time for summaries. A save is one short transaction: an upsert of that row,
and, for labels, ``NOTIFY annotator_changes, '<annotator>\\t<doc id>'`` sent at commit.

A layer knows which documents it holds (and their summaries) from when it was opened or
last refreshed; a read-only layer sees what others saved since only after
:meth:`PostgresLayer.refresh`, which reads just the rows saved since (every save takes
the next number of the ``revisions`` sequence). A writable layer holds a session-level
advisory lock on (table, annotator) for as long as it is open: a second writer of the
same annotator, in this program or another, is refused with LockedError.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
import psycopg
from pydantic import ValidationError

from annotator.core.errors import AnnotationError, AnnotatorError, InputError, LockedError
from annotator.core.models import DocumentAnnotation, Status, text_hash
from annotator.core.records import (
    CHECKSUM_KEY,
    COUNTS_KEY,
    LineEncoder,
    annotation_from_record,
    intact,
    record_ok,
    seal,
)
from annotator.store.journal_lines import encode_validated, short_validation_error
from annotator.store.postgres.connection import APPLICATION_PREFIX, database_errors

CHANGES_CHANNEL = "annotator_changes"
LAYER_TABLES = ("annotations", "suggestions")
# A save_many of more documents than this sends one notice for the whole layer (an
# empty document id: "reload this annotator"), not one per document.
_NOTICES_PER_BATCH = 100
# Records read per query when a whole layer is read.
_PAGE = 200


@dataclass(frozen=True, slots=True)
class PostgresSummary:
    status: Status
    spans: int
    relations: int
    updated: str


def advisory_key(table: str, annotator: str) -> int:
    """The 64-bit advisory lock key of one layer (locks are per database already)."""
    digest = hashlib.blake2b(f"annotator\0{table}\0{annotator}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


class LayerOwner(Protocol):
    """What a layer needs of its project (PostgresProject)."""

    @property
    def conn(self) -> psycopg.Connection[Any]: ...

    @property
    def location(self) -> str: ...

    def database(self, not_done: str, where: str | None = None) -> AbstractContextManager[None]: ...

    def get_text(self, doc_id: str) -> str: ...


class PostgresLayer:
    """An annotator's labels or suggestions, held in ``annotations`` or ``suggestions``."""

    def __init__(self, project: LayerOwner, name: str, table: str, writable: bool) -> None:
        assert table in LAYER_TABLES
        self.project = project
        self.name = name
        self.table = table
        self.writable = writable
        self.problems: list[str] = []
        self._closed = False
        self._summaries: dict[str, PostgresSummary] = {}
        self._revision = 0
        self._encoder = LineEncoder()
        self._digest: tuple[str, str, str] | None = None
        self._locked = False
        if writable:
            self._lock()
        try:
            self._read_summaries()
        except BaseException:
            self.close()
            raise

    # --- opening and closing -----------------------------------------------------------

    def _lock(self) -> None:
        key = advisory_key(self.table, self.name)
        with self.project.database("the layer was not opened"):
            row = self.project.conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            if row is None or not row[0]:
                holder = self._holder(key)
                raise LockedError(
                    f"{self.location} is open for writing by {holder}; "
                    "close it there first, or open the project read-only"
                )
        self._locked = True

    def _holder(self, key: int) -> str:
        """Who holds the layer's lock, as the holder named itself (application_name)."""
        row = self.project.conn.execute(
            "SELECT a.application_name, a.client_addr::text FROM pg_locks l"
            " JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
            " AND l.classid::text::bigint = %s AND l.objid::text::bigint = %s"
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            ((key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF),
        ).fetchone()
        if row is None or not row[0]:
            return "another program"
        name = str(row[0]).removeprefix(APPLICATION_PREFIX)
        return name if row[1] is None else f"{name} (from {row[1]})"

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._locked and not self.project.conn.closed:
            self._locked = False
            with database_errors(self.location, "its lock is released when the program ends"):
                self.project.conn.execute(
                    "SELECT pg_advisory_unlock(%s)", (advisory_key(self.table, self.name),)
                )

    @property
    def location(self) -> str:
        return f"{self.project.location}/{self.table}/{self.name}"

    def refresh(self) -> None:
        """See what other programs saved since this layer was opened or last refreshed
        (a writer is up to date already: no one else writes its rows)."""
        if self.writable or self._closed:
            return
        self._read_summaries()

    def _read_summaries(self) -> None:
        with self.project.database("the labels were not read"):
            rows = self.project.conn.execute(
                f"SELECT document, status, spans, relations, updated, revision FROM {self.table}"
                " WHERE annotator = %s AND revision > %s ORDER BY revision",
                (self.name, self._revision),
            ).fetchall()
        for doc_id, status, spans, relations, updated, revision in rows:
            self._summaries[doc_id] = PostgresSummary(status, spans, relations, updated)
            self._revision = max(self._revision, revision)

    # --- reading -----------------------------------------------------------------------

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._summaries

    def __len__(self) -> int:
        return len(self._summaries)

    def doc_ids(self) -> list[str]:
        return list(self._summaries)

    def summary(self, doc_id: str) -> PostgresSummary | None:
        return self._summaries.get(doc_id)

    def _raw(self, doc_id: str) -> bytes | None:
        if doc_id not in self._summaries:
            return None
        with self.project.database("the labels were not read"):
            row = self.project.conn.execute(
                f"SELECT record::text FROM {self.table} WHERE annotator = %s AND document = %s",
                (self.name, doc_id),
            ).fetchone()
        return None if row is None else str(row[0]).encode()

    def _parse(self, doc_id: str, raw: bytes) -> tuple[Any, bool]:
        """The row's record, and whether it is intact as this program sealed it."""
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InputError(self._where(doc_id), f"not valid JSON: {exc}") from None
        sealed = False
        if isinstance(record, dict):
            sealed = record.pop(CHECKSUM_KEY, None) is not None and intact(raw)
            record.pop(COUNTS_KEY, None)
        return record, sealed

    def _where(self, doc_id: str) -> str:
        return f"{self.location}/{doc_id}"

    def where(self, doc_id: str) -> str:
        """Where a document's labels are, for messages."""
        kind = "annotations" if self.table == "annotations" else "suggestions"
        return f"{self.project.location} {kind} of {self.name}, document {doc_id}"

    def _annotation(self, doc_id: str, raw: bytes) -> DocumentAnnotation:
        record, _ = self._parse(doc_id, raw)
        try:
            return annotation_from_record(record)
        except ValidationError as exc:
            raise InputError(self._where(doc_id), short_validation_error(exc)) from None

    def get(self, doc_id: str) -> DocumentAnnotation | None:
        raw = self._raw(doc_id)
        return None if raw is None else self._annotation(doc_id, raw)

    def get_or_new(self, doc_id: str) -> DocumentAnnotation:
        existing = self.get(doc_id)
        if existing is not None:
            return existing
        return DocumentAnnotation(doc_id=doc_id, text_hash=text_hash(self.project.get_text(doc_id)))

    def get_record(
        self, doc_id: str, text: str | None = None, digest: str | None = None
    ) -> dict[str, Any] | None:
        """The labels as a checked JSON record; a record sealed after a check against the
        text whose hash is ``digest`` is returned without a second check."""
        raw = self._raw(doc_id)
        if raw is None:
            return None
        record, sealed = self._parse(doc_id, raw)
        if sealed and digest is not None and record["text_hash"] == digest:
            return dict(record)
        if record_ok(record, text):
            return dict(record)
        try:
            annotation = DocumentAnnotation.model_validate(record)
        except ValidationError as exc:
            raise InputError(self._where(doc_id), short_validation_error(exc)) from None
        if text is not None:
            problems = [p for p in annotation.problems_with(text) if "different text" not in p]
            if problems:
                raise AnnotationError(problems[0])
        return annotation.model_dump(mode="json")

    def iter_annotations(self) -> Iterator[DocumentAnnotation]:
        doc_ids = list(self._summaries)
        for start in range(0, len(doc_ids), _PAGE):
            page = doc_ids[start : start + _PAGE]
            with self.project.database("the labels were not read"):
                rows = self.project.conn.execute(
                    f"SELECT document, record::text FROM {self.table}"
                    " WHERE annotator = %s AND document = ANY(%s)",
                    (self.name, page),
                ).fetchall()
            raws = {doc_id: str(raw).encode() for doc_id, raw in rows}
            for doc_id in page:
                if doc_id in raws:
                    yield self._annotation(doc_id, raws[doc_id])

    # --- writing -----------------------------------------------------------------------

    def _check_writable(self) -> None:
        if not self.writable or self._closed:
            raise AnnotatorError(f"{self.location}: opened read-only")

    def _line_for(self, annotation: DocumentAnnotation, text: str) -> bytes:
        """The record as the folder store's journal line: checked against the text and
        sealed (see AnnotationStore._line_for)."""
        cached = self._digest
        if cached is not None and cached[0] == annotation.doc_id and cached[1] is text:
            digest = cached[2]
        else:
            digest = text_hash(text)
            self._digest = (annotation.doc_id, text, digest)
        if not annotation.text_hash:
            annotation.text_hash = digest
        line = self._encoder.encode(annotation, text) if annotation.text_hash == digest else None
        if line is None:
            annotation.check_against(text)
            line = encode_validated(annotation)
        return seal(line) if annotation.text_hash == digest else line

    def _row(self, annotation: DocumentAnnotation, text: str) -> tuple[Any, ...]:
        line = self._line_for(annotation, text)
        return (
            self.name,
            annotation.doc_id,
            line.decode(),
            annotation.status,
            len(annotation.spans),
            len(annotation.relations),
            annotation.updated,
        )

    _UPSERT = (
        "INSERT INTO {table} (annotator, document, record, status, spans, relations, updated)"
        " VALUES (%s, %s, %s::json, %s, %s, %s, %s)"
        " ON CONFLICT (annotator, document) DO UPDATE SET record = excluded.record,"
        " status = excluded.status, spans = excluded.spans, relations = excluded.relations,"
        " updated = excluded.updated, revision = nextval('revisions')"
        " RETURNING revision"
    )

    def save(self, annotation: DocumentAnnotation, text: str | None = None) -> None:
        """Keep this document's labels (one transaction); they must fit its text."""
        self._check_writable()
        if text is None:
            # The server's own text, read now: labels kept while it was out of reach are
            # checked against the text as it is there when they are sent.
            text = self._server_text(annotation.doc_id)
        row = self._row(annotation, text)
        upsert = self._UPSERT.format(table=self.table)
        if self.table == "annotations":
            # The notice goes out when the upsert commits, in the same statement.
            query = f"WITH saved AS ({upsert}) SELECT revision, pg_notify(%s, %s) FROM saved"
            params: tuple[Any, ...] = (*row, CHANGES_CHANNEL, f"{self.name}\t{annotation.doc_id}")
        else:
            query = upsert
            params = row
        with self.project.database("the edit was not saved", self.location):
            saved = self.project.conn.execute(query.encode(), params).fetchone()
        assert saved is not None
        self._take(annotation, int(saved[0]))

    def _server_text(self, doc_id: str) -> str:
        with self.project.database("the edit was not saved", self.location):
            row = self.project.conn.execute(
                "SELECT text FROM documents WHERE id = %s", (doc_id,)
            ).fetchone()
        if row is None:
            raise AnnotatorError(f"{self.location}: no document {doc_id!r}; the edit was not saved")
        return str(row[0])

    def _take(self, annotation: DocumentAnnotation, revision: int) -> None:
        self._summaries[annotation.doc_id] = PostgresSummary(
            annotation.status, len(annotation.spans), len(annotation.relations), annotation.updated
        )
        self._revision = max(self._revision, revision)

    def save_many(self, annotations: list[DocumentAnnotation]) -> None:
        """Save several documents' labels in one transaction (imports, copies)."""
        self._check_writable()
        if not annotations:
            return
        rows = [self._row(a, self.project.get_text(a.doc_id)) for a in annotations]
        conn = self.project.conn
        noun = "documents" if len(rows) != 1 else "document"
        with self.project.database(f"the labels of {len(rows)} {noun} were not saved"):
            with conn.transaction(), conn.cursor() as cursor:
                cursor.executemany(
                    self._UPSERT.format(table=self.table).encode(), rows, returning=True
                )
                revisions = []
                while True:
                    fetched = cursor.fetchone()
                    if fetched is not None:
                        revisions.append(int(fetched[0]))
                    if not cursor.nextset():
                        break
                if self.table == "annotations":
                    self._notify_many([a.doc_id for a in annotations])
        for annotation, revision in zip(annotations, revisions, strict=True):
            self._take(annotation, revision)

    def _notify_many(self, doc_ids: list[str]) -> None:
        notices = (
            [f"{self.name}\t{doc_id}" for doc_id in dict.fromkeys(doc_ids)]
            if len(doc_ids) <= _NOTICES_PER_BATCH
            else [f"{self.name}\t"]
        )
        self.project.conn.execute(
            "SELECT pg_notify(%s, notice) FROM unnest(%s::text[]) AS notice",
            (CHANGES_CHANNEL, notices),
        )
