"""Where exports write: sinks that commit a file or a folder atomically or not at all.

A file is written to a temp file beside its output and renamed over it on commit; a
folder is written beside its output and swapped in (:class:`StagedFolder`), so the output
is entirely the old export or entirely the new one. A killed export's temp files and
folders are cleaned up (or a half-done swap undone) by the next export to the same output.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

from annotator.core.errors import AnnotatorError
from annotator.store.files import FILE_MODE, fsync_dir, fsync_enabled

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
