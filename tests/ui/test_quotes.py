"""A quote as one unit through real widgets: Q on the words, the cue key on "said", a click
on the source; a split quote and a pronoun source; selecting any part selects them all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from annotator.core.schema import ATTRIBUTED_TO, CONTINUES, COREF, CUE
from annotator.ui.main_window import MainWindow
from tests.ui.conftest import journal
from tests.ui.test_labelling import click_offset, select_qt

Opener = Callable[..., MainWindow]

TEXT = (
    'Putin said: "We are partners," adding that "the ties are unprecedented." '
    'Later he told reporters: "Nothing will change." '
    "Xi said: \"We welcome 'a dear friend' here.\""
)


def saved(path: Path) -> tuple[dict[str, tuple[str, str]], set[tuple[str, str, str]]]:
    """Spans (id -> label, text) and relations (label, head text, tail text) on disk."""
    record = journal(path)["q"]
    spans = {s["id"]: (s["label"], s["text"]) for s in record["spans"]}  # type: ignore[attr-defined]
    relations = {
        (r["label"], spans[r["head"]][1], spans[r["tail"]][1])
        for r in record["relations"]  # type: ignore[attr-defined]
    }
    return spans, relations


def span_id(window: MainWindow, text: str, label: str) -> str:
    return next(s.id for s in window.view.spans.values() if s.text == text and s.label == label)


def test_three_keys_make_a_quote_and_any_part_selects_all(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project({"q": TEXT})
    window = open_main(path)
    window.show_document("q")
    view = window.view
    select_qt(window, "Putin")
    qtbot.keyClick(view, Qt.Key.Key_S)
    # Selections snap to words: the quotation marks stay outside the spans.
    # The quote: its words, then its cue (linked at once), then a click on its source.
    select_qt(window, "We are partners")
    qtbot.keyClick(view, Qt.Key.Key_Q)
    select_qt(window, "said")
    qtbot.keyClick(view, Qt.Key.Key_U)
    assert window.editing.pending_relation is not None
    click_offset(qtbot, window, TEXT.index("Putin") + 1)
    assert window.editing.pending_relation is None
    # Its second part: labelled, then joined to the first with the CONTINUES key.
    select_qt(window, "the ties are unprecedented")
    qtbot.keyClick(view, Qt.Key.Key_Q)
    qtbot.keyClick(view, Qt.Key.Key_J)
    click_offset(qtbot, window, TEXT.index("We are") + 1)

    _, relations = saved(path)
    assert relations == {
        (CUE, "We are partners", "said"),
        (ATTRIBUTED_TO, "We are partners", "Putin"),
        (CONTINUES, "the ties are unprecedented", "We are partners"),
    }
    parts = {
        span_id(window, "We are partners", "QUOTE"),
        span_id(window, "the ties are unprecedented", "QUOTE"),
        span_id(window, "said", "CUE"),
        span_id(window, "Putin", "SOURCE"),
    }
    for text, label in (("the ties are unprecedented", "QUOTE"), ("said", "CUE")):
        click_offset(qtbot, window, TEXT.index(text) + 2)
        assert view.selected_span == span_id(window, text, label)
        assert view.quote_parts == parts
        assert set(window.panel.selected_span_ids()) == parts


def test_a_pronoun_source_is_labelled_by_key_and_resolved_and_undo_takes_one_step(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project({"q": TEXT})
    window = open_main(path)
    window.show_document("q")
    view = window.view
    select_qt(window, "Putin")
    qtbot.keyClick(view, Qt.Key.Key_S)
    select_qt(window, "Nothing will change")
    qtbot.keyClick(view, Qt.Key.Key_Q)
    select_qt(window, "told reporters")
    qtbot.keyClick(view, Qt.Key.Key_U)
    # No source labelled yet: Esc leaves the click, the source key on "he" links it.
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert window.editing.pending_relation is None
    pronoun_at = TEXT.index(" he told") + 1
    select_qt(window, "he", occurrence=TEXT[:pronoun_at].count("he"))
    qtbot.keyClick(view, Qt.Key.Key_S)
    # "he" refers to Putin: the COREF key on the selected pronoun, then a click on the name.
    qtbot.keyClick(view, Qt.Key.Key_H)
    click_offset(qtbot, window, TEXT.index("Putin") + 1)
    _, relations = saved(path)
    assert relations == {
        (CUE, "Nothing will change", "told reporters"),
        (ATTRIBUTED_TO, "Nothing will change", "he"),
        (COREF, "he", "Putin"),
    }
    window.select_span(span_id(window, "Putin", "SOURCE"))
    assert view.quote_parts == {
        span_id(window, text, label)
        for text, label in (
            ("Nothing will change", "QUOTE"),
            ("told reporters", "CUE"),
            ("he", "SOURCE"),
            ("Putin", "SOURCE"),
        )
    }
    # Undo: the COREF, then the source with its link in one step, then the cue with its link.
    for _ in range(3):
        window.undo_stack.undo()
    spans, relations = saved(path)
    assert relations == set()
    assert sorted(spans.values()) == [("QUOTE", "Nothing will change"), ("SOURCE", "Putin")]


def test_a_quote_inside_a_quote_is_its_own_unit(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    path = make_project({"q": TEXT})
    window = open_main(path)
    window.show_document("q")
    view = window.view
    outer = "We welcome 'a dear friend' here"
    select_qt(window, outer)
    qtbot.keyClick(view, Qt.Key.Key_Q)
    select_qt(window, "said", occurrence=1)
    qtbot.keyClick(view, Qt.Key.Key_U)
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    select_qt(window, "Xi")
    qtbot.keyClick(view, Qt.Key.Key_S)
    # The inner quote: labelled inside the outer one, a source of its own (Putin).
    select_qt(window, "a dear friend")
    qtbot.keyClick(view, Qt.Key.Key_Q)
    select_qt(window, "Putin")
    qtbot.keyClick(view, Qt.Key.Key_S)
    _, relations = saved(path)
    assert relations == {
        (CUE, outer, "said"),
        (ATTRIBUTED_TO, outer, "Xi"),
        (ATTRIBUTED_TO, "a dear friend", "Putin"),
    }
    inner_id = span_id(window, "a dear friend", "QUOTE")
    window.select_span(inner_id)
    assert view.quote_parts == {inner_id, span_id(window, "Putin", "SOURCE")}
    window.select_span(span_id(window, outer, "QUOTE"))
    assert inner_id not in view.quote_parts and len(view.quote_parts) == 3
