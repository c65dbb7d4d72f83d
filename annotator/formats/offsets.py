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
from typing import Any, Literal

from annotator.core.models import Span
from annotator.core.records import build_all
from annotator.core.text import normalize_newlines, strip_bom

Unit = Literal["codepoint", "utf16"]
UNIT_NAMES: dict[Unit, str] = {"codepoint": "code points", "utf16": "UTF-16 code units"}
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class OffsetError(ValueError):
    """An offset that cannot be converted (outside the text, or inside a surrogate pair)."""


class Utf16Map:
    """Converts between code-point and UTF-16 offsets of one text."""

    def __init__(self, text: str) -> None:
        self.length = len(text)
        # Code-point index of every astral character, and where it starts in UTF-16.
        if not text or max(text) <= "\uffff":
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


def has_astral(text: str) -> bool:
    """Whether any character lies beyond U+FFFF, the only ones UTF-16 counts twice.

    The cheap test first: most documents are ASCII, and ``max`` runs in C as well."""
    return not text.isascii() and max(text) >= "\U00010000"


def decide_unit(source: SourceText, raws: Sequence[RawSpan]) -> tuple[Unit, bool] | None:
    """The unit of offsets a source gives without the text they cover (doccano), and
    whether the two readings differ here; None when nothing in the spans tells.

    Only a character beyond U+FFFF before a span makes code points and UTF-16 units
    differ. Then a reading is out when an offset falls outside the text or inside a
    surrogate pair, and a reading is preferred when every span that moves starts and
    ends on word boundaries under it (not inside a word, not on a space) while some span
    does not under the other.
    """
    if not has_astral(source.original):
        return "codepoint", False
    text = source.text
    length = len(text)
    misfits: dict[Unit, int | None] = {"codepoint": 0, "utf16": 0}
    moved = 0
    for raw in raws:
        start, end = raw.start, raw.end
        if not (isinstance(start, int) and isinstance(end, int)):
            continue  # place_spans says what is wrong with it
        read: dict[Unit, tuple[int, int]] = {}
        for unit in ("codepoint", "utf16"):
            if misfits[unit] is None:
                continue
            try:
                read[unit] = (source.to_stored(start, unit), source.to_stored(end, unit))
            except OffsetError:
                misfits[unit] = None
        if len(read) == 2 and read["codepoint"] == read["utf16"]:
            continue
        moved += 1
        for unit, (first, last) in read.items():
            count = misfits[unit]
            if count is not None and first < last and not _on_boundaries(text, length, first, last):
                misfits[unit] = count + 1
    codepoints, units = misfits["codepoint"], misfits["utf16"]
    if not moved:
        return "codepoint", False
    if codepoints is None or units is None:
        # One reading is impossible; when both are, the error is place_spans' to tell.
        return ("utf16" if codepoints is None else "codepoint"), True
    if codepoints == 0 and units:
        return "codepoint", True
    if units == 0 and codepoints:
        return "utf16", True
    return None


def _on_boundaries(text: str, length: int, start: int, end: int) -> bool:
    if text[start].isspace() or text[end - 1].isspace():
        return False
    if start and text[start - 1].isalnum() and text[start].isalnum():
        return False
    return not (end < length and text[end - 1].isalnum() and text[end].isalnum())


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
