"""An import's undo record: the pending file (manifest) and the roll back it allows.

An import appends to documents.jsonl and the journals in place. Before it changes
anything it writes ``.documents.jsonl.pending``, the manifest of what to cut back and
put back; the manifest is removed last, once everything written is durable. A manifest
found later is an import that did not finish: :func:`roll_back_pending` undoes it.
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path
from typing import Any

import orjson

from annotator.core.errors import AnnotatorError
from annotator.store.files import FileLock, atomic_write_bytes, fsync_dir, fsync_enabled
from annotator.store.names import ANNOTATIONS_DIR, CONFIG_FILE, DOCUMENTS_FILE


def pending_path(root: Path) -> Path:
    return root / f".{DOCUMENTS_FILE}.pending"


def pending_import(root: Path) -> bool:
    """Whether an import into the project at ``root`` has not finished (running, or killed)."""
    return pending_path(root).exists()


def read_manifest(root: Path) -> dict[str, Any] | None:
    """What an unfinished import recorded before it changed anything, or None.

    ``documents``: documents.jsonl's size before it; ``journals``: for each annotations
    file it writes, [size before (-1: it did not exist), whether its lock file existed];
    ``config``: annotator.json's bytes before it (hex), when it changes the schema. An
    older version wrote the size alone.
    """
    try:
        raw = pending_path(root).read_bytes()
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


def read_pending(root: Path) -> int | None:
    """The size documents.jsonl had before an unfinished import, or None."""
    manifest = read_manifest(root)
    return None if manifest is None else int(manifest["documents"])


def write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    path = pending_path(root)
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


def roll_back_pending(root: Path) -> bool:
    """Undo an import that did not finish (the caller holds the project lock): cut
    documents.jsonl and each journal back to their sizes before it, remove the files it
    created, put annotator.json back; the marker goes last. Whether the config was put
    back. LockedError, with nothing changed, while an annotator's journal it wrote is
    open for writing elsewhere."""
    remove_stale_temps(root)
    manifest = read_manifest(root)
    if manifest is None:
        return False
    marks = journal_marks(root, manifest)
    locks = []
    try:
        for journal, _, _ in marks:
            lock = FileLock(journal.with_suffix(".lock"), str(journal))
            lock.acquire()
            locks.append(lock)
        undo_import(root, manifest, marks)
    finally:
        for lock in locks:
            lock.release()
    pending_path(root).unlink(missing_ok=True)
    fsync_dir(root)
    return manifest["config"] is not None


def remove_stale_temps(root: Path) -> None:
    """Temp files of the pending record, of documents.jsonl and of annotator.json left by
    a program killed while writing them (the caller holds the project lock, so none is
    being written now): a kill before the record exists leaves the project as it was but
    for such a file."""
    for stale in stale_temps(root):
        stale.unlink(missing_ok=True)


def stale_temps(root: Path) -> list[Path]:
    """Temp files an import or a config save writes beside the project's files."""
    patterns = (f".{DOCUMENTS_FILE}*.tmp", f"..{DOCUMENTS_FILE}*.tmp", f".{CONFIG_FILE}.*.tmp")
    return [stale for pattern in patterns for stale in root.glob(pattern)]


def journal_marks(root: Path, manifest: dict[str, Any]) -> list[tuple[Path, int, bool]]:
    marks = []
    for name, mark in manifest["journals"].items():
        journal = root / name
        # Only files this program writes: a damaged manifest must not point elsewhere.
        if journal.parent != root / ANNOTATIONS_DIR or journal.suffix != ".jsonl":
            continue
        if isinstance(mark, list) and len(mark) == 2 and isinstance(mark[0], int):
            marks.append((journal, mark[0], bool(mark[1])))
    return marks


def undo_import(root: Path, manifest: dict[str, Any], marks: list[tuple[Path, int, bool]]) -> None:
    """The roll back itself (the journals' locks held, unless the caller holds them)."""
    if manifest["documents"] >= 0:
        truncate(root / DOCUMENTS_FILE, manifest["documents"])
    for journal, size, lock_existed in marks:
        if size >= 0:
            with suppress(FileNotFoundError):
                truncate(journal, size)
            continue
        with suppress(FileNotFoundError):
            truncate(journal, 0)
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


def truncate(path: Path, size: int) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        if os.fstat(fd).st_size > size:
            os.ftruncate(fd, size)
            if fsync_enabled():
                os.fsync(fd)
    finally:
        os.close(fd)
