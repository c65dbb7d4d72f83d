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
# What QPlainTextEdit.setPlainText turns into a block break (U+2028 stays inside a block).
BLOCK_BREAK = re.compile("\r\n|[\r\n\u2029]")


class OffsetMap:
    """Converts between code-point offsets into ``text`` and Qt positions in a view of it."""

    __slots__ = ("_cp_events", "_deltas", "_length", "_qt_events")

    def __init__(self, text: str) -> None:
        cp_events: list[int] = []
        qt_events: list[int] = []
        deltas: list[int] = []
        delta = 0
        for match in _SHIFTS.finditer(text):
            index = match.start()
            # Positions after this character move by +1 (astral) or -1 (the \r of \r\n).
            step = -1 if text[index] == "\r" else 1
            delta += step
            cp_events.append(index + 1)
            # The Qt position from which the new delta applies. Both sides of the "\r" of
            # "\r\n" are one Qt position (before the break), which maps back to before "\r".
            qt_events.append(index + 1 + delta + (1 if step < 0 else 0))
            deltas.append(delta)
        self._cp_events = cp_events
        self._qt_events = qt_events
        self._deltas = deltas
        self._length = len(text)

    @property
    def qt_length(self) -> int:
        """Positions in the Qt document, without its final block separator."""
        return self.to_qt(self._length)

    def to_qt(self, offset: int) -> int:
        """Qt position of a code-point offset (0 <= offset <= len(text))."""
        if not self._cp_events:
            return offset
        index = bisect.bisect_right(self._cp_events, offset)
        return offset + (self._deltas[index - 1] if index else 0)

    def from_qt(self, position: int) -> int:
        """Code-point offset of a Qt position.

        A position inside a surrogate pair (which a QTextCursor never reports) maps to the
        start of that character, so a range never splits one.
        """
        if not self._qt_events:
            return min(position, self._length)
        index = bisect.bisect_right(self._qt_events, position)
        if index == 0:
            offset = position
        else:
            offset = position - self._deltas[index - 1]
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
    return [0, *(match.end() for match in BLOCK_BREAK.finditer(text))]
