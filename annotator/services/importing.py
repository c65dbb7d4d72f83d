"""Import: documents and labels into a project, all or nothing."""

from __future__ import annotations

import functools
import itertools
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from annotator.core.bulk import no_gc
from annotator.core.errors import AnnotatorError
from annotator.core.models import Category, Document, Status, text_hash
from annotator.formats.base import (
    CheckedBatch,
    CheckedLabels,
    ImportChunk,
    ImportRecord,
    read_chunks,
)
from annotator.formats.offsets import Unit
from annotator.services.labels import (
    DEFAULT_IMPORT_ANNOTATOR,
    LABEL_NAME_OK,
    check_layer_name,
    extend_schema,
    guess_category,
    merge_labels,
    relation_labels,
    same_labels,
    span_labels,
    usable_label_names,
)
from annotator.services.progress import Notify, Progress, ignore_notice
from annotator.services.skip_invalid import (
    CleanCopies,
    Rejection,
    report_folder,
    split_where,
    write_report,
)
from annotator.services.sources import detect_format, expand_sources, reader_for
from annotator.store.interface import ImportBatch, ImportLayer, PreparedLabels, ProjectStore
from annotator.store.names import check_annotator_name


@dataclass
class ImportSummary:
    added: int = 0
    unchanged: int = 0
    # Documents added whose text another document also has: kept apart (a document is
    # its id), told so that a corpus with repeated texts is no surprise.
    shared_text: int = 0
    labelled: dict[str, int] = field(default_factory=dict)
    new_labels: list[str] = field(default_factory=list)
    # Document categories the import added to the schema, with the choices it added.
    new_categories: dict[str, list[str]] = field(default_factory=dict)
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


@no_gc()
def import_sources(
    project: ProjectStore,
    sources: list[Path],
    fmt: str = "auto",
    annotator: str | None = None,
    progress: Progress | None = None,
    notify: Notify = ignore_notice,
    offset_unit: Unit | None = None,
    skip_invalid: bool = False,
) -> ImportSummary:
    """Import documents and labels, all or nothing: any bad record leaves the project as it
    was. With ``skip_invalid``, bad records are left out instead and listed in a report
    (see skip_invalid.CleanCopies), and the rest is imported, again all or nothing.

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
            copies = CleanCopies(Path(work), offset_unit)
            try:
                cleaned = [
                    (copies.without_invalid(source, name, annotator, summary.rejected), name)
                    for source, name in named
                ]

                def reject(where: str, reason: str) -> None:
                    file, line = split_where(copies.original(where))
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
            summary.report = write_report(report_folder(project), summary.rejected)
    if fmt == "auto":
        # Told only once the import has succeeded: a refused import is one line on stderr.
        for source_name, format_name in summary.formats.items():
            notify(f"{source_name}: detected format {format_name}")
    return summary


def _import_sources(
    project: ProjectStore,
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
    readers = [read_chunks(reader_for(name, offset_unit), source) for source, name in named]
    chunks: Iterator[ImportChunk] = itertools.chain.from_iterable(readers)
    run = _ImportRun(project, annotator, reject)
    with project.import_batch(progress) as batch:
        for chunk in chunks:
            run.add_chunk(batch, chunk)
        summary.added = batch.counts["added"]
        summary.unchanged = batch.counts["unchanged"]
        summary.shared_text = batch.shared_text
        # Schema and labels are written inside the batch: until it ends (its marker
        # removed, last) a crash or error undoes documents, labels and schema together.
        run.write(batch, summary)
    run.tell(notify, summary)


class _ImportRun:
    """One import between reading and writing.

    Labels wait until every document is in, checked against their texts and encoded as
    journal lines (a tenth of the memory the models took), one store per annotator,
    locked from the start: another program holding an annotator's labels, or labels
    that clash with saved ones, must leave the project as it was.
    """

    def __init__(
        self,
        project: ProjectStore,
        annotator: str | None,
        reject: Callable[[str, str], None] | None,
    ) -> None:
        self.annotator = annotator
        self.reject = reject
        self.prepared: dict[str, tuple[ImportLayer, dict[str, PreparedLabels]]] = {}
        self.schema = project.schema
        self.new_labels: dict[str, Category] = {}
        self.new_relations: set[str] = set()
        self.renamed: dict[str, str] = {}
        self.known_labels = set(self.schema.label_names())
        # Categories and choices the schema lacks: name -> (choices, chosen several at once).
        self.new_cats: dict[str, tuple[list[str], bool]] = {}
        self.examples = _ProdigyExamples(project)
        # What readers left out or changed, told once the import has succeeded: a refused
        # import is one line on stderr, not the notices of the files read before it.
        self.notices: list[str] = []

    def layer(self, batch: ImportBatch, name: str) -> tuple[ImportLayer, dict[str, PreparedLabels]]:
        if name not in self.prepared:
            self.prepared[name] = (batch.open_layer(name), {})
        return self.prepared[name]

    def add_labels(self, span_names: Iterable[str], relation_names: Iterable[str]) -> None:
        """Labels the schema lacks, remembered to add them to it."""
        for label in dict.fromkeys(span_names):
            if label not in self.known_labels and label not in self.new_labels:
                self.new_labels[label] = guess_category(label)
        for rel_label in relation_names:
            if self.schema.relation(rel_label) is None:
                self.new_relations.add(rel_label)

    def add_chunk(self, batch: ImportBatch, chunk: ImportChunk) -> None:
        if isinstance(chunk, CheckedBatch):
            layer = functools.partial(self.layer, batch)
            if _import_batch(chunk, batch, self.annotator, layer, self.add_labels):
                return
            records: Iterator[ImportRecord] = chunk.records()
        else:
            records = chunk
        for record in records:
            self.add_record(batch, record)

    def add_record(self, batch: ImportBatch, record: ImportRecord) -> None:
        if record.example_key is not None:
            self.examples.same_document(record, batch)
        try:
            batch.add(record.document)
        except AnnotatorError as exc:
            if self.reject is None:
                raise AnnotatorError(f"{record.where}: {exc}") from None
            self.reject(record.where, str(exc))
            return
        self.notices.extend(record.notices)
        for who, labels in record.labels.items():
            self.add_record_labels(batch, record, who, labels)

    def add_record_labels(
        self, batch: ImportBatch, record: ImportRecord, who: str | None, labels: CheckedLabels
    ) -> None:
        """One source annotator's labels for the document just added to ``batch``."""
        stored_id = batch.last_id
        labels = usable_label_names(labels, self.renamed)
        # --annotator overrides the names a source carries.
        name = self.annotator or who or DEFAULT_IMPORT_ANNOTATOR
        check_layer_name(name, self.annotator, record.where)
        self.add_labels(span_labels(labels), relation_labels(labels))
        if labels.cats:
            self.add_cats(labels.cats, record.where)
        store, lines = self.layer(batch, name)
        earlier = lines.get(stored_id)
        if labels.fits_text and not labels.cats and earlier is None and stored_id not in store:
            # Nothing to merge with, and the reader checked these records against
            # this very text: written as they are, checked once, no models.
            status = labels.status or ("in_progress" if labels.records[0] else "todo")
            lines[stored_id] = store.prepare_checked(
                stored_id, batch.last_digest, status, labels.note, *labels.records
            )
            return
        existing = earlier.annotation() if earlier else store.get(stored_id)
        try:
            merged = merge_labels(existing, stored_id, batch.last_digest, labels)
            if labels.cats:
                # Choices added to saved ones: a single-choice category must still hold one.
                self.add_cats(merged.cats)  # the error gets the record's place below
            if existing is not None and same_labels(existing, merged):
                return  # imported again: nothing to write
            lines[stored_id] = store.prepare(merged, record.document.text)
        except AnnotatorError as exc:
            raise AnnotatorError(f"{record.where}: {exc}") from None

    def add_cats(self, cats: dict[str, list[str]], where: str = "") -> None:
        """Categories and choices the schema lacks, remembered to add them to it; several
        choices in a category the schema says takes one are refused."""
        for name, chosen in cats.items():
            category = self.schema.category(name)
            extra, several = self.new_cats.get(name, ([], False))
            known = category.choices if category is not None else []
            extra += [choice for choice in chosen if choice not in known and choice not in extra]
            if category is not None and not category.multiple and len(chosen) > 1:
                raise AnnotatorError(
                    f"{where + ': ' if where else ''}category {name!r} takes one choice, "
                    f"not {len(chosen)} ({', '.join(chosen)})"
                )
            self.new_cats[name] = (extra, several or len(chosen) > 1)

    def write(self, batch: ImportBatch, summary: ImportSummary) -> None:
        """The schema's new labels and every layer's prepared lines, into the batch."""
        new_cats = {name: added for name, added in self.new_cats.items() if added[0]}
        if self.new_labels or self.new_relations or new_cats:
            self.schema = extend_schema(self.schema, self.new_labels, self.new_relations, new_cats)
            batch.set_schema(self.schema)
            summary.new_labels = [*self.new_labels, *sorted(self.new_relations)]
            summary.new_categories = {name: choices for name, (choices, _) in new_cats.items()}
        for name, (store, lines) in self.prepared.items():
            try:
                store.append_prepared(list(lines.values()))
            except OSError as exc:
                raise AnnotatorError(
                    f"{store.location}: could not be written ({exc.strerror or exc}); "
                    "the import was undone and the project is as it was"
                ) from None
            summary.labelled[name] = len(lines)

    def tell(self, notify: Notify, summary: ImportSummary) -> None:
        for notice in self.notices:
            notify(notice)
        for old_name, new_name in self.renamed.items():
            notify(
                f"label {old_name!r} imported as {new_name!r} "
                "(label names cannot hold spaces or commas)"
            )
        if summary.new_labels:
            notify("labels not in the schema were added to it: " + ", ".join(summary.new_labels))
        if summary.new_categories:
            added = [f"{name} ({', '.join(c)})" for name, c in summary.new_categories.items()]
            notify("document categories not in the schema were added to it: " + "; ".join(added))


class _ProdigyExamples:
    """Prodigy's rule, kept for its files: one ``_input_hash`` is one example, whichever
    file or line holds it (each annotator's copy of a task), so such records take the id
    of the first document with that hash (stored ones keep it in ``meta``). A task without
    one is keyed by its text, as Prodigy would hash it."""

    def __init__(self, project: ProjectStore) -> None:
        self.project = project
        self._ids: dict[int, str] | None = None
        self._by_text: dict[str, str] = {}

    def same_document(self, record: ImportRecord, batch: ImportBatch) -> None:
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
    batch: ImportBatch,
    annotator: str | None,
    layer: Callable[[str], tuple[ImportLayer, dict[str, PreparedLabels]]],
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
        if not all(map(LABEL_NAME_OK.match, chunk.span_labels)):
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


def new_document(doc_id: str, text: str, title: str | None = None) -> Document:
    """A document as import would store it (handy for scripts and tests)."""
    from annotator.core.text import first_line_title

    return Document(id=doc_id, text=text, meta={"title": title or first_line_title(text)})
