"""Check: every problem a project holds, without changing it."""

from __future__ import annotations

from annotator.core.errors import InputError
from annotator.store.journal import AnnotationStore
from annotator.store.pending import pending_import
from annotator.store.project import Project


def check_project(project: Project) -> list[str]:
    """Every problem found: unreadable lines, labels that do not fit their text, lost ids,
    an import that has not finished."""
    problems = list(project.problems)
    if pending_import(project.path):
        # Its half-written labels are not checked: they would be reported line by line
        # (labels for documents not read), and are undone with the rest of it.
        return [
            f"{project.path}: an import has not finished (it is running, or was killed); "
            "the next program to open the project for writing (any annotator command but "
            "check) undoes it",
            *problems,
        ]
    texts: dict[str, str] = {}
    for name in project.annotators():
        # A store of our own, closed when done: the caller's stores (the window's writable
        # one, a review's cached ones) stay open and untouched.
        with AnnotationStore(project, name, writable=False) as store:
            problems.extend(_check_layer(project, store, texts))
        if len(texts) > 10_000:
            texts.clear()
    return problems


def _check_layer(project: Project, store: AnnotationStore, texts: dict[str, str]) -> list[str]:
    problems = list(store.problems)
    for doc_id in store.doc_ids():
        try:
            annotation = store.get(doc_id)
        except InputError as exc:
            problems.append(str(exc))
            continue
        assert annotation is not None
        if doc_id not in project:
            problems.append(f"{store.path}: labels for unknown document {doc_id!r}")
            continue
        if doc_id not in texts:
            texts[doc_id] = project.get_text(doc_id)
        where = f"{store.path}:{store.summary(doc_id).line}"  # type: ignore[union-attr]
        problems.extend(f"{where}: {p}" for p in annotation.problems_with(texts[doc_id]))
        if annotation.cats:
            problems.extend(
                f"{where}: document {doc_id}: {p} (not in the schema)"
                for p in project.schema.cats_problems(annotation.cats)
            )
    return problems
