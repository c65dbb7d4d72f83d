"""The project folder on disk: documents, per-annotator journals, locks, atomic writes.

Never imports Qt.
"""

from annotator.store.journal import AnnotationStore
from annotator.store.project import (
    ANNOTATIONS_DIR,
    CONFIG_FILE,
    DOCUMENTS_FILE,
    GOLD_ANNOTATOR,
    DocumentEntry,
    Project,
    ProjectConfig,
    check_annotator_name,
)

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
