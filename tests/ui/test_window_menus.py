"""The File menu's project-wide actions: reopen, import, export and review, from the main window."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import orjson
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from annotator.ui.main_window import MainWindow


def menu_action(window: MainWindow, text: str) -> object:
    for action in window.actions():
        if action.text().replace("&", "") == text:
            return action
    raise AssertionError(f"no action {text!r}")


def when_dialog_opens(handle: Callable[[QDialog], None]) -> None:
    """Run ``handle`` on the modal dialog that is about to open, as a user would."""

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog):
            handle(dialog)
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)


def test_reopening_the_same_project_keeps_it_writable(
    open_main: Callable[..., MainWindow], make_project: Callable[..., Path]
) -> None:
    path = make_project()
    window = open_main(path)
    assert window.session is not None and window.session.writable
    window.load_project(path)  # File > Recent projects > the same project
    assert window.session is not None and window.session.writable


def test_import_from_the_file_menu_adds_documents_and_shows_them(
    open_main: Callable[..., MainWindow], make_project: Callable[..., Path], tmp_path: Path
) -> None:
    path = make_project()
    window = open_main(path)
    source = tmp_path / "new-article.txt"
    source.write_text(
        "Macron met Scholz in Berlin.\r\nThey spoke for an hour.\r\n", encoding="utf-8"
    )

    def run_import(dialog: QDialog) -> None:
        dialog.add_sources([source])  # type: ignore[attr-defined]
        assert dialog.run()  # type: ignore[attr-defined]
        dialog.accept()

    when_dialog_opens(run_import)
    menu_action(window, "Import documents and labels…").trigger()  # type: ignore[attr-defined]
    assert window.project is not None and "new-article" in window.project
    assert window.session is not None and window.session.writable
    assert window.project.get_text("new-article") == (
        "Macron met Scholz in Berlin.\nThey spoke for an hour.\n"
    )
    assert window.document_list is not None
    rows = window.document_list.view.model().rowCount()
    assert rows == len(window.project.entries()) == 7  # six tricky texts and the new article


def test_export_from_the_file_menu_writes_the_file(
    open_main: Callable[..., MainWindow], make_project: Callable[..., Path], tmp_path: Path
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("quote")
    cursor = window.view.textCursor()
    cursor.setPosition(0)
    cursor.setPosition(5, cursor.MoveMode.KeepAnchor)  # "Putin"
    window.view.setTextCursor(cursor)
    window.editing.apply_label("PERSON")
    out = tmp_path / "out.jsonl"

    def run_export(dialog: QDialog) -> None:
        index = dialog.format_box.findData("native")  # type: ignore[attr-defined]
        dialog.format_box.setCurrentIndex(index)  # type: ignore[attr-defined]
        dialog.output_edit.setText(str(out))  # type: ignore[attr-defined]
        assert dialog.run()  # type: ignore[attr-defined]
        dialog.accept()

    when_dialog_opens(run_export)
    menu_action(window, "Export labels…").trigger()  # type: ignore[attr-defined]
    records = {r["id"]: r for r in map(orjson.loads, out.read_bytes().splitlines())}
    assert [(s["text"], s["label"]) for s in records["quote"]["spans"]] == [("Putin", "PERSON")]


def test_review_opens_from_the_file_menu(
    open_main: Callable[..., MainWindow], repo_root: Path, tmp_path: Path, qtbot: QtBot
) -> None:
    path = tmp_path / "sample"
    shutil.copytree(repo_root / "resources" / "sample", path)  # alice and bob disagree there
    window = open_main(path, "carol")
    menu_action(window, "Review and agreement…").trigger()  # type: ignore[attr-defined]
    review = window.loader.review_window
    assert review is not None and review.isVisible()
    assert review.annotators == ["alice", "bob"]  # type: ignore[attr-defined]
    review.close()
    qtbot.waitUntil(lambda: not review.isVisible())
