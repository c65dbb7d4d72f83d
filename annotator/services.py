"""Application services shared by the command line and the GUI: import, export, check.

Pure Python (no Qt): the GUI calls the same functions, with its own progress callback.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

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
    CheckedBatch,
    ExportRecord,
    ImportChunk,
    ImportedLabels,
    ImportRecord,
    Sink,
    get_reader,
    get_writer,
    read_chunks,
)
from annotator.store.journal import AnnotationStore, PreparedLine
from annotator.store.project import GOLD_ANNOTATOR, DocumentBatch, Project, check_annotator_name

Progress = Callable[[int, int | None], None]
Notify = Callable[[str], None]
DEFAULT_IMPORT_ANNOTATOR = "imported"

# Tried in this order by --format auto: the most specific shapes first, plain text last.
AUTO_ORDER = ("brat", "label-studio", "doccano", "prodigy", "native", "text")

_LABEL_NAME_OK = re.compile(r"^[^\s,]+$")
_label_of = attrgetter("label")
_label_key = itemgetter("label")

# Colours for labels that imports add to the schema (Paul Tol's "muted" scheme).
_EXTRA_COLOURS = ("#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#AA4499")


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
    duplicate: int = 0
    labelled: dict[str, int] = field(default_factory=dict)
    new_labels: list[str] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        parts = [f"{self.added} document{'s' if self.added != 1 else ''} added"]
        if self.unchanged:
            parts.append(f"{self.unchanged} already present")
        if self.duplicate:
            parts.append(f"{self.duplicate} skipped as duplicate texts")
        for name, count in sorted(self.labelled.items()):
            parts.append(f"labels for {count} document{'s' if count != 1 else ''} to {name}")
        return ", ".join(parts)


@_bulk()
def import_sources(
    project: Project,
    sources: list[Path],
    fmt: str = "auto",
    annotator: str | None = None,
    progress: Progress | None = None,
    notify: Notify = _ignore_notice,
) -> ImportSummary:
    """Import documents and labels, all or nothing: any bad record leaves the project as it was."""
    if annotator is not None:
        check_annotator_name(annotator)
    summary = ImportSummary()
    readers = []
    for source in expand_sources(sources):
        name = detect_format(source) if fmt == "auto" else fmt
        summary.formats[str(source)] = name
        readers.append(read_chunks(get_reader(name), source))
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
    # What readers left out or changed, told once the import has succeeded: a refused
    # import is one line on stderr, not the notices of the files read before it.
    notices: list[str] = []
    with project.document_batch(progress) as batch:

        def layer(name: str) -> tuple[AnnotationStore, dict[str, PreparedLine]]:
            if name not in prepared:
                prepared[name] = (project.annotations(name), {})
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
                try:
                    batch.add(record.document)
                except AnnotatorError as exc:
                    raise AnnotatorError(f"{record.where}: {exc}") from None
                stored_id = batch.last_id
                notices.extend(record.notices)
                for who, labels in record.labels.items():
                    labels = _usable_label_names(labels, renamed)
                    # --annotator overrides the names a source carries.
                    name = annotator or who or DEFAULT_IMPORT_ANNOTATOR
                    check_annotator_name(name)
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
                        lines[stored_id] = store.prepare(merged, record.document.text)
                    except AnnotatorError as exc:
                        raise AnnotatorError(f"{record.where}: {exc}") from None
        summary.added = batch.counts["added"]
        summary.unchanged = batch.counts["unchanged"]
        summary.duplicate = batch.counts["duplicate"]

    for notice in notices:
        notify(notice)
    for old_name, new_name in renamed.items():
        notify(
            f"label {old_name!r} imported as {new_name!r} (label names cannot hold spaces or commas)"
        )
    if new_labels or new_relations:
        schema = _extend_schema(schema, new_labels, new_relations)
        project.set_schema(schema)
        summary.new_labels = [*new_labels, *sorted(new_relations)]
        notify("labels not in the schema were added to it: " + ", ".join(summary.new_labels))
    for name, (store, lines) in prepared.items():
        store.append_prepared(list(lines.values()))
        summary.labelled[name] = len(lines)
    if fmt == "auto":
        # Told only once the import has succeeded: a refused import is one line on stderr.
        for source_name, format_name in summary.formats.items():
            notify(f"{source_name}: detected format {format_name}")
    return summary


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


def _guess_category(label: str) -> Category:
    upper = label.upper()
    for word, category in (("QUOTE", "quote"), ("CLAIM", "claim"), ("SOURCE", "source")):
        if word in upper:
            return category  # type: ignore[return-value]
    return "entity"


def _extend_schema(
    schema: LabelSchema, labels: dict[str, Category], relations: set[str]
) -> LabelSchema:
    extra_labels = [
        Label(name=name, category=category, color=_EXTRA_COLOURS[i % len(_EXTRA_COLOURS)])
        for i, (name, category) in enumerate(labels.items())
    ]
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
) -> Iterator[ExportRecord]:
    """Documents with one layer's labels, filtered; labels made on another text are skipped.

    Labels travel as the store's checked records (plain dicts): writers that need
    models get them built on demand (ExportRecord.annotation).
    """
    store = project.annotations(annotator, writable=False) if annotator else None
    # A line sealed for the very text is handed over unparsed; --labels needs the spans.
    sealed = store.sealed_line if store is not None and labels is None else None
    layer = annotator or ""
    for fields in project.iter_document_fields(progress):
        doc_id, text, _ = fields
        digest = text_hash(text)
        line = sealed(doc_id, digest) if sealed is not None else None
        if line is not None:
            if statuses is None or line.head["status"] in statuses:
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
) -> ExportSummary:
    """Write one layer of labels in ``fmt``: nothing is left half-written if anything fails."""
    writer = get_writer(fmt)
    layer = resolve_export_annotator(project, annotator, gold)
    if layer == GOLD_ANNOTATOR and GOLD_ANNOTATOR not in project.annotators():
        raise AnnotatorError(f"{project.path}: no gold labels yet (settle them in review mode)")
    if labels:
        unknown = [name for name in labels if project.schema.label(name) is None]
        if unknown:
            raise AnnotatorError(f"--labels: not in the schema: {', '.join(unknown)}")
    summary = ExportSummary()
    sinks: dict[str, Sink] = {}
    parts = parse_split(split) if split else None
    opts = dict(options or {})
    if labels:
        # Writers that pick labels by category (bio) take an explicit choice as given.
        opts.setdefault("labels", list(labels))

    def sink_for(doc_id: str) -> Sink:
        key = split_of(doc_id, parts) if parts else ""
        if key not in sinks:
            target = out / f"{key}{writer.suffix}" if parts else out
            sinks[key] = writer.open(target, project.schema, opts)
            summary.files.append(target)
        return sinks[key]

    try:
        if parts is None:
            sink_for("")
        elif out.exists() and not out.is_dir():
            raise AnnotatorError(f"{out}: --split writes a folder, but this is a file")
        for record in export_records(
            project,
            layer,
            set(labels) if labels else None,
            set(statuses) if statuses else None,
            progress,
            summary.warnings.append,
        ):
            sink_for(record.doc_id).write(record)
            summary.documents += 1
            summary.spans += record.span_count
            summary.relations += record.relation_count
        for sink in sinks.values():
            sink.commit()
    except BaseException:
        for sink in sinks.values():
            sink.abort()
        raise
    for sink in sinks.values():
        summary.warnings.extend(sink.warnings)
    for warning in summary.warnings:
        notify(warning)
    return summary


# --- check -------------------------------------------------------------------------------


def check_project(project: Project) -> list[str]:
    """Every problem found: unreadable lines, labels that do not fit their text, lost ids."""
    problems = list(project.problems)
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
