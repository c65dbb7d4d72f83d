"""Label Studio tasks: the JSON task list that Label Studio exports and imports.

    [{"id": 1, "data": {"text": "..."},
      "annotations": [{"completed_by": 1, "was_cancelled": false, "result": [
        {"id": "a1", "type": "labels", "from_name": "label", "to_name": "text",
         "value": {"start": 0, "end": 5, "text": "Alice", "labels": ["PERSON"]}},
        {"type": "relation", "from_id": "a1", "to_id": "a2", "direction": "right",
         "labels": ["ATTRIBUTED_TO"]}]}],
      "predictions": [...]}]

Cancelled (skipped) annotations and predictions are not labels. Each annotation's
``completed_by`` gives its own annotator layer unless ``--annotator`` names one. Offsets are
code points in current Label Studio and were UTF-16 units before label-studio-frontend#308;
every region states its text, so each document is read the way that makes them all match.
Region notes (``meta.text``) become span notes. ``choices`` results are document
categories (the category is the result's ``from_name``); export writes them so, and the
labelling interface written beside it has a ``<Choices>`` block a category. Other results
(text areas, ratings, HTML regions) cannot be carried and are reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import orjson

from annotator.core.models import Document, LabelSchema, Relation
from annotator.formats.base import (
    CheckedLabels,
    ExportRecord,
    ImportChunk,
    ImportRecord,
)
from annotator.formats.common import (
    Tally,
    document_id,
    document_meta,
    given,
    with_tally,
)
from annotator.formats.jsonio import Location, iter_json_objects, json_suffix, peek_first_object
from annotator.formats.label_studio_batches import annotator_of, plain_regions, task_chunks
from annotator.formats.offsets import (
    UNIT_NAMES,
    RawSpan,
    SourceText,
    drop_duplicate_records,
    place_span_records,
)
from annotator.formats.sinks import AtomicFileSink
from annotator.store.files import atomic_write_bytes

UNLABELLED_RELATION = "RELATED_TO"


class LabelStudioReader:
    name = "label-studio"

    def sniff(self, path: Path) -> bool:
        if not json_suffix(path):
            return False
        first = peek_first_object(path)
        return (
            first is not None
            and isinstance(first.get("data"), dict)
            and any(key in first for key in ("annotations", "predictions", "completions", "id"))
        )

    def read(self, path: Path) -> Iterator[ImportRecord]:
        tally = Tally(path)
        return with_tally(self._records(path, tally), tally)

    def _records(self, path: Path, tally: Tally) -> Iterator[ImportRecord]:
        for number, (task, loc) in enumerate(iter_json_objects(path), 1):
            yield _task(task, loc, f"{path.stem}-{number}", tally)

    def read_chunks(self, path: Path) -> Iterator[ImportChunk]:
        """The records of :meth:`read`, handed over in batches where a stretch of them
        is alike: checked all at once where the columnar lane takes them
        (label_studio_batches), else one by one as ever (see common.batched_records)."""
        tally = Tally(path)
        return task_chunks(
            path, tally, lambda task, loc, fallback: _task(task, loc, fallback, tally)
        )


def _text_of(data: dict[str, Any], loc: Location) -> tuple[str, str]:
    if isinstance(data.get("text"), str):
        return "text", data["text"]
    strings = [key for key, value in data.items() if isinstance(value, str)]
    if len(strings) == 1:
        return strings[0], data[strings[0]]
    raise loc.error(
        'data has no "text" field'
        + (f" (its string fields: {', '.join(strings)}; which one is the text?)" if strings else "")
    )


def _task(task: dict[str, Any], loc: Location, fallback: str, tally: Tally) -> ImportRecord:
    data = task.get("data")
    if not isinstance(data, dict):
        raise loc.error('has no "data" object')
    text_key, original = _text_of(data, loc)
    source = SourceText(original)
    meta = {k: v for k, v in data.items() if k not in (text_key, "doc_id")}
    if isinstance(task.get("meta"), dict):
        meta.update(task["meta"])
    if "id" in task and "doc_id" not in data:
        # With a doc_id (our own export) the task id is only the task's place in the file.
        meta.setdefault("label_studio_id", task["id"])
    doc_id = document_id(data.get("doc_id"), document_id(task.get("id"), fallback))
    document = Document(
        id=doc_id, text=source.text, meta=document_meta(meta, source.text, source.meta())
    )
    record = ImportRecord(document=document, where=str(loc))
    predictions = given(task, "predictions", [])
    if type(predictions) is not list:
        raise loc.error(f'"predictions" must be a list, not {predictions!r}')
    if predictions:
        tally.add(
            "prediction (a model's suggestion, not a label): not imported",
            str(loc),
            len(predictions),
        )
    key = "annotations" if "annotations" in task else "completions"
    annotations = given(task, key, [])
    if not isinstance(annotations, list):
        raise loc.error(f'"{key}" must be a list')
    for index, annotation in enumerate(annotations):
        pointer = f"{key}[{index}]"
        if not isinstance(annotation, dict):
            raise loc.error(f"{pointer} is not an object")
        if annotation.get("was_cancelled"):
            tally.add("cancelled (skipped) annotation: not imported as labels", f"{loc} {pointer}")
            continue
        labels = _annotation(annotation, pointer, source, loc, tally)
        who = annotator_of(annotation)
        if who in record.labels:
            # Two annotations by one person on one task: both sets of labels are kept.
            record.labels[who] = _combine(record.labels[who], labels, source.text)
        else:
            record.labels[who] = labels
    return record


def _annotation(
    annotation: dict[str, Any], pointer: str, source: SourceText, loc: Location, tally: Tally
) -> CheckedLabels:
    results = given(annotation, "result", [])
    if not isinstance(results, list):
        raise loc.error(f"{pointer}.result must be a list")
    cats: dict[str, list[str]] = {}
    plain = plain_regions(results, source)
    region_ids: Mapping[str, Sequence[str]]
    if plain is not None:
        spans, region_ids, relations = plain
        alias = dict(zip(region_ids, region_ids, strict=True))
    else:
        spans, alias, region_ids, relations = _regions(results, pointer, source, loc, tally, cats)
    result: list[dict[str, Any]] = []
    for index, item in relations:
        ends = []
        for key in ("from_id", "to_id"):
            targets = region_ids.get(str(item.get(key)))
            if not targets:
                where = f"{pointer}.result[{index}]"
                raise loc.error(f"{where}.{key} {item.get(key)!r} names no region")
            ends.append(alias[targets[0]])
        direction = item.get("direction")
        if direction == "left":
            ends.reverse()
        elif direction == "bi":
            tally.add("two-way relation: kept as head → tail", f"{loc} {pointer}.result[{index}]")
        names = _relation_labels(item, pointer, index, loc)
        if not item.get("labels"):
            tally.add(
                f"relation without a label: labelled {UNLABELLED_RELATION}",
                f"{loc} {pointer}.result[{index}]",
            )
        for name in names:
            relation = {
                "id": f"R{len(result) + 1}",
                "label": str(name),
                "head": ends[0],
                "tail": ends[1],
                "note": "",
            }
            if not relation["label"]:
                Relation(**relation)  # refused, with the model's message
            result.append(relation)
    # Checked as the models would be (offsets, texts, labels, ids; relation ends are
    # kept regions): written as records, no model per span. Two regions under one id:
    # the import refuses the labels (the model says why).
    fits_text = len({span["id"] for span in spans}) == len(spans)
    return CheckedLabels(spans, result, "done", cats=cats, fits_text=fits_text)


def _regions(
    results: list[Any],
    pointer: str,
    source: SourceText,
    loc: Location,
    tally: Tally,
    cats: dict[str, list[str]],
) -> tuple[
    list[dict[str, Any]],
    dict[str, str],
    Mapping[str, Sequence[str]],
    list[tuple[int, dict[str, Any]]],
]:
    """An annotation's span records (each region's labels placed, duplicates dropped), the
    id each region's span goes by, the span ids of each region, and its relation results
    (with their places); its choices go into ``cats``, and the tally hears the rest."""
    raws: list[RawSpan] = []
    relations: list[tuple[int, dict[str, Any]]] = []
    region_ids: dict[str, list[str]] = {}
    for index, item in enumerate(results):
        where = f"{pointer}.result[{index}]"
        if not isinstance(item, dict):
            raise loc.error(f"{where} is not an object")
        kind = item.get("type")
        if kind == "relation":
            relations.append((index, item))
            continue
        value = item.get("value")
        named = isinstance(item.get("from_name"), str) and item.get("from_name")
        if kind == "choices" and named and isinstance(value, dict) and "start" not in value:
            _add_choices(cats, item, value, where, loc)
            continue
        if kind != "labels" or not isinstance(value, dict) or "start" not in value:
            tally.add(f"result of type {kind!r} (not a text span): left out", f"{loc} {where}")
            continue
        names = value.get("labels")
        if not isinstance(names, list) or not names:
            raise loc.error(f"{where}.value.labels must be a non-empty list")
        if type(item.get("id")) not in (str, int, type(None)):
            raise loc.error(f"{where}.id must be a string, not {item.get('id')!r}")
        region = str(item.get("id") or f"r{index}")
        note = _region_note(item)
        for number, name in enumerate(names):
            span_id = region if number == 0 else f"{region}.{number + 1}"
            region_ids.setdefault(region, []).append(span_id)
            text = value.get("text")
            raws.append(
                RawSpan(
                    start=value.get("start"),
                    end=value.get("end"),
                    label=name,
                    pointer=f"{where}.value",
                    id=span_id,
                    text=text if isinstance(text, str) else None,
                    note=note,
                )
            )
    spans, unit = place_span_records(source, raws, ("codepoint", "utf16"), loc.error)
    if unit == "utf16":
        tally.add(
            f"annotation counted in {UNIT_NAMES[unit]} (Label Studio before 2022): converted",
            f"{loc} {pointer}",
        )
    spans, alias, dropped = drop_duplicate_records(spans)
    tally.add("region listed twice (same start, end and label): kept once", str(loc), dropped)
    return spans, alias, region_ids, relations


def _add_choices(
    cats: dict[str, list[str]],
    item: dict[str, Any],
    value: dict[str, Any],
    where: str,
    loc: Location,
) -> None:
    """A ``choices`` result: the document's choices in the category ``from_name``."""
    chosen = value.get("choices")
    if type(chosen) is not list or any(type(choice) is not str or not choice for choice in chosen):
        raise loc.error(f"{where}.value.choices must be a list of names, not {chosen!r}")
    name = item.get("from_name")
    if type(name) is not str or not name:
        raise loc.error(f"{where}.from_name must name the category, not {name!r}")
    # A colon would read as category:choice in the flat formats (formats/cats.py).
    into = cats.setdefault(name.replace(":", "_"), [])
    into.extend(choice for choice in chosen if choice not in into)


def _relation_labels(item: dict[str, Any], pointer: str, index: int, loc: Location) -> list[str]:
    """A relation's label names: a list of strings (a bare string is refused, not read
    letter by letter); none at all means the unlabelled relation."""
    names = item.get("labels")
    if names is None or names == []:
        return [UNLABELLED_RELATION]
    if type(names) is not list or set(map(type, names)) != {str} or not all(names):
        raise loc.error(
            f"{pointer}.result[{index}].labels must be a list of label names, not {names!r}"
        )
    return names


def _region_note(item: dict[str, Any]) -> str:
    meta = item.get("meta")
    if isinstance(meta, dict):
        text = meta.get("text")
        if isinstance(text, list):
            return "\n".join(str(part) for part in text)
        if isinstance(text, str):
            return text
    return ""


def _combine(first: CheckedLabels, second: CheckedLabels, text: str) -> CheckedLabels:
    first_spans, first_relations = first.models()
    second_spans, second_relations = second.models()
    used = {span.id for span in first_spans}
    rename: dict[str, str] = {}
    spans = list(first_spans)
    for span in second_spans:
        new_id = span.id if span.id not in used else f"{span.id}.b{len(spans)}"
        used.add(new_id)
        rename[span.id] = new_id
        spans.append(span.model_copy(update={"id": new_id}))
    relations = list(first_relations)
    for rel in second_relations:
        relations.append(
            Relation(
                id=f"R{len(relations) + 1}",
                label=rel.label,
                head=rename[rel.head],
                tail=rename[rel.tail],
            )
        )
    cats = {name: list(chosen) for name, chosen in first.cats.items()}
    for name, chosen in second.cats.items():
        into = cats.setdefault(name, [])
        into.extend(choice for choice in chosen if choice not in into)
    return CheckedLabels.of_models(spans, relations, second.status, cats=cats, text=text)


# --- export ------------------------------------------------------------------------------


def label_studio_task(record: ExportRecord, number: int = 1) -> dict[str, Any]:
    """The task for one document; ``number`` (its place in the file) is its id and its
    annotation's, which Label Studio's converter (label-studio-sdk) looks up."""
    labels = record.labels
    spans: list[Any] = [
        (s["id"], s["start"], s["end"], s["text"], s["label"], s.get("note", ""))
        for s in labels["spans"]
    ]
    relations: list[Any] = [(r["head"], r["tail"], r["label"]) for r in labels["relations"]]
    status = labels["status"]
    result: list[dict[str, Any]] = []
    for span_id, start, end, text, label, note in spans:
        region: dict[str, Any] = {
            "id": span_id,
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "origin": "manual",
            "value": {"start": start, "end": end, "text": text, "labels": [label]},
        }
        if note:
            region["meta"] = {"text": [note]}
        result.append(region)
    for head, tail, label in relations:
        result.append(
            {
                "type": "relation",
                "from_id": head,
                "to_id": tail,
                "direction": "right",
                "labels": [label],
            }
        )
    for number_of, (category, chosen) in enumerate(record.cats().items(), 1):
        result.append(
            {
                "id": f"category-{number_of}",
                "from_name": category,
                "to_name": "text",
                "type": "choices",
                "origin": "manual",
                "value": {"choices": list(chosen)},
            }
        )
    task: dict[str, Any] = {
        "id": number,
        "data": {"text": record.text, "doc_id": record.doc_id},
        "meta": record.meta,
    }
    if result or status != "todo":
        # An untouched document goes as a task to label, not as an empty annotation.
        task["annotations"] = [
            {
                "id": number,
                "result": result,
                "was_cancelled": False,
                "ground_truth": record.annotator == "gold",
            }
        ]
    return task


class LabelStudioSink(AtomicFileSink):
    """A JSON list written one task at a time."""

    def __init__(self, out: Path, schema: LabelSchema) -> None:
        super().__init__(out)
        self.schema = schema
        self.count = 0
        self.handle.write(b"[")

    def write(self, record: ExportRecord) -> None:
        self.handle.write(
            (b",\n" if self.count else b"\n")
            + orjson.dumps(label_studio_task(record, self.count + 1))
        )
        self.count += 1

    def finish(self) -> None:
        self.handle.write(b"\n]\n")

    def commit(self) -> None:
        super().commit()
        # Label Studio needs a labelling interface naming these labels before it imports.
        config = self.out.with_name(self.out.stem + ".label-config.xml")
        atomic_write_bytes(config, labeling_config(self.schema).encode())
        self.warnings.append(f"Label Studio labelling interface written to {config}")


class LabelStudioWriter:
    name = "label-studio"
    suffix = ".json"

    def open(self, out: Path, schema: LabelSchema, options: dict[str, Any]) -> LabelStudioSink:
        return LabelStudioSink(out, schema)


def labeling_config(schema: LabelSchema) -> str:
    """A Label Studio labelling interface that shows this schema's spans and relations."""
    labels = "\n".join(
        f'    <Label value={quoteattr(label.name)} background="{label.color}"/>'
        for label in schema.labels
    )
    relations = "\n".join(
        f"    <Relation value={quoteattr(rel.name)}/>" for rel in schema.relations
    )
    choices = "".join(
        f'  <Choices name={quoteattr(category.name)} toName="text" '
        f'choice="{"multiple" if category.multiple else "single"}" showInline="true">\n'
        + "".join(f"    <Choice value={quoteattr(choice)}/>\n" for choice in category.choices)
        + "  </Choices>\n"
        for category in schema.categories
    )
    return (
        "<View>\n"
        "  <Relations>\n" + relations + "\n  </Relations>\n"
        '  <Labels name="label" toName="text">\n' + labels + "\n  </Labels>\n"
        '  <Text name="text" value="$text"/>\n' + choices + "</View>\n"
    )


reader = LabelStudioReader()
writer = LabelStudioWriter()
