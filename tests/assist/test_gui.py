"""The window side of assisted labelling, driven with real keys and clicks (offscreen)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QApplication

from annotator.assist.patterns import PatternMatcher, parse_pattern
from annotator.assist.suggestions import REJECTED, SuggestionLayer
from annotator.core.models import Document
from annotator.store import Project

TEXTS = {
    "a": "Putin met Xi Jinping in Beijing. 👍🏽 Later Putin left Beijing.",
    "b": "In Beijing, putin and Putin spoke.\r\nPutin again.",
    "c": "Cafe\u0301 owner Putin. 习近平 met Putin.",
}


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    path = tmp_path / "p"
    project = Project.create(path)
    project.add_documents(
        [Document(id=key, text=text, meta={"title": key}) for key, text in TEXTS.items()]
    )
    matcher = PatternMatcher(
        [
            parse_pattern({"label": "GPE", "pattern": "Beijing"}),
            parse_pattern({"label": "PERSON", "pattern": [{"lower": "xi"}, {"lower": "jinping"}]}),
        ]
    )
    SuggestionLayer(project, "alice").suggest(matcher, "patterns:test")
    project.close()
    return path


@pytest.fixture
def open_window(qtbot: Any, tmp_path: Path) -> Iterator[Callable[[Path], Any]]:
    from annotator.ui.main_window import MainWindow
    from annotator.ui.settings import Settings

    windows: list[MainWindow] = []

    def open_(path: Path) -> MainWindow:
        settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
        window = MainWindow(path, "alice", settings)
        qtbot.addWidget(window)
        window.show()
        window.activateWindow()
        with qtbot.waitActive(window):
            pass
        window.view.setFocus()
        window.show_document("a")
        settle()
        windows.append(window)
        return window

    yield open_
    for window in windows:
        if window.project is not None:
            window.close()


def settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def press(
    qtbot: Any, window: Any, key: Qt.Key, modifier: Any = Qt.KeyboardModifier.NoModifier
) -> None:
    qtbot.keyClick(window.view, key, modifier)
    settle()


def suggestions_on_disk(path: Path) -> dict[str, dict[str, Any]]:
    records: dict[str, dict[str, Any]] = {}
    for line in (path / "suggestions" / "alice.jsonl").read_bytes().splitlines():
        record = orjson.loads(line)
        records[record["doc_id"]] = record
    return records


def labels(window: Any, doc_id: str) -> list[tuple[str, str]]:
    return [(s.label, s.text) for s in window.session.annotation(doc_id).spans]


def test_suggestions_are_drawn_apart_from_labels(
    open_window: Callable[[Path], Any], project_path: Path
) -> None:
    window = open_window(project_path)
    overlay = window.assist.overlay
    window.assist.sync()
    overlay.repaint()
    assert sorted((s.label, s.text) for s in window.assist.pending()) == [
        ("GPE", "Beijing"),
        ("GPE", "Beijing"),
        ("PERSON", "Xi Jinping"),
    ]
    assert len(overlay.painted) == 3
    assert window.view.spans == {}  # suggestions are not labels
    # The outline sits over the suggested characters, after the emoji too.
    last = max(window.assist.pending(), key=lambda s: s.start)
    rects = overlay._rects(*window.view.offsets.range_to_qt(last.start, last.end))
    cursor = window.view.cursorForPosition(rects[0].center().toPoint())
    assert window.view.offsets.from_qt(cursor.position()) in range(last.start, last.end + 1)


def test_keys_accept_reject_and_undo(
    open_window: Callable[[Path], Any], project_path: Path, qtbot: Any
) -> None:
    window = open_window(project_path)
    assist = window.assist
    press(qtbot, window, Qt.Key.Key_A)  # nothing outlined yet: A only picks the first
    assert labels(window, "a") == []
    first = assist.current
    assert first is not None
    press(qtbot, window, Qt.Key.Key_A)
    assert labels(window, "a") == [("PERSON", "Xi Jinping")]
    span = window.session.annotation("a").spans[0]
    assert TEXTS["a"][span.start : span.end] == "Xi Jinping"
    assert span.id in window.view.spans  # drawn as a label now
    press(qtbot, window, Qt.Key.Key_X)  # the next one, the first Beijing, is rejected
    assert len(assist.pending()) == 1
    on_disk = suggestions_on_disk(project_path)["a"]
    assert [s["text"] for s in on_disk["spans"]] == ["Beijing"]
    assert on_disk["provenance"][REJECTED] == [[24, 31, "GPE"]]
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(assist.pending()) == 2
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert labels(window, "a") == [] and len(assist.pending()) == 3
    press(qtbot, window, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert labels(window, "a") == [("PERSON", "Xi Jinping")]
    assert window.session.annotation("a").spans[0].id == span.id  # same id on redo
    window.loader.save_now()
    saved = window.project.annotations("alice")
    assert saved.get("a") is not None


def test_accept_all_in_a_document_and_undo(
    open_window: Callable[[Path], Any], project_path: Path, qtbot: Any
) -> None:
    window = open_window(project_path)
    press(qtbot, window, Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier)
    assert sorted(labels(window, "a")) == [
        ("GPE", "Beijing"),
        ("GPE", "Beijing"),
        ("PERSON", "Xi Jinping"),
    ]
    assert window.assist.pending() == []
    assert suggestions_on_disk(project_path)["a"]["spans"] == []
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert labels(window, "a") == [] and len(window.assist.pending()) == 3


def test_clicking_a_suggestion_outlines_it_and_f8_steps(
    open_window: Callable[[Path], Any], project_path: Path, qtbot: Any
) -> None:
    window = open_window(project_path)
    assist = window.assist
    target = next(s for s in assist.pending() if s.label == "PERSON")
    rects = assist.overlay._rects(*window.view.offsets.range_to_qt(target.start, target.end))
    point = rects[0].center().toPoint()
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    settle()
    assert assist.current == target.id
    press(qtbot, window, Qt.Key.Key_F8)
    assert assist.current == sorted(assist.pending(), key=lambda s: s.start)[1].id
    press(qtbot, window, Qt.Key.Key_F8, Qt.KeyboardModifier.ShiftModifier)
    assert assist.current == target.id
    assert assist.overlay.suggestion_at(QPoint(point.x(), point.y())) == target


def test_other_documents_show_their_own_suggestions(
    open_window: Callable[[Path], Any], project_path: Path
) -> None:
    window = open_window(project_path)
    window.show_document("b")
    settle()
    window.assist.sync()
    assert [(s.label, s.text) for s in window.assist.pending()] == [("GPE", "Beijing")]
    window.show_document("c")
    settle()
    window.assist.sync()
    assert window.assist.pending() == []


def test_label_all_mentions_in_this_document_then_undo(
    open_window: Callable[[Path], Any], project_path: Path, qtbot: Any
) -> None:
    window = open_window(project_path)
    window.show_document("b")  # CRLF text: offsets must still be exact
    settle()
    text = window.project.get_text("b")
    start = text.index("Putin")
    window.view.select_range(start, start + 5)
    press(qtbot, window, Qt.Key.Key_P)  # label PERSON, the new span is selected
    assert labels(window, "b") == [("PERSON", "Putin")]
    press(qtbot, window, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    spans = window.session.annotation("b").spans
    assert [(s.text, s.start) for s in spans] == [("Putin", start), ("Putin", text.rindex("Putin"))]
    window.session.annotation("b").check_against(text)
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert labels(window, "b") == [("PERSON", "Putin")]
    window.assist.ignore_case_action.setChecked(True)
    window.assist.label_mentions(everywhere=False, as_suggestions=False)
    assert sorted(s.text for s in window.session.annotation("b").spans) == [
        "Putin",
        "Putin",
        "putin",
    ]


def test_suggest_all_mentions_in_all_documents_then_undo(
    open_window: Callable[[Path], Any], project_path: Path, qtbot: Any
) -> None:
    window = open_window(project_path)
    text = TEXTS["a"]
    window.view.select_range(0, 5)
    press(qtbot, window, Qt.Key.Key_P)
    press(
        qtbot,
        window,
        Qt.Key.Key_M,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    book = window.assist.book
    mentions = {
        doc: [
            (s.label, s.text, s.start)
            for s in book.pending(doc)
            if s.label == "PERSON" and s.text == "Putin"
        ]
        for doc in TEXTS
    }
    assert mentions["a"] == [("PERSON", "Putin", text.rindex("Putin"))]
    assert len(mentions["b"]) == 2 and len(mentions["c"]) == 2
    c_text = TEXTS["c"]
    assert [start for *_, start in mentions["c"]] == [c_text.index("Putin"), c_text.rindex("Putin")]
    assert labels(window, "b") == []  # suggestions only
    on_disk = suggestions_on_disk(project_path)
    assert {s["attrs"]["source"] for s in on_disk["c"]["spans"]} == {"mentions"}
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [s for s in book.pending("c")] == []
    assert suggestions_on_disk(project_path)["c"]["spans"] == []


def test_label_all_mentions_everywhere_applies_labels_and_undo_restores(
    open_window: Callable[[Path], Any], project_path: Path, qtbot: Any
) -> None:
    window = open_window(project_path)
    window.view.select_range(0, 5)
    press(qtbot, window, Qt.Key.Key_P)
    window.assist.label_mentions(everywhere=True, as_suggestions=False)
    settle()
    assert [t for _, t in labels(window, "c")] == ["Putin", "Putin"]
    assert window.view.spans  # the document in view shows its new labels
    window.loader.save_now()
    journal = [
        orjson.loads(line)
        for line in (project_path / "annotations" / "alice.jsonl").read_bytes().splitlines()
    ]
    last = {record["doc_id"]: record for record in journal}
    assert len(last["c"]["spans"]) == 2
    window.undo_stack.undo()
    settle()
    assert labels(window, "c") == [] and labels(window, "b") == []
    assert labels(window, "a") == [("PERSON", "Putin")]


def test_without_a_selected_span_mentions_say_what_to_do(
    open_window: Callable[[Path], Any], project_path: Path, qtbot: Any
) -> None:
    window = open_window(project_path)
    press(qtbot, window, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert "Label a span" in window.statusBar().currentMessage()


def test_pattern_file_and_model_from_the_window(
    open_window: Callable[[Path], Any], project_path: Path, tmp_path: Path, qtbot: Any
) -> None:
    window = open_window(project_path)
    words = tmp_path / "people.txt"
    words.write_text("Putin\n", encoding="utf-8")
    window.assist.suggest_from_patterns(words, "PERSON")
    settle()
    assert "added 6 suggestions (PERSON 6)" in window.statusBar().currentMessage()
    assert [s.text for s in window.assist.pending() if s.label == "PERSON"] == [
        "Putin",
        "Xi Jinping",
        "Putin",
    ]
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(
        [{"label": "GPE", "pattern": "Beijing"}, {"label": "LOC", "pattern": "Later"}]
    )
    nlp.to_disk(tmp_path / "pipe")
    # One path for model suggestions: Model ▸ Suggest with a model… (in the background).
    window.models.suggest_with_model(tmp_path / "pipe")
    qtbot.waitUntil(lambda: window.models.task is None, timeout=60_000)
    settle()
    message = window.statusBar().currentMessage()
    assert "added 1 suggestion (LOC 1)" in message, message  # Beijings known


def test_locked_suggestions_are_read_only(
    open_window: Callable[[Path], Any], project_path: Path, qtbot: Any
) -> None:
    other = Project.open(project_path)
    other.suggestions("alice")  # another program holds the lock
    try:
        window = open_window(project_path)
        press(qtbot, window, Qt.Key.Key_F8)
        press(qtbot, window, Qt.Key.Key_A)
        assert labels(window, "a") == []
        assert "read-only" in window.statusBar().currentMessage()
    finally:
        other.close()


def test_a_label_hotkey_on_a_takes_precedence(
    open_window: Callable[[Path], Any], project_path: Path
) -> None:
    project = Project.open(project_path)
    schema = project.schema
    labels_ = [
        label.model_copy(update={"hotkey": "A"}) if label.name == "ORG" else label
        for label in schema.labels
    ]
    project.set_schema(schema.model_copy(update={"labels": labels_}))
    project.close()
    window = open_window(project_path)
    assert window.assist.accept_action.shortcut().toString() == "Alt+A"
    assert window.assist.reject_action.shortcut().toString() == "X"


def test_stopping_a_project_run_keeps_what_was_found(
    open_window: Callable[[Path], Any],
    project_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PySide6.QtWidgets import QProgressDialog

    window = open_window(project_path)
    monkeypatch.setattr(QProgressDialog, "wasCanceled", lambda self: True)
    words = tmp_path / "people.txt"
    words.write_text("Putin\n", encoding="utf-8")
    window.assist.suggest_from_patterns(words, "PERSON")
    settle()
    assert window.statusBar().currentMessage().startswith("Stopped")
    assert [s.text for s in window.assist.pending() if s.label == "PERSON"] == [
        "Putin",
        "Xi Jinping",
        "Putin",
    ]


def test_accepting_in_a_todo_document_starts_it_in_one_undo_step(
    open_window: Callable[[Path], Any], project_path: Path, qtbot: Any
) -> None:
    window = open_window(project_path)
    assert window.session.status("a") == "todo"
    press(qtbot, window, Qt.Key.Key_F8)
    press(qtbot, window, Qt.Key.Key_A)
    assert window.session.status("a") == "in_progress"
    press(qtbot, window, Qt.Key.Key_X)
    assert window.session.status("a") == "in_progress"
    window.undo_stack.undo()
    window.undo_stack.undo()
    settle()
    assert window.session.status("a") == "todo" and labels(window, "a") == []
