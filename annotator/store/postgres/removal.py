"""Undoing a failed copy into a database (``annotator copy``, store/transfer.py).

A copy writes in several transactions (documents, then each layer's labels in batches),
so a copy that fails half-way is undone afterwards: the tables it created are dropped,
or, when it copied into the empty project ``annotator init`` made, that project is
emptied again and its schema and settings put back. One transaction either way.
"""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Json

from annotator.core.models import LabelSchema
from annotator.store.postgres.project import PostgresProject, _schema_json

# Every table and sequence of migrations.py, dependents first.
_OURS = (
    "DROP TABLE claims, state, annotations, suggestions, documents, project, schema_version;"
    " DROP SEQUENCE revisions"
)


def undo_copy(
    project: PostgresProject, created: bool, schema: LabelSchema, settings: dict[str, Any]
) -> None:
    """Leave the database as it was before the copy: without our tables if the copy
    created them, otherwise holding the empty project with ``schema`` and ``settings``."""
    conn = project.conn
    with project.database("what the failed copy wrote is still there"), conn.transaction():
        if created:
            conn.execute(_OURS.encode())
            return
        conn.execute("DELETE FROM claims; DELETE FROM annotations; DELETE FROM suggestions")
        conn.execute("DELETE FROM documents")
        conn.execute(
            "UPDATE project SET schema = %s, settings = %s",
            (Json(_schema_json(schema)), Json(settings)),
        )
