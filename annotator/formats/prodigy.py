"""Prodigy tasks (JSONL, as ``prodigy db-out`` writes them).

    {"text": "...", "meta": {...}, "_input_hash": 1, "_task_hash": 2,
     "tokens": [{"text", "start", "end", "id", "ws"}],
     "spans": [{"start", "end", "label", "token_start", "token_end"}],
     "relations": [{"head", "child", "head_span", "child_span", "label"}],
     "answer": "accept", "_annotator_id": "news-alice"}

Offsets are Python string indices (code points), as in Prodigy. Answers ``reject`` and
``ignore`` are not labels: their documents are imported without spans. ``_annotator_id``
(else ``_session_id``) gives one annotator layer each, unless ``--annotator`` names one.
Relations use Prodigy's form: ``head``/``child`` are the index of the last token of the
head and child spans, which ``head_span``/``child_span`` also give in full.

Text classification becomes document categories, with flat names (formats/cats.py): a
choice task's ``accept`` list (option ids, or their texts when the ids are numbers), and a
binary task's ``label`` answered ``accept``. A binary task answered ``reject`` says "not
this label": its label becomes a category of its own answered ``"no"`` (``{"SPORT":
["no"]}``), so the answer is kept (a label of the form ``category:choice`` cannot be, and
is counted as a rejected task). Export writes ``accept`` and the ``options``
chosen, as Prodigy's choice interface does beside the spans of a blocks task.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from annotator.core.models import Document, Relation, Status
from annotator.formats.base import (
    CheckedLabels,
    ExportRecord,
    ImportRecord,
    PathWriter,
)
from annotator.formats.cats import flat_names, from_flat_names
from annotator.formats.common import (
    EdgeTrimmer,
    Tally,
    document_id,
    document_meta,
    given,
    layer_name,
    relation_rows,
    span_rows,
    with_tally,
)
from annotator.formats.jsonio import Location, iter_json_objects, json_suffix, peek_first_object
from annotator.formats.offsets import RawSpan, SourceText, drop_duplicate_spans, place_spans
from annotator.formats.sinks import AtomicFileSink
from annotator.formats.tokens import Tokens, token_objects_json, tokens_at

# Keys Prodigy adds to a task; anything else at the top level is the user's and goes to meta.
_MACHINERY = {
    "text", "meta", "spans", "relations", "tokens", "answer", "label", "accept", "options",
    "_input_hash", "_task_hash", "_session_id", "_annotator_id", "_view_id", "_timestamp",
    "_is_binary", "id",
}  # fmt: skip
REJECTED_CHOICE = "no"  # a binary textcat label answered reject
_SIGNS = (
    "_input_hash",
    "_task_hash",
    "_view_id",
    "_session_id",
    "_annotator_id",
    "answer",
    "tokens",
)


def prodigy_hash(data: bytes) -> int:
    """A stable signed 32-bit key, the shape of Prodigy's hashes (it treats them as opaque)."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=4).digest(), "big", signed=True)


class ProdigyReader:
    name = "prodigy"

    def sniff(self, path: Path) -> bool:
        if not json_suffix(path):
            return False
        first = peek_first_object(path)
        if first is None:
            return False
        if "pattern" in first and "label" in first and "text" not in first:
            return True  # a patterns file: read() explains what it is
        spans = first.get("spans")
        token_spans = isinstance(spans, list) and any(
            isinstance(s, dict) and "token_start" in s for s in spans
        )
        return "text" in first and (any(key in first for key in _SIGNS) or token_spans)

    def read(self, path: Path) -> Iterator[ImportRecord]:
        tally = Tally(path)
        return with_tally(self._records(path, tally), tally)

    def _records(self, path: Path, tally: Tally) -> Iterator[ImportRecord]:
        for number, (task, loc) in enumerate(iter_json_objects(path), 1):
            yield _task_to_record(task, loc, f"{path.stem}-{loc.line or number}", tally)


def _task_to_record(
    task: dict[str, Any], loc: Location, fallback: str, tally: Tally
) -> ImportRecord:
    if "pattern" in task and "text" not in task:
        raise loc.error(
            "this is a Prodigy patterns file (label + pattern), not annotated texts; "
            "use it with `annotator suggest --patterns`"
        )
    original = task.get("text")
    if not isinstance(original, str):
        raise loc.error('has no "text" string (only text tasks can be imported)')
    answer = task.get("answer")
    if answer not in (None, "accept", "reject", "ignore"):
        raise loc.error(f"answer must be accept, reject or ignore, not {answer!r}")
    source = SourceText(original)
    meta = given(task, "meta", {})
    if not isinstance(meta, dict):
        raise loc.error('"meta" must be an object')
    meta = {**{k: v for k, v in task.items() if k not in _MACHINERY}, **meta}
    if isinstance(task.get("_input_hash"), int):
        meta["_input_hash"] = task["_input_hash"]
    document = Document(
        id=document_id(task.get("id"), fallback),
        text=source.text,
        meta=document_meta(meta, source.text, source.meta()),
    )
    record = ImportRecord(document=document, where=str(loc))
    if document.id == fallback:
        record.example_key = meta.get("_input_hash", "text")
    rejected = _rejected_label(task, loc) if answer == "reject" else None
    if rejected is not None:
        # A binary textcat answer "no, not this label" is a label too: the category the
        # label names is answered "no".
        who = layer_name(_annotator_of(task, loc))
        record.labels[who] = CheckedLabels([], [], "done", cats={rejected: [REJECTED_CHOICE]})
        return record
    if answer in ("reject", "ignore"):
        tally.add(
            f"task answered {answer!r}: its document was imported without its labels", str(loc)
        )
        return record
    cats = _task_cats(task, loc)
    raws, token_ends = _raw_spans(task, loc)
    spans, _ = place_spans(source, raws, ("codepoint",), loc.error)
    spans, alias, dropped = drop_duplicate_spans(spans)
    tally.add("span listed twice (same start, end and label): kept once", str(loc), dropped)
    relations = _relations(task, loc, raws, token_ends, alias)
    status: Status | None = "done" if answer else None
    labels = CheckedLabels.of_models(spans, relations, status, cats=cats, text=source.text)
    who = layer_name(_annotator_of(task, loc))
    record.labels[who] = labels
    return record


def _task_cats(task: dict[str, Any], loc: Location) -> dict[str, list[str]]:
    """A textcat task's categories: the options accepted, or the binary task's label
    (answered accept: a rejected task brings no labels at all)."""
    names: list[str] = []
    accepted = task.get("accept")
    if accepted:
        if type(accepted) is not list:
            raise loc.error(f'"accept" must be a list of option ids, not {accepted!r}')
        options = task.get("options")
        texts = {}
        if isinstance(options, list):
            texts = {
                option.get("id"): option.get("text")
                for option in options
                if isinstance(option, dict)
            }
        for option_id in accepted:
            name = option_id
            if type(option_id) is int and isinstance(texts.get(option_id), str):
                name = texts[option_id]
            if type(name) not in (str, int) or str(name) == "":
                raise loc.error(f'"accept" holds {option_id!r}, not an option id')
            names.append(str(name))
    label = task.get("label")
    if label and not task.get("spans"):
        if type(label) is not str:
            raise loc.error(f'"label" must be a string, not {label!r}')
        names.append(label)
    return from_flat_names(names)


def _rejected_label(task: dict[str, Any], loc: Location) -> str | None:
    """The label of a binary textcat task (a ``label``, no spans, no options accepted),
    when it names a category of its own (no colon: "topic:politics" is a choice of a
    category, which a "no" cannot be recorded for)."""
    label = task.get("label")
    if not label or task.get("spans") or task.get("accept"):
        return None
    if type(label) is not str:
        raise loc.error(f'"label" must be a string, not {label!r}')
    return None if ":" in label else label


def _annotator_of(task: dict[str, Any], loc: Location) -> Any:
    for key in ("_annotator_id", "_session_id"):
        value = task.get(key)
        if value is not None and (type(value) not in (str, int)):
            raise loc.error(f'"{key}" must be a string, not {value!r}')
    return task.get("_annotator_id") or task.get("_session_id")


def _raw_spans(task: dict[str, Any], loc: Location) -> tuple[list[RawSpan], dict[int, str]]:
    raws: list[RawSpan] = []
    token_ends: dict[int, str] = {}
    spans = given(task, "spans", [])
    if not isinstance(spans, list):
        raise loc.error('"spans" must be a list')
    for index, raw in enumerate(spans):
        if not isinstance(raw, dict):
            raise loc.error(f"spans[{index}] is not an object")
        span_id = f"T{index + 1}"
        text = raw.get("text")
        if text is not None and type(text) is not str:
            raise loc.error(f"spans[{index}].text must be a string, not {text!r}")
        raws.append(
            RawSpan(
                start=raw.get("start"),
                end=raw.get("end"),
                label=raw.get("label") or task.get("label"),
                pointer=f"spans[{index}]",
                id=span_id,
                text=text if isinstance(text, str) else None,
            )
        )
        if isinstance(raw.get("token_end"), int):
            token_ends.setdefault(raw["token_end"], span_id)
    return raws, token_ends


def _relations(
    task: dict[str, Any],
    loc: Location,
    raws: list[RawSpan],
    token_ends: dict[int, str],
    alias: dict[str, str],
) -> list[Relation]:
    relations = given(task, "relations", [])
    if not isinstance(relations, list):
        raise loc.error('"relations" must be a list')
    by_offsets: dict[tuple[Any, ...], str] = {}
    for raw in raws:
        by_offsets.setdefault((raw.start, raw.end, raw.label), raw.id)
        by_offsets.setdefault((raw.start, raw.end), raw.id)
    result: list[Relation] = []
    for index, raw in enumerate(relations):
        if not isinstance(raw, dict):
            raise loc.error(f"relations[{index}] is not an object")
        ends = []
        for key in ("head", "child"):
            span = raw.get(f"{key}_span")
            found = None
            if isinstance(span, dict):
                _check_span_ref(span, f"relations[{index}].{key}_span", loc)
                where = (span.get("start"), span.get("end"))
                found = by_offsets.get((*where, span.get("label"))) or by_offsets.get(where)
            if found is None and type(raw.get(key)) is int:
                found = token_ends.get(raw[key])
            if found is None:
                raise loc.error(f"relations[{index}].{key} refers to no span in this task")
            ends.append(alias[found])
        label = raw.get("label")
        if not isinstance(label, str) or not label:
            raise loc.error(f"relations[{index}] has no label")
        result.append(Relation(id=f"R{index + 1}", label=label, head=ends[0], tail=ends[1]))
    return result


def _check_span_ref(span: dict[str, Any], pointer: str, loc: Location) -> None:
    """A relation's ``head_span``/``child_span`` holds integer offsets and a string label."""
    for name in ("start", "end"):
        value = span.get(name)
        if value is not None and (type(value) is not int):
            raise loc.error(f"{pointer}.{name} must be an integer, not {value!r}")
    label = span.get("label")
    if label is not None and type(label) is not str:
        raise loc.error(f"{pointer}.label must be a string, not {label!r}")


# --- export ------------------------------------------------------------------------------


class ProdigySink(AtomicFileSink):
    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self.trimmer = EdgeTrimmer()

    def write(self, record: ExportRecord) -> None:
        self.handle.write(orjson.dumps(prodigy_task(record, self.warnings, self.trimmer)) + b"\n")

    def finish(self) -> None:
        self.trimmer.report(self.warnings)


def prodigy_task(
    record: ExportRecord, warnings: list[str], trimmer: EdgeTrimmer | None = None
) -> dict[str, Any]:
    """One document's task. Spans lose the whitespace at their edges (see
    :class:`EdgeTrimmer`), so that ``token_start``..``token_end`` covers exactly
    ``start``..``end``; relations joining a span left out are left out too."""
    doc_id, text = record.doc_id, record.text
    spans, left_out = (trimmer or EdgeTrimmer()).trim(doc_id, text, span_rows(record))
    boundaries = [p for s in spans for p in (s.start, s.end)]
    compiled = token_objects_json(text, boundaries)
    if compiled is None:
        tokens = tokens_at(text, boundaries)
        token_objects: Any = _token_dicts(tokens, len(text))
    else:
        # Written by the compiled tokenizer as orjson would write the dicts.
        token_objects = orjson.Fragment(compiled[0])
        tokens = compiled[1]
    spans_out: dict[str, dict[str, Any]] = {}
    for span in spans:
        item: dict[str, Any] = {
            "start": span.start,
            "end": span.end,
            "text": span.text,
            "label": span.label,
        }
        covered = tokens.covering(span.start, span.end)
        if covered is None:
            warnings.append(f"document {doc_id}: span {span.id} {span.text!r} holds no token")
        else:
            item["token_start"], item["token_end"] = covered
        spans_out[span.id] = item
    relations = []
    for rel in relation_rows(record):
        if rel.head in left_out or rel.tail in left_out:
            warnings.append(
                f"document {doc_id}: relation {rel.id} joins a span of only whitespace; left out"
            )
            continue
        head, child = spans_out[rel.head], spans_out[rel.tail]
        if "token_end" not in head or "token_end" not in child:
            warnings.append(
                f"document {doc_id}: relation {rel.id} joins a span without tokens; left out"
            )
            continue
        relations.append(
            {
                "head": head["token_end"],
                "child": child["token_end"],
                "head_span": _span_ref(head),
                "child_span": _span_ref(child),
                "label": rel.label,
            }
        )
    meta = {k: v for k, v in record.meta.items() if k != "_input_hash"}
    stored_hash = record.meta.get("_input_hash")
    input_hash = (
        stored_hash
        if isinstance(stored_hash, int)
        else prodigy_hash(orjson.dumps({"text": text}, option=orjson.OPT_SORT_KEYS))
    )
    spans_list = list(spans_out.values())
    chosen = flat_names(record.cats())
    answers: dict[str, Any] = {"spans": spans_list, "relations": relations}
    if chosen:
        answers["accept"] = chosen  # in the task's hash only when there are some
    labels_key = orjson.dumps(answers, option=orjson.OPT_SORT_KEYS)
    task: dict[str, Any] = {
        "id": doc_id,
        "text": text,
        "meta": meta,
        "_input_hash": input_hash,
        "_task_hash": prodigy_hash(str(input_hash).encode() + labels_key),
        "tokens": token_objects,
        "spans": spans_list,
        "answer": "accept",
        "_view_id": "relations" if relations else "ner_manual",
    }
    if relations:
        task["relations"] = relations
    if chosen:
        task["options"] = [{"id": name, "text": name} for name in chosen]
        task["accept"] = chosen
    if record.annotator:
        task["_annotator_id"] = record.annotator
        task["_session_id"] = record.annotator
    return task


def _token_dicts(tokens: Tokens, length: int) -> list[dict[str, Any]]:
    # Everything between two tokens is whitespace: a token is followed by a space exactly
    # when the next one does not start where it ends (or, for the last, before the end).
    follows = [*tokens.starts[1:], length] if len(tokens) else []
    return [
        {"text": word, "start": start, "end": end, "id": number, "ws": end != after}
        for number, (word, start, end, after) in enumerate(
            zip(tokens.texts, tokens.starts, tokens.ends, follows, strict=True)
        )
    ]


def _span_ref(span: dict[str, Any]) -> dict[str, Any]:
    return {k: span[k] for k in ("start", "end", "token_start", "token_end", "label")}


reader = ProdigyReader()
writer = PathWriter("prodigy", ".jsonl", ProdigySink)
