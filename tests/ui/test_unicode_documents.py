"""Emoji, CJK, combining marks and CRLF-imported text label exactly the selected characters."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from annotator.core.models import Document
from annotator.core.text import normalize_newlines
from annotator.store import Project
from annotator.ui.main_window import MainWindow
from tests.ui.conftest import journal
from tests.ui.test_labelling import select_qt, spans

Opener = Callable[..., MainWindow]


def select_utf16(window: MainWindow, start: int, end: int) -> None:
    """Select by raw Qt positions (UTF-16 units), the way a mouse selection reports them."""
    cursor = QTextCursor(window.view.document())
    cursor.setPosition(start)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    window.view.setTextCursor(cursor)


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(
    ("doc_id", "target", "key"),
    [
        ("emoji", "Xi Jinping", Qt.Key.Key_P),  # after two emoji, one with a skin tone
        ("emoji", "👍🏽", Qt.Key.Key_E),  # the emoji itself, with its modifier
        ("cjk", "普京", Qt.Key.Key_P),  # inside CJK text
        ("cjk", "good", Qt.Key.Key_D),  # after CJK text
        ("combining", "Jose\u0301", Qt.Key.Key_P),  # ends in a combining mark
        ("combining", "Marti\u0301", Qt.Key.Key_P),
        ("crlf", "Putin", Qt.Key.Key_P),  # after lines that were CRLF in the source
    ],
)
def test_exact_characters_with_snapping_off(
    make_project: Callable[..., Path],
    open_main: Opener,
    qtbot: QtBot,
    doc_id: str,
    target: str,
    key: Qt.Key,
) -> None:
    path = make_project()
    window = open_main(path)
    window.snap_action.setChecked(False)
    window.show_document(doc_id)
    text = window.view.text
    start = text.index(target)
    # Qt positions computed independently of the view's converter.
    select_utf16(window, utf16(text[:start]), utf16(text[: start + len(target)]))
    qtbot.keyClick(window.view, key)
    saved = spans(path, doc_id)
    assert [(s["start"], s["end"], s["text"]) for s in saved] == [
        (start, start + len(target), target)
    ]
    assert window.view.textCursor().document().toPlainText()  # still showing the text


def test_crlf_file_imported_then_labelled(tmp_path: Path, open_main: Opener, qtbot: QtBot) -> None:
    raw = "Line one\r\nPutin said \u201cno\u201d.\r\n\r\nXi \U0001f44d\U0001f3fd replied.\r\n"
    text, counts, _ = normalize_newlines(raw)
    project = Project.create(tmp_path / "p")
    project.add_documents([Document(id="d", text=text, meta={"title": "CRLF", "newlines": counts})])
    project.close()
    window = open_main(tmp_path / "p")
    window.show_document("d")
    select_qt(window, "Xi")
    qtbot.keyClick(window.view, Qt.Key.Key_P)
    select_qt(window, "Putin")
    qtbot.keyClick(window.view, Qt.Key.Key_P)
    saved = journal(tmp_path / "p")["d"]["spans"]
    for span in saved:  # type: ignore[attr-defined]
        assert text[span["start"] : span["end"]] == span["text"]
    assert sorted(span["text"] for span in saved) == ["Putin", "Xi"]  # type: ignore[attr-defined]


def test_stored_crlf_text_still_labels_exactly(
    tmp_path: Path, open_main: Opener, qtbot: QtBot
) -> None:
    """Text added without normalising (a script's own import) keeps working offsets."""
    text = "Alpha\r\nBeta Putin\r\nGamma"
    project = Project.create(tmp_path / "p")
    project.add_documents([Document(id="d", text=text, meta={})])
    project.close()
    window = open_main(tmp_path / "p")
    select_qt(window, "Putin")
    qtbot.keyClick(window.view, Qt.Key.Key_P)
    span = spans(tmp_path / "p", "d")[0]
    assert text[span["start"] : span["end"]] == "Putin"
