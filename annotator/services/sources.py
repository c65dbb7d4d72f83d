"""Which format a source is in, and the reader that reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from annotator.core.errors import InputError
from annotator.formats.base import FORMAT_MODULES, get_reader
from annotator.formats.offsets import Unit

# Tried in this order by --format auto: the most specific shapes first, plain text last.
AUTO_ORDER = ("brat", "citron", "label-studio", "doccano", "prodigy", "native", "text")


def detect_format(path: Path) -> str:
    for name in AUTO_ORDER:
        if name not in FORMAT_MODULES:
            continue
        if get_reader(name).sniff(path):
            return name
    raise InputError(path, "cannot tell which format this is; name it with --format")


def expand_sources(sources: list[Path]) -> list[Path]:
    missing = [source for source in sources if not source.exists()]
    if missing:
        raise InputError(missing[0], "no such file or folder")
    return sources


def reader_for(name: str, offset_unit: Unit | None) -> Any:
    """The format's reader, told how offsets count when the user said so."""
    reader = get_reader(name)
    with_unit = getattr(reader, "with_offset_unit", None)
    if offset_unit is not None and with_unit is not None:
        reader = with_unit(offset_unit)
    return reader
