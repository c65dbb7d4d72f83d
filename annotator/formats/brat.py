"""brat standoff: a folder with a ``.txt`` and an ``.ann`` per document.

    T1\tPERSON 0 5\tAlice            a span (``0 5;9 12`` for a discontinuous one)
    R1\tATTRIBUTED_TO Arg1:T2 Arg2:T1 a relation
    #1\tAnnotatorNotes T1\tthe note   a note on a span or relation
    A1\tNegated T1 [VALUE]            an attribute of a span: span attrs
    N1\tReference T1 Wiki:42\tAlice   a normalisation: span attrs["normalizations"]
    *\tEquiv T1 T2 T3                 becomes Equiv relations T1 → T2 → T3
    E1\tType:T3 Theme:T1 Site:T2      becomes relations trigger → argument, labelled by role

Offsets count characters of the .txt (code points), its line endings included; a file
annotated in brat's browser client may count UTF-16 units after an emoji, and each
document is read the way that makes every T line's text match. A discontinuous span
becomes one span per fragment, sharing ``attrs["discontinuous"]`` (the T id), and is
written back as one T line. What has no place in our model (event identity, attributes
of events and relations, other note types) is reported, never dropped silently.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.core.errors import InputError
from annotator.core.models import Document, LabelSchema
from annotator.formats.base import (
    CheckedLabels,
    ExportRecord,
    ImportChunk,
    ImportRecord,
)
from annotator.formats.common import (
    _RESERVED,
    RelationRow,
    SpanRow,
    Tally,
    batched_records,
    document_meta,
    relation_rows,
    safe_file_stem,
    span_rows,
    with_tally,
)
from annotator.formats.offsets import UNIT_NAMES, RawSpan, SourceText, place_span_records
from annotator.formats.sinks import AtomicFolderSink
from annotator.formats.text import decode_utf8

_NUMBERED_ROLE = re.compile(r"\d+$")
# Ids brat itself gives: kept on export when a span or relation still has one.
_SPAN_ID = re.compile(r"T[0-9]+")
_RELATION_ID = re.compile(r"R[0-9]+")


class BratReader:
    name = "brat"

    def sniff(self, path: Path) -> bool:
        if path.is_dir():
            return any(path.rglob("*.ann"))
        if path.suffix.lower() == ".ann":
            return True
        return path.suffix.lower() == ".txt" and path.with_suffix(".ann").is_file()

    def read(self, path: Path) -> Iterator[ImportRecord]:
        tally = Tally(path)
        return with_tally(self._records(path, tally), tally)

    def _records(self, path: Path, tally: Tally) -> Iterator[ImportRecord]:
        for txt, doc_id in _documents(path):
            yield _read_document(txt, doc_id, tally)

    def read_chunks(self, path: Path) -> Iterator[ImportChunk]:
        """The records of :meth:`read`, checked one by one as ever, handed over in
        batches where a stretch of them is alike (see common.batched_records)."""
        tally = Tally(path)
        return batched_records(self._records(path, tally), tally)


def _documents(path: Path) -> list[tuple[Path, str]]:
    if not path.is_dir():
        txt = path.with_suffix(".txt")
        if not txt.is_file():
            raise InputError(path, f"no {txt.name} beside it (brat keeps the text in a .txt)")
        return [(txt, txt.stem)]
    anns = sorted(path.rglob("*.ann"))
    for ann in anns:
        if not ann.with_suffix(".txt").is_file():
            raise InputError(ann, f"no {ann.with_suffix('.txt').name} beside it")
    texts = sorted(
        (p for p in path.rglob("*.txt") if p.is_file()),
        key=lambda p: p.relative_to(path).as_posix(),
    )
    if not texts:
        raise InputError(path, "folder holds no brat .txt/.ann files")
    return [(p, p.relative_to(path).with_suffix("").as_posix()) for p in texts]


@dataclass
class _Parsed:
    spans: list[RawSpan] = field(default_factory=list)
    fragments: dict[str, list[str]] = field(default_factory=dict)  # T id -> span ids
    lines: dict[str, int] = field(default_factory=dict)  # annotation id -> line
    relations: list[tuple[str, str, str, str, int]] = field(default_factory=list)
    events: dict[str, tuple[str, list[tuple[str, str]], int]] = field(default_factory=dict)
    notes: list[tuple[str, str, int]] = field(default_factory=list)
    attributes: list[tuple[str, str, Any, int]] = field(default_factory=list)
    normalizations: list[tuple[str, dict[str, str], int]] = field(default_factory=list)


def _read_document(txt: Path, doc_id: str, tally: Tally) -> ImportRecord:
    source = SourceText(decode_utf8(txt, txt.read_bytes()))
    meta = document_meta({"source": txt.name}, source.text, source.meta())
    record = ImportRecord(Document(id=doc_id, text=source.text, meta=meta), where=str(txt))
    ann = txt.with_suffix(".ann")
    if not ann.is_file():
        return record
    parsed = _parse_ann(ann, tally)

    def fail(message: str) -> InputError:
        pointer = message.split(" ")[0].rstrip(":").split(".")[0]
        return InputError(ann, message, parsed.lines.get(pointer))

    spans, unit = place_span_records(source, parsed.spans, ("codepoint", "utf16"), fail, True)
    if unit == "utf16":
        tally.add(f".ann counting {UNIT_NAMES[unit]} (brat's browser client): converted", str(ann))
    record.labels[None] = _labels(ann, spans, parsed, tally)
    return record


def _parse_ann(ann: Path, tally: Tally) -> _Parsed:
    parsed = _Parsed()
    text = decode_utf8(ann, ann.read_bytes()).removeprefix("\ufeff")
    # Lines end at "\n" only, as brat reads them: str.splitlines would also break at
    # U+2028, form feeds and the like inside a span's text.
    for line_no, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        fields = line.split("\t", 2)
        ident = fields[0]
        kind = ident[:1]
        if ident in parsed.lines and kind != "*":
            first = parsed.lines[ident]
            raise InputError(ann, f"id {ident} is used twice (first on line {first})", line_no)
        try:
            if kind == "T":
                _parse_span(parsed, fields, line_no, tally, ann)
            elif kind == "R":
                label, arg1, arg2 = fields[1].split()
                parsed.relations.append((ident, label, _arg(arg1), _arg(arg2), line_no))
            elif kind == "*":
                label, *members = fields[1].split()
                for number, (head, tail) in enumerate(itertools.pairwise(members)):
                    rel_id = f"{label}{line_no}.{number + 1}"
                    parsed.relations.append((rel_id, label, head, tail, line_no))
                tally.add(
                    f"{label} group: imported as {label} relations in a chain", f"{ann}:{line_no}"
                )
            elif kind == "E":
                trigger, *args = fields[1].split()
                _type, trigger_id = trigger.split(":")
                roles = [(role, target) for role, target in (arg.split(":") for arg in args)]
                if not all(role and target for role, target in roles):
                    raise ValueError("an argument without its role or its target")
                parsed.events[ident] = (trigger_id, roles, line_no)
            elif kind == "#":
                note_type, target = fields[1].split()
                if note_type != "AnnotatorNotes":
                    tally.add(f"note of type {note_type!r}: left out", f"{ann}:{line_no}")
                    continue
                parsed.notes.append((target, fields[2] if len(fields) > 2 else "", line_no))
            elif kind in ("A", "M"):
                name, target, *value = fields[1].split()
                parsed.attributes.append((target, name, value[0] if value else True, line_no))
            elif kind == "N":
                norm_type, target, reference = fields[1].split()
                entry = {"type": norm_type, "ref": reference}
                if len(fields) > 2:
                    entry["text"] = fields[2]
                parsed.normalizations.append((target, entry, line_no))
            else:
                raise InputError(ann, f"unknown annotation line {ident!r}", line_no)
            parsed.lines.setdefault(ident, line_no)
        except (ValueError, IndexError):  # a field missing, or one too many
            raise InputError(ann, f"malformed {kind} line: {line!r}", line_no) from None
    return parsed


def _arg(value: str) -> str:
    return value.split(":", 1)[1]


def _parse_span(parsed: _Parsed, fields: list[str], line_no: int, tally: Tally, ann: Path) -> None:
    ident = fields[0]
    label, _, ranges = fields[1].partition(" ")
    pieces = [piece.split() for piece in ranges.split(";")]
    stated = fields[2] if len(fields) > 2 else None
    offsets = [(int(start), int(end)) for start, end in pieces]
    if len(offsets) == 1:
        parsed.spans.append(RawSpan(*offsets[0], label, ident, ident, stated))
        parsed.fragments[ident] = [ident]
        return
    # Fragments are checked one by one; their stated texts are joined by spaces.
    ids = []
    lengths = [end - start for start, end in offsets]
    cursor = 0
    for number, (start, end) in enumerate(offsets):
        span_id = ident if number == 0 else f"{ident}.{number + 1}"
        ids.append(span_id)
        piece = None
        if stated is not None:
            piece = stated[cursor : cursor + lengths[number]]
            cursor += lengths[number] + 1
        attrs = {"discontinuous": ident}
        parsed.spans.append(RawSpan(start, end, label, span_id, span_id, piece, attrs))
    parsed.fragments[ident] = ids
    tally.add(
        "discontinuous span: imported as one span per fragment sharing attrs['discontinuous']",
        f"{ann}:{line_no} {ident}",
    )


def _resolve(target: str, line_no: int, ann: Path, parsed: _Parsed, tally: Tally) -> str:
    """The span a relation end names (an event's trigger for an event)."""
    # A module function, not a closure calling itself: that closure was a reference
    # cycle holding the parsed file, and imports run without the cyclic collector, so
    # every document's parse stayed in memory until the import ended (5x the folder).
    seen: list[str] = []
    while target not in parsed.fragments:
        if target not in parsed.events:
            raise InputError(ann, f"refers to missing annotation {target!r}", line_no)
        if target in seen:
            chain = " → ".join([*seen, target])
            raise InputError(ann, f"events trigger each other in a loop: {chain}", line_no)
        seen.append(target)
        tally.add("argument that is an event: linked to the event's trigger", f"{ann}:{line_no}")
        target = parsed.events[target][0]
    return parsed.fragments[target][0]


def _labels(ann: Path, spans: list[dict[str, Any]], parsed: _Parsed, tally: Tally) -> CheckedLabels:
    """The document's labels from its placed span records (see place_span_records),
    kept as checked records: no model per span or relation unless the import asks."""
    by_id = {span["id"]: span for span in spans}
    relations: list[dict[str, Any]] = []

    def resolve(target: str, line_no: int) -> str:
        return _resolve(target, line_no, ann, parsed, tally)

    def relation(rel_id: str, label: str, head: str, tail: str) -> dict[str, Any]:
        # Every field as the Relation model has it, in its order.
        return {"id": rel_id, "label": label, "head": head, "tail": tail, "note": ""}

    for rel_id, label, head, tail, line_no in parsed.relations:
        relations.append(relation(rel_id, label, resolve(head, line_no), resolve(tail, line_no)))
    if parsed.events:
        tally.add(
            "event: imported as relations from its trigger to each argument, labelled by role "
            "(the event's own id is not kept)",
            str(ann),
            len(parsed.events),
        )
    for event_id, (trigger, roles, line_no) in parsed.events.items():
        head = resolve(trigger, line_no)
        for role, target in roles:
            # brat numbers a role given more than once (Theme, Theme2): one role, Theme.
            label = _NUMBERED_ROLE.sub("", role) or role
            if label != role:
                tally.add(
                    "numbered event role (Theme2): imported as its role (Theme)",
                    f"{ann}:{line_no} {role}",
                )
            relations.append(relation(f"{event_id}.{role}", label, head, resolve(target, line_no)))
    relation_index = {rel["id"]: i for i, rel in enumerate(relations)}
    for target, note, line_no in parsed.notes:
        if target in relation_index:
            relations[relation_index[target]]["note"] = note
        elif target in parsed.fragments:
            for span_id in parsed.fragments[target]:
                by_id[span_id]["note"] = note
        elif target in parsed.events:
            tally.add("note on an event: left out", f"{ann}:{line_no}")
        else:
            raise InputError(ann, f"note refers to missing annotation {target!r}", line_no)
    extra: dict[str, dict[str, Any]] = defaultdict(dict)
    for target, name, value, line_no in parsed.attributes:
        if target in parsed.fragments:
            extra[target][name] = value
        elif target in parsed.events or target in relation_index:
            tally.add("attribute of an event or relation: left out", f"{ann}:{line_no}")
        else:
            raise InputError(ann, f"attribute refers to missing annotation {target!r}", line_no)
    for target, entry, line_no in parsed.normalizations:
        if target not in parsed.fragments:
            tally.add("normalisation of an event or relation: left out", f"{ann}:{line_no}")
            continue
        extra[target].setdefault("normalizations", []).append(entry)
    for target, attrs in extra.items():
        for span_id in parsed.fragments[target]:
            span = by_id[span_id]
            span["attrs"] = {**span["attrs"], **attrs}
    spans = [by_id[span["id"]] for span in spans]
    if len(by_id) != len(spans) or len(relation_index) != len(relations):
        # Two spans or relations under one id: the import refuses them, as the models say.
        return CheckedLabels(spans, relations, fits_text=False)
    return CheckedLabels(spans, relations)


# --- export ------------------------------------------------------------------------------


def ann_lines(
    spans: list[SpanRow], relations: list[RelationRow], warnings: list[str], doc_id: str
) -> list[str]:
    """The .ann lines of one document's labels."""
    lines: list[str] = []
    tids: dict[str, str] = {}
    groups: dict[str, list[SpanRow]] = {}
    order: list[str] = []
    for span in spans:
        key = span.attrs.get("discontinuous")
        group_key = f"{key}\0{span.label}" if isinstance(key, str) else f"\0{span.id}"
        if group_key not in groups:
            groups[group_key] = []
            order.append(group_key)
        groups[group_key].append(span)
    notes: list[tuple[str, str]] = []
    attr_number = 0
    norm_number = 0
    span_ids = _brat_ids(
        "T", _SPAN_ID, [min(groups[key], key=lambda s: s.start).id for key in order]
    )
    for group_key, tid in zip(order, span_ids, strict=True):
        members = sorted(groups[group_key], key=lambda s: s.start)
        for span in members:
            tids[span.id] = tid
        ranges = ";".join(f"{s.start} {s.end}" for s in members)
        # brat reads a span's text by its length, so a tab is written as it is (as brat
        # writes it); a line break would end the line, and brat's own reading accepts a
        # space there only with a warning.
        text = " ".join(s.text for s in members).replace("\r", " ").replace("\n", " ")
        lines.append(f"{tid}\t{members[0].label} {ranges}\t{text}")
        first = members[0]
        if first.note:
            notes.append((tid, first.note))
        for name, value in first.attrs.items():
            if name == "discontinuous":
                continue
            if name == "normalizations" and isinstance(value, list):
                for entry in value:
                    if isinstance(entry, dict) and "type" in entry and "ref" in entry:
                        norm_number += 1
                        tail = f"\t{entry['text']}" if "text" in entry else ""
                        lines.append(f"N{norm_number}\t{entry['type']} {tid} {entry['ref']}{tail}")
                continue
            if value is True or (isinstance(value, str | int) and not isinstance(value, bool)):
                attr_number += 1
                shown = "" if value is True else f" {value}"
                if " " in str(value) or "\t" in str(value):
                    warnings.append(
                        f"document {doc_id}: attribute {name} of span {first.id} holds spaces; left out"
                    )
                    attr_number -= 1
                    continue
                lines.append(f"A{attr_number}\t{name} {tid}{shown}")
            else:
                warnings.append(
                    f"document {doc_id}: attribute {name} of span {first.id} is not a word or number; left out"
                )
    relation_ids = _brat_ids("R", _RELATION_ID, [rel.id for rel in relations])
    for rel, rid in zip(relations, relation_ids, strict=True):
        lines.append(f"{rid}\t{rel.label} Arg1:{tids[rel.head]} Arg2:{tids[rel.tail]}")
        if rel.note:
            notes.append((rid, rel.note))
    for number, (target, note) in enumerate(notes, 1):
        flat = note.replace("\r", " ").replace("\n", " ").replace("\t", " ")
        lines.append(f"#{number}\tAnnotatorNotes {target}\t{flat}")
    return lines


_SAFE_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _brat_stem(doc_id: str, used: set[str]) -> str:
    """The file path (without suffix) a document is written to. An id that is a safe
    relative path (``news/1``, as the reader names a document in a subfolder) is kept as
    it is, so that importing the export finds the same documents; others get a safe name."""
    parts = doc_id.split("/")
    if (
        all(_SAFE_PART.fullmatch(part) and not part.endswith(".") for part in parts)
        and doc_id.lower() not in used
        and parts[-1].split(".")[0].upper() not in _RESERVED
    ):
        used.add(doc_id.lower())
        return doc_id
    return safe_file_stem(doc_id, used)


def _brat_ids(prefix: str, pattern: re.Pattern[str], ids: list[str]) -> list[str]:
    """brat ids for these: each one's own when it is a brat id used once, else the next
    number free (the ids a brat file came with are written back as they were)."""
    counts = Counter(ids)
    kept = {i for i in ids if counts[i] == 1 and pattern.fullmatch(i)}
    result = []
    number = 0
    for given in ids:
        if given in kept:
            result.append(given)
            continue
        number += 1
        while f"{prefix}{number}" in kept:
            number += 1
        result.append(f"{prefix}{number}")
    return result


class BratSink(AtomicFolderSink):
    def __init__(self, out: Path, schema: LabelSchema) -> None:
        super().__init__(out)
        self.schema = schema
        self.used: set[str] = set()
        self.labels: set[str] = set()
        self.relations: set[str] = set()

    def write(self, record: ExportRecord) -> None:
        stem = _brat_stem(record.doc_id, self.used)
        (self.folder / stem).parent.mkdir(parents=True, exist_ok=True)
        # Byte-exact: no newline translation, no BOM, so offsets count the same characters.
        with open(self.folder / f"{stem}.txt", "w", encoding="utf-8", newline="") as handle:
            handle.write(record.text)
        spans, relations = span_rows(record), relation_rows(record)
        lines = ann_lines(spans, relations, self.warnings, record.doc_id)
        with open(self.folder / f"{stem}.ann", "w", encoding="utf-8", newline="") as handle:
            handle.write("".join(line + "\n" for line in lines))
        self.labels.update(span.label for span in spans)
        self.relations.update(rel.label for rel in relations)

    def finish(self) -> None:
        labels = sorted(self.labels | set(self.schema.label_names()))
        relations = sorted(self.relations | {rel.name for rel in self.schema.relations})
        conf = ["[entities]", *labels, "", "[relations]"]
        conf += [f"{name}\tArg1:<ENTITY>, Arg2:<ENTITY>" for name in relations]
        conf += [
            "<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>",
            "",
            "[events]",
            "",
            "[attributes]",
            "",
        ]
        with open(self.folder / "annotation.conf", "w", encoding="utf-8", newline="") as handle:
            handle.write("\n".join(conf))


class BratWriter:
    name = "brat"
    suffix = ""

    def open(self, out: Path, schema: LabelSchema, options: dict[str, Any]) -> BratSink:
        return BratSink(out, schema)


reader = BratReader()
writer = BratWriter()
