"""Which spans touch which Qt block, so styling and restyling touch only those blocks.

Pure Python (no Qt). Spans are kept sorted by start; a block's spans are found by
bisection when the block is first needed (it scrolls into view, or an edit touches it)
and cached, so opening a 10,000-span article costs a sort, not 10,000 placements.
Positions handed out (:class:`Placed`) are Qt positions from :class:`OffsetMap`.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable
from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple

from annotator.editing.offsets import OffsetMap, block_starts

if TYPE_CHECKING:
    from annotator.core.models import Span

_BREAK = re.compile("[\r\n\u2029]")


# Named tuples: light and immutable, and made by the thousand per document.
class Placed(NamedTuple):
    """A span placed in the view: its id, label and Qt range."""

    id: str
    label: str
    qt_start: int
    qt_end: int


class Segment(NamedTuple):
    """A run of a block (Qt offsets inside the block) covered by the same spans."""

    start: int
    end: int
    labels: tuple[str, ...]


class SpanIndex:
    def __init__(self, text: str, offsets: OffsetMap | None = None) -> None:
        self.text = text
        self.offsets = offsets or OffsetMap(text)
        self._block_cp = block_starts(text)
        self._plain_breaks = "\r" not in text and "\u2029" not in text
        self._block_qt: dict[int, int] = {}
        self._spans: dict[str, Span] = {}
        self._order: list[Span] = []  # sorted by start
        self._starts: list[int] = []
        self._crossing: dict[str, Span] = {}  # spans that run over a block break
        self._blocks: dict[int, list[Placed]] = {}
        self._lanes: dict[int, dict[str, int]] = {}

    # --- blocks ------------------------------------------------------------------------

    @property
    def block_count(self) -> int:
        return len(self._block_cp)

    def block_of(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self._block_cp, offset) - 1)

    def block_qt_start(self, block: int) -> int:
        position = self._block_qt.get(block)
        if position is None:
            position = self._block_qt[block] = self.offsets.to_qt(self._block_cp[block])
        return position

    def block_of_qt(self, position: int) -> int:
        return self.block_of(self.offsets.from_qt(position))

    def blocks_of(self, span: Span) -> range:
        return range(self.block_of(span.start), self.block_of(max(span.start, span.end - 1)) + 1)

    # --- building ----------------------------------------------------------------------

    def reset(self, spans: Iterable[Span]) -> None:
        order = sorted(spans, key=attrgetter("start"))
        self._order = order
        self._starts = [span.start for span in order]
        self._spans = {span.id: span for span in order}
        if self._plain_breaks:
            self._crossing = {span.id: span for span in order if "\n" in span.text}
        else:
            search = _BREAK.search
            self._crossing = {span.id: span for span in order if search(span.text)}
        self._blocks.clear()
        self._lanes.clear()

    def sync(self, span_id: str, span: Span | None) -> set[int]:
        """Make the index agree with one span's current state; returns blocks to restyle."""
        blocks: set[int] = set()
        old = self._spans.pop(span_id, None)
        if old is not None:
            position = bisect.bisect_left(self._starts, old.start)
            while self._order[position].id != span_id:
                position += 1
            del self._order[position]
            del self._starts[position]
            self._crossing.pop(span_id, None)
            blocks.update(self.blocks_of(old))
        if span is not None:
            position = bisect.bisect_right(self._starts, span.start)
            self._order.insert(position, span)
            self._starts.insert(position, span.start)
            self._spans[span_id] = span
            if _BREAK.search(span.text):
                self._crossing[span_id] = span
            blocks.update(self.blocks_of(span))
        for block in blocks:
            self._blocks.pop(block, None)
            self._lanes.pop(block, None)
        return blocks

    # --- queries --------------------------------------------------------------------------

    def find(self, start: int, end: int, label: str) -> Span | None:
        """A span with exactly this range and label (by bisection, not a scan)."""
        position = bisect.bisect_left(self._starts, start)
        while position < len(self._order) and self._starts[position] == start:
            span = self._order[position]
            if span.end == end and span.label == label:
                return span
            position += 1
        return None

    def get(self, span_id: str) -> Span | None:
        return self._spans.get(span_id)

    def __len__(self) -> int:
        return len(self._spans)

    def in_block(self, block: int) -> list[Placed]:
        """The block's spans in Qt positions, by start (longest first at the same start)."""
        cached = self._blocks.get(block)
        if cached is not None:
            return cached
        first = self._block_cp[block]
        last = self._block_cp[block + 1] if block + 1 < len(self._block_cp) else len(self.text)
        low = bisect.bisect_left(self._starts, first)
        high = bisect.bisect_left(self._starts, last)
        members = self._order[low:high]
        if self._crossing:
            members += [span for span in self._crossing.values() if span.start < first < span.end]
        to_qt = self.offsets.to_qt
        placed = [
            Placed(span.id, span.label, to_qt(span.start), to_qt(span.end)) for span in members
        ]
        placed.sort(key=lambda p: (p.qt_start, -p.qt_end, p.id))
        self._blocks[block] = placed
        return placed

    def at_qt(self, position: int) -> list[Placed]:
        """Spans covering the character at Qt ``position``, innermost first."""
        block = self.block_of_qt(position)
        hits = [p for p in self.in_block(block) if p.qt_start <= position < p.qt_end]
        return sorted(hits, key=lambda p: (p.qt_end - p.qt_start, p.qt_start))

    def segments(self, block: int, block_length: int) -> list[Segment]:
        """Runs of the block with the labels covering them, outermost label first."""
        members = self.in_block(block)
        if not members:
            return []
        base = self.block_qt_start(block)
        cuts = {0, block_length}
        clipped: list[tuple[int, int, Placed]] = []
        for placed in members:
            start = max(placed.qt_start - base, 0)
            end = min(placed.qt_end - base, block_length)
            if start < end:
                clipped.append((start, end, placed))
                cuts.update((start, end))
        result: list[Segment] = []
        for left, right in itertools.pairwise(sorted(cuts)):
            covering = [placed for start, end, placed in clipped if start <= left and right <= end]
            if covering:
                covering.sort(key=lambda p: -(p.qt_end - p.qt_start))
                result.append(Segment(left, right, tuple(p.label for p in covering)))
        return result

    def lanes(self, block: int) -> dict[str, int]:
        """A lane (0 = nearest the text) per span in the block; overlapping spans never share
        one, and a span sits further out than the spans nested in it, like brackets."""
        cached = self._lanes.get(block)
        if cached is not None:
            return cached
        lanes: dict[str, int] = {}
        placed_so_far: list[tuple[int, int, int]] = []  # (qt_start, qt_end, lane)
        for placed in sorted(
            self.in_block(block), key=lambda p: (p.qt_end - p.qt_start, p.qt_start)
        ):
            taken = {
                lane
                for start, end, lane in placed_so_far
                if start < placed.qt_end and placed.qt_start < end
            }
            lane = 0
            while lane in taken:
                lane += 1
            lanes[placed.id] = lane
            placed_so_far.append((placed.qt_start, placed.qt_end, lane))
        self._lanes[block] = lanes
        return lanes
