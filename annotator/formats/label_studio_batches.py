"""Label Studio's columnar lane: a stretch of tasks checked all at once into a
:class:`CheckedBatch`, without a Document, an ImportRecord or a CheckedLabels per task.

It only says yes to tasks that the one-task path (``label_studio._task``) would take
without a doubt and without a word for the tally: the text in ``data.text`` stored as
it came (no byte-order mark, no carriage return), no predictions, and either no
annotation at all in any task of the stretch, or exactly one annotation in each, not
cancelled, all by one annotator, whose results are plain regions (see
:func:`plain_regions`) and relations between them, each with label names, none
two-way. Anything else is left to that path, which takes it, tells of it or refuses
it (with its message); the records of a batch are that path's records, made again
only when the import cannot take the batch whole.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Iterator
from itertools import repeat
from operator import itemgetter, lt, methodcaller
from pathlib import Path
from typing import Any

import orjson

from annotator.core.text import first_line_title
from annotator.formats.base import CheckedBatch, ImportChunk, ImportRecord
from annotator.formats.common import (
    BATCH_RECORDS,
    Tally,
    alike_stretches,
    document_id,
    layer_name,
    texts_kept_as_given,
)
from annotator.formats.compiled import compiled_offsets
from annotator.formats.jsonio import Location, iter_json_objects
from annotator.formats.offsets import SourceText

# A task as read: the object, its place, and the id it gets when it names none.
Task = tuple[dict[str, Any], Location, str]
RecordOf = Callable[[dict[str, Any], Location, str], ImportRecord]

_DICT = {dict}
_STR = {str}
_NONE = type(None)
_get: Any = dict.get


def task_chunks(path: Path, tally: Tally, record_of: RecordOf) -> Iterator[ImportChunk]:
    """The file's tasks as import chunks: a CheckedBatch for each stretch the lane
    takes, the one-task path's records (``record_of``) for the others, batched where
    alike as ``common.batched_records`` does. The file's last record always comes
    alone, carrying the tally's notices; before a refused task, the tasks read so far
    go first, as the one-task path reads them."""
    pending: list[Task] = []
    objects = enumerate(iter_json_objects(path), 1)
    stem = path.stem
    while True:
        try:
            found = next(objects, None)
        except Exception:
            yield (record_of(*task) for task in pending)
            raise
        if found is None:
            break
        number, (task, loc) = found
        pending.append((task, loc, f"{stem}-{number}"))
        if len(pending) > BATCH_RECORDS:
            yield from _stretch(pending[:-1], record_of)
            del pending[:-1]
    if pending:
        yield from _stretch(pending[:-1], record_of)
        last = record_of(*pending[-1])
        last.notices.extend(tally.notices())
        yield iter([last])


def _stretch(tasks: list[Task], record_of: RecordOf) -> Iterator[ImportChunk]:
    batch = checked_batch(tasks, record_of) if len(tasks) > 1 else None
    if batch is not None:
        yield batch
        return
    records: list[ImportRecord] = []
    try:
        records.extend(record_of(*task) for task in tasks)
    except Exception:
        yield iter(records)
        raise
    yield from alike_stretches(records)


def checked_batch(tasks: list[Task], record_of: RecordOf) -> CheckedBatch | None:
    """The tasks as one CheckedBatch when the lane takes every one of them (see the
    module); None, with nothing told, otherwise."""
    items = [task for task, _, _ in tasks]
    if set(map(type, items)) != _DICT:
        return None
    try:
        return _checked(tasks, items, record_of)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        # An unhashable value where a name should be, and the like.
        return None


def _checked(
    tasks: list[Task], items: list[dict[str, Any]], record_of: RecordOf
) -> CheckedBatch | None:
    datas: list[dict[str, Any]] = list(map(_get, items, repeat("data")))
    if set(map(type, datas)) != _DICT:
        return None
    texts: list[str] = list(map(_get, datas, repeat("text")))
    if not texts_kept_as_given(texts):
        return None
    predictions = list(map(_get, items, repeat("predictions")))
    if not set(map(type, predictions)) <= {list, _NONE} or any(predictions):
        return None
    annotation_lists: list[Any] = [
        task.get("annotations") if "annotations" in task else task.get("completions")
        for task in items
    ]
    if not set(map(type, annotation_lists)) <= {list, _NONE}:
        return None
    ids, metas = _documents(tasks, items, datas, texts)

    def records() -> Iterator[ImportRecord]:
        return (record_of(*task) for task in tasks)

    if not any(annotation_lists):
        return CheckedBatch(ids, texts, metas, records)
    if set(map(len, annotation_lists)) != {1}:
        return None
    annotations = list(map(itemgetter(0), annotation_lists))
    if set(map(type, annotations)) != _DICT or any(map(_CANCELLED, annotations)):
        return None
    who = set(map(annotator_of, annotations))
    if len(who) != 1:
        return None
    results = list(map(_get, annotations, repeat("result")))
    if not set(map(type, results)) <= {list, _NONE}:
        return None
    labels = label_work(texts, [found or [] for found in results])
    if labels is None:
        return None
    spans_json, span_labels, span_counts, relations_json, relation_labels, relation_counts = labels
    count = len(tasks)
    return CheckedBatch(
        ids,
        texts,
        metas,
        records,
        labelled=True,
        who=who.pop(),
        statuses=["done"] * count,
        notes=[""] * count,
        span_counts=span_counts,
        relation_counts=relation_counts,
        span_labels=list(dict.fromkeys(span_labels)),
        relation_labels=list(dict.fromkeys(relation_labels)),
        encode=lambda: (spans_json, relations_json),
    )


_CANCELLED = methodcaller("get", "was_cancelled")


def _documents(
    tasks: list[Task], items: list[dict[str, Any]], datas: list[dict[str, Any]], texts: list[str]
) -> tuple[list[str], list[dict[str, Any]]]:
    """Each task's document id and meta, as ``label_studio._task`` makes them."""
    ids: list[str] = []
    metas: list[dict[str, Any]] = []
    for (task, _, fallback), data, text in zip(tasks, datas, texts, strict=True):
        ids.append(document_id(data.get("doc_id"), document_id(task.get("id"), fallback)))
        meta = {key: value for key, value in data.items() if key not in ("text", "doc_id")}
        own = task.get("meta")
        if isinstance(own, dict):
            meta.update(own)
        if "id" in task and "doc_id" not in data:
            meta.setdefault("label_studio_id", task["id"])
        if "title" not in meta:
            meta["title"] = first_line_title(text)
        metas.append(meta)
    return ids, metas


# Each annotation's span records (as a JSON array), all spans' labels, each one's span
# count; the same of its relations.
LabelWork = tuple[list[bytes], list[str], list[int], list[bytes], list[str], list[int]]


def label_work(texts: list[str], results: list[list[Any]]) -> LabelWork | None:
    """Each annotation's span and relation records as ``label_studio._annotation``
    makes them of plain regions (:func:`plain_regions_python`) and of relations it tells
    nothing of (between its regions, labelled, not two-way), written as the JSON arrays
    orjson writes of them, with all their labels and each annotation's counts; None
    unless every annotation is so. Compiled (_offsets.c) where it is built."""
    compiled = compiled_offsets()
    if compiled is not None:
        made: LabelWork | None = compiled.label_studio_spans(texts, results)
        return made
    return label_work_python(texts, results)


def label_work_python(texts: list[str], results: list[list[Any]]) -> LabelWork | None:
    work: LabelWork = ([], [], [], [], [], [])
    spans_json, labels, counts, relations_json, relation_labels, relation_counts = work
    for text, found in zip(texts, results, strict=True):
        plain = plain_regions_python(found, text)
        if plain is None:
            return None
        spans, region_ids, relation_items = plain
        relations = _relations(map(_RESULT, relation_items), region_ids)
        if relations is None:
            return None
        try:
            spans_json.append(orjson.dumps(spans))
            relations_json.append(orjson.dumps(relations))
        except orjson.JSONEncodeError:
            return None  # a lone surrogate: the one-task path says what becomes of it
        labels.extend(map(_LABEL, spans))
        counts.append(len(spans))
        relation_labels.extend(map(_LABEL, relations))
        relation_counts.append(len(relations))
    return work


def _relations(items: Iterable[Any], region_ids: Container[str]) -> list[dict[str, Any]] | None:
    """The records ``label_studio._annotation`` makes of relation results between the
    regions, each labelled and none two-way; None for anything else."""
    relations: list[dict[str, Any]] = []
    for item in items:
        head, tail = str(item.get("from_id")), str(item.get("to_id"))
        direction = item.get("direction")
        names = item.get("labels")
        if (
            head not in region_ids
            or tail not in region_ids
            or direction == "bi"
            or type(names) is not list
            or not names
            or set(map(type, names)) != _STR
            or not all(names)
        ):
            return None
        if direction == "left":
            head, tail = tail, head
        for name in names:
            relations.append(
                {
                    "id": f"R{len(relations) + 1}",
                    "label": name,
                    "head": head,
                    "tail": tail,
                    "note": "",
                }
            )
    return relations


_LABEL = itemgetter("label")
_RESULT = itemgetter(1)


def annotator_of(annotation: dict[str, Any]) -> str | None:
    """The layer an annotation's labels go to, named by its ``completed_by``."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        email = who.get("email")
        if isinstance(email, str) and "@" in email:
            return layer_name(email.split("@")[0])
        return layer_name(who.get("username") or who.get("first_name") or who.get("id"))
    if isinstance(who, int) and not isinstance(who, bool):
        return f"ls-user-{who}"
    return layer_name(who)


_GET_TYPE = methodcaller("get", "type")
_VALUE = methodcaller("get", "value")
_START = methodcaller("get", "start")
_END = methodcaller("get", "end")
_TEXT = methodcaller("get", "text")
_LABELS = methodcaller("get", "labels")
_ID = methodcaller("get", "id")
_META = methodcaller("get", "meta")


PlainRegions = tuple[list[dict[str, Any]], dict[str, tuple[str]], list[tuple[int, dict[str, Any]]]]


def plain_regions(results: list[Any], source: SourceText) -> PlainRegions | None:
    """What ``label_studio._regions`` makes of an annotation whose every result is a relation or a
    region with one label, its offsets in code points of a text stored as it came, and the
    text it covers (as current Label Studio and our export write them), read with
    whole-list operations and no duplicate; None for anything else, which it reads.
    Compiled (_offsets.c) where it is built."""
    if source.bom or source.newline_map.removed:
        return None
    compiled = compiled_offsets()
    if compiled is not None:
        return compiled.label_studio_regions(source.text, results)
    return plain_regions_python(results, source.text)


def plain_regions_python(results: list[Any], text: str) -> PlainRegions | None:
    if set(map(type, results)) - {dict}:
        return None
    kinds = list(map(_GET_TYPE, results))
    regions = [item for item, kind in zip(results, kinds, strict=True) if kind == "labels"]
    relations = [
        (index, item)
        for index, (item, kind) in enumerate(zip(results, kinds, strict=True))
        if kind == "relation"
    ]
    if len(regions) + len(relations) != len(results):
        return None
    values = list(map(_VALUE, regions))
    if set(map(type, values)) - {dict}:
        return None
    starts, ends = list(map(_START, values)), list(map(_END, values))
    names = list(map(_LABELS, values))
    if (
        set(map(type, starts)) - {int}
        or set(map(type, ends)) - {int}
        or set(map(type, names)) - {list}
        or set(map(len, names)) - {1}
        or any(map(_META, regions))
    ):
        return None
    labels = list(map(itemgetter(0), names))
    ids = list(map(_ID, regions))
    if set(map(type, labels)) - {str} or not all(map(str.strip, labels)):
        return None
    if set(map(type, ids)) - {str, int} or not all(ids):
        return None  # numbered by their place: the careful path
    region_ids = list(map(str, ids))
    length = len(text)
    if starts and (min(starts) < 0 or max(ends) > length or not all(map(lt, starts, ends))):
        return None
    covered = list(map(text.__getitem__, map(slice, starts, ends)))
    labels = list(map(str.strip, labels))
    if (
        covered != list(map(_TEXT, values))
        or len(set(region_ids)) != len(region_ids)
        or len(set(zip(starts, ends, labels, strict=True))) != len(labels)
    ):
        return None
    spans = [
        {
            "id": span_id,
            "start": start,
            "end": end,
            "label": label,
            "text": span_text,
            "attrs": {},
            "note": "",
        }
        for span_id, start, end, label, span_text in zip(
            region_ids, starts, ends, labels, covered, strict=True
        )
    ]
    # Each region's one span id, as label_studio._regions lists them (a 1-tuple for a 1-list).
    return spans, dict(zip(region_ids, zip(region_ids), strict=True)), relations
