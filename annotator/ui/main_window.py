"""The labelling window: document list, article view, label palette, spans panel."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QByteArray, QPoint, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QCursor, QKeySequence, QPaintEvent, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from annotator.core.errors import AnnotatorError, LockedError
from annotator.core.status import STATUSES, Status
from annotator.ui import commands
from annotator.ui.assist_controller import AssistController
from annotator.ui.colors import LabelColors
from annotator.ui.document_view import Arrow, DocumentView
from annotator.ui.lazy_qt import Qt, new_action, set_shortcut
from annotator.ui.palette import LabelPalette
from annotator.ui.session import Change, Session
from annotator.ui.settings import Settings
from annotator.ui.snapping import adjust
from annotator.ui.statuses import STATUS_TEXT
from annotator.ui.theme import apply_theme

if TYPE_CHECKING:
    # The store, the models (pydantic) and the dialogs are loaded when first needed: the
    # window shows first, then opens its project (``open_later``). Qt's dialog classes
    # are imported where they are used for the same reason: PySide6 sets up a Qt class
    # (its enums) the first time it is named, and the first paint needs none of them.
    from PySide6.QtWidgets import QMessageBox

    from annotator.core.models import DocumentAnnotation, LabelSchema, Relation, Span
    from annotator.store import AnnotationStore, Project
    from annotator.ui.document_list import DocumentList
    from annotator.ui.find_bar import FindBar
    from annotator.ui.help_dialog import HelpDialog
    from annotator.ui.spans_panel import SpansPanel

STATUS_KEYS: dict[Status, str] = {
    "todo": "Alt+1",
    "in_progress": "Alt+2",
    "done": "Alt+3",
    "skipped": "Alt+4",
    "flagged": "Alt+5",
}

# Where the docks go on a first start: the document list on the left, 330 px wide; the
# label palette above the spans panel on the right, 360 px wide, the palette as tall as
# the default labels need. It is what saveState() wrote of the window at its first size
# (1400 x 860) with the sample project open, so the docks keep their places when the
# project and the spans panel arrive after the first frame; tests/ui/test_deferred_loading.py
# checks both.
DEFAULT_LAYOUT = bytes.fromhex(
    "000000ff00000000fd00000002000000000000014a00000333fc0200000001fb0000001a0064006f"
    "00630075006d0065006e007400730044006f0063006b0100000013000003330000008e00ffffff00"
    "0000010000016800000333fc0200000002fb00000014006c006100620065006c00730044006f0063"
    "006b0100000013000000ff000000ff00fffffffb00000012007300700061006e00730044006f0063"
    "006b01000001180000022e0000010a00ffffff000002ba0000033300000004000000040000000800"
    "000008fc00000000"
)


class MainWindow(QMainWindow):
    """The labelling window.

    Built on a project path, it opens the project before returning. Built on None, it
    shows no project until ``open_later`` (or ``open_project``) opens one: the app shows
    the window that way first and opens the project on the next turn of the event loop,
    so the window appears without waiting for pydantic, the store and the first document.
    Until then every action that needs a project does nothing (the same guards that cover
    an empty project), and input queued meanwhile is handled after the load.
    """

    # A project was opened: its documents are listed and the first one is shown.
    loaded = Signal()
    # Opening a project with ``open_later`` failed; the message names the file.
    loadFailed = Signal(str)

    def __init__(
        self, project_path: Path | None, annotator: str, settings: Settings | None = None
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.settings = settings or Settings()
        self.annotator = annotator
        self.project: Project | None = None
        self.session: Session | None = None
        self.current: str | None = None
        self.pending_relation: tuple[str, str] | None = None  # (relation type, head span id)
        self.undo_stack = QUndoStack(self)
        self.label_actions: list[QAction] = []
        self.lock_message: QMessageBox | None = None

        self.colors = LabelColors()  # no labels until a project opens
        self.view = DocumentView(self.colors)
        self.view.set_font_size(self.settings.font_size)
        self.banner = QLabel()
        self.banner.setObjectName("textMismatchBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "background: #fff3cd; color: #5c4500; border: 1px solid #e0c36c; padding: 6px;"
        )
        self.banner.hide()
        self._find_bar: FindBar | None = None  # built when first asked for (find_bar)
        central = QWidget()
        self.central_layout = QVBoxLayout(central)
        self.central_layout.setContentsMargins(0, 0, 0, 0)
        self.central_layout.setSpacing(0)
        self.central_layout.addWidget(self.banner)
        self.central_layout.addWidget(self.view)
        self.setCentralWidget(central)

        self.palette_widget = LabelPalette()
        self.palette_widget.snapping.setChecked(self.settings.snapping)
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1400, 860)
        # The layout is restored before the docks exist, and each dock takes its place
        # from it (restoreDockWidget): placing a dock by its area would name Qt's enums
        # before the first frame (lazy_qt.py). A saved layout without some dock
        # (from an older version) places that one by its area.
        state = self.settings.window_state()
        if state is None or not self.restoreState(state):
            self.restoreState(QByteArray(DEFAULT_LAYOUT))
        self.list_dock = self._dock("Documents", "documentsDock", QWidget(), "left")
        self.palette_dock = self._dock("Labels", "labelsDock", self.palette_widget, "right")
        # The spans panel comes with the project, as the document list does (``panel``).
        self._panel: SpansPanel | None = None
        self.panel_dock = self._dock("This document", "spansDock", QWidget(), "right")
        self.document_list: DocumentList | None = None
        self.review_window: QMainWindow | None = None

        self.save_label = QLabel()
        self.save_label.setObjectName("saveState")
        # Wide enough for the usual states, so the text does not jump or get clipped.
        self.save_label.setMinimumWidth(
            self.save_label.fontMetrics().horizontalAdvance("All changes saved") + 16
        )
        self.annotator_label = QLabel()
        self.statusBar().addPermanentWidget(self.save_label)
        self.statusBar().addPermanentWidget(self.annotator_label)

        self._build_actions()
        self._connect()
        # Suggestions and label-all-mentions (assist_*.py) observe the window.
        self.assist = AssistController(self)
        self._pending: tuple[Path, Callable[[], object] | None] | None = None
        self._painted = False
        self._load_timer = QTimer(self)
        self._load_timer.setSingleShot(True)
        self._load_timer.timeout.connect(self._load_pending)
        if project_path is not None:
            self.load_project(project_path)

    # --- construction ------------------------------------------------------------------------

    def _dock(
        self, title: str, name: str, widget: QWidget, side: Literal["left", "right"]
    ) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        if not self.restoreDockWidget(dock):
            area = Qt.DockWidgetArea.LeftDockWidgetArea
            if side == "right":
                area = Qt.DockWidgetArea.RightDockWidgetArea
            self.addDockWidget(area, dock)
        return dock

    def _action(
        self,
        menu: QMenu,
        text: str,
        slot: Callable[[], object],
        keys: str | list[str] | QKeySequence.StandardKey = "",
        checkable: bool = False,
    ) -> QAction:
        action = new_action(text, self)
        if isinstance(keys, QKeySequence.StandardKey):
            action.setShortcuts(keys)
        elif isinstance(keys, list):
            action.setShortcuts([QKeySequence(key) for key in keys])
        elif keys:
            set_shortcut(action, keys)
        action.setCheckable(checkable)
        if checkable:
            action.toggled.connect(lambda _checked: slot())
        else:
            action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&Open project…", self.choose_project, "Ctrl+O")
        self.recent_menu = file_menu.addMenu("Recent projects")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._action(file_menu, "&Save", self.save_now, "Ctrl+S")
        file_menu.addSeparator()
        self._action(file_menu, "&Import documents and labels…", self.import_files, "Ctrl+I")
        self._action(file_menu, "&Export labels…", self.export_labels, "Ctrl+Shift+S")
        file_menu.addSeparator()
        self._action(file_menu, "&Review and agreement…", self.open_review_window, "Ctrl+Shift+R")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, "Ctrl+Q")

        edit = bar.addMenu("&Edit")
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        set_shortcut(self.undo_action, "Ctrl+Z")
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for action in (self.undo_action, self.redo_action):
            edit.addAction(action)
            self.addAction(action)
        edit.addSeparator()
        self._action(edit, "&Delete selected span", self.delete_selected_span, ["Del", "Backspace"])
        self._action(edit, "Edit span &note…", self.edit_selected_span_note, "Ctrl+E")
        self._action(edit, "&Find in document", self.open_find, "Ctrl+F")
        self._action(edit, "Find &next", lambda: self.find_bar.search(True), "F3")
        self._action(edit, "Cancel / clear selection", self.cancel, "Esc")
        self.snap_action = self._action(
            edit, "Snap selection to &words", self._snapping_toggled, "Ctrl+Shift+W", checkable=True
        )
        self.snap_action.setChecked(self.settings.snapping)

        self.labels_menu = bar.addMenu("&Labels")

        document = bar.addMenu("&Document")
        self._action(
            document, "&Next document", lambda: self.step_document(1), ["Ctrl+PgDown", "Alt+Down"]
        )
        self._action(
            document, "&Previous document", lambda: self.step_document(-1), ["Ctrl+PgUp", "Alt+Up"]
        )
        self._action(document, "Next &unlabelled document", self.next_unlabelled, "Ctrl+J")
        document.addSeparator()
        self.status_actions: dict[str, QAction] = {}
        for status in STATUSES:
            self.status_actions[status] = self._action(
                document,
                f"Mark {STATUS_TEXT[status]}",
                partial(self.set_status, status),
                STATUS_KEYS[status],
            )
        self._action(
            document, "Mark done and go to next unlabelled", self.done_and_next, "Ctrl+Return"
        )
        self._action(document, "Edit document note", self._focus_note, "Ctrl+Shift+E")

        view = bar.addMenu("&View")
        self._action(view, "&Bigger text", lambda: self.change_font(1), ["Ctrl++", "Ctrl+="])
        self._action(view, "&Smaller text", lambda: self.change_font(-1), "Ctrl+-")
        self.dark_action = self._action(
            view, "&Dark palette", self._dark_toggled, "Ctrl+Shift+D", checkable=True
        )
        self.arrows_action = self._action(
            view, "Show all &attributions", self._arrows_toggled, "Ctrl+Shift+A", checkable=True
        )
        self.arrows_action.setChecked(True)
        view.addSeparator()
        for dock in (self.list_dock, self.palette_dock, self.panel_dock):
            view.addAction(dock.toggleViewAction())

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", self.show_help, ["F1", "Ctrl+/"])

    def _connect(self) -> None:
        self.view.spanClicked.connect(self.on_span_clicked)
        self.view.spanContextMenu.connect(self.span_menu)
        self.view.selectionRangeChanged.connect(self._selection_changed)
        self.palette_widget.labelClicked.connect(self.apply_label)
        self.palette_widget.relationClicked.connect(self.start_relation)
        self.palette_widget.snapping.toggled.connect(self.snap_action.setChecked)

    @property
    def panel(self) -> SpansPanel:
        """The document's status, note, spans and attributions, built with the first project
        (or when first asked for). Before a project it would show nothing, and its item
        views and their Qt classes were 34M instructions of the first frame, a fifth of
        what the window adds to a bare one (callgrind, bench_startup's children)."""
        if self._panel is None:
            from annotator.ui.spans_panel import SpansPanel

            panel = SpansPanel()
            panel.spanActivated.connect(lambda span_id: self.select_span(span_id, reveal=True))
            panel.spanMenuRequested.connect(self.span_menu)
            panel.relationActivated.connect(self._relation_activated)
            panel.relationDeleteRequested.connect(self.remove_relation)
            panel.statusChosen.connect(lambda status: self.set_status(status))
            panel.noteEdited.connect(self.set_note)
            panel.show_annotation(None, None, False)
            self.panel_dock.setWidget(panel)
            self._panel = panel
        return self._panel

    def _focus_note(self) -> None:
        if self.current is not None:
            self.panel.note.setFocus()

    def _build_label_actions(self) -> None:
        assert self.project is not None
        for action in self.label_actions:
            self.removeAction(action)
        self.labels_menu.clear()
        self.label_actions = []
        schema = self.project.schema
        for label in schema.labels:
            action = self._action(
                self.labels_menu,
                f"Label {label.name}",
                partial(self.apply_label, label.name),
                label.hotkey,
            )
            action.setObjectName(f"labelAction_{label.name}")
            self.label_actions.append(action)
        self.labels_menu.addSeparator()
        for relation in schema.relations:
            action = self._action(
                self.labels_menu,
                f"Attribute: {relation.name} (then click the target span)",
                partial(self.start_relation, relation.name),
                relation.hotkey,
            )
            action.setObjectName(f"relationAction_{relation.name}")
            self.label_actions.append(action)
        self.labels_menu.addSeparator()
        self.label_actions.append(
            self._action(self.labels_menu, "Edit labels…", self.edit_schema, "Ctrl+Shift+L")
        )

    # --- project -----------------------------------------------------------------------------

    def open_later(self, path: Path, prepare: Callable[[], object] | None = None) -> None:
        """Open the project once the window has painted, on the event loop's next turn.

        A window not painted within a second (shown minimised, never shown) opens it then.
        ``prepare`` runs first, in the same turn. Success emits ``loaded``; an AnnotatorError
        or OSError leaves the window without a project, says why in the status bar and emits
        ``loadFailed``.
        """
        self._pending = (path, prepare)
        self.setWindowTitle(f"Opening {path.name}… — annotator ({self.annotator})")
        self.statusBar().showMessage(f"Opening {path}…")
        self._load_timer.start(0 if self._painted else 1000)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            # A zero timer started while painting fires after this frame is on screen, not
            # before it (one started before show() can run ahead of the first paint).
            if self._pending is not None:
                self._load_timer.start(0)

    @property
    def loading(self) -> bool:
        """A project is waiting to be opened by ``open_later``."""
        return self._pending is not None

    def _load_pending(self) -> None:
        if self._pending is None:
            return
        path, prepare = self._pending
        self._pending = None
        self.statusBar().clearMessage()
        try:
            if prepare is not None:
                prepare()
            self.load_project(path)
        except (AnnotatorError, OSError) as exc:
            message = describe_error(exc)
            self._close_project()
            self.setWindowTitle(f"annotator ({self.annotator})")
            self.statusBar().showMessage(f"Could not open the project: {message}")
            self.loadFailed.emit(message)

    def load_project(self, path: Path) -> None:
        """Open a project now (a scheduled ``open_later`` is dropped); emits ``loaded``."""
        self._pending = None
        self._load_timer.stop()
        self._open(path)
        self.loaded.emit()

    def _open(self, path: Path) -> None:
        from annotator.store import Project
        from annotator.ui.document_list import DocumentList

        # Close first: reopening the same project must not find our own lock held.
        self._close_project()
        project = Project.open(path)
        read_only_reason = ""
        store: AnnotationStore
        try:
            store = project.annotations(self.annotator, writable=True)
        except LockedError as exc:
            read_only_reason = str(exc)
            store = project.annotations(self.annotator, writable=False)
        self.project = project
        self.session = Session(project, self.annotator, store, read_only_reason)
        self.session.listeners.append(self._on_change)
        self.session.focus = self._focus_document
        self.session.schedule = lambda save: QTimer.singleShot(0, save)
        self.session.saved = self._update_title
        self.undo_stack.clear()
        self.settings.remember_project(path)

        self.colors = LabelColors(project.schema)
        self.view.set_colors(self.colors)
        self.palette_widget.set_schema(project.schema)
        self._build_label_actions()
        document_list = DocumentList(self.session)
        document_list.documentChosen.connect(self.show_document)
        self.list_dock.setWidget(document_list)
        if self.document_list is not None:
            self.document_list.deleteLater()
        self.document_list = document_list
        self.annotator_label.setText(f"  {self.annotator}  ")

        problems = [*project.problems, *store.problems]
        if read_only_reason:
            self._warn_locked(read_only_reason)
        elif problems:
            self.statusBar().showMessage(problems[0], 15000)

        entries = project.entries()
        if not entries:
            self.current = None
            self.view.set_content("No documents yet: add some with `annotator import`.", [], [])
            self.panel.show_annotation(None, project.schema, False)
            self._update_title()
            return
        last = self.settings.last_document(path)
        first = last if last in project else self._first_open_document()
        self.show_document(first)

    def _first_open_document(self) -> str:
        assert self.project is not None and self.session is not None
        for entry in self.project.entries():
            if self.session.status(entry.id) in ("todo", "in_progress"):
                return entry.id
        return self.project.entries()[0].id

    def _warn_locked(self, reason: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        self.statusBar().showMessage(f"Read-only: {reason}")
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Labels opened read-only",
            f"{reason}\n\nAnother program is labelling as {self.annotator!r} in this project. "
            "The labels are shown read-only; close the other program to edit them here.",
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setObjectName("lockedMessage")
        self.lock_message = box
        QTimer.singleShot(0, box.open)

    def _close_project(self) -> None:
        if self.session is not None:
            self.session.save_all()
        if self.project is not None:
            self.project.close()
        self.project = None
        self.session = None
        self.current = None
        self.pending_relation = None

    def import_files(self) -> None:
        if self.project is None or self.session is None:
            return
        self.session.save_all()
        from annotator.ui.import_dialog import ImportDialog

        dialog = ImportDialog(self.project, self.annotator, self)
        dialog.imported.connect(lambda _summary: self.load_project(self._project_path()))
        dialog.exec()

    def export_labels(self) -> None:
        if self.project is None or self.session is None:
            return
        self.session.save_all()
        from annotator.ui.export_dialog import ExportDialog

        ExportDialog(self.project, self.annotator, self).exec()

    def open_review_window(self) -> None:
        """Review mode in its own window: the reviewer settles a gold layer from everyone's labels."""
        from PySide6.QtWidgets import QMessageBox

        if self.project is None or self.session is None:
            return
        self.session.save_all()
        from annotator.ui.review_mode import open_review

        try:
            window = open_review(self.project.path, self.annotator)
        except AnnotatorError as exc:
            QMessageBox.warning(self, "Cannot open review mode", str(exc))
            return
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.review_window = window
        window.show()

    def _project_path(self) -> Path:
        assert self.project is not None
        return self.project.path

    def choose_project(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        folder = QFileDialog.getExistingDirectory(self, "Open project folder")
        if folder:
            self.open_project(Path(folder))

    def open_project(self, path: Path) -> None:
        from PySide6.QtWidgets import QMessageBox

        if not self._save_or_ask():
            return
        from annotator.store import Project

        try:
            Project.open(path).close()
        except AnnotatorError as exc:
            QMessageBox.warning(self, "Cannot open project", str(exc))
            self.settings.forget_project(str(path))
            return
        self.load_project(path)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for item in self.settings.recent_projects():
            action = self.recent_menu.addAction(item)
            action.triggered.connect(lambda _=False, p=item: self.open_project(Path(p)))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    # --- documents -----------------------------------------------------------------------------

    def show_document(self, doc_id: str) -> None:
        if self.project is None or self.session is None or doc_id not in self.project:
            return
        if doc_id == self.current:
            if self.document_list is not None:
                self.document_list.select(doc_id)
            return
        self._commit_note()
        self.pending_relation = None
        self.current = doc_id
        text = self.project.get_text(doc_id)
        annotation = self.session.annotation(doc_id)
        problems = self.session.problems(doc_id)
        if problems:
            self.banner.setText(
                "<b>These labels were made on a different text and are not shown.</b> "
                + "<br>".join(problems)
                + "<br>Fix the project (see <tt>annotator check</tt>) before labelling this document."
            )
            self.banner.show()
            self.view.set_content(text, [], [])
            self.panel.show_annotation(None, self.project.schema, False)
        else:
            self.banner.hide()
            self.view.set_content(text, annotation.spans, _arrows(annotation))
            self.panel.show_annotation(annotation, self.project.schema, self.session.writable)
        if self._find_bar is not None:
            self._find_bar.set_text(text)
        if self.document_list is not None:
            self.document_list.select(doc_id)
        self.settings.set_last_document(self.project.path, doc_id)
        self._update_title()

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
            self.statusBar().showMessage("No more documents in that direction", 3000)

    def next_unlabelled(self) -> None:
        if self.document_list is None:
            return
        target = self.document_list.next_unlabelled(self.current)
        if target is None:
            self.statusBar().showMessage("Every document has been started", 4000)
        else:
            self.show_document(target)

    def done_and_next(self) -> None:
        self.set_status("done")
        self.next_unlabelled()

    # --- editing -------------------------------------------------------------------------------

    def _editable(self) -> DocumentAnnotation | None:
        """The current annotation if it may be edited; otherwise says why in the status bar."""
        if self.session is None or self.current is None:
            return None
        if not self.session.writable:
            self.statusBar().showMessage(f"Read-only: {self.session.read_only_reason}", 5000)
            return None
        if self.session.problems(self.current):
            self.statusBar().showMessage(
                "This document's labels do not fit its text; not editable", 5000
            )
            return None
        return self.session.annotation(self.current)

    def _span(self, span_id: str | None) -> Span | None:
        """A span of the document in view, from the view's own table (no scan of 10,000)."""
        return self.view.spans.get(span_id) if span_id else None

    def _push(self, command: commands.AnnotationCommand) -> None:
        self.undo_stack.push(command)

    def apply_label(self, label: str) -> None:
        """Label the selection, or relabel the selected span (the palette and hotkeys)."""
        annotation = self._editable()
        if annotation is None or self.session is None or self.current is None:
            return
        selection = self.view.selected_range()
        if selection is None:
            span = self._span(self.view.selected_span)
            if span is None:
                self.statusBar().showMessage(
                    "Select some text first, or click a span to relabel it", 4000
                )
            elif span.label != label:
                self._push(commands.RelabelSpan(self.session, self.current, span, label))
            return
        text = self.view.text
        target = adjust(text, *selection, snapping=self.snap_action.isChecked())
        if target is None:
            self.statusBar().showMessage(
                "Nothing to label: the selection is only spaces or punctuation", 4000
            )
            return
        start, end = target
        # The view's index holds the same spans, sorted: no scan of 10,000 of them.
        existing = self.view.index.find(start, end, label)
        if existing is not None:
            self.statusBar().showMessage(f"Already labelled {label}", 3000)
        else:
            from annotator.core.models import Span

            span = Span.of(text, start, end, label, self.session.next_span_id(self.current))
            command = commands.AddSpan(self.session, self.current, span)
            if annotation.status == "todo":
                self.undo_stack.beginMacro(command.text())
                self._push(command)
                self._push(commands.SetStatus(self.session, self.current, "in_progress", "todo"))
                self.undo_stack.endMacro()
            else:
                self._push(command)
            existing = span
        self.view.clear_selection()
        self.select_span(existing.id)

    def delete_selected_span(self) -> None:
        annotation = self._editable()
        if annotation is None or self.session is None or self.current is None:
            return
        span = self._span(self.view.selected_span)
        if span is None:
            self.statusBar().showMessage("Click a span first, then press Delete", 3000)
            return
        self._push(commands.RemoveSpan(self.session, self.current, span))

    def relabel(self, span_id: str, label: str) -> None:
        annotation = self._editable()
        span = self._span(span_id) if annotation is not None else None
        if span is not None and span.label != label and self.session and self.current:
            self._push(commands.RelabelSpan(self.session, self.current, span, label))

    def delete_span(self, span_id: str) -> None:
        annotation = self._editable()
        span = self._span(span_id) if annotation is not None else None
        if span is not None and self.session and self.current:
            self._push(commands.RemoveSpan(self.session, self.current, span))

    def edit_selected_span_note(self) -> None:
        if self.view.selected_span:
            self.edit_span_note(self.view.selected_span)

    def edit_span_note(self, span_id: str) -> None:
        from PySide6.QtWidgets import QInputDialog

        annotation = self._editable()
        span = self._span(span_id) if annotation is not None else None
        if span is None or self.session is None or self.current is None:
            return
        note, ok = QInputDialog.getText(
            self, "Span note", f"Note on {span.label} “{span.text[:60]}”", text=span.note
        )
        if ok and note != span.note:
            self._push(commands.SetSpanNote(self.session, self.current, span, note))

    def set_status(self, status: str) -> None:
        annotation = self._editable()
        if annotation is None or self.session is None or self.current is None:
            self._refresh_panel()
            return
        if status in STATUSES and status != annotation.status:
            self._push(commands.SetStatus(self.session, self.current, status, annotation.status))

    def set_note(self, note: str) -> None:
        annotation = self._editable()
        if annotation is None or self.session is None or self.current is None:
            return
        if note != annotation.note:
            self._push(commands.SetNote(self.session, self.current, note, annotation.note))

    def _commit_note(self) -> None:
        """A note typed but not confirmed with Enter is kept when leaving the document."""
        if (
            self.current is not None
            and self.session is not None
            and self.session.can_edit(self.current)
        ):
            note = self.panel.note.text()
            if note != self.session.annotation(self.current).note:
                self.set_note(note)

    # --- relations -----------------------------------------------------------------------------

    def start_relation(self, relation_name: str) -> None:
        annotation = self._editable()
        if annotation is None or self.project is None:
            return
        relation = self.project.schema.relation(relation_name)
        span = self._span(self.view.selected_span)
        if relation is None:
            return
        if span is None:
            heads = " or ".join(relation.head) or "span"
            self.statusBar().showMessage(
                f"Click a {heads} span first, then press {relation.hotkey or relation.name}", 5000
            )
            return
        if relation.head and span.label not in relation.head:
            self.statusBar().showMessage(
                f"{relation.name} starts from {' or '.join(relation.head)}, not {span.label}", 5000
            )
            return
        self.pending_relation = (relation_name, span.id)
        self.view.viewport().setCursor(QCursor(Qt.CursorShape.CrossCursor))
        self.statusBar().showMessage(
            f"{relation.name}: now click the {' / '.join(relation.tail) or 'target'} span (Esc cancels)"
        )

    def _finish_relation(self, tail_id: str) -> None:
        assert self.pending_relation is not None
        relation_name, head_id = self.pending_relation
        self._end_relation_mode()
        annotation = self._editable()
        if (
            annotation is None
            or self.project is None
            or self.session is None
            or self.current is None
        ):
            return
        relation = self.project.schema.relation(relation_name)
        head, tail = self._span(head_id), self._span(tail_id)
        if relation is None or head is None or tail is None:
            return
        if tail.id == head.id:
            self.statusBar().showMessage("A span cannot be attributed to itself", 4000)
        elif not relation.allows(head.label, tail.label):
            self.statusBar().showMessage(
                f"{relation.name} cannot link {head.label} to {tail.label}; "
                f"allowed targets: {', '.join(relation.tail)}",
                6000,
            )
        elif annotation.find_relation(relation.name, head.id, tail.id) is not None:
            self.statusBar().showMessage("That attribution already exists", 3000)
        else:
            from annotator.core.models import Relation

            new = Relation(
                id=annotation.next_relation_id(), label=relation.name, head=head.id, tail=tail.id
            )
            self._push(commands.AddRelation(self.session, self.current, new))
            self.statusBar().showMessage(f"{head.label} → {relation.name} → {tail.label}", 4000)
        self.select_span(head.id)

    def _end_relation_mode(self) -> None:
        self.pending_relation = None
        self.view.viewport().setCursor(QCursor(Qt.CursorShape.IBeamCursor))
        self.statusBar().clearMessage()

    def remove_relation(self, relation_id: str) -> None:
        annotation = self._editable()
        relation = annotation.relation(relation_id) if annotation is not None else None
        if relation is not None and self.session is not None and self.current is not None:
            self._push(commands.RemoveRelation(self.session, self.current, relation))

    def _relation_activated(self, relation_id: str) -> None:
        if self.session is None or self.current is None:
            return
        relation = self.session.annotation(self.current).relation(relation_id)
        if relation is not None:
            self.select_span(relation.head, reveal=True)

    # --- selection and clicks ------------------------------------------------------------------

    def select_span(self, span_id: str | None, reveal: bool = False) -> None:
        self.view.select_span(span_id, reveal=reveal)
        if self._panel is not None:  # none before the first project: nothing to select
            self._panel.select_span(self.view.selected_span)

    def on_span_clicked(self, span_id: str) -> None:
        if self.pending_relation is not None:
            if span_id:
                self._finish_relation(span_id)
            else:
                self._end_relation_mode()
            return
        self.select_span(span_id or None)

    def _selection_changed(self) -> None:
        if self.view.textCursor().hasSelection() and self.view.selected_span is not None:
            self.select_span(None)

    def cancel(self) -> None:
        if self.pending_relation is not None:
            self._end_relation_mode()
        elif self._find_bar is not None and self._find_bar.isVisible():
            self._find_bar.close_bar()
        else:
            self.view.clear_selection()
            self.select_span(None)

    def span_menu(self, span_id: str, position: QPoint) -> None:
        if self.session is None or self.current is None or self.project is None:
            return
        menu = QMenu(self)
        annotation = self.session.annotation(self.current)
        span = self._span(span_id)
        if span is None:
            if self.view.selected_range() is not None:
                label_menu = menu.addMenu("Label selection as")
                for label in self.project.schema.labels:
                    label_menu.addAction(label.name, partial(self.apply_label, label.name))
            else:
                return
        else:
            self.select_span(span.id)
            relabel = menu.addMenu("Relabel as")
            for label in self.project.schema.labels:
                action = relabel.addAction(label.name, partial(self.relabel, span.id, label.name))
                action.setEnabled(label.name != span.label)
            menu.addAction("Edit note…", partial(self.edit_span_note, span.id))
            for relation in self.project.schema.relations:
                if not relation.head or span.label in relation.head:
                    menu.addAction(
                        f"{relation.name}… (then click the target)",
                        partial(self.start_relation, relation.name),
                    )
            relations = annotation.relations_of(span.id)
            if relations:
                remove = menu.addMenu("Remove attribution")
                for rel in relations:
                    other = self._span(rel.tail if rel.head == span.id else rel.head)
                    caption = f"{rel.label} {other.label if other else '?'} “{other.text[:30] if other else ''}”"
                    remove.addAction(caption, partial(self.remove_relation, rel.id))
            menu.addSeparator()
            menu.addAction("Delete span", partial(self.delete_span, span.id))
        menu.exec(position)

    # --- find ------------------------------------------------------------------------------------

    @property
    def find_bar(self) -> FindBar:
        """The find bar above the text, built the first time it is needed: the window's
        first frame does without it (and without its module)."""
        if self._find_bar is None:
            from annotator.ui.find_bar import FindBar

            bar = FindBar()
            bar.hide()
            bar.set_text(self.view.text)
            bar.found.connect(self._found)
            bar.dismissed.connect(self.view.setFocus)
            self.central_layout.insertWidget(1, bar)  # between the banner and the text
            self._find_bar = bar
        return self._find_bar

    def open_find(self) -> None:
        cursor = self.view.textCursor()
        self.find_bar.open_bar(self.view.offsets.from_qt(cursor.position()))

    def _found(self, start: int, end: int) -> None:
        self.view.select_range(start, end)

    # --- session events ----------------------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if self.session is None:
            return
        if self.document_list is not None:
            self.document_list.refresh(change.doc_id)
        if change.doc_id == self.current and self.project is not None:
            annotation = self.session.annotation(change.doc_id)
            if change.spans:
                self.view.update_spans(change.spans)
                self.panel.update_spans(change.spans)
            # A new or relabelled span leaves the attributions as they were, unless one of
            # them joins it: listing them again costs a pass over every span.
            if change.relations or (
                change.spans and _joined(annotation.relations, change.spans.keys())
            ):
                self.view.set_arrows(_arrows(annotation))
                self.panel.show_relations(annotation)
            if change.document:
                self.panel.show_document_fields(annotation, self.session.writable)
            self.panel.select_span(self.view.selected_span)
        self._update_title()

    def _refresh_panel(self) -> None:
        if self.session is None or self.current is None or self.project is None:
            return
        if self.session.problems(self.current):
            return
        self.panel.show_annotation(
            self.session.annotation(self.current), self.project.schema, self.session.writable
        )
        self.panel.select_span(self.view.selected_span)

    def _update_title(self) -> None:
        if self.project is None or self.session is None:
            return
        title = self.project.name
        if self.current is not None:
            title = f"{self.project.entry(self.current).title} — {title}"
        unsaved = self.session.dirty
        read_only = " [read-only]" if not self.session.writable else ""
        self.setWindowTitle(
            f"{'* ' if unsaved else ''}{title} — annotator ({self.annotator}){read_only}"
        )
        if not self.session.writable:
            self.save_label.setText("Read-only")
        elif self.session.unsaved:
            reason = next(iter(self.session.unsaved.values()))
            self.save_label.setText(f"Not saved: {reason[:80]}")
            self.save_label.setToolTip(reason)
        elif unsaved:
            self.save_label.setText("Saving…")
        else:
            self.save_label.setText("All changes saved")
            self.save_label.setToolTip("")

    # --- saving and closing ------------------------------------------------------------------------

    def save_now(self) -> None:
        if self.session is None:
            return
        self._commit_note()
        if self.session.save_all():
            self.statusBar().showMessage("Saved", 2000)
        else:
            self.statusBar().showMessage(
                "Could not save: " + next(iter(self.session.unsaved.values()))
            )
        self._update_title()

    def _save_or_ask(self) -> bool:
        """Save everything; if that fails, ask whether to leave anyway. True = go ahead."""
        from PySide6.QtWidgets import QMessageBox

        if self.session is None:
            return True
        self._commit_note()
        if self.session.save_all():
            return True
        reason = next(iter(self.session.unsaved.values()))
        answer = QMessageBox.warning(
            self,
            "Labels not saved",
            f"{len(self.session.unsaved)} document(s) could not be saved:\n{reason}\n\n"
            "Leave anyway and lose those edits?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._save_or_ask():
            event.ignore()
            return
        # A project still waiting to open must not open in a closed window.
        self._pending = None
        self._load_timer.stop()
        self.settings.save_layout(self.saveGeometry(), self.saveState())
        self.settings.sync()
        self._close_project()
        event.accept()

    # --- schema, view settings, help ---------------------------------------------------------------

    def edit_schema(self) -> None:
        if self.project is None or self.session is None:
            return
        if not self.session.writable:
            self.statusBar().showMessage("Read-only: the labels cannot be edited", 4000)
            return
        from annotator.ui.schema_editor import SchemaEditor

        editor = SchemaEditor(self.project.schema, self)
        if editor.exec() != SchemaEditor.DialogCode.Accepted:
            return
        self.apply_schema(editor.result_schema, editor.renames)

    def apply_schema(self, schema: LabelSchema, renames: dict[str, str]) -> None:
        """Save a new schema; renamed labels are renamed on every one of this annotator's spans."""
        if self.project is None or self.session is None:
            return
        self.session.save_all()
        self.project.set_schema(schema)
        if renames:
            store = self.session.store
            for doc_id in store.doc_ids():
                annotation = self.session.annotation(doc_id)
                if self.session.problems(doc_id):
                    continue
                changed = sum(annotation.rename_label(old, new) for old, new in renames.items())
                if changed:
                    self.session.save(doc_id)
        # Commands refer to label names that may no longer exist.
        self.undo_stack.clear()
        self.colors = LabelColors(schema)
        self.view.set_colors(self.colors)
        self.palette_widget.set_schema(schema)
        self._build_label_actions()
        current, self.current = self.current, None
        if current is not None:
            self.show_document(current)
        self.statusBar().showMessage("Labels saved", 3000)

    def change_font(self, step: int) -> None:
        size = min(max(self.settings.font_size + step, 7.0), 40.0)
        self.settings.font_size = size
        self.view.set_font_size(size)

    def _dark_toggled(self) -> None:
        dark = self.dark_action.isChecked()
        self.settings.dark = dark
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, dark)
        self.view.viewport().update()

    def _snapping_toggled(self) -> None:
        checked = self.snap_action.isChecked()
        self.settings.snapping = checked
        if self.palette_widget.snapping.isChecked() != checked:
            self.palette_widget.snapping.setChecked(checked)

    def _arrows_toggled(self) -> None:
        # Checked while the window is built: nothing to repaint yet.
        if self.view.show_all_arrows != self.arrows_action.isChecked():
            self.view.show_all_arrows = self.arrows_action.isChecked()
            self.view.viewport().update()

    def help_dialog(self) -> HelpDialog:
        from annotator.core.models import LabelSchema
        from annotator.ui.help_dialog import HelpDialog

        schema = self.project.schema if self.project is not None else LabelSchema()
        # Label and relation hotkeys are listed from the schema, with their descriptions.
        other = [
            action
            for action in self.actions()
            if not action.objectName().startswith(("labelAction_", "relationAction_"))
        ]
        return HelpDialog(other, schema, self)

    def show_help(self) -> None:
        self.help_dialog().exec()


def _arrows(annotation: DocumentAnnotation) -> list[Arrow]:
    return [Arrow(rel.head, rel.tail, rel.label) for rel in annotation.relations]


def _joined(relations: list[Relation], span_ids: Iterable[str]) -> bool:
    ids = set(span_ids)
    return any(rel.head in ids or rel.tail in ids for rel in relations)


def describe_error(exc: AnnotatorError | OSError) -> str:
    """One line naming the file, as the command line prints it."""
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    return str(exc)
