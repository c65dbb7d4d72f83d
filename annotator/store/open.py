"""Opening a project wherever it lives: a folder, or a PostgreSQL database (the team
server) given by its URL. Everything above the store opens projects here and gets the
storage interface (store/interface.py), never a store's class.

Light on purpose (no pydantic, no store classes until a project is opened): the command
line imports it before deciding what to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit, urlunsplit

from annotator.core.errors import AnnotatorError

# Re-exported: the checks the command line makes before the GUI starts live with the
# file names (store.names), so that `annotator gui FOLDER` loads no more than those.
from annotator.store.names import CONFIG_FILE
from annotator.store.names import DATABASE_SCHEMES as DATABASE_SCHEMES
from annotator.store.names import check_location as check_location
from annotator.store.names import is_database_url as is_database_url
from annotator.store.names import project_location as project_location

if TYPE_CHECKING:
    from types import ModuleType

    from annotator.core.models import LabelSchema
    from annotator.store.interface import ProjectStore


def shown_location(location: str | Path) -> str:
    """The location for messages and titles: a URL without its password."""
    if not is_database_url(location):
        return str(location)
    parts = urlsplit(str(location))
    if parts.password is None:
        return str(location)
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}@{host}{port}"))


def location_name(location: str | Path) -> str:
    """A short name for the location (a window title): the folder's or database's name."""
    if is_database_url(location):
        return urlsplit(str(location)).path.strip("/") or shown_location(location)
    return Path(location).name


def project_folder(project: ProjectStore) -> Path | None:
    """The folder a project is kept in, if it is kept in one: files about it (an import's
    report, exports, trained models) go there. None for a database (or a project held
    in memory): the caller picks a folder of the user's."""
    location = project.location
    if is_database_url(location):
        return None
    folder = Path(location)
    return folder if (folder / CONFIG_FILE).is_file() else None


def open_project(location: str | Path, *, recover: bool = True) -> ProjectStore:
    """Open the project at ``location``: a folder path, or a ``postgresql://`` (or
    ``postgres://``) URL.

    ``recover=False`` (a read-only check) reports an unfinished import instead of
    undoing it. A URL is handed to ``annotator.store.postgres.open_postgres(url, *,
    recover=True) -> ProjectStore``, imported only then; the team server's store
    implements exactly that signature.
    """
    if is_database_url(location):
        store = _postgres(location).open_postgres(str(location), recover=recover)
        return cast("ProjectStore", store)
    from annotator.store.project import Project

    return Project.open(location, recover=recover)


def create_project(
    location: str | Path, *, name: str | None = None, schema: LabelSchema | None = None
) -> ProjectStore:
    """Create a project at ``location`` (a new or empty folder, or a database URL) and
    open it. A URL is handed to ``annotator.store.postgres.create_postgres(url, *,
    name=None, schema=None) -> ProjectStore``."""
    if is_database_url(location):
        store = _postgres(location).create_postgres(str(location), name=name, schema=schema)
        return cast("ProjectStore", store)
    from annotator.store.project import Project

    return Project.create(location, name=name, schema=schema)


def _postgres(location: str | Path) -> ModuleType:
    """The team server's store module, or one line saying it is not installed."""
    import importlib

    try:
        return importlib.import_module("annotator.store.postgres")
    except ModuleNotFoundError as exc:
        missing = f" ({exc.name} is missing)" if exc.name != "annotator.store.postgres" else ""
        raise AnnotatorError(
            f"{shown_location(location)}: the team server support (PostgreSQL) is not "
            f"installed{missing}"
        ) from None
