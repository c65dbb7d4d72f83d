"""Fixtures the window tests of assisted labelling share."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What QMessageBox.warning would have shown."""
    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []

    def warn(parent: object, title: str, text: str, *args: object) -> Any:
        shown.append(text)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", warn)
    return shown
