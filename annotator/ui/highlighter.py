"""Styles labelled spans as text formats, one Qt block at a time, only when it is seen.

Formats go straight onto a block's layout (``QTextLayout.setFormats``, what a
QSyntaxHighlighter does inside), but only for blocks that are about to be painted and
only once: opening a 10,000-span article styles the screenful in view, scrolling styles
the blocks that come into view, and an edit restyles just the blocks it touches. Never
one ExtraSelection per span (80-140 ms per repaint at 10,000 spans, see DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QTextBlock, QTextCharFormat, QTextDocument, QTextLayout

from annotator.editing.span_index import SpanIndex
from annotator.ui.colors import LabelColors, readable_text


class BlockStyler:
    def __init__(self, document: QTextDocument, colors: LabelColors) -> None:
        self.document = document
        self.colors = colors
        self.index: SpanIndex | None = None
        self.styled: set[int] = set()
        self._formats: dict[tuple[str, ...], QTextCharFormat] = {}

    def reset(self, index: SpanIndex) -> None:
        """A new text: nothing is styled yet (its blocks are new, without formats)."""
        self.index = index
        self.styled.clear()

    def set_colors(self, colors: LabelColors) -> None:
        self.colors = colors
        self._formats.clear()
        for number in self.styled:
            block = self.document.findBlockByNumber(number)
            if block.isValid():
                block.layout().setFormats([])
        self.styled.clear()

    def _format(self, labels: tuple[str, ...]) -> QTextCharFormat:
        fmt = self._formats.get(labels)
        if fmt is None:
            fmt = QTextCharFormat()
            background = self.colors.background(labels)
            fmt.setBackground(background)
            # Label colours are light; keep text readable on them in the dark palette too.
            fmt.setForeground(readable_text(background))
            self._formats[labels] = fmt
        return fmt

    def apply(self, block: QTextBlock) -> None:
        """(Re)compute one block's formats from the index."""
        number = block.blockNumber()
        self.styled.add(number)
        ranges: list[QTextLayout.FormatRange] = []
        if self.index is not None and len(self.index):
            # Block lengths count UTF-16 units, like the formats (not block.text()'s length).
            for segment in self.index.segments(number, block.length() - 1):
                fmt_range = QTextLayout.FormatRange()
                fmt_range.start = segment.start
                fmt_range.length = segment.end - segment.start
                fmt_range.format = self._format(segment.labels)
                ranges.append(fmt_range)
        layout = block.layout()
        if ranges or layout.formats():
            layout.setFormats(ranges)

    def ensure(self, blocks: Iterable[QTextBlock]) -> None:
        """Style the blocks about to be painted that are not styled yet."""
        for block in blocks:
            if block.blockNumber() not in self.styled:
                self.apply(block)

    def restyle(self, numbers: Iterable[int]) -> int:
        """After an edit: restyle the given blocks that were styled; the rest wait until seen."""
        count = 0
        for number in numbers:
            if number in self.styled:
                block = self.document.findBlockByNumber(number)
                if block.isValid():
                    self.apply(block)
                    count += 1
        return count
