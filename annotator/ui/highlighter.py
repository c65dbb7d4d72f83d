"""Lays out room for the labelling marks, one Qt block at a time, only when it is seen.

The view paints span backgrounds, lanes, tags and arrows itself (label_layout.py); what
must change the text's layout goes here, as formats straight on a block's layout
(``QTextLayout.setFormats``, what a QSyntaxHighlighter does inside):

- in a block that carries marks (a span, so also an arrow's end), every space is set in
  a taller font with its advance kept: each line that has one grows by the same gap
  below the text, where lanes and arrows run (QPlainTextEdit ignores block margins and
  line heights). A block without spans keeps the text's line height: nothing is drawn
  under it, and arrows between lines pass it in the left gutter;
- the last character of each span gets letter spacing as wide as the tags of the spans
  ending there, so the tags sit in the text's flow and never cover a word.

Only blocks about to be painted are styled, and only once: opening a 10,000-span
article styles the screenful in view, scrolling styles the blocks that come into view,
and an edit restyles just the blocks it touches. Never one ExtraSelection per span
(80-140 ms per repaint at 10,000 spans, see docs/architecture.md).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable

from PySide6.QtGui import QFont, QTextBlock, QTextCharFormat, QTextDocument, QTextLayout
from PySide6.QtWidgets import QPlainTextDocumentLayout

from annotator.editing.span_index import SpanIndex
from annotator.ui.colors import LabelColors

_SPACE = re.compile(" ")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# Blocks whose space formats are kept (about 100 spaces a paragraph, 220 bytes each):
# several screenfuls, the blocks an edit can touch.
SPACE_RANGES_KEPT = 64
# Blocks restyled since the last paint whose shaped glyphs are kept for it.
GLYPHS_KEPT = 32


class BlockStyler:
    def __init__(self, document: QTextDocument, colors: LabelColors) -> None:
        self.document = document
        self.colors = colors
        self.index: SpanIndex | None = None
        self.styled: set[int] = set()
        # Each styled block's marks (whether it has spans, and its tag rooms): an edit that
        # leaves them as they were (a note, a relabel to a name as wide) needs no new
        # formats, so no new layout; the first span in a block or its last one removed does.
        self._rooms: dict[int, tuple[bool, dict[int, float]]] = {}
        self._space_format: QTextCharFormat | None = None
        self._tag_room: Callable[[str], float] = lambda _label: 0.0
        self._tag_formats: dict[float, QTextCharFormat] = {}
        self._space_ranges: dict[int, tuple[list[int], list[QTextLayout.FormatRange]]] = {}
        self._glyphs_kept: list[QTextBlock] = []
        # The tag spacing ranges of the blocks styled last, by span end (Qt offset):
        # (room, start, range), reused by the restyle after an edit.
        self._tag_kept: dict[int, dict[int, tuple[float, int, QTextLayout.FormatRange]]] = {}

    def reset(self, index: SpanIndex) -> None:
        """A new text: nothing is styled yet (its blocks are new, without formats)."""
        self.index = index
        self.styled.clear()
        self._glyphs_kept.clear()
        self._rooms.clear()
        self._space_ranges.clear()
        self._tag_kept.clear()

    def set_colors(self, colors: LabelColors) -> None:
        # Colours are painted by the view, not set as formats: nothing to restyle.
        self.colors = colors

    def set_geometry(
        self, gap_point_size: float, space_spacing: float, tag_room: Callable[[str], float]
    ) -> None:
        """The taller font for spaces (0: no gap) and each label's tag room; restyles lazily."""
        if gap_point_size > 0:
            space = QTextCharFormat()
            space.setFontPointSize(gap_point_size)
            space.setFontLetterSpacingType(QFont.SpacingType.AbsoluteSpacing)
            space.setFontLetterSpacing(space_spacing)
            self._space_format = space
        else:
            self._space_format = None
        self._tag_room = tag_room
        self._tag_formats.clear()
        for number in self.styled:
            block = self.document.findBlockByNumber(number)
            if block.isValid():
                block.layout().setFormats([])
                self.document.markContentsDirty(block.position(), block.length())
        self.styled.clear()
        self._rooms.clear()
        self._space_ranges.clear()
        self._tag_kept.clear()

    def _tag_format(self, room: float) -> QTextCharFormat:
        key = round(room, 1)
        fmt = self._tag_formats.get(key)
        if fmt is None:
            fmt = QTextCharFormat()
            fmt.setFontLetterSpacingType(QFont.SpacingType.AbsoluteSpacing)
            fmt.setFontLetterSpacing(key)
            self._tag_formats[key] = fmt
        return fmt

    def tag_rooms(self, number: int, block_length: int) -> dict[int, float]:
        """Room reserved for tags at each span end inside the block (Qt offsets in it)."""
        rooms: dict[int, float] = {}
        if self.index is None or not len(self.index):
            return rooms
        base = self.index.block_qt_start(number)
        for placed in self.index.in_block(number):
            end = placed.qt_end - base
            if 0 < end <= block_length:
                rooms[end] = rooms.get(end, 0.0) + self._tag_room(placed.label)
        return rooms

    def marked(self, number: int) -> bool:
        """Whether the block carries spans, so needs the gap below its lines."""
        return (
            self.index is not None and bool(len(self.index)) and bool(self.index.in_block(number))
        )

    def _marks(self, number: int, block_length: int) -> tuple[bool, dict[int, float]]:
        return self.marked(number), self.tag_rooms(number, block_length)

    def _spaces(
        self, block: QTextBlock, length: int, space: QTextCharFormat
    ) -> tuple[list[int], list[QTextLayout.FormatRange]]:
        """The block's spaces (Qt offsets) and their taller-space formats.

        Kept for the blocks styled or edited last: the text never changes, so the restyle
        after an edit, which is in view, reuses them. Not for every block: a range object
        per space would hold tens of megabytes once a long article has been scrolled through.
        """
        number = block.blockNumber()
        cached = self._space_ranges.pop(number, None)
        if cached is None:
            text = block.text()
            if len(text) == length:
                starts = [match.start() for match in _SPACE.finditer(text)]
            else:
                starts = _utf16_spaces(text)
            ranges = []
            for start in starts:
                fmt_range = QTextLayout.FormatRange()
                fmt_range.start = start
                fmt_range.length = 1
                fmt_range.format = space
                ranges.append(fmt_range)
            cached = (starts, ranges)
            if len(self._space_ranges) >= SPACE_RANGES_KEPT:
                del self._space_ranges[next(iter(self._space_ranges))]
        self._space_ranges[number] = cached  # the most recent last
        return cached

    def apply(self, block: QTextBlock, marks: tuple[bool, dict[int, float]] | None = None) -> None:
        """(Re)compute one block's formats from the index (``marks``: already computed)."""
        number = block.blockNumber()
        self.styled.add(number)
        length = block.length() - 1  # UTF-16 units, like the formats (not len(block.text()))
        if marks is None:
            marks = self._marks(number, length)
        marked, rooms = self._rooms[number] = marks
        starts: list[int] = []
        ranges: list[QTextLayout.FormatRange] = []
        if self._space_format is not None and marked:
            space_starts, space_ranges = self._spaces(block, length, self._space_format)
            starts, ranges = list(space_starts), list(space_ranges)
        # The tags' spacing merged in among the spaces, which are in order already.
        for start, fmt_range in self._tag_ranges(number, rooms):
            at = bisect.bisect_left(starts, start)
            if at < len(starts) and starts[at] == start:
                ranges[at] = fmt_range
            else:
                starts.insert(at, start)
                ranges.insert(at, fmt_range)
        layout = block.layout()
        if ranges or layout.formats():
            # A screenful at most: an edit over many blocks out of view (a bulk accept)
            # must not leave each one's glyphs held until it is painted.
            keep = len(self._glyphs_kept) < GLYPHS_KEPT
            set_formats(self.document, block, ranges, keep)
            if keep:
                self._glyphs_kept.append(block)

    def _tag_ranges(
        self, number: int, rooms: dict[int, float]
    ) -> list[tuple[int, QTextLayout.FormatRange]]:
        """The letter spacing after each span end that makes room for its tags, as
        (Qt offset in the block, range); the ones whose room is unchanged are reused."""
        if not rooms or self.index is None:
            self._tag_kept.pop(number, None)
            return []
        kept = self._tag_kept.pop(number, {})
        fresh: dict[int, tuple[float, int, QTextLayout.FormatRange]] = {}
        text_of = self.index.text
        from_qt = self.index.offsets.from_qt
        base = self.index.block_qt_start(number)
        for end, room in rooms.items():
            key = round(room, 1)
            found = kept.get(end)
            if found is None or found[0] != key:
                last = text_of[from_qt(base + end) - 1]
                width = 2 if ord(last) > 0xFFFF else 1
                fmt_range = QTextLayout.FormatRange()
                fmt_range.start = end - width
                fmt_range.length = width
                fmt_range.format = self._tag_format(room)
                found = (key, end - width, fmt_range)
            fresh[end] = found
        if len(self._tag_kept) >= SPACE_RANGES_KEPT:
            del self._tag_kept[next(iter(self._tag_kept))]
        self._tag_kept[number] = fresh
        return [(start, fmt_range) for _key, start, fmt_range in fresh.values()]

    def release_glyphs(self) -> None:
        """Let Qt drop the glyphs kept for the blocks styled since the last paint once it
        has drawn them (a glyph cache per block seen would grow with the article)."""
        for block in self._glyphs_kept:
            if block.isValid():
                block.layout().setCacheEnabled(False)
        self._glyphs_kept.clear()

    def ensure(self, blocks: Iterable[QTextBlock]) -> list[int]:
        """Style the blocks about to be painted that are not styled yet; returns their numbers."""
        styled = []
        for block in blocks:
            if block.blockNumber() not in self.styled:
                self.apply(block)
                styled.append(block.blockNumber())
        return styled

    def restyle(self, numbers: Iterable[int]) -> int:
        """After an edit: restyle the given blocks that were styled and whose marks
        changed (tag rooms, or spans gained or lost); the rest wait until seen."""
        count = 0
        for number in numbers:
            if number in self.styled:
                block = self.document.findBlockByNumber(number)
                if block.isValid():
                    marks = self._marks(number, block.length() - 1)
                    if self._rooms.get(number) == marks:
                        continue
                    self.apply(block, marks)
                    count += 1
        return count


def set_formats(
    document: QTextDocument,
    block: QTextBlock,
    ranges: list[QTextLayout.FormatRange],
    keep_glyphs: bool = False,
) -> None:
    """Give a block new formats and lay out that block again, and only that block.

    QTextLayout.setFormats drops the block's lines and notes a change over the whole
    block; markContentsDirty (what QSyntaxHighlighter calls next) hands that change to
    QPlainTextDocumentLayout as the block's length removed and added again, which it
    reads as reaching twice as far: the layouts of the next blocks (the empty line, the
    next paragraph) are thrown away too and laid out again at the next paint. Asking the
    layout for this block's lines lays out just this block; a block not laid out yet
    waits for its first paint. The note setFormats leaves is merged into the document's
    next real change (a new text), which lays everything out anew anyway.
    """
    layout = block.layout()
    laid_out = layout.lineCount() > 0
    layout.setFormats(ranges)
    # With ``keep_glyphs``, the glyphs Qt shapes to lay the block out are kept (it drops
    # them after laying out and after each draw) for the view to measure the block's
    # marks and paint it: a restyled block is shaped once, not three times.
    # BlockStyler.release_glyphs hands them back to Qt's usual way at the next paint.
    layout.setCacheEnabled(keep_glyphs)
    if laid_out:
        layout.clearLayout()
        document_layout = document.documentLayout()
        if isinstance(document_layout, QPlainTextDocumentLayout):
            document_layout.ensureBlockLayout(block)
        else:
            document.markContentsDirty(block.position(), block.length())


def _utf16_spaces(text: str) -> list[int]:
    """Qt offsets of the spaces in a block with characters outside the BMP (two units each)."""
    astral = [match.start() for match in _ASTRAL.finditer(text)]
    return [
        match.start() + bisect.bisect_left(astral, match.start()) for match in _SPACE.finditer(text)
    ]
