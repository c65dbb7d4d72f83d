"""The label schema editor, QSettings, themes, and the public entry points."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QKeySequenceEdit, QLineEdit
from pytestqt.qtbot import QtBot

from annotator.store import Project
from annotator.ui.main_window import MainWindow
from annotator.ui.schema_editor import HOTKEY, NAME, ColorButton, SchemaEditor
from annotator.ui.settings import Settings
from tests.ui.test_labelling import select_qt, spans

Opener = Callable[..., MainWindow]


def test_rename_recolour_and_rekey_a_label(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("kim")
    select_qt(window, "Beijing")
    qtbot.keyClick(window.view, Qt.Key.Key_G)
    assert window.project is not None
    editor = SchemaEditor(window.project.schema, window)
    row = window.project.schema.label_names().index("GPE")
    name = editor.table.cellWidget(row, NAME)
    assert isinstance(name, QLineEdit)
    name.setText("PLACE")
    color = editor.table.cellWidget(row, 2)
    assert isinstance(color, ColorButton)
    color.set_color("#123456")
    hotkey = editor.table.cellWidget(row, HOTKEY)
    assert isinstance(hotkey, QKeySequenceEdit)
    hotkey.setKeySequence(QKeySequence("K"))
    schema, renames = editor.build()
    assert renames == {"GPE": "PLACE"}
    window.loader.apply_schema(schema, renames)

    config = orjson.loads((path / "annotator.json").read_bytes())
    place = next(label for label in config["schema"]["labels"] if label["name"] == "PLACE")
    assert place["color"] == "#123456" and place["hotkey"] == "K"
    assert "PLACE" in config["schema"]["relations"][0]["tail"]
    assert spans(path, "kim")[0]["label"] == "PLACE"
    assert "PLACE" in window.palette_widget.buttons
    select_qt(window, "Kim Jong Un")
    qtbot.keyClick(window.view, Qt.Key.Key_K)  # the new hotkey works at once
    assert {s["label"] for s in spans(path, "kim")} == {"PLACE"}


def test_schema_editor_refuses_duplicate_hotkeys_and_adds_labels(
    make_project: Callable[..., Path], open_main: Opener
) -> None:
    window = open_main(make_project())
    assert window.project is not None
    editor = SchemaEditor(window.project.schema, window)
    hotkey = editor.table.cellWidget(0, HOTKEY)
    assert isinstance(hotkey, QKeySequenceEdit)
    hotkey.setKeySequence(QKeySequence("O"))  # ORG's key
    with pytest.raises(ValueError, match="hotkey"):
        editor.build()
    hotkey.setKeySequence(QKeySequence("R"))  # the relation's key
    with pytest.raises(ValueError, match="relation"):
        editor.build()
    hotkey.setKeySequence(QKeySequence("P"))
    editor._new_label()
    schema, renames = editor.build()
    assert schema.labels[-1].name == "LABEL1" and renames == {}
    editor._save()
    assert editor.result() == SchemaEditor.DialogCode.Accepted


def test_settings_font_recent_projects_and_theme(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot, settings: Settings
) -> None:
    first = make_project(name="one")
    second = make_project(name="two")
    window = open_main(first)
    size = settings.font_size
    qtbot.keyClick(window.view, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert settings.font_size == size + 1
    assert window.view.font().pointSizeF() == size + 1
    window.loader.open_project(second)
    assert window.project is not None and window.project.path == second
    assert settings.recent_projects()[:2] == [str(second.resolve()), str(first.resolve())]
    assert settings.last_project == str(second.resolve())
    window.dark_action.setChecked(True)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert app.palette().base().color().lightness() < 80
    assert settings.dark
    window.dark_action.setChecked(False)
    assert app.palette().base().color().lightness() > 200
    window.close()
    assert settings.geometry() is not None and settings.window_state() is not None


def test_snapping_toggle_is_remembered(
    make_project: Callable[..., Path], open_main: Opener, settings: Settings
) -> None:
    window = open_main(make_project())
    window.palette_widget.snapping.setChecked(False)
    assert not window.snap_action.isChecked()
    assert settings.snapping is False


def test_open_window_and_run_gui(
    make_project: Callable[..., Path], qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from annotator.ui import app as app_module

    path = make_project()
    window = app_module.open_window(str(path), "bob")
    qtbot.addWidget(window)
    assert window.findChild(QLineEdit) is not None
    assert window.view.objectName() == "documentView"
    assert window.document_list is not None
    assert window.document_list.view.objectName() == "documentList"
    window.close()

    isolated = Settings(QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
    monkeypatch.setattr(app_module, "Settings", lambda: isolated)
    asked: list[str] = []

    from annotator.ui.welcome import WelcomeDialog

    def ask(dialog: WelcomeDialog) -> int:
        asked.append("once")
        dialog.name_edit.setText("carol")
        return int(WelcomeDialog.DialogCode.Accepted.value)

    # ask_annotator imports the dialog when it needs it: patch the class itself.
    monkeypatch.setattr(WelcomeDialog, "exec", ask)

    def close_soon() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        if not windows or any(window.loading for window in windows):
            QTimer.singleShot(20, close_soon)  # run_gui opens the project after the first paint
            return
        for window in windows:
            QTimer.singleShot(0, window.close)

    QTimer.singleShot(200, close_soon)
    assert app_module.run_gui(path, None) == 0
    assert asked == ["once"] and isolated.annotator == "carol"
    assert (path / "annotations" / "carol.jsonl").exists()
    QTimer.singleShot(200, close_soon)
    assert app_module.run_gui(path, None) == 0
    assert asked == ["once"]  # the saved name is used, not asked again
    # Both opened their layer; neither saved a label, so neither counts as an annotator yet.
    layers = sorted(file.stem for file in (path / "annotations").glob("*.jsonl"))
    assert layers == ["bob", "carol"]
    assert Project.open(path).annotators() == []
