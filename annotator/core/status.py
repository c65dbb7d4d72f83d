"""A document's labelling status. Plain Python (no pydantic): the window needs the list of
statuses to build its menus before the models are loaded."""

from __future__ import annotations

from typing import Literal

Status = Literal["todo", "in_progress", "done", "skipped", "flagged"]
STATUSES: tuple[Status, ...] = ("todo", "in_progress", "done", "skipped", "flagged")
