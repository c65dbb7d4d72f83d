"""Import dialog: files and folders, their format, whose labels; a progress bar; Cancel.

An import is all or nothing: if any source is malformed, or the user cancels, the
project is left exactly as it was and the dialog says why (file and line).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from annotator.core.errors import AnnotatorError
from annotator.formats.base import reader_names
from annotator.services import ImportSummary, import_sources
from annotator.store.interface import ProjectStore
from annotator.ui.task_progress import Cancelled, TaskDialog, TaskProgress

FILE_FILTER = "Texts and labels (*.txt *.md *.jsonl *.json *.ndjson *.ann);;All files (*)"


class ImportDialog(TaskDialog):
    imported = Signal(object)  # ImportSummary

    def __init__(
        self, project: ProjectStore, annotator: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.setWindowTitle("Import documents and labels")
        self.project = project
        self.summary: ImportSummary | None = None

        self.sources = QListWidget()
        add_files = QPushButton("Add files…")
        add_files.clicked.connect(self._add_files)
        add_folder = QPushButton("Add folder…")
        add_folder.clicked.connect(self._add_folder)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_selected)
        source_buttons = QVBoxLayout()
        for button in (add_files, add_folder, remove):
            source_buttons.addWidget(button)
        source_buttons.addStretch(1)
        source_row = QHBoxLayout()
        source_row.addWidget(self.sources, 1)
        source_row.addLayout(source_buttons)
        self._source_buttons = [add_files, add_folder, remove]

        self.format_box = QComboBox()
        self.format_box.addItem("Detect from the content", "auto")
        for name in reader_names():
            self.format_box.addItem(name, name)
        self.annotator_edit = QLineEdit(annotator or "")
        self.annotator_edit.setPlaceholderText("as named in the files (else 'imported')")
        # For formats that state no span text (doccano): decided per document from the
        # spans unless named here; an import the spans cannot settle asks for it.
        self.offset_box = QComboBox()
        self.offset_box.setObjectName("offsetUnit")
        self.offset_box.addItem("Decide from the spans", None)
        self.offset_box.addItem("Code points (Python scripts)", "codepoint")
        self.offset_box.addItem("UTF-16 units (doccano's web editor)", "utf16")
        form = QFormLayout()
        form.addRow("Format", self.format_box)
        form.addRow("Labels go to", self.annotator_edit)
        form.addRow("Offsets", self.offset_box)

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress = TaskProgress(self.progress_bar, self)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        self.import_button = QPushButton("Import")
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.run)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self._close_or_cancel)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(source_row)
        layout.addLayout(form)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.log)
        layout.addLayout(buttons)
        self.resize(640, 480)

    # --- sources ----------------------------------------------------------------------

    def add_sources(self, paths: list[Path]) -> None:
        known = {self.sources.item(i).text() for i in range(self.sources.count())}
        for path in paths:
            if str(path) not in known:
                self.sources.addItem(str(path))
                known.add(str(path))

    def source_paths(self) -> list[Path]:
        return [Path(self.sources.item(i).text()) for i in range(self.sources.count())]

    def _add_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import files", "", FILE_FILTER)
        self.add_sources([Path(f) for f in files])

    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder")
        if folder:
            self.add_sources([Path(folder)])

    def _remove_selected(self) -> None:
        for item in self.sources.selectedItems():
            self.sources.takeItem(self.sources.row(item))

    # --- running ----------------------------------------------------------------------

    def run(self) -> bool:
        """Import the listed sources; True when the project took them."""
        if self.progress.running:
            return False
        sources = self.source_paths()
        if not sources:
            self.log.appendPlainText("Add files or folders to import first.")
            return False
        annotator = self.annotator_edit.text().strip() or None
        self._set_running(True)
        self.log.appendPlainText(f"Importing {len(sources)} source(s)…")
        ok = False
        try:
            self.summary = import_sources(
                self.project,
                sources,
                str(self.format_box.currentData()),
                annotator,
                progress=self.progress,
                notify=self.log.appendPlainText,
                offset_unit=self.offset_box.currentData(),
            )
            ok = True
        except Cancelled:
            self.log.appendPlainText("Import stopped; the project is unchanged.")
        except (AnnotatorError, OSError) as exc:
            self.log.appendPlainText(f"Error: {exc}")
            self.log.appendPlainText("Nothing was imported; the project is unchanged.")
        finally:
            self._set_running(False, ok)
        if ok and self.summary is not None:
            self.log.appendPlainText(f"Done: {self.summary.describe()}.")
            self.imported.emit(self.summary)
        return ok

    def _inputs(self) -> list[QWidget]:
        return [
            self.sources,
            self.format_box,
            self.annotator_edit,
            self.offset_box,
            self.import_button,
            *self._source_buttons,
        ]
