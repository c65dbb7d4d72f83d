"""The project in a PostgreSQL database (the team server), behind the storage interface.

``open_postgres(url)`` and ``create_postgres(url)`` are what a location starting with
``postgresql://`` or ``postgres://`` opens. The password comes from PGPASSWORD or
~/.pgpass (libpq reads them), never from the command line; messages show the URL
without it. Never imports Qt; psycopg is imported only when a database is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from annotator.core.models import LabelSchema
    from annotator.store.postgres.project import PostgresProject


def open_postgres(url: str, *, recover: bool = True) -> PostgresProject:
    """Open the project in the database at ``url`` (one line naming the URL, without its
    password, if the server is unreachable, refuses the login, or holds no project of
    ours). ``recover=False`` writes nothing: a database needing a migration is refused."""
    from annotator.store.postgres.project import PostgresProject

    return PostgresProject.open(url, recover=recover)


def create_postgres(
    url: str, *, name: str | None = None, schema: LabelSchema | None = None
) -> PostgresProject:
    """Create a project in the empty database at ``url`` and open it. A database with a
    project, or with another application's tables, is refused and left as it was."""
    from annotator.store.postgres.project import PostgresProject

    return PostgresProject.create(url, name=name, schema=schema)


__all__ = ["create_postgres", "open_postgres"]
