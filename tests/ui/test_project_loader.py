"""Closing a project from the window (ui/project_loader.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

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
