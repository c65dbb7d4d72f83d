"""The Model menu: train a spaCy model on the labels, then run it as suggester; or load
another system's predictions (Citron's) as suggestions.

Training and the model's predictions run on a worker thread (:class:`BackgroundTask`), so
the window stays usable meanwhile. The worker opens its own handle on the project folder
(the window's store is not shared across threads) and only reads from it, except for the
training history, which is one atomic write. What a model suggests is written by the
window's thread, through the same suggestions store the window edits.

Nothing here is imported before the Model menu is first used; spaCy and the training code
load on the worker thread.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from annotator.core.errors import AnnotatorError
from annotator.ui.task_progress import Cancelled

if TYPE_CHECKING:
    from annotator.assist.patterns import Match
    from annotator.assist.predictions import Predictions
    from annotator.assist.train import TrainReport
    from annotator.editing.session import Session
    from annotator.store.interface import ProjectStore
    from annotator.ui.assist_controller import AssistController
    from annotator.ui.training_report import TrainingReportDialog

INSTALL_HINT = "pip install 'annotator[spacy]'"
# Each task's progress: (done, total).
Progress = Callable[[int, int], None]


def models_folder(project: ProjectStore) -> Path:
    """Where trained models go: the project folder's models/, or, for a project kept in a
    database, annotator-models/ in the user's home."""
    from annotator.store.open import project_folder

    folder = project_folder(project)
    return folder / "models" if folder is not None else Path.home() / "annotator-models"


class ModelHost(Protocol):
    """What the controller needs of the window."""

    annotator: str

    @property
    def session(self) -> Session | None: ...
    @property
    def project_location(self) -> str | Path | None:
        """Where the open project was opened from: a worker opens its own handle there."""

    @property
    def assist(self) -> AssistController: ...
    def show_status(self, message: str, timeout: int = 0) -> None: ...
    def window(self) -> QWidget: ...


class BackgroundTask(QThread):
    """Runs ``work(progress)`` on a worker thread; ``progress`` raises once cancelled.

    Exactly one of ``succeeded``, ``failed`` or ``cancelled`` is emitted, in the window's
    thread (the signals are queued to it), then QThread's ``finished``.
    """

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, work: Callable[[Progress], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.work = work
        self.cancel_requested = False

    def cancel(self) -> None:
        self.cancel_requested = True

    def _progress(self, done: int, total: int) -> None:
        if self.cancel_requested:
            raise Cancelled("cancelled")
        self.progressed.emit(done, total)

    def run(self) -> None:
        try:
            result = self.work(self._progress)
        except Cancelled:
            self.cancelled.emit()
        except AnnotatorError as exc:
            self.failed.emit(str(exc))
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            self.failed.emit(f"{where}{exc.strerror or exc}")
        except Exception as exc:  # a worker must report, never die silently
            self.failed.emit(f"{type(exc).__name__}: {exc}".splitlines()[0])
        else:
            if self.cancel_requested:
                # Cancel came after the last progress call: the result is dropped.
                self.cancelled.emit()
            else:
                self.succeeded.emit(result)


class TaskProgressDialog(QDialog):
    """A bar and a Cancel button for one background task; the window stays usable."""

    def __init__(self, title: str, text: str, task: BackgroundTask, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("modelTaskProgress")
        self.setWindowTitle(title)
        self.task = task
        self.text = QLabel(text)
        self.text.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy until the first progress
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelTask")
        self.cancel_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.bar)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self.setMinimumWidth(440)
        task.progressed.connect(self.show_progress)

    def show_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(done)

    def reject(self) -> None:  # Cancel, Escape or the close button
        if self.task.isRunning() and not self.task.cancel_requested:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.text.setText(self.text.text() + "\nCancelling…")
            return
        super().reject()


class ModelController(QObject):
    def __init__(self, host: ModelHost) -> None:
        super().__init__(host.window())
        self.host = host
        self.task: BackgroundTask | None = None
        self._threads: set[BackgroundTask] = set()  # until each has finished running
        self.progress_dialog: TaskProgressDialog | None = None
        self.report_dialog: TrainingReportDialog | None = None
        self.epochs = 30  # as `annotator train`

    # --- the menu's actions --------------------------------------------------------------

    def train_from_labels(self) -> None:
        session = self.host.session
        if session is not None:
            self.confirm_and_train(session.annotator)

    def train_from_gold(self) -> None:
        from annotator.store.names import GOLD_ANNOTATOR

        project = self._project()
        if project is None:
            return
        if GOLD_ANNOTATOR not in project.annotators():
            self._error(
                "Train from the gold layer",
                "This project has no gold layer yet: settle one in File › Review and "
                "agreement first",
            )
            return
        self.confirm_and_train(GOLD_ANNOTATOR)

    def choose_model(self) -> None:
        project = self._project()
        if project is None or not self._ready("Suggest with a model"):
            return
        start = models_folder(project)
        folder = QFileDialog.getExistingDirectory(
            self.host.window(),
            "Model folder (saved by Train, or any spaCy pipeline)",
            str(start if start.is_dir() else start.parent),
        )
        if folder:
            self.suggest_with_model(Path(folder))

    # --- training ---------------------------------------------------------------------------

    def default_model_dir(self, project: ProjectStore, annotator: str) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return models_folder(project) / f"{annotator}-{stamp}"

    def confirm_and_train(self, annotator: str) -> None:
        project = self._project()
        if project is None or not self._ready("Train a model"):
            return
        out = self.confirm_folder(annotator, self.default_model_dir(project, annotator))
        if out is not None:
            self.train(annotator, out)

    def confirm_folder(self, annotator: str, out: Path) -> Path | None:
        """The folder the model will be saved to, as confirmed (or changed) by the analyst."""
        whose = "the gold layer" if annotator == "gold" else f"the labels of {annotator}"
        answer = self._question(
            "confirmModelFolder",
            "Train a model",
            f"Train a spaCy model on {whose}?",
            f"It will be saved in a new folder:\n{out}\n\n"
            "Then it suggests labels for the documents not yet done.",
            ("Train", "Other folder…"),
        )
        if answer == 0:
            return out
        if answer == 1:
            folder = QFileDialog.getExistingDirectory(
                self.host.window(), "Save the model in", str(out.parent)
            )
            if not folder:
                return None
            chosen = Path(folder)
            # An empty folder takes the model; otherwise a new one is made inside it.
            return chosen if not any(chosen.iterdir()) else chosen / out.name
        return None

    def train(self, annotator: str, out: Path) -> None:
        """Train in the background, show the report, then suggest with the new model."""
        epochs = self.epochs
        session = self.host.session
        project = self._project()
        if session is None or project is None or not self._ready("Train a model"):
            return
        session.save_all()  # the worker reads the saved labels
        path = self.host.project_location
        assert path is not None

        def work(progress: Progress) -> TrainReport:
            from annotator.assist.train import train_model
            from annotator.store.open import open_project

            with open_project(path, recover=False) as own:
                return train_model(own, annotator, out, epochs=epochs, progress=progress)

        whose = "the gold layer" if annotator == "gold" else f"the labels of {annotator}"
        self._start(
            work,
            "Training a model",
            f"Training a spaCy model on {whose} ({epochs} epochs).\nSaving to {out}",
            lambda report: self._trained(session, annotator, report),
            "Training cancelled: no model was saved",
            "Training failed",
            lambda done, total: f"Training: epoch {done} of {total}",
        )

    def _trained(self, session: Session, annotator: str, report: TrainReport) -> None:
        from annotator.assist.train import training_history
        from annotator.ui.colors import LabelColors
        from annotator.ui.training_report import TrainingReportDialog

        project = session.project
        history = training_history(project, annotator)
        dialog = TrainingReportDialog(
            report, history, LabelColors(project.schema), annotator, self.host.window()
        )
        self.report_dialog = dialog
        dialog.show()
        self.host.show_status(
            f"Model saved to {report.model_dir} (F1 {report.f:.2f}); finding its suggestions…",
            10000,
        )
        if self.host.session is session:
            self.suggest_with_model(report.model_dir)

    # --- the model as suggester ------------------------------------------------------------

    def suggest_with_model(self, model_dir: Path) -> None:
        """Run the model over the documents not yet done, as ``annotator suggest --model``:
        predictions on the worker, then added to the suggestions layer here."""
        session = self.host.session
        project = self._project()
        if session is None or project is None or not self._ready("Suggest with a model"):
            return
        self.host.assist.sync()  # opens the suggestions layer if not yet open
        book = self.host.assist.book
        if book is not None and not book.writable:
            self._error("Suggestions are read-only", book.read_only_reason)
            return
        session.save_all()  # which documents are done, and what is labelled, as saved
        path, annotator = self.host.project_location, session.annotator
        assert path is not None
        labels = project.schema.label_names()
        model = str(model_dir)

        def work(progress: Progress) -> dict[str, list[Match]]:
            from annotator.assist.run import model_suggester
            from annotator.assist.suggestions import unfinished_documents
            from annotator.store.open import open_project

            suggester = model_suggester(model, labels)
            with open_project(path, recover=False) as own:
                doc_ids = unfinished_documents(own, annotator)
                texts = (own.get_text(doc_id) for doc_id in doc_ids)
                found: dict[str, list[Match]] = {}
                progress(0, len(doc_ids))
                for number, (doc_id, matches) in enumerate(
                    zip(doc_ids, suggester.find_many(texts), strict=True), 1
                ):
                    if matches:
                        found[doc_id] = matches
                    progress(number, len(doc_ids))
                return found

        self._start(
            work,
            "Suggestions from a model",
            f"Finding suggestions with the model\n{model}",
            lambda found: self._suggested(session, model, found),
            "Suggestions cancelled: none were added",
            "Cannot suggest with this model",
            lambda done, total: f"Suggesting: document {done} of {total}",
        )

    def _suggested(self, session: Session, model: str, found: dict[str, list[Match]]) -> None:
        from annotator.assist.suggestions import FoundMatches, SuggestionLayer

        if self.host.session is not session:
            return  # another project was opened meanwhile
        session.save_all()
        layer = SuggestionLayer(session.project, session.annotator)
        try:
            report = layer.suggest(FoundMatches(found), f"model:{model}", doc_ids=list(found))
        except AnnotatorError as exc:
            self._error("Suggestions", str(exc))
            return
        finally:
            self.host.assist.reload()
        self.host.show_status(f"Model suggestions: {report.describe()}", 15000)

    # --- another system's predictions as suggestions -----------------------------------------

    def choose_predictions(self) -> None:
        """Model › Suggest from predictions file…: Citron's output, a folder or one file."""
        if self._project() is None or not self._free("Suggest from predictions"):
            return
        path = self.ask_predictions_path()
        if path is not None:
            self.suggest_from_predictions(path)

    def ask_predictions_path(self) -> Path | None:
        answer = self._question(
            "choosePredictions",
            "Suggest from predictions",
            "Load Citron's predicted quotes as suggestions to correct?",
            "Citron writes one JSON file per document, named by the document's id. "
            "Choose the folder that holds them, or one file.",
            ("Folder…", "One file…"),
        )
        window = self.host.window()
        if answer == 0:
            chosen = QFileDialog.getExistingDirectory(window, "Folder of Citron predictions")
        elif answer == 1:
            chosen, _ = QFileDialog.getOpenFileName(
                window, "Citron predictions file", "", "Citron JSON (*.json);;All (*)"
            )
        else:
            return None
        return Path(chosen) if chosen else None

    def suggest_from_predictions(self, path: Path) -> None:
        """As ``annotator suggest --from PATH``: the files are read and checked against the
        project's texts on the worker, then added to the suggestions layer here."""
        session = self.host.session
        if session is None or not self._free("Suggest from predictions"):
            return
        self.host.assist.sync()
        book = self.host.assist.book
        if book is not None and not book.writable:
            self._error("Suggestions are read-only", book.read_only_reason)
            return
        session.save_all()  # which documents are done, as saved
        location, annotator = self.host.project_location, session.annotator
        assert location is not None

        def work(progress: Progress) -> Predictions:
            from annotator.assist.predictions import read_predictions
            from annotator.store.open import open_project

            with open_project(location, recover=False) as own:
                return read_predictions(own, annotator, path, progress=lambda d, t: progress(d, 0))

        self._start(
            work,
            "Suggestions from predictions",
            f"Reading Citron's predictions\n{path}",
            lambda found: self._predicted(session, found),
            "Suggestions cancelled: none were added",
            "Cannot use these predictions",
            lambda done, total: f"Reading predictions: file {done}",
        )

    def _predicted(self, session: Session, found: Predictions) -> None:
        from annotator.assist.predictions import suggest_predictions

        if self.host.session is not session:
            return
        session.save_all()
        try:
            report = suggest_predictions(session.project, session.annotator, found)
        except AnnotatorError as exc:
            self._error("Suggestions", str(exc))
            return
        finally:
            self.host.assist.reload()
        left_out = found.describe()
        self.host.show_status(
            f"Predictions: {report.describe()}" + (f"; {left_out}" if left_out else ""), 15000
        )

    # --- running a task ----------------------------------------------------------------------

    def _start(
        self,
        work: Callable[[Progress], Any],
        title: str,
        text: str,
        done: Callable[[Any], None],
        cancelled: str,
        failed: str,
        status: Callable[[int, int], str],
    ) -> None:
        task = BackgroundTask(work, self)
        dialog = TaskProgressDialog(title, text, task, self.host.window())
        self.task, self.progress_dialog = task, dialog

        def finish() -> None:
            dialog.close()
            dialog.deleteLater()
            if self.task is task:
                self.task, self.progress_dialog = None, None

        def ended() -> None:
            # Only now has run() returned: deleting a QThread any earlier aborts.
            self._threads.discard(task)
            task.deleteLater()

        def succeeded(result: object) -> None:
            finish()
            done(result)

        def failure(message: str) -> None:
            finish()
            self._error(failed, message)

        def stopped() -> None:
            finish()
            self.host.show_status(cancelled, 10000)

        task.succeeded.connect(succeeded)
        task.failed.connect(failure)
        task.cancelled.connect(stopped)
        task.finished.connect(ended)
        self._threads.add(task)
        task.progressed.connect(lambda d, t: self.host.show_status(status(d, t)))
        dialog.show()
        task.start()

    def running(self) -> bool:
        return self.task is not None and self.task.isRunning()

    def stop(self) -> None:
        """Cancel a running task and wait for it (the window is closing)."""
        for task in list(self._threads):
            task.cancel()
            task.wait()

    def _free(self, title: str) -> bool:
        if self.task is not None:
            self._error(title, "A model is being trained or run already: wait for it or cancel it")
            return False
        return True

    def _ready(self, title: str) -> bool:
        if not self._free(title):
            return False
        if importlib.util.find_spec("spacy") is None:
            self._error(title, f"Training and model suggestions need spaCy: {INSTALL_HINT}")
            return False
        return True

    def _project(self) -> ProjectStore | None:
        session = self.host.session
        return session.project if session is not None else None

    def _question(
        self, name: str, title: str, text: str, detail: str, choices: tuple[str, str]
    ) -> int | None:
        """Which of the two ``choices`` the analyst took (0 is the default), None: Cancel."""
        box = QMessageBox(self.host.window())
        box.setObjectName(name)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(title)
        box.setText(text)
        box.setInformativeText(detail)
        first = box.addButton(choices[0], QMessageBox.ButtonRole.AcceptRole)
        second = box.addButton(choices[1], QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(first)
        box.exec()
        clicked = box.clickedButton()
        return 0 if clicked is first else 1 if clicked is second else None

    def _error(self, title: str, message: str) -> None:
        QMessageBox.warning(self.host.window(), title, message)
