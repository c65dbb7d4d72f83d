"""doccano's columnar lane: a chunk of a JSON Lines file's records read and checked all
at once, column by column, into the rows the one-record path (``doccano._parts``) makes.

It only says yes to a chunk whose every record that path would take without a doubt:
a text stored as it came (no byte-order mark, no carriage return), spans as entity
objects with numbers or as ``[start, end, label]`` triples, each document's offset
unit decided as ``offsets.place_unstated_spans`` decides it, no span listed twice, and
relations between its spans. Anything else (a blank or broken line, a unit it cannot
decide, a missing entity) is left to that path, which takes it or names what is wrong.
"""

from __future__ import annotations

import bisect
import itertools
from itertools import repeat
from operator import add, contains, itemgetter, lt, methodcaller, ne, or_, sub
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from annotator.core.text import TITLE_LIMIT, first_line_title
from annotator.formats.base import CheckedLabels
from annotator.formats.common import Tally, document_id, texts_kept_as_given
from annotator.formats.compiled import compiled_offsets
from annotator.formats.offsets import _ASTRAL, UNIT_NAMES, Unit, _on_boundaries, has_astral

LABEL_KEYS = ("label", "labels")
# Bytes of lines read and checked at once (about 20 news articles).
CHUNK_BYTES = 1 << 17

# A row: the document's id, text and meta, its "file:line", its labels.


class EncodedLabels(NamedTuple):
    """A document's labels as the lane checked them: its span records as the JSON array
    orjson writes of them (every Span field, in order), their labels, and its relation
    records. An import writes the array as it is; a CheckedLabels is made of it only
    when a record is asked for (a batch the import takes one record at a time)."""

    spans_json: bytes
    span_labels: list[str]
    relations: list[dict[str, Any]]

    def checked(self) -> CheckedLabels:
        return CheckedLabels(orjson.loads(self.spans_json), self.relations)


Row = tuple[str, str, dict[str, Any], str, CheckedLabels | EncodedLabels | None]

_BOM = b"\xef\xbb\xbf"
_DICT = {dict}
_STR = {str}
_LIST = {list}
_INT = {int}
_get: Any = dict.get
_START = methodcaller("get", "start_offset")
_END = methodcaller("get", "end_offset")
_LABEL = methodcaller("get", "label")
_ID = methodcaller("get", "id")
_FROM = methodcaller("get", "from_id")
_TO = methodcaller("get", "to_id")
_TYPE = methodcaller("get", "type")
_first_part = itemgetter(0)
_second_part = itemgetter(1)
_third_part = itemgetter(2)
_SPAN_ID = "T{}".format
_RELATION_ID = "R{}".format


def record_meta(item: dict[str, Any], text_key: str, label_key: str | None) -> dict[str, Any]:
    """A record's fields that are neither its text nor its labels, with its own meta,
    and a text-classification project's labels as ``cats``."""
    skip = {text_key, "id", "meta", "entities", "relations", "cats", *LABEL_KEYS}
    if label_key:
        skip.add(label_key)
    own_meta = item.get("meta")
    meta = {k: v for k, v in item.items() if k not in skip}
    if isinstance(own_meta, dict):
        meta.update(own_meta)
    return meta


def has_cats(item: dict[str, Any]) -> bool:
    """Whether a record carries document categories (``cats``, or a text-classification
    project's ``label`` list of names), which only the one-record path reads."""
    if item.get("cats") not in (None, []):
        return True
    for key in LABEL_KEYS:
        value = item.get(key)
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return True
    return False


def is_triples(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, list) and len(item) == 3 and isinstance(item[2], str) for item in value
    )


def triples_key(item: dict[str, Any]) -> str | None:
    """The key of a record's ``[start, end, label]`` list, when it has no entities."""
    for key in LABEL_KEYS:
        if key in item and is_triples(item[key]):
            return key
    return None


def checked_rows(
    path: Path, lines: list[bytes], first_line: int, tally: Tally, unit: Unit | None
) -> tuple[list[Row], str | None] | None:
    """The rows of these lines (``first_line`` the number of ``lines[0]``), and the
    label column of the first record (see ``doccano._columns``), when every record is
    one the one-record path takes without a doubt (see the module); the tally gets what
    that path would tell of them, in its order. None, with nothing told, otherwise."""
    if first_line == 1:
        lines = [lines[0].removeprefix(_BOM), *lines[1:]]
    line_numbers: range | list[int] = range(first_line, first_line + len(lines))
    if any(map(bytes.isspace, lines)) or b"" in lines:
        kept = [
            (number, line) for number, line in zip(line_numbers, lines, strict=True) if line.strip()
        ]
        line_numbers = [number for number, _ in kept]
        lines = [line for _, line in kept]
    if not lines:
        return [], None
    try:
        items = list(map(orjson.loads, lines))
    except orjson.JSONDecodeError:
        return None
    if any(isinstance(item, dict) and has_cats(item) for item in items):
        return None
    try:
        return _checked(path, items, list(line_numbers), tally, unit)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        # An unhashable value where a label should be, and the like.
        return None


def _checked(
    path: Path, items: list[Any], line_numbers: list[int], tally: Tally, unit: Unit | None
) -> tuple[list[Row], str | None] | None:
    if set(map(type, items)) != _DICT:
        return None
    texts: list[str] = list(map(_get, items, repeat("text")))
    if not texts_kept_as_given(texts):
        return None
    label_key, span_lists = _span_lists(items)
    made = _spans(texts, span_lists, unit)
    if made is None:
        return None
    spans_json, span_labels, ids, decided = made
    bounds = list(itertools.accumulate(map(len, span_lists), initial=0))
    relation_lists = list(map(_get, items, repeat("relations")))
    relations = _relations(relation_lists, ids, bounds)
    if relations is None:
        return None

    wheres = [f"{path}:{number}" for number in line_numbers]
    stem = path.stem
    raw_ids = list(map(_get, items, repeat("id")))
    doc_ids = list(map(document_id, raw_ids, [f"{stem}-{number}" for number in line_numbers]))
    metas = [record_meta(item, "text", key) for item, key in zip(items, label_key, strict=True)]
    titles = list(map(str.strip, map(_first_part, map(str.partition, texts, repeat("\n")))))
    if "" in titles or max(map(len, titles)) > TITLE_LIMIT:
        titles = [
            title if title and len(title) <= TITLE_LIMIT else first_line_title(text)
            for title, text in zip(titles, texts, strict=True)
        ]
    doc_metas = list(map(dict, metas))
    list(map(dict.setdefault, doc_metas, repeat("title"), titles))

    # What the one-record path tells, record by record, in its order.
    for where, unit_told in zip(wheres, decided, strict=True):
        if unit_told is not None:
            tally.add(
                f"document whose offsets count {UNIT_NAMES[unit_told]} (told by its spans)", where
            )

    rows: list[Row] = []
    for number, text in enumerate(texts):
        low, high = bounds[number], bounds[number + 1]
        document_relations = relations[number]
        if low == high and not relation_lists[number]:
            rows.append((doc_ids[number], text, doc_metas[number], wheres[number], None))
            continue
        rows.append(
            (
                doc_ids[number],
                text,
                doc_metas[number],
                wheres[number],
                EncodedLabels(spans_json[number], span_labels[low:high], document_relations),
            )
        )
    return rows, label_key[0]


def _span_lists(items: list[dict[str, Any]]) -> tuple[list[str | None], list[list[Any]]]:
    """Each record's label column and its span list (in ``entities``, or in the label
    column of a record without entities)."""
    entity_lists = list(map(_get, items, repeat("entities")))
    keys: list[str | None] = [
        "entities" if type(entities) is list else triples_key(item)
        for item, entities in zip(items, entity_lists, strict=True)
    ]
    span_lists: list[list[Any]] = [
        entities if key == "entities" else item[key] if key else []
        for item, entities, key in zip(items, entity_lists, keys, strict=True)
    ]
    return keys, span_lists


# Each document's span records (as JSON), all spans' labels and ids, each document's unit
# when its spans told it.
SpanRecords = tuple[list[bytes], list[str], list[str], list[Unit | None]]


def _spans(texts: list[str], span_lists: list[list[Any]], unit: Unit | None) -> SpanRecords | None:
    """Each document's span records (as JSON), all spans' labels and ids, and each
    document's unit when its spans told it, when every record's spans are read, placed and checked without a
    doubt (see the module); None otherwise. Compiled (_offsets.c) where it is built."""
    compiled = compiled_offsets()
    if compiled is None:
        return _spans_python(texts, span_lists, unit)
    made = compiled.doccano_spans(texts, span_lists, _UNIT_CODES[unit])
    if made is None:
        return None
    spans_json, labels, ids, told = made
    return spans_json, labels, ids, list(map(_TOLD.__getitem__, told))


# The units as _offsets numbers them.
_UNIT_CODES: dict[Unit | None, int] = {None: 0, "codepoint": 1, "utf16": 2}
_TOLD: tuple[Unit | None, ...] = (None, "codepoint", "utf16")


def _spans_python(
    texts: list[str], span_lists: list[list[Any]], unit: Unit | None
) -> SpanRecords | None:
    columns = _span_columns(span_lists)
    if columns is None:
        return None
    starts, ends, labels, ids = columns
    if not (
        set(map(type, starts)) <= _INT
        and set(map(type, ends)) <= _INT
        and set(map(type, labels)) <= _STR
        and all(map(str.strip, labels))
    ):
        return None
    counts = list(map(len, span_lists))
    bounds = list(itertools.accumulate(counts, initial=0))
    placed = _placed(texts, bounds, starts, ends, unit)
    if placed is None:
        return None
    placed_starts, placed_ends, decided = placed
    labels = list(map(str.strip, labels))
    owners = list(itertools.chain.from_iterable(map(repeat, range(len(texts)), counts)))
    if len(set(zip(owners, placed_starts, placed_ends, labels, strict=True))) != len(labels):
        return None  # a span listed twice: dropped, and told, one record at a time
    if len(set(zip(owners, ids, strict=True))) != len(ids):
        return None  # two entities under one id: the models refuse them
    records = [
        [
            {
                "id": span_id,
                "start": start,
                "end": end,
                "label": label,
                "text": text[start:end],
                "attrs": {},
                "note": "",
            }
            for span_id, start, end, label in zip(
                ids[low:high],
                placed_starts[low:high],
                placed_ends[low:high],
                labels[low:high],
                strict=True,
            )
        ]
        for text, (low, high) in zip(texts, itertools.pairwise(bounds), strict=True)
    ]
    return list(map(orjson.dumps, records)), labels, ids, decided


def _span_columns(
    span_lists: list[list[Any]],
) -> tuple[list[Any], list[Any], list[Any], list[str]] | None:
    """All spans' starts, ends, labels and ids, one list each, as
    ``doccano._entity_columns`` and ``_triple_columns`` read them: each record's spans
    all entity objects with numbers or all ``[start, end, label]`` lists; None for
    anything else."""
    spans = list(itertools.chain.from_iterable(span_lists))
    kinds = set(map(type, spans))
    if kinds == _LIST or not spans:
        if spans and set(map(len, spans)) != {3}:
            return None
        places = map(range, repeat(1), [len(found) + 1 for found in span_lists])
        return (
            list(map(_first_part, spans)),
            list(map(_second_part, spans)),
            list(map(_third_part, spans)),
            list(map(_SPAN_ID, itertools.chain.from_iterable(places))),
        )
    if kinds == _DICT:
        numbers = list(map(_ID, spans))
        if not set(map(type, numbers)) <= _INT:
            return None
        return (
            list(map(_START, spans)),
            list(map(_END, spans)),
            list(map(_LABEL, spans)),
            list(map(_SPAN_ID, numbers)),
        )
    if kinds != {dict, list}:
        return None
    # Some records with entity objects, others with lists: each record's alike.
    ids: list[str] = []
    for found in span_lists:
        if not found:
            continue
        kind = set(map(type, found))
        if kind == _DICT:
            numbers = list(map(_ID, found))
            if not set(map(type, numbers)) <= _INT:
                return None
            ids += map(_SPAN_ID, numbers)
        elif kind == _LIST and set(map(len, found)) == {3}:
            ids += map(_SPAN_ID, range(1, len(found) + 1))
        else:
            return None
    return (
        [span[0] if type(span) is list else span.get("start_offset") for span in spans],
        [span[1] if type(span) is list else span.get("end_offset") for span in spans],
        [span[2] if type(span) is list else span.get("label") for span in spans],
        ids,
    )


def _placed(
    texts: list[str], bounds: list[int], starts: list[int], ends: list[int], unit: Unit | None
) -> tuple[list[int], list[int], list[Unit | None]] | None:
    """Every span's stored start and end, and each document's unit when its spans told it
    (``place_unstated_spans``'s answer for each document), or None when any document's
    spans are not placed without a doubt."""
    placed_starts: list[int] = []
    placed_ends: list[int] = []
    decided: list[Unit | None] = []
    for number, text in enumerate(texts):
        low, high = bounds[number], bounds[number + 1]
        if low == high:
            decided.append(None)
            continue
        doc_starts, doc_ends = starts[low:high], ends[low:high]
        length = len(text)
        by_codepoints = _fits(doc_starts, doc_ends, length)
        if unit == "codepoint" or not has_astral(text):
            if by_codepoints is None:
                return None
            placed, told = by_codepoints, None
        else:
            by_units = _by_units(text, doc_starts, doc_ends, length)
            if unit == "utf16":
                if by_units is None:
                    return None
                placed, told = by_units, None
            else:
                decision = _decided(text, by_codepoints, by_units)
                if decision is None:
                    return None
                placed, told = decision
        placed_starts += placed[0]
        placed_ends += placed[1]
        decided.append(told)
    return placed_starts, placed_ends, decided


Placed = tuple[list[int], list[int]]


def _fits(starts: list[int], ends: list[int], length: int) -> Placed | None:
    """The offsets as they are, when every span is inside the text and not empty."""
    if min(starts) < 0 or min(ends) < 0 or max(starts) > length or max(ends) > length:
        return None
    if not all(map(lt, starts, ends)):
        return None
    return starts, ends


def _by_units(text: str, starts: list[int], ends: list[int], length: int) -> Placed | None:
    """The offsets read as UTF-16 units, in code points (``offsets._stored_spans``)."""
    # Where each astral character starts in UTF-16 units: the text between them, two
    # units for each one before (whole lists, not a match object per character).
    between = list(map(len, _ASTRAL.split(text)))
    between.pop()
    positions = list(map(add, itertools.accumulate(between), range(0, 2 * len(between), 2)))
    inside = {position + 1 for position in positions}
    if not inside.isdisjoint(starts) or not inside.isdisjoint(ends):
        return None
    converted = [
        list(map(sub, values, map(bisect.bisect_left, repeat(positions), values)))
        for values in (starts, ends)
    ]
    return _fits(converted[0], converted[1], length)


def _decided(
    text: str, by_codepoints: Placed | None, by_units: Placed | None
) -> tuple[Placed, Unit | None] | None:
    """What ``place_unstated_spans`` places and tells for a text with an astral character
    when no unit is named, or None wherever it would refuse (it says why)."""
    if by_codepoints is None or by_units is None:
        if by_codepoints is None and by_units is None:
            return None
        told: Unit = "utf16" if by_codepoints is None else "codepoint"
        placed = by_units if by_codepoints is None else by_codepoints
        assert placed is not None
        astral = _ASTRAL.search(text)
        after = astral.start() if astral else len(text)
        if not any(
            _on_boundaries(text, start, end)
            for start, end in zip(*placed, strict=True)
            if end > after
        ):
            return None
        return placed, told
    if by_codepoints == by_units:
        return by_codepoints, None
    votes = set(
        map(
            sub,
            _boundaries(text, *_differing(by_codepoints, by_units)),
            _boundaries(text, *_differing(by_units, by_codepoints)),
        )
    )
    votes.discard(0)
    if len(votes) != 1:
        return None
    return (by_codepoints, "codepoint") if votes == {1} else (by_units, "utf16")


def _differing(placed: Placed, other: Placed) -> Placed:
    """The spans of ``placed`` that ``other`` places elsewhere."""
    starts, ends = placed
    moved = list(map(or_, map(ne, starts, other[0]), map(ne, ends, other[1])))
    return list(itertools.compress(starts, moved)), list(itertools.compress(ends, moved))


def _boundaries(text: str, starts: list[int], ends: list[int]) -> list[bool]:
    """``offsets._on_boundaries`` of every span, its characters picked out as whole lists.

    The text between two line breaks: a span at its start or end sees a line break
    beside it, which is no letter, as ``_on_boundaries`` treats the text's ends."""
    padded = "\n" + text + "\n"
    char = padded.__getitem__
    one = repeat(1)
    firsts = list(map(char, map(add, starts, one)))
    lasts = list(map(char, ends))
    first_words = list(map(str.isalnum, firsts))
    last_words = list(map(str.isalnum, lasts))
    before_words = map(str.isalnum, map(char, starts))
    after_words = map(str.isalnum, map(char, map(add, ends, one)))
    return [
        not first.isspace()
        and not last.isspace()
        and not (before and first_word)
        and not (last_word and after)
        and (first_word or any(map(str.isalnum, text[start:end])))
        for first, last, first_word, last_word, before, after, start, end in zip(
            firsts,
            lasts,
            first_words,
            last_words,
            before_words,
            after_words,
            starts,
            ends,
            strict=True,
        )
    ]


def _relations(
    relation_lists: list[Any], span_ids: list[str], bounds: list[int]
) -> list[list[dict[str, Any]]] | None:
    """Each document's relation records (``doccano._relations``), when every relation is
    an object between two of its document's spans, with a type, under its own id."""
    types = set(map(type, relation_lists))
    if not types <= {list, type(None)}:
        return None
    lists: list[list[Any]] = [value or [] for value in relation_lists]
    counts = list(map(len, lists))
    flat = list(itertools.chain.from_iterable(lists))
    if not flat:
        return lists
    if set(map(type, flat)) != _DICT:
        return None
    heads = list(map(_SPAN_ID, map(_FROM, flat)))
    tails = list(map(_SPAN_ID, map(_TO, flat)))
    kinds = list(map(_TYPE, flat))
    if not all(kinds):
        kinds = [kind or relation.get("label") for kind, relation in zip(kinds, flat, strict=True)]
    if set(map(type, kinds)) != _STR or not all(map(str.strip, kinds)):
        return None
    owners = list(itertools.chain.from_iterable(map(repeat, range(len(lists)), counts)))
    id_sets = [set(span_ids[low:high]) for low, high in itertools.pairwise(bounds)]
    owner_sets = list(map(id_sets.__getitem__, owners))
    if not all(map(contains, owner_sets, heads)) or not all(map(contains, owner_sets, tails)):
        return None
    relation_ids = [
        _RELATION_ID(relation.get("id", index))
        for found in lists
        for index, relation in enumerate(found)
    ]
    if len(set(zip(owners, relation_ids, strict=True))) != len(relation_ids):
        return None
    records = [
        {"id": rel_id, "label": kind, "head": head, "tail": tail, "note": ""}
        for rel_id, kind, head, tail in zip(relation_ids, kinds, heads, tails, strict=True)
    ]
    relation_bounds = list(itertools.accumulate(counts, initial=0))
    return [records[low:high] for low, high in itertools.pairwise(relation_bounds)]
