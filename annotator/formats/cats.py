"""Document categories in formats that name them flat (doccano, Prodigy, spaCy).

Our categories are ``{category: [choice, ...]}``. Formats with one flat list of names per
document get ``category:choice`` for each choice, except in the category named ``cats``,
whose choices go out as they are: that is where a doccano text-classification project's
labels (no colon) come in, so they go back out unchanged. Reading, a name with a colon
(a non-empty part before it) is ``category:choice``, any other name a choice of ``cats``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from annotator.core.models import cats_problem

FLAT_CATEGORY = "cats"


def flat_names(cats: dict[str, list[str]]) -> list[str]:
    """The choices of ``cats`` as flat names (see the module's docstring)."""
    return [
        choice if category == FLAT_CATEGORY else f"{category}:{choice}"
        for category, chosen in cats.items()
        for choice in chosen
    ]


def flat_name(category: str, choice: str) -> str:
    return choice if category == FLAT_CATEGORY else f"{category}:{choice}"


def from_flat_names(names: Iterable[str]) -> dict[str, list[str]]:
    """``flat_names`` read back; a name given twice counts once."""
    cats: dict[str, list[str]] = {}
    for name in names:
        category, colon, choice = name.partition(":")
        if not colon or not category or not choice:
            category, choice = FLAT_CATEGORY, name
        chosen = cats.setdefault(category, [])
        if choice not in chosen:
            chosen.append(choice)
    return cats


def cats_of(value: Any) -> dict[str, list[str]] | str:
    """Categories from what a record holds under ``cats``: our own ``{category: [choices]}``,
    a list of flat names (doccano), or spaCy's ``{name: score}`` (a score of 0.5 or more
    is chosen). A string says what is wrong."""
    if isinstance(value, list):
        if all(isinstance(name, str) and name for name in value):
            return from_flat_names(value)
        return '"cats" must list non-empty names'
    if not isinstance(value, dict):
        return f'"cats" must be an object or a list of names, not {value!r}'
    scores = list(value.values())
    if scores and all(
        isinstance(score, int | float) and not isinstance(score, bool) for score in scores
    ):
        return from_flat_names(name for name, score in value.items() if score >= 0.5)
    for category, chosen in value.items():
        problem = cats_problem(category, chosen)
        if problem:
            return problem
    return {category: list(chosen) for category, chosen in value.items()}
