"""The label palette: one button per label (colour, name, hotkey), plus relation types."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QGridLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from annotator.ui.lazy_qt import Qt

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

    from annotator.core.models import LabelSchema


def swatch(color: str, size: int = 14) -> QIcon:
    # Only once a project has labels: not among the classes the first paint sets up.
    from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(color))
    painter.setPen(QColor(color).darker(165))
    painter.drawRoundedRect(1, 1, size - 2, size - 2, 3, 3)
    painter.end()
    return QIcon(pixmap)


class LabelPalette(QWidget):
    labelClicked = Signal(str)
    relationClicked = Signal(str)

    def __init__(self, schema: LabelSchema | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labelPalette")
        self.snapping = QCheckBox("Snap selection to words")
        self.snapping.setToolTip(
            "Grow a selection to whole words and drop surrounding spaces and punctuation.\n"
            "Turn off for character-level work."
        )
        self._grid = QGridLayout()
        self._grid.setSpacing(4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._grid)
        layout.addWidget(self.snapping)
        layout.addStretch(1)
        self.buttons: dict[str, QPushButton] = {}
        self._captions: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        self.set_schema(schema)

    def set_schema(self, schema: LabelSchema | None) -> None:
        """The schema's buttons; none before a project opens."""
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.buttons.clear()
        self._captions.clear()
        columns = 2
        row = 0
        if schema is None:
            return
        for number, label in enumerate(schema.labels):
            hotkey = f"  [{label.hotkey}]" if label.hotkey else ""
            self._captions[label.name] = f"{label.name}{hotkey}"
            button = QPushButton(swatch(label.color), self._caption(label.name))
            button.setObjectName(f"label_{label.name}")
            button.setToolTip(label.description or label.name)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setStyleSheet("text-align: left; padding: 3px 6px;")
            button.clicked.connect(lambda _=False, name=label.name: self.labelClicked.emit(name))
            row, column = divmod(number, columns)
            self._grid.addWidget(button, row, column)
            self.buttons[label.name] = button
        row += 1
        # Two relation buttons a row, their use in the tooltip: the quote relations (CUE,
        # CONTINUES, COREF) beside ATTRIBUTED_TO keep the dock as tall as one relation and
        # its caption did, so it does not grow when a project opens.
        for number, relation in enumerate(schema.relations):
            hotkey = f"  [{relation.hotkey}]" if relation.hotkey else ""
            button = QPushButton(f"→ {relation.name}{hotkey}")
            button.setObjectName(f"relation_{relation.name}")
            button.setToolTip(
                f"Select a {' / '.join(relation.head) or 'span'}, press this, then click "
                f"the {' / '.join(relation.tail) or 'span'} it links to"
            )
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(
                lambda _=False, name=relation.name: self.relationClicked.emit(name)
            )
            line, column = divmod(number, columns)
            self._grid.addWidget(button, row + line, column)

    def restyle(self) -> None:
        """Take the application's palette again: Qt leaves a widget with a style sheet on
        the palette it had when the sheet was set (dark buttons in the light theme)."""
        for button in self.buttons.values():
            sheet = button.styleSheet()
            button.setStyleSheet("")
            button.setPalette(QApplication.palette())
            button.setStyleSheet(sheet)

    def _caption(self, name: str) -> str:
        count = self.counts.get(name, 0)
        return f"{self._captions[name]}  · {count}" if count else self._captions[name]

    def set_counts(self, counts: dict[str, int]) -> None:
        """The legend: how many spans of each label the document shown has."""
        self.counts = dict(counts)
        for name, button in self.buttons.items():
            # An edit changes one label's count: the other buttons keep their text (a
            # new text lays the button and the grid out again).
            caption = self._caption(name)
            if button.text() != caption:
                button.setText(caption)
