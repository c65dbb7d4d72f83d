"""Review mode: colleagues' labels side by side, disagreements, and the gold layer.

The window only observes and drives :class:`annotator.review.adjudication.Adjudicator`:
each reviewer action is one adjudicator call whose :class:`Edit` goes on a QUndoStack;
undo and redo call ``adjudicator.undo/redo`` (one method each), never a widget snapshot.
The article is shown in the labelling window's :class:`DocumentView` (same highlighter,
span index and offset conversion); :class:`ReviewView` only paints extra marks on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QKeySequence,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from annotator.core.models import Span
from annotator.review.adjudication import Adjudicator, Edit
from annotator.review.agreement import SpanKey, compute_agreement
from annotator.review.changes import LayerChange, changes_since_seen, mark_seen
from annotator.review.disagreements import KIND_NAMES, Disagreement, DisagreementCursor
from annotator.store.open import open_project
from annotator.ui.agreement_chart import AgreementPanel, fit_review_window
from annotator.ui.colors import LabelColors
from annotator.ui.document_view import Arrow
from annotator.ui.review_commands import ReviewCommand, accepted_message
from annotator.ui.review_view import ReviewView
from annotator.ui.screen_fit import scrolling

SHOW_ANNOTATORS = "annotators"
SHOW_GOLD = "gold"


class ReviewWindow(QMainWindow):
    def __init__(
        self, project_path: str | Path, reviewer: str, annotators: Sequence[str] | None = None
    ) -> None:
        super().__init__()
        self.setObjectName("reviewWindow")
        self.project = open_project(project_path)
        # On a team server the reviewer may come before the analysts: the window then
        # waits for two of them, and takes in every analyst who starts later.
        self.follows_every_analyst = annotators is None and self.project.remote
        try:
            self.adjudicator = Adjudicator(
                self.project, reviewer, annotators, at_least=0 if self.follows_every_analyst else 2
            )
        except BaseException:
            self.project.close()
            raise
        self.reviewer = reviewer
        self.annotators = self.adjudicator.annotators
        self.colors = LabelColors(self.project.schema)
        self.undo_stack = QUndoStack(self)
        self.doc_ids = self.adjudicator.documents()
        self.walker = DisagreementCursor(self.adjudicator.finder, self.doc_ids, skip=self._skipped)
        self.doc_id: str | None = None
        self.items: list[Disagreement] = []
        self.span_ids: dict[SpanKey, str] = {}  # shown span ids of the current document
        self._states: dict[str, tuple[int, int, bool]] = {}
        self.layer_shown = SHOW_ANNOTATORS
        self._build()
        self._build_actions()
        self.report = compute_agreement(self.project, self.annotators, at_least=0)
        self.agreement.set_report(self.report)
        self.changes: list[LayerChange] = changes_since_seen(
            self.project, reviewer, self.annotators
        )
        self._fill_changes()
        self._fill_documents()
        self.setWindowTitle(f"Review {self.project.name} — {reviewer}")
        fit_review_window(self)
        if self.doc_ids:
            first = self.walker.next()
            self.open_document(first.doc_id if first else self.doc_ids[0], first)
        else:
            self._update_status()

    # --- building --------------------------------------------------------------------

    def _build(self) -> None:
        self.view = ReviewView(self.colors)
        self.view.spanClicked.connect(self._span_clicked)
        self.show_box = QComboBox()
        self.show_box.setObjectName("showLayer")
        self.show_box.addItem("Annotators' labels (disputed outlined)", SHOW_ANNOTATORS)
        self.show_box.addItem("Gold labels", SHOW_GOLD)
        self.show_box.currentIndexChanged.connect(self._show_changed)
        self.doc_title = QLabel()
        self.doc_title.setObjectName("reviewTitle")
        self.doc_title.setWordWrap(True)  # a long headline must not widen the window
        top = QHBoxLayout()
        top.addWidget(self.doc_title, 1)
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.show_box)
        center = QWidget()
        layout = QVBoxLayout(center)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        self.setCentralWidget(center)
        self._build_documents_dock()
        self._build_disagreements_dock()
        self._build_agreement_dock()
        self.status = QLabel()
        self.status.setObjectName("reviewStatus")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self.status, 1)

    def _build_documents_dock(self) -> None:
        self.documents = QListWidget()
        self.documents.setObjectName("reviewDocuments")
        self.documents.currentItemChanged.connect(self._document_chosen)
        self.documents.setMinimumWidth(280)
        self.documents.setWordWrap(True)
        dock = QDockWidget("Documents", self)
        dock.setObjectName("reviewDocumentsDock")
        dock.setWidget(self.documents)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)

    def _build_disagreements_dock(self) -> None:
        self.disagreements = QListWidget()
        self.disagreements.setObjectName("disagreementList")
        self.disagreements.setWordWrap(True)
        self.disagreements.currentRowChanged.connect(self._disagreement_chosen)
        self.prev_button = QPushButton("◀ Previous")
        self.prev_button.setObjectName("previousDisagreement")
        self.prev_button.clicked.connect(self.previous_disagreement)
        self.next_button = QPushButton("Next ▶")
        self.next_button.setObjectName("nextDisagreement")
        self.next_button.clicked.connect(self.next_disagreement)
        self.skip_settled = QCheckBox("Skip settled")
        self.skip_settled.setObjectName("skipSettled")
        self.skip_settled.setChecked(True)
        self.accept_button = QPushButton("Accept agreed (this document)")
        self.accept_button.setObjectName("acceptAgreed")
        self.accept_button.clicked.connect(self.accept_agreed)
        self.accept_all_button = QPushButton("Accept agreed in all documents")
        self.accept_all_button.setObjectName("acceptAllAgreed")
        self.accept_all_button.clicked.connect(self.accept_all_agreed)
        self.version_box = QComboBox()
        self.version_box.setObjectName("versionBox")
        self.pick_button = QPushButton("Pick version")
        self.pick_button.setObjectName("pickVersion")
        self.pick_button.clicked.connect(self.pick)
        self.reject_button = QPushButton("Reject all versions")
        self.reject_button.setObjectName("rejectDisagreement")
        self.reject_button.clicked.connect(self.reject)
        self.edit_label = QComboBox()
        self.edit_label.setObjectName("editLabel")
        for label in self.project.schema.labels:
            self.edit_label.addItem(label.name)
        self.edit_button = QPushButton("Use selection with label")
        self.edit_button.setObjectName("editDisagreement")
        self.edit_button.setToolTip(
            "Settle with your own span: the text selected in the article (or the chosen "
            "version's range) with the label on the left"
        )
        self.edit_button.clicked.connect(self.edit)
        panel = QWidget()
        grid = QGridLayout(panel)
        grid.addWidget(self.accept_button, 0, 0, 1, 2)
        grid.addWidget(self.accept_all_button, 1, 0, 1, 2)
        grid.addWidget(self.disagreements, 2, 0, 1, 2)
        grid.addWidget(self.prev_button, 3, 0)
        grid.addWidget(self.next_button, 3, 1)
        grid.addWidget(self.skip_settled, 4, 0, 1, 2)
        grid.addWidget(self.version_box, 5, 0, 1, 2)
        grid.addWidget(self.pick_button, 6, 0)
        grid.addWidget(self.reject_button, 6, 1)
        grid.addWidget(self.edit_label, 7, 0)
        grid.addWidget(self.edit_button, 7, 1)
        grid.setRowStretch(2, 1)
        dock = QDockWidget("Disagreements", self)
        dock.setObjectName("disagreementsDock")
        dock.setWidget(scrolling(panel))
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)

    def _build_agreement_dock(self) -> None:
        self.agreement = AgreementPanel(self.colors)
        self.changes_list = QListWidget()
        self.changes_list.setObjectName("changesList")
        self.changes_list.itemActivated.connect(self._change_activated)
        self.mark_seen_button = QPushButton("Mark all as seen")
        self.mark_seen_button.setObjectName("markSeen")
        self.mark_seen_button.clicked.connect(self.mark_seen)
        changes = QWidget()
        changes_layout = QVBoxLayout(changes)
        changes_layout.addWidget(self.changes_list, 1)
        changes_layout.addWidget(self.mark_seen_button, 0, Qt.AlignmentFlag.AlignRight)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("reviewTabs")
        self.tabs.addTab(self.agreement, "Agreement")
        self.tabs.addTab(changes, "What changed")
        dock = QDockWidget("Agreement and changes", self)
        dock.setObjectName("agreementDock")
        dock.setWidget(scrolling(self.tabs))
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)

    def _build_actions(self) -> None:
        undo = self.undo_stack.createUndoAction(self, "Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        following = QAction("Next disagreement", self)
        following.setShortcut(QKeySequence("N"))
        following.triggered.connect(self.next_disagreement)
        preceding = QAction("Previous disagreement", self)
        preceding.setShortcut(QKeySequence("P"))
        preceding.triggered.connect(self.previous_disagreement)
        menu = self.menuBar().addMenu("&Review")
        for action in (undo, redo, following, preceding):
            menu.addAction(action)
            self.addAction(action)
        self.undo_action, self.redo_action = undo, redo

    # --- documents ---------------------------------------------------------------------

    def _title(self, doc_id: str) -> str:
        return self.project.entry(doc_id).title

    def _state(self, doc_id: str, fresh: bool = False) -> tuple[int, int, bool]:
        """Open and total disagreements of a document, and whether its gold is done."""
        state = None if fresh else self._states.get(doc_id)
        if state is None:
            items = self.adjudicator.disagreements(doc_id)
            open_count = sum(1 for item in items if not self.adjudicator.is_settled(item))
            done = self.adjudicator.gold(doc_id).status == "done"
            state = self._states[doc_id] = (open_count, len(items), done)
        return state

    def _document_label(self, doc_id: str) -> str:
        open_count, total, done = self._state(doc_id)
        mark = "✓ " if done else ""
        return f"{mark}{self._title(doc_id)}\n{open_count} of {total} disagreements open"

    def _fill_documents(self) -> None:
        self.documents.blockSignals(True)
        self.documents.clear()
        for doc_id in self.doc_ids:
            item = QListWidgetItem(self._document_label(doc_id))
            item.setData(Qt.ItemDataRole.UserRole, doc_id)
            self.documents.addItem(item)
        self.documents.blockSignals(False)

    def _refresh_document_item(self, doc_id: str) -> None:
        self._state(doc_id, fresh=True)
        row = self.doc_ids.index(doc_id)
        item = self.documents.item(row)
        if item is not None:
            item.setText(self._document_label(doc_id))

    def _document_chosen(self, current: QListWidgetItem | None, _previous: object) -> None:
        if current is None:
            return
        doc_id = current.data(Qt.ItemDataRole.UserRole)
        if doc_id != self.doc_id:
            self.walker.go_to(doc_id)
            self.open_document(doc_id)

    def open_document(self, doc_id: str, focus: Disagreement | None = None) -> None:
        self.doc_id = doc_id
        row = self.doc_ids.index(doc_id)
        if self.documents.currentRow() != row:
            self.documents.blockSignals(True)
            self.documents.setCurrentRow(row)
            self.documents.blockSignals(False)
        self.doc_title.setText(f"<b>{self._title(doc_id)}</b> &nbsp; ({doc_id})")
        self._load_view()
        self._fill_disagreements(focus)
        self._update_status()

    def _load_view(self) -> None:
        assert self.doc_id is not None
        text = self.adjudicator.text(self.doc_id)
        if self.layer_shown == SHOW_GOLD:
            gold = self.adjudicator.gold(self.doc_id)
            spans = list(gold.spans)
            arrows = [Arrow(rel.head, rel.tail, rel.label) for rel in gold.relations]
            self.span_ids = {(s.start, s.end, s.label): s.id for s in spans}
            self.view.set_content(text, spans, arrows)
            self.view.set_marks(set(), set())
            return
        annotations = self.adjudicator.finder.annotations(self.doc_id)
        holders: dict[SpanKey, list[str]] = {}
        relations: dict[tuple[str, SpanKey, SpanKey], list[str]] = {}
        for name in sorted(annotations):
            annotation = annotations[name]
            keys = {span.id: (span.start, span.end, span.label) for span in annotation.spans}
            for key in dict.fromkeys(keys.values()):
                holders.setdefault(key, []).append(name)
            for rel in annotation.relations:
                if rel.head in keys and rel.tail in keys:
                    relations.setdefault((rel.label, keys[rel.head], keys[rel.tail]), []).append(
                        name
                    )
        everyone = len(annotations)
        spans = []
        self.span_ids = {}
        disputed: set[str] = set()
        for number, key in enumerate(sorted(holders), 1):
            who = holders[key]
            span_id = f"S{number}"
            self.span_ids[key] = span_id
            agreed = len(who) == everyone
            note = "agreed by all" if agreed else "only " + ", ".join(who)
            spans.append(
                Span.of(text, key[0], key[1], key[2], span_id).model_copy(update={"note": note})
            )
            if not agreed:
                disputed.add(span_id)
        arrows = [
            Arrow(self.span_ids[head], self.span_ids[tail], label)
            for (label, head, tail) in relations
        ]
        self.view.set_content(text, spans, arrows)
        self.view.set_marks(disputed, set(), self._settled_ids())

    def _settled_ids(self) -> set[str]:
        """Shown span ids whose every disagreement is settled."""
        if self.doc_id is None:
            return set()
        settled: set[str] = set()
        unsettled: set[str] = set()
        for item in self.adjudicator.disagreements(self.doc_id):
            keys = [v.span for v in item.versions if v.span]
            target = settled if self.adjudicator.is_settled(item) else unsettled
            target.update(self.span_ids[key] for key in keys if key in self.span_ids)
        return settled - unsettled

    def _show_changed(self) -> None:
        self.layer_shown = self.show_box.currentData()
        if self.doc_id is not None:
            self._load_view()
            self._focus(self.current())

    # --- disagreements -----------------------------------------------------------------------

    def _skipped(self, item: Disagreement) -> bool:
        return self.skip_settled.isChecked() and self.adjudicator.is_settled(item)

    def _describe(self, number: int, item: Disagreement) -> str:
        settlement = self.adjudicator.settlement(item)
        parts = [version.describe() for version in item.versions]
        if item.missing:
            parts.append(f"nothing ({', '.join(item.missing)})")
        state = ""
        if settlement is not None:
            source = ", ".join(settlement.get("from") or []) or "reviewer"
            state = f"\n✓ settled: {settlement.get('decision')} ({source})"
        return f"{number}. {KIND_NAMES[item.kind]}\n   " + "\n   ".join(parts) + state

    def _fill_disagreements(self, focus: Disagreement | None = None) -> None:
        assert self.doc_id is not None
        self.items = self.adjudicator.disagreements(self.doc_id)
        self.disagreements.blockSignals(True)
        self.disagreements.clear()
        for number, item in enumerate(self.items, 1):
            entry = QListWidgetItem(self._describe(number, item))
            if self.adjudicator.is_settled(item):
                entry.setForeground(self.palette().placeholderText())
            self.disagreements.addItem(entry)
        self.disagreements.blockSignals(False)
        row = self.items.index(focus) if focus is not None and focus in self.items else -1
        if row < 0 and self.walker.doc_id == self.doc_id:
            current = self.walker.current()
            row = self.items.index(current) if current in self.items else -1
        self.disagreements.setCurrentRow(row)
        self._disagreement_chosen(row)

    def current(self) -> Disagreement | None:
        row = self.disagreements.currentRow()
        return self.items[row] if 0 <= row < len(self.items) else None

    def _disagreement_chosen(self, row: int) -> None:
        item = self.items[row] if 0 <= row < len(self.items) else None
        if item is not None and self.doc_id is not None:
            self.walker.go_to(self.doc_id, row)
        self.version_box.clear()
        if item is not None:
            for version in item.versions:
                self.version_box.addItem(version.describe())
            first = item.versions[0].span if item.versions[0].span else None
            if first is not None:
                self.edit_label.setCurrentText(first[2])
        has_item = item is not None
        for widget in (self.version_box, self.pick_button, self.reject_button):
            widget.setEnabled(has_item)
        self.edit_button.setEnabled(has_item and not (item and item.by_picking))
        self.edit_label.setEnabled(self.edit_button.isEnabled())
        self._focus(item)

    def _focus(self, item: Disagreement | None) -> None:
        if item is None or self.layer_shown == SHOW_GOLD:
            self.view.set_marks(self.view.disputed, set())
            return
        focused: set[str] = set()
        for version in item.versions:
            keys = [version.span] if version.span else []
            if version.relation is not None:
                keys = [version.relation[1], version.relation[2]]
            focused.update(self.span_ids[key] for key in keys if key in self.span_ids)
        self.view.set_marks(self.view.disputed, focused)
        first = sorted(focused, key=lambda span_id: self.view.spans[span_id].start)
        if first:
            self.view.select_span(first[0], reveal=True)

    def _span_clicked(self, span_id: str) -> None:
        self.view.select_span(span_id or None)
        if not span_id or self.layer_shown == SHOW_GOLD:
            return
        span = self.view.spans.get(span_id)
        if span is None:
            return
        for row, item in enumerate(self.items):
            starts = [v.span for v in item.versions if v.span] + [
                end for v in item.versions if v.relation for end in v.relation[1:]
            ]
            if (span.start, span.end, span.label) in starts:
                self.disagreements.setCurrentRow(row)
                return

    def next_disagreement(self) -> Disagreement | None:
        item = self.walker.next()
        if item is not None:
            self._go(item)
        else:
            self.statusBar().showMessage("No further disagreement", 3000)
        return item

    def previous_disagreement(self) -> Disagreement | None:
        item = self.walker.previous()
        if item is not None:
            self._go(item)
        else:
            self.statusBar().showMessage("No earlier disagreement", 3000)
        return item

    def _go(self, item: Disagreement) -> None:
        if item.doc_id != self.doc_id:
            self.open_document(item.doc_id, item)
        else:
            self.disagreements.setCurrentRow(self.items.index(item))

    # --- reviewer actions (each one undoable) --------------------------------------------

    def _push(self, edit: Edit) -> None:
        self.undo_stack.push(ReviewCommand(self, edit))

    def accept_agreed(self) -> None:
        if self.doc_id is not None:
            self._push(edit := self.adjudicator.accept_agreed(self.doc_id))
            self.statusBar().showMessage(accepted_message(edit), 8000)

    def accept_all_agreed(self) -> None:
        edits = self.adjudicator.accept_all_agreed(self.doc_ids)
        if not edits:
            self.statusBar().showMessage("Agreed labels are already accepted everywhere", 3000)
            return
        self.undo_stack.beginMacro(f"accept agreed labels in {len(edits)} documents")
        for edit in edits:
            self._push(edit)
        self.undo_stack.endMacro()

    def pick(self) -> None:
        item = self.current()
        if item is not None and self.version_box.currentIndex() >= 0:
            self._push(self.adjudicator.pick(item, self.version_box.currentIndex()))
            self._advance_from(item)

    def reject(self) -> None:
        item = self.current()
        if item is not None:
            self._push(self.adjudicator.reject(item))
            self._advance_from(item)

    def edit(self) -> None:
        item = self.current()
        if item is None or item.by_picking:
            return
        chosen = self.view.selected_range()
        if chosen is None:
            version = item.versions[max(self.version_box.currentIndex(), 0)]
            assert version.span is not None
            chosen = (version.span[0], version.span[1])
        try:
            edit = self.adjudicator.edit(item, chosen[0], chosen[1], self.edit_label.currentText())
        except Exception as exc:  # an AnnotatorError says what is wrong in one line
            QMessageBox.warning(self, "Cannot settle", str(exc))
            return
        self._push(edit)
        self._advance_from(item)

    def _advance_from(self, item: Disagreement) -> None:
        """After settling, move on to the next open disagreement of the same document."""
        if item.doc_id != self.doc_id:
            return
        for row, other in enumerate(self.items):
            if not self.adjudicator.is_settled(other):
                self.disagreements.setCurrentRow(row)
                return

    def after_edit(self, doc_id: str, reveal: bool) -> None:
        """The gold layer of ``doc_id`` changed; ``reveal`` shows that document (undo/redo)."""
        self._refresh_document_item(doc_id)
        if doc_id != self.doc_id:
            if reveal:
                self.open_document(doc_id)
        else:
            row = self.disagreements.currentRow()
            if self.layer_shown == SHOW_GOLD:
                self._load_view()
            else:
                self.view.set_marks(self.view.disputed, self.view.focused, self._settled_ids())
            self._fill_disagreements()
            if 0 <= row < len(self.items):
                self.disagreements.setCurrentRow(row)
        self._update_status()

    # --- what changed --------------------------------------------------------------------

    def _fill_changes(self) -> None:
        self.changes_list.clear()
        for change in self.changes:
            item = QListWidgetItem(change.describe(self._title(change.doc_id)))
            item.setData(Qt.ItemDataRole.UserRole, change.doc_id)
            self.changes_list.addItem(item)
        if not self.changes:
            self.changes_list.addItem("Nothing new since you last marked the labels as seen.")
        count = len(self.changes)
        self.tabs.setTabText(1, f"What changed ({count})" if count else "What changed")

    def _change_activated(self, item: QListWidgetItem) -> None:
        doc_id = item.data(Qt.ItemDataRole.UserRole)
        if doc_id in self.doc_ids:
            self.walker.go_to(doc_id)
            self.open_document(doc_id)

    def mark_seen(self) -> None:
        mark_seen(self.project, self.reviewer, self.annotators)
        self.changes = []
        self._fill_changes()

    # --- status and closing ----------------------------------------------------------------

    def _update_status(self) -> None:
        total = open_count = done = 0
        for doc_id in self.doc_ids:
            doc_open, doc_total, doc_done = self._state(doc_id)
            open_count += doc_open
            total += doc_total
            done += doc_done
        if len(self.annotators) < 2:
            so_far = ", ".join(self.annotators) or "none yet"
            self.status.setText(
                f"Reviewer {self.reviewer} · waiting for two analysts' labels (so far: {so_far})"
            )
            return
        self.status.setText(
            f"Reviewer {self.reviewer} · comparing {', '.join(self.annotators)} · "
            f"{open_count} of {total} disagreements open · gold done in {done} of "
            f"{len(self.doc_ids)} documents"
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        self.adjudicator.close()
        self.project.close()
        super().closeEvent(event)
