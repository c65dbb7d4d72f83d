"""Application services shared by the command line and the GUI: import, export, check.

Pure Python (no Qt): the GUI calls the same functions, with its own progress callback.
One module per job: ``importing`` (with ``sources``, ``labels`` and ``skip_invalid``),
``exporting``, ``checking``; ``sample`` sets up the bundled sample project and
``progress`` holds the callback types and the terminal's progress line.

The names below are loaded on first use: ``annotator gui`` without a project needs only
``sample``, and must not bring in the formats, the store and pydantic before its window
shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from annotator.core.lazy import lazy_names

if TYPE_CHECKING:
    from annotator.services.checking import check_project
    from annotator.services.exporting import ExportSummary, export_project
    from annotator.services.importing import ImportSummary, import_sources
    from annotator.services.sources import detect_format

_LAZY = {
    "ExportSummary": "annotator.services.exporting",
    "ImportSummary": "annotator.services.importing",
    "check_project": "annotator.services.checking",
    "detect_format": "annotator.services.sources",
    "export_project": "annotator.services.exporting",
    "import_sources": "annotator.services.importing",
}


__getattr__ = lazy_names(__name__, _LAZY)


__all__ = [
    "ExportSummary",
    "ImportSummary",
    "check_project",
    "detect_format",
    "export_project",
    "import_sources",
]
