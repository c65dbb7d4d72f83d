"""Paints labelled spans as character formats, one Qt block at a time.

The formats come from a :class:`SpanIndex`, so restyling after an edit calls
``rehighlightBlock`` on the affected blocks only; never one ExtraSelection per span
(80-140 ms per repaint at 10,000 spans, see DESIGN.md).
"""

from __future__ import annotations

from PySide6.QtGui import QSyntaxHighlighter, QTextCharFormat, QTextDocument

from annotator.ui.colors import LabelColors, readable_text
from annotator.ui.span_index import SpanIndex


class SpanHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument, colors: LabelColors) -> None:
        super().__init__(document)
        self.index: SpanIndex | None = None
        self.colors = colors
        self._formats: dict[tuple[str, ...], QTextCharFormat] = {}

    def set_colors(self, colors: LabelColors) -> None:
        self.colors = colors
        self._formats.clear()

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

    def highlightBlock(self, text: str) -> None:
        index = self.index
        if index is None or not len(index):
            return
        block = self.currentBlock()
        # setFormat counts UTF-16 units; len(text) counts code points (DESIGN.md trap).
        length = block.length() - 1
        for segment in index.segments(block.blockNumber(), length):
            self.setFormat(segment.start, segment.end - segment.start, self._format(segment.labels))

    def restyle(self, blocks: set[int]) -> None:
        document = self.document()
        for number in sorted(blocks):
            block = document.findBlockByNumber(number)
            if block.isValid():
                self.rehighlightBlock(block)
