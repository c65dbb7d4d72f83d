"""Opening the review window: for the command line (`annotator review`) and the labelling
window's Review action."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from annotator.ui.live_refresh import follow_review
from annotator.ui.review_mode import ReviewWindow


def open_review(
    project_path: str | Path, reviewer: str, annotators: list[str] | None = None
) -> ReviewWindow:
    """Build the review window for a project, without starting the event loop."""
    QApplication.instance() or QApplication(sys.argv[:1])
    return follow_review(ReviewWindow(project_path, reviewer, annotators))


def run_review(project_path: str | Path, reviewer: str, annotators: list[str] | None = None) -> int:
    from annotator.ui.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    apply_theme(app, dark=False)
    window = open_review(project_path, reviewer, annotators)
    window.show()
    return int(app.exec())
