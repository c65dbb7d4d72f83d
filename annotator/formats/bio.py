"""Hugging Face token classification: JSONL with ``tokens`` and ``ner_tags`` (export only).

    {"id": "doc-1", "tokens": ["Alice", "met", "Bob", "."], "ner_tags": ["B-PERSON", "O", "B-PERSON", "O"]}

Loads with ``datasets.load_dataset("json", data_files=...)``. Tags are strings in the
B-/I-/O scheme. By default only entity-category labels are tagged (claims and quotes are
sentence-long and would swamp the tags); ``--labels`` picks the labels instead. Tokens come
from :mod:`annotator.formats.tokens`, split at span edges so every span is exact. BIO cannot
carry overlapping spans (the longer one is kept and the others reported), relations, or
notes. Spans lose the whitespace at their edges, and a span of only whitespace is left
out (both reported), as no token holds whitespace.
"""

from __future__ import annotations

import re
from itertools import chain, compress, repeat
from operator import le, mul
from pathlib import Path
from typing import Any

import orjson

from annotator.core.models import LabelSchema
from annotator.formats.base import ExportRecord
from annotator.formats.common import EdgeTrimmer, SpanRow, span_rows
from annotator.formats.sinks import AtomicFileSink
from annotator.formats.spacy_docbin import non_overlapping
from annotator.formats.tokens import token_texts, tokens_json


def bio_record(
    record: ExportRecord,
    labels: set[str] | None,
    entity_labels: set[str],
    rows: list[SpanRow] | None = None,
    trimmer: EdgeTrimmer | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """One document's tokens and tags, and what could not be tagged (``trimmer`` counts
    the spans it trims or leaves out)."""
    doc_id, text = record.doc_id, record.text
    wanted = [
        s
        for s in (span_rows(record) if rows is None else rows)
        if (s.label in labels if labels is not None else s.label in entity_labels)
    ]
    wanted, _ = (trimmer or EdgeTrimmer()).trim(doc_id, text, wanted)
    kept, left_out = non_overlapping(wanted)
    problems = [
        f"document {doc_id}: span {s.id} {s.text!r} ({s.label}) overlaps a longer span; not tagged"
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
                f"document {doc_id}: span {span.id} {span.text!r} holds no token; not tagged"
            )
        tokens += inside
        tags += [f"B-{span.label}"] + [f"I-{span.label}"] * (len(inside) - 1) if inside else []
        position = span.end
    rest = token_texts(text, position)
    tokens += rest
    tags += ["O"] * len(rest)
    return {"id": doc_id, "tokens": tokens, "ner_tags": tags}, problems


_OUTSIDE = b'"O",'
_WHITESPACE = re.compile(r"\s")


class _TagBytes(dict[tuple[str, int], bytes]):
    """(label, token count) -> the encoded tags of a span: ``"B-label","I-label",...,``."""

    def __missing__(self, key: tuple[str, int]) -> bytes:
        label, count = key
        tags = orjson.dumps(f"B-{label}") + b"," + (orjson.dumps(f"I-{label}") + b",") * (count - 1)
        if len(self) < 4096:
            self[key] = tags
        return tags


class _Tagged(dict[str, bool]):
    """label -> whether spans with it are tagged (the --labels given, else the entity
    labels and any label missing from the schema: those came from an import)."""

    def __init__(self, labels: set[str] | None, entity_labels: set[str], known: set[str]) -> None:
        super().__init__()
        self.labels = labels
        self.entity_labels = entity_labels
        self.known = known

    def __missing__(self, label: str) -> bool:
        if self.labels is not None:
            tagged = label in self.labels
        else:
            tagged = label in self.entity_labels or label not in self.known
        self[label] = tagged
        return tagged


class BioSink(AtomicFileSink):
    def __init__(self, out: Path, schema: LabelSchema, labels: list[str] | None) -> None:
        super().__init__(out)
        self.labels = set(labels) if labels else None
        # Labels missing from the schema count as entities (they came from an import).
        self.entity_labels = set(schema.names_in("entity"))
        self.known = set(schema.label_names())
        self.problem_count = 0
        self._tags = _TagBytes()
        self._tagged = _Tagged(self.labels, self.entity_labels, self.known)
        self.trimmer = EdgeTrimmer()

    def write(self, record: ExportRecord) -> None:
        edges = record.span_edges()
        line = None if edges is None else self._line(record.doc_id, record.text, edges)
        problems: list[str] = []
        if line is None:
            rows = span_rows(record)
            entity_labels = self.entity_labels | {
                s.label for s in rows if s.label not in self.known
            }
            item, problems = bio_record(record, self.labels, entity_labels, rows, self.trimmer)
            line = orjson.dumps(item) + b"\n"
        self.handle.write(line)
        if problems:
            if self.problem_count < 20:
                self.warnings.extend(problems[: 20 - self.problem_count])
            self.problem_count += len(problems)

    def _line(self, doc_id: str, text: str, edges: list[Any]) -> bytes | None:
        """:func:`bio_record`'s line (with its newline) from the spans' ``start, end,
        label`` (one flat list), written with list-wide operations: tokens from
        :func:`tokens_json`, tags from the token count of each stretch. None, for
        bio_record to write and report, when spans overlap, start or end with whitespace
        or hold no token, or the text is one tokens_json leaves to the plain way."""
        tagged = list(map(self._tagged.__getitem__, edges[2::3]))
        if not all(tagged):
            edges = list(
                compress(edges, chain.from_iterable(zip(tagged, tagged, tagged, strict=True)))
            )
        labels = edges[2::3]
        cuts = edges[:]
        del cuts[2::3]
        if cuts and _WHITESPACE.search(
            "".join(map(text.__getitem__, cuts[0::2]))
            + "".join(map(text.__getitem__, map((-1).__add__, cuts[1::2])))
        ):
            trimmed = self._trimmed(doc_id, text, cuts)
            if trimmed is None:
                return None  # a span of only whitespace: bio_record leaves it out and counts it
            cuts = trimmed
        # Each span ends before the next starts: they are in order and do not overlap.
        if not all(map(le, cuts[1:-1:2], cuts[2::2])):
            # By start (then end, label): equal starts overlap, and go to bio_record anyway.
            rows = sorted(zip(cuts[0::2], cuts[1::2], labels, strict=True))
            cuts = list(chain.from_iterable(row[:2] for row in rows))
            labels = [row[2] for row in rows]
            if not all(map(le, cuts[1:-1:2], cuts[2::2])):
                return None
        found = tokens_json(text, cuts)
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
                orjson.dumps(doc_id),
                b',"tokens":',
                tokens,
                b',"ner_tags":[',
                b"".join(parts)[:-1],
                b"]}\n",
            )
        )

    def _trimmed(self, doc_id: str, text: str, cuts: list[int]) -> list[int] | None:
        """``cuts`` (start, end of each span in turn) without whitespace at the spans'
        edges, as bio_record trims them; None when a span holds nothing but whitespace."""
        trimmed = cuts[:]
        for index in range(0, len(cuts), 2):
            start, end = cuts[index], cuts[index + 1]
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start == end:
                return None
            trimmed[index], trimmed[index + 1] = start, end
        for index in range(0, len(cuts), 2):
            if trimmed[index : index + 2] != cuts[index : index + 2]:
                self.trimmer.count_trimmed(
                    f"document {doc_id} span {text[cuts[index] : cuts[index + 1]]!r}"
                )
        return trimmed

    def finish(self) -> None:
        self.trimmer.report(self.warnings)
        if self.problem_count > 20:
            self.warnings.append(f"... {self.problem_count - 20} more spans not tagged")


class BioWriter:
    name = "bio"
    suffix = ".jsonl"

    def open(self, out: Path, schema: LabelSchema, options: dict[str, Any]) -> BioSink:
        labels = options.get("labels")
        return BioSink(out, schema, list(labels) if isinstance(labels, list | tuple) else None)


writer = BioWriter()
