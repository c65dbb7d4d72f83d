"""The one place where Qt text positions and code-point offsets are converted.

Qt's QPlainTextEdit counts UTF-16 units (a character outside the Basic Multilingual
Plane such as an emoji is two units) and turns every block break, including the two
characters of "\\r\\n", into one position. Stored offsets are Python string indices.
Everything else in the ui package calls :meth:`OffsetMap.to_qt` / :meth:`OffsetMap.from_qt`.

Pure Python: no Qt import, so it is tested on its own (with hypothesis).
"""

from __future__ import annotations

import bisect
import re

# Characters that make a code-point offset and a Qt position drift apart:
# astral characters (one code point, two UTF-16 units) and the "\r" of "\r\n" (two code
# points, one Qt block break).
_SHIFTS = re.compile("[\U00010000-\U0010ffff]|\r(?=\n)")
CHUNK = 1 << 16
# What QPlainTextEdit.setPlainText turns into a block break (U+2028 stays inside a block).
BLOCK_BREAK = re.compile("\r\n|[\r\n\u2029]")


class OffsetMap:
    """Converts between code-point offsets into ``text`` and Qt positions in a view of it.

    The text is scanned lazily, a chunk at a time, up to the furthest offset asked for:
    opening a long article converts positions near its top, so the rest is not scanned
    until it is needed, and ASCII chunks are skipped without a regex scan.
    """

    __slots__ = ("_cp_events", "_deltas", "_length", "_qt_events", "_scanned", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._length = len(text)
        self._scanned = 0  # every shift before this offset is recorded
        self._cp_events: list[int] = []
        self._qt_events: list[int] = []
        self._deltas: list[int] = []

    def _scan_next(self) -> None:
        text = self._text
        start = self._scanned
        end = min(start + CHUNK, self._length)
        # Keep "\r\n" within one chunk, so the lookahead sees the "\n".
        while end < self._length and text[end - 1] == "\r":
            end += 1
        piece = text[start:end]
        if not (piece.isascii() and "\r" not in piece):
            delta = self._deltas[-1] if self._deltas else 0
            for match in _SHIFTS.finditer(text, start, end):
                index = match.start()
                step = -1 if text[index] == "\r" else 1
                delta += step
                self._cp_events.append(index + 1)
                # Both sides of the "\r" of "\r\n" are one Qt position (before the break),
                # which maps back to before the "\r".
                self._qt_events.append(index + 1 + delta + (1 if step < 0 else 0))
                self._deltas.append(delta)
        self._scanned = end

    def _delta(self) -> int:
        return self._deltas[-1] if self._deltas else 0

    @property
    def qt_length(self) -> int:
        """Positions in the Qt document, without its final block separator."""
        return self.to_qt(self._length)

    def to_qt(self, offset: int) -> int:
        """Qt position of a code-point offset (0 <= offset <= len(text))."""
        while self._scanned < offset:
            self._scan_next()
        if not self._cp_events:
            return offset
        index = bisect.bisect_right(self._cp_events, offset)
        return offset + (self._deltas[index - 1] if index else 0)

    def from_qt(self, position: int) -> int:
        """Code-point offset of a Qt position.

        A position inside a surrogate pair (which a QTextCursor never reports) maps to the
        start of that character, so a range never splits one.
        """
        # Scan past the position (and one more character, for the surrogate check below).
        while self._scanned < self._length and self._scanned + self._delta() <= position + 1:
            self._scan_next()
        if not self._qt_events:
            return max(0, min(position, self._length))
        index = bisect.bisect_right(self._qt_events, position)
        offset = position - self._deltas[index - 1] if index else position
        # Between the two units of an astral character: the next event starts at offset + 1
        # but its Qt position is not reached yet.
        if index < len(self._cp_events) and offset >= self._cp_events[index]:
            offset = self._cp_events[index] - 1
        return max(0, min(offset, self._length))

    def range_to_qt(self, start: int, end: int) -> tuple[int, int]:
        return self.to_qt(start), self.to_qt(end)

    def range_from_qt(self, start: int, end: int) -> tuple[int, int]:
        return self.from_qt(start), self.from_qt(end)


def block_starts(text: str) -> list[int]:
    """Code-point offset where each Qt block of ``text`` starts (first is 0)."""
    if "\r" in text or "\u2029" in text:
        return [0, *(match.end() for match in BLOCK_BREAK.finditer(text))]
    # The usual case, only "\n": str.find is many times faster than the regex.
    starts = [0]
    find = text.find
    index = find("\n")
    while index != -1:
        starts.append(index + 1)
        index = find("\n", index + 1)
    return starts
