"""Offsets as other tools count them, converted to and from ours (code points of the stored text).

Measured in each tool's sources and trackers:

- Prodigy and spaCy: Python string indices (code points).
- doccano: JavaScript string indices, i.e. UTF-16 code units (doccano/doccano#2290, #2484),
  unless a project counts grapheme clusters, which no export records.
- Label Studio: code points since label-studio-frontend#308 (its test "Should calculate
  offsets by code points in text"); releases before it wrote UTF-16 units (#1347).
- brat: characters of the .txt as its Python server reads them (code points), but its
  browser client counts UTF-16 units after an astral character (nlplab/brat#1115).

Every source keeps its own line endings in the offsets (``\\r\\n`` counts two), while we
store ``\\n``: :class:`SourceText` converts both ways. Where a span states its text (Label
Studio, brat), the unit is chosen per document by which reading makes every span match.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import ge, sub
from typing import Any, Literal

from annotator.core.models import Span
from annotator.core.records import build_all
from annotator.core.text import normalize_newlines, strip_bom

Unit = Literal["codepoint", "utf16"]
UNIT_NAMES: dict[Unit, str] = {"codepoint": "code points", "utf16": "UTF-16 code units"}
# Written as "not in the BMP": sre scans a negated range about ten times faster than the
# range [\U00010000-\U0010ffff] (13 µs against 130 µs an article), and finds the same.
_ASTRAL = re.compile("[^\x00-\uffff]")


class OffsetError(ValueError):
    """An offset that cannot be converted (outside the text, or inside a surrogate pair)."""


def has_astral(text: str) -> bool:
    """Whether any character lies beyond U+FFFF, the only ones UTF-16 counts twice.

    ``isascii`` answers at once for most documents; for the rest, one regular-expression
    search (``max(text)`` compares one character object at a time, and encoding to
    UTF-16 copies the text: both several times slower on an article)."""
    return not text.isascii() and _ASTRAL.search(text) is not None


class Utf16Map:
    """Converts between code-point and UTF-16 offsets of one text."""

    def __init__(self, text: str) -> None:
        self.length = len(text)
        # Code-point index of every astral character, and where it starts in UTF-16.
        if not has_astral(text):
            self.astral: list[int] = []
        else:
            self.astral = [match.start() for match in _ASTRAL.finditer(text)]
        self._astral_units = [cp + i for i, cp in enumerate(self.astral)]

    @property
    def identity(self) -> bool:
        return not self.astral

    def to_utf16(self, offset: int) -> int:
        return offset + bisect.bisect_left(self.astral, offset)

    def from_utf16(self, unit: int) -> int:
        before = bisect.bisect_left(self._astral_units, unit)
        if before and self._astral_units[before - 1] + 1 == unit:
            raise OffsetError(f"UTF-16 offset {unit} falls inside a surrogate pair")
        return unit - before

    def utf16_length(self) -> int:
        return self.length + len(self.astral)


@dataclass
class RawSpan:
    """A span as a source states it, before conversion: offsets in the source's own units."""

    start: Any
    end: Any
    label: Any
    pointer: str  # JSON path or line, for messages: "spans[3]", "T4"
    id: str
    text: str | None = None  # the text the source says the span covers, when it says
    attrs: dict[str, Any] = field(default_factory=dict)
    note: str = ""


class SourceText:
    """A document text as a source holds it, and as we store it (BOM dropped, newlines \\n)."""

    def __init__(self, original: str) -> None:
        self.original, self.had_bom = strip_bom(original)
        # The source's offsets count the byte-order marks we drop (one unit each, in code
        # points and in UTF-16 alike).
        self.bom = len(original) - len(self.original)
        self.text, self.newlines, self.newline_map = normalize_newlines(self.original)
        self._utf16: Utf16Map | None = None

    @property
    def utf16(self) -> Utf16Map:
        if self._utf16 is None:
            self._utf16 = Utf16Map(self.original)
        return self._utf16

    def to_stored(self, offset: int, unit: Unit) -> int:
        """A source offset (into the original text, in ``unit``) as an offset into ``text``.

        An offset inside the leading byte-order marks means the start of the text.
        """
        given = offset
        if offset >= 0:
            offset = max(offset - self.bom, 0)
        if unit == "utf16":
            offset = self.utf16.from_utf16(offset)
        if not 0 <= offset <= len(self.original):
            length = len(self.original) + self.bom
            raise OffsetError(f"offset {given} is outside the text (length {length})")
        return self.newline_map.to_normalized(offset)

    def meta(self) -> dict[str, Any]:
        """What import changed, recorded in the document's meta."""
        meta: dict[str, Any] = {}
        if self.newlines:
            meta["newlines"] = self.newlines
        if self.had_bom:
            meta["bom"] = True
        return meta


class UnitUnknown(ValueError):
    """Offsets that could count either unit, and no span tells which."""


@dataclass
class SpanColumns:
    """A document's spans as a source gives them, one list per field (a doccano reader
    fills them with a few whole-list operations), and the same spans as :class:`RawSpan`
    on demand, for the messages of anything wrong with them."""

    starts: list[Any]
    ends: list[Any]
    labels: list[Any]
    ids: list[str]
    raws: Callable[[], Sequence[RawSpan]]

    @classmethod
    def of(cls, raws: Sequence[RawSpan]) -> SpanColumns:
        return cls(
            [raw.start for raw in raws],
            [raw.end for raw in raws],
            [raw.label for raw in raws],
            [raw.id for raw in raws],
            lambda: raws,
        )


def place_unstated_spans(
    source: SourceText,
    columns: SpanColumns,
    unit: Unit | None,
    fail: Callable[[str], Exception],
) -> tuple[list[dict[str, Any]], Unit | None]:
    """Span records (as :func:`place_span_records` makes them) for offsets given without
    the text they cover (doccano), counted in ``unit`` or, when None, in the unit the
    spans tell; returns the unit so decided when the two readings differ, else None.

    Only a character beyond U+FFFF before a span makes code points and UTF-16 units
    differ (``has_astral``, the cheap test, skips the rest for almost every document).
    Then a reading is out when an offset falls outside the text or inside a surrogate
    pair (the other one is taken if it puts some span after the astral character on word
    boundaries). When both are possible, every span they place differently votes for the
    reading under which it starts and ends on word boundaries (not inside a word, not on
    a space, not punctuation alone) while it does not under the other; a unanimous vote decides, anything else
    (no vote, or votes both ways) raises :class:`UnitUnknown`.
    """
    starts, ends, labels = columns.starts, columns.ends, columns.labels
    # Whole-list checks (no bool, which is an int too): any failure, and place_span_records
    # names the span and what is wrong with it.
    if not (
        set(map(type, starts)) <= {int}
        and set(map(type, ends)) <= {int}
        and set(map(type, labels)) <= {str}
        and all(map(str.strip, labels))
    ):
        return place_span_records(source, columns.raws(), (unit or "codepoint",), fail)[0], None
    decided: Unit | None = None
    placed = None
    if unit is None and not source.utf16.identity:
        by_codepoints = _stored_spans(source, starts, ends, "codepoint")
        by_units = _stored_spans(source, starts, ends, "utf16")
        text = source.text
        if by_codepoints is None or by_units is None:
            if by_codepoints is None and by_units is None:
                # Neither fits: place_span_records names the first span that does not.
                place_span_records(source, columns.raws(), ("utf16", "codepoint"), fail)
            decided = "utf16" if by_codepoints is None else "codepoint"
            placed = by_units if by_codepoints is None else by_codepoints
            assert placed is not None
            # The one possible reading still needs a span after the astral character on
            # word boundaries; else the other reading's error is the one to tell.
            astral = _ASTRAL.search(text)
            after = astral.start() if astral else len(text)
            if not any(
                _on_boundaries(text, start, end)
                for start, end in zip(*placed, strict=True)
                if end > after
            ):
                other: Unit = "codepoint" if decided == "utf16" else "utf16"
                place_span_records(source, columns.raws(), (other,), fail)
        elif by_codepoints == by_units:
            placed = by_codepoints
        else:
            # Each span placed differently votes for the reading that puts it on word
            # boundaries when the other does not; the vote must be unanimous.
            votes = _votes(text, by_codepoints, by_units)
            if len(votes) != 1:
                raise UnitUnknown(
                    "offsets could count code points or UTF-16 units (a character beyond "
                    "U+FFFF, such as an emoji, comes before a span, and no span tells which)"
                )
            decided = "codepoint" if votes == {1} else "utf16"
            placed = by_codepoints if votes == {1} else by_units
    else:
        placed = _stored_spans(source, starts, ends, unit or "codepoint")
    if placed is None:
        chosen: Unit = unit or decided or "codepoint"
        return place_span_records(source, columns.raws(), (chosen,), fail)[0], None
    text = source.text
    records = [
        {
            "id": span_id,
            "start": start,
            "end": end,
            "label": label.strip(),
            "text": text[start:end],
            "attrs": {},
            "note": "",
        }
        for span_id, start, end, label in zip(columns.ids, *placed, labels, strict=True)
    ]
    return records, decided


def _stored_spans(
    source: SourceText, starts: list[int], ends: list[int], unit: Unit
) -> tuple[list[int], list[int]] | None:
    """:meth:`SourceText.to_stored` of every start and end, as whole lists; None when an
    offset cannot be converted or a span would be empty (place_span_records says why)."""
    converted = []
    for values in (starts, ends):
        if source.bom:
            values = [max(value - source.bom, 0) if value >= 0 else value for value in values]
        if unit == "utf16" and not source.utf16.identity:
            positions = source.utf16._astral_units
            if not {position + 1 for position in positions}.isdisjoint(values):
                return None  # inside a surrogate pair
            values = list(map(sub, values, map(bisect.bisect_left, repeat(positions), values)))
        if values and (min(values) < 0 or max(values) > len(source.original)):
            return None
        removed = source.newline_map.removed
        if removed:
            values = list(map(sub, values, map(bisect.bisect_left, repeat(removed), values)))
        converted.append(values)
    if any(map(ge, *converted)):
        return None
    return converted[0], converted[1]


def _votes(
    text: str, by_codepoints: tuple[list[int], list[int]], by_units: tuple[list[int], list[int]]
) -> set[int]:
    """The votes of the spans the two readings place differently: 1 for code points,
    -1 for UTF-16 units (see place_unstated_spans); a span that looks marked by a person
    under both readings or neither does not vote."""
    votes = set()
    on_boundaries = _on_boundaries
    for cp_start, cp_end, unit_start, unit_end in zip(*by_codepoints, *by_units, strict=True):
        if cp_start != unit_start or cp_end != unit_end:
            votes.add(
                on_boundaries(text, cp_start, cp_end) - on_boundaries(text, unit_start, unit_end)
            )
    votes.discard(0)
    return votes


def _on_boundaries(text: str, start: int, end: int) -> bool:
    """Whether a span looks like one a person marked: not starting or ending on a space,
    not cutting a word, and holding a letter or digit (not punctuation alone)."""
    if text[start].isspace() or text[end - 1].isspace():
        return False
    if start and text[start - 1].isalnum() and text[start].isalnum():
        return False
    if end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        return False
    return text[start].isalnum() or any(map(str.isalnum, text[start:end]))


def _flat(text: str) -> str:
    return text.replace("\n", " ").replace("\t", " ")


def _same_text(stated: str, covered: str, loose_whitespace: bool) -> bool:
    if "\r" in stated:
        stated = normalize_newlines(stated)[0]
    if stated == covered:
        return True
    if loose_whitespace:
        # brat writes a span's text on one tab-separated line: newlines and tabs become spaces.
        return _flat(stated) == _flat(covered)
    return False


def place_spans(
    source: SourceText,
    raws: Sequence[RawSpan],
    units: Sequence[Unit],
    fail: Callable[[str], Exception],
    loose_whitespace: bool = False,
) -> tuple[list[Span], Unit]:
    """:func:`place_span_records`, as Span models."""
    records, unit = place_span_records(source, raws, units, fail, loose_whitespace)
    return build_all(Span, records), unit


def place_span_records(
    source: SourceText,
    raws: Sequence[RawSpan],
    units: Sequence[Unit],
    fail: Callable[[str], Exception],
    loose_whitespace: bool = False,
) -> tuple[list[dict[str, Any]], Unit]:
    """Turn a document's raw spans into span records over the stored text, every Span
    field in field order, each checked as the model checks it except for unique ids.

    ``units`` lists how the source may count, most likely first; the first reading under
    which every span is inside the text and covers the text it states wins. ``fail`` makes
    the exception for a message (it names file and line). Spans whose text disagrees
    under every reading refuse the document.
    """
    for raw in raws:
        for name in ("start", "end"):
            value = getattr(raw, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise fail(f"{raw.pointer}: {name} must be an integer, not {value!r}")
        if not isinstance(raw.label, str) or not raw.label.strip():
            raise fail(f"{raw.pointer}: label must be a non-empty string, not {raw.label!r}")
    first_error = ""
    for number, unit in enumerate(units):
        if number and source.utf16.identity:
            break  # without astral characters every unit reads the same
        spans, error = _try_unit(source, raws, unit, loose_whitespace)
        if not error:
            return spans, unit
        first_error = first_error or error
    raise fail(first_error)


def _try_unit(
    source: SourceText, raws: Sequence[RawSpan], unit: Unit, loose_whitespace: bool
) -> tuple[list[dict[str, Any]], str]:
    spans: list[dict[str, Any]] = []
    text = source.text
    # Code points of a text stored as it came (no BOM, no newline converted): an offset
    # inside the text is the stored one (what to_stored says, without its steps).
    length = len(source.original) if unit == "codepoint" and not source.bom else -1
    if source.newline_map.removed:
        length = -1
    for raw in raws:
        start, end = raw.start, raw.end
        if not (0 <= start <= length and 0 <= end <= length):
            try:
                start = source.to_stored(raw.start, unit)
                end = source.to_stored(raw.end, unit)
            except OffsetError as exc:
                return [], f"{raw.pointer} [{raw.start}, {raw.end}): {exc}"
        if start >= end:
            return [], (
                f"{raw.pointer} [{raw.start}, {raw.end}) is empty or reversed"
                + (" (it covers only a line break)" if raw.start < raw.end else "")
            )
        covered = text[start:end]
        stated = raw.text
        if (
            stated is not None
            and stated != covered
            and not _same_text(stated, covered, loose_whitespace)
        ):
            return [], (
                f"{raw.pointer} says {raw.text!r} but the text at [{raw.start}, {raw.end}) "
                f"({UNIT_NAMES[unit]}) is {covered!r}"
            )
        # Every field is checked above (range, text == the slice, label non-empty): a
        # record, and a model only if asked, built without validating again.
        spans.append(
            {
                "id": raw.id,
                "start": start,
                "end": end,
                "label": raw.label.strip(),
                "text": covered,
                "attrs": raw.attrs,
                "note": raw.note,
            }
        )
    return spans, ""


def drop_duplicate_records(
    spans: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], dict[str, str], int]:
    """:func:`drop_duplicate_spans` for span records."""
    seen: dict[tuple[int, int, str], str] = {}
    kept: list[dict[str, Any]] = []
    alias: dict[str, str] = {}
    for span in spans:
        key = (span["start"], span["end"], span["label"])
        if key in seen:
            alias[span["id"]] = seen[key]
            continue
        seen[key] = span["id"]
        alias[span["id"]] = span["id"]
        kept.append(span)
    return kept, alias, len(spans) - len(kept)


def drop_duplicate_spans(spans: list[Span]) -> tuple[list[Span], dict[str, str], int]:
    """Spans with the same start, end and label kept once; returns the id each dropped one maps to."""
    seen: dict[tuple[int, int, str], str] = {}
    kept: list[Span] = []
    alias: dict[str, str] = {}
    for span in spans:
        key = (span.start, span.end, span.label)
        if key in seen:
            alias[span.id] = seen[key]
            continue
        seen[key] = span.id
        alias[span.id] = span.id
        kept.append(span)
    return kept, alias, len(spans) - len(kept)
