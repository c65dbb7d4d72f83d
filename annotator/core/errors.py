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


class StoreUnavailable(AnnotatorError):
    """The store cannot be reached right now; the same request may succeed later.

    A store that lives elsewhere (a database server) raises it when the request did not
    get an answer: the connection could not be made or was lost, the server is down or
    restarting, the request timed out. It says nothing about the data, so an edit that
    met it is kept on this computer and sent again (store/offline.py). Every other
    failure is an answer, and a store raises AnnotatorError (or a subclass) for it: a
    refused edit (labels that do not fit the text, the document's text changed, a
    constraint the server enforces) is never kept for later, since sending it again
    would be refused again.
    """
