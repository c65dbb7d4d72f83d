"""Closing a project from the window (ui/project_loader.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from annotator.core.models import Document
from annotator.store.memory import MemoryProject
from annotator.store.open import create_project
from annotator.ui.main_window import MainWindow
from annotator.ui.settings import Settings


def test_a_search_typed_just_before_closing_is_dropped_with_the_project(
    make_project: Callable[..., Path], settings: Settings, qtbot: QtBot
) -> None:
    """The document list searches 250 ms after the last key; by then the project may be
    closed, and reading its texts raised in the event loop (it made the next test fail)."""
    window = MainWindow(make_project(), "alice", settings)
    qtbot.addWidget(window)
    assert window.document_list is not None
    document_list = window.document_list
    document_list.search.setText("putin")
    window.close()
    assert window.project is None
    qtbot.wait(400)  # pytest-qt fails the test on an exception raised in the event loop
    assert document_list.search.text() == "putin"


def test_a_project_on_the_team_server_opens_in_the_window(
    team_server: dict[str, MemoryProject], settings: Settings, qtbot: QtBot
) -> None:
    """A postgresql:// URL opens through the storage interface as a folder does: the
    title names the project, documents show, the settings keep the URL without its
    password, and switching analyst reopens the same project."""
    url = "postgresql://ana:s3cret@db.example/newsroom"
    project = create_project(url, name="Newsroom")
    project.add_documents(
        [Document(id="a1", text="Zoë met Bob.\nThen left.", meta={"title": "Meeting"})]
    )
    project.close()
    window = MainWindow(url, "alice", settings)
    qtbot.addWidget(window)
    assert window.project is team_server[url]
    assert window.windowTitle() == "Meeting — Newsroom — annotator (alice)"
    assert window.view.toPlainText() == "Zoë met Bob.\nThen left."
    assert settings.recent_projects() == ["postgresql://ana@db.example/newsroom"]
    assert settings.last_document(url) == "a1"
    assert window.project_location == url
    window.close()
    assert window.project is None
