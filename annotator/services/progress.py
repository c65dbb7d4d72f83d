"""How the services report: the progress and notice callbacks they take, and progress on
a terminal (one line rewritten in place, only when stderr is a terminal)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

# (done, total or None when unknown)
Progress = Callable[[int, int | None], None]
Notify = Callable[[str], None]


def ignore_notice(message: str) -> None:
    del message


class TerminalProgress:
    def __init__(self, what: str, stream: TextIO | None = None, interval: float = 0.2) -> None:
        self.what = what
        self.stream = stream or sys.stderr
        self.interval = interval
        self.enabled = self.stream.isatty()
        self._last = 0.0
        self._shown = False

    def __call__(self, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.interval and done != total:
            return
        self._last = now
        if total:
            line = f"{self.what}: {done:,} of {total:,} ({100 * done // total}%)"
        else:
            line = f"{self.what}: {done:,}"
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()
        self._shown = True

    def done(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False
