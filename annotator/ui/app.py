"""Starting the GUI: the QApplication, the annotator's name, the window, the event loop."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from annotator.core.errors import AnnotatorError
from annotator.sample import seed_sample_labels
from annotator.store import check_annotator_name
from annotator.ui.main_window import MainWindow
from annotator.ui.settings import Settings
from annotator.ui.theme import apply_theme


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


def run_gui(project_path: Path, annotator: str | None) -> int:
    """Run the labelling window until it is closed; returns the process exit code."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("annotator")
    app.setOrganizationName("annotator")
    settings = Settings()
    apply_theme(app, settings.dark)
    if annotator is None:
        annotator = ask_annotator(settings)
        if annotator is None:
            return 1
    else:
        settings.annotator = annotator
    # A newcomer on the sample project starts from the example labels, to see what
    # labelled text looks like.
    seed_sample_labels(project_path, annotator)
    try:
        window = open_window(project_path, annotator)
    except AnnotatorError as exc:
        QMessageBox.critical(None, "annotator", str(exc))
        return 1
    window.dark_action.setChecked(settings.dark)
    window.show()
    return app.exec()
