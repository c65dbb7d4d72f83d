"""Application services shared by the command line and the GUI: import, export, check.

Pure Python (no Qt): the GUI calls the same functions, with its own progress callback.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from annotator.core.bulk import no_gc
from annotator.core.errors import AnnotationError, AnnotatorError, InputError
from annotator.core.models import (
    Category,
    Document,
    DocumentAnnotation,
    Label,
    LabelSchema,
    Relation,
    RelationType,
    Span,
    Status,
    now_iso,
    text_hash,
)
from annotator.core.records import check_ids
from annotator.formats.base import (
    FORMAT_MODULES,
    NOT_CARRIED,
    CheckedBatch,
    ExportRecord,
    ImportChunk,
    ImportedLabels,
    ImportRecord,
    Sink,
    StagedFolder,
    get_reader,
    get_writer,
    read_chunks,
)
from annotator.formats.offsets import Unit
from annotator.store.journal import AnnotationStore, PreparedLine
from annotator.store.project import (
    GOLD_ANNOTATOR,
    DocumentBatch,
    Project,
    check_annotator_name,
    pending_import,
    write_error,
)

Progress = Callable[[int, int | None], None]
Notify = Callable[[str], None]
DEFAULT_IMPORT_ANNOTATOR = "imported"

# Tried in this order by --format auto: the most specific shapes first, plain text last.
AUTO_ORDER = ("brat", "label-studio", "doccano", "prodigy", "native", "text")

_LABEL_NAME_OK = re.compile(r"^[^\s,]+$")
_label_of = attrgetter("label")
_label_key = itemgetter("label")


def _ignore_notice(message: str) -> None:
    del message


_bulk = no_gc


# --- import ------------------------------------------------------------------------------


def detect_format(path: Path) -> str:
    for name in AUTO_ORDER:
        if name not in FORMAT_MODULES:
            continue
        if get_reader(name).sniff(path):
            return name
    raise InputError(path, "cannot tell which format this is; name it with --format")


def expand_sources(sources: list[Path]) -> list[Path]:
    missing = [source for source in sources if not source.exists()]
    if missing:
        raise InputError(missing[0], "no such file or folder")
    return sources


@dataclass
class ImportSummary:
    added: int = 0
    unchanged: int = 0
    # Documents added whose text another document also has: kept apart (a document is
    # its id), told so that a corpus with repeated texts is no surprise.
    shared_text: int = 0
    labelled: dict[str, int] = field(default_factory=dict)
    new_labels: list[str] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)
    # --skip-invalid: what was left out, and the report listing it.
    rejected: list[Rejection] = field(default_factory=list)
    report: Path | None = None

    def describe(self) -> str:
        parts = [f"{self.added} document{'s' if self.added != 1 else ''} added"]
        if self.unchanged:
            parts.append(f"{self.unchanged} already present")
        if self.shared_text:
            parts.append(
                f"{self.shared_text} sharing {'its' if self.shared_text == 1 else 'their'} "
                "text with another document (kept as separate documents)"
            )
        for name, count in sorted(self.labelled.items()):
            parts.append(f"labels for {count} document{'s' if count != 1 else ''} to {name}")
        if self.rejected:
            count = len(self.rejected)
            parts.append(
                f"{count} invalid record{'s' if count != 1 else ''} skipped "
                f"(file, line and reason of each in {self.report})"
            )
        return ", ".join(parts)


@dataclass(frozen=True)
class Rejection:
    """A record --skip-invalid left out: where it is and why."""

    file: str
    line: int | None
    reason: str

    def to_json(self) -> bytes:
        return orjson.dumps({"file": self.file, "line": self.line, "reason": self.reason})


@_bulk()
def import_sources(
    project: Project,
    sources: list[Path],
    fmt: str = "auto",
    annotator: str | None = None,
    progress: Progress | None = None,
    notify: Notify = _ignore_notice,
    offset_unit: Unit | None = None,
    skip_invalid: bool = False,
) -> ImportSummary:
    """Import documents and labels, all or nothing: any bad record leaves the project as it
    was. With ``skip_invalid``, bad records are left out instead and listed in a report
    (see _drop_invalid), and the rest is imported, again all or nothing.

    ``offset_unit`` tells readers of formats that state no span text (doccano) how their
    offsets count, instead of deciding it per document from the spans.
    """
    if annotator is not None:
        check_annotator_name(annotator)
    summary = ImportSummary()
    named: list[tuple[Path, str]] = []
    for source in expand_sources(sources):
        name = detect_format(source) if fmt == "auto" else fmt
        summary.formats[str(source)] = name
        named.append((source, name))
    if not skip_invalid:
        _import_sources(project, named, annotator, progress, notify, summary, None, offset_unit)
    else:
        with tempfile.TemporaryDirectory(prefix="annotator-skip-") as work:
            copies = _CleanCopies(Path(work), offset_unit)
            try:
                cleaned = [
                    (copies.without_invalid(source, name, annotator, summary.rejected), name)
                    for source, name in named
                ]

                def reject(where: str, reason: str) -> None:
                    file, line = _split_where(copies.original(where))
                    summary.rejected.append(Rejection(file, line, copies.original(reason)))

                _import_sources(
                    project,
                    cleaned,
                    annotator,
                    progress,
                    lambda message: notify(copies.original(message)),
                    summary,
                    reject,
                    offset_unit,
                )
            except AnnotatorError as exc:
                raise AnnotatorError(copies.original(str(exc))) from None
        if summary.rejected:
            summary.report = _write_report(project.path, summary.rejected)
    if fmt == "auto":
        # Told only once the import has succeeded: a refused import is one line on stderr.
        for source_name, format_name in summary.formats.items():
            notify(f"{source_name}: detected format {format_name}")
    return summary


def _reader(name: str, offset_unit: Unit | None) -> Any:
    """The format's reader, told how offsets count when the user said so."""
    reader = get_reader(name)
    with_unit = getattr(reader, "with_offset_unit", None)
    if offset_unit is not None and with_unit is not None:
        reader = with_unit(offset_unit)
    return reader


def _import_sources(
    project: Project,
    named: list[tuple[Path, str]],
    annotator: str | None,
    progress: Progress | None,
    notify: Notify,
    summary: ImportSummary,
    reject: Callable[[str, str], None] | None,
    offset_unit: Unit | None = None,
) -> None:
    """import_sources' work; ``reject``, when given, takes the records the project
    refuses (an id already used for another text) instead of refusing the import."""
    readers = [read_chunks(_reader(name, offset_unit), source) for source, name in named]
    chunks: Iterator[ImportChunk] = itertools.chain.from_iterable(readers)

    # Labels wait until every document is in, checked against their texts and encoded as
    # journal lines (a tenth of the memory the models took), one store per annotator,
    # locked from the start: another program holding an annotator's labels, or labels
    # that clash with saved ones, must leave the project as it was.
    prepared: dict[str, tuple[AnnotationStore, dict[str, PreparedLine]]] = {}
    schema = project.schema
    new_labels: dict[str, Category] = {}
    new_relations: set[str] = set()
    renamed: dict[str, str] = {}
    known_labels = set(schema.label_names())
    examples = _ProdigyExamples(project)
    with project.document_batch(progress) as batch:

        def layer(name: str) -> tuple[AnnotationStore, dict[str, PreparedLine]]:
            if name not in prepared:
                prepared[name] = (batch.open_layer(name), {})
            return prepared[name]

        def add_labels(span_labels: Iterable[str], relation_labels: Iterable[str]) -> None:
            for label in dict.fromkeys(span_labels):
                if label not in known_labels and label not in new_labels:
                    new_labels[label] = _guess_category(label)
            for rel_label in relation_labels:
                if schema.relation(rel_label) is None:
                    new_relations.add(rel_label)

        for chunk in chunks:
            if isinstance(chunk, CheckedBatch):
                if _import_batch(chunk, batch, annotator, layer, add_labels):
                    continue
                records: Iterator[ImportRecord] = chunk.records()
            else:
                records = chunk
            for record in records:
                if record.example_key is not None:
                    examples.same_document(record, batch)
                try:
                    batch.add(record.document)
                except AnnotatorError as exc:
                    if reject is None:
                        raise AnnotatorError(f"{record.where}: {exc}") from None
                    reject(record.where, str(exc))
                    continue
                stored_id = batch.last_id
                for notice in record.notices:
                    notify(notice)
                for who, labels in record.labels.items():
                    labels = _usable_label_names(labels, renamed)
                    # --annotator overrides the names a source carries.
                    name = annotator or who or DEFAULT_IMPORT_ANNOTATOR
                    _check_layer_name(name, annotator, record.where)
                    add_labels(_span_labels(labels), _relation_labels(labels))
                    store, lines = layer(name)
                    earlier = lines.get(stored_id)
                    if labels.records is not None and earlier is None and stored_id not in store:
                        # Nothing to merge with, and the reader checked these records against
                        # this very text: written as they are, checked once, no models.
                        status = labels.status or ("in_progress" if labels.records[0] else "todo")
                        lines[stored_id] = store.prepare_checked(
                            stored_id, batch.last_digest, status, labels.note, *labels.records
                        )
                        continue
                    existing = earlier.annotation() if earlier else store.get(stored_id)
                    try:
                        merged = merge_labels(existing, stored_id, batch.last_digest, labels)
                        if existing is not None and _same_labels(existing, merged):
                            continue  # imported again: nothing to write
                        lines[stored_id] = store.prepare(merged, record.document.text)
                    except AnnotatorError as exc:
                        raise AnnotatorError(f"{record.where}: {exc}") from None
        summary.added = batch.counts["added"]
        summary.unchanged = batch.counts["unchanged"]
        summary.shared_text = batch.shared_text
        # Schema and labels are written inside the batch: until it ends (its marker
        # removed, last) a crash or error undoes documents, labels and schema together.
        if new_labels or new_relations:
            schema = _extend_schema(schema, new_labels, new_relations)
            batch.set_schema(schema)
            summary.new_labels = [*new_labels, *sorted(new_relations)]
        for name, (store, lines) in prepared.items():
            try:
                store.append_prepared(list(lines.values()))
            except OSError as exc:
                raise write_error(store.path, exc) from None
            summary.labelled[name] = len(lines)

    for old_name, new_name in renamed.items():
        notify(
            f"label {old_name!r} imported as {new_name!r} (label names cannot hold spaces or commas)"
        )
    if summary.new_labels:
        notify("labels not in the schema were added to it: " + ", ".join(summary.new_labels))


def _check_layer_name(name: str, annotator: str | None, where: str) -> None:
    """An annotator name a source gives (it names a file): refused, with the record's
    file and line, unless it is a plain name; --annotator replaces it."""
    try:
        check_annotator_name(name)
    except AnnotatorError as exc:
        if annotator is not None:
            raise
        raise AnnotatorError(
            f"{where}: {exc}; name another with --annotator NAME to import these labels"
        ) from None


def _split_where(where: str) -> tuple[str, int | None]:
    """A record's "file:line" as (file, line); (where, None) when it names no line."""
    file, _, line = where.rpartition(":")
    if file and line.isdigit():
        return file, int(line)
    return where, None


def _write_report(root: Path, rejected: list[Rejection]) -> Path:
    """The records --skip-invalid left out, one JSON line each, beside the project's files."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    report = root / f"import-report-{stamp}.jsonl"
    number = 1
    while report.exists():
        number += 1
        report = root / f"import-report-{stamp}-{number}.jsonl"
    try:
        report.write_bytes(b"".join(item.to_json() + b"\n" for item in rejected))
    except OSError as exc:
        raise AnnotatorError(
            f"{report}: could not be written ({exc.strerror or exc}); the import itself was "
            f"made, leaving out {len(rejected)} invalid records"
        ) from None
    return report


class _CleanCopies:
    """Sources with their invalid records left out, for --skip-invalid.

    A source is read through (as the import will read it) until it reads without error;
    each error's record is left out of a copy and the copy read again. What can be left
    out: a line of a JSON Lines file (blanked, so that every other line keeps its
    number), or a document of a folder (every file of the folder with its name and
    another suffix: a brat document's .txt and .ann, a text file). An error that names
    neither (a broken JSON array, a file with no line) refuses the import as ever.
    Each error costs a read of the source: meant for the few bad records of a corpus.
    """

    def __init__(self, work: Path, offset_unit: Unit | None = None) -> None:
        self.work = work
        self.offset_unit = offset_unit
        self._copies = 0
        # (copy, original) pairs, to put the original's name in every message.
        self._names: list[tuple[str, str]] = []

    def original(self, text: str) -> str:
        for copy, source in self._names:
            text = text.replace(copy, source)
        return text

    def without_invalid(
        self, source: Path, fmt: str, annotator: str | None, rejected: list[Rejection]
    ) -> Path:
        reader = _reader(fmt, self.offset_unit)
        current = source
        seen: set[tuple[str, int | None]] = set()
        left_out: set[Path] = set()
        while True:
            error = _first_error(reader, current, annotator)
            if error is None:
                return current
            file, line, reason = error
            file = self.original(file)
            reason = self.original(reason)
            if (file, line) in seen:
                raise AnnotatorError(_where(file, line) + f": {reason}")
            seen.add((file, line))
            if source.is_file() and file == str(source) and line is not None:
                if not _json_lines(source):
                    raise AnnotatorError(_where(file, line) + f": {reason}")
                current = self._blank_line(current, source, line)
            elif source.is_dir() and Path(file).is_relative_to(source) and Path(file) != source:
                left_out.add(Path(file).relative_to(source).with_suffix(""))
                current = self._shadow(source, left_out)
            else:
                raise AnnotatorError(_where(file, line) + f": {reason}")
            rejected.append(Rejection(file, line, reason))

    def _new_place(self, source: Path) -> Path:
        self._copies += 1
        place = self.work / str(self._copies) / source.name
        place.parent.mkdir(parents=True)
        self._names.append((str(place), str(source)))
        return place

    def _blank_line(self, current: Path, source: Path, line: int) -> Path:
        lines = current.read_bytes().splitlines(keepends=True)
        lines[line - 1] = b"\n"
        copy = self._new_place(source)
        copy.write_bytes(b"".join(lines))
        return copy

    def _shadow(self, source: Path, left_out: set[Path]) -> Path:
        """The folder as links to its files, without the documents left out."""
        shadow = self._new_place(source)
        shadow.mkdir()
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source)
            if path.is_dir():
                (shadow / relative).mkdir(parents=True, exist_ok=True)
            elif relative.with_suffix("") not in left_out:
                (shadow / relative).parent.mkdir(parents=True, exist_ok=True)
                (shadow / relative).symlink_to(path.resolve())
        return shadow


def _where(file: str, line: int | None) -> str:
    return file if line is None else f"{file}:{line}"


def _json_lines(path: Path) -> bool:
    """Whether the file holds one JSON object a line (the first non-blank line is one)."""
    with open(path, "rb") as handle:
        for raw in handle:
            stripped = raw.strip().removeprefix(b"\xef\xbb\xbf")
            if stripped:
                try:
                    return isinstance(orjson.loads(stripped), dict)
                except orjson.JSONDecodeError:
                    return False
    return False


def _first_error(
    reader: Any, path: Path, annotator: str | None
) -> tuple[str, int | None, str] | None:
    """The first thing the import would refuse in one source, without the project:
    what the reader refuses, annotator names that name no file, span and relation ids
    that do not tie up. (file, line, reason), or None."""
    try:
        for chunk in read_chunks(reader, path):
            if isinstance(chunk, CheckedBatch):
                if not chunk.labelled or annotator is not None or chunk.who is None:
                    continue
                try:
                    check_annotator_name(chunk.who)
                except AnnotatorError:
                    chunk_records: Iterator[ImportRecord] = chunk.records()
                else:
                    continue
            else:
                chunk_records = chunk
            for record in chunk_records:
                for who, labels in record.labels.items():
                    try:
                        _check_layer_name(
                            annotator or who or DEFAULT_IMPORT_ANNOTATOR, annotator, record.where
                        )
                        labels = _usable_label_names(labels, {})
                        merge_labels(None, record.document.id, "", labels)
                    except AnnotatorError as exc:
                        file, line = _split_where(record.where)
                        reason = str(exc).removeprefix(f"{record.where}: ")
                        return file, line, reason
    except InputError as exc:
        return exc.path, exc.line, exc.reason
    except AnnotatorError as exc:
        file, line = _split_where(str(exc).partition(": ")[0])
        return file, line, str(exc).partition(": ")[2] or str(exc)
    return None


class _ProdigyExamples:
    """Prodigy's rule, kept for its files: one ``_input_hash`` is one example, whichever
    file or line holds it (each annotator's copy of a task), so such records take the id
    of the first document with that hash (stored ones keep it in ``meta``). A task without
    one is keyed by its text, as Prodigy would hash it."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._ids: dict[int, str] | None = None
        self._by_text: dict[str, str] = {}

    def same_document(self, record: ImportRecord, batch: DocumentBatch) -> None:
        key = record.example_key
        document = record.document
        if isinstance(key, int):
            known = self._hashes().setdefault(key, document.id)
        else:
            digest = text_hash(document.text)
            known = self._by_text.get(digest) or batch.find_text(document.text) or document.id
            self._by_text.setdefault(digest, known)
        if known != document.id:
            record.document = document.model_copy(update={"id": known})

    def _hashes(self) -> dict[int, str]:
        if self._ids is None:
            self._ids = {}
            for entry in self.project.entries():
                stored = entry.meta.get("_input_hash")
                if isinstance(stored, int) and not isinstance(stored, bool):
                    self._ids.setdefault(stored, entry.id)
        return self._ids


def _import_batch(
    chunk: CheckedBatch,
    batch: DocumentBatch,
    annotator: str | None,
    layer: Callable[[str], tuple[AnnotationStore, dict[str, PreparedLine]]],
    add_labels: Callable[[Iterable[str], Iterable[str]], None],
) -> bool:
    """A reader's checked batch imported in one step, when every one of its documents is
    new and its labels need nothing from the one-by-one path: what that path would do
    for each record, done for all at once. False, with nothing done to the project,
    when the caller must take the records one by one (the outcomes and messages of
    anything unusual are that path's)."""
    if chunk.labelled:
        name = annotator or chunk.who or DEFAULT_IMPORT_ANNOTATOR
        try:
            check_annotator_name(name)
        except AnnotatorError:
            return False
        if not all(map(_LABEL_NAME_OK.match, chunk.span_labels)):
            return False  # renamed, and said so, one by one
        store, lines = layer(name)
        if any(map(store.__contains__, chunk.ids)):
            return False  # labels to merge with
    digests = batch.add_new(chunk.ids, chunk.texts, chunk.metas)
    if digests is None:
        return False
    if not chunk.labelled:
        return True
    add_labels(chunk.span_labels, chunk.relation_labels)
    statuses: list[Status] = [
        status or ("in_progress" if spans else "todo")
        for status, spans in zip(chunk.statuses, chunk.span_counts, strict=True)
    ]
    spans_json, relations_json = chunk.encode()
    # New ids of this import: no earlier line of it can be for them either.
    lines.update(
        zip(
            chunk.ids,
            store.prepare_encoded(
                chunk.ids,
                digests,
                statuses,
                chunk.notes,
                chunk.span_counts,
                chunk.relation_counts,
                spans_json,
                relations_json,
            ),
            strict=True,
        )
    )
    return True


def _span_labels(labels: ImportedLabels) -> Iterator[str]:
    """The spans' labels, from the checked records when the reader kept them."""
    if labels.records is not None:
        return map(_label_key, labels.records[0])
    return map(_label_of, labels.spans)


def _relation_labels(labels: ImportedLabels) -> Iterator[str]:
    if labels.records is not None:
        return map(_label_key, labels.records[1])
    return map(_label_of, labels.relations)


def _usable_label_names(labels: ImportedLabels, renamed: dict[str, str]) -> ImportedLabels:
    """Labels whose names the schema cannot hold (spaces, commas) renamed, and remembered."""
    if all(map(_LABEL_NAME_OK.match, set(_span_labels(labels)))):
        return labels
    spans = []
    for span in labels.spans:
        if not _LABEL_NAME_OK.match(span.label):
            new_name = re.sub(r"[\s,]+", "_", span.label.strip())
            renamed[span.label] = new_name
            span = span.model_copy(update={"label": new_name})
        spans.append(span)
    return ImportedLabels(spans, labels.relations, labels.status, labels.note)


def merge_labels(
    existing: DocumentAnnotation | None, doc_id: str, digest: str, labels: ImportedLabels
) -> DocumentAnnotation:
    """Add imported labels to a document's labels; a span already there is not added twice."""
    if existing is None or (not existing.spans and not existing.relations):
        # The spans and relations are models already: only what ties them together is
        # checked here (the save checks them against the text again).
        annotation = DocumentAnnotation.model_construct(
            doc_id=doc_id,
            text_hash=digest,
            status="todo",
            note=labels.note or (existing.note if existing else ""),
            updated=now_iso(),
            spans=list(labels.spans),
            relations=list(labels.relations),
            provenance={},
        )
        try:
            check_ids(annotation)
        except ValidationError as exc:
            raise AnnotatorError(
                str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            ) from None
        if labels.status is not None:
            annotation.status = labels.status
        elif existing is not None:
            annotation.status = existing.status
        elif labels.spans:
            annotation.status = "in_progress"
        return annotation
    if existing.text_hash and existing.text_hash != digest:
        raise AnnotatorError(f"labels for {doc_id} were made on a different text")
    annotation = existing.model_copy(deep=True)
    id_map: dict[str, str] = {}
    for span in labels.spans:
        same = annotation.find_span(span.start, span.end, span.label)
        if same is not None:
            id_map[span.id] = same.id
            continue
        new_id = span.id if annotation.span(span.id) is None else annotation.next_span_id()
        annotation.add_span(span.model_copy(update={"id": new_id}))
        id_map[span.id] = new_id
    for rel in labels.relations:
        head, tail = id_map[rel.head], id_map[rel.tail]
        if annotation.find_relation(rel.label, head, tail) is not None:
            continue
        new_id = rel.id if annotation.relation(rel.id) is None else annotation.next_relation_id()
        annotation.add_relation(Relation(id=new_id, label=rel.label, head=head, tail=tail))
    if labels.status is not None:
        annotation.status = labels.status
    return annotation


def _same_labels(old: DocumentAnnotation, new: DocumentAnnotation) -> bool:
    return (old.spans, old.relations, old.status, old.note, old.text_hash) == (
        new.spans,
        new.relations,
        new.status,
        new.note,
        new.text_hash,
    )


def _guess_category(label: str) -> Category:
    upper = label.upper()
    for word, category in (("QUOTE", "quote"), ("CLAIM", "claim"), ("SOURCE", "source")):
        if word in upper:
            return category  # type: ignore[return-value]
    return "entity"


def _extend_schema(
    schema: LabelSchema, labels: dict[str, Category], relations: set[str]
) -> LabelSchema:
    from annotator.core.palette import free_hotkey, next_colour

    # Each new label gets the colour most distinct from those already given, and a hotkey
    # no other label or relation uses.
    colours = [label.color for label in schema.labels]
    hotkeys: list[str | None] = [label.hotkey for label in schema.labels]
    hotkeys += [relation.hotkey for relation in schema.relations]
    extra_labels = []
    for name, category in labels.items():
        colour, hotkey = next_colour(colours), free_hotkey(hotkeys, name)
        extra_labels.append(Label(name=name, category=category, color=colour, hotkey=hotkey or ""))
        colours.append(colour)
        hotkeys.append(hotkey)
    extra_relations = [RelationType(name=name) for name in sorted(relations)]
    return LabelSchema(
        labels=[*schema.labels, *extra_labels], relations=[*schema.relations, *extra_relations]
    )


# --- export ------------------------------------------------------------------------------


@dataclass
class ExportSummary:
    documents: int = 0
    spans: int = 0
    relations: int = 0
    skipped_stale: int = 0
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    format: str = ""
    # Documents not exported because nobody labelled them (status todo, no labels) and
    # because an analyst skipped them (without --include-unlabelled).
    unlabelled_left_out: int = 0
    skipped_left_out: int = 0
    # What the exported documents hold that the format cannot carry, with counts: keys of
    # NOT_CARRIED ("relations", "span notes", ...) and "status STATUS" per document status.
    not_carried: dict[str, int] = field(default_factory=dict)

    def left_out_lines(self) -> list[str]:
        """What this export left out, one line each (empty when nothing was)."""
        lines: list[str] = []
        unlabelled = []
        if self.unlabelled_left_out:
            unlabelled.append(f"{self.unlabelled_left_out} unlabelled (status todo, no labels)")
        if self.skipped_left_out:
            unlabelled.append(f"{self.skipped_left_out} skipped")
        if unlabelled:
            lines.append(
                f"not exported: {' and '.join(unlabelled)} documents "
                "(--include-unlabelled exports them too)"
            )
        statuses = [
            f"{count} {key.removeprefix('status ')}"
            for key, count in self.not_carried.items()
            if key.startswith("status ") and count
        ]
        rest = [
            f"{count} {key}"
            for key, count in self.not_carried.items()
            if not key.startswith("status ") and count
        ]
        if statuses:
            rest.insert(0, f"the status of {self.documents} documents ({', '.join(statuses)})")
        if rest:
            lines.append(f"{self.format} cannot carry, so left out: {', '.join(rest)}")
        return lines


# A split's name becomes a file or folder name inside -o: a plain name, never a path.
_SPLIT_NAME_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def parse_split(value: str) -> list[tuple[str, float]]:
    """ "train=0.8,dev=0.1,test=0.1" -> [("train", 0.8), ...]; fractions must add up to 1."""
    parts: list[tuple[str, float]] = []
    for item in value.split(","):
        name, _, fraction = item.partition("=")
        try:
            share = float(fraction)
        except ValueError:
            raise AnnotatorError(f"--split: {item!r} is not NAME=FRACTION") from None
        if not name.strip() or not 0 <= share <= 1:
            raise AnnotatorError(f"--split: {item!r} is not NAME=FRACTION with 0 <= FRACTION <= 1")
        if not _SPLIT_NAME_OK.match(name.strip()):
            raise AnnotatorError(
                f"--split: {name.strip()!r} is not a plain name (letters, digits, - and _)"
            )
        if any(name.strip() == seen for seen, _ in parts):
            raise AnnotatorError(f"--split: {name.strip()!r} is named twice")
        parts.append((name.strip(), share))
    total = sum(share for _, share in parts)
    if abs(total - 1) > 1e-6:
        raise AnnotatorError(f"--split: fractions add up to {total:g}, not 1")
    return parts


def split_of(doc_id: str, split: list[tuple[str, float]]) -> str:
    """The split a document belongs to: decided by a hash of its id, so it never moves."""
    digest = hashlib.sha256(doc_id.encode("utf-8")).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64
    cumulative = 0.0
    for name, share in split:
        cumulative += share
        if point < cumulative:
            return name
    return split[-1][0]


def resolve_export_annotator(project: Project, annotator: str | None, gold: bool) -> str | None:
    if gold:
        if annotator is not None:
            raise AnnotatorError("give either --annotator or --gold, not both")
        return GOLD_ANNOTATOR
    if annotator is not None:
        check_annotator_name(annotator)
        if annotator not in project.annotators():
            raise AnnotatorError(
                f"{project.path}: no labels by {annotator!r}; annotators: "
                + (", ".join(project.annotators()) or "none yet")
            )
        return annotator
    analysts = [name for name in project.annotators() if name != GOLD_ANNOTATOR]
    if len(analysts) > 1:
        raise AnnotatorError(
            f"{project.path}: labels by {', '.join(analysts)}; choose one with --annotator NAME "
            "or export the settled version with --gold"
        )
    return analysts[0] if analysts else None


def export_records(
    project: Project,
    annotator: str | None,
    labels: set[str] | None = None,
    statuses: set[str] | None = None,
    progress: Progress | None = None,
    warn: Notify = _ignore_notice,
    include_unlabelled: bool = True,
    left_out: dict[str, int] | None = None,
) -> Iterator[ExportRecord]:
    """Documents with one layer's labels, filtered; labels made on another text are skipped.

    Without ``include_unlabelled``, documents nobody worked on are left out and counted
    in ``left_out`` ("unlabelled": status todo and no labels; "skipped": status skipped,
    whatever labels it holds), unless ``statuses`` names their status.
    Labels travel as the store's checked records (plain dicts): writers that need
    models get them built on demand (ExportRecord.annotation).
    """
    store = project.annotations(annotator, writable=False) if annotator else None
    # A line sealed for the very text is handed over unparsed; --labels needs the spans.
    sealed = store.sealed_line if store is not None and labels is None else None
    layer = annotator or ""
    counts = left_out if left_out is not None else {}
    named = statuses or set()

    def unwanted(status: str, span_count: int, relation_count: int) -> bool:
        if include_unlabelled or status in named:
            return False
        if status == "skipped":
            counts["skipped"] = counts.get("skipped", 0) + 1
            return True
        if status == "todo" and not span_count and not relation_count:
            counts["unlabelled"] = counts.get("unlabelled", 0) + 1
            return True
        return False

    for fields in project.iter_document_fields(progress):
        doc_id, text, _ = fields
        digest = text_hash(text)
        line = sealed(doc_id, digest) if sealed is not None else None
        if line is not None:
            head = line.head
            status = head["status"]
            if (statuses is None or status in statuses) and not unwanted(
                status, head["counts"][0], head["counts"][1]
            ):
                yield ExportRecord(fields=fields, annotator=layer, line=line)
            continue
        try:
            record = store.get_record(doc_id, text, digest) if store is not None else None
            stale = record is not None and record["text_hash"] not in ("", digest)
        except AnnotationError:
            stale = True
        if stale:
            annotation = store.get(doc_id)  # type: ignore[union-attr]
            problems = annotation.problems_with(text) if annotation else []
            warn((problems or ["labels do not fit the text"])[0] + "; not exported")
            continue
        if record is None:
            record = {
                "doc_id": doc_id,
                "text_hash": digest,
                "status": "todo",
                "note": "",
                "updated": now_iso(),
                "spans": [],
                "relations": [],
                "provenance": {},
            }
        if statuses is not None and record["status"] not in statuses:
            continue
        if unwanted(record["status"], len(record["spans"]), len(record["relations"])):
            continue
        if labels is not None:
            record = filter_record(record, labels)
        yield ExportRecord(fields=fields, annotator=layer, labels=record)


def filter_record(record: dict[str, Any], labels: set[str]) -> dict[str, Any]:
    spans = [span for span in record["spans"] if span["label"] in labels]
    kept = {span["id"] for span in spans}
    relations = [rel for rel in record["relations"] if rel["head"] in kept and rel["tail"] in kept]
    return {**record, "spans": spans, "relations": relations}


def filter_labels(annotation: DocumentAnnotation, labels: set[str]) -> DocumentAnnotation:
    spans = [span for span in annotation.spans if span.label in labels]
    kept = {span.id for span in spans}
    relations = [rel for rel in annotation.relations if rel.head in kept and rel.tail in kept]
    return annotation.model_copy(update={"spans": spans, "relations": relations})


@_bulk()
def export_project(
    project: Project,
    fmt: str,
    out: Path,
    annotator: str | None = None,
    gold: bool = False,
    labels: list[str] | None = None,
    statuses: list[str] | None = None,
    split: str | None = None,
    options: dict[str, object] | None = None,
    progress: Progress | None = None,
    notify: Notify = _ignore_notice,
    include_unlabelled: bool = False,
) -> ExportSummary:
    """Write one layer of labels in ``fmt``: complete, or nothing at all if anything fails.

    Only documents an analyst worked on go out unless ``include_unlabelled`` (see
    :func:`export_records`). A folder output (brat, ``split``) is written whole beside
    ``out`` and swapped in (:class:`~annotator.formats.base.StagedFolder`).
    """
    writer = get_writer(fmt)
    layer = resolve_export_annotator(project, annotator, gold)
    if layer == GOLD_ANNOTATOR and GOLD_ANNOTATOR not in project.annotators():
        raise AnnotatorError(f"{project.path}: no gold labels yet (settle them in review mode)")
    if labels:
        unknown = [name for name in labels if project.schema.label(name) is None]
        if unknown:
            raise AnnotatorError(f"--labels: not in the schema: {', '.join(unknown)}")
    summary = ExportSummary(format=fmt)
    sinks: dict[str, Sink] = {}
    shown: dict[str, Path] = {}
    parts = parse_split(split) if split else None
    opts = dict(options or {})
    if labels:
        # Writers that pick labels by category (bio) take an explicit choice as given.
        opts.setdefault("labels", list(labels))
    not_carried = NOT_CARRIED.get(fmt, ())
    tally = _NotCarriedTally(not_carried)
    left_out: dict[str, int] = {}
    if parts is not None and out.exists() and not out.is_dir() and not out.is_symlink():
        raise AnnotatorError(f"{out}: --split writes a folder, but this is a file")
    staged = StagedFolder(out) if parts is not None else None
    writing = out

    def sink_for(doc_id: str) -> Sink:
        nonlocal writing
        key = split_of(doc_id, parts) if parts else ""
        if key not in sinks:
            name = f"{key}{writer.suffix}"
            shown[key] = out / name if parts else out
            writing = shown[key]
            target = staged.path / name if staged is not None else out
            sinks[key] = writer.open(target, project.schema, opts)
            summary.files.append(shown[key])
        writing = shown[key]
        return sinks[key]

    try:
        if parts is None:
            sink_for("")
        for record in export_records(
            project,
            layer,
            set(labels) if labels else None,
            set(statuses) if statuses else None,
            progress,
            summary.warnings.append,
            include_unlabelled=include_unlabelled,
            left_out=left_out,
        ):
            sink_for(record.doc_id).write(record)
            summary.documents += 1
            summary.spans += record.span_count
            summary.relations += record.relation_count
            if not_carried:
                tally.add(record)
        for key, sink in sinks.items():
            writing = shown[key]
            sink.commit()
        if staged is not None:
            writing = out
            staged.commit()
    except OSError as exc:
        _abort(sinks, staged)
        raise AnnotatorError(_write_failure(writing, exc)) from None
    except BaseException:
        _abort(sinks, staged)
        raise
    summary.unlabelled_left_out = left_out.get("unlabelled", 0)
    summary.skipped_left_out = left_out.get("skipped", 0)
    summary.not_carried = tally.counts
    for sink in sinks.values():
        summary.warnings.extend(sink.warnings)
    for warning in summary.warnings:
        notify(warning)
    return summary


def _abort(sinks: dict[str, Sink], staged: StagedFolder | None) -> None:
    for sink in sinks.values():
        with contextlib.suppress(OSError):
            sink.abort()
    if staged is not None:
        staged.abort()


def _write_failure(where: Path, exc: OSError) -> str:
    """One line for a failed write: the output, the file in it, the system's reason."""
    name = Path(str(exc.filename)).name if exc.filename else ""
    inside = f" {name}" if name and not name.endswith(".tmp") and name != where.name else ""
    return f"{where}: cannot write{inside}: {exc.strerror or exc}; nothing was written"


class _NotCarriedTally:
    """Counts, over the exported documents, what a format cannot carry (NOT_CARRIED)."""

    def __init__(self, kinds: tuple[str, ...]) -> None:
        self.kinds = kinds
        self.counts: dict[str, int] = {}
        self.details = bool({"span notes", "span attributes", "relation notes"} & set(kinds))

    def _bump(self, key: str, count: int) -> None:
        if count:
            self.counts[key] = self.counts.get(key, 0) + count

    def add(self, record: ExportRecord) -> None:
        kinds = self.kinds
        if "relations" in kinds:
            self._bump("relations", record.relation_count)
        status, note = record.status_and_note()
        if "status" in kinds:
            self._bump(f"status {status}", 1)
        if "document notes" in kinds:
            self._bump("document notes", 1 if note else 0)
        if self.details:
            span_notes, span_attrs, relation_notes = record.detail_counts()
            if "span notes" in kinds:
                self._bump("span notes", span_notes)
            if "span attributes" in kinds:
                self._bump("spans with attributes", span_attrs)
            if "relation notes" in kinds:
                self._bump("relation notes", relation_notes)


# --- check -------------------------------------------------------------------------------


def check_project(project: Project) -> list[str]:
    """Every problem found: unreadable lines, labels that do not fit their text, lost ids,
    an import that has not finished."""
    problems = list(project.problems)
    if pending_import(project.path):
        # Its half-written labels are not checked: they would be reported line by line
        # (labels for documents not read), and are undone with the rest of it.
        return [
            f"{project.path}: an import has not finished (it is running, or was killed); "
            "the next program to open the project for writing (any annotator command but "
            "check) undoes it",
            *problems,
        ]
    texts: dict[str, str] = {}
    for name in project.annotators():
        # A store of our own, closed when done: the caller's stores (the window's writable
        # one, a review's cached ones) stay open and untouched.
        with AnnotationStore(project, name, writable=False) as store:
            problems.extend(_check_layer(project, store, texts))
        if len(texts) > 10_000:
            texts.clear()
    return problems


def _check_layer(project: Project, store: AnnotationStore, texts: dict[str, str]) -> list[str]:
    problems = list(store.problems)
    for doc_id in store.doc_ids():
        try:
            annotation = store.get(doc_id)
        except InputError as exc:
            problems.append(str(exc))
            continue
        assert annotation is not None
        if doc_id not in project:
            problems.append(f"{store.path}: labels for unknown document {doc_id!r}")
            continue
        if doc_id not in texts:
            texts[doc_id] = project.get_text(doc_id)
        where = f"{store.path}:{store.summary(doc_id).line}"  # type: ignore[union-attr]
        problems.extend(f"{where}: {p}" for p in annotation.problems_with(texts[doc_id]))
    return problems


def new_document(doc_id: str, text: str, title: str | None = None) -> Document:
    """A document as import would store it (handy for scripts and tests)."""
    from annotator.core.text import first_line_title

    return Document(id=doc_id, text=text, meta={"title": title or first_line_title(text)})


__all__ = [
    "ExportSummary",
    "ImportSummary",
    "Span",
    "check_project",
    "detect_format",
    "export_project",
    "import_sources",
    "parse_split",
    "split_of",
]
