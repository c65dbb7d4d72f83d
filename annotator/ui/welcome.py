"""The first-run dialog: who is labelling, what the sample is, and how to start."""

from __future__ import annotations

import getpass

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from annotator.core.errors import AnnotatorError
from annotator.store.names import layer_name_for

SAMPLE_SENTENCE = (
    "The sample project holds a few news articles about Putin and Xi in Beijing, "
    "labelled by two example analysts, alice and bob, so that you can try labelling, "
    "review and export without preparing anything."
)


def system_user_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name (containers, odd setups)
        return ""


class WelcomeDialog(QDialog):
    """Asks for the analyst's name; on the sample, also blank start or example labels."""

    def __init__(
        self,
        parent: QWidget | None = None,
        name: str = "",
        sample: bool = True,
        title: str = "Welcome to annotator",
        existing: frozenset[str] = frozenset(),
    ) -> None:
        """``existing``: the analysts with labels in the project already, who keep theirs
        (the choice of a start is for a newcomer)."""
        super().__init__(parent)
        self.setObjectName("welcomeDialog")
        self.setWindowTitle(title)
        intro = QLabel(
            "<b>Who is labelling?</b><br>Your labels are saved under your name, next to "
            "your colleagues' labels, so that review can compare them. Any name will do."
        )
        intro.setWordWrap(True)
        self.name_edit = QLineEdit(name or system_user_name())
        self.name_edit.setObjectName("welcomeName")
        self.name_edit.setPlaceholderText("Your name, e.g. Jane Doe")
        self.file_hint = QLabel()
        self.file_hint.setObjectName("welcomeFileHint")
        self.file_hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.name_edit)
        layout.addWidget(self.file_hint)
        self.blank_start = QRadioButton("Start with no labels")
        self.blank_start.setObjectName("blankStart")
        self.example_start = QRadioButton(
            "Start from alice's example labels (marked as examples: review does not "
            "count them as yours until you change them)"
        )
        self.example_start.setObjectName("exampleStart")
        self.blank_start.setChecked(True)
        self.sample = sample
        self.existing = existing
        if sample:
            about = QLabel(SAMPLE_SENTENCE)
            about.setObjectName("sampleSentence")
            about.setWordWrap(True)
            layout.addSpacing(8)
            layout.addWidget(about)
            layout.addWidget(self.blank_start)
            layout.addWidget(self.example_start)
        else:
            self.blank_start.hide()
            self.example_start.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Start labelling")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addSpacing(8)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._name_changed)
        self._name_changed()
        self.setMinimumWidth(460)

    def display_name(self) -> str:
        return " ".join(self.name_edit.text().split())

    def layer_name(self) -> str | None:
        """The file-safe name the labels are saved under; None while nothing is typed."""
        if not self.display_name():
            return None
        try:
            return layer_name_for(self.display_name())
        except AnnotatorError:
            return None

    def with_examples(self) -> bool:
        return (
            self.sample
            and self.example_start.isChecked()
            and self.layer_name() not in self.existing
        )

    def _name_changed(self) -> None:
        layer = self.layer_name()
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(layer is not None)
        newcomer = layer not in self.existing
        self.blank_start.setEnabled(newcomer)
        self.example_start.setEnabled(newcomer)
        if layer is None:
            self.file_hint.setText("<small>Type your name to start.</small>")
        elif not newcomer:
            self.file_hint.setText(
                f"<small>Labels saved as <b>{layer}</b> are in this project already: "
                "you go on with them.</small>"
            )
        else:
            self.file_hint.setText(f"<small>Your labels will be saved as <b>{layer}</b>.</small>")
