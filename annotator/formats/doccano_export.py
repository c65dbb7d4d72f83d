"""doccano export (JSONL): the relation form, or the ``label`` form when the export holds
no relation; offsets in UTF-16 units, as doccano's editor counts them. See doccano.py.
"""

from __future__ import annotations

import contextlib
import os
from bisect import bisect_left
from itertools import count, repeat
from operator import add, itemgetter
from pathlib import Path
from typing import Any

import orjson

from annotator.formats.base import ExportRecord
from annotator.formats.cats import flat_names
from annotator.formats.compiled import compiled_offsets
from annotator.formats.offsets import Utf16Map
from annotator.formats.sinks import AtomicFileSink, export_temp_file

_SECOND = itemgetter(1)
_THIRD = itemgetter(2)


def doccano_record(record: ExportRecord) -> dict[str, Any]:
    """The relation form; :func:`to_label_form` turns it into the ``label`` form."""
    labels = record.labels
    spans: list[Any] = [(s["id"], s["start"], s["end"], s["label"]) for s in labels["spans"]]
    relations: list[Any] = [(r["head"], r["tail"], r["label"]) for r in labels["relations"]]
    units = Utf16Map(record.text)
    numbers = {span[0]: number for number, span in enumerate(spans)}
    starts = list(map(_SECOND, spans))
    ends = list(map(_THIRD, spans))
    if not units.identity:
        # UTF-16 units: each offset plus the astral characters before it.
        astral = repeat(units.astral)
        starts = list(map(add, starts, map(bisect_left, astral, starts)))
        ends = list(map(add, ends, map(bisect_left, astral, ends)))
    entities = [
        {"id": number, "start_offset": start, "end_offset": end, "label": span[3]}
        for number, start, end, span in zip(count(), starts, ends, spans)
    ]
    result = {
        "id": record.doc_id,
        "text": record.text,
        "entities": entities,
        "relations": [
            {"id": number, "from_id": numbers[head], "to_id": numbers[tail], "type": label}
            for number, (head, tail, label) in enumerate(relations)
        ],
        "meta": record.meta,
    }
    cats = record.cats()
    if cats:
        result["cats"] = flat_names(cats)
    return result


def doccano_line(record: ExportRecord) -> bytes:
    """:func:`doccano_record` as the line orjson writes of it (newline included): its
    entities and relations written by compiled code (_offsets.c) where it is built, from
    the store's sealed line without parsing its labels, or from its checked records."""
    compiled = compiled_offsets()
    parts = _compiled_parts(compiled, record) if compiled is not None else None
    if parts is None:
        return orjson.dumps(doccano_record(record), option=orjson.OPT_APPEND_NEWLINE)
    entities, relations = parts
    result = {
        "id": record.doc_id,
        "text": record.text,
        "entities": orjson.Fragment(entities),
        "relations": relations,
        "meta": record.meta,
    }
    cats = record.cats()
    if cats:
        result["cats"] = flat_names(cats)
    return orjson.dumps(result, option=orjson.OPT_APPEND_NEWLINE)


def _compiled_parts(compiled: Any, record: ExportRecord) -> tuple[bytes, Any] | None:
    """The entities (JSON) and the relations (JSON, or doccano's records) of the record,
    or None where the compiled code leaves them to :func:`doccano_record`."""
    line = record.line
    if line is not None:
        # Labels parsed or not, they are the line's: the counts in its head are theirs.
        span_count, relation_count = line.head["counts"]
        parts = compiled.doccano_sealed(
            record.text, line.raw, line.spans_at, span_count, relation_count
        )
        if parts is not None:
            entities, relations, details = parts
            record.details_counted(details)
            return entities, orjson.Fragment(relations)
    labels = record.labels
    spans = labels["spans"]
    entities = compiled.doccano_entities(record.text, spans)
    if entities is None:
        return None
    relations = labels["relations"]
    numbers = dict(zip(map(_SPAN_ID_OF, spans), count())) if relations else {}
    return entities, [
        {
            "id": number,
            "from_id": numbers[r["head"]],
            "to_id": numbers[r["tail"]],
            "type": r["label"],
        }
        for number, r in enumerate(relations)
    ]


_SPAN_ID_OF = itemgetter("id")


def to_label_form(item: dict[str, Any]) -> dict[str, Any]:
    result = {
        "id": item["id"],
        "text": item["text"],
        "label": [[e["start_offset"], e["end_offset"], e["label"]] for e in item["entities"]],
        "meta": item["meta"],
    }
    if "cats" in item:
        result["cats"] = item["cats"]
    return result


class DoccanoSink(AtomicFileSink):
    """Writes the relation form; rewrites to the ``label`` form at the end if no relation came."""

    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self.any_relation = False

    def write(self, record: ExportRecord) -> None:
        self.any_relation = self.any_relation or bool(record.relation_count)
        self.handle.write(doccano_line(record))

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
