"""Export: one layer of labels in an interchange format, filtered, optionally split."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.core.bulk import no_gc
from annotator.core.errors import AnnotatorError
from annotator.core.models import DocumentAnnotation, now_iso
from annotator.core.splits import split_of
from annotator.formats.base import NOT_CARRIED, ExportRecord, Sink, get_writer
from annotator.formats.sinks import StagedFolder
from annotator.services.progress import Notify, Progress, ignore_notice
from annotator.store.interface import ProjectStore
from annotator.store.names import GOLD_ANNOTATOR, check_annotator_name


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


def resolve_export_annotator(
    project: ProjectStore, annotator: str | None, gold: bool
) -> str | None:
    if gold:
        if annotator is not None:
            raise AnnotatorError("give either --annotator or --gold, not both")
        return GOLD_ANNOTATOR
    if annotator is not None:
        check_annotator_name(annotator)
        if annotator not in project.annotators():
            raise AnnotatorError(
                f"{project.location}: no labels by {annotator!r}; annotators: "
                + (", ".join(project.annotators()) or "none yet")
            )
        return annotator
    analysts = [name for name in project.annotators() if name != GOLD_ANNOTATOR]
    if len(analysts) > 1:
        raise AnnotatorError(
            f"{project.location}: labels by {', '.join(analysts)}; choose one with --annotator NAME "
            "or export the settled version with --gold"
        )
    return analysts[0] if analysts else None


def export_records(
    project: ProjectStore,
    annotator: str | None,
    labels: set[str] | None = None,
    statuses: set[str] | None = None,
    progress: Progress | None = None,
    warn: Notify = ignore_notice,
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
    layer = annotator or ""
    counts = left_out if left_out is not None else {}
    named = statuses or set()

    def unwanted(status: str, span_count: int, relation_count: int, cats: Any = None) -> bool:
        if include_unlabelled or status in named:
            return False
        if status == "skipped":
            counts["skipped"] = counts.get("skipped", 0) + 1
            return True
        if status == "todo" and not span_count and not relation_count and not cats:
            counts["unlabelled"] = counts.get("unlabelled", 0) + 1
            return True
        return False

    # A record sealed for the very text is handed over unparsed; --labels needs the spans.
    for fields, digest, sealed, record, problem in project.export_rows(
        annotator, progress, sealed=labels is None
    ):
        if sealed is not None:
            head = sealed.head
            status = head["status"]
            if (statuses is None or status in statuses) and not unwanted(
                status, head["counts"][0], head["counts"][1], head.get("cats")
            ):
                yield ExportRecord(fields=fields, annotator=layer, line=sealed)
            continue
        if problem is not None:
            warn(problem + "; not exported")
            continue
        if record is None:
            record = {
                "doc_id": fields[0],
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
        if unwanted(
            record["status"], len(record["spans"]), len(record["relations"]), record.get("cats")
        ):
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


@no_gc()
def export_project(
    project: ProjectStore,
    fmt: str,
    out: Path,
    annotator: str | None = None,
    gold: bool = False,
    labels: list[str] | None = None,
    statuses: list[str] | None = None,
    split: str | None = None,
    options: dict[str, object] | None = None,
    progress: Progress | None = None,
    notify: Notify = ignore_notice,
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
        raise AnnotatorError(f"{project.location}: no gold labels yet (settle them in review mode)")
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
        if "document categories" in kinds:
            self._bump("document categories", sum(map(len, record.cats().values())))
        if self.details:
            span_notes, span_attrs, relation_notes = record.detail_counts()
            if "span notes" in kinds:
                self._bump("span notes", span_notes)
            if "span attributes" in kinds:
                self._bump("spans with attributes", span_attrs)
            if "relation notes" in kinds:
                self._bump("relation notes", relation_notes)
