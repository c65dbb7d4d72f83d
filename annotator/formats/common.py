"""Helpers shared by the interchange readers and writers."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from operator import contains, itemgetter
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import orjson

from annotator.core.text import first_line_title
from annotator.formats.base import (
    CheckedBatch,
    ExportRecord,
    ImportChunk,
    ImportRecord,
)

_NOT_NAME = re.compile(r"[^\w.-]+")
# File names Windows refuses whatever the extension.
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(10)),
    *(f"LPT{i}" for i in range(10)),
}


def layer_name(raw: Any) -> str | None:
    """An annotator name (it names a file) made from whatever a source calls its annotator."""
    if raw is None or isinstance(raw, bool):
        return None
    text = str(raw).strip()
    if not text:
        return None
    name = _NOT_NAME.sub("_", text).strip("._-")
    if not name:
        name = "annotator-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    if len(name) > 64 or name.endswith(".lock"):
        name = name[:55].rstrip("._-") + "-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return name


def document_id(value: Any, fallback: str) -> str:
    if isinstance(value, bool) or value is None:
        return fallback
    if isinstance(value, int | str) and str(value).strip():
        return str(value)
    return fallback


def given(item: dict[str, Any], key: str, default: Any) -> Any:
    """``item[key]``, or ``default`` when it is missing or null; unlike ``or``, false, 0
    and "" are kept, for the reader's type check to refuse rather than read as empty."""
    value = item.get(key)
    return default if value is None else value


def texts_kept_as_given(texts: list[Any]) -> bool:
    """Whether a batch lane may take these texts whole: every one a str that import keeps
    as it came (no carriage return to normalise, no byte-order mark to drop)."""
    return (
        set(map(type, texts)) == {str}
        and not any(map(contains, texts, itertools.repeat("\r")))
        and not any(map(str.startswith, texts, itertools.repeat("\ufeff")))
    )


def document_meta(meta: dict[str, Any], text: str, changes: dict[str, Any]) -> dict[str, Any]:
    result = dict(meta)
    result.setdefault("title", first_line_title(text))
    result.update(changes)
    return result


class Tally:
    """Counts of what a reader left out or changed in one file, told once at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, str] = {}

    def add(self, what: str, example: str = "", count: int = 1) -> None:
        if count <= 0:
            return
        self.counts[what] += count
        if example and what not in self.examples:
            self.examples[what] = example

    def notices(self) -> list[str]:
        lines = []
        for what, count in self.counts.items():
            example = self.examples.get(what)
            lines.append(
                f"{self.path}: {count} × {what}" + (f" (first: {example})" if example else "")
            )
        return lines


def with_tally(records: Iterator[ImportRecord], tally: Tally) -> Iterator[ImportRecord]:
    """Pass records on, attaching the tally's notices to the last one of the file."""
    previous: ImportRecord | None = None
    for record in records:
        if previous is not None:
            yield previous
        previous = record
    if previous is not None:
        previous.notices.extend(tally.notices())
        yield previous


# Records a batch holds: enough that the import's work for each batch is small beside
# them, few enough that the records waiting (models, span records) stay a few megabytes:
# 512 news articles took the peak of an import to 4x its file.
BATCH_RECORDS = 64


def batched_records(records: Iterator[ImportRecord], tally: Tally) -> Iterator[ImportChunk]:
    """A reader's records, checked one by one as ever, handed over in batches
    (CheckedBatch) where a stretch of them is alike: documents without labels, or
    documents whose labels are one annotator's checked records. The import then writes
    their documents and labels column by column instead of one record at a time. The
    file's last record always comes alone, carrying the tally's notices, as
    :func:`with_tally` gives it; before a refused record, the records read so far go first.
    """
    pending: list[ImportRecord] = []
    while True:
        try:
            record = next(records, None)
        except Exception:
            yield iter(pending)
            raise
        if record is None:
            break
        pending.append(record)
        if len(pending) > BATCH_RECORDS:
            yield from alike_stretches(pending[:-1])
            del pending[:-1]
    if pending:
        yield from alike_stretches(pending[:-1])
        last = pending[-1]
        last.notices.extend(tally.notices())
        yield iter([last])


def _batch_key(record: ImportRecord) -> tuple[bool, str | None] | None:
    """What a stretch of records alike shares: no labels ``(False, None)``, or one
    annotator's checked records ``(True, who)``; None for a record to take alone."""
    if record.notices or record.example_key is not None:
        return None
    if not record.labels:
        return False, None
    if len(record.labels) != 1:
        return None
    ((who, labels),) = record.labels.items()
    if not labels.fits_text:
        return None
    return True, who


def alike_stretches(records: list[ImportRecord]) -> Iterator[ImportChunk]:
    for key, alike in itertools.groupby(records, _batch_key):
        stretch = list(alike)
        if key is None or len(stretch) < 2:
            yield iter(stretch)
        else:
            yield _batch(stretch, *key)


def _batch(records: list[ImportRecord], labelled: bool, who: str | None) -> CheckedBatch:
    documents = [record.document for record in records]
    ids = [document.id for document in documents]
    texts = [document.text for document in documents]
    metas = [document.meta for document in documents]

    def again() -> Iterator[ImportRecord]:
        return iter(records)

    if not labelled:
        return CheckedBatch(ids, texts, metas, again)
    labels = [record.labels[who] for record in records]
    checked = [found.records for found in labels]
    span_lists = [pair[0] for pair in checked]
    relation_lists = [pair[1] for pair in checked]
    return CheckedBatch(
        ids,
        texts,
        metas,
        again,
        labelled=True,
        who=who,
        statuses=[found.status for found in labels],
        notes=[found.note for found in labels],
        span_counts=list(map(len, span_lists)),
        relation_counts=list(map(len, relation_lists)),
        span_labels=list(dict.fromkeys(span["label"] for spans in span_lists for span in spans)),
        relation_labels=list(
            dict.fromkeys(rel["label"] for rels in relation_lists for rel in rels)
        ),
        encode=lambda: (
            list(map(orjson.dumps, span_lists)),
            list(map(orjson.dumps, relation_lists)),
        ),
    )


def safe_file_stem(doc_id: str, used: set[str]) -> str:
    """A file name for a document id: no path separators, no leading dot, no clash.

    Ids that are already safe keep their name; others get a readable part and a short hash
    of the id, so two ids never share a file even on case-insensitive file systems.
    """
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", doc_id).strip("._-")[:80] or "doc"
    stem = cleaned
    reserved = cleaned.split(".")[0].upper() in _RESERVED
    if cleaned != doc_id or reserved or cleaned.lower() in used:
        stem = f"{cleaned}-{hashlib.sha256(doc_id.encode()).hexdigest()[:10]}"
    number = 2
    base = stem
    while stem.lower() in used:
        stem = f"{base}-{number}"
        number += 1
    used.add(stem.lower())
    return stem


class SpanLike(Protocol):
    """What writers read of a span: a model's Span or a :class:`SpanRow` alike."""

    @property
    def id(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def label(self) -> str: ...
    @property
    def text(self) -> str: ...


class SpanRow(NamedTuple):
    """A span of the store's checked record, as writers read it (what they map of it)."""

    id: str
    start: int
    end: int
    label: str
    text: str
    attrs: dict[str, Any]
    note: str


class RelationRow(NamedTuple):
    id: str
    label: str
    head: str
    tail: str
    note: str


_span_row_values = itemgetter(*SpanRow._fields)
_relation_row_values = itemgetter(*RelationRow._fields)


def span_rows(record: ExportRecord) -> list[SpanRow]:
    """A record's spans as tuples, read from the store's checked record."""
    return list(map(SpanRow._make, map(_span_row_values, record.labels["spans"])))


def relation_rows(record: ExportRecord) -> list[RelationRow]:
    return list(map(RelationRow._make, map(_relation_row_values, record.labels["relations"])))


class EdgeTrimmer:
    """Spans without the whitespace at their edges, for the token-based formats.

    A token never starts or ends with whitespace, so a span that does (imported as drawn,
    often with the space before or after a word) has no tokens that cover exactly it:
    spaCy refuses such entities for training. The token-based writers (Prodigy, spaCy,
    BIO) export the span without that whitespace, and leave out a span of nothing but
    whitespace; both are counted for the export's report.
    """

    def __init__(self) -> None:
        self.trimmed = 0
        self.dropped = 0
        self.trimmed_example = ""
        self.dropped_example = ""

    def trim(self, doc_id: str, text: str, spans: list[SpanRow]) -> tuple[list[SpanRow], set[str]]:
        """The spans without whitespace at their edges, and the ids of those left out
        (nothing but whitespace). Spans without such whitespace come back as they are."""
        if not any(text[s.start].isspace() or text[s.end - 1].isspace() for s in spans):
            return spans, set()
        kept: list[SpanRow] = []
        left_out: set[str] = set()
        for span in spans:
            start, end = span.start, span.end
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start == end:
                left_out.add(span.id)
                self.dropped += 1
                self.dropped_example = self.dropped_example or _example(doc_id, span)
                continue
            if (start, end) != (span.start, span.end):
                self.count_trimmed(_example(doc_id, span))
                span = span._replace(start=start, end=end, text=text[start:end])
            kept.append(span)
        return kept, left_out

    def count_trimmed(self, example: str) -> None:
        self.trimmed += 1
        self.trimmed_example = self.trimmed_example or example

    def report(self, warnings: list[str]) -> None:
        if self.trimmed:
            warnings.append(
                f"{self.trimmed} span(s) started or ended with whitespace "
                f"(first: {self.trimmed_example}); exported without it, as tokens cover them"
            )
        if self.dropped:
            warnings.append(
                f"{self.dropped} span(s) held only whitespace (first: {self.dropped_example}); "
                "left out, as no token covers them"
            )


def _example(doc_id: str, span: SpanLike) -> str:
    return f"document {doc_id} span {span.id} {span.text!r}"
