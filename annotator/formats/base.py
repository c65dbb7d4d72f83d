"""What every interchange format module provides, and the registry that finds them by name.

A format module defines ``reader`` (a :class:`Reader`) and/or ``writer`` (a :class:`Writer`).
Readers turn files into :class:`ImportRecord` streams whose spans are already in code points
of the newline-normalised text; writers receive :class:`ExportRecord` streams through a
:class:`Sink` that commits atomically (temp file, then rename) or not at all.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import importlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, Protocol

import orjson

from annotator.core.errors import AnnotatorError
from annotator.core.models import Document, DocumentAnnotation, LabelSchema, Relation, Span, Status
from annotator.core.records import annotation_from_record, build_all
from annotator.store.files import FILE_MODE, fsync_dir, fsync_enabled
from annotator.store.sealed import SealedLine

# Format name -> module. Modules are imported on first use, so a missing optional
# dependency (spaCy) only matters to the format that needs it.
FORMAT_MODULES: dict[str, str] = {
    "text": "annotator.formats.text",
    "jsonl": "annotator.formats.native",
    "native": "annotator.formats.native",
    "prodigy": "annotator.formats.prodigy",
    "doccano": "annotator.formats.doccano",
    "label-studio": "annotator.formats.label_studio",
    "brat": "annotator.formats.brat",
    "spacy": "annotator.formats.spacy_docbin",
    "bio": "annotator.formats.bio",
}

# What each export format cannot carry of a document's labels; the export counts these
# over the documents it writes and says so ("relations", "status", notes, attributes).
_NOTES_AND_ATTRIBUTES = ("document notes", "span notes", "span attributes", "relation notes")
NOT_CARRIED: dict[str, tuple[str, ...]] = {
    "native": (),
    "prodigy": ("status", *_NOTES_AND_ATTRIBUTES),
    "doccano": ("status", *_NOTES_AND_ATTRIBUTES),
    "label-studio": ("status", "document notes", "span attributes", "relation notes"),
    "brat": ("status", "document notes"),
    "spacy": ("status", *_NOTES_AND_ATTRIBUTES),
    "bio": ("relations", "status", *_NOTES_AND_ATTRIBUTES),
}


@dataclass
class ImportedLabels:
    """One annotator's labels on one imported document."""

    spans: list[Span] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    status: Status | None = None
    note: str = ""
    # The same spans and relations as records of exactly the models' fields, in field
    # order, already checked (model constraints, ids, relation ends, and every span
    # against the document's stored text): a reader that has them lets the import write
    # a new document's journal line straight from them, without checking them again.
    # The models above share these dicts; leave it None whenever they differ.
    records: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None


class CheckedLabels(ImportedLabels):
    """Labels a reader has checked as records (see ``records``): the models are built
    only if something asks for them, which a new document's import never does."""

    def __init__(
        self,
        records: tuple[list[dict[str, Any]], list[dict[str, Any]]],
        status: Status | None = None,
        note: str = "",
    ) -> None:
        self.records = records
        self._checked = records
        self.status = status
        self.note = note
        self._spans: list[Span] | None = None
        self._relations: list[Relation] | None = None

    @property
    def spans(self) -> list[Span]:
        if self._spans is None:
            self._spans = build_all(Span, self._checked[0])
        return self._spans

    @spans.setter
    def spans(self, value: list[Span]) -> None:
        self._spans = value
        self.records = None  # no longer the same labels

    @property
    def relations(self) -> list[Relation]:
        if self._relations is None:
            self._relations = build_all(Relation, self._checked[1])
        return self._relations

    @relations.setter
    def relations(self, value: list[Relation]) -> None:
        self._relations = value
        self.records = None


@dataclass
class ImportRecord:
    document: Document
    # Annotator name -> labels; the key None means "whoever --annotator names".
    labels: dict[str | None, ImportedLabels] = field(default_factory=dict)
    # "file:line" (or "file: JSON path"), for messages about this record.
    where: str = ""
    # What the reader left out or changed on the way in (told to the user, never silent).
    notices: list[str] = field(default_factory=list)
    # Prodigy's key of the example when the task names no id: its ``_input_hash`` (records
    # with the same one, in this import or stored in ``meta["_input_hash"]``, are one
    # document), or "text" for a task without one, which Prodigy would hash by its text.
    example_key: int | str | None = None


@dataclass
class CheckedBatch:
    """Consecutive records of one source, read and checked all at once (column by column).

    A reader hands these over instead of ImportRecords when every record of a stretch
    is plain: documents whose stored text is the source's own (no BOM, no carriage
    return, so no offset to convert), and labels as records the reader has checked like
    ``ImportedLabels.records`` against those texts. The import writes such a batch with
    a few whole-list operations; whenever it cannot (an id or text already there, a
    label name to change), it imports ``records()`` one by one instead, which are the
    same records as the reader would have given. ``encode()`` gives each document's JSON
    arrays of span and relation records, every field in field order.
    """

    ids: list[str]
    texts: list[str]
    metas: list[dict[str, Any]]
    records: Callable[[], Iterator[ImportRecord]]
    # Whether the documents carry labels; when they do, all of them, by ``who`` (the
    # annotator every record names, None when none does).
    labelled: bool = False
    who: str | None = None
    statuses: list[Status | None] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    span_counts: list[int] = field(default_factory=list)
    relation_counts: list[int] = field(default_factory=list)
    # The labels of its spans and of its relations, each name once, in order of appearance.
    span_labels: list[str] = field(default_factory=list)
    relation_labels: list[str] = field(default_factory=list)
    encode: Callable[[], tuple[list[bytes], list[bytes]]] = lambda: ([], [])


# What a reader with ``read_chunks`` yields: checked batches, or records to take one by one.
ImportChunk = CheckedBatch | Iterator[ImportRecord]


_EDGE = itemgetter("start", "end", "label")


class ExportRecord:
    """A document with one annotator's labels, on its way to a writer.

    The labels come as a model (``annotation``), as the checked journal record
    (``labels``: plain dicts, what the store reads), or as the journal line the store
    sealed for this text (``line``), parsed into ``labels`` only when a writer asks: the
    native writer copies the line's span bytes as they are. Likewise the document comes
    as a model or as its fields (``doc_id``, ``text``, ``meta``), and the model is built
    only for writers that ask for ``document``.
    """

    __slots__ = (
        "_annotation",
        "_document",
        "_labels",
        "annotator",
        "doc_id",
        "line",
        "meta",
        "text",
    )

    def __init__(
        self,
        document: Document | None = None,
        annotation: DocumentAnnotation | None = None,
        annotator: str = "",
        labels: dict[str, Any] | None = None,
        *,
        fields: tuple[str, str, dict[str, Any]] | None = None,
        line: SealedLine | None = None,
    ) -> None:
        if annotation is None and labels is None and line is None:
            raise ValueError("an ExportRecord needs an annotation, a labels record or a line")
        if document is not None:
            self.doc_id, self.text, self.meta = document.id, document.text, document.meta
        elif fields is not None:
            self.doc_id, self.text, self.meta = fields
        else:
            raise ValueError("an ExportRecord needs a document or its fields")
        self._document = document
        self.annotator = annotator
        self._labels = labels
        self.line = line
        self._annotation = annotation

    @property
    def document(self) -> Document:
        if self._document is None:
            self._document = Document.model_construct(
                id=self.doc_id, text=self.text, meta=self.meta
            )
        return self._document

    @property
    def labels(self) -> dict[str, Any] | None:
        if self._labels is None and self.line is not None:
            self._labels = self.line.record()
        return self._labels

    def span_edges(self) -> list[Any] | None:
        """``start, end, label`` of every span, one after the other in one flat list, or
        None for a model's labels. Of a sealed line only those fields are parsed."""
        if self._labels is None and self.line is not None:
            edges = self.line.span_edges()
            if edges is not None:
                return edges
        labels = self.labels
        return None if labels is None else list(chain.from_iterable(map(_EDGE, labels["spans"])))

    @property
    def span_count(self) -> int:
        if self._labels is None and self.line is not None:
            return int(self.line.head["counts"][0])
        labels = self.labels
        return len(labels["spans"] if labels is not None else self.annotation.spans)

    @property
    def relation_count(self) -> int:
        if self._labels is None and self.line is not None:
            return int(self.line.head["counts"][1])
        labels = self.labels
        return len(labels["relations"] if labels is not None else self.annotation.relations)

    def status_and_note(self) -> tuple[str, str]:
        """The document's status and note, without parsing a sealed line's labels."""
        if self._labels is None and self.line is not None:
            return self.line.head["status"], self.line.head["note"]
        labels = self.labels
        if labels is not None:
            return labels["status"], labels["note"]
        return self.annotation.status, self.annotation.note

    def detail_counts(self) -> tuple[int, int, int]:
        """Spans with a note, spans with attributes, relations with a note."""
        if self._labels is None and self.line is not None:
            raw, start = self.line.raw, self.line.spans_at
            # orjson writes these keys exactly so, and a quote inside a string is escaped:
            # a line where every one is empty has nothing to count, and is not parsed.
            if not (
                _any_filled(raw, b'"note":"', b'"', start)
                or _any_filled(raw, b'"attrs":{', b"}", start)
            ):
                return 0, 0, 0
        labels = self.labels
        if labels is not None:
            spans, relations = labels["spans"], labels["relations"]
            return (
                sum(1 for span in spans if span.get("note")),
                sum(1 for span in spans if span.get("attrs")),
                sum(1 for rel in relations if rel.get("note")),
            )
        annotation = self.annotation
        return (
            sum(1 for span in annotation.spans if span.note),
            sum(1 for span in annotation.spans if span.attrs),
            sum(1 for rel in annotation.relations if rel.note),
        )

    @property
    def annotation(self) -> DocumentAnnotation:
        if self._annotation is None:
            labels = self.labels
            assert labels is not None
            # A copy (orjson's round trip is the quick deep copy): the models take over
            # the dicts they are built from.
            self._annotation = annotation_from_record(orjson.loads(orjson.dumps(labels)))
        return self._annotation


def _any_filled(raw: bytes, key: bytes, empty: bytes, start: int) -> bool:
    """Whether some ``key`` from ``start`` on is followed by anything but ``empty``."""
    at = raw.find(key, start)
    while at >= 0:
        after = at + len(key)
        if raw[after : after + 1] != empty:
            return True
        at = raw.find(key, after)
    return False


class Reader(Protocol):
    name: str

    def sniff(self, path: Path) -> bool:
        """True when ``path`` looks like this format (used by --format auto)."""
        ...

    def read(self, path: Path) -> Iterator[ImportRecord]: ...


def read_chunks(reader: Reader, path: Path) -> Iterator[ImportChunk]:
    """A reader's records in chunks: batches where the reader checks them column by
    column (``read_chunks`` of its own), else all of them one by one."""
    chunks = getattr(reader, "read_chunks", None)
    if chunks is not None:
        return chunks(path)
    return iter([reader.read(path)])


class Sink(Protocol):
    warnings: list[str]

    def write(self, record: ExportRecord) -> None: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...


class Writer(Protocol):
    name: str
    # The file suffix written (".jsonl"), or "" when the output is a folder.
    suffix: str

    def open(self, out: Path, schema: LabelSchema, options: dict[str, Any]) -> Sink: ...


def _module(name: str) -> Any:
    module_name = FORMAT_MODULES.get(name)
    if module_name is None:
        known = ", ".join(sorted(FORMAT_MODULES))
        raise AnnotatorError(f"unknown format {name!r}; known formats: {known}")
    return importlib.import_module(module_name)


def get_reader(name: str) -> Reader:
    reader = getattr(_module(name), "reader", None)
    if reader is None:
        raise AnnotatorError(f"format {name!r} can be exported but not imported")
    return reader


def get_writer(name: str) -> Writer:
    if name in ("text", "jsonl"):
        raise AnnotatorError(f"format {name!r} is for import only; export with --format native")
    writer = getattr(_module(name), "writer", None)
    if writer is None:
        raise AnnotatorError(f"format {name!r} can be imported but not exported")
    return writer


def reader_names() -> list[str]:
    return [name for name in FORMAT_MODULES if getattr(_module(name), "reader", None) is not None]


def writer_names() -> list[str]:
    return [
        name
        for name in FORMAT_MODULES
        if name not in ("text", "jsonl") and getattr(_module(name), "writer", None) is not None
    ]


@dataclass(frozen=True)
class PathWriter:
    """A writer whose sink needs nothing but the output path."""

    name: str
    suffix: str
    sink: Callable[[Path], Sink]

    def open(self, out: Path, schema: LabelSchema, options: dict[str, Any]) -> Sink:
        return self.sink(out)


_WRITE_BUFFER = 1 << 20


class AtomicFileSink:
    """Base for sinks that write one file: a temp file beside ``out``, renamed on commit.

    An ``out`` that is a symbolic link is replaced by the file (the link's target is never
    written through); an ``out`` that is a folder is refused.
    """

    def __init__(self, out: Path, binary: bool = True) -> None:
        self.out = out
        self.warnings: list[str] = []
        if out.is_dir():
            raise AnnotatorError(f"{out}: is a folder; this format writes one file")
        out.parent.mkdir(parents=True, exist_ok=True)
        clean_export_leftovers(out)
        fd, self._tmp = export_temp_file(out)
        # A large buffer: exports write a few KB a document, and an 8 KB buffer made a
        # write system call every other document.
        self.handle: IO[Any] = os.fdopen(
            fd,
            "wb" if binary else "w",
            buffering=_WRITE_BUFFER,
            encoding=None if binary else "utf-8",
        )

    def commit(self) -> None:
        self.finish()
        self.handle.flush()
        if fsync_enabled():
            os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self._tmp, self.out)
        fsync_dir(self.out.parent)

    def finish(self) -> None:
        """Hook for sinks that write a closing part (a JSON array's bracket)."""

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            # Closing flushes the buffer, which fails again on a full disk.
            self.handle.close()
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()


class AtomicFolderSink:
    """Base for sinks that write a folder: the whole folder is written beside ``out`` and
    swapped in on commit (see :class:`StagedFolder`), so ``out`` is entirely the old
    export or entirely the new one, never a mix."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.warnings: list[str] = []
        self.staged = StagedFolder(out)
        self.folder = self.staged.path

    def commit(self) -> None:
        self.finish()
        self.staged.commit()

    def finish(self) -> None:
        """Hook for sinks that write a last file (a manifest)."""

    def abort(self) -> None:
        self.staged.abort()


# --- complete-or-absent outputs ----------------------------------------------------------
#
# Every temp file or folder an export makes is named ``.NAME.PID.RANDOM.tmp`` beside its
# output NAME, PID being the exporting process: the next export to NAME removes those of
# processes no longer running (a killed export's), and leaves a running one's alone.

# A hidden file in every folder an export writes: it tells a later export that the folder
# is an earlier export of ours, which it may replace.
EXPORT_MARKER = ".annotator-export"


def _folder_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o777 & ~mask


# mkdtemp makes folders only their owner may open; an export is an ordinary folder.
_FOLDER_MODE = _folder_mode()

# Linux renameat2's flag that swaps two paths in one step.
_RENAME_EXCHANGE = 2


def export_temp_file(out: Path) -> tuple[int, Path]:
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".tmp", dir=out.parent)
    os.fchmod(fd, FILE_MODE)
    return fd, Path(name)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, alive
    return True


def export_leftovers(out: Path) -> list[Path]:
    """The temp files and folders that exports to ``out`` left behind when they were killed
    (their process is gone); only names of our own shape, ``.NAME.PID.RANDOM.tmp``."""
    prefix = f".{out.name}."
    found: list[Path] = []
    try:
        entries = os.listdir(out.parent)
    except OSError:
        return found
    for name in entries:
        if not name.startswith(prefix) or not name.endswith(".tmp"):
            continue
        pid, dot, token = name[len(prefix) : -len(".tmp")].partition(".")
        if not (pid.isdigit() and dot and token) or "." in token:
            continue
        if int(pid) != os.getpid() and not _process_alive(int(pid)):
            found.append(out.parent / name)
    return found


def clean_export_leftovers(out: Path) -> None:
    for path in export_leftovers(out):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_cwd = -100
    done = renameat2(
        at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), ctypes.c_uint(_RENAME_EXCHANGE)
    )
    if done == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(error, os.strerror(error), str(second))


def _sync_tree(folder: Path) -> None:
    """Everything written under ``folder`` on disk before it is renamed into place: one
    syncfs where Linux has it (a brat export holds tens of thousands of files), else an
    fsync a file."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError, AttributeError):
            if ctypes.CDLL(None, use_errno=True).syncfs(fd) == 0:
                return
    finally:
        os.close(fd)
    for root, _, files in os.walk(folder):
        for name in files:
            file_fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(file_fd)
            finally:
                os.close(file_fd)
        fsync_dir(Path(root))


class StagedFolder:
    """A folder written beside ``out`` as ``.NAME.PID.RANDOM.tmp`` and swapped in on commit.

    ``out`` may be absent, an empty folder, or an earlier export (holding
    ``EXPORT_MARKER``); any other folder is refused, as is a symbolic link (an export
    never writes through a link into wherever it points). The swap is one renameat2
    exchange where the system has it; elsewhere the old folder is renamed aside (a temp
    name) and the new one renamed in, and a kill between the two renames is undone by
    the next export to ``out``, which puts the old folder back.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        if out.is_symlink():
            raise AnnotatorError(
                f"{out}: is a symbolic link; give the folder itself (an export never writes "
                "through a link)"
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        self._recover()
        if out.exists():
            if not out.is_dir():
                raise AnnotatorError(f"{out}: exists and is not a folder")
            if not (out / EXPORT_MARKER).is_file():
                stranger = next(iter(sorted(os.listdir(out))), None)
                if stranger is not None:
                    raise AnnotatorError(
                        f"{out}: folder holds {stranger} and is not an earlier export; "
                        "export to a new or empty folder"
                    )
        self.path = Path(
            tempfile.mkdtemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".tmp", dir=out.parent)
        )
        os.chmod(self.path, _FOLDER_MODE)

    def _recover(self) -> None:
        """Undo a swap killed half-way, then remove dead exports' temp files and folders."""
        if not self.out.exists():
            for path in export_leftovers(self.out):
                if (path / _ASIDE_MARKER).is_file():
                    os.rename(path, self.out)
                    (self.out / _ASIDE_MARKER).unlink()
                    break
        clean_export_leftovers(self.out)

    def commit(self) -> None:
        (self.path / EXPORT_MARKER).write_bytes(b"annotator export\n")
        if fsync_enabled():
            _sync_tree(self.path)
        if self.out.is_dir() and _exchange(self.path, self.out):
            fsync_dir(self.out.parent)
            # self.path now holds the old folder.
            shutil.rmtree(self.path, ignore_errors=True)
            return
        if self.out.exists():
            aside = Path(
                tempfile.mkdtemp(
                    prefix=f".{self.out.name}.{os.getpid()}.", suffix=".tmp", dir=self.out.parent
                )
            )
            (self.out / _ASIDE_MARKER).write_bytes(b"")
            os.replace(self.out, aside)
            os.rename(self.path, self.out)
            fsync_dir(self.out.parent)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.rename(self.path, self.out)
            fsync_dir(self.out.parent)

    def abort(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


# Written into an old export just before it is renamed aside: a folder holding it, found
# while ``out`` is missing, is that old export, to be put back.
_ASIDE_MARKER = ".annotator-export-aside"
