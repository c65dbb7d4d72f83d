"""Paints the labelling marks over the view's visible blocks: tags, lanes, arrows.

Each label reads without hovering: its name is drawn in a tag after the span, in room
the highlighter reserved there; nested and crossing spans get one underline lane per
depth in their own colours; attribution arrows run through the gap reserved below each
line of a block with spans and through the left gutter (label_layout.py), with their
relation's name; blocks without spans keep the text's line height. A
block's marks are computed once and kept until it is laid out anew, and a tag is drawn
once per label, so a repaint costs little more than a bare editor's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QPlainTextEdit

from annotator.editing.offsets import OffsetMap
from annotator.editing.span_index import Placed, SpanIndex
from annotator.ui import label_layout
from annotator.ui.colors import LabelColors, readable_text
from annotator.ui.lazy_qt import Qt

if TYPE_CHECKING:
    from PySide6.QtGui import QPainter, QPixmap, QTextBlock, QTextLine

    from annotator.core.models import Span
    from annotator.ui.highlighter import BlockStyler

GUTTER = 16  # document margin: the left one carries arrows between lines


class Arrow(NamedTuple):
    head: str
    tail: str
    label: str


class LabelPainting(QPlainTextEdit):
    """The painting half of DocumentView (which sets these attributes up)."""

    colors: LabelColors
    text: str
    offsets: OffsetMap
    index: SpanIndex
    spans: dict[str, Span]
    selected_span: str | None
    quote_parts: set[str]
    arrows: list[Arrow]
    show_all_arrows: bool
    _tints: dict[tuple[str, int], QColor]
    _mark_cache: dict[int, _BlockMarks]
    _tag_pixmaps: dict[tuple[str, float], QPixmap]

    @property
    def styler(self) -> BlockStyler:
        raise NotImplementedError

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._mark_cache.clear()  # lines wrap anew
        super().resizeEvent(event)

    def _update_geometry(self) -> None:
        """Fonts and room of the marks for the current font: tags, line gap, gutter."""
        from PySide6.QtGui import QFont, QFontMetricsF

        font = self.font()
        metrics = QFontMetricsF(font)
        tag_font = QFont(font)
        if font.pointSizeF() > 0:
            tag_font.setPointSizeF(max(font.pointSizeF() * 0.72, 6.0))
        tag_font.setBold(True)
        tag_metrics = QFontMetricsF(tag_font)
        self._glyph_ascent = metrics.ascent()
        self._glyph_descent = metrics.descent()
        self._tag_font = tag_font
        self._tag_metrics = tag_metrics
        self._label_height = tag_metrics.height()
        self._tag_rooms: dict[str, float] = {}
        gap_points = 0.0
        space_spacing = 0.0
        if font.pointSizeF() > 0:
            gap = label_layout.line_gap(self._label_height)
            gap_points = font.pointSizeF() * (metrics.height() + gap) / metrics.height()
            tall = QFont(font)
            tall.setPointSizeF(gap_points)
            space_spacing = metrics.horizontalAdvance(" ") - QFontMetricsF(tall).horizontalAdvance(
                " "
            )
        self.document().setDocumentMargin(GUTTER)
        self.styler.set_geometry(gap_points, space_spacing, self._tag_room)
        self._mark_cache.clear()
        self._tag_pixmaps.clear()

    def _tag_room(self, label: str) -> float:
        room = self._tag_rooms.get(label)
        if room is None:
            name = label_layout.tag_text(label)
            room = self._tag_rooms[label] = label_layout.tag_room(
                self._tag_metrics.horizontalAdvance(name)
            )
        return room

    def _tint(self, label: str) -> QColor:
        """The label's colour laid over the page's, so text stays readable on both themes."""
        base = self.palette().base().color()
        key = (label, base.rgba())
        tint = self._tints.get(key)
        if tint is None:
            color = self.colors.color(label)
            share = 0.55 if base.lightness() > 127 else 0.42
            tint = QColor(
                round(base.red() + (color.red() - base.red()) * share),
                round(base.green() + (color.green() - base.green()) * share),
                round(base.blue() + (color.blue() - base.blue()) * share),
            )
            self._tints[key] = tint
        return tint

    def background_at(self, offset: int) -> QColor | None:
        """The background painted under the character at ``offset``: its innermost span's."""
        hits = self.index.at_qt(self.offsets.to_qt(offset))
        return self._tint(hits[0].label) if hits else None

    def _visible_blocks(self, style: bool = False) -> list[tuple[QTextBlock, float]]:
        """The blocks in view with their tops; with ``style``, each is styled before it is
        measured, so that it is laid out once, with its formats."""
        blocks: list[tuple[QTextBlock, float]] = []
        block = self.firstVisibleBlock()
        offset = self.contentOffset()
        height = self.viewport().height()
        styler = self.styler
        while block.isValid():
            if style and block.blockNumber() not in styler.styled:
                styler.apply(block)
                self._mark_cache.pop(block.blockNumber(), None)
            top = self.blockBoundingGeometry(block).translated(offset).top()
            if top > height:
                break
            if block.isVisible():
                blocks.append((block, top))
            block = block.next()
        return blocks

    def _glyph_line(self, top: float, layout_y: float, line: QTextLine) -> label_layout.Line:
        baseline = top + layout_y + line.y() + line.ascent()
        return label_layout.Line(baseline - self._glyph_ascent, baseline + self._glyph_descent)

    def _marks(self, visible: list[tuple[QTextBlock, float]]) -> _Marks:
        """Where each visible span's pieces, lanes and tags go, in viewport coordinates."""
        marks = _Marks()
        for block, top in visible:
            pieces, tags = self._block_marks(block)
            for piece in pieces:
                moved = _Piece(
                    piece.placed, piece.lane, piece.line.moved(top), piece.rect.translated(0, top)
                )
                marks.pieces.setdefault(piece.placed.id, []).append(moved)
            for label, tag, line in tags:
                marks.tags.append((label, tag, line.moved(top)))
        return marks

    def _block_marks(self, block: QTextBlock) -> _BlockMarks:
        """A block's span pieces and tags relative to its top, kept until it is laid out anew."""
        number = block.blockNumber()
        cached = self._mark_cache.get(number)
        if cached is not None:
            return cached
        pieces: list[_Piece] = []
        tags: list[tuple[str, label_layout.Tag, label_layout.Line]] = []
        result = (pieces, tags)
        members = self.index.in_block(number)
        if not members:
            self._mark_cache[number] = result
            return result
        top = 0.0
        layout = block.layout()
        origin = layout.position()
        base = block.position()
        length = block.length() - 1
        rooms = self.styler.tag_rooms(number, length)
        lanes = self.index.lanes(number)
        lines: dict[int, label_layout.Line] = {}

        def glyphs_of(line: QTextLine) -> label_layout.Line:
            glyphs = lines.get(line.lineNumber())
            if glyphs is None:
                glyphs = lines[line.lineNumber()] = self._glyph_line(top, origin.y(), line)
            return glyphs

        ending: dict[int, list[Placed]] = {}
        for placed in members:
            start = max(placed.qt_start - base, 0)
            end = min(placed.qt_end - base, length)
            lane = lanes.get(placed.id, 0)
            if placed.qt_end - base <= length:
                ending.setdefault(end, []).append(placed)
            first = layout.lineForTextPosition(start).lineNumber() if start < length else -1
            last = layout.lineForTextPosition(max(end - 1, start)).lineNumber()
            for line_number in range(max(first, 0), last + 1):
                line = layout.lineAt(line_number)
                line_start = line.textStart()
                line_end = line_start + line.textLength()
                left, right = max(start, line_start), min(end, line_end)
                if left >= right:
                    continue
                x1 = origin.x() + _x(line.cursorToX(left))
                x2 = origin.x() + _x(line.cursorToX(right))
                if right == end and end in rooms:
                    x2 -= rooms[end]
                glyphs = glyphs_of(line)
                rect = QRectF(
                    min(x1, x2),
                    glyphs.glyph_top,
                    max(abs(x2 - x1), 1.0),
                    glyphs.glyph_bottom - glyphs.glyph_top,
                )
                pieces.append(_Piece(placed, lane, glyphs, rect))
        for end, placed_here in ending.items():
            line = layout.lineForTextPosition(max(end - 1, 0))
            end_x = origin.x() + _x(line.cursorToX(end))
            glyphs = glyphs_of(line)
            placed_here.sort(key=lambda p: (p.qt_end - p.qt_start, p.id))
            rooms_here = [(p.id, self._tag_room(p.label)) for p in placed_here]
            labels = {p.id: p.label for p in placed_here}
            for tag in label_layout.place_tags(end_x, rooms_here):
                tags.append((labels[tag.span_id], tag, glyphs))
        self._mark_cache[number] = result
        return result

    def _rects(self, block: QTextBlock, top: float, placed: Placed) -> list[QRectF]:
        """The text of ``placed`` in ``block``, one rectangle per line, tags left out."""
        pieces = self._marks([(block, top)]).pieces.get(placed.id, [])
        return [piece.rect for piece in pieces]

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.text:
            # Nothing to style (the empty window before a project opens).
            super().paintEvent(event)
            return
        visible = self._visible_blocks(style=True)
        if not len(self.index):
            self.styler.release_glyphs()
            super().paintEvent(event)
            return
        from PySide6.QtGui import QPainter

        marks = self._marks(visible)
        self.styler.release_glyphs()  # measured: Qt draws them once more, then drops them
        painter = QPainter(self.viewport())
        self._paint_backgrounds(painter, marks)
        painter.end()
        super().paintEvent(event)
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_lanes(painter, marks)
        self._paint_tags(painter, marks)
        self._paint_selection(painter, marks)
        self._paint_arrows(painter, marks, visible)
        painter.end()

    def _paint_backgrounds(self, painter: QPainter, marks: _Marks) -> None:
        """Each character on its innermost span's colour: outer spans first, inner over them."""
        painter.setPen(Qt.PenStyle.NoPen)
        pieces = sorted(
            (piece for pieces in marks.pieces.values() for piece in pieces),
            key=lambda piece: -(piece.placed.qt_end - piece.placed.qt_start),
        )
        tints: dict[str, QColor] = {}
        for piece in pieces:
            label = piece.placed.label
            tint = tints.get(label)
            if tint is None:
                tint = tints[label] = self._tint(label)
            painter.fillRect(piece.rect, tint)

    def _paint_lanes(self, painter: QPainter, marks: _Marks) -> None:
        """A bar per span below its text, one lane per depth, ticks where the span starts/ends."""
        painter.setPen(Qt.PenStyle.NoPen)
        # The darker edge reads on a light page; on a dark one the label's own colour does.
        dark = self.palette().base().color().lightness() < 128
        colors: dict[str, QColor] = {}
        for pieces in marks.pieces.values():
            for number, piece in enumerate(pieces):
                label = piece.placed.label
                color = colors.get(label)
                if color is None:
                    color = self.colors.color(label) if dark else self.colors.edge(label)
                    colors[label] = color
                rect = piece.rect
                y = label_layout.lane_top(piece.line.glyph_bottom, piece.lane)
                painter.fillRect(
                    QRectF(rect.left(), y, rect.width(), label_layout.LANE_HEIGHT), color
                )
                tick_top = piece.line.glyph_bottom - 2
                if number == 0:
                    painter.fillRect(QRectF(rect.left(), tick_top, 1, y - tick_top), color)
                if number == len(pieces) - 1:
                    painter.fillRect(QRectF(rect.right() - 1, tick_top, 1, y - tick_top), color)

    def _paint_tags(self, painter: QPainter, marks: _Marks) -> None:
        height = self._label_height + 1
        for label, tag, line in marks.tags:
            middle = (line.glyph_top + line.glyph_bottom) / 2
            painter.drawPixmap(
                QPointF(tag.left, round(middle - height / 2)), self._tag_pixmap(label, height)
            )

    def _tag_pixmap(self, label: str, height: float) -> QPixmap:
        """A label's tag, drawn once: thousands of tags cost a copy each, not text layout."""
        ratio = self.devicePixelRatioF()
        key = (label, ratio)
        pixmap = self._tag_pixmaps.get(key)
        if pixmap is None:
            from PySide6.QtGui import QPainter, QPen, QPixmap

            width = self._tag_room(label) - label_layout.TAG_SPACING
            pixmap = QPixmap(max(round(width * ratio), 1), max(round(height * ratio), 1))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            rect = QRectF(0.5, 0.5, width - 1, height - 1)
            fill = self.colors.color(label)
            painter.setPen(QPen(self.colors.edge(label), 1))
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, 3, 3)
            painter.setFont(self._tag_font)
            painter.setPen(readable_text(fill))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label_layout.tag_text(label))
            painter.end()
            self._tag_pixmaps[key] = pixmap
        return pixmap

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

    def _paint_selection(self, painter: QPainter, marks: _Marks) -> None:
        if self.selected_span is None:
            return
        from PySide6.QtGui import QPen

        accent = self.palette().highlight().color()
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(accent, 2))
        # The selected span and every other part of its quotes, outlined alike (one unit).
        for span_id in {self.selected_span, *self.quote_parts}:
            for piece in marks.pieces.get(span_id, []):
                painter.drawRoundedRect(piece.rect.adjusted(-2, -2, 2, 2), 3, 3)
        painter.setPen(QPen(accent, 2, Qt.PenStyle.DashLine))
        for span_id in self._related() - self.quote_parts:
            for piece in marks.pieces.get(span_id, []):
                painter.drawRoundedRect(piece.rect.adjusted(-2, -2, 2, 2), 3, 3)

    def _anchor(
        self, span_id: str, other_id: str, marks: _Marks, visible: list[tuple[QTextBlock, float]]
    ) -> label_layout.Anchor | None:
        """Where an arrow meets ``span_id``: on its line nearest the span at the other end."""
        pieces = marks.pieces.get(span_id)
        if pieces:
            this, other = self.spans.get(span_id), self.spans.get(other_id)
            later = this is not None and other is not None and other.start > this.start
            piece = pieces[-1] if later else pieces[0]
            y = label_layout.lane_top(piece.line.glyph_bottom, piece.lane)
            return label_layout.Anchor(
                piece.rect.center().x(), y + label_layout.LANE_HEIGHT + 0.5, piece.line
            )
        span = self.spans.get(span_id)
        if span is None or not visible:
            return None
        first = visible[0][0].position()
        above = self.offsets.to_qt(span.start) < first
        return label_layout.Anchor(0.0, -20.0 if above else self.viewport().height() + 20.0, None)

    def arrow_routes(self) -> list[tuple[Arrow, label_layout.Route]]:
        """The routes of the arrows drawn at the current scroll position (for tests, too)."""
        visible = self._visible_blocks()
        return self._routes(self._marks(visible), visible)

    def _routes(
        self, marks: _Marks, visible: list[tuple[QTextBlock, float]]
    ) -> list[tuple[Arrow, label_layout.Route]]:
        routes: list[tuple[Arrow, label_layout.Route]] = []
        tracks: dict[float, int] = {}
        gutter_track = 0
        gutter_x = GUTTER - 4
        for arrow in self.arrows:
            focused = self.selected_span in (arrow.head, arrow.tail)
            if not (focused or self.show_all_arrows):
                continue
            head = self._anchor(arrow.head, arrow.tail, marks, visible)
            tail = self._anchor(arrow.tail, arrow.head, marks, visible)
            if head is None or tail is None or (head.line is None and tail.line is None):
                continue
            channels = [end.line.glyph_bottom for end in (head, tail) if end.line is not None]
            track = max(tracks.get(channel, 0) for channel in channels) % 2
            for channel in channels:
                tracks[channel] = tracks.get(channel, 0) + 1
            if head.line != tail.line:
                track = max(track, gutter_track % 3)
                gutter_track += 1
            route = label_layout.route_arrow(head, tail, self._label_height, gutter_x, track)
            routes.append((arrow, route))
        widths = [self._name_width(arrow.label) for arrow, _ in routes]
        spread = label_layout.place_names(
            [route for _, route in routes],
            widths,
            self._label_height,
            self.viewport().width(),
        )
        return [(arrow, route) for (arrow, _), route in zip(routes, spread, strict=True)]

    def _name_width(self, label: str) -> float:
        name = label_layout.tag_text(label, label_layout.MAX_RELATION_CHARACTERS)
        return self._tag_metrics.horizontalAdvance(name) + 6

    def _paint_arrows(
        self, painter: QPainter, marks: _Marks, visible: list[tuple[QTextBlock, float]]
    ) -> None:
        from PySide6.QtGui import QPainterPath, QPen, QPolygonF

        text_color = self.palette().text().color()
        base = self.palette().base().color()
        painter.setFont(self._tag_font)
        for arrow, route in self._routes(marks, visible):
            focused = self.selected_span in (arrow.head, arrow.tail)
            head_span = self.spans.get(arrow.head)
            color = (
                QColor(self.colors.edge(head_span.label))
                if focused and head_span is not None
                else QColor(text_color)
            )
            color.setAlpha(255 if focused else 170)
            width = 2.2 if focused else 1.4
            points = [QPointF(x, y) for x, y in route.points]
            path = QPainterPath(points[0])
            for point in points[1:]:
                path.lineTo(point)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(color, width))
            painter.drawPath(path)
            tip, before = points[-1], points[-2]
            if tip.y() < before.y() and 0 <= tip.y() <= self.viewport().height():
                size = 6.0
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(color)
                painter.drawPolygon(
                    QPolygonF(
                        [
                            tip,
                            QPointF(tip.x() - size / 2, tip.y() + size),
                            QPointF(tip.x() + size / 2, tip.y() + size),
                        ]
                    )
                )
            name = label_layout.tag_text(arrow.label, label_layout.MAX_RELATION_CHARACTERS)
            name_width = self._name_width(arrow.label)
            box = QRectF(
                route.label_x - name_width / 2,
                route.label_y - self._label_height / 2,
                name_width,
                self._label_height,
            )
            painter.setPen(QPen(color, 1))
            painter.setBrush(base)
            painter.drawRoundedRect(box, 4, 4)
            painter.setPen(text_color)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, name)


class _Piece(NamedTuple):
    """A span's stretch on one text line."""

    placed: Placed
    lane: int
    line: label_layout.Line
    rect: QRectF


_BlockMarks = tuple[list[_Piece], list[tuple[str, label_layout.Tag, label_layout.Line]]]


class _Marks:
    def __init__(self) -> None:
        self.pieces: dict[str, list[_Piece]] = {}
        self.tags: list[tuple[str, label_layout.Tag, label_layout.Line]] = []


def _x(result: object) -> float:
    # PySide6 returns (x, position) for QTextLine.cursorToX(int).
    value = result[0] if isinstance(result, tuple) else result
    return float(value)  # type: ignore[arg-type]
