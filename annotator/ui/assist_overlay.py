"""Suggestions drawn over the article: dashed outlines in the label's colour.

A transparent widget laid over the document view's viewport (a sibling above it, so the
viewport's scrolling never moves it) paints only the suggestions in the visible blocks;
labelled spans stay as the view draws them (filled), so the two layers never look alike.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QRectF
from PySide6.QtGui import QColor, QPaintEvent
from PySide6.QtWidgets import QWidget

from annotator.ui.colors import LabelColors
from annotator.ui.document_view import DocumentView
from annotator.ui.lazy_qt import Qt

if TYPE_CHECKING:
    from annotator.core.models import Span


class SuggestionOverlay(QWidget):
    def __init__(self, view: DocumentView) -> None:
        super().__init__(view)
        self.setObjectName("suggestionOverlay")
        self.view = view
        self.spans: list[Span] = []
        self.current: str | None = None
        self._starts: list[int] = []  # Qt positions, sorted
        self._ranges: list[tuple[int, int, Span]] = []
        self._longest = 0
        self.painted: list[str] = []  # ids drawn by the last paint (tests look at it)
        # Placed over the viewport by the controller's first sync with a project open.
        self.resize(0, 0)

    def follow_viewport(self) -> None:
        if not self.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents):
            # Here, not in __init__: the overlay has no size until it is first placed, and
            # the window's first frame is painted before Qt's enums are set up
            # (lazy_qt.py).
            self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setGeometry(self.view.viewport().geometry())
        self.raise_()

    def set_suggestions(self, spans: Sequence[Span], current: str | None) -> None:
        offsets = self.view.offsets
        ranges = []
        for span in spans:
            qt_start, qt_end = offsets.range_to_qt(span.start, span.end)
            ranges.append((qt_start, qt_end, span))
        ranges.sort(key=lambda item: (item[0], item[1]))
        self.spans = list(spans)
        self._ranges = ranges
        self._starts = [item[0] for item in ranges]
        self._longest = max((end - start for start, end, _ in ranges), default=0)
        self.current = current
        self.update()

    def set_current(self, suggestion_id: str | None) -> None:
        self.current = suggestion_id
        self.update()

    def suggestion_at(self, point: QPoint) -> Span | None:
        """The (shortest) suggestion under a viewport point."""
        offset = self.view.offset_at(point)
        if offset is None:
            return None
        hits = [span for span in self.spans if span.start <= offset < span.end]
        return min(hits, key=lambda span: span.end - span.start) if hits else None

    def _visible(self) -> list[tuple[int, int, Span]]:
        if not self._ranges:
            return []
        view = self.view
        first = view.firstVisibleBlock().position()
        corner = QPoint(view.viewport().width() - 1, view.viewport().height() - 1)
        last = view.cursorForPosition(corner).block()
        last_position = last.position() + last.length()
        low = bisect_left(self._starts, first - self._longest)
        high = bisect_right(self._starts, last_position)
        return [item for item in self._ranges[low:high] if item[1] > first]

    def paintEvent(self, event: QPaintEvent) -> None:
        self.painted = []
        visible = self._visible()
        if not visible:
            return
        # Here, not at import: the window's first frame draws no suggestion, and PySide6
        # sets up each Qt class on first use.
        from PySide6.QtGui import QPainter, QPen

        colors: LabelColors = self.view.colors
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for qt_start, qt_end, span in visible:
            rects = self._rects(qt_start, qt_end)
            if not rects:
                continue
            self.painted.append(span.id)
            edge = QColor(colors.edge(span.label))
            current = span.id == self.current
            pen = QPen(edge, 2.6 if current else 1.5, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            if current:
                fill = QColor(colors.color(span.label))
                fill.setAlpha(70)
                painter.setBrush(fill)
            else:
                painter.setBrush(Qt.BrushStyle.NoBrush)
            for rect in rects:
                painter.drawRoundedRect(rect.adjusted(-1, 0, 1, 0), 3, 3)
        painter.end()

    def _rects(self, qt_start: int, qt_end: int) -> list[QRectF]:
        view = self.view
        offset = view.contentOffset()
        height = view.viewport().height()
        rects: list[QRectF] = []
        block = view.document().findBlock(qt_start)
        while block.isValid() and block.position() < qt_end:
            if block.isVisible():
                top = view.blockBoundingGeometry(block).translated(offset).top()
                if top > height:
                    break
                layout = block.layout()
                base = block.position()
                start = max(qt_start - base, 0)
                end = min(qt_end - base, block.length() - 1)
                position = layout.position()
                for number in range(layout.lineCount()):
                    line = layout.lineAt(number)
                    left = max(start, line.textStart())
                    right = min(end, line.textStart() + line.textLength())
                    if left >= right:
                        continue
                    x1, x2 = _x(line.cursorToX(left)), _x(line.cursorToX(right))
                    rects.append(
                        QRectF(
                            position.x() + min(x1, x2),
                            top + position.y() + line.y(),
                            abs(x2 - x1),
                            line.height(),
                        )
                    )
            block = block.next()
        return rects


def _x(result: object) -> float:
    # PySide6 returns (x, position) for QTextLine.cursorToX(int).
    value = result[0] if isinstance(result, tuple) else result
    return float(value)  # type: ignore[arg-type]
