"""The window on a store that can be out of reach: "Offline, N edits waiting", then
"Back online: N edits sent".

The real MainWindow opens a folder project that says it is remote, and whose
annotation layer is behind a switch that takes it out of reach (tests/offline/flaky.py):
the window wraps it in the offline buffer as it would a database store's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from annotator.store import Project
from annotator.store.offline import OfflineBufferedLayer
from annotator.ui.main_window import MainWindow
from annotator.ui.offline_sender import OfflineSender
from tests.offline.flaky import FlakyLayer, Switch
from tests.ui.test_labelling import select_qt, spans

Opener = Callable[..., MainWindow]


@pytest.fixture
def switch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Switch]:
    """Folder projects open as remote stores whose writers are behind this switch."""
    switch = Switch()
    annotations = Project.annotations

    def flaky_annotations(self: Project, annotator: str, writable: bool = True) -> object:
        layer = annotations(self, annotator, writable)
        return FlakyLayer(layer, switch) if writable else layer

    monkeypatch.setattr(Project, "remote", True)
    monkeypatch.setattr(Project, "annotations", flaky_annotations)
    monkeypatch.setattr(OfflineSender, "FIRST_DELAY_MS", 30)
    yield switch


def label(window: MainWindow, qtbot: QtBot, doc_id: str, phrase: str, key: Qt.Key) -> None:
    window.show_document(doc_id)
    select_qt(window, phrase)
    qtbot.keyClick(window.view, key)
    QApplication.processEvents()  # the save runs on the next turn of the event loop


def test_the_status_bar_counts_edits_waiting_and_says_when_they_are_sent(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot, switch: Switch
) -> None:
    path = make_project()
    window = open_main(path)
    assert window.session is not None and isinstance(window.session.store, OfflineBufferedLayer)
    label(window, qtbot, "kim", "Beijing", Qt.Key.Key_G)
    assert window.save_label.text() == "All changes saved"
    assert [s["text"] for s in spans(path, "kim")] == ["Beijing"]

    switch.down = True
    label(window, qtbot, "quote", "Putin", Qt.Key.Key_P)
    assert window.save_label.text() == "Offline, 1 edit waiting"
    assert "could not connect" in window.save_label.toolTip()
    assert not window.windowTitle().startswith("*")  # kept on disk: nothing to lose
    label(window, qtbot, "emoji", "Xi Jinping", Qt.Key.Key_P)
    label(window, qtbot, "quote", "Beijing", Qt.Key.Key_G)
    assert window.save_label.text() == "Offline, 2 edits waiting"
    assert spans(path, "quote") == [] and spans(path, "emoji") == []  # not on the server
    assert [s.text for s in window.session.annotation("quote").spans] == ["Putin", "Beijing"]
    assert window.session.outcome("quote") == "offline"

    switch.down = False
    qtbot.waitUntil(lambda: window.save_label.text() == "All changes saved", timeout=10_000)
    assert window.statusBar().currentMessage() == "Back online: 2 edits sent"
    assert [s["text"] for s in spans(path, "quote")] == ["Putin", "Beijing"]
    assert [s["text"] for s in spans(path, "emoji")] == ["Xi Jinping"]
    assert window.session.waiting == 0


def test_the_sender_backs_off_while_the_store_stays_out_of_reach(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot, switch: Switch
) -> None:
    window = open_main(make_project())
    sender = window.loader.offline_sender
    assert sender is not None and not sender.active
    switch.down = True
    label(window, qtbot, "kim", "Beijing", Qt.Key.Key_G)
    assert sender.active and sender._timer.interval() == 30
    # Connected after the sender's own slot: runs once each failed try has set the next.
    delays: list[int] = []
    sender._timer.timeout.connect(lambda: delays.append(sender._timer.interval()))
    qtbot.waitUntil(lambda: len(delays) >= 4, timeout=10_000)
    assert delays[:4] == [60, 120, 240, 480]
    assert window.save_label.text() == "Offline, 1 edit waiting"


def test_edits_left_waiting_when_the_window_closed_are_sent_at_the_next_open(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot, switch: Switch
) -> None:
    path = make_project()
    window = open_main(path)
    switch.down = True
    label(window, qtbot, "kim", "Beijing", Qt.Key.Key_G)
    assert window.save_label.text() == "Offline, 1 edit waiting"
    window.close()  # closes without asking: the edit is kept on this computer
    assert window.project is None
    assert spans(path, "kim") == []

    switch.down = False
    again = open_main(path)
    qtbot.waitUntil(
        lambda: again.statusBar().currentMessage() == "Back online: 1 edit sent", timeout=10_000
    )
    assert [s["text"] for s in spans(path, "kim")] == ["Beijing"]
    assert again.save_label.text() == "All changes saved"
