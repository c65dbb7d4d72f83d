"""Windows on a team server: colleagues' saves show live, and Ctrl+J asks the server.

Each test opens a window on a real PostgreSQL database (a throwaway cluster, see
tests/store/postgres/server.py) and stands in for a second program with a second
connection to the same database through the store's API.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from annotator.core.models import Document, DocumentAnnotation, Span, text_hash
from annotator.store.postgres import open_postgres
from annotator.ui.live_refresh import follower_of
from annotator.ui.main_window import MainWindow
from annotator.ui.review_app import open_review
from annotator.ui.review_mode import ReviewWindow
from annotator.ui.settings import Settings

pytestmark = pytest.mark.postgres

TEXTS = {
    "d1": "Putin met Xi Jinping in Beijing 🎉 on Tuesday.",
    "d2": "Kim Jong Un’s visit to Beijing surprised analysts.",
    "d3": "Cafe\u0301 owner Jose\u0301 spoke in Beijing.",
}


def labelled(doc_id: str, label: str = "GPE", status: str = "done") -> DocumentAnnotation:
    text = TEXTS[doc_id]
    labels = DocumentAnnotation(doc_id=doc_id, text_hash=text_hash(text))
    start = text.index("Beijing")
    labels.add_span(Span.of(text, start, start + len("Beijing"), label, "T1"))
    labels.status = status  # type: ignore[assignment]
    return labels


@pytest.fixture
def team_url(postgres_url: str) -> str:
    with open_postgres(postgres_url) as store:
        store.add_documents(
            [
                Document(id=doc_id, text=text, meta={"title": doc_id})
                for doc_id, text in TEXTS.items()
            ]
        )
        store.save_settings({"analysts_per_document": 1})
    return postgres_url


@pytest.fixture
def window_of(qtbot: QtBot, settings: Settings) -> Iterator[object]:
    windows: list[MainWindow] = []

    def open_(url: str, annotator: str) -> MainWindow:
        window = MainWindow(url, annotator, settings)
        qtbot.addWidget(window)
        window.show()
        window.activateWindow()
        with qtbot.waitActive(window):
            pass
        windows.append(window)
        return window

    yield open_
    for window in windows:
        if window.project is not None:
            window.close()


def team_line(window: MainWindow) -> str:
    document_list = window.loader.document_list
    assert document_list is not None
    return document_list.team.text()


def test_a_colleagues_save_shows_in_the_open_window_within_a_few_ticks(
    team_url: str, window_of: object, qtbot: QtBot
) -> None:
    window: MainWindow = window_of(team_url, "alice")  # type: ignore[operator]
    assert team_line(window) == "Team: no document handed out yet"
    own_text = window.view.toPlainText()
    with open_postgres(team_url) as bob:
        assert bob.next_document("bob") == "d1"
        bob.annotations("bob").save(labelled("d1"))
        qtbot.waitUntil(
            lambda: team_line(window) == "Team: bob 1 done / 1 handed out", timeout=3000
        )
    # Bob's labels are his: Alice's own list and open document are untouched.
    document_list = window.loader.document_list
    assert document_list is not None
    assert document_list.done_count() == 0
    assert window.view.toPlainText() == own_text
    assert window.loader.session is not None
    assert window.loader.session.status("d1") == "todo"


def test_ctrl_j_takes_the_next_document_the_server_hands_out(
    team_url: str, window_of: object, qtbot: QtBot
) -> None:
    window: MainWindow = window_of(team_url, "alice")  # type: ignore[operator]
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    assert window.loader.current == "d1"
    with open_postgres(team_url) as bob:
        assert bob.next_document("bob") == "d2"
        qtbot.keyClick(window.view, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
        assert window.loader.current == "d3"
        qtbot.keyClick(window.view, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
        assert window.loader.current == "d3"
        assert window.statusBar().currentMessage() == (
            "No document needs you now: every document has its analysts"
        )
        assert bob.next_document("bob") is None
    assert team_line(window) == ("Team: alice 0 done / 2 handed out · bob 0 done / 1 handed out")


def test_alices_done_status_updates_her_own_count_in_the_team_line(
    team_url: str, window_of: object, qtbot: QtBot
) -> None:
    window: MainWindow = window_of(team_url, "alice")  # type: ignore[operator]
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    window.editing.set_status("done")
    qtbot.waitUntil(lambda: team_line(window) == "Team: alice 1 done / 1 handed out", timeout=3000)


def team_of(window: ReviewWindow) -> str:
    follower = follower_of(window)
    assert follower is not None
    return follower.team.text()


def test_review_mode_compares_the_analysts_saves_as_they_come(team_url: str, qtbot: QtBot) -> None:
    with open_postgres(team_url) as seed:
        seed.annotations("alice").save(labelled("d1", "GPE"))
        seed.annotations("bob").save(labelled("d1", "GPE"))
    window: ReviewWindow = open_review(team_url, "carol")
    qtbot.addWidget(window)
    try:
        assert window.doc_ids == ["d1"]
        assert window.items == []
        assert team_of(window) == "Team: alice 1 done / 0 handed out · bob 1 done / 0 handed out"
        with open_postgres(team_url) as bob:
            # Bob changes his mind on d1 and labels d2, which Alice labelled too.
            bob.annotations("bob").save(labelled("d1", "LOC"))
            bob.annotations("alice").save(labelled("d2", "GPE"))
            bob.annotations("bob").save(labelled("d2", "GPE"))
            qtbot.waitUntil(lambda: window.doc_ids == ["d1", "d2"], timeout=3000)
            qtbot.waitUntil(lambda: len(window.items) == 1, timeout=3000)
        assert window.documents.count() == 2
        assert "1 of 1 disagreements open" in window.documents.item(0).text()
        assert team_of(window) == "Team: alice 2 done / 0 handed out · bob 2 done / 0 handed out"
        assert "1 of 1 disagreements open" in window.status.text()
    finally:
        window.close()


def test_a_reviewer_who_comes_first_waits_for_the_analysts_and_takes_in_each_one(
    team_url: str, qtbot: QtBot
) -> None:
    """On a team server the reviewer may open the window before anyone labelled; the
    analysts who start afterwards are compared as they save, a third one too."""
    window: ReviewWindow = open_review(team_url, "carol")
    qtbot.addWidget(window)
    try:
        assert window.annotators == [] and window.doc_ids == []
        assert window.status.text() == (
            "Reviewer carol · waiting for two analysts' labels (so far: none yet)"
        )
        assert window.agreement.headline.text() == (
            "Agreement needs two analysts' labels (so far: none yet)."
        )
        with open_postgres(team_url) as team:
            team.annotations("alice").save(labelled("d1", "GPE"))
            qtbot.waitUntil(lambda: window.annotators == ["alice"], timeout=3000)
            assert "(so far: alice)" in window.status.text() and window.doc_ids == []
            team.annotations("bob").save(labelled("d1", "LOC"))
            qtbot.waitUntil(lambda: window.doc_ids == ["d1"], timeout=3000)
            assert window.annotators == ["alice", "bob"] and len(window.items) == 1
            assert window.report.pairs[0].documents == 1
            team.annotations("dora").save(labelled("d1", "GPE"))
            qtbot.waitUntil(lambda: window.annotators == ["alice", "bob", "dora"], timeout=3000)
            qtbot.waitUntil(lambda: len(window.report.pairs) == 3, timeout=3000)
        assert "comparing alice, bob, dora" in window.status.text()
        assert window.agreement.headline.text().startswith("<b>alice, bob, dora</b> on 1 documents")
    finally:
        window.close()


def test_a_reviewer_who_named_the_analysts_keeps_to_them(team_url: str, qtbot: QtBot) -> None:
    with open_postgres(team_url) as seed:
        seed.annotations("alice").save(labelled("d1", "GPE"))
        seed.annotations("bob").save(labelled("d1", "GPE"))
    window: ReviewWindow = open_review(team_url, "carol", ["alice", "bob"])
    qtbot.addWidget(window)
    try:
        with open_postgres(team_url) as team:
            team.annotations("dora").save(labelled("d1", "LOC"))
            team.annotations("bob").save(labelled("d2", "GPE"))
            qtbot.waitUntil(lambda: "bob 2 done" in team_of(window), timeout=3000)
        assert window.annotators == ["alice", "bob"] and window.items == []
    finally:
        window.close()


def test_a_folder_project_is_not_polled_and_ctrl_j_scans_the_list(
    make_project: object, window_of: object, qtbot: QtBot
) -> None:
    path = make_project({"a": "Putin met Xi.", "b": "Kim 👍🏽 left."})  # type: ignore[operator]
    window: MainWindow = window_of(path, "alice")  # type: ignore[operator]
    assert window.loader.live is None
    document_list = window.loader.document_list
    assert document_list is not None
    assert document_list.team.isHidden()
    assert window.loader.current == "a"
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    assert window.loader.current == "b"


def test_polling_stops_with_the_window(team_url: str, window_of: object, qtbot: QtBot) -> None:
    window: MainWindow = window_of(team_url, "alice")  # type: ignore[operator]
    live = window.loader.live
    assert live is not None and live.timer.isActive()
    window.close()
    assert not live.timer.isActive()
    with open_postgres(team_url) as seed:
        seed.annotations("alice").save(labelled("d1"))
        seed.annotations("bob").save(labelled("d1"))
    review: ReviewWindow = open_review(team_url, "carol")
    qtbot.addWidget(review)
    follower = follower_of(review)
    assert follower is not None and follower.live is not None
    assert follower.live.timer.isActive()
    review.close()
    assert not follower.live.timer.isActive()


def test_a_colleague_taking_a_document_updates_the_team_line(
    team_url: str, window_of: object, qtbot: QtBot
) -> None:
    window: MainWindow = window_of(team_url, "alice")  # type: ignore[operator]
    with open_postgres(team_url) as bob:
        assert bob.next_document("bob") == "d1"
        qtbot.waitUntil(
            lambda: team_line(window) == "Team: bob 0 done / 1 handed out", timeout=3000
        )
