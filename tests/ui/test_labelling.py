"""Labelling through real widgets: selections, hotkeys, clicks, and what lands on disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QToolTip
from pytestqt.qtbot import QtBot

from annotator.ui.main_window import MainWindow
from tests.ui.conftest import TEXTS, journal

Opener = Callable[..., MainWindow]


def select_qt(window: MainWindow, text: str, occurrence: int = 0) -> None:
    """Select ``text`` with a real QTextCursor, finding it with Qt's own search."""
    document = window.view.document()
    cursor = QTextCursor(document)
    for _ in range(occurrence + 1):
        cursor = document.find(text, cursor)
    assert not cursor.isNull(), text
    window.view.setTextCursor(cursor)


def point_of(window: MainWindow, offset: int) -> QPoint:
    """The viewport point in the middle of the character at a code-point offset."""
    cursor = QTextCursor(window.view.document())
    cursor.setPosition(window.view.offsets.to_qt(offset))
    left = window.view.cursorRect(cursor)
    cursor.setPosition(window.view.offsets.to_qt(offset + 1))
    right = window.view.cursorRect(cursor)
    return QPoint((left.x() + right.x()) // 2, left.center().y())


def click_offset(qtbot: QtBot, window: MainWindow, offset: int) -> None:
    qtbot.mouseClick(
        window.view.viewport(), Qt.MouseButton.LeftButton, pos=point_of(window, offset)
    )


def background_at(window: MainWindow, offset: int) -> str | None:
    """The colour the view paints under the character at ``offset``, if any."""
    color = window.view.background_at(offset)
    return None if color is None else str(color.name())


def spans(path: Path, doc_id: str) -> list[dict[str, Any]]:
    record = journal(path).get(doc_id)
    return list(record["spans"]) if record else []  # type: ignore[call-overload]


def test_select_and_press_hotkey_saves_the_span(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("kim")
    select_qt(window, "Beijing")
    qtbot.keyClick(window.view, Qt.Key.Key_G)
    saved = spans(path, "kim")
    assert [(s["label"], s["text"]) for s in saved] == [("GPE", "Beijing")]
    assert journal(path)["kim"]["status"] == "in_progress"
    # The same label on the same range again does nothing.
    select_qt(window, "Beijing")
    qtbot.keyClick(window.view, Qt.Key.Key_G)
    assert len(spans(path, "kim")) == 1
    assert window.windowTitle().startswith("Article kim")  # no unsaved marker


def test_mouse_drag_selects_and_snaps_to_words(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("kim")
    text = window.view.text
    # Drag from inside "Kim" to inside "Un" (not including the possessive).
    start, end = text.index("im Jong"), text.index("Un’s") + 1
    viewport = window.view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=point_of(window, start))
    qtbot.mouseMove(viewport, point_of(window, end))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=point_of(window, end))
    assert window.view.selected_range() is not None
    qtbot.keyClick(window.view, Qt.Key.Key_P)
    assert [s["text"] for s in spans(path, "kim")] == ["Kim Jong Un"]


def test_double_click_selects_a_word_and_palette_button_labels_it(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("quote")
    offset = window.view.text.index("Tuesday") + 2
    qtbot.mouseDClick(
        window.view.viewport(), Qt.MouseButton.LeftButton, pos=point_of(window, offset)
    )
    qtbot.mouseClick(window.palette_widget.buttons["DATE"], Qt.MouseButton.LeftButton)
    assert [(s["label"], s["text"]) for s in spans(path, "quote")] == [("DATE", "Tuesday")]


def test_click_span_then_delete_and_relabel(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("kim")
    select_qt(window, "Lee Min-ho")
    qtbot.keyClick(window.view, Qt.Key.Key_O)
    window.select_span(None)
    click_offset(qtbot, window, window.view.text.index("Min-ho"))
    assert window.view.selected_span == "T1"
    qtbot.keyClick(window.view, Qt.Key.Key_P)  # relabel the selected span
    assert [(s["label"], s["text"]) for s in spans(path, "kim")] == [("PERSON", "Lee Min-ho")]
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert spans(path, "kim") == []
    assert window.panel.span_model.rowCount() == 0


def test_overlapping_and_nested_spans_are_both_kept_and_drawn(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("kim")
    select_qt(window, "Lee Min-ho of the U.S. embassy")
    qtbot.keyClick(window.view, Qt.Key.Key_S)
    select_qt(window, "Lee Min-ho")
    qtbot.keyClick(window.view, Qt.Key.Key_P)
    select_qt(window, "U.S.")
    qtbot.keyClick(window.view, Qt.Key.Key_G)
    assert sorted(s["text"] for s in spans(path, "kim")) == [
        "Lee Min-ho",
        "Lee Min-ho of the U.S. embassy",
        "U.S.",
    ]
    # Nested spans get separate underline lanes; each character shows its innermost span.
    block = window.view.index.block_of(0)
    lanes = window.view.index.lanes(block)
    assert lanes["T1"] != lanes["T2"]
    segments = window.view.index.segments(block, len(window.view.text))
    assert ("SOURCE", "PERSON") in [segment.labels for segment in segments]
    inner = background_at(window, window.view.text.index("Min"))
    outer = background_at(window, window.view.text.index("embassy"))
    plain = background_at(window, window.view.text.index("visit"))
    assert inner is not None and outer is not None and plain is None
    assert inner != outer


def test_hover_shows_the_labels_of_a_span(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("kim")
    select_qt(window, "Beijing")
    qtbot.keyClick(window.view, Qt.Key.Key_G)
    point = point_of(window, window.view.text.index("Beijing") + 1)
    assert window.view.spans_at(point) == ["T1"]
    viewport = window.view.viewport()
    event = QHelpEvent(QEvent.Type.ToolTip, point, viewport.mapToGlobal(point))
    QApplication.sendEvent(viewport, event)
    assert "GPE" in QToolTip.text() and "Beijing" in QToolTip.text()
    QToolTip.hideText()


def test_attribution_with_r_then_click_on_source(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("quote")
    window.snap_action.setChecked(False)
    select_qt(window, '"we remain together now"')
    qtbot.keyClick(window.view, Qt.Key.Key_Q)
    select_qt(window, "Putin")
    qtbot.keyClick(window.view, Qt.Key.Key_P)
    select_qt(window, "Beijing")
    qtbot.keyClick(window.view, Qt.Key.Key_G)
    text = window.view.text
    # Select the quote by clicking it, press R, then click the speaker.
    click_offset(qtbot, window, text.index("remain"))
    assert window.view.selected_span == "T1"
    qtbot.keyClick(window.view, Qt.Key.Key_R)
    assert window.editing.pending_relation == ("ATTRIBUTED_TO", "T1")
    click_offset(qtbot, window, text.index("Putin") + 1)
    relations = journal(path)["quote"]["relations"]
    assert relations == [
        {"id": "R1", "label": "ATTRIBUTED_TO", "head": "T1", "tail": "T2", "note": ""}
    ]
    assert window.panel.relation_view.topLevelItemCount() == 1
    assert window.view.arrows and window.view.arrows[0].tail == "T2"
    # From a PERSON (not a quote or claim) the relation is refused.
    click_offset(qtbot, window, text.index("Putin") + 1)
    qtbot.keyClick(window.view, Qt.Key.Key_R)
    assert window.editing.pending_relation is None
    # Deleting the quote removes its attribution; undo brings both back.
    click_offset(qtbot, window, text.index("remain"))
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert journal(path)["quote"]["relations"] == []
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(journal(path)["quote"]["relations"]) == 1


def test_statuses_with_shortcuts_and_progress(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("kim")
    assert window.document_list is not None
    assert "0 of 6 done" in window.document_list.progress.text()
    qtbot.keyClick(window.view, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    assert journal(path)["kim"]["status"] == "done"
    assert "1 of 6 done" in window.document_list.progress.text()
    qtbot.keyClick(window.view, Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)
    assert journal(path)["kim"]["status"] == "flagged"
    assert window.panel.status.currentData() == "flagged"
    assert "0 of 6 done" in window.document_list.progress.text()
    # The status box in the panel is another way in.
    window.panel.status.setCurrentIndex(3)
    assert journal(path)["kim"]["status"] == "skipped"


def test_navigation_next_previous_and_next_unlabelled(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project()
    window = open_main(path)
    order = list(TEXTS)
    window.show_document(order[0])
    qtbot.keyClick(window.view, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.current == order[1]
    qtbot.keyClick(window.view, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert window.current == order[0]
    # Mark the first done and jump: the next one still to do is the second.
    qtbot.keyClick(window.view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert journal(path)[order[0]]["status"] == "done"
    assert window.current == order[1]
    window.editing.set_status("skipped")
    qtbot.keyClick(window.view, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    assert window.current == order[2]
    assert window.document_list is not None
    assert window.document_list.current_id() == order[2]


def test_document_list_filters(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("kim")
    window.editing.set_status("done")
    document_list = window.document_list
    assert document_list is not None
    document_list.status_filter.setCurrentIndex(3)  # done
    assert document_list.model.rowCount() == 1
    document_list.status_filter.setCurrentIndex(0)
    document_list.search.setText("習近平"[:0] + "习近平")
    document_list._apply_search()  # the debounce timer, without waiting for it
    assert document_list.model.rowCount() == 1
    assert document_list.model.index(0, 0).data(Qt.ItemDataRole.UserRole) == "cjk"
    document_list.search.setText("article e")
    document_list._apply_search()
    assert document_list.model.rowCount() == 1  # title search


def test_notes_on_document_and_span(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot, monkeypatch: Any
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("kim")
    window.panel.note.setFocus()
    qtbot.keyClicks(window.panel.note, "check the date")
    qtbot.keyClick(window.panel.note, Qt.Key.Key_Return)
    assert journal(path)["kim"]["note"] == "check the date"
    select_qt(window, "Beijing")
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_G)
    # The window imports its dialogs where it uses them: patch the class itself.
    monkeypatch.setattr("PySide6.QtWidgets.QInputDialog.getText", lambda *a, **k: ("capital", True))
    qtbot.keyClick(window.view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert spans(path, "kim")[0]["note"] == "capital"


def test_find_selects_the_match_for_labelling(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("emoji")
    qtbot.keyClick(window.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.find_bar.isVisible()
    qtbot.keyClicks(window.find_bar.field, "putin")
    qtbot.keyClick(window.find_bar.field, Qt.Key.Key_Return)
    start = window.view.text.index("Putin")
    assert window.view.selected_range() == (start, start + 5)
    qtbot.keyClick(window.find_bar.field, Qt.Key.Key_Escape)
    assert not window.find_bar.isVisible()
    qtbot.keyClick(window.view, Qt.Key.Key_P)
    assert spans(path, "emoji")[0]["text"] == "Putin"


def test_find_searches_the_document_in_view_after_a_switch(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project()
    window = open_main(path)
    window.show_document("cjk")
    qtbot.keyClick(window.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    window.find_bar.field.insert("普京")  # as an input method commits it (keyClicks is ASCII)
    start = TEXTS["cjk"].index("普京")
    assert window.view.selected_range() == (start, start + 2)  # found as typed
    qtbot.keyClick(window.find_bar.field, Qt.Key.Key_Escape)
    window.show_document("crlf")
    qtbot.keyClick(window.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    window.find_bar.field.selectAll()
    qtbot.keyClicks(window.find_bar.field, "Third")
    start = TEXTS["crlf"].index("Third")
    assert window.view.selected_range() == (start, start + 5)


def test_help_lists_every_shortcut(make_project: Callable[..., Path], open_main: Opener) -> None:
    window = open_main(make_project())
    dialog = window.help_dialog()
    keys = " ".join(keys for keys, _ in dialog.rows)
    assert len(dialog.rows) == len({row for row in dialog.rows})  # each listed once
    for label in window.project.schema.labels:  # type: ignore[union-attr]
        assert label.hotkey in keys
    needed_keys = ("Ctrl+Z", "Ctrl+Shift+Z", "Ctrl+Y", "Ctrl+F", "Ctrl+S", "Alt+3", "Ctrl+J", "R")
    for needed in (*needed_keys, "Ctrl+Shift+L", "F1"):
        assert needed in keys, needed
    for action in window.actions():
        for shortcut in action.shortcuts():
            assert shortcut.toString() in keys


def test_read_only_when_another_program_holds_the_lock(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    from annotator.store import Project

    path = make_project()
    other = Project.open(path)
    other_store = other.annotations("alice")  # another program labelling as alice
    try:
        window = open_main(path)
        assert window.session is not None and not window.session.writable
        assert window.loader.lock_message is not None
        qtbot.waitUntil(
            lambda: (
                window.loader.lock_message is not None and window.loader.lock_message.isVisible()
            )
        )
        window.loader.lock_message.close()
        assert "[read-only]" in window.windowTitle()
        window.show_document("kim")
        select_qt(window, "Beijing")
        qtbot.keyClick(window.view, Qt.Key.Key_G)
        assert journal(path) == {}
    finally:
        other_store.close()
        other.close()


def test_labels_made_on_another_text_are_not_applied(
    make_project: Callable[..., Path], open_main: Opener
) -> None:
    import orjson

    path = make_project()
    record = {
        "doc_id": "kim",
        "text_hash": "0000000000000000",
        "status": "in_progress",
        "spans": [{"id": "T1", "start": 0, "end": 3, "label": "PERSON", "text": "Kim"}],
    }
    (path / "annotations" / "alice.jsonl").write_bytes(orjson.dumps(record) + b"\n")
    window = open_main(path)
    window.show_document("kim")
    assert window.banner.isVisible()
    assert "different text" in window.banner.text()
    assert len(window.view.index) == 0
    window.view.select_range(0, 3)
    window.editing.apply_label("ORG")
    assert journal(path)["kim"]["text_hash"] == "0000000000000000"  # untouched
