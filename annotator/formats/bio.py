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

from itertools import chain, compress, repeat
from operator import add, itemgetter, le, mul, sub
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
_start_of = itemgetter("start")
_end_of = itemgetter("end")
_OUTSIDE = b'"O",'


class _TagBytes(dict[str, tuple[bytes, bytes]]):
    """Label -> the encoded ``"B-label",`` and ``"I-label",`` (made once per label)."""

    def __missing__(self, label: str) -> tuple[bytes, bytes]:
        tags = (orjson.dumps(f"B-{label}") + b",", orjson.dumps(f"I-{label}") + b",")
        self[label] = tags
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
        if line is None:
            rows = span_rows(record)
            entity_labels = self.entity_labels | {
                s.label for s in rows if s.label not in self.known
            }
            item, problems = bio_record(record, self.labels, entity_labels, rows)
            line = orjson.dumps(item), problems
        self.handle.write(line[0] + b"\n")
        problems = line[1]
        if problems:
            if self.problem_count < 20:
                self.warnings.extend(problems[: 20 - self.problem_count])
            self.problem_count += len(problems)

    def _line(
        self, record: ExportRecord, spans: list[dict[str, Any]]
    ) -> tuple[bytes, list[str]] | None:
        """:func:`bio_record`'s line, written with list-wide operations: tokens from
        :func:`tokens_json`, tags from the token count of each stretch. None when the
        spans overlap or the text is one tokens_json leaves to the plain way."""
        names = list(map(_label_of, spans))
        wanted_labels = self.labels
        if wanted_labels is None:
            unknown = set(names) - self.known
            wanted_labels = self.entity_labels | unknown if unknown else self.entity_labels
        if wanted_labels.issuperset(names):
            wanted = sorted(spans, key=_start_of)
        else:
            wanted = sorted(compress(spans, map(wanted_labels.__contains__, names)), key=_start_of)
        starts = list(map(_start_of, wanted))
        ends = list(map(_end_of, wanted))
        if not all(map(le, ends[:-1], starts[1:])):
            return None  # overlapping spans: bio_record picks and reports them
        found = tokens_json(record.text, list(chain.from_iterable(zip(starts, ends, strict=True))))
        if found is None:
            return None
        tokens, counts = found
        inside = counts[1::2]
        tags = list(map(self._tags.__getitem__, map(_label_of, wanted)))
        problems: list[str] = []
        if 0 in inside:
            runs = []
            for span, (first, rest), count in zip(wanted, tags, inside, strict=True):
                if count:
                    runs.append(first + rest * (count - 1))
                else:
                    runs.append(b"")
                    problems.append(
                        f"document {record.doc_id}: span {span['id']} {span['text']!r} "
                        "holds no token; not tagged"
                    )
        else:
            firsts, rests = zip(*tags, strict=True) if tags else ((), ())
            runs = list(map(add, firsts, map(mul, rests, map(sub, inside, repeat(1)))))
        parts: list[bytes] = [b""] * len(counts)
        parts[0::2] = map(mul, repeat(_OUTSIDE), counts[0::2])
        parts[1::2] = runs
        tagged = b"".join(parts)
        line = b"".join(
            (
                b'{"id":',
                orjson.dumps(record.doc_id),
                b',"tokens":',
                tokens,
                b',"ner_tags":[',
                tagged[:-1],
                b"]}",
            )
        )
        return line, problems

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
