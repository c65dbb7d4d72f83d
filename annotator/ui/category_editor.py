"""The schema editor's document categories: one row a category (topic, stance).

A category's choices are typed in one cell, separated by commas, each with its hotkey in
brackets as the Categories panel shows them: ``politics [1], sport [2], economy``.
"Several" lets a document take more than one choice.
"""

from __future__ import annotations

import re

from pydantic import ValidationError
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from annotator.core.models import DocumentCategory
from annotator.editing.category_changes import CategoryRenames, renamed_choices

CAT_NAME, CAT_CHOICES, CAT_SEVERAL, CAT_DESCRIPTION = range(4)
_WITH_KEY = re.compile(r"^(.*?)\s*\[([^\[\]]+)\]$")


def choices_text(category: DocumentCategory) -> str:
    return ", ".join(
        f"{choice} [{key}]" if (key := category.hotkeys.get(choice)) else choice
        for choice in category.choices
    )


def parse_choices(text: str, where: str) -> tuple[list[str], dict[str, str]]:
    """Choices and their hotkeys from ``politics [1], sport [2], economy``."""
    choices: list[str] = []
    hotkeys: dict[str, str] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        found = _WITH_KEY.match(item)
        choice = found.group(1).strip() if found else item
        if found:
            key = QKeySequence(found.group(2).strip())
            portable = key.toString(QKeySequence.SequenceFormat.PortableText)
            if key.count() != 1 or not portable:
                raise ValueError(f"{where}: {found.group(2).strip()!r} is not a key")
            hotkeys[choice] = portable
        if "[" in choice or "]" in choice:
            raise ValueError(f"{where}: write a choice's key as 'choice [K]'")
        choices.append(choice)
    return choices, hotkeys


class CategoriesTable(QWidget):
    """Edits the schema's categories; ``build`` gives them with the renames they imply."""

    def __init__(self, categories: list[DocumentCategory], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("categoriesEditor")
        self.original = {category.name: category for category in categories}
        self._origins: list[str | None] = []  # original name per row (None = new)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("categoriesTable")
        self.table.setHorizontalHeaderLabels(
            ["Category", "Choices [hotkey], separated by commas", "Several", "Description"]
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(CAT_CHOICES, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CAT_DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CAT_SEVERAL, QHeaderView.ResizeMode.ResizeToContents)
        header.resizeSection(CAT_NAME, 160)
        self.table.verticalHeader().setVisible(False)
        for category in categories:
            self._add_row(category, category.name)
        self.add_button = QPushButton("Add category")
        self.add_button.setObjectName("addCategory")
        self.add_button.clicked.connect(self.new_category)
        self.remove_button = QPushButton("Remove category")
        self.remove_button.setObjectName("removeCategory")
        self.remove_button.clicked.connect(self.remove_current)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Document categories (labels on the whole article)"))
        layout.addWidget(self.table)
        layout.addLayout(row)

    def _add_row(self, category: DocumentCategory, origin: str | None) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self._origins.append(origin)
        several = QCheckBox()
        several.setChecked(category.multiple)
        several.setToolTip("A document may take several of the choices")
        self.table.setCellWidget(row, CAT_NAME, QLineEdit(category.name))
        self.table.setCellWidget(row, CAT_CHOICES, QLineEdit(choices_text(category)))
        self.table.setCellWidget(row, CAT_SEVERAL, several)
        self.table.setCellWidget(row, CAT_DESCRIPTION, QLineEdit(category.description))
        return row

    def new_category(self) -> None:
        taken = {self.text(row, CAT_NAME) for row in range(self.table.rowCount())}
        number = 1
        while f"category{number}" in taken:
            number += 1
        category = DocumentCategory(name=f"category{number}", choices=["yes", "no"])
        row = self._add_row(category, None)
        self.table.setCurrentCell(row, CAT_NAME)
        name = self.table.cellWidget(row, CAT_NAME)
        if isinstance(name, QLineEdit):
            name.setFocus()
            name.selectAll()

    def remove_current(self) -> None:
        row = self.table.currentRow()
        if row < 0 and self.table.rowCount():
            row = self.table.rowCount() - 1
        if row >= 0:
            self.table.removeRow(row)
            del self._origins[row]

    def text(self, row: int, column: int) -> str:
        widget = self.table.cellWidget(row, column)
        assert isinstance(widget, QLineEdit)
        return widget.text().strip()

    def build(self) -> tuple[list[DocumentCategory], CategoryRenames]:
        """The edited categories; raises ValueError naming the row when one is invalid."""
        categories: list[DocumentCategory] = []
        renames = CategoryRenames()
        for row in range(self.table.rowCount()):
            where = f"category row {row + 1}"
            choices, hotkeys = parse_choices(self.text(row, CAT_CHOICES), where)
            several = self.table.cellWidget(row, CAT_SEVERAL)
            assert isinstance(several, QCheckBox)
            try:
                category = DocumentCategory(
                    name=self.text(row, CAT_NAME),
                    choices=choices,
                    multiple=several.isChecked(),
                    hotkeys=hotkeys,
                    description=self.text(row, CAT_DESCRIPTION),
                )
            except ValidationError as exc:
                message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
                raise ValueError(f"{where}: {message}") from None
            categories.append(category)
            origin = self._origins[row]
            if origin is None:
                continue
            if origin != category.name:
                renames.categories[origin] = category.name
            choice_renames = renamed_choices(self.original[origin].choices, category.choices)
            if choice_renames:
                renames.choices[category.name] = choice_renames
        return categories, renames
