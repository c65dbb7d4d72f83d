"""Pydantic models, offsets and edits. Never imports Qt."""

from annotator.core.errors import AnnotationError, AnnotatorError, InputError, LockedError
from annotator.core.models import (
    CATEGORIES,
    STATUSES,
    Category,
    Document,
    DocumentAnnotation,
    Label,
    LabelSchema,
    Relation,
    RelationType,
    Span,
    Status,
    text_hash,
)
from annotator.core.schema import default_schema

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
