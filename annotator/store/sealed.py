"""A journal line as the store sealed it: its head parsed, the rest left as bytes.

A sealed line carries a checksum and the counts of its spans and relations; the store
seals a line only after checking it against the document's text. Export reads such lines
without parsing (or checking) them again.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from annotator.core.records import CATS_KEY, CHECKSUM_KEY, COUNTS_KEY, intact

# The fields a sealed line holds before its spans, in the order the store writes them
# (document categories, when there are some, before the counts).
SEALED_HEAD = ("doc_id", "text_hash", "status", "note", "updated", COUNTS_KEY)
_SEALED_HEADS = frozenset({SEALED_HEAD, (*SEALED_HEAD[:5], CATS_KEY, COUNTS_KEY)})
SPANS_MARK = b',"spans":'


class SealedLine:
    """A journal line exactly as the store sealed it for one text, with its head parsed.

    Export reads status, note and counts from the head (everything before the spans,
    a few dozen bytes) and leaves the rest as bytes: writers that can use the encoded
    spans as they are (native) never parse them; :meth:`record` parses the whole line.
    """

    __slots__ = ("head", "raw", "spans_at")

    def __init__(self, head: dict[str, Any], raw: bytes, spans_at: int) -> None:
        self.head = head
        self.raw = raw
        # Where ``,"spans":`` starts in ``raw``.
        self.spans_at = spans_at

    def record(self) -> dict[str, Any]:
        """The line's record as :meth:`AnnotationStore.get_record` returns it."""
        record: dict[str, Any] = orjson.loads(self.raw)
        del record[CHECKSUM_KEY], record[COUNTS_KEY]
        return record

    def parts(self) -> tuple[bytes, bytes, bytes] | None:
        """The encoded spans, relations and provenance (orjson's encoding of the checked
        records, as the store wrote them), when no span has attrs; otherwise None.

        The line is ``{head,"spans":[...],"relations":[...],"provenance":{...},"checksum":N}``.
        ``"attrs":{"`` is where a span's non-empty attrs would begin (the quote after
        ``attrs`` is not escaped, so it is JSON's own). Without one, span values are
        strings, numbers and ``{}``, so the first ``],"relations":[`` ends the spans, and
        relations (strings only) end at the first ``],"provenance":``.
        """
        raw = self.raw
        spans_at = self.spans_at + len(SPANS_MARK)
        if raw[spans_at : spans_at + 1] != b"[" or raw.find(b'"attrs":{"', spans_at) >= 0:
            return None
        relations_at = raw.find(_RELATIONS_MARK, spans_at) + 1
        if relations_at <= 0:
            return None
        provenance_at = raw.find(_PROVENANCE_MARK, relations_at) + 1
        checksum_at = raw.rfind(_CHECKSUM_MARK)
        if provenance_at <= 0 or checksum_at < provenance_at:
            return None
        return (
            raw[spans_at:relations_at],
            raw[relations_at + len(_RELATIONS_MARK) - 2 : provenance_at],
            raw[provenance_at + len(_PROVENANCE_MARK) - 1 : checksum_at],
        )

    def span_edges(self) -> list[Any] | None:
        """``start, end, label`` of every span, one after the other in one flat list, in
        the line's order, without parsing the spans' other fields (BIO needs no more);
        None when that cannot be told from the bytes alone: parse the spans then.

        ``,"start":`` is a key wherever it appears: in a JSON string every quote is
        escaped, so no string holds a quote right after a comma. The store writes a span's
        fields in the model's order, ``id, start, end, label, text, ...``, so every span
        gives one match. Other objects after the spans holding those three keys in that
        order (in attrs or provenance) would give more: then the count in the head (sealed
        with the line) does not agree.
        """
        found = _SPAN_EDGES.findall(self.raw, self.spans_at + len(SPANS_MARK))
        if len(found) != self.head[COUNTS_KEY][0]:
            return None
        if not found:
            return []
        # 12,"end":15,"label":"PERSON" -> 12,15,"PERSON": all of them in one parse.
        edges = b",".join(found).replace(b',"end":', b",").replace(b',"label":', b",")
        flat: list[Any] = orjson.loads(b"[" + edges + b"]")
        return flat


_SPAN_EDGES = re.compile(rb',"start":(\d+,"end":\d+,"label":"(?:[^"\\]++|\\.)*+")')
_RELATIONS_MARK = b'],"relations":['
_PROVENANCE_MARK = b'],"provenance":'
_CHECKSUM_MARK = b',"checksum":'


def sealed_line_of(raw: bytes, digest: str) -> SealedLine | None:
    """The line ``raw`` as a SealedLine, if the store sealed it after checking it against
    the text whose hash is ``digest`` and it is intact; otherwise None.

    Only the head is parsed. The first ``,"spans":`` is the field itself: a quote
    inside a JSON string is always escaped, and the fields before it are plain values.
    """
    cut = raw.find(SPANS_MARK)
    if cut < 0 or not intact(raw):
        return None
    try:
        head = orjson.loads(raw[:cut] + b"}")
    except orjson.JSONDecodeError:
        return None
    if tuple(head) not in _SEALED_HEADS or head["text_hash"] != digest:
        return None
    return SealedLine(head, raw, cut)
