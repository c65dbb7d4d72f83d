"""Undo history across documents, autosave, Ctrl+S, close and reopen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from annotator.core.errors import AnnotatorError
from annotator.ui.main_window import MainWindow
from tests.ui.conftest import journal
from tests.ui.test_labelling import select_qt, spans

Opener = Callable[..., MainWindow]
CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def test_undo_redo_across_documents_switches_back(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("kim")
    select_qt(window, "Beijing")
    qtbot.keyClick(window.view, Qt.Key.Key_G)
    window.show_document("quote")
    select_qt(window, "Putin")
    qtbot.keyClick(window.view, Qt.Key.Key_P)
    window.show_document("emoji")

    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # undoes the PERSON on "quote"
    assert window.current == "quote"
    assert spans(path, "quote") == []
    assert len(window.view.index) == 0
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # undoes the GPE on "kim"
    assert window.current == "kim"
    assert spans(path, "kim") == []
    assert journal(path)["kim"]["status"] == "todo"  # the automatic "in progress" too

    window.show_document("cjk")
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL_SHIFT)  # redo: back on "kim"
    assert window.current == "kim"
    assert [s["text"] for s in spans(path, "kim")] == ["Beijing"]
    assert len(window.view.index) == 1
    qtbot.keyClick(window.view, Qt.Key.Key_Y, CTRL)  # the other redo key
    assert window.current == "quote"
    assert [s["text"] for s in spans(path, "quote")] == ["Putin"]


def test_relabel_and_status_undo(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("kim")
    select_qt(window, "Beijing")
    qtbot.keyClick(window.view, Qt.Key.Key_G)
    qtbot.keyClick(window.view, Qt.Key.Key_L)  # relabel the just-made span
    assert spans(path, "kim")[0]["label"] == "LOC"
    qtbot.keyClick(window.view, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    assert journal(path)["kim"]["status"] == "done"
    window.undo_stack.undo()
    assert journal(path)["kim"]["status"] == "in_progress"
    window.undo_stack.undo()
    assert spans(path, "kim")[0]["label"] == "GPE"
    assert window.view.index.get("T1") is not None
    assert window.view.index.get("T1").label == "GPE"  # type: ignore[union-attr]


def test_every_edit_is_saved_at_once_and_reopens(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("kim")
    for needle, key in (("Kim Jong Un", Qt.Key.Key_P), ("Beijing", Qt.Key.Key_G)):
        select_qt(window, needle)
        qtbot.keyClick(window.view, key)
        assert window.windowTitle().startswith("* ")  # until the event loop turns
        # Saved before anything else happens: no close, no Ctrl+S.
        assert needle in [s["text"] for s in spans(path, "kim")]
        assert not window.windowTitle().startswith("*")
    assert window.save_label.text() == "All changes saved"
    window.close()
    assert window.project is None

    again = open_main(path)
    assert again.current == "kim"  # the last document is reopened
    assert sorted(again.view.spans[i].text for i in again.view.spans) == ["Beijing", "Kim Jong Un"]
    assert again.panel.span_model.rowCount() == 2


def test_failed_save_shows_in_title_and_ctrl_s_retries(
    make_project: Callable[..., Path],
    open_main: Opener,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("kim")
    assert window.session is not None
    store = window.session.store
    real_save = store.save

    def failing(*args: object, **kwargs: object) -> None:
        raise AnnotatorError("disk full")

    monkeypatch.setattr(store, "save", failing)
    select_qt(window, "Beijing")
    qtbot.keyClick(window.view, Qt.Key.Key_G)
    assert window.windowTitle().startswith("* ")  # save pending
    assert journal(path) == {}
    assert window.windowTitle().startswith("* ")  # save failed
    assert "disk full" in window.save_label.text()
    monkeypatch.setattr(store, "save", real_save)
    qtbot.keyClick(window.view, Qt.Key.Key_S, CTRL)
    assert not window.windowTitle().startswith("*")
    assert [s["text"] for s in spans(path, "kim")] == ["Beijing"]


def test_closing_keeps_a_note_typed_without_enter(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("kim")
    window.panel.note.setFocus()
    qtbot.keyClicks(window.panel.note, "half-typed")
    window.close()
    assert journal(path)["kim"]["note"] == "half-typed"
