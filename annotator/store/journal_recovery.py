"""What a journal does when a write fails, or a crash left its last line unfinished."""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path

from annotator.core.errors import AnnotatorError
from annotator.store.files import append_durably


def write_failure(path: Path, exc: OSError, not_done: str) -> AnnotatorError:
    """One line for a failed write: the file, the system's reason, what was not done."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return AnnotatorError(f"{path}: {reason[:1].lower()}{reason[1:]}; {not_done}")


def append_to_file(path: Path, data: bytes) -> None:
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


def end_last_line(path: Path, fd: int, size: int) -> None:
    """Append the newline a complete last record lost; refuse to open without it
    (the next save would continue that line)."""
    try:
        append_durably(fd, b"\n")
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)
        raise write_failure(
            path, exc, "its last line could not be ended, so it was not opened for writing"
        ) from None


def keep_torn_line(path: Path, fd: int, offset: int, raw: bytes, line_no: int) -> str:
    """Move a torn last line (``raw``, line ``line_no`` at ``offset``) out of the journal
    open for writing as ``fd`` into NAME.jsonl.torn; what to add to the report of it."""
    torn = path.with_name(path.name + ".torn")
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        append_to_file(torn, f"# {stamp} from line {line_no}\n".encode() + raw + b"\n")
    except OSError as exc:
        raise write_failure(
            torn,
            exc,
            f"line {line_no} of {path.name}, cut off by a crash while saving, "
            "could not be kept there, so the journal was not opened for writing",
        ) from None
    os.ftruncate(fd, offset)
    return f"; its {len(raw)} bytes were kept in {torn.name}"
