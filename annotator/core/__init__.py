"""Pydantic models, offsets and edits. Never imports Qt.

The names below are loaded on first use, not when the package is imported: importing
``annotator.core.errors`` (which the window needs before it shows) must not import
pydantic and the models (about a third of the start-up time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from annotator.core.errors import AnnotationError, AnnotatorError, InputError, LockedError
from annotator.core.lazy import lazy_names
from annotator.core.status import STATUSES, Status

if TYPE_CHECKING:
    from annotator.core.models import (
        CATEGORIES,
        Category,
        Document,
        DocumentAnnotation,
        Label,
        LabelSchema,
        Relation,
        RelationType,
        Span,
        text_hash,
    )
    from annotator.core.schema import default_schema

_LAZY = {
    "CATEGORIES": "annotator.core.models",
    "Category": "annotator.core.models",
    "Document": "annotator.core.models",
    "DocumentAnnotation": "annotator.core.models",
    "Label": "annotator.core.models",
    "LabelSchema": "annotator.core.models",
    "Relation": "annotator.core.models",
    "RelationType": "annotator.core.models",
    "Span": "annotator.core.models",
    "text_hash": "annotator.core.models",
    "default_schema": "annotator.core.schema",
}


__getattr__ = lazy_names(__name__, _LAZY)


__all__ = [
    "CATEGORIES",
    "STATUSES",
    "AnnotationError",
    "AnnotatorError",
    "Category",
    "Document",
    "DocumentAnnotation",
    "InputError",
    "Label",
    "LabelSchema",
    "LockedError",
    "Relation",
    "RelationType",
    "Span",
    "Status",
    "default_schema",
    "text_hash",
]
