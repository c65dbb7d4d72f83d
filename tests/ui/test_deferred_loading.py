"""The window shows first and opens its project on the event loop's next turn (start-up).

``run_gui`` builds ``MainWindow(None, ...)``, shows it and calls ``open_later``: the
first paint has the menus, docks and empty views but no project, and the project, the
document list and the first document follow. These tests drive that path as the app
does; the other window tests build ``MainWindow(path)``, which opens the project at once.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from PySide6.QtCore import QEvent, QObject, QSettings
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QMainWindow,
    QMessageBox,
)
from pytestqt.qtbot import QtBot

from annotator.ui.main_window import MainWindow
from annotator.ui.settings import Settings
from tests.ui.conftest import TEXTS, TITLES, journal

REPO = Path(__file__).resolve().parents[2]


class PaintWatcher(QObject):
    """Records whether a project was open at each paint of the window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.project_open_at_paint: list[bool] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.project_open_at_paint.append(self.window.project is not None)
        return False


@pytest.fixture
def deferred(qtbot: QtBot, settings: Settings) -> Iterator[Callable[[Path], MainWindow]]:
    """A window shown without a project, then asked to open one as run_gui does."""
    windows: list[MainWindow] = []

    def open_(path: Path) -> MainWindow:
        window = MainWindow(None, "alice", settings)
        qtbot.addWidget(window)
        window.show()
        window.open_later(path)
        windows.append(window)
        return window

    yield open_
    for window in windows:
        window.close()


def select_qt(window: MainWindow, needle: str) -> None:
    text = window.view.text
    start = text.index(needle)
    cursor = window.view.textCursor()
    cursor.setPosition(window.view.offsets.to_qt(start))
    cursor.setPosition(
        window.view.offsets.to_qt(start + len(needle)), QTextCursor.MoveMode.KeepAnchor
    )
    window.view.setTextCursor(cursor)


def test_the_window_paints_before_the_project_opens_then_lists_and_shows_a_document(
    deferred: Callable[[Path], MainWindow],
    make_project: Callable[..., Path],
    settings: Settings,
    qtbot: QtBot,
) -> None:
    path = make_project()
    # The document last seen here: an emoji article (UTF-16 offsets differ from Python's).
    settings.set_last_document(path, "emoji")
    window = deferred(path)
    watcher = PaintWatcher(window)
    window.installEventFilter(watcher)
    assert window.loading and window.project is None and window.document_list is None
    assert window.statusBar().currentMessage() == f"Opening {path}…"
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus[:3] == ["&File", "&Edit", "&Labels"] and "&Suggestions" in menus

    with qtbot.waitSignal(window.loaded, timeout=10_000):
        pass
    # The first paint came before the project; nothing is loaded before the window shows.
    assert watcher.project_open_at_paint and watcher.project_open_at_paint[0] is False
    assert not window.loading and window.project is not None
    assert window.document_list is not None
    assert window.document_list.model.rowCount() == len(TEXTS)
    assert window.current == "emoji" and window.view.text == TEXTS["emoji"]
    assert window.windowTitle().startswith(TITLES["emoji"])
    assert window.palette_widget.buttons  # the schema's labels
    assert window.statusBar().currentMessage() == ""

    # Fully usable: a label on a CJK document is saved with code-point offsets.
    window.show_document("cjk")
    window.snap_action.setChecked(False)  # CJK has no spaces: snapping takes the whole run
    select_qt(window, "普京")
    window.editing.apply_label("PERSON")
    record = journal(path)["cjk"]
    spans = record["spans"]
    assert isinstance(spans, list) and len(spans) == 1
    span = spans[0]
    assert TEXTS["cjk"][span["start"] : span["end"]] == span["text"] == "普京"


def test_actions_used_while_the_project_opens_do_no_harm(
    deferred: Callable[[Path], MainWindow],
    make_project: Callable[..., Path],
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = make_project()
    # Anything that asks for a file or a name is cancelled, as a user could.
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: "")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("", False))
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("", False))
    from annotator.ui.welcome import WelcomeDialog

    monkeypatch.setattr(WelcomeDialog, "exec", lambda _dialog: 0)
    window = deferred(path)
    skipped = {"Quit", "Keyboard shortcuts"}  # closes the window / a modal help dialog
    triggered = 0
    for action in window.actions():
        if action.text().replace("&", "") in skipped or not action.isEnabled():
            continue
        action.trigger()
        triggered += 1
    window.panel.status.setCurrentIndex(2)  # "done", in the panel's status box
    window.panel.note.setText("typed before the project opened")
    window.panel.note.editingFinished.emit()
    assert triggered > 30
    assert window.project is None and window.loading

    with qtbot.waitSignal(window.loaded, timeout=10_000):
        pass
    assert window.project is not None and window.session is not None
    assert window.session.writable and not window.undo_stack.count()
    assert journal(path) == {}  # nothing was saved for a document not yet open
    window.editing.set_status("done")
    assert window.current is not None
    assert journal(path)[window.current]["status"] == "done"


def test_a_project_that_fails_to_open_is_reported(
    deferred: Callable[[Path], MainWindow], make_project: Callable[..., Path], qtbot: QtBot
) -> None:
    path = make_project()
    config = path / "annotator.json"
    config.write_text('{"name": "p",\n "format_version": 1,,}\n', encoding="utf-8")
    window = deferred(path)
    with qtbot.waitSignal(window.loadFailed, timeout=10_000) as blocker:
        pass
    message = blocker.args[0] if blocker.args else ""
    assert str(config) in message and "not valid JSON" in message
    assert not window.loading and window.project is None and window.document_list is None
    assert window.statusBar().currentMessage() == f"Could not open the project: {message}"
    window.loader.step_document(1)  # still harmless
    window.loader.save_now()


def test_a_locked_layer_opens_read_only_after_the_window_shows(
    deferred: Callable[[Path], MainWindow], make_project: Callable[..., Path], qtbot: QtBot
) -> None:
    from annotator.store import Project

    path = make_project()
    other = Project.open(path)
    other_store = other.annotations("alice")  # another program labelling as alice
    try:
        window = deferred(path)
        with qtbot.waitSignal(window.loaded, timeout=10_000):
            pass
        assert window.session is not None and not window.session.writable
        qtbot.waitUntil(
            lambda: (
                window.loader.lock_message is not None and window.loader.lock_message.isVisible()
            )
        )
        assert window.loader.lock_message is not None
        assert "open for writing" in window.loader.lock_message.text()
        window.loader.lock_message.close()
        assert "[read-only]" in window.windowTitle()
    finally:
        other_store.close()
        other.close()


def test_closing_before_the_project_opens_never_opens_it(
    make_project: Callable[..., Path], settings: Settings, qtbot: QtBot
) -> None:
    path = make_project()
    window = MainWindow(None, "alice", settings)
    qtbot.addWidget(window)
    window.show()
    window.open_later(path)
    window.close()
    qtbot.wait(50)
    assert window.project is None and not window.loading
    from annotator.store import Project

    with Project.open(path) as project:
        project.annotations("alice").close()  # LockedError if the window held the layer


def test_run_gui_reports_a_project_it_cannot_open_like_the_command_line(
    make_project: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from annotator.ui import app as app_module

    path = make_project()
    (path / "annotator.json").write_bytes(orjson.dumps({"name": 3}))
    isolated = Settings(QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
    monkeypatch.setattr(app_module, "Settings", lambda: isolated)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _parent, _title, text: shown.append(text))
    # Closing the app's last window would post a Quit that ends the next test's event loops.
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    try:
        assert app_module.run_gui(path, "bob") == 1
    finally:
        app.setQuitOnLastWindowClosed(True)
    err = capsys.readouterr().err
    assert err.startswith("annotator: error: ") and err.count("\n") == 1
    assert "annotator.json" in err and shown == [err.strip()[len("annotator: error: ") :]]


def test_the_window_modules_load_neither_pydantic_nor_the_store() -> None:
    """What the first paint needs is Qt and the light ui modules (a fresh interpreter)."""
    code = (
        "import sys\n"
        "import annotator.cli, annotator.ui.app, annotator.ui.main_window\n"
        "heavy = ('pydantic', 'annotator.core.models', 'annotator.store.project',\n"
        "         'annotator.store.journal', 'annotator.assist', 'annotator.formats',\n"
        "         'annotator.review', 'annotator.services', 'annotator.ui.document_list',\n"
        "         'annotator.ui.highlighter')\n"
        "print(' '.join(sorted(n for n in sys.modules if n.startswith(heavy))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=True,
    )
    assert result.stdout.strip() == ""


def test_the_collector_is_off_from_the_gui_command_until_the_project_opens(
    make_project: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start-up and the project's load run without cyclic garbage collection (cli.cmd_gui,
    ui/app.py); it is back on once the project is open, and after the command returns."""
    from annotator.cli import main
    from annotator.ui import app as app_module

    path = make_project()
    isolated = Settings(QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
    monkeypatch.setattr(app_module, "Settings", lambda: isolated)
    seen: dict[str, bool] = {}

    def run_until_loaded(app: QApplication) -> int:
        (window,) = [
            w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        ]
        seen["shown"] = gc.isenabled()
        while window.loading:
            app.processEvents()
        seen["loaded"] = gc.isenabled()
        assert window.project is not None
        window.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", run_until_loaded)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    try:
        assert main(["gui", str(path), "--annotator", "bob"]) == 0
    finally:
        app.setQuitOnLastWindowClosed(True)
    assert seen == {"shown": False, "loaded": True}
    assert gc.isenabled()


FIRST_FRAME = """
import sys
import PySide6.QtCore
from PySide6.QtWidgets import QApplication

last_line = ["none"]

def trace(frame, event, arg):
    # The last line of ours that ran before PySide6 set up Qt: where to look if it did.
    if "Qt" in vars(PySide6.QtCore):
        sys.settrace(None)
        return None
    name = frame.f_code.co_filename
    if "/annotator/" in name and not name.endswith("lazy_qt.py"):
        last_line[0] = f"{name.rpartition('/annotator/')[2]}:{frame.f_lineno}"
    return trace

def first_frame(self):
    self.processEvents()
    sys.settrace(None)
    from annotator.ui.main_window import MainWindow
    window = next(w for w in self.topLevelWidgets() if isinstance(w, MainWindow))
    assert window.isVisible() and window.loading, "the frame should come before the project"
    print("set-up" if "Qt" in vars(PySide6.QtCore) else "not-set-up", last_line[0], flush=True)
    return 0

QApplication.exec = first_frame
sys.settrace(trace)
from annotator.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_the_first_frame_does_without_qts_enum_namespace(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    """PySide6 builds all of ``Qt``'s enums (20-30 ms) when it is first named: the window is
    painted before that (annotator/ui/lazy_qt.py)."""
    path = make_project()
    result = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME, "gui", str(path), "--annotator", "alice"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={
            "PYTHONPATH": str(REPO),
            "QT_QPA_PLATFORM": "offscreen",
            "PATH": "/usr/bin:/bin",
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
        },
        timeout=120,
        check=True,
    )
    verdict, _, line = result.stdout.strip().partition(" ")
    assert verdict == "not-set-up", f"Qt's enums were set up before the first frame, after {line}"


def shown_without_project(qtbot: QtBot, settings: Settings) -> MainWindow:
    window = MainWindow(None, "alice", settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_the_docks_take_their_places_from_the_default_layout(
    qtbot: QtBot, settings: Settings
) -> None:
    from PySide6.QtCore import Qt

    window = shown_without_project(qtbot, settings)
    assert window.dockWidgetArea(window.list_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert window.dockWidgetArea(window.palette_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert window.dockWidgetArea(window.panel_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert window.palette_dock.geometry().bottom() < window.panel_dock.geometry().top()
    assert window.list_dock.width() == 330 and window.palette_dock.width() == 360
    assert all(
        not dock.isFloating() and dock.isVisible() for dock in window.findChildren(QDockWidget)
    )


def test_the_docks_keep_their_places_when_the_project_and_its_panels_arrive(
    deferred: Callable[[Path], MainWindow], make_project: Callable[..., Path], qtbot: QtBot
) -> None:
    window = deferred(make_project())
    docks = (window.list_dock, window.palette_dock, window.panel_dock)
    qtbot.waitExposed(window)
    before = [dock.geometry() for dock in docks]
    assert window.loading
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        pass
    QApplication.processEvents()
    assert window.palette_widget.buttons and window.panel.isVisible()
    assert [dock.geometry() for dock in docks] == before


def test_a_saved_layout_is_restored_and_a_dock_it_lacks_is_placed_by_area(
    qtbot: QtBot, settings: Settings
) -> None:
    from PySide6.QtCore import Qt

    # A layout saved by a version without the spans panel, the documents on the right.
    older = QMainWindow()
    qtbot.addWidget(older)
    for name in ("documentsDock", "labelsDock"):
        dock = QDockWidget(name, older)
        dock.setObjectName(name)
        older.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    settings.save_layout(older.saveGeometry(), older.saveState())

    window = shown_without_project(qtbot, settings)
    assert window.dockWidgetArea(window.list_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert window.dockWidgetArea(window.panel_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert window.panel_dock.isVisible()

    # The layout the window saves on closing comes back, docks moved or hidden.
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.palette_dock)
    window.panel_dock.hide()
    window.close()
    again = shown_without_project(qtbot, settings)
    assert again.dockWidgetArea(again.palette_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert not again.panel_dock.isVisible() and again.list_dock.isVisible()


def test_the_spans_panel_comes_with_the_project(
    deferred: Callable[[Path], MainWindow], make_project: Callable[..., Path], qtbot: QtBot
) -> None:
    from PySide6.QtCore import Qt

    from annotator.ui.spans_panel import SpansPanel

    path = make_project()
    window = deferred(path)
    # The first frame has the dock and its title, without the panel's item views.
    assert not window.findChildren(SpansPanel)
    assert window.panel_dock.isVisible() and window.panel_dock.windowTitle() == "This document"
    qtbot.waitUntil(lambda: window.current is not None, timeout=10_000)
    assert window.findChildren(SpansPanel) == [window.panel]
    assert window.panel_dock.widget() is window.panel and window.panel.isVisible()
    view = window.panel.span_view
    titles = [view.model().headerData(column, Qt.Orientation.Horizontal) for column in range(3)]
    assert titles == ["Label", "Text", "Note"]
    assert view.model() is window.panel.span_model
    assert view.model().rowCount() == 0
    window.show_document("quote")
    select_qt(window, "Putin")
    window.editing.apply_label("PERSON")
    assert view.model().rowCount() == 1
    assert view.model().index(0, 1).data() == "Putin"
    assert view.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu
    header = view.horizontalHeader()
    assert header.sectionResizeMode(1) == header.ResizeMode.Stretch and header.sectionSize(0) == 100
    assert window.view.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByKeyboard
