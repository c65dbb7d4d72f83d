"""The document list reads the rows it shows: a large project opens without reading
every document, and the list still scrolls, filters, searches and steps as before."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from annotator.store import Project
from annotator.ui import document_list
from annotator.ui.document_list import ShownRows
from annotator.ui.main_window import MainWindow

COUNT = 2_000


def test_shown_rows_map_list_rows_to_project_rows_both_ways() -> None:
    every = ShownRows(10)
    assert len(every) == 10 and every.project_row(7) == 7 and every.list_row(9) == 9
    assert every.list_row(10) is None
    some = ShownRows(10, included=[2, 5, 9])
    assert len(some) == 3 and [some.project_row(r) for r in range(3)] == [2, 5, 9]
    assert some.list_row(5) == 1 and some.list_row(4) is None
    but = ShownRows(10, excluded=[0, 3, 4, 9])
    shown = [but.project_row(r) for r in range(len(but))]
    assert shown == [1, 2, 5, 6, 7, 8]
    assert [but.list_row(p) for p in shown] == list(range(6))
    assert but.list_row(3) is None and but.list_row(0) is None


@pytest.fixture
def large(make_project: Callable[..., Path]) -> Path:
    texts = {f"n{n:05}": f"Story {n} from Beijing." for n in range(COUNT)}
    texts["n01500"] = "The Minister of Ukulele spoke."
    return make_project(texts)


def test_a_large_project_opens_reading_only_the_rows_shown(
    large: Path,
    open_main: Callable[..., MainWindow],
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def every_document(self: Project) -> Any:
        raise AssertionError("the window read every document")

    monkeypatch.setattr(Project, "entries", every_document)
    monkeypatch.setattr(Project, "document_ids", every_document)
    pages: list[tuple[int, int]] = []
    rows_of_project = Project.entry_rows

    def entry_rows(self: Project, start: int, stop: int) -> Any:
        pages.append((start, stop))
        return rows_of_project(self, start, stop)

    monkeypatch.setattr(Project, "entry_rows", entry_rows)
    window = open_main(large)
    listing = window.document_list
    assert listing is not None and window.current == "n00000"
    assert listing.model.rowCount() == COUNT
    assert listing.progress.text() == f"<b>0 of {COUNT:,} done</b>"
    # The rows on screen, a page at a time, not the whole list.
    assert 0 < len(pages) <= 3 and all(stop - start == document_list.PAGE for start, stop in pages)

    # It scrolls to the end and steps through documents.
    listing.view.scrollToBottom()
    qtbot.wait(10)
    last = listing.model.index(COUNT - 1, 0)
    assert last.data() == f"Article n{COUNT - 1:05}"
    window.loader.step_document(1)
    assert window.current == "n00001"
    window.editing.set_status("done")
    qtbot.keyClick(window.view, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    assert window.current == "n00002"
    window.show_document(f"n{COUNT - 1:05}")
    assert listing.current_id() == f"n{COUNT - 1:05}"
    window.editing.set_status("skipped")
    assert listing.progress.text() == f"<b>1 of {COUNT:,} done</b>"

    # Filters: by status (the few labelled documents, or all but them) and by search.
    listing.status_filter.setCurrentIndex(listing.status_filter.findData("done"))
    assert listing.model.rowCount() == 1
    assert listing.model.index(0, 0).data(Qt.ItemDataRole.UserRole) == "n00001"
    listing.status_filter.setCurrentIndex(listing.status_filter.findData("todo"))
    assert listing.model.rowCount() == COUNT - 2
    assert listing.model.index(1, 0).data(Qt.ItemDataRole.UserRole) == "n00002"
    listing.search.setText("ukulele")
    listing._apply_search()  # the debounce timer, without waiting for it
    assert listing.model.rowCount() == 1
    assert listing.model.index(0, 0).data(Qt.ItemDataRole.UserRole) == "n01500"
    # The open document, filtered out, is shown again with every document when chosen.
    window.show_document("n00001")
    assert listing.model.rowCount() == COUNT and listing.current_id() == "n00001"
    assert len(pages) < 30


@pytest.mark.postgres
def test_a_window_on_a_database_reads_no_whole_list(
    postgres_url: str, qtbot: QtBot, settings: Any
) -> None:
    from annotator.core.models import Document
    from annotator.store.postgres import open_postgres
    from annotator.store.postgres.project import PostgresProject

    with open_postgres(postgres_url) as store:
        store.add_documents(
            [Document(id=f"d{n:04}", text=f"Story {n}, Café Ünter.") for n in range(1_000)]
        )
    window = MainWindow(postgres_url, "alice", settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.current is not None, timeout=10_000)
    listing = window.document_list
    project = window.project
    assert listing is not None and isinstance(project, PostgresProject)
    assert listing.model.rowCount() == 1_000 and window.current == "d0000"
    window.editing.set_status("done")
    qtbot.keyClick(window.view, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    listing.search.setText("story 999,")
    listing._apply_search()
    assert (
        [listing.model.index(0, 0).data()]
        == ["d0999"]
        == [listing.model.index(r, 0).data() for r in range(listing.model.rowCount())]
    )
    listing.search.setText("ÜNTER")  # lowered by Unicode's rules on the server
    listing._apply_search()
    assert listing.model.rowCount() == 1_000
    assert not project._listed
    window.close()
