"""Hugging Face token classification: JSONL with ``tokens`` and ``ner_tags`` (export only).

    {"id": "doc-1", "tokens": ["Alice", "met", "Bob", "."], "ner_tags": ["B-PERSON", "O", "B-PERSON", "O"]}

Loads with ``datasets.load_dataset("json", data_files=...)``. Tags are strings in the
B-/I-/O scheme. By default only entity-category labels are tagged (claims and quotes are
sentence-long and would swamp the tags); ``--labels`` picks the labels instead. Tokens come
from :mod:`annotator.formats.tokens`, split at span edges so every span is exact. BIO cannot
carry overlapping spans (the longer one is kept and the others reported), relations, or
notes; a span holding no token (only whitespace) is reported.
"""

from __future__ import annotations

from itertools import chain, repeat
from operator import itemgetter, le, mul
from pathlib import Path
from typing import Any

import orjson

from annotator.core.models import LabelSchema
from annotator.formats.base import AtomicFileSink, ExportRecord
from annotator.formats.common import SpanRow, span_rows
from annotator.formats.spacy_docbin import non_overlapping
from annotator.formats.tokens import token_texts, tokens_json


def bio_record(
    record: ExportRecord,
    labels: set[str] | None,
    entity_labels: set[str],
    rows: list[SpanRow] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """One document's tokens and tags, and what could not be tagged."""
    document = record.document
    text = document.text
    wanted = [
        s
        for s in (span_rows(record) if rows is None else rows)
        if (s.label in labels if labels is not None else s.label in entity_labels)
    ]
    kept, left_out = non_overlapping(wanted)
    problems = [
        f"document {document.id}: span {s.id} {s.text!r} ({s.label}) overlaps a longer span; not tagged"
        for s in left_out
    ]
    tokens: list[str] = []
    tags: list[str] = []
    position = 0
    # Kept spans do not overlap: tokenize the stretches between and inside them in turn.
    for span in kept:
        outside = token_texts(text, position, span.start)
        tokens += outside
        tags += ["O"] * len(outside)
        inside = token_texts(text, span.start, span.end)
        if not inside:
            problems.append(
                f"document {document.id}: span {span.id} {span.text!r} holds no token; not tagged"
            )
        tokens += inside
        tags += [f"B-{span.label}"] + [f"I-{span.label}"] * (len(inside) - 1) if inside else []
        position = span.end
    rest = token_texts(text, position)
    tokens += rest
    tags += ["O"] * len(rest)
    return {"id": document.id, "tokens": tokens, "ner_tags": tags}, problems


_label_of = itemgetter("label")
_row_of = itemgetter("start", "end", "label")
_OUTSIDE = b'"O",'


class _TagBytes(dict[tuple[str, int], bytes]):
    """(label, token count) -> the encoded tags of a span: ``"B-label","I-label",...,``."""

    def __missing__(self, key: tuple[str, int]) -> bytes:
        label, count = key
        tags = orjson.dumps(f"B-{label}") + b"," + (orjson.dumps(f"I-{label}") + b",") * (count - 1)
        if len(self) < 4096:
            self[key] = tags
        return tags


class BioSink(AtomicFileSink):
    def __init__(self, out: Path, schema: LabelSchema, labels: list[str] | None) -> None:
        super().__init__(out)
        self.labels = set(labels) if labels else None
        # Labels missing from the schema count as entities (they came from an import).
        self.entity_labels = set(schema.names_in("entity"))
        self.known = set(schema.label_names())
        self.problem_count = 0
        self._tags = _TagBytes()

    def write(self, record: ExportRecord) -> None:
        spans = record.span_records()
        line = None if spans is None else self._line(record, spans)
        problems: list[str] = []
        if line is None:
            rows = span_rows(record)
            entity_labels = self.entity_labels | {
                s.label for s in rows if s.label not in self.known
            }
            item, problems = bio_record(record, self.labels, entity_labels, rows)
            line = orjson.dumps(item)
        self.handle.write(line + b"\n")
        if problems:
            if self.problem_count < 20:
                self.warnings.extend(problems[: 20 - self.problem_count])
            self.problem_count += len(problems)

    def _line(self, record: ExportRecord, spans: list[dict[str, Any]]) -> bytes | None:
        """:func:`bio_record`'s line, written with list-wide operations: tokens from
        :func:`tokens_json`, tags from the token count of each stretch. None, for
        bio_record to write and report, when spans overlap or hold no token, or the text
        is one tokens_json leaves to the plain way."""
        rows = list(map(_row_of, spans))
        wanted_labels = self.labels
        names = set(map(_label_of, spans))
        if wanted_labels is None:
            unknown = names - self.known
            wanted_labels = self.entity_labels | unknown if unknown else self.entity_labels
        if not wanted_labels.issuperset(names):
            rows = [row for row in rows if row[2] in wanted_labels]
        # By start (then end, label): equal starts overlap, and go to bio_record anyway.
        rows.sort()
        starts, ends, labels = zip(*rows, strict=True) if rows else ((), (), ())
        if not all(map(le, ends[:-1], starts[1:])):
            return None
        found = tokens_json(record.text, list(chain.from_iterable(zip(starts, ends, strict=True))))
        if found is None:
            return None
        tokens, counts = found
        inside = counts[1::2]
        if 0 in inside:
            return None
        parts: list[bytes] = [b""] * len(counts)
        parts[0::2] = map(mul, repeat(_OUTSIDE), counts[0::2])
        parts[1::2] = map(self._tags.__getitem__, zip(labels, inside, strict=True))
        return b"".join(
            (
                b'{"id":',
                orjson.dumps(record.doc_id),
                b',"tokens":',
                tokens,
                b',"ner_tags":[',
                b"".join(parts)[:-1],
                b"]}",
            )
        )

    def finish(self) -> None:
        if self.problem_count > 20:
            self.warnings.append(f"... {self.problem_count - 20} more spans not tagged")


class BioWriter:
    name = "bio"
    suffix = ".jsonl"

    def open(self, out: Path, schema: LabelSchema, options: dict[str, Any]) -> BioSink:
        labels = options.get("labels")
        return BioSink(out, schema, list(labels) if isinstance(labels, list | tuple) else None)


writer = BioWriter()
