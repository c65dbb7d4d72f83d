"""Export dialog: format, output, whose labels, filters, split; a progress bar; Cancel."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from annotator.core.errors import AnnotatorError
from annotator.formats.base import get_writer, writer_names
from annotator.services import ExportSummary, export_project
from annotator.store.interface import ProjectStore
from annotator.store.names import GOLD_ANNOTATOR
from annotator.store.open import project_folder
from annotator.ui.lazy_qt import Qt
from annotator.ui.task_progress import Cancelled, TaskDialog, TaskProgress

FORMAT_TITLES = {
    "native": "Native JSONL (everything)",
    "prodigy": "Prodigy JSONL",
    "doccano": "doccano JSONL",
    "label-studio": "Label Studio JSON",
    "brat": "brat folder (.txt + .ann)",
    "spacy": "spaCy DocBin (.spacy)",
    "bio": "BIO tags for Hugging Face (JSONL)",
    "citron": "Citron quotes folder (one .json per document)",
}
ALL_STATUSES = "All documents"
# Inside the project folder, where people look for it (and take it along with the project).
EXPORTS_DIR = "exports"


def file_slug(name: str) -> str:
    """A file-name-safe form of a project name: "Sample: Putin and Xi" -> "sample-putin-and-xi".

    Letters of any script stay; everything else (colons, spaces, slashes) becomes one "-".
    """
    text = unicodedata.normalize("NFC", name).lower()
    slug = "-".join(re.findall(r"[^\W_]+", text))
    return slug[:80].strip("-") or "project"


class ExportDialog(TaskDialog):
    exported = Signal(object)  # ExportSummary

    def __init__(
        self, project: ProjectStore, annotator: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export labels")
        self.project = project
        self.summary: ExportSummary | None = None

        self.format_box = QComboBox()
        for name in writer_names():
            self.format_box.addItem(FORMAT_TITLES.get(name, name), name)
        self.layer_box = QComboBox()
        for name in project.annotators():
            title = "Gold (settled labels)" if name == GOLD_ANNOTATOR else name
            self.layer_box.addItem(title, name)
        if annotator is not None and self.layer_box.findData(annotator) >= 0:
            self.layer_box.setCurrentIndex(self.layer_box.findData(annotator))
        self.output_edit = QLineEdit()
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        output_row = QHBoxLayout()
        output_row.addWidget(self.output_edit, 1)
        output_row.addWidget(browse)
        self.labels_edit = QLineEdit()
        self.labels_edit.setPlaceholderText("all labels (or e.g. PERSON,ORG)")
        self.status_box = QComboBox()
        self.status_box.addItem(ALL_STATUSES, None)
        self.status_box.addItem("Done only", "done")
        self.status_box.addItem("Done or in progress", "done,in_progress")
        self.split_edit = QLineEdit()
        self.split_edit.setPlaceholderText("no split (or e.g. train=0.8,dev=0.1,test=0.1)")
        # Off by default: an untouched document in training data reads as "no entities".
        self.unlabelled_box = QCheckBox("Also documents nobody labelled, and skipped ones")

        form = QFormLayout()
        form.addRow("Format", self.format_box)
        form.addRow("Labels of", self.layer_box)
        form.addRow("Save to", output_row)
        form.addRow("Only labels", self.labels_edit)
        form.addRow("Documents", self.status_box)
        form.addRow("Split", self.split_edit)
        form.addRow("", self.unlabelled_box)

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.hide()  # "0%" before anything runs reads as "stuck"
        self.progress = TaskProgress(self.progress_bar, self)
        self.message = QLabel()
        self.message.setWordWrap(True)
        # The written path can be selected and copied.
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.run)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self._close_or_cancel)
        self.open_folder_button = QPushButton("Open folder")
        self.open_folder_button.setObjectName("openExportFolder")
        self.open_folder_button.setToolTip("Show the exported files in the file manager")
        self.open_folder_button.clicked.connect(self.open_folder)
        self.open_folder_button.hide()
        self.written: Path | None = None
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_folder_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.format_box.currentIndexChanged.connect(self._suggest_output)
        self.split_edit.textChanged.connect(self._suggest_output)
        self._suggested = ""
        self._suggest_output()
        self.resize(560, self.sizeHint().height())

    # --- inputs -----------------------------------------------------------------------

    def format_name(self) -> str:
        return str(self.format_box.currentData())

    def _folder_output(self) -> bool:
        return get_writer(self.format_name()).suffix == "" or bool(self.split_edit.text().strip())

    def _suggest_output(self) -> None:
        """Follow the format with the output name, unless the user typed one."""
        if self.output_edit.text() and self.output_edit.text() != self._suggested:
            return
        suffix = "" if self._folder_output() else get_writer(self.format_name()).suffix
        name = f"{file_slug(self.project.name)}-{self.format_name()}{suffix}"
        # A project kept in a database has no folder: the user's home holds the exports.
        folder = project_folder(self.project) or Path.home()
        self._suggested = str(folder / EXPORTS_DIR / name)
        self.output_edit.setText(self._suggested)

    def _browse(self) -> None:
        current = self.output_edit.text()
        if self._folder_output():
            chosen = QFileDialog.getExistingDirectory(self, "Export to folder", current)
        else:
            chosen, _ = QFileDialog.getSaveFileName(self, "Export to file", current)
        if chosen:
            self.output_edit.setText(chosen)

    # --- running ----------------------------------------------------------------------

    def run(self) -> bool:
        """Export with the chosen settings; True when a file or folder was written."""
        if self.progress.running:
            return False
        output = self.output_edit.text().strip()
        if not output:
            self._show_error("choose where to save the export")
            return False
        layer = self.layer_box.currentData()
        labels = [part.strip() for part in self.labels_edit.text().split(",") if part.strip()]
        statuses = self.status_box.currentData()
        self.progress_bar.show()
        self.open_folder_button.hide()
        self._set_running(True)
        self.message.setText("Exporting…")
        warnings: list[str] = []
        ok = False
        try:
            self.summary = export_project(
                self.project,
                self.format_name(),
                Path(output),
                annotator=None if layer in (None, GOLD_ANNOTATOR) else str(layer),
                gold=layer == GOLD_ANNOTATOR,
                labels=labels or None,
                statuses=str(statuses).split(",") if statuses else None,
                split=self.split_edit.text().strip() or None,
                progress=self.progress,
                notify=warnings.append,
                include_unlabelled=self.unlabelled_box.isChecked(),
            )
            ok = True
        except Cancelled:
            self.message.setText("Export stopped; nothing was written.")
        except (AnnotatorError, OSError) as exc:
            self._show_error(str(exc))
        finally:
            self._set_running(False, ok)
        if ok and self.summary is not None:
            files = ", ".join(str(path) for path in self.summary.files)
            written = Path(output)
            self.written = written if written.is_dir() else written.parent
            self.open_folder_button.show()
            text = (
                f"Exported {self.summary.documents} documents, {self.summary.spans} spans, "
                f"{self.summary.relations} relations to {files}."
            )
            for line in self.summary.left_out_lines():
                text += "\n" + line
            if warnings:
                text += "\n" + "\n".join(warnings[:8])
                if len(warnings) > 8:
                    text += f"\n… and {len(warnings) - 8} more notes"
            self.message.setText(text)
            self.exported.emit(self.summary)
        return ok

    def open_folder(self) -> None:
        """The folder the last export wrote to, in the desktop's file manager."""
        if self.written is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.written)))

    def _inputs(self) -> list[QWidget]:
        return [self.format_box, self.layer_box, self.output_edit, self.labels_edit,
                self.status_box, self.split_edit, self.unlabelled_box,
                self.export_button]  # fmt: skip

    def _show_error(self, text: str) -> None:
        self.message.setText(f"<span style='color:#b00020'>Error: {_escape(text)}</span>")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
