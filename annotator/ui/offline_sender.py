"""Sending the edits kept offline once the store can be reached again.

While edits wait (the session's ``waiting``), a timer asks the session to send them:
after two seconds, then twice as long after each failed try, up to a minute. The save
state in the status bar says "Offline, N edits waiting" meanwhile (the window's
``update_title``); once everything is sent the status bar says how many went.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QTimer

from annotator.core.errors import AnnotatorError

if TYPE_CHECKING:
    from annotator.editing.session import Session


class SenderHost(Protocol):
    def show_status(self, message: str, timeout: int = 0) -> None: ...
    def update_title(self) -> None: ...


def edits(count: int) -> str:
    return f"{count} edit{'s' if count != 1 else ''}"


def waiting_state(session: Session) -> tuple[str, str]:
    """The save state while edits wait, and its tooltip (where they are, and why)."""
    text = f"Offline, {edits(session.waiting)} waiting"
    offline = session.offline
    if offline is None:
        return text, ""
    reason = f" ({offline.unreachable_reason})" if offline.unreachable_reason else ""
    return text, (
        f"The server could not be reached{reason}. The edits are kept on this computer in "
        f"{offline.journal.path} and sent as soon as it can be reached."
    )


class OfflineSender(QObject):
    """Retries ``session.send_waiting`` with backoff while edits wait."""

    FIRST_DELAY_MS = 2_000
    LONGEST_DELAY_MS = 60_000

    def __init__(self, host: SenderHost, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.session = session
        self.sent = 0  # sent since the store was last found out of reach
        self._reported = 0  # refused edits already shown
        self._delay = self.FIRST_DELAY_MS
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.send)
        saved = session.saved

        def saved_and_check() -> None:
            saved()
            self.check()

        session.saved = saved_and_check
        if session.waiting:
            # Edits left waiting by an earlier run: sent at the first chance.
            self._timer.start(0)

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def check(self) -> None:
        """After a save: start retrying if edits now wait."""
        if self.session.waiting and not self._timer.isActive():
            self._timer.start(self._delay)

    def send(self) -> None:
        try:
            self.sent += self.session.send_waiting()
        except (AnnotatorError, OSError) as exc:
            # The local journal could not be written: the edits still wait.
            self.host.show_status(f"Could not send the edits kept offline: {exc}")
        offline = self.session.offline
        rejected = offline.rejected[self._reported :] if offline is not None else []
        self._reported += len(rejected)
        if self.session.waiting:
            self._delay = min(self._delay * 2, self.LONGEST_DELAY_MS)
            self._timer.start(self._delay)
        else:
            self._delay = self.FIRST_DELAY_MS
            if self.sent or not rejected:
                self.host.show_status(f"Back online: {edits(self.sent)} sent", 10_000)
            self.sent = 0
        if rejected:
            names = ", ".join(rejection.doc_id for rejection in rejected)
            self.host.show_status(
                f"{edits(len(rejected))} made offline refused by the server ({names}): "
                f"{rejected[0].message}"
            )
        self.host.update_title()

    def close(self) -> None:
        """Stop retrying and close the local journal: what waits is sent at the next open."""
        self._timer.stop()
        if self.session.offline is not None:
            self.session.offline.journal.close()
