"""The native format, and plain JSONL/JSON records with a ``text`` field.

Native export, one JSON object a line per document:

    {"id", "text", "meta", "annotator", "status", "note",
     "spans": [{"id", "start", "end", "label", "text", ...}],
     "relations": [{"id", "label", "head", "tail"}],
     "cats": {"topic": ["politics"]}}        (document categories; left out when none)

Offsets are code points into ``text``; ``head``/``tail`` are span ids. Import reads the
same records (labels optional), so plain ``{"text": ...}`` JSONL or a JSON list of such
objects imports documents; an ``id`` field is kept, other fields go to ``meta``.

Here: the reader and writer, the export's lines and the format's JSON Schema. Records
are read and checked one by one in :mod:`annotator.formats.native_records`, a JSONL
file's plain stretches column by column in :mod:`annotator.formats.native_batches`.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from annotator.core.models import LabelSchema, Status
from annotator.formats.base import ExportRecord, ImportChunk, ImportRecord, PathWriter
from annotator.formats.native_batches import checked_batch
from annotator.formats.native_records import (
    LineChunk,
    iter_json_records,
    json_chunks,
    record_to_import,
)
from annotator.formats.sinks import AtomicFileSink
from annotator.store.interface import SealedRecord


class NativeReader:
    name = "native"

    def sniff(self, path: Path) -> bool:
        return path.suffix.lower() in (".jsonl", ".json", ".ndjson")

    def read(self, path: Path) -> Iterator[ImportRecord]:
        for number, (item, where) in enumerate(iter_json_records(path), 1):
            yield record_to_import(item, where, fallback_id=f"{path.stem}-{number}")

    def read_chunks(self, path: Path) -> Iterator[ImportChunk]:
        """The records of :meth:`read`: a JSONL file's plain stretches as checked batches
        (see CheckedBatch), the rest one by one, in file order."""
        numbered = [0]  # records so far, for ids made up from the file's name
        for chunk in json_chunks(path):
            if isinstance(chunk, LineChunk):
                batch = checked_batch(chunk, numbered[0])
                if batch is not None:
                    numbered[0] += len(batch.ids)
                    yield batch
                    continue
                yield _numbered(chunk.objects(), path.stem, numbered)
            else:
                yield _numbered(chunk, path.stem, numbered)


def _numbered(
    objects: Iterator[tuple[dict[str, Any], str]], stem: str, numbered: list[int]
) -> Iterator[ImportRecord]:
    for item, where in objects:
        numbered[0] += 1
        yield record_to_import(item, where, fallback_id=f"{stem}-{numbered[0]}")


def native_record(record: ExportRecord) -> dict[str, Any]:
    """The native export record of one document, from the store's checked record."""
    return _native_from_labels(record)


_SPAN_CORE = ("id", "start", "end", "label", "text")
_span_core = itemgetter(*_SPAN_CORE)
_RELATION_CORE = ("id", "label", "head", "tail")
_relation_core = itemgetter(*_RELATION_CORE)


def _native_from_labels(record: ExportRecord) -> dict[str, Any]:
    labels = record.labels
    spans = _without_empty(labels["spans"], _SPAN_CORE, _span_core, ("attrs", "note"))
    relations = _without_empty(labels["relations"], _RELATION_CORE, _relation_core, ("note",))
    result: dict[str, Any] = {
        "id": record.doc_id,
        "text": record.text,
        "meta": record.meta,
        "annotator": record.annotator,
        "status": labels["status"],
        "note": labels["note"],
        "spans": spans,
        "relations": relations,
    }
    if labels["provenance"]:
        result["provenance"] = labels["provenance"]
    if labels.get("cats"):
        result["cats"] = labels["cats"]
    return result


def _without_empty(
    items: list[dict[str, Any]],
    core: tuple[str, ...],
    getter: itemgetter[Any],
    optional: tuple[str, ...],
) -> list[dict[str, Any]]:
    """Each item's core fields, and its optional ones only when set (as export writes them)."""
    result = list(map(dict, map(zip, repeat(core), map(getter, items))))
    for key in optional:
        values = list(map(itemgetter(key), items))
        if any(values):
            for item, value in zip(result, values, strict=True):
                if value:
                    item[key] = value
    return result


def native_line(record: ExportRecord) -> bytes:
    """``orjson.dumps(native_record(record))``, made from the store's record without
    rebuilding every span to leave out its empty ``attrs`` and ``note``.

    With no span carrying attrs, the only places ``,"attrs":{},"note":""}`` and the like
    can occur in the encoded spans are the ends of span objects: a quote inside a JSON
    string is always escaped. Relations hold strings only.
    """
    if record.line is not None:
        line = _native_from_sealed(record, record.line)
        if line is not None:
            return line
    labels = record.labels
    if any(map(_attrs_of, labels["spans"])):
        return orjson.dumps(native_record(record))
    return _native_join(
        record,
        labels["status"],
        labels["note"],
        orjson.dumps(labels["spans"]),
        orjson.dumps(labels["relations"]),
        labels["provenance"],
        labels.get("cats"),
    )


def _native_join(
    record: ExportRecord,
    status: str,
    note: str,
    spans: bytes,
    relations: bytes,
    provenance: dict[str, Any],
    cats: dict[str, list[str]] | None = None,
) -> bytes:
    """The native line from the journal's encoded spans and relations (see native_line)."""
    head = orjson.dumps(
        {
            "id": record.doc_id,
            "text": record.text,
            "meta": record.meta,
            "annotator": record.annotator,
            "status": status,
            "note": note,
        }
    )
    parts = [
        head[:-1],
        b',"spans":',
        spans.replace(b',"attrs":{},"note":""}', b"}").replace(b',"attrs":{},"note":', b',"note":'),
        b',"relations":',
        relations.replace(b',"note":""}', b"}"),
    ]
    if provenance:
        parts += [b',"provenance":', orjson.dumps(provenance)]
    if cats:
        parts += [b',"cats":', orjson.dumps(cats)]
    parts.append(b"}")
    return b"".join(parts)


def _native_from_sealed(record: ExportRecord, line: SealedRecord) -> bytes | None:
    """The native line with the sealed journal line's span and relation bytes copied as
    they are: they are orjson's encoding of the checked records (the store wrote them),
    so they are what encoding the parsed records again would give. None when a span
    has attrs (the caller parses the line)."""
    parts = line.parts()
    if parts is None:
        return None
    spans, relations, provenance = parts
    return _native_join(
        record,
        line.head["status"],
        line.head["note"],
        spans,
        relations,
        orjson.loads(provenance) if provenance != b"{}" else {},
        line.head.get("cats"),
    )


_attrs_of = itemgetter("attrs")


class NativeSink(AtomicFileSink):
    def write(self, record: ExportRecord) -> None:
        self.handle.write(native_line(record) + b"\n")


class NativeSpan(BaseModel):
    """A span as exported: offsets are code points into the document text, end exclusive."""

    # These models only describe the format (json_schema): built when first asked, not
    # when an import loads this module (60 ms).
    model_config = ConfigDict(defer_build=True)

    id: str
    start: int = Field(ge=0, description="first character, a code-point index into text")
    end: int = Field(description="one past the last character (exclusive)")
    label: str
    text: str = Field(description="always equal to text[start:end]")
    attrs: dict[str, Any] = Field(default_factory=dict)
    note: str = ""


class NativeRelation(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    label: str = Field(description="relation type, e.g. ATTRIBUTED_TO")
    head: str = Field(description="id of the span the relation starts from (a quote or claim)")
    tail: str = Field(description="id of the span it points to (its source)")
    note: str = ""


class NativeRecord(BaseModel):
    """One line of a native export: a document with one annotator's labels."""

    model_config = ConfigDict(title="annotator native export record", defer_build=True)

    id: str
    text: str
    meta: dict[str, Any] = Field(default_factory=dict)
    annotator: str = Field(description="whose labels these are; 'gold' for the settled version")
    status: Status = "todo"
    note: str = ""
    spans: list[NativeSpan] = Field(default_factory=list)
    relations: list[NativeRelation] = Field(default_factory=list)
    provenance: dict[str, Any] = Field(
        default_factory=dict, description="gold only: who settled it, from whose labels"
    )
    cats: dict[str, list[str]] = Field(
        default_factory=dict,
        description="document categories: category name -> the choices made (left out if none)",
    )


def json_schema(what: str = "native") -> dict[str, Any]:
    """The JSON Schema of a native export record, a label schema, or annotator.json."""
    from annotator.store.config import ProjectConfig

    models: dict[str, type[BaseModel]] = {
        "native": NativeRecord,
        "labels": LabelSchema,
        "project": ProjectConfig,
    }
    return models[what].model_json_schema(by_alias=True)


reader = NativeReader()
writer = PathWriter("native", ".jsonl", NativeSink)
