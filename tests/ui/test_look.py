"""Issue 17: label colours and legend, windows that fit, the first run, exports, small things."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from annotator.core.palette import MIN_DISTANCE, delta_e
from annotator.ui.main_window import MainWindow
from annotator.ui.schema_editor import COLOR, HOTKEY, ColorButton, SchemaEditor, key_text
from annotator.ui.settings import Settings
from tests.ui.test_labelling import select_qt

Opener = Callable[..., MainWindow]


# --- 1. colours and legend -------------------------------------------------------------------


def test_schema_editor_gives_new_labels_distinct_colours_and_free_hotkeys(
    make_project: Callable[..., Path], open_main: Opener
) -> None:
    window = open_main(make_project())
    assert window.project is not None
    editor = SchemaEditor(window.project.schema, window)
    for _ in range(12):
        editor._new_label()
    schema, _renames = editor.build()  # raises on a duplicate hotkey
    colours = [label.color for label in schema.labels]
    for first, second in itertools.combinations(colours, 2):
        assert delta_e(first, second) >= MIN_DISTANCE, (first, second)
    last = editor.table.rowCount() - 1
    colour, hotkey = editor.table.cellWidget(last, COLOR), editor.table.cellWidget(last, HOTKEY)
    assert isinstance(colour, ColorButton) and colour.color != "#AAAAAA"
    assert key_text(hotkey) != ""  # type: ignore[arg-type]
    editor.reject()


def test_label_buttons_show_how_often_each_label_is_used(
    make_project: Callable[..., Path], open_main: Opener, qtbot: QtBot
) -> None:
    window = open_main(make_project())
    window.show_document("kim")
    select_qt(window, "Kim Jong Un")
    qtbot.keyClick(window.view, Qt.Key.Key_P)
    select_qt(window, "Lee Min-ho")
    qtbot.keyClick(window.view, Qt.Key.Key_P)
    select_qt(window, "Beijing")
    qtbot.keyClick(window.view, Qt.Key.Key_G)
    buttons = window.palette_widget.buttons
    assert buttons["PERSON"].text().endswith("· 2")
    assert buttons["GPE"].text().endswith("· 1")
    assert buttons["ORG"].text() == "ORG  [O]"
    window.show_document("quote")  # the legend follows the document shown
    assert buttons["PERSON"].text() == "PERSON  [P]"


# --- 3. who am I -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "layer"),
    [("Jane Doe", "Jane_Doe"), ("Zoë", "Zoë"), ("李雷", "李雷"), ("  o'Brien, Ann ", "oBrien_Ann")],
)
def test_welcome_accepts_any_human_name(qtbot: QtBot, typed: str, layer: str) -> None:
    from PySide6.QtWidgets import QDialogButtonBox

    from annotator.ui.welcome import WelcomeDialog

    dialog = WelcomeDialog(None, sample=True)
    qtbot.addWidget(dialog)
    dialog.name_edit.setText(typed)
    assert dialog.layer_name() == layer
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    assert layer in dialog.file_hint.text()
    dialog.name_edit.setText("   ")
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()


def test_welcome_is_prefilled_with_the_system_user_and_explains_the_sample(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass

    from PySide6.QtWidgets import QLabel

    from annotator.ui.welcome import WelcomeDialog

    monkeypatch.setattr(getpass, "getuser", lambda: "jdoe")
    dialog = WelcomeDialog(None, sample=True)
    qtbot.addWidget(dialog)
    assert dialog.name_edit.text() == "jdoe"
    sentence = dialog.findChild(QLabel, "sampleSentence")
    assert sentence is not None and "sample project" in sentence.text()
    assert dialog.blank_start.isChecked() and not dialog.with_examples()
    dialog.example_start.setChecked(True)
    assert dialog.with_examples()


def _fake_welcome(
    monkeypatch: pytest.MonkeyPatch, name: str | None, examples: bool = False
) -> list[str]:
    """WelcomeDialog.exec answers as a user would: ``name`` and OK, or Cancel (None)."""
    from annotator.ui.welcome import WelcomeDialog

    shown: list[str] = []

    def exec_(dialog: WelcomeDialog) -> int:
        shown.append(dialog.name_edit.text())
        if name is None:
            return int(WelcomeDialog.DialogCode.Rejected.value)
        dialog.name_edit.setText(name)
        dialog.example_start.setChecked(examples)
        return int(WelcomeDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(WelcomeDialog, "exec", exec_)
    return shown


def _close_soon() -> None:
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    if not windows or any(window.loading for window in windows):
        QTimer.singleShot(20, _close_soon)
        return
    for window in windows:
        QTimer.singleShot(0, window.close)


@pytest.fixture
def gui_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    from annotator.ui import app as app_module

    isolated = Settings(QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat))
    monkeypatch.setattr(app_module, "Settings", lambda: isolated)
    return isolated


def test_cancelling_the_welcome_exits_cleanly(
    make_project: Callable[..., Path],
    gui_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    qapp: QApplication,
) -> None:
    from annotator.ui import app as app_module

    path = make_project()
    shown = _fake_welcome(monkeypatch, None)
    assert app_module.run_gui(path, None) == 0
    assert len(shown) == 1 and gui_settings.annotator == ""
    assert list(path.glob("annotations/*.jsonl")) == []


def test_command_line_name_is_for_this_run_unless_remembered(
    make_project: Callable[..., Path],
    gui_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    qapp: QApplication,
) -> None:
    from annotator.ui import app as app_module

    path = make_project()
    shown = _fake_welcome(monkeypatch, "Jane Doe")
    QTimer.singleShot(200, _close_soon)
    assert app_module.run_gui(path, "carol") == 0
    assert gui_settings.annotator == "" and shown == []
    QTimer.singleShot(200, _close_soon)
    assert app_module.run_gui(path, None) == 0  # not carol: the welcome asks
    assert len(shown) == 1
    assert gui_settings.annotator == "Jane_Doe" and gui_settings.display_name == "Jane Doe"
    QTimer.singleShot(200, _close_soon)
    assert app_module.run_gui(path, "carol", remember=True) == 0
    assert gui_settings.annotator == "carol"


def test_switch_analyst_from_the_file_menu(
    make_project: Callable[..., Path],
    open_main: Opener,
    settings: Settings,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = make_project()
    window = open_main(path)
    action = window.table_actions["switchAnalyst"]
    assert action in window.menus["&File"].actions()
    _fake_welcome(monkeypatch, "Zoë Li")
    action.trigger()
    assert window.annotator == "Zoë_Li" and settings.annotator == "Zoë_Li"
    assert window.session is not None and window.session.annotator == "Zoë_Li"
    assert window.annotator_label.text().strip() == "Zoë Li"  # the name as typed
    window.show_document("kim")
    select_qt(window, "Beijing")
    qtbot.keyClick(window.view, Qt.Key.Key_G)
    window.loader.save_now()
    assert (path / "annotations" / "Zoë_Li.jsonl").stat().st_size > 0


def test_switch_analyst_on_the_sample_offers_the_example_labels(
    tmp_path: Path, open_main: Opener, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from annotator.review.source import analysts
    from annotator.services import sample
    from annotator.ui.welcome import WelcomeDialog

    copy = tmp_path / "sample-project"
    shutil.copytree(sample.BUNDLED_SAMPLE, copy)
    monkeypatch.setattr(sample, "user_sample_path", lambda: copy)
    window = open_main(copy)
    offered: list[bool] = []

    def answer(dialog: WelcomeDialog, name: str, examples: bool) -> int:
        offered.append(dialog.example_start.isVisibleTo(dialog))
        dialog.name_edit.setText(name)
        dialog.example_start.setChecked(examples)
        return int(WelcomeDialog.DialogCode.Accepted.value)

    # A newcomer who asks for the example labels starts from alice's, marked as examples.
    monkeypatch.setattr(WelcomeDialog, "exec", lambda dialog: answer(dialog, "Dana Ng", True))
    window.table_actions["switchAnalyst"].trigger()
    assert offered == [True]
    assert window.session is not None and window.session.annotator == "Dana_Ng"
    assert window.session.annotation(
        "moscow-times-putin-xi-parade"
    ).spans  # alice's labels on that article
    assert (copy / "annotations" / "Dana_Ng.examples").read_text().strip() == "alice"
    assert window.project is not None and "Dana_Ng" not in analysts(window.project)
    # One who chooses a blank start gets no labels.
    monkeypatch.setattr(WelcomeDialog, "exec", lambda dialog: answer(dialog, "Eve Blank", False))
    window.table_actions["switchAnalyst"].trigger()
    assert window.session.annotator == "Eve_Blank"
    assert not window.session.annotation("moscow-times-putin-xi-parade").spans
    assert not (copy / "annotations" / "Eve_Blank.examples").exists()
    # An analyst with labels there goes on with them: the choice is not offered.
    enabled: list[bool] = []

    def as_bob(dialog: WelcomeDialog) -> int:
        dialog.name_edit.setText("bob")
        enabled.append(dialog.example_start.isEnabled())
        dialog.example_start.setChecked(True)
        return int(WelcomeDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(WelcomeDialog, "exec", as_bob)
    window.table_actions["switchAnalyst"].trigger()
    assert enabled == [False]
    assert window.session.annotator == "bob"
    assert not (copy / "annotations" / "bob.examples").exists()
    assert "bob" in analysts(window.project)


def test_switch_analyst_elsewhere_offers_no_example_labels(
    make_project: Callable[..., Path], open_main: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotator.ui.welcome import WelcomeDialog

    window = open_main(make_project())
    offered: list[bool] = []

    def answer(dialog: WelcomeDialog) -> int:
        offered.append(dialog.example_start.isVisibleTo(dialog))
        return int(WelcomeDialog.DialogCode.Rejected.value)

    monkeypatch.setattr(WelcomeDialog, "exec", answer)
    window.table_actions["switchAnalyst"].trigger()
    assert offered == [False]
    assert window.annotator == "alice"


def test_example_labels_are_marked_and_not_an_analyst(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from annotator.review.agreement import compute_agreement
    from annotator.review.source import analysts
    from annotator.services import sample
    from annotator.store import Project

    copy = tmp_path / "sample-project"
    shutil.copytree(sample.BUNDLED_SAMPLE, copy)
    monkeypatch.setattr(sample, "user_sample_path", lambda: copy)
    assert sample.seed_sample_labels(copy, "carol")
    assert (copy / "annotations" / "carol.examples").read_text().strip() == "alice"
    project = Project.open(copy)
    try:
        assert "carol" in project.annotators()
        assert analysts(project) == ["alice", "bob"]
        assert compute_agreement(project, None).annotators == ["alice", "bob"]
    finally:
        project.close()
    # Once the newcomer changes a document, the layer is theirs and counts.
    project = Project.open(copy)
    try:
        layer = project.annotations("carol")
        doc_id = layer.doc_ids()[0]
        annotation = layer.get(doc_id)
        assert annotation is not None
        annotation.status = "flagged"
        layer.save(annotation)
        layer.close()
        assert analysts(project) == ["alice", "bob", "carol"]
    finally:
        project.close()


# --- 5. the small things -----------------------------------------------------------------------


def test_theme_toggled_twice_gives_light_label_buttons_again(
    make_project: Callable[..., Path], open_main: Opener
) -> None:
    from annotator.ui.theme import apply_theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, dark=False)
    window = open_main(make_project())
    button = window.palette_widget.buttons["PERSON"]
    light = button.palette().color(QPalette.ColorRole.Button).name()
    for _ in range(2):
        window.dark_action.trigger()
    QApplication.processEvents()
    assert not window.dark_action.isChecked()
    assert button.palette().color(QPalette.ColorRole.Button).name() == light
    window.dark_action.trigger()
    QApplication.processEvents()
    assert button.palette().color(QPalette.ColorRole.Button).name() != light
    window.dark_action.trigger()


# --- 4. exports people find ----------------------------------------------------------------------


def test_export_defaults_to_the_projects_exports_folder_with_a_safe_name(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    from annotator.store import Project
    from annotator.ui.export_dialog import ExportDialog, file_slug
    from tests.formats.tricky import make_project as make_tricky

    assert file_slug("Sample: Putin and Xi in Beijing") == "sample-putin-and-xi-in-beijing"
    assert file_slug("Zoë’s 李雷 / notes") == "zoë-s-李雷-notes"
    assert file_slug(": / :") == "project"
    project = make_tricky(tmp_path / "a", tmp_path)
    project.close()
    config = tmp_path / "a" / "annotator.json"
    import orjson

    data = orjson.loads(config.read_bytes())
    data["name"] = "Sample: Putin and Xi in Beijing"
    config.write_bytes(orjson.dumps(data))
    project = Project.open(tmp_path / "a")
    dialog = ExportDialog(project, "alice")
    qtbot.addWidget(dialog)
    dialog.show()
    output = Path(dialog.output_edit.text())
    assert output.parent == tmp_path / "a" / "exports"
    assert output.name == "sample-putin-and-xi-in-beijing-native.jsonl"
    assert not dialog.progress_bar.isVisible()  # no "0%" before Export is pressed
    assert not dialog.open_folder_button.isVisible()
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    assert dialog.run()
    assert output.is_file()
    assert dialog.progress_bar.isVisible() and str(output) in dialog.message.text()
    assert dialog.open_folder_button.isVisible()
    qtbot.mouseClick(dialog.open_folder_button, Qt.MouseButton.LeftButton)
    assert [url.toLocalFile() for url in opened] == [str(output.parent)]
    project.close()


# --- 2. windows fit the screen -------------------------------------------------------------------

LAPTOP = (1366, 768)


@pytest.fixture
def laptop(monkeypatch: pytest.MonkeyPatch) -> object:
    """A 1366x768 screen whose available area (less a 32 px panel) is what windows get."""
    from PySide6.QtCore import QRect

    from annotator.ui import screen_fit

    area = QRect(0, 32, LAPTOP[0], LAPTOP[1] - 32)
    monkeypatch.setattr(screen_fit, "available_geometry", lambda _widget: area)
    return area


def _inside(window: QWidget, widget: QWidget) -> bool:
    from PySide6.QtCore import QPoint, QRect

    top_left = widget.mapTo(window, QPoint(0, 0))
    return widget.isVisible() and window.rect().contains(QRect(top_left, widget.size()))


def test_labelling_window_fits_a_laptop_screen(
    tmp_path: Path, laptop: object, qtbot: QtBot, settings: Settings
) -> None:
    import shutil

    from annotator.services import sample

    copy = tmp_path / "sample"
    shutil.copytree(sample.BUNDLED_SAMPLE, copy)
    window = MainWindow(copy, "alice", settings)
    qtbot.addWidget(window)
    window.show()
    QApplication.processEvents()
    area = laptop
    assert area.contains(window.frameGeometry()), (window.frameGeometry(), area)  # type: ignore[attr-defined]
    assert window.width() <= 0.9 * LAPTOP[0] + 1
    assert _inside(window, window.statusBar())
    assert _inside(window, window.palette_widget.buttons["SOURCE"])
    window.close()


@pytest.mark.parametrize("project", ["two annotators", "sample"])
def test_review_window_with_two_annotators_fits_a_laptop_screen(
    tmp_path: Path, laptop: object, qtbot: QtBot, project: str
) -> None:
    import shutil

    from annotator.services import sample
    from annotator.ui.review_app import open_review
    from tests.ui.test_review_mode import two_annotators

    if project == "sample":  # alice and bob, long headlines, long version names
        path = tmp_path / "sample"
        shutil.copytree(sample.BUNDLED_SAMPLE, path)
    else:
        path = two_annotators.__wrapped__(tmp_path)  # type: ignore[attr-defined]
    window = open_review(path, "carol")
    qtbot.addWidget(window)
    window.show()
    QApplication.processEvents()
    area = laptop
    assert area.contains(window.frameGeometry()), (window.frameGeometry(), area)  # type: ignore[attr-defined]
    assert _inside(window, window.statusBar())
    from PySide6.QtWidgets import QDockWidget, QScrollArea

    dock = window.findChild(QDockWidget, "disagreementsDock")
    assert dock is not None and isinstance(dock.widget(), QScrollArea)
    panel = dock.widget()
    assert _inside(window, panel)
    for button in (window.accept_button, window.accept_all_button, window.edit_button):
        panel.ensureWidgetVisible(button)  # the panel scrolls up and down rather than overflow
        QApplication.processEvents()
        assert _inside(window, button), button.text()
        assert _inside(panel, button), button.text()  # and is never cut at the side
    window.close()


def test_accept_agreed_says_what_it_did(tmp_path: Path, qtbot: QtBot) -> None:
    from annotator.ui.review_app import open_review
    from tests.ui.test_review_mode import two_annotators

    window = open_review(two_annotators.__wrapped__(tmp_path), "carol")  # type: ignore[attr-defined]
    qtbot.addWidget(window)
    window.show()
    qtbot.mouseClick(window.accept_button, Qt.MouseButton.LeftButton)
    message = window.statusBar().currentMessage()
    assert message.startswith("Accepted ") and "agreed span" in message and "gold" in message
    qtbot.mouseClick(window.accept_button, Qt.MouseButton.LeftButton)
    assert (
        window.statusBar().currentMessage() == "Agreed labels of this document are already in gold"
    )
    window.close()


def test_a_newcomer_who_asks_for_examples_gets_a_marked_copy(
    tmp_path: Path, gui_settings: Settings, monkeypatch: pytest.MonkeyPatch, qapp: QApplication
) -> None:
    import shutil

    from annotator.services import sample
    from annotator.ui import app as app_module

    copy = tmp_path / "sample-project"
    shutil.copytree(sample.BUNDLED_SAMPLE, copy)
    monkeypatch.setattr(sample, "user_sample_path", lambda: copy)
    _fake_welcome(monkeypatch, "Zoë", examples=True)
    QTimer.singleShot(200, _close_soon)
    assert app_module.run_gui(copy, None) == 0
    layer = copy / "annotations" / "Zoë.jsonl"
    assert layer.read_bytes() == (copy / "annotations" / "alice.jsonl").read_bytes()
    assert (copy / "annotations" / "Zoë.examples").read_text(encoding="utf-8") == "alice\n"
    assert gui_settings.display_name == "Zoë"


def test_half_a_laptop_screen_keeps_a_readable_text_column(
    make_project: Callable[..., Path],
    open_main: Callable[..., MainWindow],
    qtbot: QtBot,
) -> None:
    from annotator.ui.main_window import TEXT_MIN_CHARS

    window = open_main(make_project())
    # Two windows side by side on a 1366-pixel screen: 683 each.
    window.resize(683, 700)
    qtbot.waitUntil(lambda: window.width() == 683)
    qtbot.wait(50)
    from PySide6.QtGui import QFontMetrics

    column = TEXT_MIN_CHARS * QFontMetrics(window.font()).averageCharWidth()
    assert window.view.width() >= window.view.minimumWidth() >= column
    # The docks gave way, each no narrower than its own content needs.
    for dock in (window.list_dock, window.palette_dock, window.panel_dock):
        assert dock.width() >= dock.minimumSizeHint().width()
