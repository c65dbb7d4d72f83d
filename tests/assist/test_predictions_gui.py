"""Model › Suggest from predictions file…: Citron's predicted quotes land in the analyst's
suggestions through the window (offscreen), and accepting one labels exactly its range."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from annotator.assist.suggestions import SCORE_ATTR
from annotator.core.models import Document
from annotator.store import Project
from tests.assist.test_gui import labels, open_window, press, settle  # noqa: F401
from tests.formats.test_citron import CRLF_TEXT, SPLIT_TEXT, crlf_file, split_quote_file, write


def make_project(root: Path) -> Path:
    path = root / "p"
    with Project.create(path) as project:
        project.add_documents(
            [
                Document(id="a", text=SPLIT_TEXT, meta={"title": "a"}),
                Document(id="budget", text=CRLF_TEXT.replace("\r\n", "\n")),
            ]
        )
    return path


def predictions(root: Path, first: dict[str, Any] | None = None) -> Path:
    folder = root / "predicted"
    write(folder, "a.json", first or split_quote_file())
    write(folder, "budget.json", crlf_file())
    return folder


def choose_in_box(button_text: str) -> list[str]:
    """Clicks ``button_text`` in the question box once it shows; returns its text."""
    seen: list[str] = []

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        seen.append(box.text())
        next(b for b in box.buttons() if b.text() == button_text).click()

    QTimer.singleShot(0, click)
    return seen


def run_menu(window: Any, qtbot: Any) -> None:
    action = window.table_actions["suggestFromPredictions"]
    assert action in window.menus["&Model"].actions()
    action.trigger()
    qtbot.waitUntil(lambda: window.models.task is None, timeout=30_000)
    window.activateWindow()  # back from the question box
    window.view.setFocus()
    settle()


def test_the_menu_loads_a_folder_of_predictions_as_suggestions(
    open_window: Callable[[Path], Any],  # noqa: F811
    tmp_path: Path,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    warnings: list[str],
) -> None:
    folder = predictions(tmp_path)
    window = open_window(make_project(tmp_path))
    asked = choose_in_box("Folder…")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    run_menu(window, qtbot)
    assert asked and "Citron" in asked[0]
    assert warnings == []
    pending = {(s.label, s.text): s for s in window.assist.pending()}
    assert ("QUOTE", '"it means just what I choose it to mean."') in pending
    assert ("SOURCE", "he") in pending and ("CUE", "added") in pending
    assert pending[("SOURCE", "he")].attrs[SCORE_ATTR] == pytest.approx(0.8123)
    assert "Predictions: found 10 matches in 2 documents" in window.statusBar().currentMessage()
    assert window.view.spans == {}  # suggestions, not labels

    # F8 steps to the first suggestion; A accepts it as a label of exactly that range.
    press(qtbot, window, Qt.Key.Key_F8)
    chosen = next(s for s in window.assist.pending() if s.id == window.assist.current)
    press(qtbot, window, Qt.Key.Key_A)
    (span,) = window.session.annotation("a").spans
    assert (span.start, span.end, span.label) == (chosen.start, chosen.end, chosen.label)
    assert SPLIT_TEXT[span.start : span.end] == span.text


def test_a_prediction_made_on_another_text_is_one_line_naming_the_file(
    open_window: Callable[[Path], Any],  # noqa: F811
    tmp_path: Path,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
    warnings: list[str],
) -> None:
    changed = split_quote_file()
    changed["text"] = changed["text"].replace("sat on", "sat at")
    folder = predictions(tmp_path, changed)
    window = open_window(make_project(tmp_path))
    choose_in_box("One file…")
    chosen = str(folder / "a.json")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (chosen, ""))
    run_menu(window, qtbot)
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert warnings[0].startswith(chosen) and "not the text of document a" in warnings[0]
    assert window.assist.pending() == []
