"""Geometry of the labelling view's marks: label tags, lanes and arrow routes.

Pure Python on floats (no Qt), so the rules are tested without painting: tags sit in
room reserved after their span's last character, so they never cover text or each
other; arrows run only through the gap reserved below the lines of their ends' blocks
(only blocks with spans have that gap) and through the left gutter, never across words,
so a block without spans between an arrow's ends needs no gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

MAX_TAG_CHARACTERS = 10
MAX_RELATION_CHARACTERS = 16
TAG_PADDING = 3.0  # inside a tag, each side of its name
TAG_SPACING = 2.0  # between a span's text and its tag, and between tags
LANE_HEIGHT = 2.0
LANE_STEP = 3.0  # a lane's height plus the gap to the next one
RESERVED_LANES = 2  # lanes below a line that the gap keeps free of arrows
CHANNEL_MARGIN = 2.0  # between the lanes and the names on arrows
ARROW_TRACK_STEP = 4.0  # between arrows that share a channel or the gutter


def tag_text(label: str, limit: int = MAX_TAG_CHARACTERS) -> str:
    """The name drawn with a span or an arrow, shortened when it is long."""
    if len(label) <= limit:
        return label
    return label[: limit - 1] + "…"


def tag_room(name_width: float) -> float:
    """Horizontal room a tag whose name is ``name_width`` wide takes after its span."""
    return TAG_SPACING + name_width + 2 * TAG_PADDING


class Tag(NamedTuple):
    span_id: str
    left: float
    right: float


def place_tags(end_x: float, tags: Sequence[tuple[str, float]]) -> list[Tag]:
    """Tags of the spans ending at the same character, in the room reserved before ``end_x``.

    ``tags`` is (span id, room) innermost first; the room was reserved as the sum of
    the rooms, so the tags are laid side by side and cannot overlap.
    """
    left = end_x - sum(room for _span, room in tags)
    placed: list[Tag] = []
    for span_id, room in tags:
        placed.append(Tag(span_id, left + TAG_SPACING, left + room))
        left += room
    return placed


def lane_room() -> float:
    return RESERVED_LANES * LANE_STEP + 1


def line_gap(label_height: float) -> float:
    """Extra room below each line of a block with spans: the lanes, then a channel for
    arrows and names."""
    return lane_room() + CHANNEL_MARGIN + label_height + 1


def lane_top(glyph_bottom: float, lane: int) -> float:
    return glyph_bottom + 1 + lane * LANE_STEP


class Line(NamedTuple):
    """A laid-out text line in viewport coordinates: its glyphs' top and bottom."""

    glyph_top: float
    glyph_bottom: float

    def moved(self, dy: float) -> Line:
        return Line(self.glyph_top + dy, self.glyph_bottom + dy)


def channel_y(line: Line, label_height: float, track: int = 0) -> float:
    """Where arrows leaving or reaching ``line`` run: the middle of its gap's channel."""
    return (
        line.glyph_bottom
        + lane_room()
        + CHANNEL_MARGIN
        + label_height / 2
        + track * ARROW_TRACK_STEP
    )


class Anchor(NamedTuple):
    """Where an arrow meets a span: x, the y below the span's lane, and the span's line.

    ``line`` is None for a span outside the viewport; then ``y`` is just above or below
    the viewport and the arrow leaves through the gutter.
    """

    x: float
    y: float
    line: Line | None


class Route(NamedTuple):
    points: list[tuple[float, float]]
    label_x: float
    label_y: float


def route_arrow(
    head: Anchor,
    tail: Anchor,
    label_height: float,
    gutter_x: float,
    track: int = 0,
) -> Route:
    """A right-angled path from ``head`` to ``tail`` that stays out of the text lines.

    Both ends drop into the channel below their own line; spans on the same line are
    joined along that channel, others through the left gutter, outside the text.
    """
    if head.line is not None and head.line == tail.line:
        y = channel_y(head.line, label_height, track)
        points = [(head.x, head.y), (head.x, y), (tail.x, y), (tail.x, tail.y)]
        return Route(points, (head.x + tail.x) / 2, y)
    gutter = gutter_x - track * ARROW_TRACK_STEP
    points = []
    if head.line is not None:
        head_y = channel_y(head.line, label_height, track)
        points += [(head.x, head.y), (head.x, head_y), (gutter, head_y)]
    else:
        head_y = head.y
        points.append((gutter, head.y))
    if tail.line is not None:
        tail_y = channel_y(tail.line, label_height, track)
        points += [(gutter, tail_y), (tail.x, tail_y), (tail.x, tail.y)]
    else:
        points.append((gutter, tail.y))
    # The name goes on the longer horizontal stretch that is on screen.
    if head.line is not None and (tail.line is None or head.x >= tail.x):
        return Route(points, (head.x + gutter) / 2, head_y)
    if tail.line is not None:
        return Route(points, (tail.x + gutter) / 2, tail_y)
    return Route(points, gutter, (head.y + tail.y) / 2)


def horizontal_runs(points: Iterable[tuple[float, float]]) -> list[tuple[float, float, float]]:
    """The horizontal segments of a route, as (y, x1, x2)."""
    runs = []
    previous: tuple[float, float] | None = None
    for point in points:
        if previous is not None and previous[1] == point[1] and previous[0] != point[0]:
            runs.append((point[1], min(previous[0], point[0]), max(previous[0], point[0])))
        previous = point
    return runs


NAME_GAP = 2.0  # between two arrows' names


class NameBox(NamedTuple):
    """The rectangle of an arrow's name."""

    left: float
    top: float
    right: float
    bottom: float

    def intersects(self, other: NameBox) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )


def name_box(x: float, y: float, width: float, height: float) -> NameBox:
    """The name of width ``width`` centred on (x, y)."""
    return NameBox(x - width / 2, y - height / 2, x + width / 2, y + height / 2)


def _name_run(route: Route) -> tuple[float, float]:
    """The stretch of the route the name sits on: its horizontal run at the name's y, or
    just the name's x (a name on the gutter)."""
    for y, x1, x2 in horizontal_runs(route.points):
        if y == route.label_y and x1 <= route.label_x <= x2:
            return x1, x2
    return route.label_x, route.label_x


def _free_x(
    want: float,
    box: NameBox,
    run: tuple[float, float],
    placed: Sequence[NameBox],
    right_edge: float,
) -> float:
    """The x nearest ``want`` where ``box`` (centred on ``want``) meets none of ``placed``,
    on the name's own stretch of its arrow when there is room there."""
    half = (box.right - box.left) / 2
    blocked = [
        (other.left - half - NAME_GAP, other.right + half + NAME_GAP)
        for other in placed
        if other.top < box.bottom + NAME_GAP and box.top - NAME_GAP < other.bottom
    ]
    if not blocked:
        return want
    candidates = [want, *(edge for pair in blocked for edge in pair)]
    free = [x for x in candidates if not any(lo < x < hi for lo, hi in blocked)]
    on_screen = [x for x in free if half <= x <= right_edge - half] or free

    def preference(x: float) -> tuple[bool, float]:
        return (not run[0] <= x <= run[1], abs(x - want))

    return min(on_screen, key=preference)


def place_names(
    routes: Sequence[Route], widths: Sequence[float], height: float, right_edge: float
) -> list[Route]:
    """``routes`` with their names moved along their arrows so that no two overlap.

    Arrows leaving one span (a quote's CUE and ATTRIBUTED_TO) run side by side, a track
    apart, and would have their names drawn over each other: each name after the first
    goes to the nearest free place, on its own arrow's horizontal stretch when that has
    room, else beside it on the same channel.
    """
    placed: list[NameBox] = []
    moved: list[Route] = []
    for route, width in zip(routes, widths, strict=True):
        box = name_box(route.label_x, route.label_y, width, height)
        x = _free_x(route.label_x, box, _name_run(route), placed, right_edge)
        placed.append(name_box(x, route.label_y, width, height))
        moved.append(route._replace(label_x=x))
    return moved
