"""One import's documents, labels and schema change, committed all-or-nothing.

New lines are appended to documents.jsonl in place; the manifest (pending.py) written
before the first byte lets a failed or killed import be undone.
"""

from __future__ import annotations

import os
from contextlib import suppress
from itertools import accumulate, repeat
from pathlib import Path
from typing import Any, Protocol

import orjson

from annotator.core.errors import AnnotatorError
from annotator.core.models import Document, LabelSchema, text_hash, text_hashes
from annotator.store.config import ProjectConfig
from annotator.store.documents_index import DocumentEntry, head_of
from annotator.store.files import FileLock, fsync_dir, fsync_enabled
from annotator.store.interface import AddOutcome, Progress
from annotator.store.journal import AnnotationStore
from annotator.store.names import ANNOTATIONS_DIR, CONFIG_FILE, DOCUMENTS_FILE, check_annotator_name
from annotator.store.pending import (
    journal_marks,
    pending_path,
    roll_back_pending,
    truncate,
    undo_import,
    write_error,
    write_manifest,
)

_DOCUMENT_KEYS = ("id", "text", "meta")


class ImportTarget(Protocol):
    """What a batch reads and updates of the project folder it adds to (the folder
    :class:`~annotator.store.project.Project`): its index of documents, its writers and
    its config; the project takes the documents in once the batch is committed."""

    path: Path
    config: ProjectConfig
    _entries: list[DocumentEntry]
    _index: dict[str, int]
    _line_count: int
    _stores: dict[str, AnnotationStore]

    def __contains__(self, doc_id: object) -> bool: ...

    def get_document(self, doc_id: str) -> Document: ...

    def annotations(self, annotator: str, writable: bool = True) -> AnnotationStore: ...

    def release_annotations(self, annotator: str) -> None: ...

    def _reload_if_replaced(self) -> None: ...

    def _write_config(self) -> None: ...

    def _take_appended(
        self, entries: list[DocumentEntry], size: int, lines: int, appended: int
    ) -> None: ...


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

    def __init__(self, project: ImportTarget, progress: Progress | None) -> None:
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
            roll_back_pending(project.path)
            # A copy left by an import of an older version killed half-way.
            for stale in project.path.glob(f".{DOCUMENTS_FILE}.*.tmp"):
                stale.unlink(missing_ok=True)
            project._reload_if_replaced()
            documents = project.path / DOCUMENTS_FILE
            self._stored = StoredHashes(project)
            self._start_size = documents.stat().st_size
            self._manifest["documents"] = self._start_size
            write_manifest(project.path, self._manifest)
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
        records = map(dict, map(zip, repeat(_DOCUMENT_KEYS), zip(ids, texts, metas, strict=True)))
        # Each line with its newline, copied once into the file's buffer. Written before
        # the texts are hashed: orjson leaves each text's UTF-8 with it, which the hash
        # then reads instead of encoding the text a second time.
        lines = list(map(orjson.dumps, records, repeat(None), repeat(orjson.OPT_APPEND_NEWLINE)))
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
            write_manifest(project.path, self._manifest)
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
                write_manifest(project.path, self._manifest)
            return store
        return project.annotations(annotator)

    def set_schema(self, schema: LabelSchema) -> None:
        """Write the project's new schema as part of this import (the old one is kept in
        the manifest first, to be put back if the import does not finish)."""
        project = self.project
        config_path = project.path / CONFIG_FILE
        if self._old_config is None:
            self._manifest["config"] = config_path.read_bytes().hex()
            write_manifest(project.path, self._manifest)
            self._old_config = project.config
        project.config = project.config.model_copy(update={"schema_": schema})
        try:
            project._write_config()
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
            truncate(documents, self._start_size)
        # Everything the import wrote is durable: the marker goes, and with it the undo.
        pending_path(project.path).unlink()
        self._pending = False
        fsync_dir(project.path)
        if not self._new_entries:
            project._reload_if_replaced()
            return
        project._take_appended(
            self._new_entries, self._offset, self._line, self._offset - self._start_size
        )

    def _roll_back(self) -> None:
        """Undo everything the batch wrote, and end the batch."""
        project = self.project
        if self._handle is not None:
            with suppress(OSError):
                self._handle.close()
            self._handle = None
            if not self._pending:
                truncate(project.path / DOCUMENTS_FILE, self._start_size)
        if self._pending:
            # The journals' locks are still held by the stores opened for this import.
            undo_import(project.path, self._manifest, journal_marks(project.path, self._manifest))
            for store in self._kept_stores:
                store._index()  # its lines of this import are gone from the file
            for annotator in self._layers:
                if not any(store.name == annotator for store in self._kept_stores):
                    project.release_annotations(annotator)
            if self._old_config is not None:
                project.config = self._old_config
            pending_path(project.path).unlink(missing_ok=True)
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

    def __init__(self, project: ImportTarget) -> None:
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


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"
