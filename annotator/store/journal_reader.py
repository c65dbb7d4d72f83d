"""Reading one annotator's journal through its index: the look-ups of a labels layer."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import orjson
from pydantic import ValidationError

from annotator.core.errors import AnnotationError, InputError
from annotator.core.models import DocumentAnnotation, text_hash
from annotator.core.records import (
    CHECKSUM_KEY,
    COUNTS_KEY,
    annotation_from_record,
    intact,
    record_ok,
)
from annotator.store.journal_index import JournalEntry
from annotator.store.journal_lines import short_validation_error
from annotator.store.sealed import SealedLine, sealed_line_of


class JournalOwner(Protocol):
    """What a journal needs of its project: the folder, and the text its labels fit."""

    @property
    def path(self) -> Path: ...

    def get_text(self, doc_id: str) -> str: ...


class JournalReader:
    """The reading side of :class:`~annotator.store.journal.AnnotationStore`: each
    document's latest line, found by the index that opening the journal built."""

    path: Path
    project: JournalOwner
    _fd: int | None
    _entries: dict[str, JournalEntry]

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def doc_ids(self) -> list[str]:
        return list(self._entries)

    def summary(self, doc_id: str) -> JournalEntry | None:
        """Status and counts of a document's labels without reading them."""
        return self._entries.get(doc_id)

    def get(self, doc_id: str) -> DocumentAnnotation | None:
        entry = self._entries.get(doc_id)
        if entry is None:
            return None
        return self._read(entry)

    def get_or_new(self, doc_id: str) -> DocumentAnnotation:
        existing = self.get(doc_id)
        if existing is not None:
            return existing
        return DocumentAnnotation(doc_id=doc_id, text_hash=text_hash(self.project.get_text(doc_id)))

    def _read(self, entry: JournalEntry) -> DocumentAnnotation:
        record = self._load(entry)
        try:
            return annotation_from_record(record)
        except ValidationError as exc:
            raise InputError(self.path, short_validation_error(exc), entry.line) from None

    def _load(self, entry: JournalEntry) -> Any:
        return self._load_sealed(entry)[0]

    def _load_sealed(self, entry: JournalEntry) -> tuple[Any, bool]:
        """The line's record, and whether the line is intact as the store sealed it."""
        assert self._fd is not None
        raw = os.pread(self._fd, entry.length, entry.offset)
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InputError(self.path, f"not valid JSON: {exc}", entry.line) from None
        sealed = False
        if isinstance(record, dict):
            sealed = record.pop(CHECKSUM_KEY, None) is not None and intact(raw)
            counts = record.pop(COUNTS_KEY, None)
            spans, relations = record.get("spans"), record.get("relations")
            if isinstance(spans, list) and isinstance(relations, list):
                # The summary came from the counts a hand edit may have left stale.
                if counts != [len(spans), len(relations)]:
                    entry.spans, entry.relations = len(spans), len(relations)
        return record, sealed

    def get_record(
        self, doc_id: str, text: str | None = None, digest: str | None = None
    ) -> dict[str, Any] | None:
        """A document's labels as a checked JSON record (plain dicts and lists).

        As valid as :meth:`get`'s model, without building one object per span: for
        readers that only look (export, agreement). Raises InputError like :meth:`get`;
        given the document's text, spans that do not fit it raise AnnotationError.

        ``digest`` is the hash of ``text``, if the caller has it: a line the store sealed
        after checking it against that very text is returned without a second check.
        """
        entry = self._entries.get(doc_id)
        if entry is None:
            return None
        record, sealed = self._load_sealed(entry)
        if sealed and digest is not None and record["text_hash"] == digest:
            return record
        if record_ok(record, text):
            return record
        try:
            annotation = DocumentAnnotation.model_validate(record)
        except ValidationError as exc:
            raise InputError(self.path, short_validation_error(exc), entry.line) from None
        if text is not None:
            problems = [p for p in annotation.problems_with(text) if "different text" not in p]
            if problems:
                raise AnnotationError(problems[0])
        return annotation.model_dump(mode="json")

    def sealed_line(self, doc_id: str, digest: str) -> SealedLine | None:
        """The document's line, if the store sealed it after checking it against the text
        whose hash is ``digest`` and it is intact; otherwise None (use :meth:`get_record`)."""
        entry = self._entries.get(doc_id)
        if entry is None or self._fd is None:
            return None
        return sealed_line_of(os.pread(self._fd, entry.length, entry.offset), digest)

    def where(self, doc_id: str) -> str:
        """The journal and the line of the document's labels, for messages."""
        entry = self._entries.get(doc_id)
        return f"{self.path}:{entry.line}" if entry is not None else str(self.path)

    def iter_annotations(self) -> Iterator[DocumentAnnotation]:
        for entry in sorted(self._entries.values(), key=lambda e: e.offset):
            yield self._read(entry)
