"""The labelling window (PySide6). The only package that imports Qt."""

from annotator.ui.lazy_qt import quicken_pyside_import_hook

quicken_pyside_import_hook()

from annotator.ui.app import open_window, run_gui  # noqa: E402
from annotator.ui.main_window import MainWindow  # noqa: E402

__all__ = ["MainWindow", "open_window", "run_gui"]
