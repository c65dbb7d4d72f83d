"""Every store test runs twice: with the project's files read into memory, and mapped.

An open maps a file it scans from the start when the file is 1 MB or more
(``annotator.store.files.file_range``); the files these tests make are small, so the
threshold is moved to make each path take them. (Hypothesis's state machine, a
unittest case, cannot be parametrized: it runs with the files read.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.store import Project, files
from tests.store.helpers import make_documents


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # The database store's own tests read no files: once is enough.
    postgres = metafunc.module.__name__.startswith("tests.store.postgres")
    if "scanned_as" in metafunc.fixturenames and not postgres:
        metafunc.parametrize("scanned_as", ["read", "mapped"], indirect=True)


@pytest.fixture(autouse=True)
def scanned_as(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    mode = str(getattr(request, "param", "read"))
    monkeypatch.setattr(files, "MAP_MIN_BYTES", 1 << 62 if mode == "read" else 0)
    return mode


@pytest.fixture
def filled(project_path: Path) -> Path:
    """A project of four stored documents (tests.store.helpers.make_documents)."""
    with Project.open(project_path) as project:
        project.add_documents(make_documents(4))
    return project_path
