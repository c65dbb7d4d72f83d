"""The paged reads of the document list for stores that hold it in memory (folder, memory).

A window's list reads the rows it shows (:meth:`ProjectStore.entry_rows`), finds the rows
of the documents it must show or count (:meth:`ProjectStore.rows_of`) and searches
(:meth:`ProjectStore.find_rows`). The folder and memory stores have the whole list at
hand; these are their implementations over it. The database store answers each with a
query (store/postgres/project.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import TypeVar

from annotator.core.models import Document
from annotator.store.interface import DocumentInfo

Info = TypeVar("Info", bound=DocumentInfo)


def slice_rows(entries: Sequence[Info], start: int, stop: int) -> list[Info]:
    return list(entries[max(0, start) : max(0, stop)])


def rows_in(index: Mapping[str, int], doc_ids: Collection[str]) -> dict[str, int]:
    return {doc_id: index[doc_id] for doc_id in doc_ids if doc_id in index}


def matching_rows(
    entries: Sequence[DocumentInfo], documents: Callable[[], Iterator[Document]], term: str
) -> list[int]:
    """Rows whose title or id contains ``term``, or whose text does (texts read one at a
    time, in the project's order: they are not kept in memory)."""
    term = term.casefold()
    found = {
        row
        for row, entry in enumerate(entries)
        if term in entry.title.casefold() or term in entry.id.casefold()
    }
    for row, document in enumerate(documents()):
        if row not in found and term in document.text.casefold():
            found.add(row)
    return sorted(found)
