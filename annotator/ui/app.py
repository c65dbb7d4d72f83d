"""Starting the GUI: the QApplication, the annotator's name, the window, the event loop.

The window shows first, with no project; the project opens on the event loop's first
turn (``MainWindow.open_later``). What the window needs to paint is plain Qt and the
light ui modules; pydantic, the models and the store load with the project.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from annotator.core.errors import AnnotatorError
from annotator.store.names import check_annotator_name
from annotator.ui.main_window import MainWindow
from annotator.ui.settings import Settings
from annotator.ui.theme import STYLE_ARGUMENTS, apply_theme


def open_window(project_path: str | Path, annotator: str) -> MainWindow:
    """Build the main window on a project (without showing it or running the event loop)."""
    check_annotator_name(annotator)
    return MainWindow(Path(project_path), annotator)


def ask_annotator(settings: Settings) -> str | None:
    """The saved annotator name, else asked once (and saved); None if the user cancels."""
    saved = settings.annotator
    if saved:
        try:
            return check_annotator_name(saved)
        except AnnotatorError:
            pass
    from PySide6.QtWidgets import QInputDialog

    prompt = "Your name, as it will appear on your labels (letters, digits, '.', '-', '_'):"
    while True:
        name, ok = QInputDialog.getText(None, "Who is labelling?", prompt)
        if not ok:
            return None
        try:
            check_annotator_name(name.strip())
        except AnnotatorError as exc:
            prompt = f"{exc}\n\nYour name:"
            continue
        settings.annotator = name.strip()
        return name.strip()


def _seed_sample(project_path: Path, annotator: str) -> None:
    # A newcomer on the sample project starts from the example labels, to see what
    # labelled text looks like.
    from annotator.services.sample import seed_sample_labels

    seed_sample_labels(project_path, annotator)


def _resume_collection() -> None:
    """Cyclic garbage collection back on, once the project is open (or failed to open).

    The command line turns it off for start-up (``cmd_gui``): start-up and the project's
    load make objects by the ten thousand, few of them garbage, and the collector walked
    them all several times before the window was usable.
    """
    gc.enable()


def run_gui(project_path: Path, annotator: str | None) -> int:
    """Run the labelling window until it is closed; returns the process exit code.

    A project that cannot be opened is reported as the command line reports errors
    (``annotator: error: ...`` on stderr, exit code 1) and in a message box.
    """
    app = QApplication.instance()
    styled = False
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1] + STYLE_ARGUMENTS)
        styled = True
    app.setApplicationName("annotator")
    app.setOrganizationName("annotator")
    settings = Settings()
    apply_theme(app, settings.dark, style=not styled)
    if annotator is None:
        annotator = ask_annotator(settings)
        if annotator is None:
            return 1
    else:
        check_annotator_name(annotator)
        settings.annotator = annotator
    window = MainWindow(None, annotator, settings)
    window.dark_action.setChecked(settings.dark)

    def failed(message: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        print(f"annotator: error: {message}", file=sys.stderr)
        QMessageBox.critical(window, "annotator", message)
        window.close()
        app.exit(1)

    window.loadFailed.connect(failed)
    window.loaded.connect(_resume_collection)
    window.loadFailed.connect(_resume_collection)
    window.show()
    window.open_later(project_path, lambda: _seed_sample(project_path, annotator))
    return app.exec()
