"""One annotator's labels: an append-only journal, annotations/NAME.jsonl.

Each save appends one line holding that document's whole annotation, so a save costs
time in proportion to the document, never to the project; the last line for a document
wins. A save is one write() of one line followed by fsync, so a crash (even kill -9)
can only tear the line being written: on the next open a torn last line is moved aside
to NAME.jsonl.torn and reported, and the document's previous save is used. The journal
is compacted (rewritten atomically with only the latest lines) when superseded lines
outnumber live ones.

A save that fails part-way (a full disk, an I/O error) is cut back at once: the journal
is truncated to its length before the save, so the next save starts a line of its own,
and the failure is one line naming the journal. A reader (opened read-only) that finds
the last line unfinished while the writer holds the lock leaves it alone: that is a save
in flight, not a crash.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from itertools import chain
from pathlib import Path

import orjson

from annotator.core.bulk import no_gc
from annotator.core.errors import AnnotatorError
from annotator.core.models import DocumentAnnotation, text_hash
from annotator.core.records import LineEncoder, seal
from annotator.store.files import (
    FileLock,
    Scannable,
    append_durably,
    atomic_writer,
    file_range,
    fsync_enabled,
    sync,
)
from annotator.store.journal_index import (
    JournalEntry,
    entry_from_head,
    entry_from_line,
    load_sidecar_entries,
    sidecar_rows,
    summary_of,
)
from annotator.store.journal_lines import (
    PreparedLine,
    doc_ids_of,
    encode_validated,
    entries_of,
    prepare_checked_line,
    prepare_encoded_lines,
)
from annotator.store.journal_reader import JournalOwner, JournalReader
from annotator.store.journal_recovery import end_last_line, keep_torn_line, write_failure
from annotator.store.sealed import SPANS_MARK
from annotator.store.sidecar import write_sidecar

COMPACT_MIN_BYTES = 1 << 20
# Below this a journal is read whole faster than a sidecar is written at every close.
SIDECAR_MIN_BYTES = 1 << 20
# Lines appended by one write when a batch of them is appended (see append_prepared).
_APPEND_LINES = 1000


class AnnotationStore(JournalReader):
    """Read and save one annotator's labels; writable stores hold the annotator's lock."""

    def __init__(
        self, project: JournalOwner, name: str, writable: bool = True, folder: str = "annotations"
    ) -> None:
        self.project = project
        self.name = name
        self.writable = writable
        self.path = project.path / folder / f"{name}.jsonl"
        self.problems: list[str] = []
        self.closed = False
        self._lock = FileLock(self.path.with_suffix(".lock"), str(self.path))
        self._fd: int | None = None
        self._entries: dict[str, JournalEntry] = {}
        self._lines = 0
        self._size = 0
        # The journal size the sidecar index on disk describes (-1: none valid), and
        # whether this open found damage the sidecar must not hide from the next one.
        self._sidecar_size = -1
        self._damaged = False
        # Set while a failed append may have left bytes past _size that could not be cut
        # off yet: the next write cuts them first.
        self._cut_pending = False
        # The journal's size when this store indexed it, the unfinished last line of a
        # save in flight included (refresh looks for growth past it).
        self._seen_size = 0
        self._encoder = LineEncoder()
        # (doc_id, text, its hash) of the last save: an article's edits are saved one
        # after another, and hashing 1 MB each time would be most of a save's cost.
        self._digest: tuple[str, str, str] | None = None
        if writable:
            self._lock.acquire()
        try:
            self._open()
        except BaseException:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            self._lock.release()
            raise

    # --- opening -------------------------------------------------------------------------

    def _open(self) -> None:
        if self.writable:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # A compaction killed half-way leaves its temp file; we hold the lock, so no
            # one else is writing one now.
            for pattern in (f".{self.path.name}.*.tmp", f".{self.sidecar_path.name}.*.tmp"):
                for stale in self.path.parent.glob(pattern):
                    stale.unlink(missing_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        elif self.path.exists():
            self._fd = os.open(self.path, os.O_RDONLY)
        else:
            self._fd = None
            return
        self._index()
        if self.writable and self._should_compact():
            try:
                self.compact()
            except AnnotatorError as exc:
                # Compaction only saves space: the journal is intact as it was.
                self.problems.append(str(exc))

    def refresh(self) -> None:
        """Re-read a read-only journal if another writer appended to it or compacted it."""
        if self.writable or self.closed:
            return
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return
        if self._fd is not None:
            current = os.fstat(self._fd)
            if (current.st_ino, self._seen_size) == (stat.st_ino, stat.st_size):
                return
            os.close(self._fd)
            self._fd = None
        self.problems = []
        self._open()

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def sidecar_path(self) -> Path:
        """annotations/.NAME.jsonl.idx: the labels index as of the journal's last close."""
        return self.path.with_name(f".{self.path.name}.idx")

    @no_gc()
    def _index(self) -> None:
        assert self._fd is not None
        stat = os.fstat(self._fd)
        size = stat.st_size
        self._seen_size = size
        loaded = load_sidecar_entries(self.sidecar_path, self._fd, stat)
        if loaded is None:
            entries: dict[str, JournalEntry] = {}
            start = line_no = 0
        else:
            entries, start, line_no = loaded
        self._sidecar_size = start if loaded is not None else -1
        # Only the lines appended since the sidecar was written are read (all of them
        # without one): a torn last line is found and recovered here either way.
        with file_range(self._fd, start, size) as data:
            self._index_lines(data, entries, start, line_no)

    def _index_lines(
        self, data: Scannable, entries: dict[str, JournalEntry], start: int, line_no: int
    ) -> None:
        """Index the journal's lines in ``data`` (which begins at ``start``, line
        ``line_no + 1``) into ``entries``."""
        assert self._fd is not None
        size = len(data)
        # Complete lines are indexed at once; an unfinished last line (a save in flight,
        # or torn) is left to the loop below.
        complete = data.rfind(b"\n") + 1 if data[-1:] != b"\n" else size
        indexed = _index_of_summaries(data, start, line_no, complete)
        offset = 0
        if indexed is not None:
            summaries, lines = indexed
            entries.update(summaries)
            line_no += lines
            offset = complete
        find = data.find
        while offset < size:
            newline = find(b"\n", offset)
            end = size if newline == -1 else newline
            if newline == -1 and not self.writable and self._in_flight(start + size):
                # The writer is saving this line now: the journal so far is complete.
                size = offset
                break
            line_no += 1
            # A complete line as this program writes it: its summary is read from the
            # start of the line, without parsing the spans (most of the line).
            found = summary_of(data, offset, end, line_no, start) if newline != -1 else None
            if found is not None:
                entries[found[0]] = found[1]
                offset = end + 1
                continue
            raw = data[offset:end]
            if raw.strip():
                try:
                    doc_id, entry = entry_from_line(raw, start + offset, end - offset, line_no)
                except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                    if newline == -1:
                        self._recover_torn_tail(start + offset, raw, line_no)
                        # Cut back: the journal's mtime no longer matches the sidecar's.
                        self._sidecar_size = -1
                        size = offset
                        line_no -= 1
                        break
                    self._damaged = True
                    self.problems.append(
                        f"{self.path}:{line_no}: unreadable line skipped ({exc}); "
                        "the document's earlier save is used"
                    )
                else:
                    entries[doc_id] = entry
                    if newline == -1 and self.writable:
                        # A complete record whose newline was lost: finish the line.
                        self._finish_last_line(start + size)
                        size += 1
            offset = end + 1
        self._entries = entries
        self._lines = line_no
        self._size = start + size

    def _write_sidecar(self) -> None:
        """Save the index for the next open; only the writer does, holding the lock."""
        if (
            not self.writable
            or self._fd is None
            or self._damaged
            or self._sidecar_size == self._size
            or self._size < SIDECAR_MIN_BYTES
            or os.fstat(self._fd).st_size != self._size
        ):
            return
        rows = sidecar_rows(self._entries)
        if write_sidecar(self.sidecar_path, self._fd, self._size, self._lines, rows):
            self._sidecar_size = self._size

    def _in_flight(self, scanned: int) -> bool:
        """Whether the unfinished last line a reader found is a save still being written:
        the writer holds the lock, or the journal has changed since it was scanned (the
        writer finished the line and closed). Otherwise its writer died while saving."""
        assert self._fd is not None
        return self._lock.held_by_a_writer() or os.fstat(self._fd).st_size != scanned

    def _finish_last_line(self, size: int) -> None:
        assert self._fd is not None
        end_last_line(self.path, self._fd, size)

    def _recover_torn_tail(self, offset: int, raw: bytes, line_no: int) -> None:
        message = (
            f"{self.path}:{line_no}: the last save was cut off (a crash while saving); "
            f"the document's previous save is used"
        )
        if self.writable:
            assert self._fd is not None
            message += keep_torn_line(self.path, self._fd, offset, raw, line_no)
        self.problems.append(message)

    def _should_compact(self) -> bool:
        return self._size > COMPACT_MIN_BYTES and self._lines > 2 * max(len(self._entries), 1)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._fd is not None:
            try:
                self._write_sidecar()
            finally:
                os.close(self._fd)
            self._fd = None
        self._lock.release()

    def __enter__(self) -> AnnotationStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ---------------------------------------------------------------------------

    def save(self, annotation: DocumentAnnotation, text: str | None = None) -> None:
        """Append this document's labels; they must fit the document's current text."""
        if not self.writable or self._fd is None:
            raise AnnotatorError(f"{self.path}: opened read-only")
        if text is None:
            text = self.project.get_text(annotation.doc_id)
        line = self._line_for(annotation, text, self._encoder) + b"\n"
        offset = self._size
        self._append((line,), "the edit was not saved")
        self._size += len(line)
        self._lines += 1
        self._entries[annotation.doc_id] = JournalEntry(
            offset,
            len(line) - 1,
            self._lines,
            annotation.status,
            len(annotation.spans),
            len(annotation.relations),
            annotation.updated,
        )

    def _line_for(self, annotation: DocumentAnnotation, text: str, encoder: LineEncoder) -> bytes:
        cached = self._digest
        if cached is not None and cached[0] == annotation.doc_id and cached[1] is text:
            digest = cached[2]
        else:
            digest = text_hash(text)
            self._digest = (annotation.doc_id, text, digest)
        if not annotation.text_hash:
            annotation.text_hash = digest
        line = encoder.encode(annotation, text) if annotation.text_hash == digest else None
        if line is None:
            # Something is wrong: the model's and the text's checks say what.
            annotation.check_against(text)
            line = encode_validated(annotation)
        # Checked against this text (check_against raises for labels of another text).
        return seal(line) if annotation.text_hash == digest else line

    def save_many(self, annotations: list[DocumentAnnotation]) -> None:
        """Append several documents' labels with one write (imports)."""
        if not annotations:
            return
        if not self.writable or self._fd is None:
            raise AnnotatorError(f"{self.path}: opened read-only")
        encoder = LineEncoder(keep=0)
        self.append_prepared(
            [
                self.prepare(annotation, self.project.get_text(annotation.doc_id), encoder)
                for annotation in annotations
            ]
        )

    def prepare(
        self, annotation: DocumentAnnotation, text: str, encoder: LineEncoder | None = None
    ) -> PreparedLine:
        """Check and encode a document's labels for :meth:`append_prepared`, writing nothing.

        An import prepares its labels while its documents are still uncommitted (checked
        against the texts it is adding), and keeps the compact lines, not the models.
        """
        line = self._line_for(annotation, text, encoder or LineEncoder(keep=0))
        return PreparedLine(
            annotation.doc_id,
            line,
            annotation.status,
            len(annotation.spans),
            len(annotation.relations),
            annotation.updated,
        )

    # A new document's labels (or a batch's) already checked by an import's reader,
    # encoded without a model or a second check.
    prepare_checked = staticmethod(prepare_checked_line)
    prepare_encoded = staticmethod(prepare_encoded_lines)

    def append_prepared(self, prepared: list[PreparedLine]) -> None:
        """Append prepared lines with one write and one fsync (an import's many lines
        with a write per thousand lines, and one fsync)."""
        if not prepared:
            return
        if not self.writable or self._fd is None:
            raise AnnotatorError(f"{self.path}: opened read-only")
        line_no = self._lines
        lines, entries, size = entries_of(prepared, self._size, line_no)
        # An import's hundreds of MB go out a slice at a time: joining all of them first
        # cost a copy the size of the journal, and the memory for it.
        self._append(
            (
                b"\n".join(chain(lines[start : start + _APPEND_LINES], (b"",)))
                for start in range(0, len(lines), _APPEND_LINES)
            ),
            f"the labels of {len(lines)} document{'s' if len(lines) != 1 else ''} were not saved",
        )
        self._size = size
        self._lines = line_no + len(prepared)
        self._entries.update(zip(doc_ids_of(prepared), entries, strict=True))

    def _append(self, parts: Iterable[bytes], not_done: str) -> None:
        """Append ``parts`` at the journal's end and fsync once; if anything fails, cut
        the journal back to its length before and raise one line saying ``not_done``.

        The index and ``_size`` are the caller's to update, after this returns.
        """
        assert self._fd is not None
        if self._cut_pending:
            self._cut_back(not_done)
        try:
            for part in parts:
                append_durably(self._fd, part, sync=False)
            sync(self._fd)
        except BaseException as exc:
            # Left in place, the bytes written would begin the next save's line: that
            # save would be reported done, yet unreadable, and the journal broken.
            with contextlib.suppress(AnnotatorError):
                self._cut_back(not_done)
            if isinstance(exc, OSError):
                raise write_failure(self.path, exc, not_done) from None
            raise

    def _cut_back(self, not_done: str) -> None:
        """Truncate the journal to ``_size``, its length after the last good save."""
        assert self._fd is not None
        self._cut_pending = True
        try:
            os.ftruncate(self._fd, self._size)
            if fsync_enabled():
                # Only durability of the cut: if it is lost, the next open finds the
                # bytes as a torn last line and moves them aside.
                with contextlib.suppress(OSError):
                    os.fsync(self._fd)
        except OSError as exc:
            raise write_failure(
                self.path, exc, f"a failed save could not be cut off the end; {not_done}"
            ) from None
        self._cut_pending = False

    def compact(self) -> None:
        """Rewrite the journal atomically with only the latest save of each document."""
        if not self.writable or self._fd is None:
            raise AnnotatorError(f"{self.path}: opened read-only")
        entries = sorted(self._entries.items(), key=lambda item: item[1].offset)
        new_entries: dict[str, JournalEntry] = {}
        offset = 0
        # The sidecar describes the old journal: gone before the new one can take its
        # place (a reused inode number must not make it look current).
        self.sidecar_path.unlink(missing_ok=True)
        self._sidecar_size = -1
        try:
            with atomic_writer(self.path) as handle:
                for line_no, (doc_id, entry) in enumerate(entries, 1):
                    raw = os.pread(self._fd, entry.length, entry.offset)
                    handle.write(raw + b"\n")
                    new_entries[doc_id] = JournalEntry(
                        offset,
                        entry.length,
                        line_no,
                        entry.status,
                        entry.spans,
                        entry.relations,
                        entry.updated,
                    )
                    offset += entry.length + 1
        except OSError as exc:
            # The temp file is gone (atomic_writer removes it); unless the rename took
            # place and only the folder's fsync failed, the journal is the one still open.
            if not self._replaced():
                raise write_failure(
                    self.path, exc, "it was not compacted and is unchanged"
                ) from None
        os.close(self._fd)
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
        self._entries = new_entries
        self._lines = len(new_entries)
        self._size = offset

    def _replaced(self) -> bool:
        """Whether the journal's name now points at another file than the one open."""
        assert self._fd is not None
        try:
            return os.stat(self.path).st_ino != os.fstat(self._fd).st_ino
        except OSError:
            return False


def _index_of_summaries(
    data: Scannable, start: int = 0, first_line: int = 0, size: int | None = None
) -> tuple[dict[str, JournalEntry], int] | None:
    """Every line's summary at once, and how many lines there are, in ``data[:size]``
    (all of it by default); or None unless every line there is a complete line of this
    version (then the caller reads line by line, reporting and recovering what it must).

    The summaries (the fields before ``"spans"``) of all lines are parsed by one orjson
    call; lines are found with find(), never copied (splitting a 300 MB journal into
    lines cost more than everything else here).
    """
    if size is None:
        size = len(data)
    if size == 0:
        return {}, 0
    if data[size - 1] != 0x0A:  # "\n"
        return None
    heads: list[bytes] = []
    lengths: list[int] = []
    find = data.find
    offset = 0
    while offset < size:
        newline = find(b"\n", offset)
        mark = find(SPANS_MARK, offset, newline)
        if mark == -1 or data[offset] != 0x7B or data[newline - 1] != 0x7D:  # "{" ... "}"
            return None
        heads.append(data[offset:mark])
        lengths.append(newline - offset)
        offset = newline + 1
    try:
        parsed = orjson.loads(b"[" + b"},".join(heads) + b"}]")
    except orjson.JSONDecodeError:
        return None
    if len(parsed) != len(heads):
        return None
    entries: dict[str, JournalEntry] = {}
    offset = start
    for line_no, (head, length) in enumerate(zip(parsed, lengths, strict=True), first_line + 1):
        summary = entry_from_head(head, offset, length, line_no)
        if summary is None:
            return None
        entries[summary[0]] = summary[1]
        offset += length + 1
    return entries, len(heads)
