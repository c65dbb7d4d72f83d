"""The shortcut list, built from the window's own actions so it can never go stale."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from annotator.core.models import LabelSchema

MOUSE = [
    ("Drag, double-click, Shift+click", "Select text to label"),
    ("Click a span", "Select it (click again to step out through nested spans)"),
    ("Right-click a span", "Relabel, note, attribute, delete"),
    ("Hover a span", "Show its labels"),
]


def shortcut_rows(actions: Iterable[QAction], schema: LabelSchema) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for label in schema.labels:
        if label.hotkey:
            rows.append(
                (label.hotkey, f"Label the selection {label.name} (or relabel the selected span)")
            )
    for relation in schema.relations:
        if relation.hotkey:
            rows.append(
                (relation.hotkey, f"{relation.name}: link the selected span, then click the target")
            )
    for category in schema.categories:
        for choice, key in category.hotkeys.items():
            rows.append((key, f"Document category {category.name}: {choice} (again to clear)"))
    for action in actions:
        keys = [key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts()]
        keys = [key for key in keys if key]
        if keys:
            rows.append((", ".join(keys), action.text().replace("&", "")))
    return rows


class HelpDialog(QDialog):
    def __init__(
        self, actions: Iterable[QAction], schema: LabelSchema, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("helpDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(560, 640)
        self.rows = shortcut_rows(actions, schema)
        body = "".join(
            f"<tr><td><b>{_escape(keys)}</b></td><td>{_escape(text)}</td></tr>"
            for keys, text in self.rows
        )
        mouse = "".join(f"<tr><td><b>{keys}</b></td><td>{text}</td></tr>" for keys, text in MOUSE)
        browser = QTextBrowser()
        browser.setHtml(
            "<h3>Keyboard</h3><table cellpadding='3'>" + body + "</table>"
            "<h3>Mouse</h3><table cellpadding='3'>" + mouse + "</table>"
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(browser)
        layout.addWidget(buttons)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
