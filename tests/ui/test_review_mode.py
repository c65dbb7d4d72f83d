"""Review mode driven end to end: two annotators' labels -> gold -> exported file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QListWidget, QPushButton

from annotator.cli import main
from annotator.review.changes import changes_since_seen
from annotator.store import GOLD_ANNOTATOR, Project
from annotator.ui.agreement_chart import AGREEMENT_DOCK_HEIGHT
from annotator.ui.review_app import open_review
from annotator.ui.review_mode import ReviewWindow
from tests.review.helpers import annotation, make_project

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample"

TEXTS = {
    "a": 'Putin met Xi Jinping in Beijing 👍🏽. "We remain together," Putin said.',
    "b": "Kim Jong Un arrived in Pyongyang on Tuesday.",
}


@pytest.fixture
def two_annotators(tmp_path: Path) -> Path:
    a, b = TEXTS["a"], TEXTS["b"]
    return make_project(
        tmp_path / "p",
        TEXTS,
        {
            "alice": {
                "a": annotation(
                    "a",
                    a,
                    [
                        ("PERSON", "Putin"),
                        ("PERSON", "Xi Jinping"),
                        ("GPE", "Beijing"),
                        ("QUOTE", "We remain together"),
                        ("SOURCE", "Putin", 1),
                    ],
                    [("ATTRIBUTED_TO", 3, 4)],
                ),
                "b": annotation("b", b, [("PERSON", "Kim Jong Un"), ("GPE", "Pyongyang")]),
            },
            "bob": {
                "a": annotation(
                    "a",
                    a,
                    [
                        ("PERSON", "Putin"),
                        ("PERSON", "Jinping"),
                        ("LOC", "Beijing"),
                        ("QUOTE", "We remain together"),
                        ("SOURCE", "Putin", 1),
                    ],
                    [("ATTRIBUTED_TO", 3, 4)],
                ),
                "b": annotation(
                    "b", b, [("PERSON", "Kim Jong Un"), ("GPE", "Pyongyang"), ("DATE", "Tuesday")]
                ),
            },
        },
    )


@pytest.fixture
def review(qtbot: object) -> Iterator[object]:
    windows: list[ReviewWindow] = []

    def open_(path: Path, reviewer: str = "carol") -> ReviewWindow:
        window = open_review(path, reviewer)
        qtbot.addWidget(window)  # type: ignore[attr-defined]
        window.show()
        windows.append(window)
        return window

    yield open_
    for window in windows:
        window.close()


def click(qtbot: object, window: ReviewWindow, name: str) -> None:
    button = window.findChild(QPushButton, name)
    assert button is not None and button.isEnabled(), name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]


def spans_in(record: dict[str, object]) -> set[tuple[int, int, str, str]]:
    return {(s["start"], s["end"], s["label"], s["text"]) for s in record["spans"]}  # type: ignore[index, union-attr]


def test_from_two_annotators_to_an_exported_gold_file(
    qtbot: object, review: object, two_annotators: Path, tmp_path: Path
) -> None:
    window: ReviewWindow = review(two_annotators)  # type: ignore[operator]
    listing = window.findChild(QListWidget, "disagreementList")
    assert listing is not None
    # Opens on the first disagreement: different boundaries of Xi Jinping in "a".
    assert window.doc_id == "a"
    assert [item.kind for item in window.items] == ["different_boundaries", "different_label"]
    assert listing.currentRow() == 0
    # Every annotator's labels are shown together; disputed ones are marked.
    shown = {(s.start, s.end, s.label) for s in window.view.spans.values()}
    assert {(10, 20, "PERSON"), (13, 20, "PERSON"), (24, 31, "GPE"), (24, 31, "LOC")} <= shown
    assert len(window.view.disputed) == 4 and len(window.view.focused) == 2
    assert len(window.view.arrows) == 1

    click(qtbot, window, "acceptAllAgreed")
    assert window.adjudicator.agreed_accepted("a") and window.adjudicator.agreed_accepted("b")

    # Pick alice's boundaries for Xi Jinping.
    versions = window.items[0].versions
    window.version_box.setCurrentIndex([v.annotators for v in versions].index(("alice",)))
    click(qtbot, window, "pickVersion")
    assert window.adjudicator.is_settled(window.items[0])
    assert listing.currentRow() == 1  # moved on to the next open disagreement

    # Edit the label one: the reviewer selects "Beijing" and calls it GPE.
    start = TEXTS["a"].index("Beijing")
    window.view.select_range(start, start + len("Beijing"))
    window.edit_label.setCurrentText("GPE")
    click(qtbot, window, "editDisagreement")
    assert window.adjudicator.remaining("a") == []

    # Undo the edit, redo it: the gold layer follows.
    window.undo_stack.undo()
    assert len(window.adjudicator.remaining("a")) == 1
    window.undo_stack.redo()
    assert window.adjudicator.remaining("a") == []

    # Next crosses into document "b": bob's extra DATE; reject it.
    item = window.next_disagreement()
    assert item is not None and item.doc_id == "b" and window.doc_id == "b"
    assert item.kind == "missing_span"
    click(qtbot, window, "rejectDisagreement")
    assert window.next_disagreement() is None
    assert "0 of 3 disagreements open" in window.status.text()
    assert "gold done in 2 of 2" in window.status.text()

    # The gold view shows the settled labels.
    window.show_box.setCurrentIndex(window.show_box.findData("gold"))
    assert {(s.start, s.end, s.label) for s in window.view.spans.values()} == {
        (0, 11, "PERSON"),
        (23, 32, "GPE"),
    }
    window.close()

    out = tmp_path / "gold.jsonl"
    assert (
        main(["export", str(two_annotators), "--format", "native", "--gold", "-o", str(out)]) == 0
    )
    records = {r["id"]: r for r in map(orjson.loads, out.read_bytes().splitlines())}
    assert spans_in(records["a"]) == {
        (0, 5, "PERSON", "Putin"),
        (10, 20, "PERSON", "Xi Jinping"),
        (24, 31, "GPE", "Beijing"),
        (37, 55, "QUOTE", "We remain together"),
        (58, 63, "SOURCE", "Putin"),
    }
    assert len(records["a"]["relations"]) == 1
    assert spans_in(records["b"]) == {
        (0, 11, "PERSON", "Kim Jong Un"),
        (23, 32, "GPE", "Pyongyang"),
    }
    assert records["a"]["provenance"]["reviewer"] == "carol"
    assert records["b"]["status"] == "done"


def test_undo_of_accept_all_is_one_step(
    qtbot: object, review: object, two_annotators: Path
) -> None:
    window: ReviewWindow = review(two_annotators)  # type: ignore[operator]
    click(qtbot, window, "acceptAllAgreed")
    assert window.undo_stack.count() == 1
    window.undo_action.trigger()
    assert not window.adjudicator.agreed_accepted("a")
    assert not window.adjudicator.agreed_accepted("b")
    window.redo_action.trigger()
    assert window.adjudicator.agreed_accepted("b")
    with Project.open(two_annotators) as project:
        stored = project.annotations(GOLD_ANNOTATOR, writable=False).get("b")
        assert stored is not None and len(stored.spans) == 2


def test_clicking_a_disputed_span_selects_its_disagreement(
    review: object, two_annotators: Path
) -> None:
    window: ReviewWindow = review(two_annotators)  # type: ignore[operator]
    beijing = next(s for s in window.view.spans.values() if s.label == "LOC")
    window.view.spanClicked.emit(beijing.id)
    assert window.current() is not None and window.current().kind == "different_label"  # type: ignore[union-attr]
    window.previous_disagreement()
    assert window.current() is not None and window.current().kind == "different_boundaries"  # type: ignore[union-attr]


def test_agreement_panel_and_what_changed(review: object, two_annotators: Path) -> None:
    window: ReviewWindow = review(two_annotators)  # type: ignore[operator]
    assert window.agreement.table.rowCount() == 1
    assert window.agreement.table.item(0, 0).text() == "alice / bob"
    assert [bar.label for bar in window.agreement.chart.bars] == [
        "PERSON",
        "GPE",
        "LOC",
        "DATE",
        "QUOTE",
        "SOURCE",
    ]
    image = window.agreement.chart.grab().toImage()
    assert not image.isNull() and image.width() > 100
    assert window.tabs.tabText(1) == "What changed (4)"
    assert window.changes_list.count() == 4
    window.mark_seen()
    assert window.tabs.tabText(1) == "What changed"
    assert changes_since_seen(window.project, "carol", ["alice", "bob"]) == []


def test_the_agreement_dock_leaves_the_text_most_of_the_height(
    review: object, two_annotators: Path, qtbot: object
) -> None:
    window: ReviewWindow = review(two_annotators)  # type: ignore[operator]
    qtbot.waitExposed(window)  # type: ignore[attr-defined]
    dock = window.findChild(QDockWidget, "agreementDock")
    # A quarter of the window, or enough for a headline, a pair and a short chart: its
    # size hint (a 260 px chart) took 40% of a 1366x768 screen.
    assert dock.height() <= max(window.height() // 4, AGREEMENT_DOCK_HEIGHT) + 4
    assert window.view.height() > dock.height()
    # The chart still draws its title, legend and bars at that height (a chart too short
    # for its plot paints only its background).
    chart = window.agreement.chart
    assert chart.height() >= chart.minimumHeight()
    image = chart.grab().toImage()
    colors = {image.pixel(x, y) for x in range(0, image.width(), 3) for y in range(image.height())}
    assert len(colors) > 20


def test_sample_project_review(review: object, tmp_path: Path) -> None:
    copy = tmp_path / "sample"
    shutil.copytree(SAMPLE, copy, ignore=shutil.ignore_patterns("*.lock"))
    window: ReviewWindow = review(copy)  # type: ignore[operator]
    assert window.annotators == ["alice", "bob"]
    assert window.documents.count() == 5
    walked = []
    while (item := window.next_disagreement()) is not None:
        walked.append(item.kind)
    assert walked.count("missing_span") == 4 and "different_label" in walked


def test_cli_review_names_a_missing_annotator(
    two_annotators: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["review", str(two_annotators), "--reviewer", "carol", "--annotators", "alice,zed"])
        == 1
    )
    assert "no labels by zed" in capsys.readouterr().err


def test_relation_disagreement_in_the_window(qtbot: object, review: object, tmp_path: Path) -> None:
    text = '"We remain together," Putin said, Xi agreed.'
    alice = annotation(
        "d", text, [("QUOTE", "We remain together"), ("SOURCE", "Putin")], [("ATTRIBUTED_TO", 0, 1)]
    )
    bob = annotation(
        "d",
        text,
        [("QUOTE", "We remain together"), ("SOURCE", "Putin"), ("SOURCE", "Xi")],
        [("ATTRIBUTED_TO", 0, 2)],
    )
    path = make_project(tmp_path / "p", {"d": text}, {"alice": {"d": alice}, "bob": {"d": bob}})
    window: ReviewWindow = review(path)  # type: ignore[operator]
    relation = next(i for i, item in enumerate(window.items) if item.is_relation)
    window.disagreements.setCurrentRow(relation)
    assert not window.edit_button.isEnabled()  # a relation is picked or rejected
    # Both versions' ends are outlined: the quote, Putin and Xi.
    focused = {window.view.spans[span_id].text for span_id in window.view.focused}
    assert focused == {"We remain together", "Putin", "Xi"}
    window.version_box.setCurrentIndex(
        [v.annotators for v in window.items[relation].versions].index(("alice",))
    )
    click(qtbot, window, "pickVersion")
    gold = window.adjudicator.gold("d")
    (rel,) = gold.relations
    assert gold.span(rel.tail).text == "Putin"  # type: ignore[union-attr]
