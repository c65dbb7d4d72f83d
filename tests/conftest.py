"""Shared fixtures. Tests run offscreen, with user folders and settings kept in a temp dir."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from annotator.store.interface import ProjectStore
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
