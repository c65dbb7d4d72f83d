"""The labelling window: document list, article view, label palette, spans panel.

The window lays out the widgets and shows what its parts hold: the actions table
(actions.py) makes its menus and the shortcut list, the editing controller
(editing_controller.py) makes the edits, the project loader (project_loader.py) opens
projects and documents, the assist controller (assist_controller.py) adds suggestions.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QByteArray, Signal
from PySide6.QtGui import QAction, QCloseEvent, QPaintEvent, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from annotator.ui.actions import ACTIONS, LABELS_MENU, MENUS, build_actions
from annotator.ui.assist_controller import AssistController
from annotator.ui.colors import LabelColors
from annotator.ui.document_view import DocumentView, arrows_of
from annotator.ui.editing_controller import EditingController
from annotator.ui.find_bar import FindBar
from annotator.ui.lazy_qt import Qt, new_action, set_shortcut
from annotator.ui.palette import LabelPalette
from annotator.ui.project_loader import ProjectLoader
from annotator.ui.settings import Settings
from annotator.ui.theme import apply_theme

if TYPE_CHECKING:
    # The store, the models (pydantic) and the dialogs are loaded when first needed: the
    # window shows first, then opens its project (``open_later``). Qt's dialog classes
    # are imported where they are used for the same reason: PySide6 sets up a Qt class
    # (its enums) the first time it is named, and the first paint needs none of them.
    from collections.abc import Callable

    from annotator.core.models import LabelSchema, Relation
    from annotator.editing.session import Change, Session
    from annotator.store.interface import ProjectStore
    from annotator.ui.document_list import DocumentList
    from annotator.ui.help_dialog import HelpDialog
    from annotator.ui.model_controller import ModelController
    from annotator.ui.spans_panel import SpansPanel

# Where the docks go on a first start: the document list on the left, 330 px wide; the
# label palette above the spans panel on the right, 360 px wide, the palette as tall as
# the default labels need. It is what saveState() wrote of the window at its first size
# (1400 x 860) with the sample project open, so the docks keep their places when the
# project and the spans panel arrive after the first frame; tests/ui/test_deferred_loading.py
# checks both.
# The text column's least width, in average characters of the window's font.
TEXT_MIN_CHARS = 36
DEFAULT_LAYOUT = bytes.fromhex(
    "000000ff00000000fd00000002000000000000014a00000333fc0200000001fb0000001a0064006f"
    "00630075006d0065006e007400730044006f0063006b0100000013000003330000008e00ffffff00"
    "0000010000016800000333fc0200000002fb00000014006c006100620065006c00730044006f0063"
    "006b0100000013000001090000010900fffffffb00000012007300700061006e00730044006f0063"
    "006b0100000122000002240000010a00ffffff000002ba0000033300000004000000040000000800"
    "000008fc00000000"
)


class MainWindow(QMainWindow):
    """The labelling window.

    Built on a project path, it opens the project before returning. Built on None, it
    shows no project until ``open_later`` (or ``loader.open_project``) opens one: the app shows
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
        self, project_path: str | Path | None, annotator: str, settings: Settings | None = None
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.settings = settings or Settings()
        self.annotator = annotator
        self.undo_stack = QUndoStack(self)
        self.label_actions: list[QAction] = []

        self.colors = LabelColors()  # no labels until a project opens
        self.view = DocumentView(self.colors)
        self.view.set_font_size(self.settings.font_size)
        # The docks give way before the text does: two windows side by side on a
        # 1366-pixel screen (683 each) keep a readable column of text, not a few letters.
        self.view.setMinimumWidth(
            TEXT_MIN_CHARS * self.view.fontMetrics().averageCharWidth()
            + self.view.verticalScrollBar().sizeHint().width()
        )
        self.banner = QLabel()
        self.banner.setObjectName("textMismatchBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "background: #fff3cd; color: #5c4500; border: 1px solid #e0c36c; padding: 6px;"
        )
        self.banner.hide()
        self.find_bar = FindBar()
        self.find_bar.hide()
        self.find_bar.found.connect(self._found)
        self.find_bar.dismissed.connect(self.view.setFocus)
        central = QWidget()
        self.central_layout = QVBoxLayout(central)
        self.central_layout.setContentsMargins(0, 0, 0, 0)
        self.central_layout.setSpacing(0)
        self.central_layout.addWidget(self.banner)
        self.central_layout.addWidget(self.find_bar)
        self.central_layout.addWidget(self.view)
        self.setCentralWidget(central)

        self.palette_widget = LabelPalette()
        self.palette_widget.snapping.setChecked(self.settings.snapping)
        geometry = self.settings.geometry()
        from annotator.ui.screen_fit import clamp_to_screen, fit_to_screen

        if geometry is None or not self.restoreGeometry(geometry):
            fit_to_screen(self, 1400, 860)
        else:
            clamp_to_screen(self)
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

        self.save_label = QLabel()
        self.save_label.setObjectName("saveState")
        # Wide enough for the usual states, so the text does not jump or get clipped.
        self.save_label.setMinimumWidth(
            self.save_label.fontMetrics().horizontalAdvance("All changes saved") + 16
        )
        self.annotator_label = QLabel()
        self.statusBar().addPermanentWidget(self.save_label)
        self.statusBar().addPermanentWidget(self.annotator_label)

        self.menus = self._build_menus()
        self.editing = EditingController(self)
        self.loader = ProjectLoader(self)
        self._connect()
        # Suggestions and label-all-mentions (assist_*.py) observe the window.
        self.assist = AssistController(self, self.menus["&Suggestions"])
        self._models: ModelController | None = None  # built when the Model menu is first used
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

    def _build_menus(self) -> dict[str, QMenu]:
        bar = self.menuBar()
        menus = {title: bar.addMenu(title) for title in MENUS}
        menus["&Suggestions"].setObjectName("suggestionsMenu")
        self.table_actions = build_actions(self, menus)
        self.undo_action = self.table_actions["undo"]
        self.redo_action = self.table_actions["redo"]
        self.snap_action = self.table_actions["snapToWords"]
        self.snap_action.setChecked(self.settings.snapping)
        self.dark_action = self.table_actions["darkPalette"]
        self.least_sure_action = self.table_actions["leastSureFirst"]
        self.least_sure_action.setChecked(self.settings.least_sure_first)
        self.arrows_action = self.table_actions["showAllArrows"]
        self.arrows_action.setChecked(True)
        menus["&View"].addSeparator()
        for dock in (self.list_dock, self.palette_dock, self.panel_dock):
            menus["&View"].addAction(dock.toggleViewAction())
        return menus

    def _connect(self) -> None:
        self.view.spanClicked.connect(self.editing.on_span_clicked)
        self.view.spanContextMenu.connect(self.editing.span_menu)
        self.view.selectionRangeChanged.connect(self.editing.selection_changed)
        self.palette_widget.labelClicked.connect(self.editing.apply_label)
        self.palette_widget.relationClicked.connect(self.editing.start_relation)
        self.palette_widget.snapping.toggled.connect(self.snap_action.setChecked)

    # --- what the parts share ----------------------------------------------------------------

    @property
    def project(self) -> ProjectStore | None:
        return self.loader.project

    @property
    def session(self) -> Session | None:
        return self.loader.session

    @property
    def project_location(self) -> str | Path | None:
        """Where the open project was opened from (a folder, a database URL)."""
        return self.loader.location

    @property
    def current(self) -> str | None:
        """The document in view."""
        return self.loader.current

    @property
    def document_list(self) -> DocumentList | None:
        return self.loader.document_list

    @property
    def loading(self) -> bool:
        """A project is waiting to be opened by ``open_later``."""
        return self.loader.loading

    @property
    def snapping(self) -> bool:
        return self.snap_action.isChecked()

    def show_status(self, message: str, timeout: int = 0) -> None:
        self.statusBar().showMessage(message, timeout)

    def open_later(self, path: str | Path, prepare: Callable[[], object] | None = None) -> None:
        self.loader.open_later(path, prepare)

    def load_project(self, path: str | Path) -> None:
        self.loader.load_project(path)

    def show_document(self, doc_id: str) -> None:
        self.loader.show_document(doc_id)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self.loader.window_painted()

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
            panel.spanMenuRequested.connect(self.editing.span_menu)
            panel.relationActivated.connect(self.editing.relation_activated)
            panel.relationDeleteRequested.connect(self.editing.remove_relation)
            panel.statusChosen.connect(lambda status: self.editing.set_status(status))
            panel.noteEdited.connect(self.editing.set_note)
            panel.categories.choiceToggled.connect(self.editing.toggle_choice)
            panel.labelCounts.connect(self.palette_widget.set_counts)
            panel.show_annotation(None, None, False)
            self.panel_dock.setWidget(panel)
            self._panel = panel
        return self._panel

    @property
    def models(self) -> ModelController:
        """Training a model and running it as suggester (the Model menu), built on first
        use: nothing of spaCy or the training code loads before then."""
        if self._models is None:
            from annotator.ui.model_controller import ModelController

            self._models = ModelController(self)
        return self._models

    def focus_note(self) -> None:
        if self.current is not None:
            self.panel.note.setFocus()

    def show_schema(self, schema: LabelSchema) -> None:
        self.colors = LabelColors(schema)
        self.view.set_colors(self.colors)
        self.palette_widget.set_schema(schema)
        self.build_label_actions(schema)

    def build_label_actions(self, schema: LabelSchema) -> None:
        """The Labels menu: a hotkey per label and relation of the schema, then the table's
        rows for this menu."""
        for action in self.label_actions:
            self.removeAction(action)
        menu = self.menus[LABELS_MENU]
        menu.clear()
        self.label_actions = []
        for label in schema.labels:
            action = self._schema_action(
                f"Label {label.name}", label.hotkey, self.editing.apply_label, label.name
            )
            action.setObjectName(f"labelAction_{label.name}")
        menu.addSeparator()
        for relation in schema.relations:
            action = self._schema_action(
                f"Attribute: {relation.name} (then click the target span)",
                relation.hotkey,
                self.editing.start_relation,
                relation.name,
            )
            action.setObjectName(f"relationAction_{relation.name}")
        menu.addSeparator()
        for category in schema.categories:
            for choice, key in category.hotkeys.items():
                action = self._schema_action(
                    f"{category.name}: {choice}",
                    key,
                    partial(self.editing.toggle_choice, category.name),
                    choice,
                )
                action.setObjectName(f"categoryAction_{category.name}_{choice}")
        menu.addSeparator()
        for spec in ACTIONS:
            if spec.menu == LABELS_MENU and spec.kind == "action":
                menu.addAction(self.table_actions[spec.name])

    def _schema_action(
        self, text: str, keys: str, slot: Callable[[str], object], name: str
    ) -> QAction:
        action = new_action(text, self)
        set_shortcut(action, keys)
        action.triggered.connect(lambda _checked=False: slot(name))
        self.menus[LABELS_MENU].addAction(action)
        self.addAction(action)
        self.label_actions.append(action)
        return action

    # --- selection and find ------------------------------------------------------------------

    def select_span(self, span_id: str | None, reveal: bool = False) -> None:
        self.view.select_span(span_id, reveal=reveal)
        if self._panel is not None:  # none before the first project: nothing to select
            self._panel.select_span(self.view.selected_span, self.view.quote_parts)

    def cancel(self) -> None:
        if self.editing.pending_relation is not None:
            self.editing.end_relation_mode()
        elif self.find_bar.isVisible():
            self.find_bar.close_bar()
        else:
            self.view.clear_selection()
            self.select_span(None)

    def document_shown(self, text: str) -> None:
        self.find_bar.set_text(text)

    def open_find(self) -> None:
        cursor = self.view.textCursor()
        self.find_bar.open_bar(self.view.offsets.from_qt(cursor.position()))

    def _found(self, start: int, end: int) -> None:
        self.view.select_range(start, end)

    def on_change(self, change: Change) -> None:
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
                self.view.set_arrows(arrows_of(annotation))
                self.panel.show_relations(annotation)
            if change.document:
                self.panel.show_document_fields(annotation, self.session.writable)
            self.panel.select_span(self.view.selected_span, self.view.quote_parts)
        self.update_title()

    def refresh_panel(self) -> None:
        if self.session is None or self.current is None or self.project is None:
            return
        if self.session.problems(self.current):
            return
        self.panel.show_annotation(
            self.session.annotation(self.current), self.project.schema, self.session.writable
        )
        self.panel.select_span(self.view.selected_span, self.view.quote_parts)

    def update_title(self) -> None:
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
        elif self.session.waiting:
            from annotator.ui.offline_sender import waiting_state

            text, tooltip = waiting_state(self.session)
            self.save_label.setText(text)
            self.save_label.setToolTip(tooltip)
        elif unsaved:
            self.save_label.setText("Saving…")
        else:
            self.save_label.setText("All changes saved")
            self.save_label.setToolTip("")

    # --- closing and view settings ----------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.loader.save_or_ask():
            event.ignore()
            return
        self.loader.cancel_pending()
        if self._models is not None:
            self._models.stop()  # a training or model run in the background
        self.settings.save_layout(self.saveGeometry(), self.saveState())
        self.settings.sync()
        self.loader.close_project()
        event.accept()

    def change_font(self, step: int) -> None:
        size = min(max(self.settings.font_size + step, 7.0), 40.0)
        self.settings.font_size = size
        self.view.set_font_size(size)

    def switch_analyst(self) -> None:
        """Label as someone else from now on: their name is remembered for later runs.

        On the sample project, a newcomer chooses between a blank start and the example
        labels, as in the welcome dialog (an analyst with labels there keeps them)."""
        from annotator.services.sample import is_user_sample, seed_sample_labels
        from annotator.ui.welcome import WelcomeDialog

        if self.loading:
            return
        path = self.loader.location if self.project is not None else None
        sample = path is not None and is_user_sample(path)
        existing = frozenset(self.project.annotators()) if self.project is not None else frozenset()
        dialog = WelcomeDialog(
            self,
            name=self.settings.display_name,
            sample=sample,
            title="Switch analyst",
            existing=existing,
        )
        if dialog.exec() != WelcomeDialog.DialogCode.Accepted:
            return
        name = dialog.layer_name()
        if name is None or not self.loader.save_or_ask():
            return
        self.settings.annotator = name
        self.settings.display_name = dialog.display_name()
        self.annotator = name
        if path is not None:
            if dialog.with_examples() and isinstance(path, Path):
                seed_sample_labels(path, name)
            self.load_project(path)
        self.show_status(f"Now labelling as {dialog.display_name()} (labels saved as {name})")

    def dark_toggled(self) -> None:
        dark = self.dark_action.isChecked()
        self.settings.dark = dark
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, dark, style=False)
        self.palette_widget.restyle()
        self.view.viewport().update()

    def snapping_toggled(self) -> None:
        checked = self.snap_action.isChecked()
        self.settings.snapping = checked
        if self.palette_widget.snapping.isChecked() != checked:
            self.palette_widget.snapping.setChecked(checked)

    def least_sure_toggled(self) -> None:
        self.settings.least_sure_first = self.least_sure_action.isChecked()

    def arrows_toggled(self) -> None:
        # Checked while the window is built: nothing to repaint yet.
        if self.view.show_all_arrows != self.arrows_action.isChecked():
            self.view.show_all_arrows = self.arrows_action.isChecked()
            self.view.viewport().update()

    def help_dialog(self) -> HelpDialog:
        from annotator.core.models import LabelSchema
        from annotator.ui.help_dialog import HelpDialog

        schema = self.project.schema if self.project is not None else LabelSchema()
        # Label and relation hotkeys are listed from the schema, with their descriptions;
        # the other shortcuts are the actions table's, as the actions have them now.
        return HelpDialog(self.table_actions.values(), schema, self)

    def show_help(self) -> None:
        self.help_dialog().exec()


def _joined(relations: list[Relation], span_ids: Iterable[str]) -> bool:
    ids = set(span_ids)
    return any(rel.head in ids or rel.tail in ids for rel in relations)
