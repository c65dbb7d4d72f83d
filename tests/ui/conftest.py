"""Fixtures for the window tests: a small project with tricky texts, and a shown window."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from PySide6.QtCore import QSettings

from annotator.core.models import Document
from annotator.store import Project

TEXTS = {
    "kim": "Kim Jong Un’s visit to Beijing surprised analysts, said Lee Min-ho of the U.S. embassy.",
    "quote": 'Putin said "we remain together now" in Beijing on Tuesday.',
    "emoji": "Fans 👍🏽 cheered 🎉 Xi Jinping 👍🏽 and Putin.",
    "cjk": "习近平会见普京。中俄关系 good.",
    "combining": "Cafe\u0301 owner Jose\u0301 Marti\u0301 spoke.",
    "crlf": "First line\nSecond line with Putin\nThird",
}
TITLES = {key: f"Article {key}" for key in TEXTS}


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    def make(texts: dict[str, str] | None = None, name: str = "p") -> Path:
        path = tmp_path / name
        project = Project.create(path)
        project.add_documents(
            [
                Document(id=doc_id, text=text, meta={"title": f"Article {doc_id}"})
                for doc_id, text in (texts or TEXTS).items()
            ]
        )
        project.close()
        return path

    return make


@pytest.fixture
def settings(tmp_path: Path) -> object:
    from annotator.ui.settings import Settings

    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def open_main(qtbot: object, settings: object) -> Iterator[Callable[..., object]]:
    """Opens a MainWindow on a project, shown and active; closes them all afterwards."""
    from annotator.ui.main_window import MainWindow

    windows: list[MainWindow] = []

    def open_(path: Path, annotator: str = "alice") -> MainWindow:
        window = MainWindow(path, annotator, settings)  # type: ignore[arg-type]
        qtbot.addWidget(window)  # type: ignore[attr-defined]
        window.show()
        window.activateWindow()
        # Shortcuts only fire in the active window.
        with qtbot.waitActive(window):  # type: ignore[attr-defined]
            pass
        window.view.setFocus()
        windows.append(window)
        return window

    yield open_
    for window in windows:
        if window.project is not None:
            window.close()


def journal(path: Path, annotator: str = "alice") -> dict[str, dict[str, object]]:
    """The last saved record per document, read straight from the file on disk.

    Events are processed first: the window saves on the next turn of the event loop.
    """
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is not None:
        QApplication.processEvents()
    records: dict[str, dict[str, object]] = {}
    file = path / "annotations" / f"{annotator}.jsonl"
    if not file.exists():
        return records
    for line in file.read_bytes().splitlines():
        if line.strip():
            record = orjson.loads(line)
            records[record["doc_id"]] = record
    return records


@pytest.fixture(autouse=True)
def desktop_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows size themselves from the screen (screen_fit.py); the offscreen platform's
    screen is small, so tests get a 1920x1080 desktop unless they ask for another."""
    from PySide6.QtCore import QRect

    from annotator.ui import screen_fit

    monkeypatch.setattr(screen_fit, "available_geometry", lambda _widget: QRect(0, 0, 1920, 1080))
