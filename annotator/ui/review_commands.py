"""The reviewer's undo command: each review action is one adjudicator edit on the stack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtGui import QUndoCommand

if TYPE_CHECKING:
    from annotator.review.adjudication import Adjudicator, Edit


class Reviewing(Protocol):
    """The review window, as its commands see it."""

    @property
    def adjudicator(self) -> Adjudicator: ...
    def after_edit(self, doc_id: str, reveal: bool) -> None: ...


class ReviewCommand(QUndoCommand):
    """One reviewer action. The action has already run when pushed; redo re-applies it."""

    def __init__(self, window: Reviewing, edit: Edit) -> None:
        super().__init__(edit.description)
        self.window = window
        self.edit = edit
        self._done = True

    def redo(self) -> None:
        if self._done:
            self._done = False
            self.window.after_edit(self.edit.doc_id, reveal=False)
        else:
            self.window.adjudicator.redo(self.edit)
            self.window.after_edit(self.edit.doc_id, reveal=True)

    def undo(self) -> None:
        self.window.adjudicator.undo(self.edit)
        self.window.after_edit(self.edit.doc_id, reveal=True)


def accepted_message(edit: Edit) -> str:
    """What "Accept agreed (this document)" did, for the status bar."""
    added = len(edit.after.spans) - len(edit.before.spans)
    linked = len(edit.after.relations) - len(edit.before.relations)
    if added == 0 and linked == 0:
        return "Agreed labels of this document are already in gold"
    return (
        f"Accepted {added} agreed span{'s' if added != 1 else ''} and {linked} "
        f"relation{'s' if linked != 1 else ''} into gold (Ctrl+Z undoes)"
    )
