"""A store that can be switched out of reach: the faults a team server has, without one.

:class:`FlakyLayer` wraps any annotation layer (the memory store's, or a folder
journal, which outlives a killed process). While its :class:`Switch` is down, a save
raises StoreUnavailable, as a database store does when its connection is gone; reads
keep working. ``fail_after`` takes the store down after that many more saves (a
connection lost part-way through sending), ``pause`` slows each save down (so that a
kill lands inside sending), and ``on_saved`` runs after each save the inner layer
returned from.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from annotator.core.errors import StoreUnavailable
from annotator.core.models import DocumentAnnotation
from annotator.store.interface import AnnotationLayer


class Switch:
    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.fail_after: int | None = None


class FlakyLayer:
    def __init__(self, inner: AnnotationLayer, switch: Switch | None = None) -> None:
        self.inner = inner
        self.switch = switch or Switch()
        self.pause = 0.0
        self.on_saved: Callable[[str], None] = lambda doc_id: None
        # (doc id, note) of every save the inner layer took, in order.
        self.saved: list[tuple[str, str]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.inner

    def __len__(self) -> int:
        return len(self.inner)

    def iter_annotations(self) -> Iterator[DocumentAnnotation]:
        return self.inner.iter_annotations()

    def _reach(self) -> None:
        switch = self.switch
        if switch.fail_after is not None:
            if switch.fail_after <= 0:
                switch.down = True
                switch.fail_after = None
            else:
                switch.fail_after -= 1
        if switch.down:
            raise StoreUnavailable(f"{self.inner.location}: could not connect to the server")

    def save(self, annotation: DocumentAnnotation, text: str | None = None) -> None:
        self._reach()
        if self.pause:
            time.sleep(self.pause)
        self.inner.save(annotation, text)
        self.saved.append((annotation.doc_id, annotation.note))
        self.on_saved(annotation.doc_id)

    def save_many(self, annotations: list[DocumentAnnotation]) -> None:
        self._reach()
        self.inner.save_many(annotations)
        self.saved.extend((annotation.doc_id, annotation.note) for annotation in annotations)
