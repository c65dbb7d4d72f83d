"""doccano sequence labelling (JSONL), in both of its shapes.

    {"text": "...", "label": [[0, 2, "ORG"], [11, 17, "MISC"]]}
    {"text": "...", "entities": [{"id": 0, "start_offset": 0, "end_offset": 6, "label": "ORG"}],
     "relations": [{"id": 0, "from_id": 0, "to_id": 1, "type": "foundedAt"}]}

doccano's web editor counts offsets in UTF-16 code units (JavaScript string indices), but
scripts writing this format count code points, and neither states the text a span covers:
where the two differ (a character beyond U+FFFF before a span), each document is read in
the unit its spans tell (:func:`decide_unit`), or refused until ``--offset-unit`` names it.
Export writes UTF-16 units, as doccano reads them. ``entities`` may also be doccano's list
form (``[[start, end, label]]``, beside ``"cats"``). Document categories (``cats``, or a
``label`` listing names, as text-classification projects write them) are read and
written as flat names (formats/cats.py). Import also reads doccano's configurable column names (any field
holding the text beside one holding ``[start, end, label]`` triples) and objects
pretty-printed over several lines, as doccano's own examples are. Export writes the
relation form when the export holds any relation, the ``label`` form otherwise.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from operator import attrgetter, itemgetter, methodcaller
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from annotator.core.models import Document
from annotator.formats.base import (
    CheckedBatch,
    CheckedLabels,
    ImportChunk,
    ImportRecord,
    PathWriter,
)
from annotator.formats.cats import cats_of
from annotator.formats.common import Tally, document_id, document_meta, with_tally
from annotator.formats.doccano_batches import (
    CHUNK_BYTES,
    LABEL_KEYS,
    EncodedLabels,
    Row,
    checked_rows,
    is_triples,
    record_meta,
    triples_key,
)
from annotator.formats.doccano_export import DoccanoSink
from annotator.formats.jsonio import (
    Location,
    iter_json_objects,
    json_line_chunks,
    json_line_objects,
    json_suffix,
    peek_first_object,
    reads_json_lines,
)
from annotator.formats.offsets import (
    UNIT_NAMES,
    RawSpan,
    SourceText,
    SpanColumns,
    Unit,
    UnitUnknown,
    drop_duplicate_records,
    place_unstated_spans,
)


def _columns(item: dict[str, Any]) -> tuple[str, str | None] | None:
    """(text column, label column) of a doccano record, or None when it is not one."""
    if isinstance(item.get("text"), str):
        if isinstance(item.get("entities"), list):
            return "text", "entities"
        return "text", triples_key(item)
    texts = [k for k, v in item.items() if isinstance(v, str) and k not in ("id", "meta")]
    triples = [k for k, v in item.items() if is_triples(v) and v]
    if "text" not in item and len(texts) == 1 and len(triples) == 1:
        return texts[0], triples[0]
    return None


class DoccanoReader:
    name = "doccano"

    def __init__(self, offset_unit: Unit | None = None) -> None:
        # The unit the user named (--offset-unit); None: decided per document.
        self.offset_unit = offset_unit

    def with_offset_unit(self, unit: Unit) -> DoccanoReader:
        return DoccanoReader(unit)

    def sniff(self, path: Path) -> bool:
        if not json_suffix(path):
            return False
        first = peek_first_object(path)
        if first is None:
            return False
        columns = _columns(first)
        if columns is None:
            return False
        # {"text", "label": [[s, e, l]]} is doccano, and so is a text-classification
        # record ({"text", "cats" or "label": ["A", "B"]}); {"text"} alone is plain text.
        names = [first.get(key) for key in ("cats", *LABEL_KEYS)]
        classified = any(
            isinstance(value, list) and value and all(isinstance(v, str) for v in value)
            for value in names
        )
        return (
            (columns[1] is not None or classified)
            and "_input_hash" not in first
            and "spans" not in first
        )

    def read(self, path: Path) -> Iterator[ImportRecord]:
        tally = Tally(path)
        return with_tally(self._records(path, tally), tally)

    def _records(self, path: Path, tally: Tally) -> Iterator[ImportRecord]:
        return (_Parts(*parts).record() for parts in self._parts(path, tally))

    def _parts(self, path: Path, tally: Tally) -> Iterator[Row]:
        if reads_json_lines(path):
            yield from self._line_parts(path, tally)
            return
        remembered: tuple[str, str | None] | None = None
        for number, (item, loc) in enumerate(iter_json_objects(path), 1):
            columns = _columns(item) or remembered
            remembered = remembered or columns
            if columns is None or not isinstance(item.get(columns[0]), str):
                raise loc.error(
                    'has no text: expected "text" (or one text column beside a '
                    "[start, end, label] list)"
                )
            fallback = f"{path.stem}-{loc.line or number}"
            yield _parts(item, loc, columns, fallback, tally, self.offset_unit)

    def _line_parts(self, path: Path, tally: Tally) -> Iterator[Row]:
        """:meth:`_parts` of a JSON Lines file: a chunk of lines at a time, column by
        column (doccano_batches) where it can be, else one record at a time."""
        remembered: tuple[str, str | None] | None = None
        for lines, first_line in json_line_chunks(path, CHUNK_BYTES):
            checked = checked_rows(path, lines, first_line, tally, self.offset_unit)
            if checked is not None:
                rows, first_label_key = checked
                if rows and remembered is None:
                    remembered = ("text", first_label_key)
                yield from rows
                continue
            for item, loc in json_line_objects(path, lines, first_line):
                columns = _columns(item) or remembered
                remembered = remembered or columns
                if columns is None or not isinstance(item.get(columns[0]), str):
                    raise loc.error(
                        'has no text: expected "text" (or one text column beside a '
                        "[start, end, label] list)"
                    )
                fallback = f"{path.stem}-{loc.line}"
                yield _parts(item, loc, columns, fallback, tally, self.offset_unit)

    def read_chunks(self, path: Path) -> Iterator[ImportChunk]:
        """The records of :meth:`read`, checked one by one as ever, handed over in
        batches (CheckedBatch) where a stretch of them is alike: all with checked labels,
        or all without. The import then writes documents and labels column by column
        instead of a model and a journal line at a time. The file's last record always
        comes alone, carrying the notices of the whole file, as :meth:`read` gives it."""
        tally = Tally(path)
        pending: list[_Parts] = []
        parts = self._parts(path, tally)
        while True:
            try:
                row = next(parts, None)
            except Exception:
                # What came before the refused record goes first, as read() gives it.
                yield (part.record() for part in pending)
                raise
            if row is None:
                break
            pending.append(_Parts(*row))
            if len(pending) > _BATCH:
                yield from _chunks(pending[:-1])
                del pending[:-1]
        if pending:
            yield from _chunks(pending[:-1])
            last = pending[-1].record()
            last.notices.extend(tally.notices())
            yield iter([last])


def _record(
    item: dict[str, Any],
    loc: Location,
    columns: tuple[str, str | None],
    fallback: str,
    tally: Tally,
    offset_unit: Unit | None = None,
) -> ImportRecord:
    return _Parts(*_parts(item, loc, columns, fallback, tally, offset_unit)).record()


class _Parts(NamedTuple):
    """One record as read and checked: its document's fields and its labels (None when
    it has none), which make the ImportRecord, or a row of a CheckedBatch."""

    doc_id: str
    text: str
    meta: dict[str, Any]
    where: str
    labels: CheckedLabels | EncodedLabels | None

    def record(self) -> ImportRecord:
        document = Document(id=self.doc_id, text=self.text, meta=self.meta)
        record = ImportRecord(document=document, where=self.where)
        labels = self.labels
        if labels is not None:
            record.labels[None] = labels.checked() if isinstance(labels, EncodedLabels) else labels
        return record


def _parts(
    item: dict[str, Any],
    loc: Location,
    columns: tuple[str, str | None],
    fallback: str,
    tally: Tally,
    offset_unit: Unit | None = None,
) -> tuple[str, str, dict[str, Any], str, CheckedLabels | None]:
    text_key, label_key = columns
    source = SourceText(item[text_key])
    meta = record_meta(item, text_key, label_key)
    cats = _document_cats(item, loc)
    doc_id = document_id(item.get("id"), fallback)
    doc_meta = document_meta(meta, source.text, source.meta())
    where = str(loc)
    entities = item.get("entities")
    if isinstance(entities, list):
        spans_in = _entity_columns(entities, loc) or SpanColumns.of(_entity_spans(entities, loc))
    else:
        triples = item.get(label_key) if label_key else None
        spans_in = _triple_columns(triples, loc, label_key or "label") or SpanColumns.of(
            _triple_spans(triples or [], label_key or "label", loc)
        )
    if not spans_in.ids and not item.get("relations"):
        return (
            doc_id,
            source.text,
            doc_meta,
            where,
            CheckedLabels([], [], cats=cats) if cats else None,
        )
    try:
        spans, decided = place_unstated_spans(source, spans_in, offset_unit, loc.error)
    except UnitUnknown as exc:
        raise loc.error(
            f"{exc}: name the unit with --offset-unit codepoint|utf16 "
            "(Offsets in the import dialog)"
        ) from None
    if decided is not None:
        tally.add(
            f"document whose offsets count {UNIT_NAMES[decided]} (told by its spans)", str(loc)
        )
    spans, alias, dropped = drop_duplicate_records(spans)
    tally.add("span listed twice (same start, end and label): kept once", str(loc), dropped)
    relations = _relations(item.get("relations") or [], loc, alias)
    # Two entities under one id: the import refuses them, with the models' message.
    fits_text = len({span["id"] for span in spans}) == len(spans)
    labels = CheckedLabels(spans, relations, cats=cats, fits_text=fits_text)
    return doc_id, source.text, doc_meta, where, labels


def _document_cats(item: dict[str, Any], loc: Location) -> dict[str, list[str]]:
    """A text-classification project's labels (``cats``, or ``label`` listing names):
    document categories (formats/cats.py), not spans."""
    raw = item.get("cats")
    if raw is None:
        for key in LABEL_KEYS:
            value = item.get(key)
            if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                raw = value
                break
    if raw is None or raw == []:
        return {}
    cats = cats_of(raw)
    if isinstance(cats, str):
        raise loc.error(cats)
    return cats


# Records a batch holds: enough that the import's per-batch work is small beside them,
# few enough that the rows waiting stay a few megabytes (512 took the import to 3.7x its file).
_BATCH = 64


def _chunks(rows: list[_Parts]) -> Iterator[ImportChunk]:
    """``rows`` as CheckedBatches, one for each stretch of rows alike (see read_chunks),
    and the rest as records."""
    for kind, alike in itertools.groupby(rows, _kind):
        stretch = list(alike)
        if kind is type(None):
            yield _batch(stretch, labelled=False)
        elif kind is CheckedLabels or kind is EncodedLabels:
            yield _batch(stretch, labelled=True)
        else:
            yield (row.record() for row in stretch)


def _kind(row: _Parts) -> type:
    # A record with document categories goes one by one (batches carry no categories),
    # and so do labels the import must check against the text itself.
    labels = row.labels
    if isinstance(labels, CheckedLabels) and (labels.cats or not labels.fits_text):
        return ImportRecord
    return type(row.labels)


def _batch(rows: list[_Parts], labelled: bool) -> CheckedBatch:
    ids = [row.doc_id for row in rows]
    texts = [row.text for row in rows]
    metas = [row.meta for row in rows]

    def records() -> Iterator[ImportRecord]:
        return (row.record() for row in rows)

    if not labelled:
        return CheckedBatch(ids, texts, metas, records)
    span_counts, span_labels, relation_lists, encode_spans = _columns_of(rows)
    return CheckedBatch(
        ids,
        texts,
        metas,
        records,
        labelled=True,
        who=None,
        statuses=[None] * len(rows),
        notes=[""] * len(rows),
        span_counts=span_counts,
        relation_counts=list(map(len, relation_lists)),
        span_labels=list(dict.fromkeys(span_labels)),
        relation_labels=list(
            dict.fromkeys(map(_LABEL_OF, itertools.chain.from_iterable(relation_lists)))
        ),
        encode=lambda: (encode_spans(), list(map(orjson.dumps, relation_lists))),
    )


def _columns_of(
    rows: list[_Parts],
) -> tuple[list[int], Iterator[str], list[list[dict[str, Any]]], Callable[[], list[bytes]]]:
    """A stretch of labelled rows (all EncodedLabels, or all CheckedLabels): each one's
    span count, all span labels, each one's relation records, and what encodes the
    spans."""
    labels: list[Any] = [row.labels for row in rows]
    if type(labels[0]) is EncodedLabels:
        encoded: list[EncodedLabels] = labels
        span_labels = list(map(_SPAN_LABELS, encoded))
        return (
            list(map(len, span_labels)),
            itertools.chain.from_iterable(span_labels),
            list(map(_RELATIONS, encoded)),
            lambda: list(map(_SPANS_JSON, encoded)),
        )
    checked: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]] = [
        found.records for found in labels
    ]
    span_lists = [pair[0] for pair in checked]
    return (
        list(map(len, span_lists)),
        map(_LABEL_OF, itertools.chain.from_iterable(span_lists)),
        [pair[1] for pair in checked],
        lambda: list(map(orjson.dumps, span_lists)),
    )


_SPAN_LABELS = attrgetter("span_labels")
_RELATIONS = attrgetter("relations")
_SPANS_JSON = attrgetter("spans_json")


_LABEL_OF = itemgetter("label")
_START = methodcaller("get", "start_offset")
_END = methodcaller("get", "end_offset")
_LABEL = methodcaller("get", "label")
_ID = methodcaller("get", "id")
_SPAN_ID = "T{}".format


def _entity_columns(entities: list[Any], loc: Location) -> SpanColumns | None:
    """The columns of doccano's usual entities (objects with ids, or all lists), read
    with whole-list operations; None for anything else, which ``_entity_spans`` reads
    one by one (and refuses with a message where it must)."""
    kinds = set(map(type, entities))
    if kinds == {dict}:
        numbers = list(map(_ID, entities))
        if not set(map(type, numbers)) <= {int}:
            return None
        starts, ends = list(map(_START, entities)), list(map(_END, entities))
        return SpanColumns(
            starts,
            ends,
            list(map(_LABEL, entities)),
            list(map(_SPAN_ID, numbers)),
            lambda: _entity_spans(entities, loc),
        )
    if kinds == {list}:
        return _triple_columns(entities, loc, "entities")
    return None


def _triple_columns(triples: Any, loc: Location, key: str = "label") -> SpanColumns | None:
    if not isinstance(triples, list) or set(map(type, triples)) - {list}:
        return None
    if set(map(len, triples)) - {3}:
        return None
    return SpanColumns(
        list(map(itemgetter(0), triples)),
        list(map(itemgetter(1), triples)),
        list(map(itemgetter(2), triples)),
        list(map(_SPAN_ID, range(1, len(triples) + 1))),
        lambda: _triple_spans(triples, key, loc),
    )


def _entity_spans(entities: list[Any], loc: Location) -> list[RawSpan]:
    raws = []
    for index, entity in enumerate(entities):
        if isinstance(entity, list) and len(entity) == 3:
            # doccano's list form ([start, end, label]), beside "cats" in its exports of
            # intent detection and slot filling projects.
            start, end, label = entity
            raws.append(RawSpan(start, end, label, f"entities[{index}]", f"T{index + 1}"))
            continue
        if not isinstance(entity, dict):
            raise loc.error(
                f"entities[{index}] is neither an object nor [start, end, label]: {entity!r}"
            )
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


def _relations(relations: Any, loc: Location, alias: dict[str, str]) -> list[dict[str, Any]]:
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
        # Every field as the Relation model has it, in its order.
        result.append(
            {
                "id": f"R{raw.get('id', index)}",
                "label": label,
                "head": ends[0],
                "tail": ends[1],
                "note": "",
            }
        )
    if len({relation["id"] for relation in result}) != len(result):
        raise loc.error("two relations share one id")
    return result


reader = DoccanoReader()
writer = PathWriter("doccano", ".jsonl", DoccanoSink)
