"""Copying a whole project between stores (a folder and a database, either way).

Through the storage interface only: schema, settings, documents in the project's order,
then every annotator's labels and suggestions, each record as it was saved (its time,
status and provenance included). The destination must be empty; it is checked before
anything is written, and a refusal is one line.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError, StoreUnavailable
from annotator.core.models import DocumentAnnotation, LabelSchema
from annotator.store.interface import AnnotationLayer, ProjectStore

# Annotations saved per save_many call (one transaction on a database).
_BATCH = 500


@dataclass(slots=True)
class CopyCounts:
    documents: int = 0
    annotators: int = 0
    labelled: int = 0
    suggested: int = 0

    def describe(self) -> str:
        return (
            f"{self.documents} document{'s' if self.documents != 1 else ''}, labels of "
            f"{self.annotators} annotator{'s' if self.annotators != 1 else ''} "
            f"({self.labelled} document labels), {self.suggested} documents' suggestions"
        )


def create_store(location: str, name: str, schema: LabelSchema) -> tuple[ProjectStore, bool]:
    """A new, empty project at a folder or in an empty database, and True; an existing
    project there that is empty (``annotator init`` without sources) is opened instead,
    and False."""
    from annotator.store.open import CONFIG_FILE, create_project, is_database_url, open_project

    if is_database_url(location):
        try:
            return open_project(location), False
        except StoreUnavailable:
            raise
        except AnnotatorError:
            pass  # no project there yet: create_project says so if it cannot make one
    elif (Path(location) / CONFIG_FILE).is_file():
        return open_project(location), False
    return create_project(location, name=name, schema=schema), True


def check_empty(store: ProjectStore) -> None:
    held = len(store)
    layers = len(store.annotators()) + len(store.suggestion_annotators())
    if held or layers:
        raise AnnotatorError(
            f"{store.location}: not empty ({held} documents, {layers} layers of labels); "
            "copy into a new folder or an empty database"
        )


def copy_between(source_location: str, destination_location: str) -> str:
    """`annotator copy SRC DST`: what was copied, as one line. A copy that fails is
    undone: a destination folder it made is removed, a database left as it was."""
    from annotator.store.open import is_database_url, open_project

    database = is_database_url(destination_location)
    new_folder = not database and not Path(destination_location).exists()
    source = open_project(source_location)
    try:
        destination, created = create_store(destination_location, source.name, source.schema)
        try:
            check_empty(destination)
        except BaseException:
            destination.close()
            raise
        schema, settings = destination.schema, dict(destination.settings)
        try:
            counts = copy_project(source, destination)
        except BaseException:
            _undo(destination, created, schema, settings, database)
            if new_folder:
                shutil.rmtree(destination_location, ignore_errors=True)
            raise
        destination.close()
    finally:
        source.close()
    return f"{destination.location}: copied {counts.describe()}"


def _undo(
    destination: ProjectStore,
    created: bool,
    schema: LabelSchema,
    settings: dict[str, Any],
    database: bool,
) -> None:
    """Undo what a failed copy wrote into a database (a folder it made is removed by
    the caller), then close the destination."""
    try:
        if database:
            from annotator.store.postgres.project import PostgresProject
            from annotator.store.postgres.removal import undo_copy

            assert isinstance(destination, PostgresProject)
            undo_copy(destination, created, schema, settings)
    finally:
        destination.close()


def copy_project(source: ProjectStore, destination: ProjectStore) -> CopyCounts:
    """Copy everything from ``source`` into the empty ``destination``."""
    check_empty(destination)
    counts = CopyCounts()
    destination.set_schema(source.schema)
    destination.save_settings(source.settings)
    added = destination.add_documents(source.iter_documents())
    counts.documents = added["added"]
    for name in source.annotators():
        counts.labelled += _copy_layer(
            source.annotations(name, writable=False), destination.annotations(name)
        )
        counts.annotators += 1
        destination.release_annotations(name)
    for name in source.suggestion_annotators():
        counts.suggested += _copy_layer(
            source.suggestions(name, writable=False), destination.suggestions(name)
        )
        destination.release_annotations(name)
    return counts


def _copy_layer(source: AnnotationLayer, destination: AnnotationLayer) -> int:
    copied = 0
    for batch in _batches(source.iter_annotations()):
        destination.save_many(batch)
        copied += len(batch)
    return copied


def _batches(annotations: Iterator[DocumentAnnotation]) -> Iterator[list[DocumentAnnotation]]:
    batch: list[DocumentAnnotation] = []
    for annotation in annotations:
        batch.append(annotation)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
