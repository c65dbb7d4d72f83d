"""The article view: read-only text, labelled spans, selection in code points.

Backgrounds come from the highlighter (formats on the text itself). Underline lanes,
the selected span's outline and attribution arrows are painted over the visible blocks
only, so their cost does not grow with the article.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Signal
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QHelpEvent,
    QMouseEvent,
    QPaintEvent,
)
from PySide6.QtWidgets import QPlainTextEdit, QToolTip, QWidget

from annotator.editing.offsets import OffsetMap
from annotator.editing.span_index import Placed, SpanIndex
from annotator.ui.colors import LabelColors
from annotator.ui.lazy_qt import Qt

if TYPE_CHECKING:
    # The drawing and cursor classes are imported where spans are drawn or text selected:
    # the empty view of a window still opening its project does neither, and PySide6 sets
    # up each Qt class on first use.
    from PySide6.QtGui import QPainter, QTextBlock

    from annotator.core.models import DocumentAnnotation, Span
    from annotator.ui.highlighter import BlockStyler

LANE_HEIGHT = 2
LANE_GAP = 1


class Arrow(NamedTuple):
    head: str
    tail: str
    label: str


def arrows_of(annotation: DocumentAnnotation) -> list[Arrow]:
    """The document's relations, as the view draws them."""
    return [Arrow(rel.head, rel.tail, rel.label) for rel in annotation.relations]


class DocumentView(QPlainTextEdit):
    """Shows one document; emits span ids and code-point ranges, never Qt positions."""

    spanClicked = Signal(str)
    spanContextMenu = Signal(str, QPoint)
    selectionRangeChanged = Signal()

    def __init__(self, colors: LabelColors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentView")
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setMouseTracking(True)
        # The font size, wrap mode and selection flags are applied with the first text
        # (_set_text_options): the empty view of a window still opening its project is
        # painted before Qt's enums are set up (lazy_qt.py) and without QFont and
        # QTextOption, Qt classes that PySide6 sets up on first use (10M instructions).
        self._font_points: float | None = None
        self._text_options_set = False
        self.colors = colors
        self._styler: BlockStyler | None = None
        self.text = ""
        self.offsets = OffsetMap("")
        self.index = SpanIndex("")
        self.spans: dict[str, Span] = {}
        self.selected_span: str | None = None
        self.arrows: list[Arrow] = []
        self.show_all_arrows = True
        self._press_pos: QPoint | None = None
        self._last_click: tuple[int, str] | None = None
        self.selectionChanged.connect(self.selectionRangeChanged)

    @property
    def styler(self) -> BlockStyler:
        """Built with the first text: the empty view of a window still opening its project
        shows without the QTextDocument and text-format classes (PySide6 sets up each Qt
        class on first use, a few ms for these)."""
        if self._styler is None:
            from annotator.ui.highlighter import BlockStyler

            self._styler = BlockStyler(self.document(), self.colors)
        return self._styler

    # --- content ------------------------------------------------------------------------

    def set_content(self, text: str, spans: Sequence[Span], arrows: Sequence[Arrow]) -> None:
        self.text = text
        self.offsets = OffsetMap(text)
        index = SpanIndex(text, self.offsets)
        index.reset(spans)
        self.index = index
        self.spans = {span.id: span for span in spans}
        self.arrows = list(arrows)
        self.selected_span = None
        self._last_click = None
        # Nothing is styled here: blocks are styled as they are first painted.
        self.styler.reset(index)
        if not self._text_options_set:
            self._set_text_options()
        self.setPlainText(text)
        from PySide6.QtGui import QTextCursor

        self.moveCursor(QTextCursor.MoveOperation.Start)

    def set_colors(self, colors: LabelColors) -> None:
        self.colors = colors
        self.styler.set_colors(colors)
        self.viewport().update()

    def update_spans(self, changed: dict[str, Span | None]) -> None:
        """Apply changes to some spans (None = removed) and restyle only their blocks."""
        blocks: set[int] = set()
        for span_id, span in changed.items():
            if span is None:
                self.spans.pop(span_id, None)
            else:
                self.spans[span_id] = span
            blocks |= self.index.sync(span_id, span)
        if self.selected_span is not None and self.selected_span not in self.spans:
            self.selected_span = None
        self.styler.restyle(blocks)
        self.viewport().update()

    def set_arrows(self, arrows: Sequence[Arrow]) -> None:
        self.arrows = list(arrows)
        self.viewport().update()

    def _set_text_options(self) -> None:
        from PySide6.QtGui import QTextOption

        self._text_options_set = True
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        if self._font_points is not None:
            self.set_font_size(self._font_points)

    def set_font_size(self, points: float) -> None:
        self._font_points = points
        if not self._text_options_set:
            return  # applied with the first text
        from PySide6.QtGui import QFont

        font = QFont(self.font())
        font.setPointSizeF(points)
        self.setFont(font)

    # --- selection in code points ----------------------------------------------------------

    def selected_range(self) -> tuple[int, int] | None:
        cursor = self.textCursor()
        if not cursor.hasSelection():
            return None
        start, end = self.offsets.range_from_qt(cursor.selectionStart(), cursor.selectionEnd())
        return (start, end) if start < end else None

    def select_range(self, start: int, end: int) -> None:
        from PySide6.QtGui import QTextCursor

        qt_start, qt_end = self.offsets.range_to_qt(start, end)
        cursor = QTextCursor(self.document())
        cursor.setPosition(qt_start)
        cursor.setPosition(qt_end, QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def clear_selection(self) -> None:
        cursor = self.textCursor()
        cursor.clearSelection()
        self.setTextCursor(cursor)

    def select_span(self, span_id: str | None, reveal: bool = False) -> None:
        self.selected_span = span_id if span_id in self.spans else None
        if self.selected_span is not None and reveal:
            from PySide6.QtGui import QTextCursor

            span = self.spans[self.selected_span]
            cursor = QTextCursor(self.document())
            cursor.setPosition(self.offsets.to_qt(span.start))
            self.setTextCursor(cursor)
            self.centerCursor()
        self.viewport().update()

    def offset_at(self, point: QPoint) -> int | None:
        """Code-point offset of the character under a viewport point (not the nearest gap)."""
        cursor = self.cursorForPosition(point)
        position = cursor.position()
        rect = self.cursorRect(cursor)
        if point.x() < rect.x() and position > cursor.block().position():
            position -= 1
        if position >= self.document().characterCount() - 1:
            return None
        return self.offsets.from_qt(position)

    def spans_at(self, point: QPoint) -> list[str]:
        offset = self.offset_at(point)
        if offset is None:
            return []
        return [placed.id for placed in self.index.at_qt(self.offsets.to_qt(offset))]

    # --- mouse -----------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._press_pos = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        press, self._press_pos = self._press_pos, None
        point = event.position().toPoint()
        if event.button() != Qt.MouseButton.LeftButton or press is None:
            return
        if (point - press).manhattanLength() > 3 or self.textCursor().hasSelection():
            return
        hits = self.spans_at(point)
        if not hits:
            self._last_click = None
            self.spanClicked.emit("")
            return
        offset = self.offset_at(point) or 0
        # Clicking the same place again steps outwards through nested spans.
        choice = hits[0]
        if self._last_click is not None and self._last_click[0] == offset:
            previous = self._last_click[1]
            if previous in hits:
                choice = hits[(hits.index(previous) + 1) % len(hits)]
        self._last_click = (offset, choice)
        self.spanClicked.emit(choice)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        hits = self.spans_at(event.pos())
        if hits:
            self.spanContextMenu.emit(hits[0], event.globalPos())
        else:
            self.spanContextMenu.emit("", event.globalPos())

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            hits = self.spans_at(event.pos())
            if hits:
                lines = []
                for span_id in reversed(hits):
                    span = self.spans[span_id]
                    snippet = span.text if len(span.text) <= 60 else span.text[:57] + "…"
                    note = f" ({span.note})" if span.note else ""
                    lines.append(f"<b>{span.label}</b> {_escape(snippet)}{_escape(note)}")
                QToolTip.showText(event.globalPos(), "<br>".join(lines), self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    # --- painting --------------------------------------------------------------------------

    def _visible_blocks(self) -> list[tuple[QTextBlock, float]]:
        blocks: list[tuple[QTextBlock, float]] = []
        block = self.firstVisibleBlock()
        offset = self.contentOffset()
        height = self.viewport().height()
        while block.isValid():
            top = self.blockBoundingGeometry(block).translated(offset).top()
            if top > height:
                break
            if block.isVisible():
                blocks.append((block, top))
            block = block.next()
        return blocks

    def _rects(self, block: QTextBlock, top: float, placed: Placed) -> list[QRectF]:
        layout = block.layout()
        base = block.position()
        start = max(placed.qt_start - base, 0)
        end = min(placed.qt_end - base, block.length() - 1)
        rects: list[QRectF] = []
        for number in range(layout.lineCount()):
            line = layout.lineAt(number)
            line_start = line.textStart()
            line_end = line_start + line.textLength()
            left, right = max(start, line_start), min(end, line_end)
            if left >= right:
                continue
            x1 = _x(line.cursorToX(left))
            x2 = _x(line.cursorToX(right))
            position = layout.position()
            rects.append(
                QRectF(
                    position.x() + min(x1, x2),
                    top + position.y() + line.y(),
                    abs(x2 - x1),
                    line.height(),
                )
            )
        return rects

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.text:
            # Nothing to style (the empty window before a project opens).
            super().paintEvent(event)
            return
        visible = self._visible_blocks()
        self.styler.ensure(block for block, _top in visible)
        super().paintEvent(event)
        if not len(self.index):
            return
        from PySide6.QtGui import QPainter

        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        span_rects: dict[str, list[QRectF]] = {}
        for block, top in visible:
            number = block.blockNumber()
            lanes = self.index.lanes(number)
            for placed in self.index.in_block(number):
                rects = self._rects(block, top, placed)
                span_rects.setdefault(placed.id, []).extend(rects)
                lane = lanes.get(placed.id, 0)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(self.colors.edge(placed.label))
                for rect in rects:
                    y = rect.bottom() - LANE_HEIGHT - lane * (LANE_HEIGHT + LANE_GAP)
                    painter.drawRect(
                        QRectF(rect.left() + 1, y, max(rect.width() - 2, 1), LANE_HEIGHT)
                    )
        self._paint_selection(painter, span_rects)
        self._paint_arrows(painter, span_rects)
        painter.end()

    def _related(self) -> set[str]:
        if self.selected_span is None:
            return set()
        related = set()
        for arrow in self.arrows:
            if self.selected_span == arrow.head:
                related.add(arrow.tail)
            elif self.selected_span == arrow.tail:
                related.add(arrow.head)
        return related

    def _paint_selection(self, painter: QPainter, span_rects: dict[str, list[QRectF]]) -> None:
        if self.selected_span is None:
            return
        from PySide6.QtGui import QPen

        accent = self.palette().highlight().color()
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(accent, 2))
        for rect in span_rects.get(self.selected_span, []):
            painter.drawRoundedRect(rect.adjusted(-1, -1, 1, 1), 3, 3)
        painter.setPen(QPen(accent, 2, Qt.PenStyle.DashLine))
        for span_id in self._related():
            for rect in span_rects.get(span_id, []):
                painter.drawRoundedRect(rect.adjusted(-1, -1, 1, 1), 3, 3)

    def _paint_arrows(self, painter: QPainter, span_rects: dict[str, list[QRectF]]) -> None:
        text_color = self.palette().text().color()
        for arrow in self.arrows:
            focused = self.selected_span in (arrow.head, arrow.tail)
            if not (focused or self.show_all_arrows):
                continue
            heads, tails = span_rects.get(arrow.head), span_rects.get(arrow.tail)
            if not heads or not tails:
                continue
            color = (
                QColor(self.colors.edge(self.spans[arrow.head].label))
                if focused
                else QColor(text_color)
            )
            color.setAlpha(230 if focused else 110)
            _draw_arrow(painter, heads[0], tails[0], color, 2.0 if focused else 1.2)


def _draw_arrow(
    painter: QPainter, source: QRectF, target: QRectF, color: QColor, width: float
) -> None:
    """A curve over the text from the top of ``source`` to the top of ``target``."""
    from PySide6.QtGui import QPainterPath, QPen, QPolygonF

    start = QPointF(source.left() + min(source.width(), 12) / 2 + 2, source.top() + 1)
    end = QPointF(target.center().x(), target.top() + 1)
    lift = 14 + min(abs(end.x() - start.x()) / 8, 30) + abs(end.y() - start.y()) / 6
    control = QPointF((start.x() + end.x()) / 2, min(start.y(), end.y()) - lift)
    path = QPainterPath(start)
    path.quadTo(control, end)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(color, width))
    painter.drawPath(path)
    # Arrowhead along the curve's last tangent.
    tangent = end - control
    length = max((tangent.x() ** 2 + tangent.y() ** 2) ** 0.5, 1e-6)
    ux, uy = tangent.x() / length, tangent.y() / length
    size = 6 + width
    left = QPointF(end.x() - size * ux + size * 0.5 * uy, end.y() - size * uy - size * 0.5 * ux)
    right = QPointF(end.x() - size * ux - size * 0.5 * uy, end.y() - size * uy + size * 0.5 * ux)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawPolygon(QPolygonF([end, left, right]))


def _x(result: object) -> float:
    # PySide6 returns (x, position) for QTextLine.cursorToX(int).
    value = result[0] if isinstance(result, tuple) else result
    return float(value)  # type: ignore[arg-type]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
