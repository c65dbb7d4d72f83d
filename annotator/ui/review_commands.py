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
