"""The current document's status, note, spans and relations."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QObject, QPoint, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.core.status import STATUSES
from annotator.ui.categories_panel import CategoriesPanel
from annotator.ui.lazy_qt import Qt
from annotator.ui.palette import swatch
from annotator.ui.statuses import STATUS_MARK, STATUS_TEXT
from annotator.ui.table_model import DISPLAY_ROLE, ColumnsModel, ModelIndex

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

    from annotator.core.models import DocumentAnnotation, LabelSchema, Span


class SpanModel(ColumnsModel):
    """Spans in text order; a model (not items) so a 10,000-span document lists instantly."""

    COLUMNS = ("Label", "Text", "Note")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spans: list[Span] = []
        self.schema: LabelSchema | None = None  # until a project opens
        self._icons: dict[str, QIcon] = {}
        self._by_id: dict[str, Span] = {}
        # Spans per label, kept up to date by each edit: a recount is a pass over 10,000
        # spans on a long article, more than the rest of adding one.
        self.per_label: dict[str, int] = {}

    def set_spans(self, spans: list[Span], schema: LabelSchema | None) -> None:
        self.beginResetModel()
        self.spans = sorted(spans, key=_key)
        self._by_id = {span.id: span for span in self.spans}
        self.per_label = {}
        for span in self.spans:
            self.per_label[span.label] = self.per_label.get(span.label, 0) + 1
        self.schema = schema
        self._icons.clear()
        self.endResetModel()

    def update_spans(self, changed: dict[str, Span | None]) -> None:
        """Move, add or drop the rows of changed spans without resetting the list."""
        for span_id, span in changed.items():
            row = self.row_of(span_id)
            if row is not None:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self.spans[row]
                old = self._by_id.pop(span_id)
                self.endRemoveRows()
                left = self.per_label[old.label] - 1
                if left:
                    self.per_label[old.label] = left
                else:
                    del self.per_label[old.label]
            if span is not None:
                row = bisect.bisect_left(self.spans, _key(span), key=_key)
                self.beginInsertRows(QModelIndex(), row, row)
                self.spans.insert(row, span)
                self._by_id[span_id] = span
                self.endInsertRows()
                self.per_label[span.label] = self.per_label.get(span.label, 0) + 1

    def row_total(self) -> int:
        return len(self.spans)

    def data(self, index: ModelIndex, role: int = DISPLAY_ROLE) -> object:
        if not index.isValid():
            return None
        span = self.spans[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return span.label
            if column == 1:
                return " ".join(span.text.split())
            return span.note
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            icon = self._icons.get(span.label)
            if icon is None:
                label = self.schema.label(span.label) if self.schema is not None else None
                icon = self._icons[span.label] = swatch(label.color if label else "#BBBBBB")
            return icon
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{span.label} [{span.start}, {span.end}) {span.text}"
        if role == Qt.ItemDataRole.UserRole:
            return span.id
        return None

    def row_of(self, span_id: str) -> int | None:
        span = self._by_id.get(span_id)
        if span is None:
            return None
        row = bisect.bisect_left(self.spans, _key(span), key=_key)
        return row if row < len(self.spans) and self.spans[row].id == span_id else None


class SpansPanel(QWidget):
    spanActivated = Signal(str)
    spanMenuRequested = Signal(str, QPoint)
    relationActivated = Signal(str)
    relationDeleteRequested = Signal(str)
    statusChosen = Signal(str)
    noteEdited = Signal(str)
    # Spans per label in the document shown (the label palette's legend counts).
    labelCounts = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spansPanel")
        self.status = QComboBox()
        self.status.setObjectName("statusBox")
        for status in STATUSES:
            self.status.addItem(f"{STATUS_MARK[status]} {STATUS_TEXT[status]}", status)
        self.note = QLineEdit()
        self.note.setObjectName("documentNote")
        self.note.setPlaceholderText("Note on this document (Enter to save)")
        self.span_model = SpanModel(self)
        # A table, not a tree view: QTreeView lays out every row again after an insert,
        # which on a 10,000-span article costs more than the whole edit.
        self.span_view = QTableView()
        self.span_view.setObjectName("spanList")
        self.span_view.setShowGrid(False)
        self.span_view.setWordWrap(False)
        self.span_view.verticalHeader().setVisible(False)
        self.span_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.span_view.verticalHeader().setDefaultSectionSize(
            self.span_view.fontMetrics().height() + 4
        )
        self.span_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.span_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.span_view.setModel(self.span_model)
        self.span_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._size_columns()
        self.relation_view = QTreeWidget()
        self.relation_view.setObjectName("relationList")
        self.relation_view.setRootIsDecorated(False)
        self.relation_view.setHeaderLabels(["From", "Relation", "To"])
        self.relation_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.span_count = QLabel()
        # Labels on the whole article; hidden while the schema has no categories.
        self.categories = CategoriesPanel()

        form = QFormLayout()
        form.addRow("Status", self.status)
        form.addRow("Note", self.note)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addWidget(self.categories)
        layout.addWidget(self.span_count)
        layout.addWidget(self.span_view, 3)
        layout.addWidget(QLabel("Attributions"))
        layout.addWidget(self.relation_view, 1)

        self._updating = False
        self.status.currentIndexChanged.connect(self._status_changed)
        self.note.editingFinished.connect(lambda: self.noteEdited.emit(self.note.text()))
        self.span_view.clicked.connect(self._span_clicked)
        self.span_view.activated.connect(self._span_clicked)
        self.span_view.customContextMenuRequested.connect(self._span_menu)
        self.relation_view.itemClicked.connect(
            lambda item: self.relationActivated.emit(item.data(0, Qt.ItemDataRole.UserRole))
        )
        self.relation_view.customContextMenuRequested.connect(self._relation_menu)

    def _size_columns(self) -> None:
        # Fixed widths: sizing a column to its contents reads every row (10,000 on a
        # long article) each time the list changes.
        header = self.span_view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 100)
        header.resizeSection(2, 70)

    def show_annotation(
        self, annotation: DocumentAnnotation | None, schema: LabelSchema | None, editable: bool
    ) -> None:
        spans = annotation.spans if annotation is not None else []
        self.span_model.set_spans(spans, schema)
        self.categories.set_schema(schema)
        self._count()
        self.show_document_fields(annotation, editable)
        self.show_relations(annotation)

    def update_spans(self, changed: dict[str, Span | None]) -> None:
        self.span_model.update_spans(changed)
        self._count()

    def _count(self) -> None:
        count = len(self.span_model.spans)
        self.span_count.setText(f"{count} span{'s' if count != 1 else ''}")
        self.labelCounts.emit(dict(self.span_model.per_label))

    def show_document_fields(self, annotation: DocumentAnnotation | None, editable: bool) -> None:
        self._updating = True
        try:
            status = annotation.status if annotation is not None else "todo"
            self.status.setCurrentIndex(STATUSES.index(status))
            if not self.note.hasFocus():
                self.note.setText(annotation.note if annotation is not None else "")
            self.status.setEnabled(editable)
            self.note.setReadOnly(not editable)
            self.categories.show_annotation(annotation, editable)
        finally:
            self._updating = False

    def show_relations(self, annotation: DocumentAnnotation | None) -> None:
        self.relation_view.clear()
        if annotation is None or not annotation.relations:
            return
        by_id = {span.id: span for span in annotation.spans}
        for relation in annotation.relations:
            head, tail = by_id.get(relation.head), by_id.get(relation.tail)
            item = QTreeWidgetItem([_describe(head), relation.label, _describe(tail)])
            item.setData(0, Qt.ItemDataRole.UserRole, relation.id)
            self.relation_view.addTopLevelItem(item)

    def select_span(self, span_id: str | None, parts: Iterable[str] = ()) -> None:
        """Select a span's row, and the rows of ``parts`` (the other parts of its quote)."""
        row = self.span_model.row_of(span_id) if span_id else None
        if row is None:
            self.span_view.clearSelection()
            return
        index = self.span_model.index(row, 0)
        self.span_view.setCurrentIndex(index)
        selection = self.span_view.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for part in parts:
            part_row = self.span_model.row_of(part) if part != span_id else None
            if part_row is not None:
                selection.select(self.span_model.index(part_row, 0), flags)
        self.span_view.scrollTo(index)

    def selected_span_ids(self) -> list[str]:
        """The ids of the selected rows, in list order."""
        rows = sorted(index.row() for index in self.span_view.selectionModel().selectedRows())
        return [self.span_model.spans[row].id for row in rows]

    def _status_changed(self) -> None:
        if not self._updating:
            self.statusChosen.emit(str(self.status.currentData()))

    def _span_clicked(self, index: QModelIndex) -> None:
        self.spanActivated.emit(str(index.data(Qt.ItemDataRole.UserRole)))

    def _span_menu(self, point: QPoint) -> None:
        index = self.span_view.indexAt(point)
        if index.isValid():
            self.spanMenuRequested.emit(
                str(index.data(Qt.ItemDataRole.UserRole)),
                self.span_view.viewport().mapToGlobal(point),
            )

    def _relation_menu(self, point: QPoint) -> None:
        item = self.relation_view.itemAt(point)
        if item is None:
            return
        menu = QMenu(self)
        remove = menu.addAction("Remove attribution")
        chosen = menu.exec(self.relation_view.viewport().mapToGlobal(point))
        if chosen is remove:
            self.relationDeleteRequested.emit(item.data(0, Qt.ItemDataRole.UserRole))


def _key(span: Span) -> tuple[int, int, str]:
    """List order: by start, the longer of two spans first."""
    return (span.start, -span.end, span.id)


def _describe(span: Span | None) -> str:
    if span is None:
        return "?"
    text = " ".join(span.text.split())
    return f"{span.label}: {text if len(text) <= 40 else text[:39] + '…'}"
