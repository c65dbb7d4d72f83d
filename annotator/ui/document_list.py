"""The document list: title, status and span count, filters, and "N of M done"."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from annotator.core.status import STATUSES
from annotator.ui.statuses import STATUS_MARK, STATUS_TEXT
from annotator.ui.table_model import ColumnsModel, ModelIndex

if TYPE_CHECKING:
    from annotator.editing.session import Session
    from annotator.store.interface import DocumentInfo


# Rows read from the store per query, and pages kept (the rows around those shown).
PAGE = 200
_PAGES_KEPT = 64


class ShownRows:
    """Which of the project's rows the list shows, in order: all of them, only some
    (``included``, sorted), or all but some (``excluded``, sorted: "still to do" leaves
    out only the few labelled documents of a large project)."""

    def __init__(
        self, total: int, included: list[int] | None = None, excluded: list[int] | None = None
    ) -> None:
        self.total = total
        self.included = included
        self.excluded = excluded or []
        self._excluded_set = set(self.excluded)
        # Rows shown before each excluded row: the list row where each gap falls.
        self._gaps = [row - number for number, row in enumerate(self.excluded)]

    def __len__(self) -> int:
        if self.included is not None:
            return len(self.included)
        return self.total - len(self.excluded)

    def project_row(self, row: int) -> int:
        if self.included is not None:
            return self.included[row]
        return row + bisect_right(self._gaps, row)

    def list_row(self, project_row: int) -> int | None:
        if self.included is not None:
            at = bisect_left(self.included, project_row)
            found = at < len(self.included) and self.included[at] == project_row
            return at if found else None
        if not 0 <= project_row < self.total or project_row in self._excluded_set:
            return None
        return project_row - bisect_left(self.excluded, project_row)


class DocumentModel(ColumnsModel):
    """The project's documents (those the filters leave), read from the store a page at
    a time as rows are shown: a project of a million documents opens without reading
    them all."""

    COLUMNS = ("Title", "Status", "Spans")

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.project = session.project
        self.shown = ShownRows(len(self.project))
        self._pages: OrderedDict[int, Sequence[DocumentInfo]] = OrderedDict()
        self._project_rows: dict[str, int] = {}

    @property
    def total(self) -> int:
        """Documents in the project (shown or not)."""
        return self.shown.total

    def row_total(self) -> int:
        return len(self.shown)

    def entry_at(self, project_row: int) -> DocumentInfo:
        number, offset = divmod(project_row, PAGE)
        page = self._pages.get(number)
        if page is None:
            page = self.project.entry_rows(number * PAGE, (number + 1) * PAGE)
            self._pages[number] = page
            if len(self._pages) > _PAGES_KEPT:
                self._pages.popitem(last=False)
            for at, entry in enumerate(page):
                self._project_rows[entry.id] = number * PAGE + at
        else:
            self._pages.move_to_end(number)
        return page[offset]

    def entry(self, row: int) -> DocumentInfo:
        """The document at a row of the list."""
        return self.entry_at(self.shown.project_row(row))

    def project_row_of(self, doc_id: str) -> int | None:
        row = self._project_rows.get(doc_id)
        if row is None:
            row = self.project.rows_of([doc_id]).get(doc_id)
            if row is not None:
                self._project_rows[doc_id] = row
        return row

    def row_of(self, doc_id: str) -> int | None:
        """The document's row in the list, None if it is not shown."""
        row = self.project_row_of(doc_id)
        return None if row is None else self.shown.list_row(row)

    def show_rows(self, shown: ShownRows) -> None:
        self.beginResetModel()
        self.shown = shown
        self.endResetModel()

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        entry = self.entry(index.row())
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return entry.title
            if column == 1:
                status = self.session.status(entry.id)
                return f"{STATUS_MARK.get(status, '')} {STATUS_TEXT.get(status, status)}"
            return self.session.span_count(entry.id)
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return f"{entry.title}\nid: {entry.id}\n{entry.chars:,} characters"
        if role == Qt.ItemDataRole.UserRole:
            return entry.id
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def refresh(self, doc_id: str) -> None:
        row = self.row_of(doc_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))


class DocumentList(QWidget):
    """A filterable list of the project's documents; emits the id of the chosen one."""

    documentChosen = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = DocumentModel(session, self)
        self.progress = QLabel()
        self.progress.setObjectName("progressLabel")
        # On a team server: each analyst's done and handed-out documents, kept live.
        self.team = QLabel()
        self.team.setObjectName("teamProgress")
        self.team.setWordWrap(True)
        self.team.hide()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search titles and text…")
        self.search.setClearButtonEnabled(True)
        self.status_filter = QComboBox()
        self.status_filter.addItem("All statuses", "")
        for status in STATUSES:
            self.status_filter.addItem(STATUS_TEXT[status], status)
        # A table, not a tree view: QTreeView lays out every row (asking the model about
        # each of 100,000 documents) before it can scroll to the open one.
        self.view = QTableView()
        self.view.setObjectName("documentList")
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 6)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setModel(self.model)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # Widths from the widest possible content, not ResizeToContents: that measures
        # every visible row again each time one row changes (after every edit).
        metrics = self.view.fontMetrics()
        statuses = [f"{STATUS_MARK[status]} {STATUS_TEXT[status]}" for status in STATUSES]
        padding = 4 * self.view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 16
        for column, samples in ((1, statuses), (2, ["99,999"])):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            width = max(
                header.sectionSizeHint(column), *(metrics.horizontalAdvance(t) for t in samples)
            )
            header.resizeSection(column, width + padding)

        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.status_filter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.progress)
        layout.addWidget(self.team)
        layout.addLayout(filters)
        layout.addWidget(self.view)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self._apply_search)
        self.search.textChanged.connect(self._search_timer.start)
        self.status_filter.currentIndexChanged.connect(self._apply_status)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self._counts: dict[str, int] = {}
        # Documents with labels (any other is still to do), and their status.
        self._status_of: dict[str, str] = {}
        self._search_rows: list[int] | None = None  # rows matching the search; None = all
        self._filtering = False
        self._recount()

    # --- state ---------------------------------------------------------------------------

    def _recount(self) -> None:
        """Counts from the documents with labels only: the others are still to do."""
        labelled = self.session.store.doc_ids()
        in_project = self.session.project.rows_of(labelled)
        ids = [doc_id for doc_id in labelled if doc_id in in_project]
        statuses = self.session.statuses(ids)
        counts = Counter(statuses)
        counts["todo"] += self.model.total - len(ids)
        self._counts = dict(counts)
        self._status_of = dict(zip(ids, statuses, strict=True))
        self._show_progress()

    def _show_progress(self) -> None:
        total = self.model.total
        done = self._counts.get("done", 0)
        self.progress.setText(f"<b>{done:,} of {total:,} done</b>")

    def refresh(self, doc_id: str) -> None:
        """A document's status or span count changed: update its row and the counts."""
        old_status = self._status_of.get(doc_id, "todo")
        new_status = self.session.status(doc_id)
        if new_status != old_status:
            self._status_of[doc_id] = new_status
            self._counts[old_status] = self._counts.get(old_status, 1) - 1
            self._counts[new_status] = self._counts.get(new_status, 0) + 1
            self._show_progress()
        # Not re-filtered here: the open document must not vanish from under the analyst.
        self.model.refresh(doc_id)

    def show_team(self, text: str) -> None:
        self.team.setText(text)
        self.team.setVisible(bool(text))

    def done_count(self) -> int:
        return self._counts.get("done", 0)

    # --- navigation ------------------------------------------------------------------------

    def current_id(self) -> str | None:
        index = self.view.currentIndex()
        return str(index.data(Qt.ItemDataRole.UserRole)) if index.isValid() else None

    def select(self, doc_id: str) -> None:
        project_row = self.model.project_row_of(doc_id)
        if project_row is None:
            return
        row = self.model.shown.list_row(project_row)
        if row is None:
            # Filtered out: show everything again rather than hide the open document.
            self.search.clear()
            self.status_filter.setCurrentIndex(0)
            self._apply_search()
            row = project_row
        index = self.model.index(row, 0)
        if self.view.currentIndex() != index:
            self.view.setCurrentIndex(index)
        self.view.scrollTo(index)

    def neighbour(self, doc_id: str | None, step: int) -> str | None:
        """The document ``step`` rows away in the filtered list (no wrapping)."""
        count = self.model.rowCount()
        if not count:
            return None
        row = self.model.row_of(doc_id) if doc_id is not None else None
        target = 0 if row is None else row + step
        if not 0 <= target < count:
            return None
        return self.model.entry(target).id

    def next_unlabelled(self, doc_id: str | None) -> str | None:
        """The next document still to do, after ``doc_id`` in list order, wrapping around."""
        return next(self.unlabelled_after(doc_id), None)

    def unlabelled_after(self, doc_id: str | None) -> Iterator[str]:
        """The documents still to do but ``doc_id``, in list order after it, wrapping around."""
        start = self.model.project_row_of(doc_id) if doc_id is not None else None
        for entry in self._entries_after(-1 if start is None else start):
            if entry.id != doc_id and self.session.status(entry.id) == "todo":
                yield entry.id

    def first_to_open(self) -> str | None:
        """The first document still to do or in progress, else the first; None if none."""
        for entry in self._entries_after(-1):
            if self.session.status(entry.id) in ("todo", "in_progress"):
                return entry.id
        return self.model.entry_at(0).id if self.model.total else None

    def _entries_after(self, project_row: int) -> Iterator[DocumentInfo]:
        """Every document once, from the one after ``project_row``, wrapping around; read
        a page at a time (the first document still to do is usually near)."""
        total = self.model.total
        for step in range(1, total + 1):
            yield self.model.entry_at((project_row + step) % total)

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        # Filtering moves the current row; only the analyst's choice opens a document.
        if current.isValid() and not self._filtering:
            self.documentChosen.emit(str(current.data(Qt.ItemDataRole.UserRole)))

    # --- filters ---------------------------------------------------------------------------

    def drop_pending_search(self) -> None:
        """The project is closing: a search still waiting for the typing to stop would
        read texts from a closed project."""
        self._search_timer.stop()

    def _apply_status(self) -> None:
        self._apply_filters()

    def _apply_search(self) -> None:
        term = self.search.text().strip()
        # Titles, ids and texts, searched by the store (a database searches on the server).
        self._search_rows = self.session.project.find_rows(term) if term else None
        self._apply_filters()

    def _apply_filters(self) -> None:
        status = str(self.status_filter.currentData() or "")
        total = self.model.total
        shown = ShownRows(total, self._search_rows)
        if status:
            rows_of = self.session.project.rows_of(self._status_of)
            labelled = {rows_of[d]: s for d, s in self._status_of.items() if d in rows_of}
            if status == "todo":
                others = {row for row, s in labelled.items() if s != "todo"}
                if self._search_rows is None:
                    shown = ShownRows(total, excluded=sorted(others))
                else:
                    shown = ShownRows(total, [r for r in self._search_rows if r not in others])
            else:
                rows = sorted(row for row, s in labelled.items() if s == status)
                if self._search_rows is not None:
                    searched = set(self._search_rows)
                    rows = [row for row in rows if row in searched]
                shown = ShownRows(total, rows)
        current = self.current_id()
        self._filtering = True
        try:
            self.model.show_rows(shown)
            row = self.model.row_of(current) if current is not None else None
            if row is not None:
                self.view.setCurrentIndex(self.model.index(row, 0))
        finally:
            self._filtering = False
