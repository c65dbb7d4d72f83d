"""The compiled offset helpers (``_offsets.c``), where they are built.

Built by setup.py where a C compiler is found; without them doccano's import and export
run their own Python code, which gives the same results, slower.
"""

from __future__ import annotations

import os
from functools import lru_cache
from types import ModuleType

_module: ModuleType | None
try:
    from annotator.formats import _offsets as _module
except ImportError:
    _module = None


@lru_cache(maxsize=1)
def compiled_offsets() -> ModuleType | None:
    """``_offsets``, or None where it is not built (or lacks a function this code calls:
    an extension built from an older _offsets.c) or ``ANNOTATOR_PYTHON_OFFSETS`` is set
    (to compare the two)."""
    if _module is None or os.environ.get("ANNOTATOR_PYTHON_OFFSETS"):
        return None
    if not all(
        hasattr(_module, name)
        for name in (
            "doccano_spans",
            "doccano_entities",
            "doccano_sealed",
            "label_studio_regions",
            "label_studio_spans",
            "bracket_count",
        )
    ):
        return None
    return _module
