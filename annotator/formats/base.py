"""What every interchange format module provides, and the registry that finds them by name.

A format module defines ``reader`` (a :class:`Reader`) and/or ``writer`` (a :class:`Writer`).
Readers turn files into :class:`ImportRecord` streams whose spans are already in code points
of the newline-normalised text; writers receive :class:`ExportRecord` streams through a
:class:`Sink` that commits atomically (temp file, then rename) or not at all (the file
and folder sinks are in :mod:`annotator.formats.sinks`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any, Protocol

from annotator.core.errors import AnnotatorError
from annotator.core.models import Document, LabelSchema, Relation, Span, Status
from annotator.core.records import build_all, relations_ok, spans_ok
from annotator.store.interface import SealedRecord

# Format name -> module. Modules are imported on first use, so a missing optional
# dependency (spaCy) only matters to the format that needs it.
FORMAT_MODULES: dict[str, str] = {
    "text": "annotator.formats.text",
    "jsonl": "annotator.formats.native",
    "native": "annotator.formats.native",
    "prodigy": "annotator.formats.prodigy",
    "doccano": "annotator.formats.doccano",
    "label-studio": "annotator.formats.label_studio",
    "brat": "annotator.formats.brat",
    "spacy": "annotator.formats.spacy_docbin",
    "bio": "annotator.formats.bio",
    "citron": "annotator.formats.citron",
}

# What each export format cannot carry of a document's labels; the export counts these
# over the documents it writes and says so ("relations", "status", notes, attributes).
_NOTES_AND_ATTRIBUTES = ("document notes", "span notes", "span attributes", "relation notes")
NOT_CARRIED: dict[str, tuple[str, ...]] = {
    "native": (),
    "prodigy": ("status", *_NOTES_AND_ATTRIBUTES),
    "doccano": ("status", *_NOTES_AND_ATTRIBUTES),
    "label-studio": ("status", "document notes", "span attributes", "relation notes"),
    "brat": ("status", "document notes", "document categories"),
    "spacy": ("status", *_NOTES_AND_ATTRIBUTES),
    "bio": ("relations", "status", *_NOTES_AND_ATTRIBUTES, "document categories"),
    # Spans outside quotes are counted by the writer itself; attrs carry the quote's id.
    "citron": (
        "status",
        "document notes",
        "span notes",
        "relation notes",
        "document categories",
    ),
}


class CheckedLabels:
    """One annotator's labels on one imported document, the one form every reader gives.

    ``records`` holds the spans and the relations as records of exactly the models'
    fields, in field order, each keeping its model's field rules (core/rules.py). When
    ``fits_text`` is true the reader has also checked what ties them to the document
    (unique ids, relation ends among the spans, each span's text at its place in the
    stored text): the import then writes a new document's journal line straight from
    them. When it is false (a reader that read them as models, or found two under one
    id), the import checks them against the text as it checks an edit, and the models'
    messages say what is wrong. The models are built only if something asks for them.
    """

    __slots__ = ("_models", "cats", "fits_text", "note", "records", "status")

    def __init__(
        self,
        spans: list[dict[str, Any]],
        relations: list[dict[str, Any]],
        status: Status | None = None,
        note: str = "",
        cats: dict[str, list[str]] | None = None,
        *,
        fits_text: bool = True,
    ) -> None:
        self.records = (spans, relations)
        self.status = status
        self.note = note
        # Document categories: category -> choices (formats/common.py reads them).
        self.cats = cats if cats is not None else {}
        self.fits_text = fits_text
        self._models: tuple[list[Span], list[Relation]] | None = None

    @classmethod
    def of_models(
        cls,
        spans: list[Span],
        relations: list[Relation],
        status: Status | None = None,
        note: str = "",
        cats: dict[str, list[str]] | None = None,
        *,
        text: str | None = None,
    ) -> CheckedLabels:
        """Labels a reader built as models (pydantic checked each field), as their
        records. Given the document's stored ``text``, they are checked against it here,
        by the models' rules (core/records.py); labels that do not fit it, or given no
        text, are checked by the import, whose messages say what is wrong."""
        span_records = list(map(_fields_of, spans))
        relation_records = list(map(_fields_of, relations))
        fits_text = (
            text is not None
            and spans_ok(span_records, text)
            and relations_ok(relation_records, set(map(_ID, span_records)))
        )
        labels = cls(span_records, relation_records, status, note, cats, fits_text=fits_text)
        labels._models = (spans, relations)
        return labels

    def models(self) -> tuple[list[Span], list[Relation]]:
        """The spans and relations as models (built without a second validation)."""
        if self._models is None:
            spans, relations = self.records
            self._models = (build_all(Span, spans), build_all(Relation, relations))
        return self._models


def _fields_of(model: Span | Relation) -> dict[str, Any]:
    """A model's record: its fields in field order (a model keeps them so)."""
    return dict(model.__dict__)


@dataclass
class ImportRecord:
    document: Document
    # Annotator name -> labels; the key None means "whoever --annotator names".
    labels: dict[str | None, CheckedLabels] = field(default_factory=dict)
    # "file:line" (or "file: JSON path"), for messages about this record.
    where: str = ""
    # What the reader left out or changed on the way in (told to the user, never silent).
    notices: list[str] = field(default_factory=list)
    # Prodigy's key of the example when the task names no id: its ``_input_hash`` (records
    # with the same one, in this import or stored in ``meta["_input_hash"]``, are one
    # document), or "text" for a task without one, which Prodigy would hash by its text.
    example_key: int | str | None = None


@dataclass
class CheckedBatch:
    """Consecutive records of one source, read and checked all at once (column by column).

    A reader hands these over instead of ImportRecords when every record of a stretch
    is plain: documents whose stored text is the source's own (no BOM, no carriage
    return, so no offset to convert), and labels as records the reader has checked
    against those texts (CheckedLabels fitting the text). The import writes such a batch with
    a few whole-list operations; whenever it cannot (an id or text already there, a
    label name to change), it imports ``records()`` one by one instead, which are the
    same records as the reader would have given. ``encode()`` gives each document's JSON
    arrays of span and relation records, every field in field order.
    """

    ids: list[str]
    texts: list[str]
    metas: list[dict[str, Any]]
    records: Callable[[], Iterator[ImportRecord]]
    # Whether the documents carry labels; when they do, all of them, by ``who`` (the
    # annotator every record names, None when none does).
    labelled: bool = False
    who: str | None = None
    statuses: list[Status | None] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    span_counts: list[int] = field(default_factory=list)
    relation_counts: list[int] = field(default_factory=list)
    # The labels of its spans and of its relations, each name once, in order of appearance.
    span_labels: list[str] = field(default_factory=list)
    relation_labels: list[str] = field(default_factory=list)
    encode: Callable[[], tuple[list[bytes], list[bytes]]] = lambda: ([], [])


# What a reader with ``read_chunks`` yields: checked batches, or records to take one by one.
ImportChunk = CheckedBatch | Iterator[ImportRecord]


_EDGE = itemgetter("start", "end", "label")
_ID = itemgetter("id")


class ExportRecord:
    """A document with one annotator's labels, on its way to a writer.

    The labels are the store's checked record of them (``labels``: plain dicts, the
    DocumentAnnotation's fields, checked against this very text), or the journal line
    the store sealed for this text (``line``): the same record encoded, parsed into
    ``labels`` only when a writer asks (the native writer copies the line's span bytes
    as they are, BIO reads only the spans' edges). The document comes as its fields
    (``doc_id``, ``text``, ``meta``). Writers read nothing else: no model is built on
    the way out.
    """

    __slots__ = ("_details", "_labels", "annotator", "doc_id", "line", "meta", "text")

    def __init__(
        self,
        fields: tuple[str, str, dict[str, Any]],
        annotator: str = "",
        labels: dict[str, Any] | None = None,
        line: SealedRecord | None = None,
    ) -> None:
        if labels is None and line is None:
            raise ValueError("an ExportRecord needs a labels record or a line")
        self.doc_id, self.text, self.meta = fields
        self.annotator = annotator
        self._labels = labels
        self.line = line
        self._details: tuple[int, int, int] | None = None

    @property
    def labels(self) -> dict[str, Any]:
        if self._labels is None:
            assert self.line is not None
            self._labels = self.line.record()
        return self._labels

    def span_edges(self) -> list[Any] | None:
        """``start, end, label`` of every span, one after the other in one flat list. Of
        a sealed line only those fields are parsed (None when they cannot be told apart:
        then read ``labels``)."""
        if self._labels is None and self.line is not None:
            edges = self.line.span_edges()
            if edges is not None:
                return edges
        return list(chain.from_iterable(map(_EDGE, self.labels["spans"])))

    @property
    def span_count(self) -> int:
        if self._labels is None and self.line is not None:
            return int(self.line.head["counts"][0])
        return len(self.labels["spans"])

    @property
    def relation_count(self) -> int:
        if self._labels is None and self.line is not None:
            return int(self.line.head["counts"][1])
        return len(self.labels["relations"])

    def status_and_note(self) -> tuple[str, str]:
        """The document's status and note, without parsing a sealed line's labels."""
        if self._labels is None and self.line is not None:
            return self.line.head["status"], self.line.head["note"]
        return self.labels["status"], self.labels["note"]

    def cats(self) -> dict[str, list[str]]:
        """The document's categories (category -> choices), without parsing a sealed
        line's labels (they are in its head)."""
        if self._labels is None and self.line is not None:
            return self.line.head.get("cats") or {}
        return self.labels.get("cats") or {}

    def detail_counts(self) -> tuple[int, int, int]:
        """Spans with a note, spans with attributes, relations with a note."""
        if self._details is not None:
            return self._details
        if self._labels is None and self.line is not None:
            raw, start = self.line.raw, self.line.spans_at
            # orjson writes these keys exactly so, and a quote inside a string is escaped:
            # a line where every one is empty has nothing to count, and is not parsed.
            if not (
                _any_filled(raw, b'"note":"', b'"', start)
                or _any_filled(raw, b'"attrs":{', b"}", start)
            ):
                return 0, 0, 0
        spans, relations = self.labels["spans"], self.labels["relations"]
        return (
            sum(1 for span in spans if span.get("note")),
            sum(1 for span in spans if span.get("attrs")),
            sum(1 for rel in relations if rel.get("note")),
        )

    def details_counted(self, counts: tuple[int, int, int]) -> None:
        """What a writer reading the sealed line's bytes counted as it went (doccano's
        compiled reader): :meth:`detail_counts` gives it instead of scanning them again."""
        self._details = counts


def _any_filled(raw: bytes, key: bytes, empty: bytes, start: int) -> bool:
    """Whether some ``key`` from ``start`` on is followed by anything but ``empty``: two
    counts, each one pass in C (no two places of a key overlap in JSON as orjson writes
    it: a quote inside a string is escaped)."""
    return raw.count(key, start) != raw.count(key + empty, start)


class Reader(Protocol):
    name: str

    def sniff(self, path: Path) -> bool:
        """True when ``path`` looks like this format (used by --format auto)."""
        ...

    def read(self, path: Path) -> Iterator[ImportRecord]: ...


def read_chunks(reader: Reader, path: Path) -> Iterator[ImportChunk]:
    """A reader's records in chunks: batches where the reader checks them column by
    column (``read_chunks`` of its own), else all of them one by one."""
    chunks = getattr(reader, "read_chunks", None)
    if chunks is not None:
        return chunks(path)
    return iter([reader.read(path)])


class Sink(Protocol):
    warnings: list[str]

    def write(self, record: ExportRecord) -> None: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...


class Writer(Protocol):
    name: str
    # The file suffix written (".jsonl"), or "" when the output is a folder.
    suffix: str

    def open(self, out: Path, schema: LabelSchema, options: dict[str, Any]) -> Sink: ...


def _module(name: str) -> Any:
    module_name = FORMAT_MODULES.get(name)
    if module_name is None:
        known = ", ".join(sorted(FORMAT_MODULES))
        raise AnnotatorError(f"unknown format {name!r}; known formats: {known}")
    return importlib.import_module(module_name)


def get_reader(name: str) -> Reader:
    reader = getattr(_module(name), "reader", None)
    if reader is None:
        raise AnnotatorError(f"format {name!r} can be exported but not imported")
    return reader


def get_writer(name: str) -> Writer:
    if name in ("text", "jsonl"):
        raise AnnotatorError(f"format {name!r} is for import only; export with --format native")
    writer = getattr(_module(name), "writer", None)
    if writer is None:
        raise AnnotatorError(f"format {name!r} can be imported but not exported")
    return writer


def reader_names() -> list[str]:
    return [name for name in FORMAT_MODULES if getattr(_module(name), "reader", None) is not None]


def writer_names() -> list[str]:
    return [
        name
        for name in FORMAT_MODULES
        if name not in ("text", "jsonl") and getattr(_module(name), "writer", None) is not None
    ]


@dataclass(frozen=True)
class PathWriter:
    """A writer whose sink needs nothing but the output path."""

    name: str
    suffix: str
    sink: Callable[[Path], Sink]

    def open(self, out: Path, schema: LabelSchema, options: dict[str, Any]) -> Sink:
        return self.sink(out)
