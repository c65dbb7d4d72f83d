"""Live refresh on a team server: other analysts' saves show in the open windows.

A store that hears of other programs' saves (:class:`LiveChanges`, the PostgreSQL
store) is polled from a timer, never waiting (timeout 0), so the window's thread is
never blocked. The labelling window updates the team's progress under its document
list; review mode reads the compared layers again, with their disagreements and the
agreement. The analyst's own layer is never read back from the server: no one else
writes it, and what is open in the window must not be overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QLabel

from annotator.core.errors import AnnotatorError
from annotator.store.interface import AnalystCounts, LiveChanges, Routing

if TYPE_CHECKING:
    from PySide6.QtWidgets import QListWidget, QStatusBar

    from annotator.review.adjudication import Adjudicator
    from annotator.review.agreement import AgreementReport
    from annotator.review.disagreements import Disagreement, DisagreementCursor
    from annotator.store.interface import ProjectStore
    from annotator.ui.agreement_chart import AgreementPanel
    from annotator.ui.document_list import DocumentList

# How often the server's notices are read: a colleague's save shows within half a second.
POLL_INTERVAL_MS = 500

Changes = Sequence[tuple[str, str]]


class LiveRefresh(QObject):
    """Polls a live store and hands each batch of others' changes to ``on_changes``.

    An error while polling (the server out of reach) goes once to ``on_error``; polling
    goes on, so that changes show again when the server is back.
    """

    def __init__(
        self,
        project: LiveChanges,
        on_changes: Callable[[Changes], None],
        on_error: Callable[[str], None],
        parent: QObject | None = None,
        interval_ms: int = POLL_INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self.project = project
        self.on_changes = on_changes
        self.on_error = on_error
        self._failing = False
        project.listen()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)
        self.timer.start()

    def poll(self) -> None:
        try:
            changes = self.project.poll_changes(0.0)
        except AnnotatorError as exc:
            if not self._failing:
                self._failing = True
                self.on_error(f"Not hearing of colleagues' saves: {exc}")
            return
        self._failing = False
        if changes:
            self.on_changes(changes)

    def stop(self) -> None:
        self.timer.stop()


def follow(
    project: ProjectStore,
    on_changes: Callable[[Changes], None],
    on_error: Callable[[str], None],
    parent: QObject,
) -> LiveRefresh | None:
    """Poll ``project`` if it can tell of others' saves; None for a folder or memory."""
    if not isinstance(project, LiveChanges):
        return None
    try:
        return LiveRefresh(project, on_changes, on_error, parent)
    except AnnotatorError as exc:
        on_error(f"Not hearing of colleagues' saves: {exc}")
        return None


def team_progress(project: ProjectStore) -> str:
    """One line of each analyst's done and handed-out documents; "" if the store does
    not hand documents out."""
    if not isinstance(project, Routing):
        return ""
    try:
        progress = project.progress_by_annotator()
    except AnnotatorError as exc:
        return f"Team progress unknown: {exc}"
    return describe_progress(progress)


def describe_progress(progress: Mapping[str, AnalystCounts]) -> str:
    if not progress:
        return "Team: no document handed out yet"
    parts = [
        f"{name} {counts.done} done / {counts.handed_out} handed out"
        for name, counts in sorted(progress.items())
    ]
    return "Team: " + " · ".join(parts)


def others(changes: Changes, annotator: str) -> list[tuple[str, str]]:
    """The changes made by analysts other than ``annotator`` (whose layer is theirs alone)."""
    return [(name, doc_id) for name, doc_id in changes if name != annotator]


class ReviewHost(Protocol):
    """What the live part needs of ui.review_mode.ReviewWindow (which imports this
    module, so it is described here rather than imported)."""

    project: ProjectStore
    reviewer: str
    annotators: list[str]
    follows_every_analyst: bool
    adjudicator: Adjudicator
    walker: DisagreementCursor
    doc_ids: list[str]
    doc_id: str | None
    items: list[Disagreement]
    disagreements: QListWidget
    agreement: AgreementPanel
    report: AgreementReport
    _states: dict[str, tuple[int, int, bool]]

    def statusBar(self) -> QStatusBar: ...
    def installEventFilter(self, watcher: QObject) -> None: ...
    def findChild(self, kind: type[ReviewFollower]) -> ReviewFollower | None: ...
    def open_document(self, doc_id: str, focus: Disagreement | None = None) -> None: ...
    def _fill_documents(self) -> None: ...
    def _refresh_document_item(self, doc_id: str) -> None: ...
    def _update_status(self) -> None: ...


Host = TypeVar("Host", bound=ReviewHost)


# --- review mode ---------------------------------------------------------------------------


class ReviewFollower(QObject):
    """A review window's live part: the team line in its status bar and the polling,
    stopped when the window closes (its project closes then)."""

    def __init__(self, window: ReviewHost) -> None:
        assert isinstance(window, QObject)
        super().__init__(window)
        self.window = window
        self.team = QLabel()
        self.team.setObjectName("teamProgress")
        window.statusBar().addPermanentWidget(self.team)
        self.show_team()
        self.live = follow(
            window.project,
            lambda changes: refresh_review(window, changes, self.show_team),
            lambda message: window.statusBar().showMessage(message, 8000),
            self,
        )
        window.installEventFilter(self)

    def show_team(self) -> None:
        self.team.setText(team_progress(self.window.project))
        self.team.setVisible(bool(self.team.text()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close and self.live is not None:
            self.live.stop()
        return False


def follow_review(window: Host) -> Host:
    """Keep a review window's compared layers, disagreements, agreement and the team's
    progress up to date with the analysts' saves (on a store that tells of them)."""
    ReviewFollower(window)
    return window


def follower_of(window: ReviewHost) -> ReviewFollower | None:
    return window.findChild(ReviewFollower)


def refresh_review(window: ReviewHost, changes: Changes, show_team: Callable[[], None]) -> None:
    from annotator.review.agreement import compute_agreement

    show_team()
    saved = others(changes, window.reviewer)
    if window.follows_every_analyst and {name for name, _ in saved} - set(window.annotators):
        take_in_new_analysts(window)
    compared = set(window.annotators)
    touched = [(name, doc_id) for name, doc_id in saved if name in compared]
    if not touched:
        return
    source = window.adjudicator.source
    for name in {name for name, _ in touched}:
        source.stores[name].refresh()
    finder = window.adjudicator.finder
    doc_ids = {doc_id for _, doc_id in touched}
    if "" in doc_ids:
        finder.forget()
        window._states.clear()
    else:
        for doc_id in doc_ids:
            finder.forget(doc_id)
            window._states.pop(doc_id, None)
    window.report = compute_agreement(window.project, window.annotators, at_least=0)
    window.agreement.set_report(window.report)
    documents = window.adjudicator.documents()
    if documents != window.doc_ids:
        window.doc_ids = documents
        window.walker.doc_ids = list(documents)
        if window.doc_id in documents:
            window.walker.go_to(window.doc_id)
        else:
            window.walker.doc_index = 0
        window._fill_documents()
    else:
        for doc_id in doc_ids & set(documents):
            window._refresh_document_item(doc_id)
    if window.doc_id is None and window.doc_ids:
        window.open_document(window.doc_ids[0])
    elif window.doc_id in window.doc_ids and ("" in doc_ids or window.doc_id in doc_ids):
        row = window.disagreements.currentRow()
        window.open_document(window.doc_id)
        if 0 <= row < len(window.items):
            window.disagreements.setCurrentRow(row)
    window._update_status()


def take_in_new_analysts(window: ReviewHost) -> None:
    """Compare every analyst the project has now (one who started after the window
    opened), with the layers and disagreements read afresh."""
    from annotator.review.source import analysts

    names = analysts(window.project)
    if names == window.annotators:
        return  # the gold layer, or a copy of the example labels
    window.adjudicator.compare(names, at_least=0)
    window.annotators = window.adjudicator.annotators
    window.walker.finder = window.adjudicator.finder
    window._states.clear()


# --- the labelling window ------------------------------------------------------------------


def follow_labelling(
    project: ProjectStore,
    annotator: str,
    document_list: DocumentList,
    show_status: Callable[[str, int], None],
    parent: QObject,
) -> LiveRefresh | None:
    """Show the team's progress under the document list, updated as colleagues save.
    Only others' saves count: this analyst's own labels are the window's alone."""

    def show_team() -> None:
        document_list.show_team(team_progress(project))

    def on_changes(changes: Changes) -> None:
        if others(changes, annotator):
            show_team()

    show_team()
    live = follow(project, on_changes, lambda message: show_status(message, 8000), parent)
    if live is not None:
        # This program's own saves are not announced back to it: its own count is
        # watched in the list instead.
        own_done = [document_list.done_count()]

        def own_saves() -> None:
            if document_list.done_count() != own_done[0]:
                own_done[0] = document_list.done_count()
                show_team()

        live.timer.timeout.connect(own_saves)
    return live


def next_routed(project: ProjectStore, annotator: str) -> str | None:
    """The document the store hands this analyst next (claimed for them), or None."""
    assert isinstance(project, Routing)
    return project.next_document(annotator)


def routes(project: ProjectStore | None) -> bool:
    """The store hands documents out, rather than the analyst picking from the list."""
    return isinstance(project, Routing)
