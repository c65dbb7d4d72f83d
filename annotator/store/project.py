"""The project folder (DESIGN.md, contract):

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
import re
import zlib
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from itertools import accumulate, repeat
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from annotator.core.bulk import no_gc
from annotator.core.errors import AnnotatorError, InputError, LockedError
from annotator.core.models import (
    CATEGORIES,
    Document,
    Label,
    LabelSchema,
    RelationType,
    text_hash,
    text_hashes,
)
from annotator.core.schema import default_schema
from annotator.store.files import (
    FileLock,
    Scannable,
    atomic_write_bytes,
    file_range,
    fsync_dir,
    fsync_enabled,
)
from annotator.store.journal import AnnotationStore

# Re-exported: these names lived here before the window needed them without pydantic.
from annotator.store.names import ANNOTATIONS_DIR as ANNOTATIONS_DIR
from annotator.store.names import CONFIG_FILE as CONFIG_FILE
from annotator.store.names import DOCUMENTS_FILE as DOCUMENTS_FILE
from annotator.store.names import GOLD_ANNOTATOR as GOLD_ANNOTATOR
from annotator.store.names import SUGGESTIONS_DIR as SUGGESTIONS_DIR
from annotator.store.names import check_annotator_name as check_annotator_name
from annotator.store.names import check_project_folder
from annotator.store.sidecar import read_sidecar, write_sidecar

FORMAT_VERSION = 1
_HEAD = 64  # characters of a text's start in DocumentEntry.head
# Below this the file is indexed faster than a sidecar is written.
SIDECAR_MIN_BYTES = 1 << 20
_DOCUMENT_KEYS = ("id", "text", "meta")

Progress = Callable[[int, int | None], None]


class ProjectConfig(BaseModel):
    # Built on first validation: opening a project reads annotator.json through
    # read_config's plain checks, so the window starts without generating a schema.
    model_config = ConfigDict(defer_build=True, extra="allow")

    name: str
    format_version: int = FORMAT_VERSION
    schema_: LabelSchema = Field(default_factory=default_schema, alias="schema")
    settings: dict[str, Any] = Field(default_factory=dict)

    def to_json(self) -> bytes:
        data = self.model_dump(mode="json", by_alias=True)
        return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"


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


AddOutcome = Literal["added", "unchanged"]


class Project:
    """An open project folder. Use :meth:`create` or :meth:`open`."""

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
        config_path = check_project_folder(root)
        try:
            config = read_config(orjson.loads(config_path.read_bytes()))
        except orjson.JSONDecodeError as exc:
            raise InputError(config_path, f"not valid JSON: {exc}", _json_error_line(exc)) from None
        except ValidationError as exc:
            raise InputError(config_path, _first_validation_error(exc)) from None
        if config.format_version > FORMAT_VERSION:
            raise AnnotatorError(
                f"{config_path}: format version {config.format_version} is newer than this "
                f"program understands ({FORMAT_VERSION}); update annotator"
            )
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
        if self._recover and _read_pending(self.path) is not None:
            self._finish_interrupted_import()
        stat = os.fstat(self._fd)
        self._identity = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        self.problems = []
        self._last_text = None
        size = stat.st_size
        # Lines an import is still appending may yet be taken back: not read until it ends.
        limit = _read_pending(self.path)
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
            line_no = self._index_lines(data, entries, index, start, line_no)
            scanned = len(data)
            covered = start + data.rfind(b"\n") + 1
        self._entries = entries
        self._index = index
        self._line_count = line_no
        # A damaged file keeps being read (and its problems reported) at every open.
        if not self.problems and scanned >= SIDECAR_MIN_BYTES:
            sidecar.save(self._fd, entries, covered, line_no)

    def _index_lines(
        self,
        data: Scannable,
        entries: list[DocumentEntry],
        index: dict[str, int],
        start: int,
        line_no: int,
    ) -> int:
        """Index the document lines in ``data`` (which begins at ``start``, line
        ``line_no + 1``) into ``entries`` and ``index``, reporting the lines it skips;
        the number of the last line."""
        documents = self.path / DOCUMENTS_FILE
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
                    self.problems.append(
                        f"{documents}:{line_no}: unreadable document line skipped ({exc})"
                    )
                else:
                    if doc_id in index:
                        self.problems.append(
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

    def _finish_interrupted_import(self) -> None:
        """Roll back an import that crashed, unless one is running (it holds the lock)."""
        lock = FileLock(self.path / ANNOTATIONS_DIR / ".project.lock", str(self.path))
        try:
            lock.acquire()
        except (LockedError, OSError):
            return
        try:
            restored = _roll_back_pending(self.path)
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

    def document_batch(self, progress: Progress | None = None) -> DocumentBatch:
        return DocumentBatch(self, progress)

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


class DocumentBatch:
    """Documents, labels and schema changes of one import, committed all-or-nothing.

    New lines are appended to documents.jsonl itself (an import no longer copies the
    project). Before the first byte is appended, the file's size is written durably to
    a pending file (the manifest); before a journal is opened for writing
    (:meth:`open_layer`) or the schema changed (:meth:`set_schema`), the manifest is
    rewritten with that journal's size (or its absence) and the old annotator.json.
    The batch ends with fsync and the pending file's removal, last. A batch that fails
    is undone: files cut back (ftruncate) to those sizes, journals and lock files it
    created removed, the config put back; a pending file found later (a crash
    mid-import) means the same: the next program to take the project lock undoes it,
    and readers meanwhile read documents only up to the recorded size.
    """

    def __init__(self, project: Project, progress: Progress | None) -> None:
        self.project = project
        self.progress = progress
        self.counts: dict[AddOutcome, int] = {"added": 0, "unchanged": 0}
        # Documents added whose text another document (stored, or added before) has too.
        self.shared_text = 0
        self._lock = FileLock(
            project.path / ANNOTATIONS_DIR / ".project.lock", f"{project.path / DOCUMENTS_FILE}"
        )
        self._handle: Any = None
        self._start_size = 0
        self._new_entries: list[DocumentEntry] = []
        self._new_ids: dict[str, str] = {}
        self._by_hash: dict[str, str] = {}
        self._offset = 0
        self._line = 0
        self._stored: StoredHashes | None = None
        self._pending = False
        self._manifest: dict[str, Any] = {"documents": -1, "journals": {}, "config": None}
        self._layers: list[str] = []
        # Writable stores the program had open before the import (the window's own):
        # kept open through a roll back, and re-read.
        self._kept_stores: list[AnnotationStore] = []
        self._old_config: ProjectConfig | None = None
        self._project_lock_existed = True
        # The id of the last document added or found unchanged, and its text's hash.
        self.last_id = ""
        self.last_digest = ""

    def __enter__(self) -> DocumentBatch:
        self._project_lock_existed = self._lock.path.exists()
        self._lock.acquire()
        try:
            project = self.project
            _roll_back_pending(project.path)
            # A copy left by an import of an older version killed half-way.
            for stale in project.path.glob(f".{DOCUMENTS_FILE}.*.tmp"):
                stale.unlink(missing_ok=True)
            project._reload_if_replaced()
            documents = project.path / DOCUMENTS_FILE
            self._stored = StoredHashes(project)
            self._start_size = documents.stat().st_size
            self._manifest["documents"] = self._start_size
            _write_manifest(project.path, self._manifest)
            self._pending = True
            self._handle = open(documents, "ab", buffering=1 << 20)
            self._offset = self._start_size
            if self._start_size and not _ends_with_newline(documents):
                self._write(b"\n")
                self._offset += 1
            self._line = project._line_count
        except BaseException:
            self._roll_back()
            self._lock.release()
            raise
        return self

    def add(self, document: Document) -> AddOutcome:
        assert self._stored is not None
        digest = text_hash(document.text)
        self.last_digest = digest
        if document.id in self._new_ids:
            known: str | None = self._new_ids[document.id]
        elif document.id in self.project:
            known = self._stored.of(document.id)
        else:
            known = None
        self.last_id = document.id
        if known is not None:
            if known != digest:
                where = (
                    "earlier in this import" if document.id in self._new_ids else "in the project"
                )
                raise AnnotatorError(
                    f"document id {document.id!r} is already {where} with a different "
                    "text; give the new document another id"
                )
            outcome: AddOutcome = "unchanged"
        else:
            # A document is its id: a text stored under another id is a document of its
            # own (two brat files over one text carry different labels), only counted.
            if digest in self._by_hash or self._stored.find(document.text, digest) is not None:
                self.shared_text += 1
            record = {"id": document.id, "text": document.text, "meta": document.meta}
            line = orjson.dumps(record)
            self._write(line + b"\n")
            self._line += 1
            self._new_entries.append(
                DocumentEntry(
                    document.id,
                    document.meta,
                    self._offset,
                    len(line),
                    self._line,
                    len(document.text),
                    head_of(document.text),
                )
            )
            self._offset += len(line) + 1
            self._new_ids[document.id] = digest
            self._by_hash.setdefault(digest, document.id)
            outcome = "added"
        self.counts[outcome] += 1
        if self.progress is not None:
            self.progress(sum(self.counts.values()), None)
        return outcome

    def find_text(self, text: str) -> str | None:
        """The id of a document with this text, stored or added in this batch, if any."""
        assert self._stored is not None
        digest = text_hash(text)
        return self._by_hash.get(digest) or self._stored.find(text, digest)

    def add_new(
        self, ids: list[str], texts: list[str], metas: list[dict[str, Any]]
    ) -> list[str] | None:
        """Add documents that are all new, in one step; their text hashes.

        What :meth:`add` does for each, column by column (an import's reader hands over
        documents in batches): None, with nothing written, unless every document would
        be "added" (ids new to the project and to this batch, texts stored nowhere yet),
        so that the caller can add them one by one for the exact outcome or message (and
        the count of shared texts).
        ``ids`` must be non-empty strings and ``metas`` JSON objects (as Document checks).
        """
        assert self._stored is not None
        if not ids:
            return []
        digests = text_hashes(texts)
        count = len(ids)
        index = self.project._index
        if (
            len(set(ids)) != count
            or len(set(digests)) != count
            or not self._new_ids.keys().isdisjoint(ids)
            or not index.keys().isdisjoint(ids)
            or not self._by_hash.keys().isdisjoint(digests)
        ):
            return None
        chars = list(map(len, texts))
        heads = list(map(head_of, texts))
        if index and self._stored.any_of(texts, chars, heads, digests):
            return None
        records = map(dict, map(zip, repeat(_DOCUMENT_KEYS), zip(ids, texts, metas, strict=True)))
        # Each line with its newline, copied once into the file's buffer.
        lines = list(map(orjson.dumps, records, repeat(None), repeat(orjson.OPT_APPEND_NEWLINE)))
        lengths = list(map((-1).__add__, map(len, lines)))
        offsets = list(accumulate(map(len, lines), initial=self._offset))
        numbers = range(self._line + 1, self._line + count + 1)
        try:
            self._handle.writelines(lines)
        except OSError as exc:
            raise write_error(self.project.path / DOCUMENTS_FILE, exc) from None
        self._new_entries.extend(
            map(DocumentEntry, ids, metas, offsets, lengths, numbers, chars, heads)
        )
        self._offset = offsets[-1]
        self._line += count
        self._new_ids.update(zip(ids, digests, strict=True))
        self._by_hash.update(zip(digests, ids, strict=True))
        self.last_id = ids[-1]
        self.last_digest = digests[-1]
        self.counts["added"] += count
        if self.progress is not None:
            self.progress(sum(self.counts.values()), None)
        return digests

    def _write(self, data: bytes) -> None:
        try:
            self._handle.write(data)
        except OSError as exc:
            raise write_error(self.project.path / DOCUMENTS_FILE, exc) from None

    def open_layer(self, annotator: str) -> AnnotationStore:
        """An annotator's labels, writable, to append this import's lines to: the manifest
        records the journal's size (or that it is new) before it is opened."""
        project = self.project
        if annotator not in self._layers:
            check_annotator_name(annotator)
            journal = project.path / ANNOTATIONS_DIR / f"{annotator}.jsonl"
            key = f"{ANNOTATIONS_DIR}/{journal.name}"
            size = journal.stat().st_size if journal.exists() else -1
            lock_existed = journal.with_suffix(".lock").exists()
            self._manifest["journals"][key] = [size, lock_existed]
            _write_manifest(project.path, self._manifest)
            self._layers.append(annotator)
            kept = project._stores.get(f"{ANNOTATIONS_DIR}\0{annotator}\0w")
            store = project.annotations(annotator)
            if store is kept:
                self._kept_stores.append(store)
            # Opening may compact the journal or cut a torn line: the import appends after
            # what it is now (a crash before this is recorded cuts nothing: cuts only shrink).
            now = journal.stat().st_size
            if size >= 0 and now != size:
                self._manifest["journals"][key] = [now, lock_existed]
                _write_manifest(project.path, self._manifest)
            return store
        return project.annotations(annotator)

    def set_schema(self, schema: LabelSchema) -> None:
        """Write the project's new schema as part of this import (the old one is kept in
        the manifest first, to be put back if the import does not finish)."""
        project = self.project
        config_path = project.path / CONFIG_FILE
        if self._old_config is None:
            self._manifest["config"] = config_path.read_bytes().hex()
            _write_manifest(project.path, self._manifest)
            self._old_config = project.config
        project.config = project.config.model_copy(update={"schema_": schema})
        try:
            atomic_write_bytes(config_path, project.config.to_json())
        except OSError as exc:
            raise write_error(config_path, exc) from None

    def __exit__(self, exc_type: object, *exc: object) -> None:
        try:
            if exc_type is not None:
                self._roll_back()
                return
            try:
                self._commit()
            except BaseException:
                self._roll_back()
                raise
        finally:
            self._lock.release()

    def _commit(self) -> None:
        project = self.project
        documents = project.path / DOCUMENTS_FILE
        if self._new_entries:
            try:
                self._handle.flush()
                if fsync_enabled():
                    os.fsync(self._handle.fileno())
            except OSError as exc:
                raise write_error(documents, exc) from None
            self._handle.close()
            self._handle = None
        else:
            self._handle.close()
            self._handle = None
            # Only a newline ending the last line may have been written: not kept.
            _truncate(documents, self._start_size)
        # Everything the import wrote is durable: the marker goes, and with it the undo.
        _pending_path(project.path).unlink()
        self._pending = False
        fsync_dir(project.path)
        if not self._new_entries:
            project._reload_if_replaced()
            return
        assert project._fd is not None
        project._identity = _identity(project._fd)
        for entry in self._new_entries:
            project._index[entry.id] = len(project._entries)
            project._entries.append(entry)
        project._line_count = self._line
        # The same rule as an open's: a small import leaves the index as it was (the
        # next open reads the few lines after it) instead of rewriting all its rows
        # (0.25 s at 100,000 documents).
        if not project.problems and self._offset - self._start_size >= SIDECAR_MIN_BYTES:
            DocumentsSidecar(project.path).save(
                project._fd, project._entries, self._offset, self._line
            )

    def _roll_back(self) -> None:
        """Undo everything the batch wrote, and end the batch."""
        project = self.project
        if self._handle is not None:
            with suppress(OSError):
                self._handle.close()
            self._handle = None
            if not self._pending:
                _truncate(project.path / DOCUMENTS_FILE, self._start_size)
        if self._pending:
            # The journals' locks are still held by the stores opened for this import.
            _undo(project.path, self._manifest, _journal_marks(project.path, self._manifest))
            for store in self._kept_stores:
                store._index()  # its lines of this import are gone from the file
            for annotator in self._layers:
                if not any(store.name == annotator for store in self._kept_stores):
                    project.release_annotations(annotator)
            if self._old_config is not None:
                project.config = self._old_config
            _pending_path(project.path).unlink(missing_ok=True)
            fsync_dir(project.path)
            self._pending = False
        if not self._project_lock_existed:
            # A refused import leaves no file behind, not even the lock it took (still
            # held: a program that opened it meanwhile is refused, one that opens it
            # afterwards makes a fresh one).
            self._lock.path.unlink(missing_ok=True)
            self._project_lock_existed = True


class StoredHashes:
    """Text hashes of stored documents, computed only for those an import needs.

    A new text can only repeat a stored text of the same length and the same start
    (DocumentEntry.head), so only stored documents sharing both with an imported text
    are read and hashed.
    """

    def __init__(self, project: Project) -> None:
        self.project = project
        self._hashes: dict[str, str] = {}
        self._by_key: dict[tuple[int, int], list[str]] | None = None
        self._by_hash: dict[str, str] = {}

    def of(self, doc_id: str) -> str:
        digest = self._hashes.get(doc_id)
        if digest is None:
            digest = text_hash(self.project.get_document(doc_id).text)
            self._hashes[doc_id] = digest
            self._by_hash.setdefault(digest, doc_id)
        return digest

    def any_of(
        self, texts: list[str], chars: list[int], heads: list[int], digests: list[str]
    ) -> bool:
        """Whether any of these texts (their lengths, DocumentEntry.head, hashes) is stored."""
        by_key = self._keys()
        keys = list(zip(chars, heads, strict=True))
        if not by_key.keys().isdisjoint(keys):
            for text, key, digest in zip(texts, keys, digests, strict=True):
                if key in by_key:
                    self.find(text, digest)
        return not self._by_hash.keys().isdisjoint(digests)

    def _keys(self) -> dict[tuple[int, int], list[str]]:
        if self._by_key is None:
            self._by_key = {}
            for entry in self.project._entries:
                self._by_key.setdefault((entry.chars, entry.head), []).append(entry.id)
        return self._by_key

    def find(self, text: str, digest: str) -> str | None:
        """The id of a stored document with this text, if any."""
        candidates = self._keys().pop((len(text), head_of(text)), None)
        if candidates:
            for doc_id in candidates:
                self.of(doc_id)
        return self._by_hash.get(digest)


def head_of(text: str) -> int:
    """DocumentEntry.head: a checksum of the text's first characters."""
    return zlib.crc32(text[:_HEAD].encode("utf-8", "surrogatepass"))


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


_CONFIG_KEYS = frozenset({"name", "format_version", "schema", "settings"})
_LABEL_KEYS = frozenset({"name", "category", "color", "hotkey", "description"})
_RELATION_KEYS = frozenset({"name", "head", "tail", "hotkey"})
_PLAIN_NAME = re.compile(r"[^\s,]+")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def read_config(data: Any) -> ProjectConfig:
    """annotator.json's contents as a ProjectConfig, exactly as ``model_validate`` gives it.

    A config in the shape the program writes is checked here, field by field with the
    models' own rules (a little stricter), and built without validating again; anything
    else goes through pydantic, which accepts or refuses it with its own message.
    """
    config = _plain_config(data)
    return config if config is not None else ProjectConfig.model_validate(data)


def _plain_config(data: Any) -> ProjectConfig | None:
    # Extra keys (the model allows them) are left to pydantic, which counts them as set.
    if type(data) is not dict or not data.keys() <= _CONFIG_KEYS:
        return None
    if type(data.get("name")) is not str:
        return None
    if "format_version" in data and type(data["format_version"]) is not int:
        return None
    if "settings" in data and type(data["settings"]) is not dict:
        return None
    values = dict(data)
    if "schema" in data:
        schema = _plain_schema(data["schema"])
        if schema is None:
            return None
        values["schema"] = schema
    return ProjectConfig.model_construct(**values)


def _plain_schema(data: Any) -> LabelSchema | None:
    if type(data) is not dict or not data.keys() <= {"labels", "relations"}:
        return None
    values: dict[str, Any] = {}
    if "labels" in data:
        labels = data["labels"]
        if type(labels) is not list or not all(map(_plain_label, labels)):
            return None
        names = [label["name"] for label in labels]
        hotkeys = [label["hotkey"] for label in labels if label.get("hotkey")]
        if len(set(names)) != len(names) or len(set(hotkeys)) != len(hotkeys):
            return None  # pydantic names the duplicate
        values["labels"] = [Label.model_construct(**label) for label in labels]
    if "relations" in data:
        relations = data["relations"]
        if type(relations) is not list or not all(map(_plain_relation, relations)):
            return None
        names = [relation["name"] for relation in relations]
        if len(set(names)) != len(names):
            return None
        values["relations"] = [RelationType.model_construct(**rel) for rel in relations]
    return LabelSchema.model_construct(**values)


def _plain_label(label: Any) -> bool:
    return (
        type(label) is dict
        and label.keys() <= _LABEL_KEYS
        and type(label.get("name")) is str
        and _PLAIN_NAME.fullmatch(label["name"]) is not None
        and label.get("category", "entity") in CATEGORIES
        and type(label.get("color", "")) is str
        and ("color" not in label or _COLOR.fullmatch(label["color"]) is not None)
        and type(label.get("hotkey", "")) is str
        and type(label.get("description", "")) is str
    )


def _plain_relation(relation: Any) -> bool:
    return (
        type(relation) is dict
        and relation.keys() <= _RELATION_KEYS
        and type(relation.get("name")) is str
        and relation["name"] != ""
        and type(relation.get("hotkey", "")) is str
        and all(
            type(ends) is list and all(type(end) is str for end in ends)
            for ends in (relation.get("head", []), relation.get("tail", []))
        )
    )


def _pending_path(root: Path) -> Path:
    return root / f".{DOCUMENTS_FILE}.pending"


def pending_import(root: Path) -> bool:
    """Whether an import into the project at ``root`` has not finished (running, or killed)."""
    return _pending_path(root).exists()


def _read_manifest(root: Path) -> dict[str, Any] | None:
    """What an unfinished import recorded before it changed anything, or None.

    ``documents``: documents.jsonl's size before it; ``journals``: for each annotations
    file it writes, [size before (-1: it did not exist), whether its lock file existed];
    ``config``: annotator.json's bytes before it (hex), when it changes the schema. An
    older version wrote the size alone.
    """
    try:
        raw = _pending_path(root).read_bytes()
    except FileNotFoundError:
        return None
    try:
        data = orjson.loads(raw) if raw.strip() else -1
    except orjson.JSONDecodeError:
        data = -1
    if isinstance(data, int) and not isinstance(data, bool):
        return {"documents": data, "journals": {}, "config": None}
    if not isinstance(data, dict):
        return {"documents": -1, "journals": {}, "config": None}
    documents = data.get("documents")
    journals = data.get("journals")
    return {
        "documents": documents if isinstance(documents, int) else -1,
        "journals": journals if isinstance(journals, dict) else {},
        "config": data.get("config") if isinstance(data.get("config"), str) else None,
    }


def _read_pending(root: Path) -> int | None:
    """The size documents.jsonl had before an unfinished import, or None."""
    manifest = _read_manifest(root)
    return None if manifest is None else int(manifest["documents"])


def _write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    path = _pending_path(root)
    try:
        atomic_write_bytes(path, orjson.dumps(manifest) + b"\n")
    except OSError as exc:
        raise write_error(path, exc) from None


def write_error(path: Path, exc: OSError) -> AnnotatorError:
    """An OSError met while an import writes ``path``, as one line naming the file."""
    return AnnotatorError(
        f"{path}: could not be written ({exc.strerror or exc}); "
        "the import was undone and the project is as it was"
    )


def _roll_back_pending(root: Path) -> bool:
    """Undo an import that did not finish (the caller holds the project lock): cut
    documents.jsonl and each journal back to their sizes before it, remove the files it
    created, put annotator.json back; the marker goes last. Whether the config was put
    back. LockedError, with nothing changed, while an annotator's journal it wrote is
    open for writing elsewhere."""
    manifest = _read_manifest(root)
    if manifest is None:
        return False
    marks = _journal_marks(root, manifest)
    locks = []
    try:
        for journal, _, _ in marks:
            lock = FileLock(journal.with_suffix(".lock"), str(journal))
            lock.acquire()
            locks.append(lock)
        _undo(root, manifest, marks)
    finally:
        for lock in locks:
            lock.release()
    _pending_path(root).unlink(missing_ok=True)
    fsync_dir(root)
    return manifest["config"] is not None


def _journal_marks(root: Path, manifest: dict[str, Any]) -> list[tuple[Path, int, bool]]:
    marks = []
    for name, mark in manifest["journals"].items():
        journal = root / name
        # Only files this program writes: a damaged manifest must not point elsewhere.
        if journal.parent != root / ANNOTATIONS_DIR or journal.suffix != ".jsonl":
            continue
        if isinstance(mark, list) and len(mark) == 2 and isinstance(mark[0], int):
            marks.append((journal, mark[0], bool(mark[1])))
    return marks


def _undo(root: Path, manifest: dict[str, Any], marks: list[tuple[Path, int, bool]]) -> None:
    """The roll back itself (the journals' locks held, unless the caller holds them)."""
    if manifest["documents"] >= 0:
        _truncate(root / DOCUMENTS_FILE, manifest["documents"])
    for journal, size, lock_existed in marks:
        if size >= 0:
            with suppress(FileNotFoundError):
                _truncate(journal, size)
            continue
        with suppress(FileNotFoundError):
            _truncate(journal, 0)
        journal.unlink(missing_ok=True)
        journal.with_name(f".{journal.name}.idx").unlink(missing_ok=True)
        if not lock_existed:
            # Still held by us: a program that opened it meanwhile gets a fresh one.
            journal.with_suffix(".lock").unlink(missing_ok=True)
    if manifest["config"] is not None:
        config = bytes.fromhex(manifest["config"])
        # Not written again when the import's own write never replaced it (a full disk).
        if (root / CONFIG_FILE).read_bytes() != config:
            atomic_write_bytes(root / CONFIG_FILE, config)
    if (root / ANNOTATIONS_DIR).is_dir():
        fsync_dir(root / ANNOTATIONS_DIR)


def _truncate(path: Path, size: int) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        if os.fstat(fd).st_size > size:
            os.ftruncate(fd, size)
            if fsync_enabled():
                os.fsync(fd)
    finally:
        os.close(fd)


def _identity(fd: int) -> tuple[int, int, int]:
    stat = os.fstat(fd)
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _identity_of(path: Path) -> tuple[int, int, int]:
    stat = os.stat(path)
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _json_error_line(exc: orjson.JSONDecodeError) -> int | None:
    return getattr(exc, "lineno", None)


def _first_validation_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {error.get('msg')}" if where else str(error.get("msg"))
