"""A project in a PostgreSQL database: the storage interface for a team server.

One database holds one project (tables in migrations.py). Each program opens one
connection; every analyst writes only their own rows, so many analysts save at once
without waiting for each other. Nothing is read of the documents at open: a window
reads the rows of the list it shows (``entry_rows``), and the whole list (ids, meta,
sizes) is read only when asked for (``entries``, ``document_ids``), then read again when
another program has added documents. Texts are read when asked for.

Documents are numbered 1, 2, ... in the project's order (``ordinal``) without gaps:
they are only ever appended, by one import at a time (documents.py), never deleted. So
the number of documents is the last ordinal, and row ``r`` of the list is ordinal
``r + 1``: an index lookup each, however large the project.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
import psycopg
from psycopg.types.json import Json

from annotator.core.errors import AnnotatorError
from annotator.core.models import Document, LabelSchema
from annotator.core.schema import default_schema
from annotator.store.config import FORMAT_VERSION, ProjectConfig, read_config
from annotator.store.interface import AddOutcome, ExportRow, Progress
from annotator.store.names import check_annotator_name
from annotator.store.postgres.connection import (
    connect,
    database_errors,
    url_without_password,
)
from annotator.store.postgres.documents import insert_staged, search_rows, stage_documents
from annotator.store.postgres.importing import PostgresImportBatch, import_batch
from annotator.store.postgres.layer import CHANGES_CHANNEL, PostgresLayer, advisory_key
from annotator.store.postgres.migrations import SCHEMA_VERSION, applied_version, migrate
from annotator.store.postgres.routing import AnalystProgress, claim_next, progress_of_analysts
from annotator.store.rows import checked_row
from annotator.store.sealed import sealed_line_of

# Documents read per query when iterating over all of them.
_PAGE = 1000


@dataclass(slots=True)
class PostgresEntry:
    id: str
    meta: dict[str, Any]
    chars: int
    title: str


class Change(NamedTuple):
    """Another program saved ``annotator``'s labels of ``doc_id`` ("" when it saved many:
    read that annotator's layer again), or handed ``doc_id`` out (annotator "")."""

    annotator: str
    doc_id: str


class PostgresProject:
    """An open project in a database. Use :func:`open_postgres` or :func:`create_postgres`."""

    # The server can be out of reach while the project is open (store/offline.py).
    remote = True

    def __init__(self, url: str, conn: psycopg.Connection[Any]) -> None:
        self.url = url
        self.conn = conn
        self.problems: list[str] = []
        self._location = url_without_password(url)
        self._config = ProjectConfig(name="")
        # The whole document list, read at the first call that needs all of it.
        self._listed = False
        self._entries: list[PostgresEntry] = []
        self._index: dict[str, int] = {}
        self._last_ordinal = 0
        # Documents looked up one at a time (a document's info never changes).
        self._known: dict[str, PostgresEntry] = {}
        self._last_text: tuple[str, str] | None = None
        self._layers: dict[tuple[str, str, bool], PostgresLayer] = {}
        self._listener: psycopg.Connection[Any] | None = None

    # --- opening -----------------------------------------------------------------------

    @classmethod
    def open(cls, url: str, recover: bool = True) -> PostgresProject:
        """Open the project in the database at ``url``. Migrations this program knows
        and the database lacks are applied first, unless ``recover`` is False (a check
        that must write nothing): such a database is then refused."""
        location = url_without_password(url)
        conn = connect(url, location)
        try:
            project = cls(url, conn)
            with project.database("the project was not opened"):
                version = applied_version(conn, location)
                if version is None:
                    raise AnnotatorError(
                        f"{location}: no annotator project in this database (it has no "
                        "tables); create one there first"
                    )
                if version < SCHEMA_VERSION:
                    if not recover:
                        raise AnnotatorError(
                            f"{location}: the database's schema version {version} is older "
                            f"than this program's ({SCHEMA_VERSION}); open it once to upgrade"
                        )
                    migrate(conn, location)
                project._load_config()
            return project
        except BaseException:
            conn.close()
            raise

    @classmethod
    def create(
        cls, url: str, name: str | None = None, schema: LabelSchema | None = None
    ) -> PostgresProject:
        """Make the project's tables in an empty database (one transaction)."""
        location = url_without_password(url)
        conn = connect(url, location)
        try:
            with database_errors(location, "no project was created"):
                _refuse_other_encodings(conn, location)
                with conn.transaction():
                    if applied_version(conn, location) is not None:
                        raise AnnotatorError(f"{location}: a project already exists here")
                    migrate(conn, location)
                    config = ProjectConfig(
                        name=name or conn.info.dbname, schema=schema or default_schema()
                    )
                    conn.execute(
                        "INSERT INTO project (name, format_version, schema, settings)"
                        " VALUES (%s, %s, %s, %s)",
                        (
                            config.name,
                            FORMAT_VERSION,
                            Json(_schema_json(config.schema_)),
                            Json({}),
                        ),
                    )
        finally:
            conn.close()
        return cls.open(url)

    def _load_config(self) -> None:
        row = self.conn.execute(
            "SELECT name, format_version, schema, settings FROM project"
        ).fetchone()
        if row is None:
            raise AnnotatorError(f"{self.location}: the project table is empty")
        name, format_version, schema, settings = row
        if format_version > FORMAT_VERSION:
            raise AnnotatorError(
                f"{self.location}: format version {format_version} is newer than this "
                f"program understands ({FORMAT_VERSION}); update annotator"
            )
        self._config = read_config(
            {"name": name, "format_version": format_version, "schema": schema, "settings": settings}
        )

    def _load_entries(self) -> None:
        """Read the document list: all of it, or the documents added since last read."""
        rows = self.conn.execute(
            "SELECT ordinal, id, meta::text, chars, title FROM documents"
            " WHERE ordinal > %s ORDER BY ordinal",
            (self._last_ordinal,),
        ).fetchall()
        self._listed = True
        for ordinal, doc_id, meta, chars, title in rows:
            self._index[doc_id] = len(self._entries)
            self._entries.append(PostgresEntry(doc_id, orjson.loads(meta), chars, title))
            self._last_ordinal = ordinal

    def _count(self) -> int:
        """How many documents there are: the last ordinal (they have no gaps)."""
        with self.database("the document list was not read"):
            row = self.conn.execute("SELECT coalesce(max(ordinal), 0) FROM documents").fetchone()
        return 0 if row is None else int(row[0])

    def _reload_if_added(self) -> None:
        """Read the documents another program added since the whole list was read (if
        it was: a list not read yet is read when it is asked for)."""
        if self._listed and self._count() > self._last_ordinal:
            with self.database("the document list was not read"):
                self._load_entries()

    def _whole_list(self) -> list[PostgresEntry]:
        if not self._listed:
            with self.database("the document list was not read"):
                self._load_entries()
        else:
            self._reload_if_added()
        return self._entries

    def database(self, not_done: str, where: str | None = None) -> AbstractContextManager[None]:
        """Any database error in the block as one line naming ``where`` (the project):
        StoreUnavailable when the server did not answer. A connection lost earlier (the
        server restarted) is made again first, outside a transaction."""
        if self.conn.closed or self.conn.broken:
            self._reconnect()
        return database_errors(where or self.location, not_done)

    def _reconnect(self) -> None:
        """A new connection, with the locks of this program's open writers taken again
        (the server released them with the old connection)."""
        conn = connect(self.url, self.location)
        self.conn = conn
        with database_errors(self.location, "the layer was not opened again"):
            for (table, annotator, writable), layer in self._layers.items():
                if writable and not layer.closed:
                    row = conn.execute(
                        "SELECT pg_try_advisory_lock(%s)", (advisory_key(table, annotator),)
                    ).fetchone()
                    if row is None or not row[0]:
                        layer.close()

    def close(self) -> None:
        for layer in self._layers.values():
            layer.close()
        self._layers.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        self.conn.close()

    def __enter__(self) -> PostgresProject:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- configuration -----------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._config.name

    @property
    def location(self) -> str:
        """The database URL without its password."""
        return self._location

    @property
    def schema(self) -> LabelSchema:
        return self._config.schema_

    def set_schema(self, schema: LabelSchema) -> None:
        with self.database("the label schema was not saved"):
            self.conn.execute("UPDATE project SET schema = %s", (Json(_schema_json(schema)),))
        self._config = self._config.model_copy(update={"schema_": schema})

    @property
    def settings(self) -> dict[str, Any]:
        return self._config.settings

    def save_settings(self, settings: dict[str, Any]) -> None:
        kept = copy.deepcopy(dict(settings))
        with self.database("the settings were not saved"):
            self.conn.execute("UPDATE project SET settings = %s", (Json(kept),))
        self._config = self._config.model_copy(update={"settings": kept})

    # --- documents ---------------------------------------------------------------------

    def __len__(self) -> int:
        return self._count()

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self._find(doc_id) is not None

    def _find(self, doc_id: str) -> PostgresEntry | None:
        if self._listed and doc_id in self._index:
            return self._entries[self._index[doc_id]]
        known = self._known.get(doc_id)
        if known is None:
            with self.database("the document was not read"):
                row = self.conn.execute(
                    "SELECT meta::text, chars, title FROM documents WHERE id = %s", (doc_id,)
                ).fetchone()
            if row is not None:
                known = PostgresEntry(doc_id, orjson.loads(row[0]), row[1], row[2])
                self._known[doc_id] = known
        return known

    def document_ids(self) -> list[str]:
        return [entry.id for entry in self._whole_list()]

    def entries(self) -> list[PostgresEntry]:
        return list(self._whole_list())

    def entry(self, doc_id: str) -> PostgresEntry:
        found = self._find(doc_id)
        if found is None:
            raise AnnotatorError(f"{self.location}: no document {doc_id!r}")
        return found

    def entry_rows(self, start: int, stop: int) -> list[PostgresEntry]:
        """Rows ``start`` to ``stop - 1``: ordinals ``start + 1`` to ``stop``, one range
        scan of the primary key."""
        with self.database("the document list was not read"):
            rows = self.conn.execute(
                "SELECT id, meta::text, chars, title FROM documents"
                " WHERE ordinal > %s AND ordinal <= %s ORDER BY ordinal",
                (max(0, start), max(0, stop)),
            ).fetchall()
        return [
            PostgresEntry(doc_id, orjson.loads(meta), chars, title)
            for doc_id, meta, chars, title in rows
        ]

    def rows_of(self, doc_ids: Collection[str]) -> dict[str, int]:
        if not doc_ids:
            return {}
        with self.database("the document list was not read"):
            rows = self.conn.execute(
                "SELECT id, ordinal - 1 FROM documents WHERE id = ANY(%s)", (list(doc_ids),)
            ).fetchall()
        return {str(doc_id): int(row) for doc_id, row in rows}

    def find_rows(self, term: str) -> list[int]:
        with self.database("the documents were not searched"):
            return search_rows(self.conn, term)

    def get_document(self, doc_id: str) -> Document:
        with self.database("the document was not read"):
            row = self.conn.execute(
                "SELECT text, meta::text FROM documents WHERE id = %s", (doc_id,)
            ).fetchone()
        if row is None:
            raise AnnotatorError(f"{self.location}: no document {doc_id!r}")
        return Document.model_construct(id=doc_id, text=row[0], meta=orjson.loads(row[1]))

    def get_text(self, doc_id: str) -> str:
        # The window asks for the open article's text at every save.
        last = self._last_text
        if last is not None and last[0] == doc_id:
            return last[1]
        text = self.get_document(doc_id).text
        self._last_text = (doc_id, text)
        return text

    def iter_documents(self, progress: Progress | None = None) -> Iterator[Document]:
        """Every document in the project's order, a page of them per query."""
        total = len(self)
        after = 0
        number = 0
        while True:
            with self.database("the documents were not read"):
                rows = self.conn.execute(
                    "SELECT ordinal, id, text, meta::text FROM documents"
                    " WHERE ordinal > %s ORDER BY ordinal LIMIT %s",
                    (after, _PAGE),
                ).fetchall()
            if not rows:
                return
            for ordinal, doc_id, text, meta in rows:
                after = ordinal
                number += 1
                yield Document.model_construct(id=doc_id, text=text, meta=orjson.loads(meta))
                if progress is not None:
                    progress(number, max(total, number))

    def add_documents(
        self, documents: Iterator[Document] | list[Document], progress: Progress | None = None
    ) -> dict[AddOutcome, int]:
        """Add documents in one transaction, all or nothing (see documents.py)."""
        with self.database("no document was added"), self.conn.transaction():
            given = stage_documents(self.conn, documents, progress)
            counts = insert_staged(self.conn, given)
        self._reload_if_added()
        return counts

    def import_batch(
        self, progress: Progress | None = None
    ) -> AbstractContextManager[PostgresImportBatch]:
        """One import's documents, labels and schema, in one transaction."""
        return import_batch(self, progress)

    def _imported(self, schema: LabelSchema | None, annotators: list[str]) -> None:
        """What a committed import changed, seen by this program's lists and writers."""
        self._reload_if_added()
        if schema is not None:
            self._config = self._config.model_copy(update={"schema_": schema})
        for annotator in annotators:
            writer = self._layers.get(("annotations", annotator, True))
            if writer is not None and not writer.closed:
                writer._read_summaries()

    def unfinished_import(self) -> str | None:
        return None  # an import is one transaction: committed whole or not at all

    def export_rows(
        self, annotator: str | None, progress: Progress | None = None, *, sealed: bool = True
    ) -> Iterator[ExportRow]:
        """Every document with ``annotator``'s record of its labels, streamed from one
        query (one snapshot) on a connection of its own, a record sealed for the
        document's text handed over as stored. Others are checked by a reader of the
        layer on the project's connection, opened only if one is met (reading a layer's
        summaries costs a tenth of exporting it)."""
        readers: list[PostgresLayer] = []

        def reader() -> PostgresLayer:
            # A reader of its own: it sees every row, also ones saved behind a writer's back.
            if not readers:
                assert annotator is not None
                readers.append(self.layer_reader(annotator))
            return readers[0]

        total = len(self)
        streaming = connect(self.url, self.location)
        try:
            yield from self._export_rows(streaming, annotator, reader, total, progress, sealed)
        finally:
            streaming.close()
            for layer in readers:
                layer.close()

    def _export_rows(
        self,
        streaming: psycopg.Connection[Any],
        annotator: str | None,
        reader: Callable[[], PostgresLayer],
        total: int,
        progress: Progress | None,
        sealed: bool,
    ) -> Iterator[ExportRow]:
        # Rows come in chunks while the server goes on producing the next ones: as fast
        # as COPY TO of the same rows, and no query per page.
        chunk = _PAGE if psycopg.capabilities.has_stream_chunked() else 1
        number = 0
        with database_errors(self.location, "the documents were not read"):
            rows = streaming.cursor().stream(
                "SELECT d.id, d.text, d.meta::text, d.text_hash, a.record::text"
                " FROM documents d LEFT JOIN annotations a"
                " ON a.document = d.id AND a.annotator = %s ORDER BY d.ordinal",
                (annotator or "",),
                size=chunk,
            )
            for doc_id, text, meta, digest, raw in rows:
                number += 1
                fields = (doc_id, text, orjson.loads(meta))
                if raw is None or annotator is None:
                    yield ExportRow(fields, digest)
                else:
                    line = sealed_line_of(raw.encode(), digest) if sealed else None
                    if line is not None:
                        yield ExportRow(fields, digest, sealed=line)
                    else:
                        yield checked_row(reader(), fields, digest)
                if progress is not None:
                    progress(number, max(total, number))

    # --- layers ------------------------------------------------------------------------

    def annotators(self) -> list[str]:
        """Everyone who has saved labels."""
        return self._layer_owners("annotations")

    def suggestion_annotators(self) -> list[str]:
        """Everyone who has suggestions saved for them."""
        return self._layer_owners("suggestions")

    def _layer_owners(self, table: str) -> list[str]:
        with self.database("the annotators were not listed"):
            rows = self.conn.execute(f"SELECT DISTINCT annotator FROM {table}").fetchall()
        return sorted(str(row[0]) for row in rows)

    def annotations(self, annotator: str, writable: bool = True) -> PostgresLayer:
        return self._layer("annotations", annotator, writable)

    def suggestions(self, annotator: str, writable: bool = True) -> PostgresLayer:
        return self._layer("suggestions", annotator, writable)

    def layer_reader(self, annotator: str) -> PostgresLayer:
        check_annotator_name(annotator)
        return PostgresLayer(self, annotator, "annotations", writable=False)

    def release_annotations(self, annotator: str) -> None:
        for key in [key for key in self._layers if key[1] == annotator]:
            self._layers.pop(key).close()

    def _layer(self, table: str, annotator: str, writable: bool) -> PostgresLayer:
        check_annotator_name(annotator)
        writer = self._layers.get((table, annotator, True))
        if writer is not None and not writer.closed:
            # This program's own writer is up to date; a separate reader would not be.
            return writer
        key = (table, annotator, writable)
        layer = self._layers.get(key)
        if layer is None or layer.closed:
            layer = PostgresLayer(self, annotator, table, writable)
            self._layers[key] = layer
        else:
            layer.refresh()
        return layer

    # --- small per-user state ----------------------------------------------------------

    def read_state(self, kind: str, name: str) -> bytes | None:
        key = (check_annotator_name(kind), check_annotator_name(name))
        with self.database("the state was not read"):
            row = self.conn.execute(
                "SELECT data FROM state WHERE kind = %s AND name = %s", key
            ).fetchone()
        return None if row is None else bytes(row[0])

    def write_state(self, kind: str, name: str, data: bytes) -> None:
        key = (check_annotator_name(kind), check_annotator_name(name))
        with self.database("the state was not saved"):
            self.conn.execute(
                "INSERT INTO state (kind, name, data) VALUES (%s, %s, %s)"
                " ON CONFLICT (kind, name) DO UPDATE SET data = excluded.data",
                (*key, bytes(data)),
            )

    # --- routing: handing documents out to analysts ------------------------------------

    def next_document(self, annotator: str) -> str | None:
        """The next document (project order) that still needs analysts and that this
        analyst has neither labelled nor been given, claimed for them; None when there
        is none. See routing.py."""
        check_annotator_name(annotator)
        with self.database("no document was handed out"):
            return claim_next(self.conn, annotator)

    def progress_by_annotator(self) -> dict[str, AnalystProgress]:
        """Per analyst: documents handed out to them, and documents they marked done."""
        with self.database("the progress was not read"):
            return progress_of_analysts(self.conn)

    # --- live changes --------------------------------------------------------------------

    def listen(self) -> None:
        """Start hearing of other programs' saves of labels, for :meth:`poll_changes`.

        Every save of labels sends ``NOTIFY annotator_changes, '<annotator>\\t<doc id>'``
        when it commits; listening takes a second connection of its own, so that
        notices wait there while this one is busy.
        """
        if self._listener is not None:
            return
        listener = connect(self.url, self.location)
        with self.database("not listening for changes"):
            listener.execute(f"LISTEN {CHANGES_CHANNEL}")
        self._listener = listener

    def poll_changes(self, timeout: float = 0.0) -> list[Change]:
        """The saves other programs made since the last poll, in the order they
        committed, each (annotator, doc id) once; waits up to ``timeout`` seconds for
        the first when there is none yet. A window calls it from a timer and refreshes
        the layers and documents named (this program's own saves are left out)."""
        if self._listener is None:
            raise AnnotatorError(f"{self.location}: listen() first")
        own = self.conn.info.backend_pid
        changes: dict[Change, None] = {}
        with self.database("changes were not read"):
            wait = timeout
            while True:
                got = list(self._listener.notifies(timeout=wait, stop_after=1))
                if not got:
                    break
                for notice in got:
                    if notice.pid != own:
                        annotator, _, doc_id = notice.payload.partition("\t")
                        changes[Change(annotator, doc_id)] = None
                wait = 0.0
        return list(changes)


def _schema_json(schema: LabelSchema) -> Any:
    return schema.model_dump(mode="json", by_alias=True)


def _refuse_other_encodings(conn: psycopg.Connection[Any], location: str) -> None:
    """Texts are Unicode: a database in another encoding could not hold them all."""
    row = conn.execute("SHOW server_encoding").fetchone()
    if row is None or row[0] != "UTF8":
        raise AnnotatorError(
            f"{location}: the database's encoding is {row[0] if row else 'unknown'}, not "
            "UTF8; create it with ENCODING 'UTF8'"
        )
