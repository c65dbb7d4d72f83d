"""The project folder on disk: documents, per-annotator journals, locks, atomic writes.

Never imports Qt. The store's classes are loaded on first use: the names module (file
names, the annotator-name check) is all the window needs before it shows, and the
journal and project modules bring in pydantic and the models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from annotator.core.lazy import lazy_names
from annotator.store.names import (
    ANNOTATIONS_DIR,
    CONFIG_FILE,
    DOCUMENTS_FILE,
    GOLD_ANNOTATOR,
    check_annotator_name,
)

if TYPE_CHECKING:
    from annotator.store.config import ProjectConfig
    from annotator.store.documents_index import DocumentEntry
    from annotator.store.journal import AnnotationStore
    from annotator.store.project import Project

_LAZY = {
    "AnnotationStore": "annotator.store.journal",
    "DocumentEntry": "annotator.store.documents_index",
    "Project": "annotator.store.project",
    "ProjectConfig": "annotator.store.config",
}


__getattr__ = lazy_names(__name__, _LAZY)


__all__ = [
    "ANNOTATIONS_DIR",
    "CONFIG_FILE",
    "DOCUMENTS_FILE",
    "GOLD_ANNOTATOR",
    "AnnotationStore",
    "DocumentEntry",
    "Project",
    "ProjectConfig",
    "check_annotator_name",
]
