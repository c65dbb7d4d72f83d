"""The document's categories (labels on the whole article): one row of buttons a category.

A single-choice category shows radio buttons, a multi-choice one check boxes, each with
its hotkey. The buttons only ask for a change (``choiceToggled``); the editing controller
makes it an undoable command, and the panel shows the annotation again once it is made,
so what is checked is always what the annotation holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from annotator.core.models import DocumentAnnotation, DocumentCategory, LabelSchema


def toggled_choices(category: DocumentCategory, chosen: list[str], choice: str) -> list[str]:
    """The choices after ``choice`` is pressed: a single-choice category takes it instead of
    what it had, or clears when it was the one chosen; a multi-choice one adds or drops it
    (in the schema's order)."""
    if choice in chosen:
        return [other for other in chosen if other != choice]
    if not category.multiple:
        return [choice]
    wanted = {*chosen, choice}
    return [option for option in category.choices if option in wanted]


class CategoriesPanel(QWidget):
    # category name, choice
    choiceToggled = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("categoriesPanel")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self.group = QGroupBox("Categories")
        self.group.setObjectName("categoriesGroup")
        self._rows = QVBoxLayout(self.group)
        self._rows.setContentsMargins(6, 4, 6, 4)
        self._rows.setSpacing(2)
        self._layout.addWidget(self.group)
        # (category, choice) -> its button
        self.buttons: dict[tuple[str, str], QAbstractButton] = {}
        self._categories: list[DocumentCategory] = []
        self._updating = False
        self.hide()

    def set_schema(self, schema: LabelSchema | None) -> None:
        categories = list(schema.categories) if schema is not None else []
        if categories == self._categories:
            return
        self._categories = categories
        while self._rows.count():
            item = self._rows.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.buttons = {}
        for category in categories:
            row = QWidget()
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            caption = QLabel(f"{category.name}:")
            caption.setToolTip(category.description or category.name)
            line.addWidget(caption)
            for choice in category.choices:
                key = category.hotkeys.get(choice, "")
                text = f"{choice} [{key}]" if key else choice
                button: QAbstractButton
                if category.multiple:
                    button = QCheckBox(text)
                else:
                    button = QRadioButton(text)
                    # The panel keeps the one-choice rule (and lets the chosen one be
                    # cleared by pressing it again), not Qt's button group.
                    button.setAutoExclusive(False)
                button.setObjectName(f"category_{category.name}_{choice}")
                button.clicked.connect(
                    lambda _checked=False, name=category.name, value=choice: self._pressed(
                        name, value
                    )
                )
                line.addWidget(button)
                self.buttons[(category.name, choice)] = button
            line.addStretch(1)
            self._rows.addWidget(row)
        self.setVisible(bool(categories))

    def show_annotation(self, annotation: DocumentAnnotation | None, editable: bool) -> None:
        cats = annotation.cats if annotation is not None else {}
        self._updating = True
        try:
            for (name, choice), button in self.buttons.items():
                button.setChecked(choice in cats.get(name, ()))
                button.setEnabled(editable and annotation is not None)
        finally:
            self._updating = False

    def _pressed(self, category: str, choice: str) -> None:
        if self._updating:
            return
        # Shown again from the annotation once the edit is made (or refused).
        self.choiceToggled.emit(category, choice)
