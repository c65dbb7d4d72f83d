"""Document categories in the schema editor (Labels ▸ Edit labels…), through the real
dialog: add, remove and rename a category and its choices, single or several choices,
hotkeys; saved with the schema, and the analyst's documents follow."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QCheckBox, QDialogButtonBox, QLineEdit
from pytestqt.qtbot import QtBot

from annotator.core.models import DocumentCategory
from annotator.editing.category_changes import CategoryRenames, migrate_cats, renamed_choices
from annotator.ui.category_editor import (
    CAT_CHOICES,
    CAT_NAME,
    CAT_SEVERAL,
    CategoriesTable,
    parse_choices,
)
from annotator.ui.main_window import MainWindow
from annotator.ui.schema_editor import SchemaEditor
from tests.ui.conftest import journal
from tests.ui.test_categories import TOPIC, _with_categories

Opener = Callable[..., MainWindow]


def cell(table: CategoriesTable, row: int, column: int) -> QLineEdit:
    widget = table.table.cellWidget(row, column)
    assert isinstance(widget, QLineEdit)
    return widget


def edit_in_dialog(
    qtbot: QtBot, window: MainWindow, edit: Callable[[SchemaEditor], None]
) -> list[str]:
    """Runs Labels ▸ Edit labels…, lets ``edit`` change the open dialog, presses Save;
    returns the errors the dialog showed (it stays open on one: then Cancel)."""
    errors: list[str] = []

    def act() -> None:
        editor = QApplication.activeModalWidget()
        if not isinstance(editor, SchemaEditor):
            QTimer.singleShot(20, act)
            return
        edit(editor)
        buttons = editor.findChild(QDialogButtonBox)
        assert buttons is not None
        qtbot.mouseClick(
            buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton
        )
        if editor.isVisible():
            errors.append(editor.error.text())
            editor.reject()

    QTimer.singleShot(0, act)
    window.table_actions["editLabels"].trigger()
    return errors


def test_categories_are_added_renamed_and_removed_in_the_schema_editor(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = _with_categories(make_project())
    window = open_main(path)
    window.show_document("kim")
    panel = window.panel.categories
    qtbot.mouseClick(panel.buttons[("topic", "sport")], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.buttons[("flags", "claim")], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.buttons[("flags", "opinion")], Qt.MouseButton.LeftButton)
    assert journal(path)["kim"]["cats"] == {"topic": ["sport"], "flags": ["claim", "opinion"]}

    def edit(editor: SchemaEditor) -> None:
        table = editor.categories
        assert cell(table, 0, CAT_CHOICES).text() == "politics [1], sport [2], economy"
        cell(table, 0, CAT_NAME).setText("subject")
        cell(table, 0, CAT_CHOICES).setText("politics [1], sports [2], economy [3]")
        several = table.table.cellWidget(1, CAT_SEVERAL)
        assert isinstance(several, QCheckBox) and several.isChecked()
        several.setChecked(False)  # flags: one choice now
        qtbot.mouseClick(table.add_button, Qt.MouseButton.LeftButton)
        cell(table, 2, CAT_NAME).setText("stance")
        cell(table, 2, CAT_CHOICES).setText("for [7], against [8], neutral")

    assert edit_in_dialog(qtbot, window, edit) == []
    config = orjson.loads((path / "annotator.json").read_bytes())
    assert config["schema"]["categories"] == [
        {
            "name": "subject",
            "choices": ["politics", "sports", "economy"],
            "multiple": False,
            "hotkeys": {"politics": "1", "sports": "2", "economy": "3"},
            "description": "",
        },
        {
            "name": "flags",
            "choices": ["claim", "opinion"],
            "multiple": False,
            "hotkeys": {},
            "description": "",
        },
        {
            "name": "stance",
            "choices": ["for", "against", "neutral"],
            "multiple": False,
            "hotkeys": {"for": "7", "against": "8"},
            "description": "",
        },
    ]
    # The document followed: category and choice renamed, one flag kept of two.
    assert journal(path)["kim"]["cats"] == {"subject": ["sports"], "flags": ["claim"]}
    assert panel.buttons[("subject", "sports")].isChecked()
    assert panel.buttons[("subject", "economy")].text() == "economy [3]"
    window.activateWindow()  # back from the dialog: shortcuts fire in the active window
    with qtbot.waitActive(window):
        pass
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_7)  # the new category's key works at once
    assert journal(path)["kim"]["cats"]["stance"] == ["for"]

    def remove_flags(editor: SchemaEditor) -> None:
        table = editor.categories
        table.table.setCurrentCell(1, CAT_NAME)
        qtbot.mouseClick(table.remove_button, Qt.MouseButton.LeftButton)
        assert table.table.rowCount() == 2

    assert edit_in_dialog(qtbot, window, remove_flags) == []
    names = [
        c["name"]
        for c in orjson.loads((path / "annotator.json").read_bytes())["schema"]["categories"]
    ]
    assert names == ["subject", "stance"]
    assert journal(path)["kim"]["cats"] == {"subject": ["sports"], "stance": ["for"]}
    assert ("flags", "claim") not in panel.buttons
    assert window.session is not None and window.session.problems("kim") == []


def test_a_bad_category_is_one_line_and_the_dialog_stays(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = _with_categories(make_project())
    window = open_main(path)
    before = (path / "annotator.json").read_bytes()

    def clash(editor: SchemaEditor) -> None:
        cell(editor.categories, 0, CAT_CHOICES).setText("politics [P], sport")  # PERSON's key

    def no_choices(editor: SchemaEditor) -> None:
        cell(editor.categories, 0, CAT_CHOICES).setText(" , ")

    def twice(editor: SchemaEditor) -> None:
        cell(editor.categories, 1, CAT_NAME).setText("topic")

    assert "duplicate hotkey 'P'" in edit_in_dialog(qtbot, window, clash)[0]
    assert (
        "category row 1: category 'topic' has no choices"
        in edit_in_dialog(qtbot, window, no_choices)[0]
    )
    assert "duplicate category 'topic'" in edit_in_dialog(qtbot, window, twice)[0]
    assert (path / "annotator.json").read_bytes() == before


def test_choices_text_and_renames() -> None:
    assert parse_choices("politics [1], sport [Shift+2], economy", "row") == (
        ["politics", "sport", "economy"],
        {"politics": "1", "sport": "Shift+2"},
    )
    with pytest.raises(ValueError, match="row: write a choice's key"):
        parse_choices("a [1] b", "row")
    assert renamed_choices(["a", "b", "c"], ["a", "bee", "c"]) == {"b": "bee"}
    assert renamed_choices(["a", "b"], ["b", "a"]) == {}  # a reordering renames nothing
    assert renamed_choices(["a", "b"], ["a", "b", "c"]) == {}
    schema = _with_topic_only()
    renames = CategoryRenames({"old": "topic"}, {"topic": {"sport": "politics"}})
    cats = {"old": ["sport", "economy"], "gone": ["x"]}
    assert migrate_cats(cats, schema, renames) == {"topic": ["politics"]}


def _with_topic_only():  # type: ignore[no-untyped-def]
    from annotator.core.schema import default_schema

    single = DocumentCategory(**{**TOPIC.model_dump(), "multiple": False})
    return default_schema().model_copy(update={"categories": [single]})
