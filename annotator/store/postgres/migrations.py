"""The project's tables, as numbered migrations applied in order at open.

``schema_version`` lists the migrations applied. A database without it is ours to fill
only if it holds no tables at all: tables of another application are refused, never
added to. A database whose schema is newer than this program's is refused too.

Documents' ``meta``, the annotation ``record``, the schema and the settings are ``json``,
not ``jsonb``: json keeps the text as written (key order, the journal line's checksum),
so a record read back is byte for byte the line the folder store would have written,
and a project copied to a database and back has the same annotator.json and exports.
jsonb would sort keys (shortest first) and drop the checksum's meaning. Fields added to
annotations later ride along unchanged; json still answers ``->`` in queries.
"""

from __future__ import annotations

from typing import Any

import psycopg

from annotator.core.errors import AnnotatorError

_LAYER_TABLE = """
CREATE TABLE {table} (
    annotator text NOT NULL,
    document text NOT NULL REFERENCES documents (id),
    record json NOT NULL,
    status text NOT NULL,
    spans integer NOT NULL,
    relations integer NOT NULL,
    updated text NOT NULL,
    revision bigint NOT NULL DEFAULT nextval('revisions'),
    PRIMARY KEY (annotator, document)
);
CREATE INDEX {table}_document ON {table} (document);
CREATE INDEX {table}_revision ON {table} (annotator, revision);
"""

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
CREATE TABLE project (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    name text NOT NULL,
    format_version integer NOT NULL,
    schema json NOT NULL,
    settings json NOT NULL DEFAULT '{}'
);
CREATE TABLE documents (
    ordinal bigint PRIMARY KEY,
    id text NOT NULL UNIQUE,
    text text NOT NULL,
    meta json NOT NULL,
    text_hash text NOT NULL,
    chars integer NOT NULL,
    title text NOT NULL
);
CREATE SEQUENCE revisions;
"""
        + _LAYER_TABLE.format(table="annotations")
        + _LAYER_TABLE.format(table="suggestions")
        + """
CREATE TABLE state (
    kind text NOT NULL,
    name text NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (kind, name)
);
CREATE TABLE claims (
    document text NOT NULL REFERENCES documents (id),
    annotator text NOT NULL,
    claimed timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document, annotator)
);
CREATE INDEX claims_annotator ON claims (annotator);
""",
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]
# Held (per transaction) while migrations run: two programs opening an old database at
# once apply each migration once.
_MIGRATION_LOCK = 0x616E6E6F74617465  # "annotate"

_CREATE_VERSION_TABLE = """
CREATE TABLE schema_version (
    version integer PRIMARY KEY,
    applied timestamptz NOT NULL DEFAULT now()
)
"""


def _our_tables(conn: psycopg.Connection[Any]) -> tuple[bool, list[str]]:
    """(whether schema_version is ours and the project table is there, every user table)."""
    rows = conn.execute(
        "SELECT table_schema, table_name FROM information_schema.tables"
        " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        " AND table_schema NOT LIKE 'pg_toast%%' AND table_schema NOT LIKE 'pg_temp%%'"
    ).fetchall()
    names = {name for schema, name in rows if schema == "public"}
    tables = sorted(f"{schema}.{name}" for schema, name in rows)
    columns = {
        row[0]
        for row in conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = 'schema_version'"
        )
    }
    # Another tool's schema_version (Flyway's has other columns) is not ours.
    return columns == {"version", "applied"} and "project" in names, tables


def applied_version(conn: psycopg.Connection[Any], location: str) -> int | None:
    """The schema version of our tables, None for a database without tables; refuses a
    database holding another application's tables."""
    ours, tables = _our_tables(conn)
    if not ours:
        if tables:
            listed = ", ".join(tables[:3]) + (", ..." if len(tables) > 3 else "")
            raise AnnotatorError(
                f"{location}: this database holds tables of another application ({listed}) "
                "and no annotator project; use an empty database"
            )
        return None
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    version = int(row[0]) if row is not None and row[0] is not None else 0
    if version > SCHEMA_VERSION:
        raise AnnotatorError(
            f"{location}: the database's schema version {version} is newer than this program "
            f"understands ({SCHEMA_VERSION}); update annotator"
        )
    return version


def migrate(conn: psycopg.Connection[Any], location: str) -> int:
    """Apply the migrations this database lacks, all in one transaction; the version."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        version = applied_version(conn, location)
        if version is None:
            conn.execute(_CREATE_VERSION_TABLE)
            version = 0
        for number, statements in MIGRATIONS:
            if number > version:
                conn.execute(statements.encode())
                conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (number,))
                version = number
    return version
