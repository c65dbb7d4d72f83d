"""doccano sequence labelling (JSONL), in both of its shapes.

    {"text": "...", "label": [[0, 2, "ORG"], [11, 17, "MISC"]]}
    {"text": "...", "entities": [{"id": 0, "start_offset": 0, "end_offset": 6, "label": "ORG"}],
     "relations": [{"id": 0, "from_id": 0, "to_id": 1, "type": "foundedAt"}]}

doccano counts offsets in UTF-16 code units (JavaScript string indices), so they are
converted both ways. Import also reads doccano's configurable column names (any field
holding the text beside one holding ``[start, end, label]`` triples) and objects
pretty-printed over several lines, as doccano's own examples are. Export writes the
relation form when the export holds any relation, the ``label`` form otherwise.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from annotator.core.models import Document, Relation
from annotator.formats.base import (
    AtomicFileSink,
    ExportRecord,
    ImportedLabels,
    ImportRecord,
    PathWriter,
    export_temp_file,
)
from annotator.formats.common import Tally, document_id, document_meta, with_tally
from annotator.formats.jsonio import Location, iter_json_objects, json_suffix, peek_first_object
from annotator.formats.offsets import (
    RawSpan,
    SourceText,
    Utf16Map,
    drop_duplicate_spans,
    place_spans,
)

_LABEL_KEYS = ("label", "labels")


def _is_triples(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, list) and len(item) == 3 and isinstance(item[2], str) for item in value
    )


def _columns(item: dict[str, Any]) -> tuple[str, str | None] | None:
    """(text column, label column) of a doccano record, or None when it is not one."""
    if isinstance(item.get("text"), str):
        if isinstance(item.get("entities"), list):
            return "text", "entities"
        for key in _LABEL_KEYS:
            if key in item and _is_triples(item[key]):
                return "text", key
        return "text", None
    texts = [k for k, v in item.items() if isinstance(v, str) and k not in ("id", "meta")]
    triples = [k for k, v in item.items() if _is_triples(v) and v]
    if "text" not in item and len(texts) == 1 and len(triples) == 1:
        return texts[0], triples[0]
    return None


class DoccanoReader:
    name = "doccano"

    def sniff(self, path: Path) -> bool:
        if not json_suffix(path):
            return False
        first = peek_first_object(path)
        if first is None:
            return False
        columns = _columns(first)
        if columns is None:
            return False
        # {"text", "label": [[s, e, l]]} is doccano; {"text"} alone is plain text.
        return columns[1] is not None and "_input_hash" not in first and "spans" not in first

    def read(self, path: Path) -> Iterator[ImportRecord]:
        tally = Tally(path)
        return with_tally(self._records(path, tally), tally)

    def _records(self, path: Path, tally: Tally) -> Iterator[ImportRecord]:
        remembered: tuple[str, str | None] | None = None
        for number, (item, loc) in enumerate(iter_json_objects(path), 1):
            columns = _columns(item) or remembered
            remembered = remembered or columns
            if columns is None or not isinstance(item.get(columns[0]), str):
                raise loc.error(
                    'has no text: expected "text" (or one text column beside a '
                    "[start, end, label] list)"
                )
            yield _record(item, loc, columns, f"{path.stem}-{loc.line or number}", tally)


def _record(
    item: dict[str, Any],
    loc: Location,
    columns: tuple[str, str | None],
    fallback: str,
    tally: Tally,
) -> ImportRecord:
    text_key, label_key = columns
    source = SourceText(item[text_key])
    skip = {text_key, "id", "meta", "entities", "relations", *_LABEL_KEYS}
    if label_key:
        skip.add(label_key)
    own_meta = item.get("meta")
    meta = {k: v for k, v in item.items() if k not in skip}
    if isinstance(own_meta, dict):
        meta.update(own_meta)
    document = Document(
        id=document_id(item.get("id"), fallback),
        text=source.text,
        meta=document_meta(meta, source.text, source.meta()),
    )
    record = ImportRecord(document=document, where=str(loc))
    if isinstance(item.get("entities"), list):
        raws = _entity_spans(item["entities"], loc)
    else:
        triples = item.get(label_key) if label_key else None
        raws = _triple_spans(triples or [], label_key or "label", loc)
    if not raws and not item.get("relations"):
        return record
    spans, _ = place_spans(source, raws, ("utf16",), loc.error)
    spans, alias, dropped = drop_duplicate_spans(spans)
    tally.add("span listed twice (same start, end and label): kept once", str(loc), dropped)
    relations = _relations(item.get("relations") or [], loc, alias)
    record.labels[None] = ImportedLabels(spans=spans, relations=relations)
    return record


def _entity_spans(entities: list[Any], loc: Location) -> list[RawSpan]:
    raws = []
    for index, entity in enumerate(entities):
        if not isinstance(entity, dict):
            raise loc.error(f"entities[{index}] is not an object")
        raws.append(
            RawSpan(
                start=entity.get("start_offset"),
                end=entity.get("end_offset"),
                label=entity.get("label"),
                pointer=f"entities[{index}]",
                id=f"T{entity.get('id', index)}",
            )
        )
    return raws


def _triple_spans(triples: Any, key: str, loc: Location) -> list[RawSpan]:
    if not isinstance(triples, list):
        raise loc.error(f'"{key}" must be a list of [start, end, label]')
    raws = []
    for index, triple in enumerate(triples):
        if not isinstance(triple, list) or len(triple) != 3:
            raise loc.error(f"{key}[{index}] is not [start, end, label]: {triple!r}")
        start, end, label = triple
        raws.append(RawSpan(start, end, label, pointer=f"{key}[{index}]", id=f"T{index + 1}"))
    return raws


def _relations(relations: Any, loc: Location, alias: dict[str, str]) -> list[Relation]:
    if not isinstance(relations, list):
        raise loc.error('"relations" must be a list')
    result = []
    for index, raw in enumerate(relations):
        if not isinstance(raw, dict):
            raise loc.error(f"relations[{index}] is not an object")
        ends = []
        for key in ("from_id", "to_id"):
            span_id = alias.get(f"T{raw.get(key)}")
            if span_id is None:
                raise loc.error(f"relations[{index}].{key} {raw.get(key)!r} names no entity")
            ends.append(span_id)
        label = raw.get("type") or raw.get("label")
        if not isinstance(label, str) or not label.strip():
            raise loc.error(f"relations[{index}] has no type")
        result.append(
            Relation(id=f"R{raw.get('id', index)}", label=label, head=ends[0], tail=ends[1])
        )
    return result


# --- export ------------------------------------------------------------------------------


def doccano_record(record: ExportRecord) -> dict[str, Any]:
    """The relation form; :func:`to_label_form` turns it into the ``label`` form."""
    document, annotation = record.document, record.annotation
    units = Utf16Map(document.text)
    numbers = {span.id: number for number, span in enumerate(annotation.spans)}
    return {
        "id": document.id,
        "text": document.text,
        "entities": [
            {
                "id": numbers[span.id],
                "start_offset": units.to_utf16(span.start),
                "end_offset": units.to_utf16(span.end),
                "label": span.label,
            }
            for span in annotation.spans
        ],
        "relations": [
            {
                "id": number,
                "from_id": numbers[rel.head],
                "to_id": numbers[rel.tail],
                "type": rel.label,
            }
            for number, rel in enumerate(annotation.relations)
        ],
        "meta": document.meta,
    }


def to_label_form(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"],
        "text": item["text"],
        "label": [[e["start_offset"], e["end_offset"], e["label"]] for e in item["entities"]],
        "meta": item["meta"],
    }


class DoccanoSink(AtomicFileSink):
    """Writes the relation form; rewrites to the ``label`` form at the end if no relation came."""

    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self.any_relation = False

    def write(self, record: ExportRecord) -> None:
        self.any_relation = self.any_relation or bool(record.annotation.relations)
        self.handle.write(orjson.dumps(doccano_record(record)) + b"\n")

    def finish(self) -> None:
        if self.any_relation:
            return
        self.handle.flush()
        fd, tmp = export_temp_file(self.out)
        try:
            with open(self._tmp, "rb") as source, os.fdopen(fd, "wb") as target:
                for line in source:
                    target.write(orjson.dumps(to_label_form(orjson.loads(line))) + b"\n")
            os.replace(tmp, self._tmp)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        self.handle.close()
        self.handle = open(self._tmp, "ab")


reader = DoccanoReader()
writer = PathWriter("doccano", ".jsonl", DoccanoSink)
