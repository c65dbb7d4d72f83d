"""Next unlabelled, least sure first: the option in the Document menu changes where Ctrl+J goes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from annotator.assist.patterns import Match
from annotator.assist.suggestions import SuggestionLayer
from annotator.store import Project

TEXTS = {
    "start": "Nothing suggested here.",
    "patterns": "Beijing 👍🏽 by a pattern.",
    "sure": "Moscow, the model is sure.",
    "done": "Paris, hesitant but done.",
    "hesitant": "Cafe\u0301 Seoul, the model hesitates.",
}
# The model's probability for the first word of each document (None: a pattern's match).
SCORES: dict[str, float | None] = {
    "Beijing": None,
    "Moscow,": 0.97,
    "Paris,": 0.5,
    "Cafe\u0301": 0.58,
}


class FirstWord:
    def find_many(self, texts: Iterable[str]) -> Iterator[list[Match]]:
        for text in texts:
            word = text.split()[0]
            if word in SCORES:
                yield [Match(0, len(word), "GPE", word, SCORES[word])]
            else:
                yield []


def test_least_sure_first_changes_which_document_ctrl_j_opens(
    make_project: Callable[..., Path], open_main: Callable[..., Any], qtbot: Any, settings: Any
) -> None:
    path = make_project(TEXTS)
    project = Project.open(path)
    SuggestionLayer(project, "alice").suggest(FirstWord(), "model:test")
    project.close()
    window = open_main(path)
    option = window.table_actions["leastSureFirst"]
    assert option.isCheckable() and not option.isChecked()
    window.show_document("done")
    window.editing.set_status("done")

    def ctrl_j_from(doc_id: str) -> str:
        window.show_document(doc_id)
        qtbot.keyClick(window.view, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
        return str(window.current)

    assert ctrl_j_from("start") == "patterns"  # project order
    option.trigger()
    assert settings.least_sure_first
    # 0.58 is the least sure of the documents still to do (0.5 is done), then 0.97; the
    # documents without a model's score come last, in project order.
    assert ctrl_j_from("start") == "hesitant"
    assert ctrl_j_from("hesitant") == "sure"
    assert ctrl_j_from("sure") == "hesitant"
    option.trigger()
    assert not settings.least_sure_first
    assert ctrl_j_from("start") == "patterns"


def test_the_option_is_remembered(
    make_project: Callable[..., Path], open_main: Callable[..., Any], settings: Any
) -> None:
    settings.least_sure_first = True
    window = open_main(make_project(TEXTS))
    assert window.table_actions["leastSureFirst"].isChecked()
