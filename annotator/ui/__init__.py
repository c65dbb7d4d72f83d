"""The labelling window (PySide6). The only package that imports Qt.

Nothing is imported from here: the window is ``annotator.ui.app`` (``run_gui``,
``open_window``) and ``annotator.ui.main_window``.
"""
