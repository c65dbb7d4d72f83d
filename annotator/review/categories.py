"""Agreement on document categories (labels on the whole article), between two annotators.

Only documents both annotators finished (status ``done``) count: a category left empty
on a finished document is a decision ("none of these"), on an unfinished one it is not.

- single-choice category: Cohen's kappa over the option chosen, each document one item;
  nothing chosen counts as its own option, ``(none)``;
- multi-choice category: per option, Cohen's kappa over "chosen or not" (a 2x2 table a
  document), and the category's figure pools those tables over its options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from annotator.core.models import DocumentCategory

NONE_CHOSEN = "(none)"


def cohen_kappa(table: dict[tuple[str, str], int]) -> tuple[float | None, float | None]:
    """Cohen's kappa and the observed agreement of a table of (reference value, other
    value) -> documents; kappa is None when undefined (no documents, or chance agreement
    is 1: both annotators always gave the one same value)."""
    total = sum(table.values())
    if not total:
        return None, None
    observed = sum(count for (first, second), count in table.items() if first == second) / total
    reference: dict[str, int] = {}
    other: dict[str, int] = {}
    for (first, second), count in table.items():
        reference[first] = reference.get(first, 0) + count
        other[second] = other.get(second, 0) + count
    expected = sum(count * other.get(value, 0) for value, count in reference.items()) / (
        total * total
    )
    if expected >= 1.0:
        return None, observed
    return (observed - expected) / (1 - expected), observed


@dataclass(slots=True)
class CategoryAgreement:
    """One category, one pair of annotators, over the documents both finished."""

    name: str
    multiple: bool
    choices: list[str]
    documents: int = 0
    # single choice: (reference's option, other's option) -> documents
    table: dict[tuple[str, str], int] = field(default_factory=dict)
    # multiple choice: option -> (reference chose it, other chose it) -> documents
    options: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)

    @classmethod
    def of(cls, category: DocumentCategory) -> CategoryAgreement:
        return cls(category.name, category.multiple, list(category.choices))

    def add(self, reference: list[str], other: list[str]) -> None:
        self.documents += 1
        if not self.multiple:
            key = (_single(reference), _single(other))
            self.table[key] = self.table.get(key, 0) + 1
            return
        for option in {*self.choices, *reference, *other}:
            cell = (_yes(option in reference), _yes(option in other))
            counts = self.options.setdefault(option, {})
            counts[cell] = counts.get(cell, 0) + 1

    def pooled(self) -> dict[tuple[str, str], int]:
        """The table the category's kappa is taken over (the options' tables summed for a
        multiple-choice category)."""
        if not self.multiple:
            return self.table
        pooled: dict[tuple[str, str], int] = {}
        for counts in self.options.values():
            for cell, count in counts.items():
                pooled[cell] = pooled.get(cell, 0) + count
        return pooled

    @property
    def kappa(self) -> float | None:
        return cohen_kappa(self.pooled())[0]

    def option_kappa(self, option: str) -> float | None:
        return cohen_kappa(self.options.get(option, {}))[0]

    def to_dict(self) -> dict[str, Any]:
        kappa, observed = cohen_kappa(self.pooled())
        result: dict[str, Any] = {
            "multiple": self.multiple,
            "documents": self.documents,
            "kappa": kappa,
            "observed_agreement": observed,
        }
        if self.multiple:
            result["options"] = {
                option: dict(
                    zip(
                        ("kappa", "observed_agreement"),
                        cohen_kappa(self.options.get(option, {})),
                        strict=True,
                    )
                )
                for option in self.option_names()
            }
        else:
            result["table"] = [
                {"reference": first, "other": second, "documents": count}
                for (first, second), count in sorted(self.table.items())
            ]
        return result

    def option_names(self) -> list[str]:
        """The schema's options, then any others the annotators chose."""
        return self.choices + sorted(set(self.options) - set(self.choices))


def _single(chosen: list[str]) -> str:
    # Two choices in a single-choice category (a journal edited by hand) are one value.
    return "+".join(sorted(chosen)) if chosen else NONE_CHOSEN


def _yes(chosen: bool) -> str:
    return "yes" if chosen else "no"


def differing_categories(cats: dict[str, dict[str, list[str]]]) -> list[str]:
    """The categories (in order of first appearance) whose choices differ between the
    annotators of ``cats`` (annotator -> the document's cats)."""
    names: dict[str, None] = {}
    for chosen in cats.values():
        names.update(dict.fromkeys(chosen))
    return [
        name
        for name in names
        if len({tuple(sorted(chosen.get(name, []))) for chosen in cats.values()}) > 1
    ]


def agreed_cats(cats: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
    """The categories every annotator of ``cats`` chose the same way (at least two)."""
    if len(cats) < 2:
        return {}
    first = next(iter(cats.values()))
    differ = set(differing_categories(cats))
    return {name: list(chosen) for name, chosen in first.items() if name not in differ}
