"""Opening a project in the window: on the event loop's next turn, or now; switching
projects and documents; saving; the project-wide dialogs (import, export, review, labels).

It holds the open project, its labelling session and the document in view; the window
shows them. The store, the models and the dialogs are imported when first used, so the
window's first frame loads none of them (tests/ui/test_deferred_loading.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QTimer

from annotator.core.errors import AnnotatorError, LockedError
from annotator.editing.session import Change, Session
from annotator.ui.document_view import DocumentView, arrows_of
from annotator.ui.lazy_qt import Qt

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMenu, QMessageBox, QWidget

    from annotator.core.models import LabelSchema
    from annotator.editing.category_changes import CategoryRenames
    from annotator.store.interface import AnnotationLayer, ProjectStore
    from annotator.ui.assist_controller import AssistController
    from annotator.ui.document_list import DocumentList
    from annotator.ui.editing_controller import EditingController
    from annotator.ui.live_refresh import LiveRefresh
    from annotator.ui.offline_sender import OfflineSender
    from annotator.ui.settings import Settings
    from annotator.ui.spans_panel import SpansPanel


class LoaderHost(Protocol):
    """What the loader needs of the window: where a project and its documents are shown."""

    @property
    def annotator(self) -> str: ...
    @property
    def settings(self) -> Settings: ...
    @property
    def view(self) -> DocumentView: ...
    @property
    def panel(self) -> SpansPanel: ...
    @property
    def banner(self) -> QLabel: ...
    @property
    def list_dock(self) -> QDockWidget: ...
    @property
    def annotator_label(self) -> QLabel: ...
    @property
    def undo_stack(self) -> QUndoStack: ...
    @property
    def editing(self) -> EditingController: ...
    @property
    def assist(self) -> AssistController: ...
    @property
    def loaded(self) -> SignalInstance: ...
    @property
    def loadFailed(self) -> SignalInstance: ...
    def show_status(self, message: str, timeout: int = 0) -> None: ...
    def show_schema(self, schema: LabelSchema) -> None:
        """Colours, palette and Labels menu for these labels."""

    def document_shown(self, text: str) -> None:
        """A document's text is in the view (the find bar searches it)."""

    def on_change(self, change: Change) -> None: ...
    def update_title(self) -> None: ...
    def setWindowTitle(self, title: str) -> None: ...
    def window(self) -> QWidget: ...


class ProjectLoader(QObject):
    def __init__(self, host: LoaderHost) -> None:
        super().__init__(host.window())
        self.host = host
        self.project: ProjectStore | None = None
        # Where the open project was opened from (a folder, a database URL).
        self.location: str | Path | None = None
        self.session: Session | None = None
        self.current: str | None = None
        self.document_list: DocumentList | None = None
        self.review_window: QMainWindow | None = None
        self.lock_message: QMessageBox | None = None
        self._pending: tuple[str | Path, Callable[[], object] | None] | None = None
        self.offline_sender: OfflineSender | None = None
        self.live: LiveRefresh | None = None
        self._painted = False
        self._load_timer = QTimer(self)
        self._load_timer.setSingleShot(True)
        self._load_timer.timeout.connect(self._load_pending)

    # --- opening -----------------------------------------------------------------------------

    def open_later(self, path: str | Path, prepare: Callable[[], object] | None = None) -> None:
        """Open the project once the window has painted, on the event loop's next turn.

        A window not painted within a second (shown minimised, never shown) opens it then.
        ``prepare`` runs first, in the same turn. Success emits ``loaded``; an AnnotatorError
        or OSError leaves the window without a project, says why in the status bar and emits
        ``loadFailed``.
        """
        self._pending = (path, prepare)
        if isinstance(path, Path):
            name, shown = path.name, str(path)
        else:
            # A database URL: named without its password (store.open, loaded only then:
            # a folder's window shows without it).
            from annotator.store.open import location_name, shown_location

            name, shown = location_name(path), shown_location(path)
        self.host.setWindowTitle(f"Opening {name}… — annotator ({self.host.annotator})")
        self.host.show_status(f"Opening {shown}…")
        self._load_timer.start(0 if self._painted else 1000)

    def window_painted(self) -> None:
        """The window's first frame is on screen: a project waiting for it opens now."""
        if not self._painted:
            self._painted = True
            # A zero timer started while painting fires after this frame is on screen, not
            # before it (one started before show() can run ahead of the first paint).
            if self._pending is not None:
                self._load_timer.start(0)

    def cancel_pending(self) -> None:
        """A project still waiting to open must not open in a closed window."""
        self._pending = None
        self._load_timer.stop()

    @property
    def loading(self) -> bool:
        """A project is waiting to be opened by ``open_later``."""
        return self._pending is not None

    def _load_pending(self) -> None:
        if self._pending is None:
            return
        path, prepare = self._pending
        self._pending = None
        self.host.show_status("")
        try:
            if prepare is not None:
                prepare()
            self.load_project(path)
        except (AnnotatorError, OSError) as exc:
            message = describe_error(exc)
            self.close_project()
            self.host.setWindowTitle(f"annotator ({self.host.annotator})")
            self.host.show_status(f"Could not open the project: {message}")
            self.host.loadFailed.emit(message)

    def load_project(self, path: str | Path) -> None:
        """Open a project now (a scheduled ``open_later`` is dropped); emits ``loaded``."""
        self._pending = None
        self._load_timer.stop()
        self._open(path)
        self.host.loaded.emit()

    def _open(self, path: str | Path) -> None:
        from annotator.store.open import open_project
        from annotator.ui.document_list import DocumentList

        # Close first: reopening the same project must not find our own lock held.
        self.close_project()
        project = open_project(path)
        from annotator.store.offline import offline_buffered

        read_only_reason = ""
        store: AnnotationLayer
        try:
            # On a store that can be out of reach, edits wait locally when it is.
            store = offline_buffered(project, project.annotations(self.host.annotator))
        except LockedError as exc:
            read_only_reason = str(exc)
            store = project.annotations(self.host.annotator, writable=False)
        self.project = project
        self.location = path
        self.session = Session(project, self.host.annotator, store, read_only_reason)
        self.session.listeners.append(self.host.on_change)
        self.session.focus = self._focus_document
        self.session.schedule = lambda save: QTimer.singleShot(0, save)
        self.session.saved = self.host.update_title
        if self.session.offline is not None:
            from annotator.ui.offline_sender import OfflineSender

            self.offline_sender = OfflineSender(self.host, self.session, self)
        self.host.undo_stack.clear()
        self.host.settings.remember_project(path)

        self.host.show_schema(project.schema)
        document_list = DocumentList(self.session)
        document_list.documentChosen.connect(self.show_document)
        self.host.list_dock.setWidget(document_list)
        if self.document_list is not None:
            self.document_list.deleteLater()
        self.document_list = document_list
        from annotator.ui.live_refresh import follow_labelling

        self.live = follow_labelling(
            project, self.host.annotator, document_list, self.host.show_status, self
        )
        settings, name = self.host.settings, self.host.annotator
        # "Jane Doe" as typed, when the layer (Jane_Doe) is the one the settings name.
        shown = settings.display_name if settings.annotator == name else name
        self.host.annotator_label.setText(f"  {shown}  ")
        self.host.annotator_label.setToolTip(f"Labels saved as {name}")

        problems = [*project.problems, *store.problems]
        if read_only_reason:
            self._warn_locked(read_only_reason)
        elif problems:
            self.host.show_status(problems[0], 15000)

        if not len(project):
            self.current = None
            self.host.view.set_content(
                "No documents yet: add some with `annotator import`.", [], []
            )
            self.host.panel.show_annotation(None, project.schema, False)
            self.host.update_title()
            return
        last = self.host.settings.last_document(path)
        first = last if last in project else document_list.first_to_open()
        if first is not None:
            self.show_document(first)

    def _warn_locked(self, reason: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        self.host.show_status(f"Read-only: {reason}")
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Labels opened read-only",
            f"{reason}\n\nAnother program is labelling as {self.host.annotator!r} in this project. "
            "The labels are shown read-only; close the other program to edit them here.",
            QMessageBox.StandardButton.Ok,
            self.host.window(),
        )
        box.setObjectName("lockedMessage")
        self.lock_message = box
        QTimer.singleShot(0, box.open)

    def close_project(self) -> None:
        if self.document_list is not None:
            self.document_list.drop_pending_search()
        if self.session is not None:
            self.session.save_all()
        if self.offline_sender is not None:
            self.offline_sender.close()
            self.offline_sender = None
        if self.live is not None:
            self.live.stop()
            self.live.deleteLater()
            self.live = None
        if self.project is not None:
            self.project.close()
        self.project = None
        self.location = None
        self.session = None
        self.current = None
        self.host.editing.pending_relation = None

    def import_files(self) -> None:
        if self.project is None or self.session is None:
            return
        self.session.save_all()
        from annotator.ui.import_dialog import ImportDialog

        dialog = ImportDialog(self.project, self.host.annotator, self.host.window())
        dialog.imported.connect(lambda _summary: self.load_project(self._project_path()))
        dialog.exec()

    def export_labels(self) -> None:
        if self.project is None or self.session is None:
            return
        self.session.save_all()
        from annotator.ui.export_dialog import ExportDialog

        ExportDialog(self.project, self.host.annotator, self.host.window()).exec()

    def open_review_window(self) -> None:
        """Review mode in its own window: the reviewer settles a gold layer from everyone's labels."""
        from PySide6.QtWidgets import QMessageBox

        if self.project is None or self.session is None:
            return
        self.session.save_all()
        from annotator.ui.review_app import open_review

        try:
            window = open_review(self._project_path(), self.host.annotator)
        except AnnotatorError as exc:
            QMessageBox.warning(self.host.window(), "Cannot open review mode", str(exc))
            return
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.review_window = window
        window.show()

    def _project_path(self) -> str | Path:
        assert self.project is not None and self.location is not None
        return self.location

    def choose_project(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        folder = QFileDialog.getExistingDirectory(self.host.window(), "Open project folder")
        if folder:
            self.open_project(Path(folder))

    def open_project(self, path: str | Path) -> None:
        from PySide6.QtWidgets import QMessageBox

        if not self.save_or_ask():
            return
        from annotator.store.open import open_project

        try:
            open_project(path).close()
        except AnnotatorError as exc:
            QMessageBox.warning(self.host.window(), "Cannot open project", str(exc))
            self.host.settings.forget_project(str(path))
            return
        self.load_project(path)

    def fill_recent(self, menu: QMenu) -> None:
        """File > Recent projects, filled each time it is about to show."""
        menu.clear()
        for item in self.host.settings.recent_projects():
            action = menu.addAction(item)
            action.triggered.connect(lambda _=False, p=item: self.open_project(_location(p)))
        if menu.isEmpty():
            menu.addAction("(none yet)").setEnabled(False)

    def show_document(self, doc_id: str) -> None:
        if self.project is None or self.session is None or doc_id not in self.project:
            return
        if doc_id == self.current:
            if self.document_list is not None:
                self.document_list.select(doc_id)
            return
        self.host.editing.commit_note()
        self.host.editing.pending_relation = None
        self.current = doc_id
        text = self.project.get_text(doc_id)
        annotation = self.session.annotation(doc_id)
        problems = self.session.problems(doc_id)
        if problems:
            self.host.banner.setText(
                "<b>These labels were made on a different text and are not shown.</b> "
                + "<br>".join(problems)
                + "<br>Fix the project (see <tt>annotator check</tt>) before labelling this document."
            )
            self.host.banner.show()
            self.host.view.set_content(text, [], [])
            self.host.panel.show_annotation(None, self.project.schema, False)
        else:
            self.host.banner.hide()
            self.host.view.set_content(text, annotation.spans, arrows_of(annotation))
            self.host.panel.show_annotation(annotation, self.project.schema, self.session.writable)
        self.host.document_shown(text)
        if self.document_list is not None:
            self.document_list.select(doc_id)
        self.host.settings.set_last_document(self._project_path(), doc_id)
        self.host.update_title()

    def _focus_document(self, doc_id: str) -> None:
        if doc_id != self.current:
            self.show_document(doc_id)

    def step_document(self, step: int) -> None:
        if self.document_list is None:
            return
        target = self.document_list.neighbour(self.current, step)
        if target is not None:
            self.show_document(target)
        else:
            self.host.show_status("No more documents in that direction", 3000)

    def next_unlabelled(self) -> None:
        if self.document_list is None:
            return
        from annotator.ui.live_refresh import routes

        if routes(self.project):
            self._next_routed()
            return
        if self.host.settings.least_sure_first:
            candidates = list(self.document_list.unlabelled_after(self.current))
            ordered = self.host.assist.least_sure_first(candidates)
            target = ordered[0] if ordered else None
        else:
            target = self.document_list.next_unlabelled(self.current)
        if target is None:
            self.host.show_status("Every document has been started", 4000)
        else:
            self.show_document(target)

    def _next_routed(self) -> None:
        """On a team server the store hands the next document out (claiming it)."""
        from annotator.ui.live_refresh import next_routed, team_progress

        assert self.project is not None and self.document_list is not None
        try:
            target = next_routed(self.project, self.host.annotator)
        except AnnotatorError as exc:
            self.host.show_status(f"No document was handed out: {exc}", 8000)
            return
        self.document_list.show_team(team_progress(self.project))
        if target is None:
            self.host.show_status(
                "No document needs you now: every document has its analysts", 8000
            )
        else:
            self.show_document(target)

    def done_and_next(self) -> None:
        self.host.editing.set_status("done")
        self.next_unlabelled()

    def save_now(self) -> None:
        if self.session is None:
            return
        self.host.editing.commit_note()
        if self.session.save_all():
            self.host.show_status("Saved", 2000)
        else:
            self.host.show_status("Could not save: " + next(iter(self.session.unsaved.values())))
        self.host.update_title()

    def save_or_ask(self) -> bool:
        """Save everything; if that fails, ask whether to leave anyway. True = go ahead."""
        from PySide6.QtWidgets import QMessageBox

        if self.session is None:
            return True
        self.host.editing.commit_note()
        if self.session.save_all():
            return True
        reason = next(iter(self.session.unsaved.values()))
        answer = QMessageBox.warning(
            self.host.window(),
            "Labels not saved",
            f"{len(self.session.unsaved)} document(s) could not be saved:\n{reason}\n\n"
            "Leave anyway and lose those edits?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    def edit_schema(self) -> None:
        if self.project is None or self.session is None:
            return
        if not self.session.writable:
            self.host.show_status("Read-only: the labels cannot be edited", 4000)
            return
        from annotator.ui.schema_editor import SchemaEditor

        editor = SchemaEditor(self.project.schema, self.host.window())
        if editor.exec() != SchemaEditor.DialogCode.Accepted:
            return
        self.apply_schema(editor.result_schema, editor.renames, editor.category_renames)

    def apply_schema(
        self,
        schema: LabelSchema,
        renames: dict[str, str],
        category_renames: CategoryRenames | None = None,
    ) -> None:
        """Save a new schema; renamed labels are renamed on every one of this annotator's
        spans, and their documents' choices follow renamed or removed categories."""
        if self.project is None or self.session is None:
            return
        from annotator.editing.category_changes import (
            CategoryRenames,
            categories_changed,
            migrate_cats,
        )

        self.session.save_all()
        cat_renames = category_renames or CategoryRenames()
        follow = categories_changed(self.project.schema, schema, cat_renames)
        store = self.session.store
        # Read before the schema changes: a document whose choices no longer fit the new
        # one would be read as not fitting, and left alone.
        doc_ids = list(store.doc_ids()) if renames or follow else []
        annotations = {doc_id: self.session.annotation(doc_id) for doc_id in doc_ids}
        self.project.set_schema(schema)
        for doc_id, annotation in annotations.items():
            if self.session.problems(doc_id):
                continue
            changed = sum(annotation.rename_label(old, new) for old, new in renames.items())
            if follow and annotation.cats:
                cats = migrate_cats(annotation.cats, schema, cat_renames)
                if cats != annotation.cats:
                    annotation.cats = cats
                    annotation.touch()
                    changed += 1
            if changed:
                self.session.save(doc_id)
        # Commands refer to label names that may no longer exist.
        self.host.undo_stack.clear()
        self.host.show_schema(schema)
        current, self.current = self.current, None
        if current is not None:
            self.show_document(current)
        self.host.show_status("Labels saved", 3000)


def _location(text: str) -> str | Path:
    from annotator.store.open import project_location

    return project_location(text)


def describe_error(exc: AnnotatorError | OSError) -> str:
    """One line naming the file, as the command line prints it."""
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    return str(exc)
