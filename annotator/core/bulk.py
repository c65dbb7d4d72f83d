"""Work on many small objects at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_gc() -> Iterator[None]:
    """No cyclic garbage collection while a bulk step runs.

    Imports, exports and index loads make millions of small objects that all live until
    the step ends, none of them in a cycle; the collector walked them over and over (a
    quarter of an import's time, a third of loading the documents index).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
