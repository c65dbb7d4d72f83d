"""A flat table model with named columns: the shape of the document list and the span list."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex

from annotator.ui.lazy_qt import Qt

ModelIndex = QModelIndex | QPersistentModelIndex

# Qt.ItemDataRole.DisplayRole's value, for default arguments: those are evaluated at import,
# before the first frame, and naming the enum there would set up all of Qt's (see
# lazy_qt.py).
DISPLAY_ROLE = 0


class ColumnsModel(QAbstractTableModel):
    """Rows from ``row_total``, one column per name in ``COLUMNS``, titled by those names."""

    COLUMNS: tuple[str, ...] = ()

    def row_total(self) -> int:
        raise NotImplementedError

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.row_total()

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = DISPLAY_ROLE
    ) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None
