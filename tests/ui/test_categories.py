"""Document categories through the real widgets: buttons, hotkeys, undo, read-only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QRadioButton
from pytestqt.qtbot import QtBot

from annotator.core.models import DocumentCategory
from annotator.core.schema import default_schema
from annotator.store import Project
from annotator.ui.main_window import MainWindow
from tests.ui.conftest import journal

Opener = Callable[..., MainWindow]
CTRL = Qt.KeyboardModifier.ControlModifier

TOPIC = DocumentCategory(
    name="topic",
    choices=["politics", "sport", "economy"],
    hotkeys={"politics": "1", "sport": "2"},
)
FLAGS = DocumentCategory(name="flags", choices=["claim", "opinion"], multiple=True)


def _with_categories(path: Path) -> Path:
    with Project.open(path) as project:
        project.set_schema(default_schema().model_copy(update={"categories": [TOPIC, FLAGS]}))
    return path


def _cats(path: Path, doc_id: str) -> object:
    record = journal(path).get(doc_id)
    return record.get("cats", {}) if record else None


def test_buttons_hotkeys_and_undo_set_the_documents_categories(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = _with_categories(make_project())
    window = open_main(path)
    window.show_document("kim")
    panel = window.panel.categories
    assert panel.isVisible()
    politics = panel.buttons[("topic", "politics")]
    sport = panel.buttons[("topic", "sport")]
    claim = panel.buttons[("flags", "claim")]
    opinion = panel.buttons[("flags", "opinion")]
    assert isinstance(politics, QRadioButton) and isinstance(claim, QCheckBox)
    assert politics.text() == "politics [1]" and claim.text() == "claim"

    qtbot.mouseClick(politics, Qt.MouseButton.LeftButton)
    assert _cats(path, "kim") == {"topic": ["politics"]}
    assert politics.isChecked()
    # One choice: the hotkey of another takes its place.
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_2)
    assert _cats(path, "kim") == {"topic": ["sport"]}
    assert sport.isChecked() and not politics.isChecked()
    # Several choices, kept in the schema's order.
    qtbot.mouseClick(opinion, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(claim, Qt.MouseButton.LeftButton)
    assert _cats(path, "kim") == {"topic": ["sport"], "flags": ["claim", "opinion"]}
    # Pressing the chosen one again clears it.
    qtbot.mouseClick(sport, Qt.MouseButton.LeftButton)
    assert _cats(path, "kim") == {"flags": ["claim", "opinion"]}
    assert not sport.isChecked()

    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)  # gives "sport" back
    assert _cats(path, "kim") == {"flags": ["claim", "opinion"], "topic": ["sport"]}
    assert sport.isChecked()
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    assert _cats(path, "kim") == {"topic": ["sport"]}
    assert not claim.isChecked() and not opinion.isChecked()
    # Undo on another document brings this one back first.
    window.show_document("quote")
    assert not sport.isChecked()
    qtbot.keyClick(window.view, Qt.Key.Key_Z, CTRL)
    assert window.current == "kim"
    assert _cats(path, "kim") == {"topic": ["politics"]}
    assert politics.isChecked()
    qtbot.keyClick(window.view, Qt.Key.Key_Y, CTRL)
    assert _cats(path, "kim") == {"topic": ["sport"]}
    # The document's spans and status stay as they were: only categories changed.
    assert journal(path)["kim"]["spans"] == []


def test_the_panel_is_read_only_on_a_read_only_layer(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = _with_categories(make_project())
    other = Project.open(path)
    other_store = other.annotations("alice")  # another program labelling as alice
    try:
        window = open_main(path)
        assert window.session is not None and not window.session.writable
        if window.loader.lock_message is not None:
            window.loader.lock_message.close()
        window.show_document("kim")
        politics = window.panel.categories.buttons[("topic", "politics")]
        assert not politics.isEnabled()
        window.view.setFocus()
        qtbot.keyClick(window.view, Qt.Key.Key_1)
        assert journal(path) == {}
        assert not politics.isChecked()
    finally:
        other_store.close()
        other.close()


def test_without_categories_the_panel_is_hidden(
    make_project: Callable[..., Path], open_main: Opener
) -> None:
    window = open_main(make_project())
    window.show_document("kim")
    assert not window.panel.categories.isVisible()
    assert window.panel.categories.buttons == {}


def test_a_category_the_schema_lacks_is_refused_on_load(
    make_project: Callable[..., Path], open_main: Opener
) -> None:
    path = _with_categories(make_project())
    with Project.open(path) as project:
        annotation = project.annotations("alice").get_or_new("kim")
        annotation.cats = {"stance": ["pro"]}
        project.annotations("alice").save(annotation)
    window = open_main(path)
    window.show_document("kim")
    assert window.session is not None
    assert window.session.problems("kim") == [
        "document kim: unknown category 'stance' (not in the schema)"
    ]
    assert window.banner.isVisible()
    assert "stance" in window.banner.text()
    saved = orjson.loads((path / "annotations" / "alice.jsonl").read_bytes().splitlines()[-1])
    assert saved["cats"] == {"stance": ["pro"]}
