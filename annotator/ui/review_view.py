"""The review window's article: the labelling window's view with disagreement marks on top."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from annotator.ui.colors import LabelColors
from annotator.ui.document_view import DocumentView

DISPUTED = QColor("#d9480f")  # orange-red: readable on both palettes, not a label colour
SETTLED = QColor("#8a8a8a")


class ReviewView(DocumentView):
    """The article with every chosen annotator's labels, disputed spans outlined.

    Disputed spans (not every annotator has them) get a dashed outline, grey once their
    disagreement is settled; the versions of the disagreement being settled get a solid one.
    """

    def __init__(self, colors: LabelColors, parent: QWidget | None = None) -> None:
        super().__init__(colors, parent)
        self.disputed: set[str] = set()
        self.focused: set[str] = set()
        self.settled: set[str] = set()

    def set_marks(
        self, disputed: set[str], focused: set[str], settled: set[str] | None = None
    ) -> None:
        self.disputed = disputed
        self.focused = focused
        if settled is not None:
            self.settled = settled
        self.viewport().update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        marked = self.disputed | self.focused
        if not marked or not len(self.index):
            return
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        dashed = QPen(DISPUTED, 1.4, Qt.PenStyle.DashLine)
        done = QPen(SETTLED, 1.2, Qt.PenStyle.DotLine)
        solid = QPen(DISPUTED, 2.4)
        for block, top in self._visible_blocks():
            for placed in self.index.in_block(block.blockNumber()):
                if placed.id not in marked:
                    continue
                if placed.id in self.focused:
                    painter.setPen(solid)
                else:
                    painter.setPen(done if placed.id in self.settled else dashed)
                for rect in self._rects(block, top, placed):
                    painter.drawRoundedRect(QRectF(rect).adjusted(-2, -2, 2, 2), 3, 3)
        painter.end()
