"""Colours for labels on screen: blends for overlaps, darker edges for underlines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtGui import QColor

if TYPE_CHECKING:
    from annotator.core.models import LabelSchema


FALLBACK = "#BBBBBB"


class LabelColors:
    """Label name -> colour, with the blends of overlapping labels cached."""

    def __init__(self, schema: LabelSchema | None = None) -> None:
        """No schema (before a project opens): every label in the fallback colour."""
        labels = schema.labels if schema is not None else ()
        self._base = {label.name: QColor(label.color) for label in labels}
        self._blends: dict[tuple[str, ...], QColor] = {}

    def color(self, label: str) -> QColor:
        return self._base.get(label) or QColor(FALLBACK)

    def edge(self, label: str) -> QColor:
        """A darker shade for underlines and outlines, visible on both palettes."""
        return self.color(label).darker(165)

    def background(self, labels: Sequence[str]) -> QColor:
        key = tuple(labels)
        cached = self._blends.get(key)
        if cached is None:
            cached = blend([self.color(label) for label in key])
            self._blends[key] = cached
        return cached


def blend(colors: Sequence[QColor]) -> QColor:
    """The average of the colours, a little darker per extra layer so overlaps stand out."""
    if not colors:
        return QColor(FALLBACK)
    if len(colors) == 1:
        return QColor(colors[0])
    red = sum(color.red() for color in colors) / len(colors)
    green = sum(color.green() for color in colors) / len(colors)
    blue = sum(color.blue() for color in colors) / len(colors)
    mixed = QColor(round(red), round(green), round(blue))
    return mixed.darker(100 + 12 * (len(colors) - 1))


def readable_text(background: QColor) -> QColor:
    """Black or white, whichever reads better on ``background``."""
    luminance = 0.299 * background.red() + 0.587 * background.green() + 0.114 * background.blue()
    return QColor("#000000") if luminance > 120 else QColor("#FFFFFF")
