"""Windows sized and placed from the screen's available area, so a laptop shows them whole."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QScrollArea, QWidget

from annotator.ui.lazy_qt import Qt

# Of the available area (the screen less panels and docks): room for the window frame.
SCREEN_SHARE = 0.9


def available_geometry(widget: QWidget) -> QRect:
    """The area of the widget's screen (else the primary one) that windows may use."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fit_to_screen(widget: QWidget, width: int, height: int, centre: bool = True) -> None:
    """Size ``widget`` to ``width`` x ``height`` at most, never more than SCREEN_SHARE of
    the available area; centred on it unless ``centre`` is False and it already fits."""
    area = available_geometry(widget)
    width = min(width, int(area.width() * SCREEN_SHARE))
    height = min(height, int(area.height() * SCREEN_SHARE))
    widget.resize(width, height)
    frame = widget.frameGeometry()
    if centre or not area.contains(frame):
        x = area.x() + max(0, (area.width() - frame.width()) // 2)
        y = area.y() + max(0, (area.height() - frame.height()) // 2)
        widget.move(x, y)


def clamp_to_screen(widget: QWidget) -> None:
    """A restored geometry from a bigger screen (or an older version) made to fit this one."""
    area = available_geometry(widget)
    size = widget.size()
    if size.width() > area.width() or size.height() > area.height():
        fit_to_screen(widget, size.width(), size.height())
    elif not area.contains(widget.frameGeometry()):
        fit_to_screen(widget, size.width(), size.height())


def scrolling(panel: QWidget) -> QScrollArea:
    """The panel in a scroll area: on a small screen it scrolls instead of pushing the
    window (and its buttons and status bar) past the screen's edge. Only up and down: a
    panel cut at the side hides its buttons' words; its width is what the panel needs."""
    area = QScrollArea()
    area.setWidget(panel)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll_bar = area.verticalScrollBar().sizeHint().width()
    area.setMinimumSize(panel.minimumSizeHint().width() + scroll_bar, 120)
    return area
