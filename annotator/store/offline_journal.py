"""The local journal of edits waiting for a store that cannot be reached (see offline.py).

The folder store's kind of journal: one line per save, the same sealed line as
annotations/NAME.jsonl, appended with one write() and an fsync, so that a crash (even
kill -9) tears at most the line being written; the next open moves a torn last line
aside to NAME.jsonl.torn and names the document it held. Two more kinds of line mark a
record done: ``{"sent": doc_id, "line": n}`` once the store saved the record of line
``n``, ``{"rejected": doc_id, "line": n}`` once the store refused it and it was kept in
NAME.jsonl.rejected. The last record of a document that no mark covers is waiting.
When nothing waits the journal is emptied; an open that finds lines no longer needed
rewrites it atomically with the waiting records alone.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson

from annotator.core.errors import AnnotatorError
from annotator.core.records import CHECKSUM_KEY, intact
from annotator.store.files import FileLock, append_durably, atomic_writer, fsync_enabled
from annotator.store.journal_recovery import (
    append_to_file,
    end_last_line,
    keep_torn_line,
    write_failure,
)

Mark = Literal["sent", "rejected"]
_MARKS: tuple[Mark, ...] = ("sent", "rejected")
# The document a torn record was of: its line begins with the doc_id field.
_DOC_ID_AT_START = re.compile(rb'^\{"doc_id":("(?:[^"\\]|\\.)*")')


@dataclass(frozen=True, slots=True)
class WaitingSummary:
    """Status and counts of a waiting record, for the document list."""

    status: Any
    spans: int
    relations: int
    updated: str


@dataclass(frozen=True, slots=True)
class Waiting:
    """A document's last record not yet in the store: its journal line and the bytes."""

    line: int
    raw: bytes
    summary: WaitingSummary


class OfflineJournal:
    """The waiting records of one annotator on one project, held with a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []
        # doc id -> its waiting record, oldest first (the order they are to be sent in).
        self.waiting: dict[str, Waiting] = {}
        self.closed = False
        self._fd: int | None = None
        self._size = 0
        self._lines = 0
        self._cut_pending = False
        self._lock = FileLock(path.with_name(path.name + ".lock"), str(path))
        self._lock.acquire()
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    @property
    def rejected_path(self) -> Path:
        """NAME.jsonl.rejected: records the store refused, each after a line saying why."""
        return self.path.with_name(self.path.name + ".rejected")

    # --- opening -------------------------------------------------------------------------

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            stale.unlink(missing_ok=True)  # a rewrite killed half-way; we hold the lock
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        data = self.path.read_bytes()
        self._scan(data)
        if self._lines > len(self.waiting):
            self._rewrite()

    def _scan(self, data: bytes) -> None:
        assert self._fd is not None
        offset = line_no = 0
        size = len(data)
        while offset < size:
            newline = data.find(b"\n", offset)
            end = size if newline == -1 else newline
            raw = data[offset:end]
            line_no += 1
            parsed = _parse(raw) if raw.strip() else None
            if parsed is None and newline == -1:
                self.problems.append(self._torn(offset, raw, line_no))
                size = offset
                line_no -= 1
                break
            if parsed is None:
                if raw.strip():
                    self.problems.append(
                        f"{self.path}:{line_no}: unreadable line skipped; "
                        "an edit kept offline may be lost there"
                    )
            else:
                if newline == -1:
                    end_last_line(self.path, self._fd, size)  # a complete record, newline lost
                    size += 1
                self._apply(parsed, raw, line_no)
            offset = end + 1
        self._size = size
        self._lines = line_no

    def _torn(self, offset: int, raw: bytes, line_no: int) -> str:
        assert self._fd is not None
        found = _DOC_ID_AT_START.match(raw)
        doc_id: object = None
        if found is not None:
            with contextlib.suppress(orjson.JSONDecodeError):
                doc_id = orjson.loads(found.group(1))
        kept = keep_torn_line(self.path, self._fd, offset, raw, line_no)
        where = f"{self.path}:{line_no}"
        if doc_id is None:
            return f"{where}: a line cut off by a crash was moved aside{kept}"
        return (
            f"{where}: the edit of document {doc_id} was cut off by a crash while it was kept "
            f"offline; it was never reported saved, and that document's earlier edit is used{kept}"
        )

    def _apply(self, parsed: dict[str, Any], raw: bytes, line_no: int) -> None:
        for mark in _MARKS:
            if mark in parsed:
                doc_id = parsed[mark]
                waiting = self.waiting.get(doc_id)
                if waiting is not None and waiting.line == parsed.get("line"):
                    del self.waiting[doc_id]
                return
        doc_id = parsed["doc_id"]
        self.waiting.pop(doc_id, None)  # to the end: the order is that of the last saves
        self.waiting[doc_id] = Waiting(line_no, raw, _summary(parsed))

    def _rewrite(self) -> None:
        """Keep only the waiting records (renumbered), atomically."""
        assert self._fd is not None
        records = list(self.waiting.items())
        try:
            with atomic_writer(self.path) as handle:
                for _, waiting in records:
                    handle.write(waiting.raw + b"\n")
        except OSError as exc:
            # Only space is lost: the journal as it was is still whole and open.
            self.problems.append(str(write_failure(self.path, exc, "it was not compacted")))
            return
        os.close(self._fd)
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
        self.waiting = {
            doc_id: Waiting(number, waiting.raw, waiting.summary)
            for number, (doc_id, waiting) in enumerate(records, 1)
        }
        self._lines = len(records)
        self._size = os.fstat(self._fd).st_size

    # --- writing -------------------------------------------------------------------------

    def keep(self, doc_id: str, line: bytes, summary: WaitingSummary) -> None:
        """Append a document's record (a journal line without its newline) durably."""
        self._append(line + b"\n", f"the edit of document {doc_id} was not kept offline")
        self.waiting.pop(doc_id, None)
        self.waiting[doc_id] = Waiting(self._lines, line, summary)

    def mark(self, mark: Mark, doc_id: str) -> None:
        """Record that a document's waiting record is done with; empty the journal when
        nothing waits any more."""
        waiting = self.waiting[doc_id]
        line = orjson.dumps({mark: doc_id, "line": waiting.line}) + b"\n"
        self._append(line, f"document {doc_id} was {mark} but could not be marked so")
        del self.waiting[doc_id]
        if not self.waiting:
            self._empty()

    def reject(self, doc_id: str, reason: str) -> None:
        """Move a refused record to NAME.jsonl.rejected, after a line saying why."""
        waiting = self.waiting[doc_id]
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        header = f"# {stamp} document {doc_id} refused: {' '.join(reason.split())}\n"
        try:
            append_to_file(self.rejected_path, header.encode() + waiting.raw + b"\n")
        except OSError as exc:
            raise write_failure(
                self.rejected_path, exc, f"the refused edit of document {doc_id} is still waiting"
            ) from None
        self.mark("rejected", doc_id)

    def _append(self, data: bytes, not_done: str) -> None:
        if self._fd is None:
            raise AnnotatorError(f"{self.path}: closed; {not_done}")
        if self._cut_pending:
            self._cut_back(not_done)
        try:
            append_durably(self._fd, data)
        except OSError as exc:
            # Left in place, the bytes written would begin the next line.
            with contextlib.suppress(AnnotatorError):
                self._cut_back(not_done)
            raise write_failure(self.path, exc, not_done) from None
        self._size += len(data)
        self._lines += 1

    def _cut_back(self, not_done: str) -> None:
        assert self._fd is not None
        self._cut_pending = True
        try:
            os.ftruncate(self._fd, self._size)
        except OSError as exc:
            raise write_failure(
                self.path, exc, f"a failed write could not be cut off the end; {not_done}"
            ) from None
        self._cut_pending = False

    def _empty(self) -> None:
        assert self._fd is not None
        try:
            os.ftruncate(self._fd, 0)
            if fsync_enabled():
                os.fsync(self._fd)
        except OSError:
            # The marks say everything was sent: the next open finds nothing waiting.
            return
        self._size = self._lines = 0

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._lock.release()


def _parse(raw: bytes) -> dict[str, Any] | None:
    """A line of the journal as a dict, or None if it is not one (torn, damaged)."""
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(parsed, dict):
        return None
    if any(mark in parsed for mark in _MARKS):
        marked = next(parsed[mark] for mark in _MARKS if mark in parsed)
        return parsed if isinstance(marked, str) and isinstance(parsed.get("line"), int) else None
    if not isinstance(parsed.get("doc_id"), str) or not isinstance(parsed.get("spans"), list):
        return None
    if CHECKSUM_KEY in parsed and not intact(raw):
        return None
    return parsed


def _summary(record: dict[str, Any]) -> WaitingSummary:
    relations = record.get("relations")
    return WaitingSummary(
        record.get("status", "todo"),
        len(record["spans"]),
        len(relations) if isinstance(relations, list) else 0,
        str(record.get("updated", "")),
    )
