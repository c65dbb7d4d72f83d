"""The project folder (a contract, docs/architecture.md):

    PROJECT/
      annotator.json          name, format version, label schema, settings
      documents.jsonl         one document a line: {"id", "text", "meta"}
      annotations/NAME.jsonl  one analyst's labels (an append-only journal, see journal.py)

Document texts stay on disk: opening a project reads each line once to index it
(id, meta, byte range) and drops the text; a text is read back when asked for. The
index is kept beside the file (``.documents.jsonl.idx``, per machine, never shared) for
the next open, which then reads only the lines appended since (see DocumentsSidecar).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import orjson

from annotator.core.bulk import no_gc
from annotator.core.errors import AnnotatorError, LockedError
from annotator.core.models import Document, LabelSchema, text_hash
from annotator.core.schema import default_schema
from annotator.store.batch import DocumentBatch
from annotator.store.config import ProjectConfig, load_config, read_config
from annotator.store.documents_index import DocumentEntry, DocumentsSidecar, index_lines
from annotator.store.files import FileLock, atomic_write_bytes, file_range
from annotator.store.interface import AddOutcome, ExportRow, Progress
from annotator.store.journal import AnnotationStore
from annotator.store.listing import matching_rows, rows_in, slice_rows

# Re-exported: these names lived here before the window needed them without pydantic.
from annotator.store.names import ANNOTATIONS_DIR as ANNOTATIONS_DIR
from annotator.store.names import CONFIG_FILE as CONFIG_FILE
from annotator.store.names import DOCUMENTS_FILE as DOCUMENTS_FILE
from annotator.store.names import GOLD_ANNOTATOR as GOLD_ANNOTATOR
from annotator.store.names import SUGGESTIONS_DIR as SUGGESTIONS_DIR
from annotator.store.names import check_annotator_name as check_annotator_name
from annotator.store.names import check_project_folder
from annotator.store.pending import pending_import, read_pending, roll_back_pending, stale_temps
from annotator.store.rows import checked_row

# Below this the file is indexed faster than a sidecar is written.
SIDECAR_MIN_BYTES = 1 << 20


class Project:
    """An open project folder. Use :meth:`create` or :meth:`open`."""

    remote = False  # a folder on this computer is always within reach

    def __init__(self, path: Path, config: ProjectConfig) -> None:
        self.path = path
        self.config = config
        self.problems: list[str] = []
        self._entries: list[DocumentEntry] = []
        self._index: dict[str, int] = {}
        self._fd: int | None = None
        # The text asked for last: the window asks for the open article's text at every
        # save, and reading 1 MB back each time would cost more than the save.
        self._last_text: tuple[str, str] | None = None
        self._line_count = 0
        # What documents.jsonl was when indexed: another program may replace it meanwhile.
        self._identity: tuple[int, int, int] | None = None
        self._stores: dict[str, AnnotationStore] = {}
        self._recover = True

    # --- opening -------------------------------------------------------------------

    @classmethod
    def create(
        cls, path: str | Path, name: str | None = None, schema: LabelSchema | None = None
    ) -> Project:
        root = Path(path)
        if (root / CONFIG_FILE).exists():
            raise AnnotatorError(f"{root}: a project already exists here")
        if root.exists() and any(root.iterdir()):
            raise AnnotatorError(f"{root}: folder is not empty; choose a new or empty folder")
        config = ProjectConfig(name=name or root.resolve().name, schema=schema or default_schema())
        (root / ANNOTATIONS_DIR).mkdir(parents=True, exist_ok=True)
        (root / DOCUMENTS_FILE).touch()
        # Lock files and the journals' sidecar indexes are per machine; a team keeping the
        # project in git should not share them.
        (root / ".gitignore").write_text("*.lock\n*.tmp\n*.pending\n*.idx\n")
        atomic_write_bytes(root / CONFIG_FILE, config.to_json())
        return cls.open(root)

    @classmethod
    def open(cls, path: str | Path, recover: bool = True) -> Project:
        """Open a project; ``recover=False`` (a read-only check) leaves an unfinished
        import's pending marker alone, to be reported rather than rolled back."""
        root = Path(path)
        config = load_config(check_project_folder(root))
        project = cls(root, config)
        project._recover = recover
        project._load_index()
        return project

    @no_gc()
    def _load_index(self) -> None:
        documents = self.path / DOCUMENTS_FILE
        if not documents.exists():
            documents.touch()
        if self._fd is not None:
            os.close(self._fd)
        self._fd = os.open(documents, os.O_RDONLY)
        if self._recover and (read_pending(self.path) is not None or stale_temps(self.path)):
            self._finish_interrupted_import()
        stat = os.fstat(self._fd)
        self._identity = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        self.problems = []
        self._last_text = None
        size = stat.st_size
        # Lines an import is still appending may yet be taken back: not read until it ends.
        limit = read_pending(self.path)
        if limit is not None and 0 <= limit < size:
            size = limit
        sidecar = DocumentsSidecar(self.path)
        loaded = sidecar.load(self._fd, stat, size)
        if loaded is None:
            entries: list[DocumentEntry] = []
            index: dict[str, int] = {}
            start = line_no = 0
        else:
            entries, index, start, line_no = loaded
        with file_range(self._fd, start, size) as data:
            line_no = index_lines(data, entries, index, start, line_no, documents, self.problems)
            scanned = len(data)
            covered = start + data.rfind(b"\n") + 1
        self._entries = entries
        self._index = index
        self._line_count = line_no
        # A damaged file keeps being read (and its problems reported) at every open.
        if not self.problems and scanned >= SIDECAR_MIN_BYTES:
            sidecar.save(self._fd, entries, covered, line_no)

    def _finish_interrupted_import(self) -> None:
        """Roll back an import that crashed, unless one is running (it holds the lock)."""
        lock = FileLock(self.path / ANNOTATIONS_DIR / ".project.lock", str(self.path))
        try:
            lock.acquire()
        except (LockedError, OSError):
            return
        try:
            restored = roll_back_pending(self.path)
        except LockedError:
            return  # an annotator's labels are open for writing: rolled back later
        finally:
            lock.release()
        if restored:
            # The schema the import added is gone again.
            self.config = read_config(orjson.loads((self.path / CONFIG_FILE).read_bytes()))

    def _reload_if_replaced(self) -> None:
        """Re-index documents.jsonl if another program added documents since we read it."""
        try:
            current = _identity_of(self.path / DOCUMENTS_FILE)
        except FileNotFoundError:
            return
        if current != self._identity:
            self._load_index()

    def close(self) -> None:
        for store in self._stores.values():
            store.close()
        self._stores.clear()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- configuration ---------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def schema(self) -> LabelSchema:
        return self.config.schema_

    def set_schema(self, schema: LabelSchema) -> None:
        self.config = self.config.model_copy(update={"schema_": schema})
        self.save_config()

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def settings(self) -> dict[str, Any]:
        return self.config.settings

    def save_settings(self, settings: dict[str, Any]) -> None:
        self.config = self.config.model_copy(update={"settings": dict(settings)})
        self.save_config()

    def save_config(self) -> None:
        with FileLock(self.path / ANNOTATIONS_DIR / ".project.lock", f"{self.path}"):
            self._write_config()

    def _write_config(self) -> None:
        """Replace annotator.json with the config (the caller holds the project lock)."""
        atomic_write_bytes(self.path / CONFIG_FILE, self.config.to_json())

    # --- documents ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._index

    def document_ids(self) -> list[str]:
        return [entry.id for entry in self._entries]

    def entries(self) -> list[DocumentEntry]:
        return list(self._entries)

    def entry(self, doc_id: str) -> DocumentEntry:
        try:
            return self._entries[self._index[doc_id]]
        except KeyError:
            raise AnnotatorError(f"{self.path}: no document {doc_id!r}") from None

    def entry_rows(self, start: int, stop: int) -> list[DocumentEntry]:
        return slice_rows(self._entries, start, stop)

    def rows_of(self, doc_ids: Collection[str]) -> dict[str, int]:
        return rows_in(self._index, doc_ids)

    def find_rows(self, term: str) -> list[int]:
        return matching_rows(self._entries, self.iter_documents, term)

    def get_document(self, doc_id: str) -> Document:
        entry = self.entry(doc_id)
        return self._read_document(entry)

    def get_text(self, doc_id: str) -> str:
        last = self._last_text
        if last is not None and last[0] == doc_id:
            return last[1]
        text = self.get_document(doc_id).text
        self._last_text = (doc_id, text)
        return text

    def _read_document(self, entry: DocumentEntry) -> Document:
        doc_id, text, meta = self._read_fields(entry)
        # The model's own checks were made by _read_fields: no validator is built or run
        # at start-up.
        return Document.model_construct(id=doc_id, text=text, meta=meta)

    def _read_fields(self, entry: DocumentEntry) -> tuple[str, str, dict[str, Any]]:
        """A document's id, text and meta, checked as the Document model checks them."""
        assert self._fd is not None, "project is closed"
        raw = os.pread(self._fd, entry.length, entry.offset)
        record = orjson.loads(raw)
        doc_id, text, meta = record["id"], record["text"], record.get("meta") or {}
        if doc_id and isinstance(doc_id, str) and isinstance(text, str) and isinstance(meta, dict):
            return doc_id, text, meta
        document = Document(id=doc_id, text=text, meta=meta)
        return document.id, document.text, document.meta

    def iter_documents(self, progress: Progress | None = None) -> Iterator[Document]:
        """Every document in file order, reading one text at a time."""
        total = len(self._entries)
        for number, entry in enumerate(self._entries, 1):
            yield self._read_document(entry)
            if progress is not None:
                progress(number, total)

    def iter_document_fields(
        self, progress: Progress | None = None
    ) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """:meth:`iter_documents` as (id, text, meta): no model per document (export)."""
        total = len(self._entries)
        read = self._read_fields
        for number, entry in enumerate(self._entries, 1):
            yield read(entry)
            if progress is not None:
                progress(number, total)

    def add_documents(
        self, documents: Iterator[Document] | list[Document], progress: Progress | None = None
    ) -> dict[AddOutcome, int]:
        """Add documents all-or-nothing; returns how many were added or skipped.

        A document whose id is already present with the same text is skipped ("unchanged"),
        so importing the same sources twice adds nothing; the same id with a different text
        is refused, since labels made on the old text would no longer fit. A document is its
        id: one whose text is already present under another id is added all the same
        (``DocumentBatch.shared_text`` counts them).
        """
        counts: dict[AddOutcome, int] = {"added": 0, "unchanged": 0}
        with self.document_batch(progress) as batch:
            for document in documents:
                counts[batch.add(document)] += 1
        return counts

    def import_batch(self, progress: Progress | None = None) -> DocumentBatch:
        """One import's documents, labels and schema: appended in place, undone from
        the manifest if the import fails or is killed (see DocumentBatch)."""
        return DocumentBatch(self, progress)

    document_batch = import_batch

    def unfinished_import(self) -> str | None:
        if not pending_import(self.path):
            return None
        return (
            f"{self.path}: an import has not finished (it is running, or was killed); "
            "the next program to open the project for writing (any annotator command but "
            "check) undoes it"
        )

    def export_rows(
        self, annotator: str | None, progress: Progress | None = None, *, sealed: bool = True
    ) -> Iterator[ExportRow]:
        """Every document with the annotator's last journal line: the line itself when the
        store sealed it for this very text (handed to writers unparsed), otherwise its
        checked record."""
        store = self.annotations(annotator, writable=False) if annotator else None
        sealed_line = store.sealed_line if store is not None and sealed else None
        for fields in self.iter_document_fields(progress):
            digest = text_hash(fields[1])
            line = sealed_line(fields[0], digest) if sealed_line is not None else None
            yield (
                ExportRow(fields, digest, line)
                if line is not None
                else checked_row(store, fields, digest)
            )

    def _take_appended(
        self, entries: list[DocumentEntry], size: int, lines: int, appended: int
    ) -> None:
        """Index the documents a committed batch appended (``appended`` bytes; the file
        is now ``size`` bytes, ``lines`` lines)."""
        assert self._fd is not None
        self._identity = _identity(self._fd)
        for entry in entries:
            self._index[entry.id] = len(self._entries)
            self._entries.append(entry)
        self._line_count = lines
        # The same rule as an open's: a small import leaves the index as it was (the
        # next open reads the few lines after it) instead of rewriting all its rows
        # (0.25 s at 100,000 documents).
        if not self.problems and appended >= SIDECAR_MIN_BYTES:
            DocumentsSidecar(self.path).save(self._fd, self._entries, size, lines)

    # --- annotations ---------------------------------------------------------------------

    def annotators(self) -> list[str]:
        """Everyone who has saved labels; opening a layer without saving does not count."""
        folder = self.path / ANNOTATIONS_DIR
        if not folder.is_dir():
            return []
        return sorted(
            path.stem
            for path in folder.glob("*.jsonl")
            if not path.name.startswith(".") and path.stat().st_size > 0
        )

    def suggestion_annotators(self) -> list[str]:
        """Everyone who has suggestions saved for them (suggestions/NAME.jsonl)."""
        folder = self.path / SUGGESTIONS_DIR
        if not folder.is_dir():
            return []
        return sorted(
            path.stem
            for path in folder.glob("*.jsonl")
            if not path.name.startswith(".") and path.stat().st_size > 0
        )

    def annotations(self, annotator: str, writable: bool = True) -> AnnotationStore:
        """One annotator's labels; writable stores take a lock that a second program is refused."""
        return self._layer(annotator, writable, ANNOTATIONS_DIR)

    def _layer(self, annotator: str, writable: bool, folder: str) -> AnnotationStore:
        check_annotator_name(annotator)
        writer = self._stores.get(f"{folder}\0{annotator}\0w")
        if writer is not None and not writer.closed:
            # This program's own writer is always up to date; a separate reader would not
            # see its saves.
            return writer
        key = f"{folder}\0{annotator}\0{'w' if writable else 'r'}"
        store = self._stores.get(key)
        if store is None or store.closed:
            store = AnnotationStore(self, annotator, writable=writable, folder=folder)
            self._stores[key] = store
        else:
            store.refresh()
        return store

    def suggestions(self, annotator: str, writable: bool = True) -> AnnotationStore:
        """Suggested labels (patterns, models) awaiting an annotator's decision.

        Kept in suggestions/NAME.jsonl, apart from the annotator's own labels, so nothing
        suggested is exported as a label until it is accepted.
        """
        return self._layer(annotator, writable, SUGGESTIONS_DIR)

    def layer_reader(self, annotator: str) -> AnnotationStore:
        """A fresh read-only view of an annotator's labels, every save so far included
        (this program's own too); the caller closes it."""
        check_annotator_name(annotator)
        return AnnotationStore(self, annotator, writable=False)

    def release_annotations(self, annotator: str) -> None:
        for key in [k for k in self._stores if k.split("\0")[1] == annotator]:
            self._stores.pop(key).close()

    # --- small per-user state ------------------------------------------------------------

    def read_state(self, kind: str, name: str) -> bytes | None:
        """PROJECT/KIND/NAME.json (a reviewer's last look), or None if never written."""
        try:
            return self._state_path(kind, name).read_bytes()
        except FileNotFoundError:
            return None

    def write_state(self, kind: str, name: str, data: bytes) -> None:
        path = self._state_path(kind, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)

    def _state_path(self, kind: str, name: str) -> Path:
        return self.path / check_annotator_name(kind) / f"{check_annotator_name(name)}.json"


def _identity_of(path: Path) -> tuple[int, int, int]:
    stat = os.stat(path)
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _identity(fd: int) -> tuple[int, int, int]:
    stat = os.fstat(fd)
    return stat.st_ino, stat.st_size, stat.st_mtime_ns
