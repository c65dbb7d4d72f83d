"""Low-level file safety: atomic replacement, durable appends, and inter-process locks."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import mmap
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TypeAlias

from annotator.core.errors import LockedError

# What a file's bytes are scanned in: bytes, or the file mapped (the same find, rfind,
# indexing and slicing, the slices being bytes).
Scannable: TypeAlias = bytes | mmap.mmap

# A whole file at least this large is mapped rather than read (see file_range).
MAP_MIN_BYTES = 1 << 20


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# mkstemp creates files readable by their owner only; project files should get the
# permissions any other file the user writes would get.
FILE_MODE = 0o666 & ~_current_umask()


def make_temp_file(directory: Path, name: str) -> tuple[int, Path]:
    """A new temp file beside ``name`` in ``directory``, with ordinary permissions."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return fd, Path(tmp_name)


def fsync_enabled() -> bool:
    """fsync protects saves against power loss; tests may turn it off for speed."""
    return os.environ.get("ANNOTATOR_FSYNC", "1") != "0"


def fsync_dir(directory: Path) -> None:
    if not fsync_enabled():
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: Path, mode: str = "wb") -> Iterator[IO[bytes]]:
    """Write to a temporary file beside ``path`` and rename it over ``path`` on success.

    A crash at any moment leaves either the old file or the new one, never a mix.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = make_temp_file(path.parent, path.name)
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            if fsync_enabled():
                os.fsync(handle.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_writer(path) as handle:
        handle.write(data)


def append_durably(fd: int, data: bytes, sync: bool = True) -> None:
    """Append ``data`` with one write call (O_APPEND) and fsync it (unless told not to:
    a caller appending in parts syncs once at the end).

    A failure part-way (a full disk) may leave a prefix of ``data`` written: the caller
    cuts the file back to its size before the append.
    """
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            # Not an error, yet no progress: looping would never end.
            raise OSError(errno.EIO, "the file system accepted none of the bytes written")
        view = view[written:]
    if sync and fsync_enabled():
        os.fsync(fd)


def sync(fd: int) -> None:
    """fsync, unless turned off (tests)."""
    if fsync_enabled():
        os.fsync(fd)


# How often, and how far apart, a writer tries for a lock a reader may hold for a moment.
_ACQUIRE_ATTEMPTS = 5
_ACQUIRE_PAUSE = 0.01


class FileLock:
    """An advisory lock (flock) held for as long as this object is open.

    The kernel releases a flock when its process dies, so a crashed program never
    leaves a lock that blocks the next start; the pid and host written into the file
    only serve the message shown to the second program.
    """

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        for attempt in range(_ACQUIRE_ATTEMPTS):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attempt + 1 < _ACQUIRE_ATTEMPTS:
                    # A reader asking whether a writer is alive (held_by_a_writer) holds
                    # the lock shared for a moment: not a writer, so try again.
                    time.sleep(_ACQUIRE_PAUSE)
                    continue
                holder = (
                    os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another program"
                )
                os.close(fd)
                raise LockedError(
                    f"{self.what} is open for writing by {holder}; "
                    "close it there first, or open the project read-only"
                ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        self._fd = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def held_by_a_writer(self) -> bool:
        """Whether a live writer (another program, or another store in this one) holds
        the lock now; False when there is no lock file or it cannot be read.

        Asks by taking the lock shared, without waiting, and giving it back at once: a
        writer's exclusive lock refuses that. Nothing is created or written, so a reader
        may ask in a folder it cannot write.
        """
        if self._fd is not None:
            return True
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return False
        finally:
            # Closing the file gives back the shared lock, if it was taken.
            os.close(fd)
        return False

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@contextlib.contextmanager
def file_range(fd: int, start: int, end: int) -> Iterator[Scannable]:
    """Bytes ``start:end`` of a file, to scan once: offset 0 of what this yields is
    ``start`` in the file.

    A large range from the file's start is mapped instead of read: reading copies it
    into memory the kernel must first zero (0.27-0.37 s for a 276 MB journal, more than
    scanning it), while a mapping shows the page cache as it is.

    The risk taken: a page past the file's end, once it is cut back, stops the process
    with SIGBUS when touched. The project's files only grow while open; the cut-backs
    there keep clear of it: a rolled-back import cuts past the size an open maps
    (the lines an import is appending are not read), and recovering a torn last line
    cuts behind the scan, which stops there. A program cutting the file while another
    process scans it (a torn journal recovered while a colleague's review window opens
    it, a save that failed part-way on a full disk cut back at that moment, or an edit in
    place) would stop that process.
    """
    if end <= start:
        yield b""
        return
    mapped = None
    if start == 0 and end >= MAP_MIN_BYTES:
        # Refused (ValueError) when the file is shorter by now: then it is read, as ever.
        with contextlib.suppress(ValueError, OSError):
            mapped = mmap.mmap(fd, end, access=mmap.ACCESS_READ)
    if mapped is None:
        yield _read_range(fd, start, end)
        return
    try:
        yield mapped
    finally:
        mapped.close()


def _read_range(fd: int, start: int, end: int) -> bytes:
    """Bytes ``start:end`` of the file in one read where the kernel allows it."""
    if end <= start:
        return b""
    # One read straight into the result: reading in chunks and joining them cost a copy
    # of the whole file (0.26 s and twice the memory at 350 MB). Linux caps one read at
    # about 2 GB, so larger files continue in chunks.
    first = os.pread(fd, end - start, start)
    if len(first) == end - start:
        return first
    chunks = [first]
    offset = start + len(first)
    while offset < end:
        chunk = os.pread(fd, min(end - offset, 1 << 26), offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)
