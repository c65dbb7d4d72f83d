"""The window's menus and its shortcut list (F1) come from the actions table (ui/actions.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from annotator.ui.actions import ACTIONS, LABELS_MENU, MENUS, attribute
from annotator.ui.main_window import MainWindow
from annotator.ui.settings import Settings
from tests.ui.test_deferred_loading import select_qt


def table_rows(menu: str) -> list[str]:
    return [spec.text for spec in ACTIONS if spec.menu == menu and spec.kind != "separator"]


def menu_texts(menu: QMenu) -> list[str]:
    return [action.text() for action in menu.actions() if not action.isSeparator()]


def test_every_handler_in_the_table_is_a_method_of_the_window(
    open_main: Callable[..., MainWindow], make_project: Callable[..., Path]
) -> None:
    """Handlers are looked up when triggered: a misspelt one would only fail then."""
    window = open_main(make_project())
    for spec in ACTIONS:
        if spec.handler:
            assert callable(attribute(window, spec.handler)), spec.handler
        if spec.enabled_when:
            assert callable(attribute(window, spec.enabled_when)), spec.enabled_when
            assert hasattr(attribute(window, spec.enabled_when + "Changed"), "connect")
    names = [spec.name for spec in ACTIONS if spec.kind != "separator"]
    assert len(names) == len(set(names))


def test_the_menus_are_the_table_in_order(
    open_main: Callable[..., MainWindow], make_project: Callable[..., Path]
) -> None:
    window = open_main(make_project())
    bar = [action.text() for action in window.menuBar().actions()]
    assert bar == list(MENUS)
    for title in MENUS:
        menu = window.menus[title]
        if title == "&View":  # then the docks' show/hide toggles
            assert menu_texts(menu) == [*table_rows(title), "Documents", "Labels", "This document"]
        elif title == LABELS_MENU:  # the schema's labels and relations first
            assert menu_texts(menu)[-len(table_rows(title)) :] == table_rows(title)
            assert menu_texts(menu)[0] == "Label " + window.project.schema.labels[0].name  # type: ignore[union-attr]
        else:
            assert menu_texts(menu) == table_rows(title), title
    recent = window.findChild(QMenu, "recentProjects")
    assert recent is not None and recent.title() == "Recent projects"
    recent.aboutToShow.emit()  # filled on demand
    assert [action.text() for action in recent.actions()] == [str(window.project.path)]  # type: ignore[union-attr]


def test_the_shortcut_list_has_every_row_with_keys_as_the_action_has_them_now(
    open_main: Callable[..., MainWindow], make_project: Callable[..., Path]
) -> None:
    window = open_main(make_project())
    rows = dict((text, keys) for keys, text in window.help_dialog().rows)
    listed = 0
    for spec in ACTIONS:
        action = window.table_actions.get(spec.name)
        if action is None or not action.shortcuts():
            continue
        keys = ", ".join(
            key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts()
        )
        assert rows[action.text().replace("&", "")] == keys, spec.name
        listed += 1
    assert listed >= 35
    # A label took "A" as its hotkey: accepting a suggestion moves to Alt+A, and F1 says so.
    window.assist.accept_action.setShortcut(QKeySequence("Alt+A"))
    rows = dict((text, keys) for keys, text in window.help_dialog().rows)
    assert rows["Accept suggestion"] == QKeySequence("Alt+A").toString(
        QKeySequence.SequenceFormat.NativeText
    )


def test_undo_and_redo_read_and_enable_as_qts_own_undo_actions(
    qtbot: QtBot, make_project: Callable[..., Path], settings: Settings
) -> None:
    window = MainWindow(make_project(), "alice", settings)
    qtbot.addWidget(window)
    stack = window.undo_stack
    qt_undo = stack.createUndoAction(window, "&Undo")
    qt_redo = stack.createRedoAction(window, "&Redo")

    def same() -> bool:
        return (window.undo_action.text(), window.undo_action.isEnabled()) == (
            qt_undo.text(),
            qt_undo.isEnabled(),
        ) and (window.redo_action.text(), window.redo_action.isEnabled()) == (
            qt_redo.text(),
            qt_redo.isEnabled(),
        )

    assert same() and not window.undo_action.isEnabled()
    window.show_document("quote")
    select_qt(window, "Putin")
    window.editing.apply_label("PERSON")
    assert same() and window.undo_action.isEnabled()
    assert window.undo_action.text() != "&Undo"  # names the edit, as Qt's does
    window.undo_action.trigger()
    assert same() and window.redo_action.isEnabled() and not window.undo_action.isEnabled()
    assert window.session is not None and window.session.annotation("quote").spans == []
    window.redo_action.trigger()
    assert same() and len(window.session.annotation("quote").spans) == 1
    window.close()
