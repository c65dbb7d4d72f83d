"""What a change of the schema's document categories does to a document's choices.

The schema editor renames a category or a choice, removes one, or makes a category take
one choice only; the analyst's documents follow, as spans follow a renamed label, so
that every document still fits the schema (a document whose choices do not fit it is
shown read-only, and `annotator check` reports it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from annotator.core.models import DocumentCategory, LabelSchema


@dataclass
class CategoryRenames:
    categories: dict[str, str] = field(default_factory=dict)  # old name -> new name
    # new category name -> old choice -> new choice
    choices: dict[str, dict[str, str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.categories or self.choices)


def renamed_choices(old: list[str], new: list[str]) -> dict[str, str]:
    """Choices renamed in place: at one position, a choice that is gone and one that is
    new. A reordering renames nothing; lists of different lengths rename nothing."""
    if len(old) != len(new):
        return {}
    return {
        before: after
        for before, after in zip(old, new, strict=True)
        if before != after and before not in new and after not in old
    }


def categories_changed(before: LabelSchema, after: LabelSchema, renames: CategoryRenames) -> bool:
    """Whether any document's choices may need to follow (not just new categories or
    changed hotkeys and descriptions)."""
    if renames:
        return True
    kept = {category.name: category for category in after.categories}
    for category in before.categories:
        new = kept.get(category.name)
        if new is None or not set(category.choices) <= set(new.choices):
            return True
        if category.multiple and not new.multiple:
            return True
    return False


def migrate_cats(
    cats: dict[str, list[str]], schema: LabelSchema, renames: CategoryRenames
) -> dict[str, list[str]]:
    """``cats`` in the new schema: renamed, without removed categories and choices, and at
    most the first choice of a category that now takes one."""
    migrated: dict[str, list[str]] = {}
    for name, chosen in cats.items():
        new_name = renames.categories.get(name, name)
        category: DocumentCategory | None = schema.category(new_name)
        if category is None:
            continue
        mapping = renames.choices.get(new_name, {})
        kept = [
            choice
            for choice in dict.fromkeys(mapping.get(choice, choice) for choice in chosen)
            if choice in category.choices
        ]
        if not category.multiple:
            kept = kept[:1]
        if kept:
            migrated[new_name] = kept
    return migrated
