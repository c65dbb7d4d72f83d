"""The document list: title, status and span count, filters, and "N of M done"."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
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


class DocumentModel(ColumnsModel):
    COLUMNS = ("Title", "Status", "Spans")

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.entries = session.project.entries()
        self.row_of = {entry.id: row for row, entry in enumerate(self.entries)}

    def row_total(self) -> int:
        return len(self.entries)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        entry = self.entries[index.row()]
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
        row = self.row_of.get(doc_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))


class DocumentFilter(QSortFilterProxyModel):
    def __init__(self, model: DocumentModel) -> None:
        super().__init__()
        self.setSourceModel(model)
        self.model_ = model
        self.status = ""
        self.matching: set[str] | None = None  # ids matching the text search; None = all

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        doc_id = self.model_.entries[source_row].id
        if self.status and self.model_.session.status(doc_id) != self.status:
            return False
        return self.matching is None or doc_id in self.matching


class DocumentList(QWidget):
    """A filterable list of the project's documents; emits the id of the chosen one."""

    documentChosen = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = DocumentModel(session, self)
        self.proxy = DocumentFilter(self.model)
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
        self.view.setModel(self.proxy)
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
        self._status_of: dict[str, str] = {}
        self._filtering = False
        self._recount()

    # --- state ---------------------------------------------------------------------------

    def _recount(self) -> None:
        ids = [entry.id for entry in self.model.entries]
        statuses = self.session.statuses(ids)
        self._counts = dict(Counter(statuses))
        self._status_of = dict(zip(ids, statuses, strict=True))
        self._show_progress()

    def _show_progress(self) -> None:
        total = len(self.model.entries)
        done = self._counts.get("done", 0)
        self.progress.setText(f"<b>{done} of {total} done</b>")

    def refresh(self, doc_id: str) -> None:
        """A document's status or span count changed: update its row and the counts."""
        old_status = self._status_of.get(doc_id)
        new_status = self.session.status(doc_id)
        if old_status is not None and new_status != old_status:
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
        row = self.model.row_of.get(doc_id)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            # Filtered out: show everything again rather than hide the open document.
            self.search.clear()
            self.status_filter.setCurrentIndex(0)
            self._apply_search()
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        if self.view.currentIndex() != index:
            self.view.setCurrentIndex(index)
        self.view.scrollTo(index)

    def neighbour(self, doc_id: str | None, step: int) -> str | None:
        """The document ``step`` rows away in the filtered list (no wrapping)."""
        count = self.proxy.rowCount()
        if not count:
            return None
        row = self._proxy_row(doc_id)
        target = 0 if row is None else row + step
        if not 0 <= target < count:
            return None
        return str(self.proxy.index(target, 0).data(Qt.ItemDataRole.UserRole))

    def next_unlabelled(self, doc_id: str | None) -> str | None:
        """The next document still to do, after ``doc_id`` in list order, wrapping around."""
        return next(self.unlabelled_after(doc_id), None)

    def unlabelled_after(self, doc_id: str | None) -> Iterator[str]:
        """The documents still to do but ``doc_id``, in list order after it, wrapping around."""
        entries = self.model.entries
        start = self.model.row_of.get(doc_id, -1) if doc_id is not None else -1
        for step in range(1, len(entries) + 1):
            entry = entries[(start + step) % len(entries)]
            if entry.id != doc_id and self.session.status(entry.id) == "todo":
                yield entry.id

    def _proxy_row(self, doc_id: str | None) -> int | None:
        row = self.model.row_of.get(doc_id) if doc_id is not None else None
        if row is None:
            return None
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        return index.row() if index.isValid() else None

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        # Filtering moves the current row; only the analyst's choice opens a document.
        if current.isValid() and not self._filtering:
            self.documentChosen.emit(str(current.data(Qt.ItemDataRole.UserRole)))

    # --- filters ---------------------------------------------------------------------------

    def drop_pending_search(self) -> None:
        """The project is closing: a search still waiting for the typing to stop would
        read texts from a closed project."""
        self._search_timer.stop()

    def _invalidate(self) -> None:
        self._filtering = True
        try:
            self.proxy.invalidate()
        finally:
            self._filtering = False

    def _apply_status(self) -> None:
        self.proxy.status = str(self.status_filter.currentData() or "")
        self._invalidate()

    def _apply_search(self) -> None:
        term = self.search.text().strip().casefold()
        if not term:
            self.proxy.matching = None
        else:
            matching = {
                entry.id
                for entry in self.model.entries
                if term in entry.title.casefold() or term in entry.id.casefold()
            }
            # Texts are read one at a time from disk, not kept in memory.
            for document in self.session.project.iter_documents():
                if document.id not in matching and term in document.text.casefold():
                    matching.add(document.id)
            self.proxy.matching = matching
        self._invalidate()
