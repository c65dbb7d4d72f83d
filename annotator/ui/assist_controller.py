"""Assisted labelling in the window: suggestions to accept or reject, label all mentions.

The window builds the Suggestions menu from its actions table (actions.py) and hands it
over with a narrow view of itself (``AssistHost``); the controller observes the document
in view and the selected span rather than being called by the window. Shortcuts follow
Prodigy's: A accepts, X rejects.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QEvent, QObject, QPoint
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QCursor,
    QHelpEvent,
    QKeySequence,
    QMouseEvent,
    QUndoCommand,
)
from PySide6.QtWidgets import (
    QApplication,
    QMenu,
)

from annotator.core.errors import AnnotatorError
from annotator.ui import commands
from annotator.ui.assist_overlay import SuggestionOverlay
from annotator.ui.lazy_qt import Qt, set_shortcut

if TYPE_CHECKING:
    # Matchers, suggestion layers, the store and the models are loaded when first used:
    # the controller is built with the window, before it shows and before a project opens.
    # Qt's dialog classes too (PySide6 sets up each class's enums on first use).
    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QWidget

    from annotator.assist.mentions import Mention
    from annotator.assist.suggestions import Finder
    from annotator.core.models import Span
    from annotator.editing.assist_book import SuggestionBook
    from annotator.editing.session import Session
    from annotator.store.interface import ProjectStore
    from annotator.ui.document_view import DocumentView

# Preferred keys, then fallbacks used when a label already has the preferred hotkey.
ACCEPT_KEYS = ("A", "Alt+A")
REJECT_KEYS = ("X", "Alt+X")
ACCEPT_ALL_KEYS = ("Shift+A", "Alt+Shift+A")


class AssistHost(Protocol):
    """What the controller needs of the window it works in."""

    @property
    def view(self) -> DocumentView: ...
    @property
    def undo_stack(self) -> QUndoStack: ...
    @property
    def session(self) -> Session | None:
        """The open project's labelling session (None before a project opens)."""

    @property
    def current(self) -> str | None:
        """The document in view."""

    def show_status(self, message: str, timeout: int = 0) -> None: ...
    def window(self) -> QWidget:
        """The widget its dialogs and menus belong to (QWidget.window)."""


class AssistController(QObject):
    def __init__(self, host: AssistHost, menu: QMenu) -> None:
        """``menu`` holds the Suggestions actions of the actions table, by object name."""
        super().__init__(host.window())
        self.host = host
        self.view = host.view
        self.overlay = SuggestionOverlay(self.view)
        self.book: SuggestionBook | None = None
        self.doc_id: str | None = None
        self.current: str | None = None
        self._press: QPoint | None = None
        self._filtering = False
        self.menu = menu
        named = {action.objectName(): action for action in menu.actions()}
        self.accept_action = named["acceptSuggestion"]
        self.reject_action = named["rejectSuggestion"]
        self.accept_all_action = named["acceptAll"]
        self.ignore_case_action = named["mentionsIgnoreCase"]
        menu.aboutToShow.connect(self._fit_keys)
        self.view.updateRequest.connect(lambda *_: self.sync())

    @property
    def project(self) -> ProjectStore | None:
        session = self.host.session
        return session.project if session is not None else None

    # --- menu and keys --------------------------------------------------------------------

    def _fit_keys(self) -> None:
        """Keep A / X / Shift+A unless a label took one of them as its hotkey."""
        project = self.project
        taken = (
            {
                QKeySequence(label.hotkey).toString()
                for label in project.schema.labels
                if label.hotkey
            }
            if project is not None
            else set()
        )
        for action, choices in (
            (self.accept_action, ACCEPT_KEYS),
            (self.reject_action, REJECT_KEYS),
            (self.accept_all_action, ACCEPT_ALL_KEYS),
        ):
            free = next((key for key in choices if QKeySequence(key).toString() not in taken), "")
            set_shortcut(action, free)

    # --- following the window ----------------------------------------------------------------

    def _book(self) -> SuggestionBook | None:
        session = self.host.session
        if session is None:
            self.book = None
            return None
        project = session.project
        if self.book is None or self.book.project is not project:
            from annotator.editing.assist_book import SuggestionBook

            self.book = SuggestionBook(project, session.annotator)
            if not self._filtering:
                # Clicks and tooltips on suggestions, once there can be any. Not earlier:
                # the view's first viewport() call costs PySide6 a scan of every QWidget
                # subclass (about 10 ms), which the window's first paint does without.
                self.view.viewport().installEventFilter(self)
                self._filtering = True
            self.book.listeners.append(self._book_changed)
            self.doc_id = None
            self._fit_keys()
        return self.book

    def sync(self) -> None:
        """Show the suggestions of the document in view (cheap when nothing changed)."""
        book = self._book()
        if book is None and self.doc_id is None:
            return  # no project: nothing shown, nothing to follow
        current_doc = self.host.current if book is not None else None
        if current_doc != self.doc_id:
            self.doc_id = current_doc
            self.current = None
            self._reload()
            count = len(self.overlay.spans)
            if count:
                self.host.show_status(
                    f"{count} suggestion{'s' if count != 1 else ''} here: "
                    f"{self._keys(self.accept_action)} accepts, "
                    f"{self._keys(self.reject_action)} rejects, F8 goes to the next",
                    8000,
                )
        self.overlay.follow_viewport()
        self.overlay.update()

    def _keys(self, action: QAction) -> str:
        return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText) or "the menu"

    def _reload(self) -> None:
        book = self.book
        if book is None or self.doc_id is None or self.host.session is None:
            self.overlay.set_suggestions([], None)
            return
        if self.host.session.problems(self.doc_id):
            self.overlay.set_suggestions([], None)
            return
        spans = book.pending(self.doc_id)
        if self.current not in {span.id for span in spans}:
            self.current = None
        self.overlay.set_suggestions(spans, self.current)

    def _book_changed(self, doc_id: str) -> None:
        if doc_id == self.doc_id:
            self._reload()

    def pending(self) -> list[Span]:
        return list(self.overlay.spans)

    def least_sure_first(self, doc_ids: list[str]) -> list[str]:
        """The documents whose model suggestions are least sure first (see
        annotator.assist.uncertainty); the others after them, in the order given."""
        book = self._book()
        if book is None:
            return doc_ids
        from annotator.assist.uncertainty import least_sure_first

        return least_sure_first(doc_ids, book.peek)

    # --- choosing and deciding --------------------------------------------------------------

    def select(self, suggestion_id: str | None, reveal: bool = True) -> None:
        self.current = suggestion_id
        self.overlay.set_current(suggestion_id)
        span = next((s for s in self.overlay.spans if s.id == suggestion_id), None)
        if span is not None:
            if reveal:
                self.view.select_range(span.start, span.start)
            from annotator.assist.suggestions import SOURCE_ATTR

            source = span.attrs.get(SOURCE_ATTR, "")
            self.host.show_status(
                f"Suggested {span.label} “{span.text[:40]}”"
                + (f" from {source}" if source else "")
                + f": {self._keys(self.accept_action)} accepts, "
                f"{self._keys(self.reject_action)} rejects",
                6000,
            )

    def step(self, direction: int) -> None:
        self.sync()
        spans = self.pending()
        if not spans:
            self.host.show_status("No suggestions in this document", 3000)
            return
        ids = [span.id for span in spans]
        if self.current in ids:
            index = ids.index(self.current) + direction
            if not 0 <= index < len(ids):
                self.host.show_status("No more suggestions this way", 3000)
                return
        else:
            cursor = self.view.offsets.from_qt(self.view.textCursor().position())
            after = [i for i, span in enumerate(spans) if span.start >= cursor]
            before = [i for i, span in enumerate(spans) if span.start < cursor]
            index = (after[0] if after else 0) if direction > 0 else (before[-1] if before else -1)
        self.select(ids[index])

    def _editable(self) -> tuple[SuggestionBook, str] | None:
        book, session, doc_id = self._book(), self.host.session, self.host.current
        if book is None or session is None or doc_id is None:
            return None
        if not session.can_edit(doc_id):
            reason = session.read_only_reason or "this document's labels do not fit its text"
            self.host.show_status(f"Not editable: {reason}", 5000)
            return None
        if not book.can_edit(doc_id):
            reason = book.read_only_reason or "the suggestions were made on another text"
            self.host.show_status(f"Suggestions are read-only: {reason}", 5000)
            return None
        return book, doc_id

    def accept_current(self) -> None:
        self._decide(accept=True)

    def reject_current(self) -> None:
        self._decide(accept=False)

    def _decide(self, accept: bool) -> None:
        self.sync()
        target = self._editable()
        if target is None:
            return
        book, doc_id = target
        spans = self.pending()
        span = next((s for s in spans if s.id == self.current), None)
        if span is None:
            if spans:
                self.step(1)
                verb = "accept" if accept else "reject"
                key = self._keys(self.accept_action if accept else self.reject_action)
                self.host.show_status(f"Press {key} again to {verb} the outlined suggestion", 5000)
            else:
                self.host.show_status("No suggestions in this document", 3000)
            return
        from annotator.ui.assist_commands import AcceptSuggestions, RejectSuggestion

        following = _next_after(spans, span)
        session = self.host.session
        assert session is not None
        if accept:
            self._push_labels(AcceptSuggestions(session, book, doc_id, [span.id]), doc_id)
        else:
            self.host.undo_stack.push(RejectSuggestion(session, book, doc_id, span))
        self.select(following.id if following else None)

    def _push_labels(self, command: QUndoCommand, doc_id: str) -> None:
        """Push a command that adds labels; a document still "to do" becomes "in progress"
        in the same undo step, as when a span is labelled by hand."""
        session, stack = self.host.session, self.host.undo_stack
        assert session is not None
        if session.annotation(doc_id).status != "todo":
            stack.push(command)
            return
        stack.beginMacro(command.text())
        stack.push(command)
        stack.push(commands.SetStatus(session, doc_id, "in_progress", "todo"))
        stack.endMacro()

    def accept_all(self) -> None:
        self.sync()
        target = self._editable()
        if target is None:
            return
        book, doc_id = target
        ids = [span.id for span in self.pending()]
        if not ids:
            self.host.show_status("No suggestions in this document", 3000)
            return
        assert self.host.session is not None
        from annotator.ui.assist_commands import AcceptSuggestions

        self._push_labels(AcceptSuggestions(self.host.session, book, doc_id, ids), doc_id)
        self.host.show_status(
            f"Accepted {len(ids)} suggestion{'s' if len(ids) != 1 else ''} (Ctrl+Z undoes)", 5000
        )

    # --- label all mentions -------------------------------------------------------------------

    def selected_span(self) -> Span | None:
        session, doc_id = self.host.session, self.host.current
        span_id = self.view.selected_span
        if session is None or doc_id is None or span_id is None:
            return None
        return session.annotation(doc_id).span(span_id)

    def label_mentions(self, everywhere: bool, as_suggestions: bool) -> None:
        self.sync()
        target = self._editable()
        project, session = self.project, self.host.session
        if target is None or project is None or session is None:
            return
        book, doc_id = target
        span = self.selected_span()
        if span is None:
            self.host.show_status(
                "Label a span (or click one) first, then label all its mentions", 5000
            )
            return
        plan = self._plan(project, span, doc_id, everywhere)
        where = "in any document" if everywhere else "in this document"
        if not plan:
            self.host.show_status(
                f"No other unlabelled mentions of “{span.text[:40]}” {where}", 5000
            )
            return
        from annotator.ui.assist_commands import LabelMentions, SuggestMentions

        documents = len({mention.doc_id for mention in plan})
        if as_suggestions:
            command = SuggestMentions(session, book, doc_id, plan)
            self.host.undo_stack.push(command)
            message = f"Suggested {command.added} mentions"
        else:
            self._push_labels(LabelMentions(session, book, doc_id, plan), doc_id)
            message = f"Labelled {len(plan)} mentions {span.label}"
        self.host.show_status(
            f"{message} of “{span.text[:40]}” in {documents} document"
            f"{'s' if documents != 1 else ''} (Ctrl+Z undoes)",
            6000,
        )

    def _plan(
        self, project: ProjectStore, span: Span, doc_id: str, everywhere: bool
    ) -> list[Mention]:
        from annotator.assist.mentions import plan_mentions

        session = self.host.session
        assert session is not None
        documents: Iterator[tuple[str, str]]
        if everywhere:
            documents = ((doc.id, doc.text) for doc in project.iter_documents())
        else:
            documents = iter([(doc_id, self.view.text)])
        QApplication.setOverrideCursor(QCursor(Qt.CursorShape.WaitCursor))
        try:
            plan = plan_mentions(
                span, documents, session.annotation, self.ignore_case_action.isChecked()
            )
        finally:
            QApplication.restoreOverrideCursor()
        # Documents whose labels were made on another text are never edited.
        return [mention for mention in plan if session.can_edit(mention.doc_id)]

    # --- whole-project suggestions -------------------------------------------------------------

    def choose_patterns(self) -> None:
        from PySide6.QtWidgets import QFileDialog, QInputDialog

        path, _ = QFileDialog.getOpenFileName(
            self.host.window(),
            "Pattern file or word list",
            "",
            "Patterns (*.jsonl *.json *.txt);;All (*)",
        )
        if not path:
            return
        label = None
        project = self.project
        if project is None:
            return
        if Path(path).suffix.lower() not in {".jsonl", ".json", ".ndjson"}:
            label, ok = QInputDialog.getItem(
                self.host.window(),
                "Label for the word list",
                "Label every phrase of the list as:",
                project.schema.label_names(),
                0,
                False,
            )
            if not ok:
                return
        self.suggest_from_patterns(Path(path), label)

    def suggest_from_patterns(
        self, path: Path, label: str | None = None, ignore_case: bool = False
    ) -> None:
        from PySide6.QtWidgets import QMessageBox

        from annotator.assist.patterns import load_pattern_file

        try:
            patterns = load_pattern_file(path, label, ignore_case)
            project = self.project
            if project is not None:
                unknown = sorted(set(patterns.labels()) - set(project.schema.label_names()))
                if unknown:
                    raise AnnotatorError(
                        f"{path}: labels not in this project: {', '.join(unknown)}"
                    )
        except AnnotatorError as exc:
            QMessageBox.warning(self.host.window(), "Cannot use these patterns", str(exc))
            return
        self._run(patterns.matcher(), f"patterns:{path.name}", patterns.warnings)

    def reload(self) -> None:
        """Show what a run that wrote to the suggestions layer directly has added."""
        if self.book is not None:
            self.book.forget()
        self.doc_id = None
        self.sync()

    def _run(self, finder: Finder, source: str, warnings: list[str]) -> None:
        from PySide6.QtWidgets import QMessageBox, QProgressDialog

        book, session, project = self._book(), self.host.session, self.project
        if book is None or session is None or project is None:
            return
        if not book.writable:
            QMessageBox.warning(
                self.host.window(), "Suggestions are read-only", book.read_only_reason
            )
            return
        session.save_all()  # the run reads the saved labels to skip what is labelled
        dialog = QProgressDialog(
            "Finding suggestions…", "Stop", 0, len(project), self.host.window()
        )
        dialog.setObjectName("suggestProgress")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(400)
        last = [0.0]

        def progress(done: int, total: int | None) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.05 or done == total:
                last[0] = now
                dialog.setValue(done)
                QApplication.processEvents()
            if dialog.wasCanceled():
                raise _Stopped

        from annotator.assist.suggestions import SuggestionLayer

        message = ""
        try:
            report = SuggestionLayer(project, session.annotator).suggest(
                finder, source, progress=progress
            )
            skipped = (
                f"; {len(warnings)} patterns skipped (they can never match)" if warnings else ""
            )
            message = report.describe() + skipped
        except _Stopped:
            message = "Stopped: the suggestions found so far were kept"
        except AnnotatorError as exc:
            QMessageBox.warning(self.host.window(), "Suggestions", str(exc))
        finally:
            dialog.close()
            # The run saved through the same store; show what it wrote.
            book.forget()
            self.doc_id = None
            self.sync()
        if message:
            self.host.show_status(message, 10000)

    # --- mouse over the view ---------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Resize:
            self.overlay.follow_viewport()
        elif kind == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
            self._press = event.position().toPoint()
        elif kind == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent):
            press, self._press = self._press, None
            point = event.position().toPoint()
            if (
                event.button() == Qt.MouseButton.LeftButton
                and press is not None
                and (point - press).manhattanLength() <= 3
            ):
                span = self.overlay.suggestion_at(point)
                if span is not None:
                    self.select(span.id, reveal=False)
        elif kind == QEvent.Type.ContextMenu and isinstance(event, QContextMenuEvent):
            span = self.overlay.suggestion_at(event.pos())
            if span is not None and not self.view.spans_at(event.pos()):
                self._suggestion_menu(span, event.globalPos())
                return True
        elif kind == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            from PySide6.QtWidgets import QToolTip

            span = self.overlay.suggestion_at(event.pos())
            if span is not None and not self.view.spans_at(event.pos()):
                from annotator.assist.suggestions import SOURCE_ATTR

                source = span.attrs.get(SOURCE_ATTR, "")
                QToolTip.showText(
                    event.globalPos(),
                    f"Suggested <b>{span.label}</b>"
                    + (f" ({_escape(source)})" if source else "")
                    + f"<br>{self._keys(self.accept_action)} accepts, "
                    f"{self._keys(self.reject_action)} rejects",
                    self.view.viewport(),
                )
                return True
        return False

    def _suggestion_menu(self, span: Span, position: QPoint) -> None:
        self.select(span.id, reveal=False)
        menu = QMenu(self.host.window())
        menu.addAction(f"Accept {span.label} “{span.text[:30]}”", self.accept_current)
        menu.addAction("Reject", self.reject_current)
        menu.addAction("Accept all suggestions in this document", self.accept_all)
        menu.exec(position)


class _Stopped(Exception):
    """The analyst pressed Stop during a run over the project."""


def _next_after(spans: list[Span], span: Span) -> Span | None:
    ids = [s.id for s in spans]
    index = ids.index(span.id)
    if index + 1 < len(spans):
        return spans[index + 1]
    return spans[index - 1] if index > 0 else None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
