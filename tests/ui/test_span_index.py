"""The per-block span index, and that an edit restyles only the blocks it touches."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from annotator.core.models import LabelSchema, Span
from annotator.core.schema import default_schema
from annotator.ui.colors import LabelColors
from annotator.ui.document_view import DocumentView
from annotator.ui.span_index import SpanIndex


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
    assert index.lanes(0) == {"T1": 0, "T2": 1}
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


def test_adding_a_span_rehighlights_only_its_block(qtbot: QtBot) -> None:
    schema: LabelSchema = default_schema()
    view = DocumentView(LabelColors(schema))
    qtbot.addWidget(view)
    text = "\n".join(f"Paragraph {number} mentions Putin and Xi." for number in range(2000))
    spans = [span(text, "Putin", "PERSON", f"T{n}", n) for n in range(0, 2000, 2)]
    calls: list[int] = []
    original = view.highlighter.highlightBlock

    def counting(block_text: str) -> None:
        calls.append(view.highlighter.currentBlock().blockNumber())
        original(block_text)

    view.highlighter.highlightBlock = counting  # type: ignore[method-assign]
    view.set_content(text, spans, [])
    # Once per block while the text is laid in (block 0 also once as the old text is cleared).
    assert sorted(set(calls)) == list(range(2000)) and len(calls) <= 2001
    calls.clear()
    new = span(text, "Xi", "PERSON", "T9999", 1234)
    view.update_spans({new.id: new})
    assert calls == [1234]
