"""The per-block span index, and that an edit restyles only the blocks it touches."""

from __future__ import annotations

from PySide6.QtGui import QTextBlock
from pytestqt.qtbot import QtBot

from annotator.core.models import LabelSchema, Span
from annotator.core.schema import default_schema
from annotator.editing.span_index import SpanIndex
from annotator.ui.colors import LabelColors
from annotator.ui.document_view import DocumentView


def span(text: str, needle: str, label: str, span_id: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    return Span.of(text, start, start + len(needle), label, span_id)


def test_segments_blend_overlaps_and_lanes_separate_them() -> None:
    text = "President Vladimir Putin spoke.\nSecond 👍🏽 line Xi"
    index = SpanIndex(text)
    index.reset(
        [
            span(text, "President Vladimir Putin", "SOURCE", "T1"),
            span(text, "Vladimir Putin", "PERSON", "T2"),
            span(text, "Xi", "PERSON", "T3"),
        ]
    )
    first = index.segments(0, len("President Vladimir Putin spoke."))
    assert [(s.start, s.end, s.labels) for s in first] == [
        (0, 10, ("SOURCE",)),
        (10, 24, ("SOURCE", "PERSON")),
    ]
    # The nested span sits nearest the text, its container one lane further out.
    assert index.lanes(0) == {"T1": 1, "T2": 0}
    # Qt offsets inside block 1: the emoji and its modifier count four UTF-16 units.
    second = index.segments(1, 19)
    assert [(s.start, s.end) for s in second] == [(17, 19)]  # "Second " 7 + 4 + " line " 6
    assert [p.id for p in index.at_qt(index.offsets.to_qt(text.index("Xi")))] == ["T3"]


def test_sync_reports_only_the_blocks_a_span_touches() -> None:
    text = "\n".join(f"line {number} Putin" for number in range(100))
    index = SpanIndex(text)
    index.reset([span(text, "Putin", "PERSON", "T1", 5)])
    added = span(text, "Putin", "PERSON", "T2", 50)
    assert index.sync("T2", added) == {50}
    assert index.sync("T1", None) == {5}
    spanning = Span.of(text, text.index("line 10 "), text.index("line 12 ") + 4, "EVENT", "T3")
    assert index.sync("T3", spanning) == {10, 11, 12}
    assert [p.id for p in index.in_block(11)] == ["T3"]


def test_only_seen_blocks_are_styled_and_an_edit_restyles_only_its_block(qtbot: QtBot) -> None:
    schema: LabelSchema = default_schema()
    view = DocumentView(LabelColors(schema))
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    text = "\n".join(f"Paragraph {number} mentions Putin and Xi." for number in range(2000))
    spans = [span(text, "Putin", "PERSON", f"T{n}", n) for n in range(0, 2000, 2)]
    applied: list[int] = []
    original = view.styler.apply

    def counting(block: QTextBlock, marks: tuple[bool, dict[int, float]] | None = None) -> None:
        applied.append(block.blockNumber())
        original(block, marks)

    view.styler.apply = counting  # type: ignore[method-assign]
    view.set_content(text, spans, [])
    view.viewport().grab()  # paints, like the screen would
    # Only the screenful in view was styled, not 2,000 blocks.
    assert applied and max(applied) < 40
    first_screen = set(applied)

    applied.clear()
    visible = span(text, "Xi", "PERSON", "T9001", 2)
    view.update_spans({visible.id: visible})
    assert applied == [2]
    applied.clear()
    far = span(text, "Xi", "PERSON", "T9002", 1234)
    view.update_spans({far.id: far})
    assert applied == []  # styled when it scrolls into view

    view.select_range(far.start, far.end)  # scrolls there
    view.viewport().grab()  # paints, like the screen would
    assert 1234 in applied and not first_screen & set(applied)
    block = view.document().findBlockByNumber(1234)
    # Room for the tags of the two spans of that line ("Putin" and "Xi"), after their last
    # character; the other formats are the line's spaces, set taller for the gap below it.
    tag_rooms = [
        (fmt.start, fmt.length)
        for fmt in block.layout().formats()
        if fmt.format.fontLetterSpacing() > 0
    ]
    line = block.text()
    assert tag_rooms == [(line.index("Putin") + 4, 1), (line.index("Xi") + 1, 1)]
