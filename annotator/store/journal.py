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
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate, chain, repeat
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import ValidationError

from annotator.core.bulk import no_gc
from annotator.core.errors import AnnotationError, AnnotatorError, InputError
from annotator.core.models import DocumentAnnotation, Status, now_iso, text_hash
from annotator.core.records import (
    CHECKSUM_KEY,
    COUNTS_KEY,
    LineEncoder,
    annotation_from_record,
    encode_lines,
    encode_record,
    intact,
    record_ok,
    seal,
)
from annotator.store.files import (
    FileLock,
    Scannable,
    append_durably,
    atomic_writer,
    file_range,
    fsync_enabled,
    sync,
)
from annotator.store.sidecar import read_sidecar, write_sidecar

if TYPE_CHECKING:
    from annotator.store.project import Project

COMPACT_MIN_BYTES = 1 << 20
# Below this a journal is read whole faster than a sidecar is written at every close.
SIDECAR_MIN_BYTES = 1 << 20
# Lines appended by one write when a batch of them is appended (see append_prepared).
_APPEND_LINES = 1000


@dataclass(slots=True)
class JournalEntry:
    offset: int
    length: int
    line: int
    status: Status
    spans: int
    relations: int
    updated: str


# The fields a sealed line holds before its spans, in the order the store writes them.
_SEALED_HEAD = ("doc_id", "text_hash", "status", "note", "updated", COUNTS_KEY)


class SealedLine:
    """A journal line exactly as the store sealed it for one text, with its head parsed.

    Export reads status, note and counts from the head (everything before the spans,
    a few dozen bytes) and leaves the rest as bytes: writers that can use the encoded
    spans as they are (native) never parse them; :meth:`record` parses the whole line.
    """

    __slots__ = ("head", "raw", "spans_at")

    def __init__(self, head: dict[str, Any], raw: bytes, spans_at: int) -> None:
        self.head = head
        self.raw = raw
        # Where ``,"spans":`` starts in ``raw``.
        self.spans_at = spans_at

    def record(self) -> dict[str, Any]:
        """The line's record as :meth:`AnnotationStore.get_record` returns it."""
        record: dict[str, Any] = orjson.loads(self.raw)
        del record[CHECKSUM_KEY], record[COUNTS_KEY]
        return record

    def parts(self) -> tuple[bytes, bytes, bytes] | None:
        """The encoded spans, relations and provenance (orjson's encoding of the checked
        records, as the store wrote them), when no span has attrs; otherwise None.

        The line is ``{head,"spans":[...],"relations":[...],"provenance":{...},"checksum":N}``.
        ``"attrs":{"`` is where a span's non-empty attrs would begin (the quote after
        ``attrs`` is not escaped, so it is JSON's own). Without one, span values are
        strings, numbers and ``{}``, so the first ``],"relations":[`` ends the spans, and
        relations (strings only) end at the first ``],"provenance":``.
        """
        raw = self.raw
        spans_at = self.spans_at + len(_SPANS_MARK)
        if raw[spans_at : spans_at + 1] != b"[" or raw.find(b'"attrs":{"', spans_at) >= 0:
            return None
        relations_at = raw.find(_RELATIONS_MARK, spans_at) + 1
        if relations_at <= 0:
            return None
        provenance_at = raw.find(_PROVENANCE_MARK, relations_at) + 1
        checksum_at = raw.rfind(_CHECKSUM_MARK)
        if provenance_at <= 0 or checksum_at < provenance_at:
            return None
        return (
            raw[spans_at:relations_at],
            raw[relations_at + len(_RELATIONS_MARK) - 2 : provenance_at],
            raw[provenance_at + len(_PROVENANCE_MARK) - 1 : checksum_at],
        )

    def span_edges(self) -> list[Any] | None:
        """``start, end, label`` of every span, one after the other in one flat list, in
        the line's order, without parsing the spans' other fields (BIO needs no more);
        None when that cannot be told from the bytes alone: parse the spans then.

        ``,"start":`` is a key wherever it appears: in a JSON string every quote is
        escaped, so no string holds a quote right after a comma. The store writes a span's
        fields in the model's order, ``id, start, end, label, text, ...``, so every span
        gives one match. Other objects after the spans holding those three keys in that
        order (in attrs or provenance) would give more: then the count in the head (sealed
        with the line) does not agree.
        """
        found = _SPAN_EDGES.findall(self.raw, self.spans_at + len(_SPANS_MARK))
        if len(found) != self.head[COUNTS_KEY][0]:
            return None
        if not found:
            return []
        # 12,"end":15,"label":"PERSON" -> 12,15,"PERSON": all of them in one parse.
        edges = b",".join(found).replace(b',"end":', b",").replace(b',"label":', b",")
        flat: list[Any] = orjson.loads(b"[" + edges + b"]")
        return flat


_SPAN_EDGES = re.compile(rb',"start":(\d+,"end":\d+,"label":"(?:[^"\\]++|\\.)*+")')
_RELATIONS_MARK = b'],"relations":['
_PROVENANCE_MARK = b'],"provenance":'
_CHECKSUM_MARK = b',"checksum":'


@dataclass(slots=True)
class PreparedLine:
    """A document's labels checked and encoded as a journal line, not yet written."""

    doc_id: str
    line: bytes
    status: Status
    spans: int
    relations: int
    updated: str

    def annotation(self) -> DocumentAnnotation:
        return annotation_from_record(orjson.loads(self.line))


class AnnotationStore:
    """Read and save one annotator's labels; writable stores hold the annotator's lock."""

    def __init__(
        self, project: Project, name: str, writable: bool = True, folder: str = "annotations"
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
        loaded = self._load_sidecar(stat)
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
            found = _summary_of(data, offset, end, line_no, start) if newline != -1 else None
            if found is not None:
                entries[found[0]] = found[1]
                offset = end + 1
                continue
            raw = data[offset:end]
            if raw.strip():
                try:
                    record = orjson.loads(raw)
                    doc_id = record["doc_id"]
                    if not isinstance(doc_id, str):
                        raise TypeError('"doc_id" must be a string')
                    entry = JournalEntry(
                        start + offset,
                        end - offset,
                        line_no,
                        record.get("status", "todo"),
                        len(record.get("spans") or ()),
                        len(record.get("relations") or ()),
                        record.get("updated", ""),
                    )
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

    def _load_sidecar(
        self, stat: os.stat_result
    ) -> tuple[dict[str, JournalEntry], int, int] | None:
        """(entries, journal size covered, lines covered) from the sidecar, or None when it
        is missing, unreadable or not about this journal (compacted, cut back, edited)."""
        try:
            assert self._fd is not None
            rows, covered, lines = read_sidecar(self.sidecar_path, self._fd, stat, stat.st_size)
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
        rows = [
            (doc_id, e.offset, e.length, e.line, e.status, e.spans, e.relations, e.updated)
            for doc_id, e in self._entries.items()
        ]
        if write_sidecar(self.sidecar_path, self._fd, self._size, self._lines, rows):
            self._sidecar_size = self._size

    def _in_flight(self, scanned: int) -> bool:
        """Whether the unfinished last line a reader found is a save still being written:
        the writer holds the lock, or the journal has changed since it was scanned (the
        writer finished the line and closed). Otherwise its writer died while saving."""
        assert self._fd is not None
        return self._lock.held_by_a_writer() or os.fstat(self._fd).st_size != scanned

    def _finish_last_line(self, size: int) -> None:
        """Append the newline a complete last record lost; refuse to open without it
        (the next save would continue that line)."""
        assert self._fd is not None
        try:
            append_durably(self._fd, b"\n")
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, size)
            raise _failure(
                self.path, exc, "its last line could not be ended, so it was not opened for writing"
            ) from None

    def _recover_torn_tail(self, offset: int, raw: bytes, line_no: int) -> None:
        message = (
            f"{self.path}:{line_no}: the last save was cut off (a crash while saving); "
            f"the document's previous save is used"
        )
        if self.writable:
            assert self._fd is not None
            torn = self.path.with_name(self.path.name + ".torn")
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            try:
                _append_to_file(torn, f"# {stamp} from line {line_no}\n".encode() + raw + b"\n")
            except OSError as exc:
                raise _failure(
                    torn,
                    exc,
                    f"line {line_no} of {self.path.name}, cut off by a crash while saving, "
                    "could not be kept there, so the journal was not opened for writing",
                ) from None
            os.ftruncate(self._fd, offset)
            message += f"; its {len(raw)} bytes were kept in {torn.name}"
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

    # --- reading ---------------------------------------------------------------------------

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def doc_ids(self) -> list[str]:
        return list(self._entries)

    def summary(self, doc_id: str) -> JournalEntry | None:
        """Status and counts of a document's labels without reading them."""
        return self._entries.get(doc_id)

    def get(self, doc_id: str) -> DocumentAnnotation | None:
        entry = self._entries.get(doc_id)
        if entry is None:
            return None
        return self._read(entry)

    def get_or_new(self, doc_id: str) -> DocumentAnnotation:
        existing = self.get(doc_id)
        if existing is not None:
            return existing
        return DocumentAnnotation(doc_id=doc_id, text_hash=text_hash(self.project.get_text(doc_id)))

    def _read(self, entry: JournalEntry) -> DocumentAnnotation:
        record = self._load(entry)
        try:
            return annotation_from_record(record)
        except ValidationError as exc:
            raise InputError(self.path, _short_validation_error(exc), entry.line) from None

    def _load(self, entry: JournalEntry) -> Any:
        return self._load_sealed(entry)[0]

    def _load_sealed(self, entry: JournalEntry) -> tuple[Any, bool]:
        """The line's record, and whether the line is intact as the store sealed it."""
        assert self._fd is not None
        raw = os.pread(self._fd, entry.length, entry.offset)
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InputError(self.path, f"not valid JSON: {exc}", entry.line) from None
        sealed = False
        if isinstance(record, dict):
            sealed = record.pop(CHECKSUM_KEY, None) is not None and intact(raw)
            counts = record.pop(COUNTS_KEY, None)
            spans, relations = record.get("spans"), record.get("relations")
            if isinstance(spans, list) and isinstance(relations, list):
                # The summary came from the counts a hand edit may have left stale.
                if counts != [len(spans), len(relations)]:
                    entry.spans, entry.relations = len(spans), len(relations)
        return record, sealed

    def get_record(
        self, doc_id: str, text: str | None = None, digest: str | None = None
    ) -> dict[str, Any] | None:
        """A document's labels as a checked JSON record (plain dicts and lists).

        As valid as :meth:`get`'s model, without building one object per span: for
        readers that only look (export, agreement). Raises InputError like :meth:`get`;
        given the document's text, spans that do not fit it raise AnnotationError.

        ``digest`` is the hash of ``text``, if the caller has it: a line the store sealed
        after checking it against that very text is returned without a second check.
        """
        entry = self._entries.get(doc_id)
        if entry is None:
            return None
        record, sealed = self._load_sealed(entry)
        if sealed and digest is not None and record["text_hash"] == digest:
            return record
        if record_ok(record, text):
            return record
        try:
            annotation = DocumentAnnotation.model_validate(record)
        except ValidationError as exc:
            raise InputError(self.path, _short_validation_error(exc), entry.line) from None
        if text is not None:
            problems = [p for p in annotation.problems_with(text) if "different text" not in p]
            if problems:
                raise AnnotationError(problems[0])
        return annotation.model_dump(mode="json")

    def sealed_line(self, doc_id: str, digest: str) -> SealedLine | None:
        """The document's line, if the store sealed it after checking it against the text
        whose hash is ``digest`` and it is intact; otherwise None (use :meth:`get_record`).

        Only the head is parsed. The first ``,"spans":`` is the field itself: a quote
        inside a JSON string is always escaped, and the fields before it are plain values.
        """
        entry = self._entries.get(doc_id)
        if entry is None or self._fd is None:
            return None
        raw = os.pread(self._fd, entry.length, entry.offset)
        cut = raw.find(_SPANS_MARK)
        if cut < 0 or not intact(raw):
            return None
        try:
            head = orjson.loads(raw[:cut] + b"}")
        except orjson.JSONDecodeError:
            return None
        if tuple(head) != _SEALED_HEAD or head["text_hash"] != digest:
            return None
        return SealedLine(head, raw, cut)

    def iter_annotations(self) -> Iterator[DocumentAnnotation]:
        for entry in sorted(self._entries.values(), key=lambda e: e.offset):
            yield self._read(entry)

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
            line = _encode(annotation)
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

    def prepare_checked(
        self,
        doc_id: str,
        digest: str,
        status: Status,
        note: str,
        spans: list[dict[str, Any]],
        relations: list[dict[str, Any]],
    ) -> PreparedLine:
        """A new document's labels from records already checked as :meth:`prepare` would
        check them (every field in field order, unique ids, relation ends among the spans,
        each span against the text whose hash is ``digest``), encoded without a model or
        a second check: an import's reader has done all of it once."""
        updated = now_iso()
        line = encode_record(
            {
                "doc_id": doc_id,
                "text_hash": digest,
                "status": status,
                "note": note,
                "updated": updated,
                "spans": spans,
                "relations": relations,
                "provenance": {},
            }
        )
        line = seal(line)
        return PreparedLine(doc_id, line, status, len(spans), len(relations), updated)

    def prepare_encoded(
        self,
        doc_ids: list[str],
        digests: list[str],
        statuses: list[Status],
        notes: list[str],
        span_counts: list[int],
        relation_counts: list[int],
        spans_json: list[bytes],
        relations_json: list[bytes],
    ) -> list[PreparedLine]:
        """:meth:`prepare_checked` for many new documents at once, their spans and
        relations given as encoded JSON arrays of records checked as it requires (see
        records.encode_lines): an import's reader checks and encodes a whole batch of
        documents in one columnar pass, and its lines are built the same way."""
        updated = now_iso()
        lines = encode_lines(
            doc_ids,
            digests,
            statuses,
            notes,
            updated,
            span_counts,
            relation_counts,
            spans_json,
            relations_json,
        )
        return list(
            map(
                PreparedLine,
                doc_ids,
                lines,
                statuses,
                span_counts,
                relation_counts,
                repeat(updated),
            )
        )

    def append_prepared(self, prepared: list[PreparedLine]) -> None:
        """Append prepared lines with one write and one fsync (an import's many lines
        with a write per thousand lines, and one fsync)."""
        if not prepared:
            return
        if not self.writable or self._fd is None:
            raise AnnotatorError(f"{self.path}: opened read-only")
        lengths = list(map(len, map(_line_of, prepared)))
        offsets = list(accumulate(map((1).__add__, lengths), initial=self._size))
        line_no = self._lines
        entries = list(
            map(
                JournalEntry,
                offsets,
                lengths,
                range(line_no + 1, line_no + len(prepared) + 1),
                map(_status_of, prepared),
                map(_spans_of, prepared),
                map(_relations_of, prepared),
                map(_updated_of, prepared),
            )
        )
        lines = list(map(_line_of, prepared))
        # An import's hundreds of MB go out a slice at a time: joining all of them first
        # cost a copy the size of the journal, and the memory for it.
        self._append(
            (
                b"\n".join(chain(lines[start : start + _APPEND_LINES], (b"",)))
                for start in range(0, len(lines), _APPEND_LINES)
            ),
            f"the labels of {len(lines)} document{'s' if len(lines) != 1 else ''} were not saved",
        )
        self._size = offsets[-1]
        self._lines = line_no + len(prepared)
        self._entries.update(zip(map(_doc_id_of, prepared), entries, strict=True))

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
                raise _failure(self.path, exc, not_done) from None
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
            raise _failure(
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
                raise _failure(self.path, exc, "it was not compacted and is unchanged") from None
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


def _failure(path: Path, exc: OSError, not_done: str) -> AnnotatorError:
    """One line for a failed write: the file, the system's reason, what was not done."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return AnnotatorError(f"{path}: {reason[:1].lower()}{reason[1:]}; {not_done}")


def _append_to_file(path: Path, data: bytes) -> None:
    """Append ``data`` to ``path`` durably, or leave the file as it was and raise OSError."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        size = os.fstat(fd).st_size
        try:
            append_durably(fd, data)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)


_doc_id_of = attrgetter("doc_id")
_line_of = attrgetter("line")
_status_of = attrgetter("status")
_spans_of = attrgetter("spans")
_relations_of = attrgetter("relations")
_updated_of = attrgetter("updated")


def _encode(annotation: DocumentAnnotation) -> bytes:
    """The journal line for an annotation, refused if it could not be read back.

    Edits made around the edit methods (a list appended to directly) skip validation;
    writing such a record would make the document's labels unreadable, since the last
    record wins. Called when the hand-written checks of records.py did not vouch for
    the record: pydantic says what is wrong.
    """
    data = annotation.model_dump(mode="json")
    try:
        DocumentAnnotation.model_validate(data)
    except ValidationError as exc:
        raise AnnotationError(
            f"document {annotation.doc_id}: not saved, {_short_validation_error(exc)}"
        ) from None
    return encode_record(data)


_SPANS_MARK = b',"spans":'


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
        mark = find(_SPANS_MARK, offset, newline)
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
        summary = _entry_from_head(head, offset, length, line_no)
        if summary is None:
            return None
        entries[summary[0]] = summary[1]
        offset += length + 1
    return entries, len(heads)


def _entry_from_head(
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


def _summary_of(
    data: Scannable, offset: int, end: int, line_no: int, start: int = 0
) -> tuple[str, JournalEntry] | None:
    """A journal line's doc id and summary, read from the fields before its spans.

    A quote inside a JSON string is always escaped, so the first ``,"spans":`` of a line
    lies outside any string; if it is nested deeper than the top level, the prefix
    closed with one brace is not valid JSON and the caller parses the whole line.
    None means "parse the whole line" (lines of older versions carry no counts).
    """
    mark = data.find(_SPANS_MARK, offset, end)
    if mark == -1 or data[end - 1] != 0x7D:  # a line that does not end with "}" is damaged
        return None
    try:
        head = orjson.loads(data[offset:mark] + b"}")
    except orjson.JSONDecodeError:
        return None
    return _entry_from_head(head, start + offset, end - offset, line_no)


def _short_validation_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"invalid labels at {where}: {error.get('msg')}" if where else str(error.get("msg"))
