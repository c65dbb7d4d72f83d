"""Find in document (Ctrl+F): Enter for the next match, Shift+Enter for the previous."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from annotator.ui.lazy_qt import Qt


class FindField(QLineEdit):
    backwards = Signal()
    closed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.backwards.emit()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.closed.emit()
            return
        super().keyPressEvent(event)


class FindBar(QWidget):
    """Searches the document text (code points); emits the match to select."""

    found = Signal(int, int)
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("findBar")
        self.text = ""
        self.position = 0
        self.field = FindField()
        self.field.setObjectName("findField")
        self.field.setPlaceholderText("Find in document")
        self.result = QLabel()
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(QLabel("Find:"))
        layout.addWidget(self.field, 1)
        layout.addWidget(self.result)
        layout.addWidget(close)
        self.field.returnPressed.connect(lambda: self.search(forward=True))
        self.field.backwards.connect(lambda: self.search(forward=False))
        self.field.textChanged.connect(self._restart)
        self.field.closed.connect(self.close_bar)
        close.clicked.connect(self.close_bar)

    def set_text(self, text: str) -> None:
        self.text = text
        self.position = 0
        self.result.clear()

    def open_bar(self, position: int) -> None:
        self.position = position
        self.show()
        self.field.setFocus()
        self.field.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.dismissed.emit()

    def _restart(self) -> None:
        self.search(forward=True, from_position=max(self.position - len(self.field.text()), 0))

    def search(self, forward: bool, from_position: int | None = None) -> None:
        needle = self.field.text()
        if not needle:
            self.result.clear()
            return
        haystack = self.text.casefold()
        needle = needle.casefold()
        start = self.position if from_position is None else from_position
        if forward:
            index = haystack.find(needle, start)
            if index == -1:
                index = haystack.find(needle)
        else:
            index = haystack.rfind(needle, 0, max(start - len(needle) - 1, 0) + len(needle))
            if index == -1:
                index = haystack.rfind(needle)
        if index == -1:
            self.result.setText("not found")
            return
        count = haystack.count(needle)
        self.result.setText(f"{count} match{'es' if count != 1 else ''}")
        self.position = index + len(needle)
        self.found.emit(index, index + len(needle))
