"""The index of documents.jsonl: where each document's line is, and what lists show of it.

Opening a project reads each line once (:func:`index_lines`) and keeps its id, meta,
byte range and a fingerprint of its text's start; texts are read back when asked for.
The index is kept beside the file in ``.documents.jsonl.idx`` (:class:`DocumentsSidecar`),
so that the next open reads only the lines appended since.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from annotator.store.files import Scannable
from annotator.store.names import DOCUMENTS_FILE
from annotator.store.sidecar import read_sidecar, write_sidecar

_HEAD = 64  # characters of a text's start in DocumentEntry.head


@dataclass(slots=True)
class DocumentEntry:
    """Where one document lives in documents.jsonl, and what the lists show of it."""

    id: str
    meta: dict[str, Any]
    offset: int
    length: int
    line: int
    chars: int
    # A fingerprint of the text's start (head_of), so that an import looks for a repeated
    # text only among stored texts that start the same way. Stable across processes: the
    # sidecar index keeps it.
    head: int = 0

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or self.id)


def head_of(text: str) -> int:
    """DocumentEntry.head: a checksum of the text's first characters."""
    return zlib.crc32(text[:_HEAD].encode("utf-8", "surrogatepass"))


def index_lines(
    data: Scannable,
    entries: list[DocumentEntry],
    index: dict[str, int],
    start: int,
    line_no: int,
    documents: Path,
    problems: list[str],
) -> int:
    """Index the document lines in ``data`` (which begins at ``start``, line
    ``line_no + 1``) of ``documents`` into ``entries`` and ``index``, adding the lines
    it skips to ``problems``; the number of the last line."""
    offset = 0
    length = len(data)
    loads = orjson.loads
    while offset < length:
        newline = data.find(b"\n", offset)
        end = length if newline == -1 else newline
        line_no += 1
        if end > offset:
            try:
                record = loads(data[offset:end])
                doc_id = record["id"]
                text = record["text"]
                meta = record.get("meta") or {}
                # A hand-edited or badly merged line must not stop the project
                # opening.
                if not isinstance(doc_id, str) or not isinstance(text, str):
                    raise TypeError('"id" and "text" must be strings')
                if not isinstance(meta, dict):
                    raise TypeError('"meta" must be an object')
            except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                problems.append(f"{documents}:{line_no}: unreadable document line skipped ({exc})")
            else:
                if doc_id in index:
                    problems.append(
                        f"{documents}:{line_no}: duplicate document id {doc_id!r} skipped"
                    )
                else:
                    index[doc_id] = len(entries)
                    entries.append(
                        DocumentEntry(
                            doc_id,
                            meta,
                            start + offset,
                            end - offset,
                            line_no,
                            len(text),
                            head_of(text),
                        )
                    )
        offset = end + 1
    return line_no


class DocumentsSidecar:
    """The documents index as of its writing, in ``.documents.jsonl.idx``.

    documents.jsonl only grows (imports append; a failed one is cut back to where it
    began), so the sidecar describes a prefix of it: its size, line count, the file's
    inode, mtime and last bytes at that size, and one row per document. An open takes
    the rows and reads only the lines after that prefix. Anything that does not match
    (another file, a cut or edit, a damaged sidecar) means the whole file is read again.
    """

    def __init__(self, root: Path) -> None:
        self.path = root / f".{DOCUMENTS_FILE}.idx"

    def load(
        self, fd: int, stat: os.stat_result, size: int
    ) -> tuple[list[DocumentEntry], dict[str, int], int, int] | None:
        """(entries, index, bytes covered, lines covered), or None if it is not usable."""
        try:
            rows, covered, lines = read_sidecar(self.path, fd, stat, size)
            entries = [DocumentEntry(*row) for row in rows]
            index = {entry.id: number for number, entry in enumerate(entries)}
            if len(index) != len(entries) or any(
                entry.offset + entry.length >= covered or entry.line > lines for entry in entries
            ):
                return None
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None
        return entries, index, covered, lines

    def save(self, fd: int, entries: list[DocumentEntry], covered: int, lines: int) -> None:
        """Write the index of the file's first ``covered`` bytes (whole lines)."""
        if covered > 0:
            rows = [
                (e.id, e.meta, e.offset, e.length, e.line, e.chars, e.head)
                for e in entries
                if e.offset + e.length < covered
            ]
            write_sidecar(self.path, fd, covered, lines, rows)
