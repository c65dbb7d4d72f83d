"""The labelling window (PySide6). The only package that imports Qt."""

from annotator.ui.app import open_window, run_gui
from annotator.ui.main_window import MainWindow

__all__ = ["MainWindow", "open_window", "run_gui"]
