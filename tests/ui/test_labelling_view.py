"""The labelling view's marks: tags readable without hovering, lanes per depth, arrows in the gaps."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QTextCursor
from pytestqt.qtbot import QtBot

from annotator.core.models import Span
from annotator.core.schema import default_schema
from annotator.editing.span_index import SpanIndex
from annotator.ui import label_layout
from annotator.ui.colors import LabelColors
from annotator.ui.document_view import Arrow, DocumentView
from annotator.ui.label_layout import Anchor, Line, route_arrow
from annotator.ui.label_painter import GUTTER
from annotator.ui.main_window import MainWindow

Opener = Callable[..., MainWindow]


def span(text: str, needle: str, label: str, span_id: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    return Span.of(text, start, start + len(needle), label, span_id)


@pytest.fixture
def view(qtbot: QtBot) -> Iterator[DocumentView]:
    widget = DocumentView(LabelColors(default_schema()))
    qtbot.addWidget(widget)
    widget.resize(700, 500)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget


def shown(view: DocumentView, text: str, spans: list[Span], arrows: list[Arrow]) -> None:
    view.set_content(text, spans, arrows)
    view.viewport().grab()  # paints: styles the blocks in view


def tags_by_span(view: DocumentView) -> dict[str, tuple[label_layout.Tag, Line]]:
    marks = view._marks(view._visible_blocks())
    return {tag.span_id: (tag, line) for _label, tag, line in marks.tags}


def painted_in_label_color(view: DocumentView, span_id: str, label: str) -> bool:
    """Whether the viewport shows the label's colour inside the span's tag."""
    tag, line = tags_by_span(view)[span_id]
    image = view.viewport().grab().toImage()
    ratio = image.devicePixelRatio()
    color = QColor(view.colors.color(label)).rgb()
    middle = (line.glyph_top + line.glyph_bottom) / 2
    return any(
        image.pixelColor(round(x * ratio), round((middle + dy) * ratio)).rgb() == color
        for x in range(round(tag.left) + 2, round(tag.right) - 2)
        for dy in (-4, -3, 3, 4)
    )


# --- layout rules, without painting ---------------------------------------------------


def test_nested_and_crossing_spans_get_distinct_lanes_inner_nearest_the_text() -> None:
    text = "President Vladimir Putin met the Chinese leader Xi Jinping in Beijing."
    index = SpanIndex(text)
    outer = span(text, "President Vladimir Putin", "SOURCE", "S")
    inner = span(text, "Vladimir Putin", "PERSON", "P")
    # Crossing: "the Chinese leader Xi" and "leader Xi Jinping" share "leader Xi" only.
    left = span(text, "the Chinese leader Xi", "CLAIM", "C")
    right = span(text, "leader Xi Jinping", "PERSON", "X")
    index.reset([outer, inner, left, right])
    lanes = index.lanes(0)
    assert lanes["P"] == 0 and lanes["S"] == 1  # like brackets: the container outside
    assert lanes["C"] != lanes["X"]


def test_tags_of_spans_ending_together_sit_side_by_side() -> None:
    tags = label_layout.place_tags(200.0, [("inner", 40.0), ("outer", 50.0)])
    assert [tag.span_id for tag in tags] == ["inner", "outer"]
    assert tags[0].left == pytest.approx(110 + label_layout.TAG_SPACING)
    assert tags[0].right <= tags[1].left
    assert tags[1].right == pytest.approx(200.0)


def test_arrow_routes_stay_in_the_gaps_and_the_gutter() -> None:
    label_height = 12.0
    lines = [Line(10 + 50 * n, 27 + 50 * n) for n in range(5)]  # text lines 50 px apart
    gap_top = [line.glyph_bottom + label_layout.lane_room() for line in lines]

    def anchor(x: float, line: Line) -> Anchor:
        return Anchor(x, line.glyph_bottom + label_layout.lane_room(), line)

    short = route_arrow(anchor(120, lines[1]), anchor(150, lines[1]), label_height, 12.0)
    far = route_arrow(anchor(400, lines[3]), anchor(60, lines[0]), label_height, 12.0, 1)
    off_screen = route_arrow(
        anchor(300, lines[4]), Anchor(0, -20, None), label_height, 12.0, track=2
    )
    for route in (short, far, off_screen):
        for y, _x1, _x2 in label_layout.horizontal_runs(route.points):
            below = [n for n, line in enumerate(lines) if line.glyph_bottom < y]
            assert below, y
            line_above = below[-1]
            assert gap_top[line_above] <= y - label_height / 2  # its name clears the lanes
            if line_above + 1 < len(lines):
                assert y + label_height / 2 <= lines[line_above + 1].glyph_top + 1
        # Vertical stretches longer than an end's drop into its gap run in the gutter.
        for (x1, y1), (x2, y2) in zip(route.points, route.points[1:], strict=False):
            crossed = [line for line in lines if min(y1, y2) < line.glyph_top < max(y1, y2)]
            if x1 == x2 and crossed:
                assert x1 < GUTTER, route
    # The short arrow keeps a readable name box in its line's gap, between its two ends.
    assert 120 <= short.label_x <= 150
    assert short.label_y == pytest.approx(label_layout.channel_y(lines[1], label_height))


# --- the painted view ------------------------------------------------------------------


def test_every_label_is_painted_as_a_tag_after_its_span(view: DocumentView) -> None:
    text = "President Vladimir Putin met Xi Jinping in Beijing on Tuesday."
    spans = [
        span(text, "President Vladimir Putin", "SOURCE", "S"),
        span(text, "Vladimir Putin", "PERSON", "P"),
        span(text, "Xi Jinping", "PERSON", "X"),
        span(text, "Beijing", "GPE", "G"),
    ]
    shown(view, text, spans, [])
    tags = tags_by_span(view)
    assert set(tags) == {"S", "P", "X", "G"}
    # On one line, no two tags overlap, and the nested span's tag comes first.
    ordered = sorted(tags.values(), key=lambda item: item[0].left)
    for (first, _), (second, _) in itertools.pairwise(ordered):
        assert first.right <= second.left
    assert tags["P"][0].right <= tags["S"][0].left
    # Pixels of the label's colour are on screen where the GPE tag is.
    assert painted_in_label_color(view, "G", "GPE")
    tag, _line = tags["G"]
    # The tag sits in room of its own: the text after the span starts after the tag.
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.offsets.to_qt(text.index(" on Tuesday")))
    assert view.cursorRect(cursor).x() >= tag.right - 1


@pytest.mark.parametrize(
    "prefix",
    ["Fans 👍🏽 cheered 🎉 ", "习近平会见普京。中俄关系 ", "Cafe\u0301 owner Jose\u0301 "],
    ids=["emoji", "cjk", "combining"],
)
def test_tags_stay_at_the_span_end_after_emoji_cjk_and_combining_marks(
    view: DocumentView, prefix: str
) -> None:
    text = prefix + "Putin spoke in Beijing."
    spans = [span(text, "Putin", "PERSON", "P"), span(text, "Beijing", "GPE", "G")]
    shown(view, text, spans, [])
    tags = tags_by_span(view)
    marks = view._marks(view._visible_blocks())
    for found in spans:
        cursor = QTextCursor(view.document())
        cursor.setPosition(view.offsets.to_qt(found.start))
        start_x = view.cursorRect(cursor).x()
        cursor.setPosition(view.offsets.to_qt(found.end))
        after_x = view.cursorRect(cursor).x()  # where the next character starts
        piece = marks.pieces[found.id][0]
        assert abs(piece.rect.left() - start_x) <= 1.5
        tag, _line = tags[found.id]
        assert abs(tag.right - after_x) <= 1.5
        assert abs(tag.left - label_layout.TAG_SPACING - piece.rect.right()) <= 1.5
        # The span's own text is left of its tag: its last character is not covered.
        assert piece.rect.right() > start_x


def test_arrows_are_drawn_in_the_gap_between_lines_with_their_name(view: DocumentView) -> None:
    sentence = "The minister said the talks went well, and officials agreed on a plan. "
    text = (
        '"We remain together now," he said. '
        + sentence * 4
        + "Analysts called the summit a turning point, Reuters reported."
    )
    spans = [
        span(text, '"We remain together now,"', "QUOTE", "Q"),
        span(text, "he", "SOURCE", "H", 1),  # "he" said, right after the quote
        span(text, "the summit a turning point", "CLAIM", "C"),
        span(text, "Reuters", "SOURCE", "R"),
        span(text, "officials", "SOURCE", "O"),
    ]
    arrows = [Arrow("Q", "H", "ATTRIBUTED_TO"), Arrow("C", "O", "ATTRIBUTED_TO")]
    shown(view, text, spans, arrows)
    routes = view.arrow_routes()
    assert len(routes) == 2
    lines = {
        piece.line
        for pieces in view._marks(view._visible_blocks()).pieces.values()
        for piece in pieces
    }
    layout = view.document().firstBlock().layout()
    text_boxes = []
    top = (
        view.blockBoundingGeometry(view.document().firstBlock())
        .translated(view.contentOffset())
        .top()
    )
    for number in range(layout.lineCount()):
        line = layout.lineAt(number)
        glyphs = view._glyph_line(top, layout.position().y(), line)
        text_boxes.append(
            QRectF(
                layout.position().x() + line.naturalTextRect().left(),
                glyphs.glyph_top,
                line.naturalTextWidth(),
                glyphs.glyph_bottom - glyphs.glyph_top,
            )
        )
    assert len(text_boxes) >= 3 and lines
    for arrow, route in routes:
        assert arrow.label == "ATTRIBUTED_TO"
        points = [QPointF(x, y) for x, y in route.points]
        for start, end in itertools.pairwise(points):
            segment = QRectF(start, end).normalized().adjusted(-0.1, -0.1, 0.1, 0.1)
            for box in text_boxes:
                assert not segment.intersects(box.adjusted(1, 1, -1, -1)), (arrow, start, end)
    # The short arrow (quote to "he" on the same line) stays on that line's gap.
    short = dict((arrow.head, route) for arrow, route in routes)["Q"]
    ys = {y for _x, y in short.points}
    assert max(ys) - min(ys) < 40
    # Its name is painted: text-coloured pixels inside the name box.
    image = view.viewport().grab().toImage()
    box_left = short.label_x - 20
    ink = [
        image.pixelColor(round(box_left + dx), round(short.label_y + dy)).lightness()
        for dx in range(40)
        for dy in (-2, -1, 0, 1, 2)
    ]
    assert min(ink) < 100


def test_undo_and_redo_of_a_span_update_its_tag(
    make_project: Callable[..., object], open_main: Opener, qtbot: QtBot
) -> None:
    window = open_main(make_project())
    window.show_document("kim")
    view = window.view
    start = view.text.index("Beijing")
    view.select_range(start, start + len("Beijing"))
    window.editing.apply_label("GPE")
    span_id = view.selected_span
    assert span_id is not None
    view.viewport().grab()
    assert span_id in tags_by_span(view)
    width_with_tag = view.cursorRect(_cursor_at(view, start + len("Beijing") + 1)).x()
    window.undo_stack.undo()
    view.viewport().grab()
    assert span_id not in tags_by_span(view)
    # The room the tag took is given back to the text.
    assert view.cursorRect(_cursor_at(view, start + len("Beijing") + 1)).x() < width_with_tag
    window.undo_stack.redo()
    view.viewport().grab()
    assert span_id in tags_by_span(view)
    assert painted_in_label_color(view, span_id, "GPE")


def test_an_edit_that_leaves_the_tags_as_wide_lays_nothing_out_again(
    view: DocumentView, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "Putin met Xi Jinping in Beijing on Tuesday.\n\nA second paragraph."
    putin = span(text, "Putin", "PERSON", "P")
    shown(view, text, [putin, span(text, "Beijing", "GPE", "G")], [])
    restyled: list[int] = []
    original = view.styler.apply
    monkeypatch.setattr(
        view.styler,
        "apply",
        lambda block, *marks: (restyled.append(block.blockNumber()), original(block, *marks)),
    )
    # A note changes no tag: the block keeps its formats and its layout.
    view.update_spans({"P": putin.model_copy(update={"note": "the president"})})
    assert restyled == []
    assert view.spans["P"].note == "the president"
    # A label of another width moves the text after the span: that block is laid out anew.
    after = text.index(" met")
    before_x = view.cursorRect(_cursor_at(view, after)).x()
    view.update_spans({"P": putin.model_copy(update={"label": "QUOTE"})})
    assert restyled == [0]
    assert view.cursorRect(_cursor_at(view, after)).x() != before_x
    view.viewport().grab()
    assert painted_in_label_color(view, "P", "QUOTE")


def test_a_second_span_in_a_block_lays_out_that_block_alone(view: DocumentView) -> None:
    """Qt's usual way (setFormats, then markContentsDirty over the block, as
    QSyntaxHighlighter does) also throws away the layouts of the next blocks, the empty
    line and the next paragraph, to be laid out again at the next paint."""
    paragraphs = [
        "Putin met Xi Jinping in Beijing on Tuesday, their third meeting this year.",
        "Analysts in Washington warned of a new axis.",
        "Kim Jong Un watched the parade from the stand.",
    ]
    text = "\n\n".join(paragraphs)
    shown(view, text, [span(text, "Putin", "PERSON", "P"), span(text, "Kim", "PERSON", "K")], [])
    document = view.document()
    blocks = [document.findBlockByNumber(number) for number in range(document.blockCount())]
    assert all(block.layout().lineCount() for block in blocks)
    first = blocks[0].layout()
    spaces_before = [r.start for r in first.formats() if text[r.start] == " "]
    assert len(spaces_before) == paragraphs[0].count(" ")
    after = text.index(" on Tuesday")
    before_x = view.cursorRect(_cursor_at(view, after)).x()
    view.update_spans({"B": span(text, "Beijing", "GPE", "B")})
    # The blocks after it keep their layout (a cleared one has no lines until painted).
    assert [block.layout().lineCount() > 0 for block in blocks[1:]] == [True] * (len(blocks) - 1)
    # The edited block is laid out again at once, with the new tag's room...
    assert first.lineCount() > 0
    assert view.cursorRect(_cursor_at(view, after)).x() > before_x
    # ...and keeps the taller spaces it had: only a tag's spacing was added.
    assert [r.start for r in first.formats() if text[r.start] == " "] == spaces_before
    view.viewport().grab()
    assert "B" in tags_by_span(view)
    assert painted_in_label_color(view, "B", "GPE")


def test_a_span_added_where_spans_are_changes_nothing_else_in_the_document(
    view: DocumentView,
) -> None:
    """Adding or removing a span in a block that already has the gap re-lays out that
    block alone: the document sees no change (contentsChange would make Qt lay out the
    block and the next ones again), and the glyphs shaped for that one layout are the
    ones measured and painted, then handed back to Qt."""
    paragraphs = [
        "Putin met Xi Jinping in Beijing on Tuesday, their third meeting this year.",
        "Analysts in Washington warned of a new axis.",
    ]
    text = "\n\n".join(paragraphs)
    shown(view, text, [span(text, "Putin", "PERSON", "P")], [])
    document = view.document()
    changes: list[tuple[int, int, int]] = []
    document.contentsChange.connect(lambda *change: changes.append(change))
    block = document.firstBlock()
    spaces_before = [r.start for r in block.layout().formats() if text[r.start] == " "]
    view.update_spans({"B": span(text, "Beijing", "GPE", "B")})
    assert changes == []
    # The taller spaces were kept as they were: only the new tag's spacing was added.
    assert [r.start for r in block.layout().formats() if text[r.start] == " "] == spaces_before
    assert block.layout().cacheEnabled()  # laid out once, kept for the marks and the paint
    view.viewport().grab()
    assert not block.layout().cacheEnabled()  # Qt drops them again after its next draw
    assert "B" in tags_by_span(view) and painted_in_label_color(view, "B", "GPE")
    view.update_spans({"B": None})
    view.viewport().grab()
    assert changes == []
    assert "B" not in tags_by_span(view) and "P" in tags_by_span(view)
    assert [r.start for r in block.layout().formats() if text[r.start] == " "] == spaces_before


def test_an_edit_over_many_blocks_keeps_the_glyphs_of_a_screenful_at_most(
    view: DocumentView,
) -> None:
    from annotator.ui.highlighter import GLYPHS_KEPT

    text = "\n".join(f"Paragraph {number} says Putin met Xi." for number in range(200))
    shown(view, text, [span(text, "Putin", "PERSON", "P0")], [])
    document = view.document()
    blocks = [document.findBlockByNumber(number) for number in range(document.blockCount())]
    for block in blocks:  # as if scrolled through: every block styled and laid out
        view.styler.apply(block)
        document.documentLayout().ensureBlockLayout(block)  # type: ignore[attr-defined]
    view.viewport().grab()
    changed = {
        f"X{number}": span(text, "Xi", "PERSON", f"X{number}", number) for number in range(200)
    }
    view.update_spans(dict(changed))  # type: ignore[arg-type]
    kept = [block for block in blocks if block.layout().cacheEnabled()]
    assert 0 < len(kept) <= GLYPHS_KEPT
    view.viewport().grab()
    assert not any(block.layout().cacheEnabled() for block in blocks)
    assert all(f"X{number}" in view.spans for number in range(200))


def _cursor_at(view: DocumentView, offset: int) -> QTextCursor:
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.offsets.to_qt(offset))
    return cursor


def test_span_tints_follow_the_theme_so_text_stays_readable(view: DocumentView) -> None:
    from PySide6.QtGui import QPalette

    text = "President Vladimir Putin spoke."
    shown(view, text, [span(text, "Vladimir Putin", "PERSON", "P")], [])
    light = view.background_at(text.index("Putin"))
    assert light is not None and light.lightness() > 160  # black text on it
    palette = QPalette(view.palette())
    palette.setColor(QPalette.ColorRole.Base, QColor("#202124"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#e8eaed"))
    view.setPalette(palette)
    view.viewport().grab()
    dark = view.background_at(text.index("Putin"))
    assert dark is not None and dark.lightness() < 128  # light text on it
    assert dark.rgb() != light.rgb()


def _line_heights(view: DocumentView, number: int) -> set[float]:
    layout = view.document().findBlockByNumber(number).layout()
    return {round(layout.lineAt(line).height(), 2) for line in range(layout.lineCount())}


def test_only_blocks_with_spans_get_the_gap_below_their_lines(
    view: DocumentView, qtbot: QtBot
) -> None:
    from PySide6.QtWidgets import QPlainTextEdit

    byline = "By Jane Doe, staff reporter, in Seoul"
    text = f"{byline}\nPutin met Xi Jinping in Beijing on Tuesday.\nA paragraph nobody labelled."
    view.set_font_size(12)
    shown(view, text, [span(text, "Beijing", "GPE", "G")], [])
    plain = QPlainTextEdit()
    qtbot.addWidget(plain)
    plain.setFont(view.font())
    plain.resize(700, 500)
    plain.setPlainText(text)
    plain.show()
    qtbot.waitExposed(plain)
    plain.viewport().grab()
    normal = _line_heights(plain, 0)
    assert len(normal) == 1
    assert {0, 1, 2} <= view.styler.styled
    assert _line_heights(view, 0) == normal
    assert _line_heights(view, 2) == normal
    assert min(_line_heights(view, 1)) > max(normal) * 1.5


def test_the_first_span_in_a_plain_block_gives_it_the_gap_and_undo_takes_it_back(
    make_project: Callable[..., object], open_main: Opener
) -> None:
    window = open_main(make_project())
    window.show_document("kim")
    view = window.view
    view.viewport().grab()
    block = view.document().firstBlock()
    assert not view.index.in_block(0)
    plain_height = view.blockBoundingRect(block).height()
    start = view.text.index("Beijing")
    view.select_range(start, start + len("Beijing"))
    window.editing.apply_label("GPE")
    view.viewport().grab()
    marked_height = view.blockBoundingRect(block).height()
    assert marked_height > plain_height
    plain_line = view.fontMetrics().lineSpacing()
    assert max(_line_heights(view, 0)) > plain_line * 1.5
    window.undo_stack.undo()
    view.viewport().grab()
    assert view.blockBoundingRect(block).height() == plain_height
    assert max(_line_heights(view, 0)) <= plain_line + 1
    window.undo_stack.redo()
    view.viewport().grab()
    assert view.blockBoundingRect(block).height() == marked_height
    # Removing the block's last span gives the line height back, too.
    view.update_spans({span_id: None for span_id in list(view.spans)})
    view.viewport().grab()
    assert view.blockBoundingRect(block).height() == plain_height


def name_boxes(view: DocumentView) -> list[label_layout.NameBox]:
    return [
        label_layout.name_box(
            route.label_x, route.label_y, view._name_width(arrow.label), view._label_height
        )
        for arrow, route in view.arrow_routes()
    ]


def test_names_of_arrows_leaving_one_span_do_not_overlap(view: DocumentView) -> None:
    """A quote's content with its CUE and ATTRIBUTED_TO arrows (one line, and reaching a
    source two lines up through the gutter), and a second content CONTINUES to it."""
    sentence = "The minister spoke of the talks, and officials agreed on a plan. "
    text = (
        "Humpty Dumpty sat on a wall. "
        + sentence * 3
        + '"We remain together," said he, "and we will meet again."'
    )
    spans = [
        span(text, "Humpty Dumpty", "SOURCE", "P"),
        span(text, '"We remain together,"', "QUOTE", "Q"),
        span(text, "said", "CUE", "U"),
        Span.of(text, text.index("said he") + 5, text.index("said he") + 7, "SOURCE", "H"),
        span(text, '"and we will meet again."', "QUOTE", "Q2"),
    ]
    arrows = [
        Arrow("Q", "U", "CUE"),
        Arrow("Q", "H", "ATTRIBUTED_TO"),
        Arrow("Q", "P", "ATTRIBUTED_TO"),
        Arrow("Q2", "Q", "CONTINUES"),
        Arrow("H", "P", "COREF"),
    ]
    shown(view, text, spans, arrows)
    view.show_all_arrows = True
    view.viewport().grab()
    boxes = name_boxes(view)
    assert len(boxes) == 5
    for first, second in itertools.combinations(boxes, 2):
        assert not first.intersects(second), (first, second)
    # Names stay on the viewport.
    assert all(0 <= box.left and box.right <= view.viewport().width() for box in boxes)


def test_place_names_moves_a_name_along_its_own_arrow_first() -> None:
    height = 12.0
    # Two arrows from x=100, one track apart, to x=300 and x=260: names at 200 and 180.
    cue = label_layout.Route([(100, 50), (100, 60), (300, 60), (300, 50)], 200, 60)
    source = label_layout.Route([(100, 50), (100, 64), (260, 64), (260, 50)], 180, 64)
    assert label_layout.name_box(200, 60, 40, height).intersects(
        label_layout.name_box(180, 64, 50, height)
    )
    first, second = label_layout.place_names([cue, source], [40, 50], height, 700)
    assert first == cue  # the first name stays
    a = label_layout.name_box(first.label_x, first.label_y, 40, height)
    b = label_layout.name_box(second.label_x, second.label_y, 50, height)
    assert not a.intersects(b)
    assert 100 <= second.label_x <= 260  # still on its own arrow's stretch
    # No room on the arrow's stretch: beside it, on the same channel.
    short = label_layout.Route([(100, 50), (100, 64), (130, 64), (130, 50)], 115, 64)
    _, moved = label_layout.place_names([cue, short], [40, 50], height, 700)
    assert not a.intersects(label_layout.name_box(moved.label_x, moved.label_y, 50, height))
    assert moved.label_y == 64
