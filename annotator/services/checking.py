"""Check: every problem a project holds, without changing it."""

from __future__ import annotations

from annotator.core.errors import InputError
from annotator.store.interface import AnnotationLayer, ProjectStore


def check_project(project: ProjectStore) -> list[str]:
    """Every problem found: unreadable lines, labels that do not fit their text, lost ids,
    an import that has not finished."""
    problems = list(project.problems)
    unfinished = project.unfinished_import()
    if unfinished is not None:
        # Its half-written labels are not checked: they would be reported line by line
        # (labels for documents not read), and are undone with the rest of it.
        return [unfinished, *problems]
    texts: dict[str, str] = {}
    for name in project.annotators():
        # A reader of our own, closed when done: the caller's layers (the window's
        # writable one, a review's cached ones) stay open and untouched.
        layer = project.layer_reader(name)
        try:
            problems.extend(_check_layer(project, layer, texts))
        finally:
            layer.close()
        if len(texts) > 10_000:
            texts.clear()
    return problems


def _check_layer(project: ProjectStore, layer: AnnotationLayer, texts: dict[str, str]) -> list[str]:
    problems = list(layer.problems)
    for doc_id in layer.doc_ids():
        try:
            annotation = layer.get(doc_id)
        except InputError as exc:
            problems.append(str(exc))
            continue
        assert annotation is not None
        if doc_id not in project:
            problems.append(f"{layer.location}: labels for unknown document {doc_id!r}")
            continue
        if doc_id not in texts:
            texts[doc_id] = project.get_text(doc_id)
        where = layer.where(doc_id)
        problems.extend(f"{where}: {p}" for p in annotation.problems_with(texts[doc_id]))
        if annotation.cats:
            problems.extend(
                f"{where}: document {doc_id}: {p} (not in the schema)"
                for p in project.schema.cats_problems(annotation.cats)
            )
    return problems
