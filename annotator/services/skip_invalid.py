"""--skip-invalid: copies of the sources without their invalid records, and the report
listing what was left out (file, line, reason)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from annotator.core.errors import AnnotatorError, InputError
from annotator.formats.base import CheckedBatch, ImportRecord, read_chunks
from annotator.formats.offsets import Unit
from annotator.services.labels import (
    DEFAULT_IMPORT_ANNOTATOR,
    check_layer_name,
    merge_labels,
    usable_label_names,
)
from annotator.services.sources import reader_for
from annotator.store.interface import ProjectStore
from annotator.store.names import check_annotator_name
from annotator.store.open import project_folder


@dataclass(frozen=True)
class Rejection:
    """A record --skip-invalid left out: where it is and why."""

    file: str
    line: int | None
    reason: str

    def to_json(self) -> bytes:
        return orjson.dumps({"file": self.file, "line": self.line, "reason": self.reason})


def split_where(where: str) -> tuple[str, int | None]:
    """A record's "file:line" as (file, line); (where, None) when it names no line."""
    file, _, line = where.rpartition(":")
    if file and line.isdigit():
        return file, int(line)
    return where, None


def report_folder(project: ProjectStore) -> Path:
    """Where --skip-invalid's report goes: beside the project's files when the project is
    a folder, else (a database, a project in memory) in the current folder."""
    return project_folder(project) or Path.cwd()


def write_report(root: Path, rejected: list[Rejection]) -> Path:
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


class CleanCopies:
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
        reader = reader_for(fmt, self.offset_unit)
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
                        check_layer_name(
                            annotator or who or DEFAULT_IMPORT_ANNOTATOR, annotator, record.where
                        )
                        labels = usable_label_names(labels, {})
                        merge_labels(None, record.document.id, "", labels)
                    except AnnotatorError as exc:
                        file, line = split_where(record.where)
                        reason = str(exc).removeprefix(f"{record.where}: ")
                        return file, line, reason
    except InputError as exc:
        return exc.path, exc.line, exc.reason
    except AnnotatorError as exc:
        file, line = split_where(str(exc).partition(": ")[0])
        return file, line, str(exc).partition(": ")[2] or str(exc)
    return None
