"""Errors that reach the user as one line: what went wrong, and where."""

from __future__ import annotations

from pathlib import Path


class AnnotatorError(Exception):
    """Any failure the user should see as one clear line (no traceback)."""


class AnnotationError(AnnotatorError):
    """An edit or a label that would corrupt an annotation."""


class InputError(AnnotatorError):
    """Bad input: names the file and, where there is one, the line (or JSON path)."""

    def __init__(self, path: str | Path, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class LockedError(AnnotatorError):
    """Another program holds the write lock on an annotator's labels."""
