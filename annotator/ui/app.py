"""Starting the GUI: the QApplication, the annotator's name, the window, the event loop.

The window shows first, with no project; the project opens on the event loop's first
turn (``MainWindow.open_later``). What the window needs to paint is plain Qt and the
light ui modules; pydantic, the models and the store load with the project.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import NamedTuple

from PySide6.QtWidgets import QApplication

from annotator.core.errors import AnnotatorError
from annotator.store.names import check_annotator_name
from annotator.ui.main_window import MainWindow
from annotator.ui.settings import Settings
from annotator.ui.theme import STYLE_ARGUMENTS, apply_theme


def open_window(project_path: str | Path, annotator: str) -> MainWindow:
    """Build the main window on a project (without showing it or running the event loop)."""
    from annotator.store.open import project_location

    check_annotator_name(annotator)
    return MainWindow(project_location(project_path), annotator)


class Welcome(NamedTuple):
    annotator: str  # the file-safe name the layer is saved under
    with_examples: bool  # the newcomer chose to start from the sample's example labels


def ask_annotator(settings: Settings, sample: bool = False) -> Welcome | None:
    """The saved annotator name, else asked once in the welcome dialog (and saved);
    None if the user cancels."""
    saved = settings.annotator
    if saved:
        try:
            return Welcome(check_annotator_name(saved), False)
        except AnnotatorError:
            pass
    from annotator.ui.welcome import WelcomeDialog

    dialog = WelcomeDialog(None, sample=sample)
    if dialog.exec() != WelcomeDialog.DialogCode.Accepted:
        return None
    name = dialog.layer_name()
    if name is None:
        return None
    settings.annotator = name
    settings.display_name = dialog.display_name()
    return Welcome(name, dialog.with_examples())


def _seed_sample(project_path: str | Path, annotator: str) -> None:
    # A newcomer on the sample project who asked for them starts from the example
    # labels, to see what labelled text looks like (marked, so review leaves them out).
    from annotator.services.sample import seed_sample_labels

    if isinstance(project_path, Path):
        seed_sample_labels(project_path, annotator)


def _is_sample(project_path: str | Path) -> bool:
    from annotator.services.sample import is_user_sample

    return is_user_sample(project_path)


def _resume_collection() -> None:
    """Cyclic garbage collection back on, once the project is open (or failed to open).

    The command line turns it off for start-up (``cmd_gui``): start-up and the project's
    load make objects by the ten thousand, few of them garbage, and the collector walked
    them all several times before the window was usable.
    """
    gc.enable()


def run_gui(project_path: str | Path, annotator: str | None, remember: bool = False) -> int:
    """Run the labelling window until it is closed; returns the process exit code.

    ``annotator`` from the command line is for this run only, unless ``remember``: a
    later bare ``annotator`` should not silently open as someone else. Cancelling the
    welcome dialog exits with 0: the user chose not to start, nothing failed, and a
    window without a name could only refuse every edit.

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
    with_examples = False
    if annotator is None:
        welcome = ask_annotator(settings, sample=_is_sample(project_path))
        if welcome is None:
            return 0
        annotator, with_examples = welcome
    else:
        check_annotator_name(annotator)
        if remember:
            settings.annotator = annotator
            settings.display_name = annotator
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
    chosen = annotator
    window.open_later(
        project_path, (lambda: _seed_sample(project_path, chosen)) if with_examples else None
    )
    return app.exec()
