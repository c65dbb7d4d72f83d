"""The label schema editor: add, rename, recolour labels and change their hotkeys; add,
remove and rename document categories and their choices (ui/category_editor.py)."""

from __future__ import annotations

from pydantic import ValidationError
from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtWidgets import (
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from annotator.core.models import CATEGORIES, Label, LabelSchema, RelationType
from annotator.editing.category_changes import CategoryRenames
from annotator.ui.category_editor import CategoriesTable
from annotator.ui.palette import swatch

NAME, CATEGORY, COLOR, HOTKEY, DESCRIPTION = range(5)


class ColorButton(QPushButton):
    def __init__(self, color: str) -> None:
        super().__init__()
        self.set_color(color)
        self.clicked.connect(self._choose)

    def set_color(self, color: str) -> None:
        self.color = color.upper()
        self.setIcon(swatch(color, 16))
        self.setText(self.color)

    def _choose(self) -> None:
        chosen = QColorDialog.getColor(QColor(self.color), self, "Label colour")
        if chosen.isValid():
            self.set_color(chosen.name())


def key_text(edit: QKeySequenceEdit) -> str:
    return edit.keySequence().toString(QKeySequence.SequenceFormat.PortableText)


class SchemaEditor(QDialog):
    """Edits a copy of the schema; ``result_schema``, ``renames`` (labels) and
    ``category_renames`` are read after accept."""

    def __init__(self, schema: LabelSchema, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("schemaEditor")
        self.setWindowTitle("Labels")
        self.resize(760, 640)
        self.original = schema
        self.result_schema: LabelSchema = schema
        self.renames: dict[str, str] = {}
        self.category_renames = CategoryRenames()
        self._origins: list[str | None] = []  # original name per row (None = new label)

        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(
            ["Name", "Category", "Colour", "Hotkey", "Description"]
        )
        self.table.horizontalHeader().setSectionResizeMode(
            DESCRIPTION, QHeaderView.ResizeMode.Stretch
        )
        self.table.verticalHeader().setVisible(False)
        for label in schema.labels:
            self._add_row(label, label.name)
        add = QPushButton("Add label")
        add.clicked.connect(self._new_label)
        self.error = QLabel()
        self.error.setObjectName("schemaError")
        self.error.setStyleSheet("color: #c0392b")
        self.error.setWordWrap(True)
        note = QLabel(
            "Renaming a label relabels your spans with it in every document; renaming or "
            "removing a category or a choice changes your documents' choices the same way. "
            "Hotkeys are single keys such as P, or combinations such as Shift+P."
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addStretch(1)
        self.categories = CategoriesTable(list(schema.categories))
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 3)
        layout.addLayout(row)
        layout.addWidget(self.categories, 2)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _add_row(self, label: Label, origin: str | None) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self._origins.append(origin)
        name = QLineEdit(label.name)
        category = QComboBox()
        category.addItems(list(CATEGORIES))
        category.setCurrentText(label.category)
        hotkey = QKeySequenceEdit(QKeySequence(label.hotkey))
        hotkey.setMaximumSequenceLength(1)
        hotkey.setClearButtonEnabled(True)
        description = QLineEdit(label.description)
        self.table.setCellWidget(row, NAME, name)
        self.table.setCellWidget(row, CATEGORY, category)
        self.table.setCellWidget(row, COLOR, ColorButton(label.color))
        self.table.setCellWidget(row, HOTKEY, hotkey)
        self.table.setCellWidget(row, DESCRIPTION, description)
        return row

    def _new_label(self) -> None:
        taken = set(self.current_names())
        number = 1
        while f"LABEL{number}" in taken:
            number += 1
        from annotator.core.palette import free_hotkey, next_colour

        colours, hotkeys = [], [rel.hotkey for rel in self.original.relations]
        for row in range(self.table.rowCount()):
            colour, hotkey = self.cell(row, COLOR), self.cell(row, HOTKEY)
            assert isinstance(colour, ColorButton) and isinstance(hotkey, QKeySequenceEdit)
            colours.append(colour.color)
            hotkeys.append(key_text(hotkey))
        label = Label(
            name=f"LABEL{number}",
            color=next_colour(colours),
            hotkey=free_hotkey(hotkeys, f"LABEL{number}") or "",
        )
        row = self._add_row(label, None)
        self.table.setCurrentCell(row, NAME)
        widget = self.table.cellWidget(row, NAME)
        if isinstance(widget, QLineEdit):
            widget.setFocus()
            widget.selectAll()

    def current_names(self) -> list[str]:
        names = []
        for row in range(self.table.rowCount()):
            widget = self.table.cellWidget(row, NAME)
            assert isinstance(widget, QLineEdit)
            names.append(widget.text().strip())
        return names

    def cell(self, row: int, column: int) -> QWidget:
        widget = self.table.cellWidget(row, column)
        assert widget is not None
        return widget

    def build(self) -> tuple[LabelSchema, dict[str, str]]:
        """The edited schema and the renames it implies; raises ValueError if invalid."""
        labels: list[Label] = []
        renames: dict[str, str] = {}
        for row in range(self.table.rowCount()):
            name = self.cell(row, NAME)
            category = self.cell(row, CATEGORY)
            color = self.cell(row, COLOR)
            hotkey = self.cell(row, HOTKEY)
            description = self.cell(row, DESCRIPTION)
            assert isinstance(name, QLineEdit) and isinstance(category, QComboBox)
            assert isinstance(color, ColorButton) and isinstance(hotkey, QKeySequenceEdit)
            assert isinstance(description, QLineEdit)
            try:
                label = Label(
                    name=name.text().strip(),
                    category=category.currentText(),
                    color=color.color,
                    hotkey=key_text(hotkey),
                    description=description.text().strip(),
                )
            except ValidationError as exc:
                raise ValueError(f"row {row + 1}: {exc.errors()[0]['msg']}") from None
            labels.append(label)
            origin = self._origins[row]
            if origin is not None and origin != label.name:
                renames[origin] = label.name
        relation_keys = {rel.hotkey for rel in self.original.relations if rel.hotkey}
        for label in labels:
            if label.hotkey in relation_keys:
                raise ValueError(f"hotkey {label.hotkey} of {label.name} is used by a relation")
        relations = [
            RelationType(
                name=rel.name,
                head=[renames.get(name, name) for name in rel.head],
                tail=[renames.get(name, name) for name in rel.tail],
                hotkey=rel.hotkey,
            )
            for rel in self.original.relations
        ]
        categories, self.category_renames = self.categories.build()
        try:
            schema = LabelSchema(labels=labels, relations=relations, categories=categories)
        except ValidationError as exc:
            raise ValueError(str(exc.errors()[0]["msg"]).removeprefix("Value error, ")) from None
        return schema, renames

    def _save(self) -> None:
        try:
            self.result_schema, self.renames = self.build()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
