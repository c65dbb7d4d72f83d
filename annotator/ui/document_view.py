"""The article view: read-only text, labelled spans, selection in code points.

The room for the marks comes from the highlighter (formats on the text itself); the
marks (backgrounds, tags, lanes, the selected span's outline, attribution arrows) are
painted by label_painter.py over the visible blocks only, so their cost does not grow
with the article.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPoint, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QHelpEvent,
    QMouseEvent,
)
from PySide6.QtWidgets import QToolTip, QWidget

from annotator.editing.offsets import OffsetMap
from annotator.editing.span_index import SpanIndex
from annotator.ui.colors import LabelColors
from annotator.ui.label_painter import Arrow, LabelPainting
from annotator.ui.lazy_qt import Qt

if TYPE_CHECKING:
    # The drawing and cursor classes are imported where spans are drawn or text selected:
    # the empty view of a window still opening its project does neither, and PySide6 sets
    # up each Qt class on first use.

    from annotator.core.models import DocumentAnnotation, Span
    from annotator.ui.highlighter import BlockStyler


def arrows_of(annotation: DocumentAnnotation) -> list[Arrow]:
    """The document's relations, as the view draws them."""
    return [Arrow(rel.head, rel.tail, rel.label) for rel in annotation.relations]


class DocumentView(LabelPainting):
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
        self._tints = {}
        self._mark_cache = {}
        self._tag_pixmaps = {}
        self.text = ""
        self.offsets = OffsetMap("")
        self.index = SpanIndex("")
        self.spans: dict[str, Span] = {}
        self.selected_span: str | None = None
        self.arrows: list[Arrow] = []
        # Every part of the selected span's quotes (contents, cue, sources): drawn as one.
        self.quote_parts: set[str] = set()
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
        self.quote_parts = set()
        self._last_click = None
        # Nothing is styled here: blocks are styled as they are first painted.
        self.styler.reset(index)
        self._mark_cache.clear()
        if not self._text_options_set:
            self._set_text_options()
        self.setPlainText(text)
        from PySide6.QtGui import QTextCursor

        self.moveCursor(QTextCursor.MoveOperation.Start)

    def set_colors(self, colors: LabelColors) -> None:
        self.colors = colors
        self._tints.clear()
        self._tag_pixmaps.clear()
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
        for number in blocks:
            self._mark_cache.pop(number, None)
        if self.selected_span is not None and self.selected_span not in self.spans:
            self.selected_span = None
            self.quote_parts = set()
        self.styler.restyle(blocks)
        self.viewport().update()

    def set_arrows(self, arrows: Sequence[Arrow]) -> None:
        self.arrows = list(arrows)
        self._find_quote_parts()
        self.viewport().update()

    def _find_quote_parts(self) -> None:
        selected = self.selected_span
        if selected is None or not self.arrows:
            self.quote_parts = set()
            return
        from annotator.core.quotes import quote_parts

        self.quote_parts = quote_parts(selected, self.arrows)

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
        else:
            self._update_geometry()

    def set_font_size(self, points: float) -> None:
        self._font_points = points
        if not self._text_options_set:
            return  # applied with the first text
        from PySide6.QtGui import QFont

        font = QFont(self.font())
        font.setPointSizeF(points)
        self.setFont(font)
        self._update_geometry()
        self.viewport().update()

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
        self._style_around(qt_end)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()

    def _style_around(self, qt_position: int) -> None:
        """Style a screenful each side of a position before scrolling to it: styled blocks
        with spans are taller (the gap for lanes and arrows), and the scroll must count them so."""
        if not self.text:
            return
        target = self.document().findBlock(qt_position)
        height = self.viewport().height()
        for step in ("previous", "next"):
            block, covered = target, 0.0
            while block.isValid() and covered < height:
                if block.blockNumber() not in self.styler.styled:
                    self.styler.apply(block)
                    self._mark_cache.pop(block.blockNumber(), None)
                covered += self.blockBoundingRect(block).height()
                block = getattr(block, step)()

    def clear_selection(self) -> None:
        cursor = self.textCursor()
        cursor.clearSelection()
        self.setTextCursor(cursor)

    def select_span(self, span_id: str | None, reveal: bool = False) -> None:
        self.selected_span = span_id if span_id in self.spans else None
        self._find_quote_parts()
        if self.selected_span is not None and reveal:
            from PySide6.QtGui import QTextCursor

            span = self.spans[self.selected_span]
            cursor = QTextCursor(self.document())
            cursor.setPosition(self.offsets.to_qt(span.start))
            self._style_around(cursor.position())
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


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
