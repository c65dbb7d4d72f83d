"""The index of a journal: where each document's latest line is, and its summary.

A line's summary (status, counts, time of the save) is read from the fields before its
spans, so indexing a journal never parses the spans. The index of a journal as of its
writer's last close is kept beside it, in ``annotations/.NAME.jsonl.idx``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from annotator.core.models import Status
from annotator.core.records import COUNTS_KEY
from annotator.store.files import Scannable
from annotator.store.sealed import SPANS_MARK
from annotator.store.sidecar import read_sidecar


@dataclass(slots=True)
class JournalEntry:
    """Where a document's latest line is in the journal, and its summary."""

    offset: int
    length: int
    line: int
    status: Status
    spans: int
    relations: int
    updated: str


def entry_from_head(
    head: object, offset: int, length: int, line_no: int
) -> tuple[str, JournalEntry] | None:
    """The doc id and index entry from a line's parsed summary; None if it lacks counts."""
    if type(head) is not dict:
        return None
    doc_id = head.get("doc_id")
    counts = head.get(COUNTS_KEY)
    if (
        type(doc_id) is not str
        or type(counts) is not list
        or len(counts) != 2
        or type(counts[0]) is not int
        or type(counts[1]) is not int
    ):
        return None
    entry = JournalEntry(
        offset,
        length,
        line_no,
        head.get("status", "todo"),
        counts[0],
        counts[1],
        head.get("updated", ""),
    )
    return doc_id, entry


def summary_of(
    data: Scannable, offset: int, end: int, line_no: int, start: int = 0
) -> tuple[str, JournalEntry] | None:
    """A journal line's doc id and summary, read from the fields before its spans.

    A quote inside a JSON string is always escaped, so the first ``,"spans":`` of a line
    lies outside any string; if it is nested deeper than the top level, the prefix
    closed with one brace is not valid JSON and the caller parses the whole line.
    None means "parse the whole line" (lines of older versions carry no counts).
    """
    mark = data.find(SPANS_MARK, offset, end)
    if mark == -1 or data[end - 1] != 0x7D:  # a line that does not end with "}" is damaged
        return None
    try:
        head = orjson.loads(data[offset:mark] + b"}")
    except orjson.JSONDecodeError:
        return None
    return entry_from_head(head, start + offset, end - offset, line_no)


def entry_from_line(raw: bytes, offset: int, length: int, line_no: int) -> tuple[str, JournalEntry]:
    """The doc id and index entry of a line parsed whole (a line of an older version,
    or one the summary could not be read from); raises JSONDecodeError, KeyError,
    TypeError or AttributeError for a line that is not a record."""
    record = orjson.loads(raw)
    doc_id = record["doc_id"]
    if not isinstance(doc_id, str):
        raise TypeError('"doc_id" must be a string')
    entry = JournalEntry(
        offset,
        length,
        line_no,
        record.get("status", "todo"),
        len(record.get("spans") or ()),
        len(record.get("relations") or ()),
        record.get("updated", ""),
    )
    return doc_id, entry


def load_sidecar_entries(
    path: Path, fd: int | None, stat: os.stat_result
) -> tuple[dict[str, JournalEntry], int, int] | None:
    """(entries, journal size covered, lines covered) from the sidecar at ``path`` for the
    journal open as ``fd``, or None when it is missing, unreadable or not about this
    journal (compacted, cut back, edited)."""
    try:
        assert fd is not None
        rows, covered, lines = read_sidecar(path, fd, stat, stat.st_size)
        entries = {
            row[0]: JournalEntry(row[1], row[2], row[3], row[4], row[5], row[6], row[7])
            for row in rows
        }
        if len(entries) != len(rows) or any(
            entry.offset + entry.length >= covered or entry.line > lines
            for entry in entries.values()
        ):
            return None
    except (OSError, ValueError, KeyError, TypeError, IndexError, AssertionError):
        return None
    return entries, covered, lines


def sidecar_rows(entries: dict[str, JournalEntry]) -> list[tuple[Any, ...]]:
    """The sidecar's rows for ``entries``, as :func:`load_sidecar_entries` reads them."""
    return [
        (doc_id, e.offset, e.length, e.line, e.status, e.spans, e.relations, e.updated)
        for doc_id, e in entries.items()
    ]
