"""Progress for long imports and exports run from a dialog, keeping the window responsive.

The services run in the GUI thread (the project is not shared across threads); their
progress callback updates the bar and lets Qt handle pending events a few dozen times a
second, which is also where a click on Cancel is noticed: the next callback raises
:class:`Cancelled`, and the service's all-or-nothing handling leaves nothing half-written.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QDialog, QProgressBar, QPushButton, QWidget

_REFRESH_SECONDS = 0.03


class Cancelled(Exception):
    """The user stopped the task; nothing was written.

    Not an AnnotatorError, so services that add a file name to errors let it through.
    """


class TaskProgress(QObject):
    """A progress callback (``done``, ``total`` or None) that drives a QProgressBar."""

    progressed = Signal(int, int)  # done, total (-1 when unknown)

    def __init__(self, bar: QProgressBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bar = bar
        self.running = False
        self._cancel = False
        self._last = 0.0

    def start(self) -> None:
        self.running = True
        self._cancel = False
        self._last = 0.0
        self.bar.setRange(0, 0)
        self.bar.setValue(0)

    def finish(self, ok: bool) -> None:
        self.running = False
        if ok:
            self.bar.setRange(0, 1)
            self.bar.setValue(1)
        else:
            self.bar.setRange(0, 1)
            self.bar.setValue(0)

    def cancel(self) -> None:
        self._cancel = True

    def __call__(self, done: int, total: int | None) -> None:
        if self._cancel:
            raise Cancelled("stopped; nothing was written")
        now = time.monotonic()
        if now - self._last < _REFRESH_SECONDS and done != total:
            return
        self._last = now
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(done)
        else:
            self.bar.setRange(0, 0)  # busy: how many there are is not known yet
        self.progressed.emit(done, total if total else -1)
        QApplication.processEvents()
        if self._cancel:
            raise Cancelled("stopped; nothing was written")


class TaskDialog(QDialog):
    """A dialog that runs one long task: its inputs lock and Close becomes Cancel meanwhile.

    Subclasses create ``progress`` and ``close_button`` and list their inputs.
    """

    progress: TaskProgress
    close_button: QPushButton

    def _inputs(self) -> list[QWidget]:
        raise NotImplementedError

    def _set_running(self, running: bool, ok: bool = False) -> None:
        if running:
            self.progress.start()
        else:
            self.progress.finish(ok)
        for widget in self._inputs():
            widget.setEnabled(not running)
        self.close_button.setText("Cancel" if running else "Close")

    def _close_or_cancel(self) -> None:
        if self.progress.running:
            self.progress.cancel()
        else:
            self.accept()

    def reject(self) -> None:  # Escape or the window's close button
        if self.progress.running:
            self.progress.cancel()
            return
        super().reject()
