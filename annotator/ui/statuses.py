"""How the window names and marks a document's status (menus, the list, the panel).

Its own module: the menus need these names before the document list (and its Qt view
classes) is loaded.
"""

from __future__ import annotations

STATUS_TEXT = {
    "todo": "to do",
    "in_progress": "in progress",
    "done": "done",
    "skipped": "skipped",
    "flagged": "flagged",
}
STATUS_MARK = {"todo": "○", "in_progress": "◐", "done": "●", "skipped": "⊘", "flagged": "⚑"}
