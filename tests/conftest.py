"""Shared fixtures. Tests run offscreen, with user folders and settings kept in a temp dir."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from annotator.core.models import LabelSchema
    from annotator.store.interface import ProjectStore
    from annotator.store.memory import MemoryProject
    from tests.store.postgres.server import Cluster

# Set before anything imports Qt or reads user folders.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("ANNOTATOR_FSYNC", "0")
_USER_HOME = tempfile.mkdtemp(prefix="annotator-test-home-")
os.environ["XDG_DATA_HOME"] = os.path.join(_USER_HOME, "data")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_USER_HOME, "config")
os.environ["XDG_CACHE_HOME"] = os.path.join(_USER_HOME, "cache")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def articles_dir() -> Path:
    path = SHARED / "articles"
    if not path.is_dir():
        pytest.skip("../shared/articles is not beside the checkout")
    return path


@pytest.fixture
def fixtures_dir() -> Path:
    path = SHARED / "fixtures"
    if not path.is_dir():
        pytest.skip("../shared/fixtures is not beside the checkout")
    return path


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    """A fresh, empty project folder with the default schema."""
    from annotator.store import Project

    path = tmp_path / "project"
    Project.create(path).close()
    return path


@pytest.fixture
def project(project_path: Path) -> Iterator[object]:
    from annotator.store import Project

    opened = Project.open(project_path)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A throwaway PostgreSQL server for the session (tests/store/postgres/server.py);
    tests needing it are skipped, with the reason, where PostgreSQL is not installed."""
    from tests.store.postgres.server import start_test_cluster

    passfile = os.environ.get("PGPASSFILE")
    cluster = start_test_cluster()
    if isinstance(cluster, str):
        pytest.skip(cluster)
    yield cluster
    cluster.remove()
    if passfile is None:
        os.environ.pop("PGPASSFILE", None)
    else:
        os.environ["PGPASSFILE"] = passfile


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> Iterator[str]:
    """The URL of a fresh database holding an empty project (default schema)."""
    from tests.store.postgres.server import Databases

    databases = Databases(postgres_cluster)
    yield databases.new()
    databases.drop_all()


@pytest.fixture(params=["folder", "memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProjectStore]:
    """An empty project in each implementation of the storage interface."""
    opened: ProjectStore
    if request.param == "folder":
        from annotator.store import Project

        opened = Project.create(tmp_path / "project")
    elif request.param == "postgres":
        from annotator.store.postgres import open_postgres

        opened = open_postgres(request.getfixturevalue("postgres_url"))
    else:
        from annotator.store.memory import MemoryProject

        opened = MemoryProject("project")
    yield opened
    opened.close()


@pytest.fixture
def team_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, MemoryProject]]:
    """annotator.store.postgres as its two functions, keeping projects by URL in memory
    (``module.calls`` records how they were called)."""
    import sys
    import types

    from annotator.core.errors import AnnotatorError
    from annotator.store.memory import MemoryProject
    from annotator.store.open import shown_location

    projects: dict[str, MemoryProject] = {}
    calls: list[tuple[str, str, dict[str, object]]] = []

    def open_postgres(url: str, *, recover: bool = True) -> MemoryProject:
        calls.append(("open", url, {"recover": recover}))
        if url not in projects:
            raise AnnotatorError(f"{shown_location(url)}: no project there")
        return projects[url]

    def create_postgres(
        url: str, *, name: str | None = None, schema: LabelSchema | None = None
    ) -> MemoryProject:
        calls.append(("create", url, {"name": name, "schema": schema}))
        projects[url] = MemoryProject(name or "newsroom", schema, location=shown_location(url))
        return projects[url]

    module = types.ModuleType("annotator.store.postgres")
    module.open_postgres = open_postgres  # type: ignore[attr-defined]
    module.create_postgres = create_postgres  # type: ignore[attr-defined]
    module.calls = calls  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "annotator.store.postgres", module)
    yield projects
