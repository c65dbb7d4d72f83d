"""Which spans touch which Qt block, so restyling after an edit touches only those blocks.

Pure Python (no Qt): positions are Qt positions from :class:`OffsetMap`, block numbers are
Qt block numbers of the same text.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from annotator.core.models import Span
from annotator.ui.offsets import OffsetMap, block_starts


@dataclass(frozen=True, slots=True)
class Placed:
    """A span placed in the view: its Qt range and the blocks it covers."""

    id: str
    label: str
    qt_start: int
    qt_end: int
    first_block: int
    last_block: int


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of a block (Qt offsets inside the block) covered by the same spans."""

    start: int
    end: int
    labels: tuple[str, ...]


class SpanIndex:
    def __init__(self, text: str, offsets: OffsetMap | None = None) -> None:
        self.text = text
        self.offsets = offsets or OffsetMap(text)
        starts = block_starts(text)
        self._block_cp = starts
        self._block_qt = [self.offsets.to_qt(start) for start in starts]
        self._placed: dict[str, Placed] = {}
        self._by_block: dict[int, dict[str, Placed]] = {}
        self._lanes: dict[int, dict[str, int]] = {}

    # --- building --------------------------------------------------------------------

    def block_of_qt(self, position: int) -> int:
        return max(0, bisect.bisect_right(self._block_qt, position) - 1)

    def block_of(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self._block_cp, offset) - 1)

    def block_qt_start(self, block: int) -> int:
        return self._block_qt[block]

    @property
    def block_count(self) -> int:
        return len(self._block_qt)

    def reset(self, spans: Iterable[Span]) -> None:
        self._placed.clear()
        self._by_block.clear()
        self._lanes.clear()
        for span in spans:
            self._place(span)

    def _place(self, span: Span) -> Placed:
        qt_start = self.offsets.to_qt(span.start)
        qt_end = self.offsets.to_qt(span.end)
        first = self.block_of(span.start)
        last = self.block_of(max(span.start, span.end - 1))
        placed = Placed(span.id, span.label, qt_start, qt_end, first, last)
        self._placed[span.id] = placed
        for block in range(first, last + 1):
            self._by_block.setdefault(block, {})[span.id] = placed
            self._lanes.pop(block, None)
        return placed

    def _unplace(self, span_id: str) -> set[int]:
        placed = self._placed.pop(span_id, None)
        if placed is None:
            return set()
        blocks = set(range(placed.first_block, placed.last_block + 1))
        for block in blocks:
            members = self._by_block.get(block)
            if members is not None:
                members.pop(span_id, None)
                if not members:
                    del self._by_block[block]
            self._lanes.pop(block, None)
        return blocks

    def sync(self, span_id: str, span: Span | None) -> set[int]:
        """Make the index agree with one span's current state; returns blocks to restyle."""
        blocks = self._unplace(span_id)
        if span is not None:
            placed = self._place(span)
            blocks.update(range(placed.first_block, placed.last_block + 1))
        return blocks

    # --- queries --------------------------------------------------------------------------

    def get(self, span_id: str) -> Placed | None:
        return self._placed.get(span_id)

    def __len__(self) -> int:
        return len(self._placed)

    def in_block(self, block: int) -> list[Placed]:
        members = self._by_block.get(block)
        if not members:
            return []
        return sorted(members.values(), key=lambda p: (p.qt_start, -p.qt_end, p.id))

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
        base = self._block_qt[block]
        cuts = {0, block_length}
        clipped: list[tuple[int, int, Placed]] = []
        for placed in members:
            start = max(placed.qt_start - base, 0)
            end = min(placed.qt_end - base, block_length)
            if start < end:
                clipped.append((start, end, placed))
                cuts.update((start, end))
        edges = sorted(cuts)
        result: list[Segment] = []
        for left, right in itertools.pairwise(edges):
            covering = [placed for start, end, placed in clipped if start <= left and right <= end]
            if covering:
                covering.sort(key=lambda p: -(p.qt_end - p.qt_start))
                result.append(Segment(left, right, tuple(p.label for p in covering)))
        return result

    def lanes(self, block: int) -> dict[str, int]:
        """A lane (0 = lowest) per span in the block, so that overlapping spans never share one."""
        cached = self._lanes.get(block)
        if cached is not None:
            return cached
        lane_ends: list[int] = []
        lanes: dict[str, int] = {}
        # Longer spans first at the same start, so nested spans sit above their container.
        for placed in self.in_block(block):
            for lane, lane_end in enumerate(lane_ends):
                if lane_end <= placed.qt_start:
                    lane_ends[lane] = placed.qt_end
                    lanes[placed.id] = lane
                    break
            else:
                lanes[placed.id] = len(lane_ends)
                lane_ends.append(placed.qt_end)
        self._lanes[block] = lanes
        return lanes
