"""Edits from the window: spans, relations, notes and statuses, each a QUndoStack command.

The window's actions, palette, panel and context menus call these; every edit is one
command from commands.py pushed on the window's undo stack, so undo covers all of them
and the session (annotator.editing.session) saves after each.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QPoint
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QMenu

from annotator.core.status import STATUSES
from annotator.editing.snapping import adjust
from annotator.ui import commands
from annotator.ui.lazy_qt import Qt

if TYPE_CHECKING:
    # The models (pydantic) load with the project, after the window's first frame.
    from PySide6.QtGui import QUndoStack
    from PySide6.QtWidgets import QWidget

    from annotator.core.models import DocumentAnnotation, Relation, Span
    from annotator.editing.session import Session
    from annotator.ui.document_view import DocumentView
    from annotator.ui.spans_panel import SpansPanel


class EditHost(Protocol):
    """What the editing controller needs of the window."""

    @property
    def view(self) -> DocumentView: ...
    @property
    def undo_stack(self) -> QUndoStack: ...
    @property
    def session(self) -> Session | None: ...
    @property
    def current(self) -> str | None: ...
    @property
    def panel(self) -> SpansPanel: ...
    @property
    def snapping(self) -> bool:
        """Selections snap to whole words (Edit > Snap selection to words)."""

    def show_status(self, message: str, timeout: int = 0) -> None: ...
    def select_span(self, span_id: str | None, reveal: bool = False) -> None: ...
    def refresh_panel(self) -> None: ...
    def window(self) -> QWidget:
        """The widget its dialogs and menus belong to (QWidget.window)."""


class EditingController(QObject):
    def __init__(self, host: EditHost) -> None:
        super().__init__(host.window())
        self.host = host
        self.pending_relation: tuple[str, str] | None = None  # (relation type, head span id)
        # The quote being annotated (document id, its first content): the last quote part
        # selected before a text selection. A cue or a source labelled while it has none is
        # linked to it, so a quote takes three keys: Q on the words, the cue key on
        # "said", then a click on the source (or the source key on its words).
        self.active_quote: tuple[str, str] | None = None

    @property
    def session(self) -> Session | None:
        return self.host.session

    @property
    def current(self) -> str | None:
        return self.host.current

    # --- spans, notes, statuses ----------------------------------------------------------------

    def _editable(self) -> DocumentAnnotation | None:
        """The current annotation if it may be edited; otherwise says why in the status bar."""
        if self.session is None or self.current is None:
            return None
        if not self.session.writable:
            self.host.show_status(f"Read-only: {self.session.read_only_reason}", 5000)
            return None
        if self.session.problems(self.current):
            self.host.show_status("This document's labels do not fit its text; not editable", 5000)
            return None
        return self.session.annotation(self.current)

    def _span(self, span_id: str | None) -> Span | None:
        """A span of the document in view, from the view's own table (no scan of 10,000)."""
        return self.host.view.spans.get(span_id) if span_id else None

    def _push(self, command: commands.AnnotationCommand) -> None:
        self.host.undo_stack.push(command)

    def apply_label(self, label: str) -> None:
        """Label the selection, or relabel the selected span (the palette and hotkeys)."""
        annotation = self._editable()
        if annotation is None or self.session is None or self.current is None:
            return
        selection = self.host.view.selected_range()
        if selection is None:
            span = self._span(self.host.view.selected_span)
            if span is None:
                self.host.show_status("Select some text first, or click a span to relabel it", 4000)
            elif span.label != label:
                self._push(commands.RelabelSpan(self.session, self.current, span, label))
            return
        text = self.host.view.text
        target = adjust(text, *selection, snapping=self.host.snapping)
        if target is None:
            self.host.show_status(
                "Nothing to label: the selection is only spaces or punctuation", 4000
            )
            return
        start, end = target
        # The view's index holds the same spans, sorted: no scan of 10,000 of them.
        existing = self.host.view.index.find(start, end, label)
        if existing is not None:
            self.host.show_status(f"Already labelled {label}", 3000)
        else:
            from annotator.core.models import Span

            span = Span.of(text, start, end, label, self.session.next_span_id(self.current))
            command = commands.AddSpan(self.session, self.current, span)
            link = self._quote_link(annotation, span)
            if annotation.status == "todo" or link is not None:
                self.host.undo_stack.beginMacro(command.text())
                self._push(command)
                if link is not None:
                    self._push(commands.AddRelation(self.session, self.current, link))
                if annotation.status == "todo":
                    self._push(
                        commands.SetStatus(self.session, self.current, "in_progress", "todo")
                    )
                self.host.undo_stack.endMacro()
            else:
                self._push(command)
            existing = span
            if link is not None:
                self._after_quote_link(annotation, link)
        self.host.view.clear_selection()
        self.host.select_span(existing.id)
        if self.pending_relation is not None:
            self.host.view.viewport().setCursor(QCursor(Qt.CursorShape.CrossCursor))

    # --- quotes as one unit (annotator.core.quotes) -----------------------------------------

    def _category(self, label: str) -> str:
        found = self.session.project.schema.label(label) if self.session is not None else None
        return found.category if found is not None else ""

    def _remember_quote(self, span_id: str) -> None:
        """Make the quote of a selected span the one cues and sources are linked to."""
        if self.session is None or self.current is None:
            return
        span = self._span(span_id)
        if span is None:
            return
        from annotator.core.quotes import QuoteGraph

        roots = QuoteGraph(self.session.annotation(self.current).relations).roots_of(span_id)
        if self._category(span.label) in ("quote", "claim"):
            self.active_quote = (self.current, roots[0] if roots else span_id)
        elif len(roots) == 1:
            self.active_quote = (self.current, roots[0])

    def _quote_link(self, annotation: DocumentAnnotation, span: Span) -> Relation | None:
        """The relation that joins a new cue or source to the active quote, if it lacks one."""
        if self.session is None or self.active_quote is None:
            return None
        doc_id, root_id = self.active_quote
        root = self._span(root_id) if doc_id == self.current else None
        if root is None:
            return None
        from annotator.core.models import Relation
        from annotator.core.quotes import QuoteGraph
        from annotator.core.schema import ATTRIBUTED_TO, CUE

        quote = QuoteGraph(annotation.relations).quote(root_id)
        category = self._category(span.label)
        if category == "cue" and not quote.cues:
            name = CUE
        elif category == "source" and not quote.sources:
            name = ATTRIBUTED_TO
        else:
            return None
        relation = self.session.project.schema.relation(name)
        if relation is None or not relation.allows(root.label, span.label):
            return None
        return Relation(id=annotation.next_relation_id(), label=name, head=root_id, tail=span.id)

    def _after_quote_link(self, annotation: DocumentAnnotation, link: Relation) -> None:
        """A cue just linked to a quote without a source: the next click picks the source."""
        from annotator.core.quotes import QuoteGraph
        from annotator.core.schema import ATTRIBUTED_TO, CUE

        root = self._span(link.head)
        if root is None or link.label != CUE or self.session is None:
            self.host.show_status(f"{link.label}: linked to the quote", 4000)
            return
        if QuoteGraph(annotation.relations).quote(link.head).sources:
            self.host.show_status("Cue linked to the quote", 4000)
            return
        if self.session.project.schema.relation(ATTRIBUTED_TO) is None:
            return
        self.pending_relation = (ATTRIBUTED_TO, link.head)
        self.host.show_status(
            "Cue linked. Now click the quote's source, or Esc, select its words and press "
            "the source key (Esc cancels)"
        )

    def delete_selected_span(self) -> None:
        annotation = self._editable()
        if annotation is None or self.session is None or self.current is None:
            return
        span = self._span(self.host.view.selected_span)
        if span is None:
            self.host.show_status("Click a span first, then press Delete", 3000)
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
        if self.host.view.selected_span:
            self.edit_span_note(self.host.view.selected_span)

    def edit_span_note(self, span_id: str) -> None:
        from PySide6.QtWidgets import QInputDialog

        annotation = self._editable()
        span = self._span(span_id) if annotation is not None else None
        if span is None or self.session is None or self.current is None:
            return
        note, ok = QInputDialog.getText(
            self.host.window(),
            "Span note",
            f"Note on {span.label} “{span.text[:60]}”",
            text=span.note,
        )
        if ok and note != span.note:
            self._push(commands.SetSpanNote(self.session, self.current, span, note))

    def set_status(self, status: str) -> None:
        annotation = self._editable()
        if annotation is None or self.session is None or self.current is None:
            self.host.refresh_panel()
            return
        if status in STATUSES and status != annotation.status:
            self._push(commands.SetStatus(self.session, self.current, status, annotation.status))

    def set_note(self, note: str) -> None:
        annotation = self._editable()
        if annotation is None or self.session is None or self.current is None:
            return
        if note != annotation.note:
            self._push(commands.SetNote(self.session, self.current, note, annotation.note))

    def toggle_choice(self, category_name: str, choice: str) -> None:
        """Press one choice of a document category (its button or hotkey): see
        categories_panel.toggled_choices."""
        from annotator.ui.categories_panel import toggled_choices

        annotation = self._editable()
        if annotation is None or self.session is None or self.current is None:
            self.host.refresh_panel()  # the button pressed shows the annotation again
            return
        category = self.session.project.schema.category(category_name)
        if category is None or choice not in category.choices:
            return
        old = annotation.cats.get(category_name, [])
        chosen = toggled_choices(category, old, choice)
        self._push(commands.SetCats(self.session, self.current, category_name, chosen, old))

    def commit_note(self) -> None:
        """A note typed but not confirmed with Enter is kept when leaving the document."""
        if (
            self.current is not None
            and self.session is not None
            and self.session.can_edit(self.current)
        ):
            note = self.host.panel.note.text()
            if note != self.session.annotation(self.current).note:
                self.set_note(note)

    def start_relation(self, relation_name: str) -> None:
        annotation = self._editable()
        if annotation is None or self.session is None:
            return
        relation = self.session.project.schema.relation(relation_name)
        span = self._span(self.host.view.selected_span)
        if relation is None:
            return
        if span is None:
            heads = " or ".join(relation.head) or "span"
            self.host.show_status(
                f"Click a {heads} span first, then press {relation.hotkey or relation.name}", 5000
            )
            return
        if relation.head and span.label not in relation.head:
            self.host.show_status(
                f"{relation.name} starts from {' or '.join(relation.head)}, not {span.label}", 5000
            )
            return
        self.pending_relation = (relation_name, span.id)
        self.host.view.viewport().setCursor(QCursor(Qt.CursorShape.CrossCursor))
        self.host.show_status(
            f"{relation.name}: now click the {' / '.join(relation.tail) or 'target'} span (Esc cancels)"
        )

    def _finish_relation(self, tail_id: str) -> None:
        assert self.pending_relation is not None
        relation_name, head_id = self.pending_relation
        self.end_relation_mode()
        annotation = self._editable()
        if annotation is None or self.session is None or self.current is None:
            return
        relation = self.session.project.schema.relation(relation_name)
        head, tail = self._span(head_id), self._span(tail_id)
        if relation is None or head is None or tail is None:
            return
        if tail.id == head.id:
            self.host.show_status("A span cannot be attributed to itself", 4000)
        elif not relation.allows(head.label, tail.label):
            self.host.show_status(
                f"{relation.name} cannot link {head.label} to {tail.label}; "
                f"allowed targets: {', '.join(relation.tail)}",
                6000,
            )
        elif annotation.find_relation(relation.name, head.id, tail.id) is not None:
            self.host.show_status("That attribution already exists", 3000)
        else:
            from annotator.core.models import Relation

            new = Relation(
                id=annotation.next_relation_id(), label=relation.name, head=head.id, tail=tail.id
            )
            self._push(commands.AddRelation(self.session, self.current, new))
            self.host.show_status(f"{head.label} → {relation.name} → {tail.label}", 4000)
        self.host.select_span(head.id)

    def end_relation_mode(self) -> None:
        self.pending_relation = None
        self.host.view.viewport().setCursor(QCursor(Qt.CursorShape.IBeamCursor))
        self.host.show_status("")

    def remove_relation(self, relation_id: str) -> None:
        annotation = self._editable()
        relation = annotation.relation(relation_id) if annotation is not None else None
        if relation is not None and self.session is not None and self.current is not None:
            self._push(commands.RemoveRelation(self.session, self.current, relation))

    def relation_activated(self, relation_id: str) -> None:
        if self.session is None or self.current is None:
            return
        relation = self.session.annotation(self.current).relation(relation_id)
        if relation is not None:
            self.host.select_span(relation.head, reveal=True)

    def on_span_clicked(self, span_id: str) -> None:
        if self.pending_relation is not None:
            if span_id:
                self._finish_relation(span_id)
            else:
                self.end_relation_mode()
            return
        self.host.select_span(span_id or None)

    def selection_changed(self) -> None:
        if self.host.view.textCursor().hasSelection() and self.host.view.selected_span is not None:
            self._remember_quote(self.host.view.selected_span)
            self.host.select_span(None)

    def span_menu(self, span_id: str, position: QPoint) -> None:
        if self.session is None or self.current is None:
            return
        menu = QMenu(self.host.window())
        annotation = self.session.annotation(self.current)
        span = self._span(span_id)
        if span is None:
            if self.host.view.selected_range() is not None:
                label_menu = menu.addMenu("Label selection as")
                for label in self.session.project.schema.labels:
                    label_menu.addAction(label.name, partial(self.apply_label, label.name))
            else:
                return
        else:
            self.host.select_span(span.id)
            relabel = menu.addMenu("Relabel as")
            for label in self.session.project.schema.labels:
                action = relabel.addAction(label.name, partial(self.relabel, span.id, label.name))
                action.setEnabled(label.name != span.label)
            menu.addAction("Edit note…", partial(self.edit_span_note, span.id))
            for relation in self.session.project.schema.relations:
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
