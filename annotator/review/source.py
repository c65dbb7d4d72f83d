"""Reading several annotators' labels side by side, read-only.

Review never takes an analyst's lock: colleagues may still be labelling while the
reviewer compares; their later saves show up the next time the project is opened.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from annotator.core.errors import AnnotatorError
from annotator.core.models import STATUSES, DocumentAnnotation, Status
from annotator.store.interface import AnnotationLayer, ProjectStore
from annotator.store.names import ANNOTATIONS_DIR, EXAMPLES_SUFFIX, GOLD_ANNOTATOR

# A document counts as labelled by an annotator when they saved it with one of these
# statuses, or saved any span or relation on it; "todo" without labels and "skipped"
# mean the annotator has not given an opinion that agreement could measure.
LABELLED_STATUSES: frozenset[Status] = frozenset({"in_progress", "done", "flagged"})


def analysts(project: ProjectStore) -> list[str]:
    """Every annotator with a layer in the project, except the reviewers' gold layer and
    layers that are still an unchanged copy of another analyst's example labels."""
    return [
        name
        for name in project.annotators()
        if name != GOLD_ANNOTATOR and not _unchanged_example_copy(project, name)
    ]


def example_source(project: ProjectStore, name: str) -> str | None:
    """Whose example labels ``name``'s layer was copied from (the sample's newcomers)."""
    folder = getattr(project, "path", None)
    if folder is None:
        return None
    try:
        mark = (folder / ANNOTATIONS_DIR / f"{name}{EXAMPLES_SUFFIX}").read_text(encoding="utf-8")
    except OSError:
        return None
    return mark.strip() or None


_OWN_FIELDS = ("status", "note", "spans", "relations")


def _unchanged_example_copy(project: ProjectStore, name: str) -> bool:
    source = example_source(project, name)
    if source is None or source not in project.annotators():
        return False
    copy = project.annotations(name, writable=False)
    example = project.annotations(source, writable=False)
    for doc_id in copy.doc_ids():
        mine, theirs = copy.get_record(doc_id), example.get_record(doc_id)
        if mine is None:
            continue
        if theirs is None or any(mine.get(key) != theirs.get(key) for key in _OWN_FIELDS):
            return False
    return True


def choose_annotators(
    project: ProjectStore, chosen: Sequence[str] | None, at_least: int = 2
) -> list[str]:
    """The annotators to compare: the ones asked for (checked), else every analyst; at
    least ``at_least`` of them (a reviewer on a team server may wait for them: 0)."""
    available = analysts(project)
    if chosen:
        # The gold layer takes part only when named: "how close is alice to gold?"
        available = project.annotators()
        names = list(dict.fromkeys(chosen))
        missing = [name for name in names if name not in available]
        if missing:
            known = ", ".join(available) or "none"
            raise AnnotatorError(
                f"{project.location}: no labels by {', '.join(missing)} (annotators: {known})"
            )
    else:
        names = available
    if len(names) < at_least:
        raise AnnotatorError(
            f"{project.location}: agreement needs at least two annotators' labels "
            f"(found {', '.join(names) or 'none'})"
        )
    return names


def check_statuses(statuses: Iterable[str] | None) -> frozenset[Status] | None:
    if not statuses:
        return None
    chosen: set[Status] = set()
    for status in statuses:
        if status not in STATUSES:
            raise AnnotatorError(f"unknown status {status!r} (statuses: {', '.join(STATUSES)})")
        chosen.add(status)
    return frozenset(chosen)


class ReviewSource:
    """Read-only access to the chosen annotators' layers of one project."""

    def __init__(
        self,
        project: ProjectStore,
        annotators: Sequence[str] | None = None,
        statuses: Iterable[str] | None = None,
        at_least: int = 2,
    ) -> None:
        self.project = project
        self.annotators = choose_annotators(project, annotators, at_least)
        self.statuses = check_statuses(statuses)
        self.stores: dict[str, AnnotationLayer] = {
            name: project.annotations(name, writable=False) for name in self.annotators
        }

    def is_labelled(self, name: str, doc_id: str) -> bool:
        entry = self.stores[name].summary(doc_id)
        if entry is None:
            return False
        if self.statuses is not None:
            return entry.status in self.statuses
        if entry.status == "skipped":
            return False
        return entry.status in LABELLED_STATUSES or entry.spans > 0 or entry.relations > 0

    def labelled_by(self, doc_id: str) -> list[str]:
        return [name for name in self.annotators if self.is_labelled(name, doc_id)]

    def documents(self, minimum: int = 2) -> list[str]:
        """Documents, in project order, labelled by at least ``minimum`` chosen annotators.
        Only documents with labels are looked at, not every document of the project."""
        if minimum <= 0:
            return self.project.document_ids()
        candidates = {doc_id for store in self.stores.values() for doc_id in store.doc_ids()}
        chosen = [doc_id for doc_id in candidates if len(self.labelled_by(doc_id)) >= minimum]
        rows = self.project.rows_of(chosen)
        return sorted((doc_id for doc_id in chosen if doc_id in rows), key=rows.__getitem__)

    def annotations(self, doc_id: str) -> dict[str, DocumentAnnotation]:
        """The labels each chosen annotator who labelled ``doc_id`` gave it."""
        found: dict[str, DocumentAnnotation] = {}
        for name in self.labelled_by(doc_id):
            annotation = self.stores[name].get(doc_id)
            if annotation is not None:
                found[name] = annotation
        return found

    def records(self, doc_id: str) -> dict[str, dict[str, Any]]:
        """Like :meth:`annotations`, as the store's checked records (plain dicts): for
        readers that only count, without building a model per span."""
        found: dict[str, dict[str, Any]] = {}
        for name in self.labelled_by(doc_id):
            record = self.stores[name].get_record(doc_id)
            if record is not None:
                found[name] = record
        return found

    def iter_annotations(
        self, minimum: int = 2
    ) -> Iterator[tuple[str, dict[str, DocumentAnnotation]]]:
        for doc_id in self.documents(minimum):
            yield doc_id, self.annotations(doc_id)
