"""The labelling window (PySide6). The only package that imports Qt.

Nothing is imported from here: the window is ``annotator.ui.app`` (``run_gui``,
``open_window``) and ``annotator.ui.main_window``. The package only replaces PySide6's
import-time source check (lazy_qt.py) before any of its modules is imported, which
loads PySide6.QtCore: every module of the package needs it anyway.
"""

from annotator.ui.lazy_qt import quicken_pyside_import_hook

quicken_pyside_import_hook()
