"""Index files kept beside an append-only file (documents.jsonl, a journal).

A sidecar is one JSON header line and one JSON array of rows. The header says which
prefix of the file the rows describe: its size and line count, and the file's inode,
mtime and last bytes at that size. Since the file only grows (or is cut back, or
replaced), a sidecar whose header still matches describes the file's first ``size``
bytes exactly, and an open reads only what was appended since. Anything that does not
match means the caller reads the whole file, as if there were no sidecar.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from annotator.store.files import atomic_write_bytes

SIDECAR_VERSION = 1
# Bytes of the file's end (at the size indexed) that the header keeps, to tell the file it
# indexed from one edited or replaced since (a same-size rewrite in place keeps the inode;
# mtime is checked too).
SIDECAR_TAIL = 64


def read_sidecar(path: Path, fd: int, stat: os.stat_result, limit: int) -> tuple[Any, int, int]:
    """(rows, bytes covered, lines covered) of the sidecar at ``path`` for the file open
    as ``fd``, whose first ``limit`` bytes may be used.

    Raises ValueError (or OSError, KeyError, TypeError) when it is missing, damaged or
    about another state of the file; callers treat every such error as "no sidecar".
    """
    raw = path.read_bytes()
    head_end = raw.index(b"\n")
    head = orjson.loads(raw[:head_end])
    covered, lines = head["size"], head["lines"]
    if (
        head.get("version") != SIDECAR_VERSION
        or type(covered) is not int
        or type(lines) is not int
        or head.get("inode") != stat.st_ino
        or not 0 <= covered <= limit
        or (covered == stat.st_size and head.get("mtime_ns") != stat.st_mtime_ns)
    ):
        raise ValueError("the sidecar describes another file")
    tail_start = max(0, covered - SIDECAR_TAIL)
    tail = os.pread(fd, covered - tail_start, tail_start)
    if tail.hex() != head.get("tail") or (covered and not tail.endswith(b"\n")):
        raise ValueError("the file changed since the sidecar was written")
    return orjson.loads(raw[head_end + 1 :]), covered, lines


def write_sidecar(path: Path, fd: int, covered: int, lines: int, rows: list[Any]) -> bool:
    """Write the rows describing the first ``covered`` bytes (whole lines) of the file open
    as ``fd``; False if it could not be written (a read-only folder, say)."""
    try:
        stat = os.fstat(fd)
        tail_start = max(0, covered - SIDECAR_TAIL)
        head = {
            "version": SIDECAR_VERSION,
            "size": covered,
            "lines": lines,
            "inode": stat.st_ino,
            "mtime_ns": stat.st_mtime_ns,
            "tail": os.pread(fd, covered - tail_start, tail_start).hex(),
        }
        atomic_write_bytes(path, orjson.dumps(head) + b"\n" + orjson.dumps(rows))
    except (OSError, TypeError):
        # Only a speed-up: the next open reads the whole file instead.
        return False
    return True
