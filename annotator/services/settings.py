"""The project settings a user may change from the command line (`annotator settings`).

A project keeps its settings as one JSON object (annotator.json's ``settings`` in a
folder, the ``project`` row on a team server). Only settings the app reads can be set,
so that a misspelt name is refused instead of being kept and silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from annotator.core.errors import AnnotatorError
from annotator.store.interface import ProjectStore


def _at_least_one(name: str, value: Any) -> int:
    if type(value) is not int or value < 1:
        raise AnnotatorError(f"{name} must be a whole number of at least 1, not {value!r}")
    return value


# Each setting the app reads and its check (`annotator settings --help` says what they mean).
KNOWN: dict[str, Callable[[str, Any], Any]] = {"analysts_per_document": _at_least_one}


def parse_assignment(text: str) -> tuple[str, Any]:
    """``name=value``, the value read as JSON when it is JSON (``2``, ``true``) and as
    text otherwise, then checked for that setting."""
    name, equals, raw = text.partition("=")
    name = name.strip()
    if not equals or not name:
        raise AnnotatorError(f"{text!r}: write a setting as NAME=VALUE")
    if name not in KNOWN:
        raise AnnotatorError(f"unknown setting {name!r}; known: {', '.join(sorted(KNOWN))}")
    try:
        value: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        value = raw
    return name, KNOWN[name](name, value)


def change_settings(store: ProjectStore, assignments: Sequence[str]) -> dict[str, Any]:
    """Apply every assignment, or none if one is wrong; the settings as they now are."""
    changes = dict(parse_assignment(text) for text in assignments)
    if not changes:
        return dict(store.settings)
    settings = {**store.settings, **changes}
    store.save_settings(settings)
    return settings
