"""doccano export from a sealed journal line writes what the parsed labels give.

``doccano_sealed`` (_offsets.c) reads a sealed line's spans and relations from its bytes:
the entities, doccano's relations and the counts of notes and attrs must be byte for
byte what ``doccano_record`` writes of the parsed labels, and what the Python path gives
without the compiled code, on texts with emoji, flags, ZWJ sequences, astral letters,
combining marks and CJK (test_quick_lanes's), labels, ids and notes with JSON escapes and
CRLF, notes, attrs, with relations and without. Lines it cannot read without a doubt are left to the parse.
"""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest

from annotator.core.models import text_hash
from annotator.core.records import encode_record, seal
from annotator.formats import doccano_export
from annotator.formats.base import ExportRecord
from annotator.formats.compiled import compiled_offsets
from annotator.store.sealed import SealedLine, sealed_line_of
from tests.formats.test_quick_lanes import _text_and_spans

LABELS = ["PERSON", 'Q "x"', "tab\there", "é\\", "\x01", "\x7f", "😀 label", "line\r\nbreak"]
IDS = ["T{}", 'q"{}', "\\{}", "é{}", "{}\x02", "👍{}"]
NOTES = ["", "", "", "check 👍🏽", 'say "no"', "line\r\nbreak"]
ATTRS: list[dict[str, Any]] = [{}, {}, {}, {"discontinuous": "g1"}, {"negated": True, "n": [1]}]


def _labels(rng: random.Random, text: str, places: list[tuple[int, int]]) -> dict[str, Any]:
    """A layer's record of ``text`` as the store keeps it: fields in the models' order."""
    id_form = rng.choice(IDS)
    spans = [
        {
            "id": id_form.format(number),
            "start": start,
            "end": end,
            "label": rng.choice(LABELS),
            "text": text[start:end],
            "attrs": rng.choice(ATTRS),
            "note": rng.choice(NOTES),
        }
        for number, (start, end) in enumerate(places, 1)
    ]
    relations = []
    if len(spans) > 1 and rng.random() < 0.7:
        for number in range(rng.randint(1, 2 * len(spans))):
            head, tail = rng.sample(spans, 2)
            relations.append(
                {
                    "id": f"R{number}",
                    "label": rng.choice(LABELS),
                    "head": head["id"],
                    "tail": tail["id"],
                    "note": rng.choice(NOTES),
                }
            )
    return {
        "doc_id": "d",
        "text_hash": text_hash(text),
        "status": "done",
        "note": rng.choice(NOTES),
        "updated": "2026-01-01T00:00:00Z",
        "cats": {"topic": ["a"]} if rng.random() < 0.3 else {},
        "spans": spans,
        "relations": relations,
        "provenance": {"note": "x"} if rng.random() < 0.1 else {},
    }


def _sealed(text: str, labels: dict[str, Any]) -> SealedLine:
    line = sealed_line_of(seal(encode_record(labels)), text_hash(text))
    assert line is not None
    return line


def _records(text: str, labels: dict[str, Any]) -> tuple[ExportRecord, ExportRecord]:
    """The same labels as a sealed line, and as the parsed record."""
    fields = ("d", text, {"n": 1})
    parsed = ExportRecord(fields=fields, labels=orjson.loads(orjson.dumps(labels)))
    return ExportRecord(fields=fields, line=_sealed(text, labels)), parsed


def _expected_details(labels: dict[str, Any]) -> tuple[int, int, int]:
    spans, relations = labels["spans"], labels["relations"]
    return (
        sum(1 for span in spans if span["note"]),
        sum(1 for span in spans if span["attrs"]),
        sum(1 for relation in relations if relation["note"]),
    )


def test_sealed_lines_give_the_parsed_labels_lines() -> None:
    if compiled_offsets() is None:
        pytest.skip("_offsets is not built here")
    rng = random.Random(16)
    with_relations = 0
    for _ in range(1500):
        text, places = _text_and_spans(rng)
        labels = _labels(rng, text, places)
        sealed, parsed = _records(text, labels)
        expected = orjson.dumps(doccano_export.doccano_record(parsed)) + b"\n"
        assert doccano_export.doccano_line(parsed) == expected
        assert doccano_export.doccano_line(sealed) == expected
        # The sealed line was read from its bytes: its labels were never parsed.
        assert sealed._labels is None
        assert sealed.detail_counts() == _expected_details(labels) == parsed.detail_counts()
        # Without a writer's count, the line's bytes tell (and its labels are parsed
        # only where some note or attrs is filled).
        assert _records(text, labels)[0].detail_counts() == _expected_details(labels)
        with_relations += bool(labels["relations"])
    assert with_relations > 300


def test_without_the_compiled_code_the_lines_are_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(17)
    cases = []
    for _ in range(300):
        text, places = _text_and_spans(rng)
        labels = _labels(rng, text, places)
        cases.append((text, labels, [doccano_export.doccano_line(_records(text, labels)[0])]))
    monkeypatch.setattr(doccano_export, "compiled_offsets", lambda: None)
    for text, labels, compiled in cases:
        sealed, parsed = _records(text, labels)
        assert doccano_export.doccano_line(sealed) == compiled[0]
        assert doccano_export.doccano_line(parsed) == compiled[0]
        assert sealed.detail_counts() == _expected_details(labels)


def _call(line: bytes, text: str = "ab👍c") -> Any:
    compiled = compiled_offsets()
    assert compiled is not None
    spans_at = line.index(b',"spans":')
    counts = orjson.loads(line[:spans_at] + b"}")["counts"]
    return compiled.doccano_sealed(text, line, spans_at, *counts)


SPAN = b'{"id":"T1","start":1,"end":4,"label":"X","text":"b\xf0\x9f\x91\x8dc","attrs":{},"note":""}'
RELATION = b'{"id":"R1","label":"R","head":"T1","tail":"T1","note":""}'


def _line(spans: bytes = SPAN, relations: bytes = b"", counts: bytes = b"[1,0]") -> bytes:
    return (
        b'{"doc_id":"d","counts":'
        + counts
        + b',"spans":['
        + spans
        + b'],"relations":['
        + relations
        + b'],"provenance":{}}'
    )


def test_doccano_sealed_reads_what_orjson_writes() -> None:
    if compiled_offsets() is None:
        pytest.skip("_offsets is not built here")
    assert _call(_line()) == (
        b'[{"id":0,"start_offset":1,"end_offset":5,"label":"X"}]',
        b"[]",
        (0, 0, 0),
    )
    both = _line(SPAN + b"," + SPAN, RELATION, b"[2,1]")
    made = _call(both.replace(b'"note":""}', b'"note":"n"}', 1))
    # The later span of an id is the one a relation names, as a dict keeps it.
    assert made[1] == b'[{"id":0,"from_id":1,"to_id":1,"type":"R"}]'
    assert made[2] == (1, 0, 0)
    escaped = _line(SPAN.replace(b'"X"', b'"a\\"\\\\\\n\\u001f\xc3\xa9"'))
    assert _call(escaped)[0].endswith(b'"label":"a\\"\\\\\\n\\u001f\xc3\xa9"}]')


@pytest.mark.parametrize(
    "line",
    [
        _line(SPAN.replace(b'"X"', b'"\\u00e9"')),  # orjson writes é itself
        _line(SPAN.replace(b'"X"', b'"\\/"')),
        _line(SPAN.replace(b'"X"', b'"\\u000a"')),  # orjson writes \n
        _line(SPAN.replace(b'"X"', b'"\\u001F"')),
        _line(SPAN.replace(b'"X"', b'"\xed\xa0\x80"')),  # an encoded surrogate
        _line(SPAN.replace(b'"X"', b'"\xc3"')),
        _line(SPAN.replace(b'"X"', b"5")),
        _line(SPAN.replace(b'"id":"T1"', b'"id":"\\u0054"')),
        _line(SPAN.replace(b'"start":1', b'"start":-1')),
        _line(SPAN.replace(b'"start":1', b'"start":01')),
        _line(SPAN.replace(b'"start":1', b'"start":1.0')),
        _line(SPAN.replace(b'"start":1', b'"start":99999999999999999999')),
        _line(SPAN.replace(b'"start":1,', b"")),
        _line(SPAN.replace(b'"note":""', b'"note":null')),
        _line(SPAN.replace(b'"attrs":{}', b'"attrs":[]')),
        _line(SPAN.replace(b",", b", ", 1)),
        _line(counts=b"[2,0]"),
        _line(counts=b"[1,1]"),
        _line(relations=RELATION.replace(b'"tail":"T1"', b'"tail":"T9"'), counts=b"[1,1]"),
        _line(relations=RELATION.replace(b'"head":"T1",', b""), counts=b"[1,1]"),
    ],
)
def test_doccano_sealed_leaves_other_lines_to_the_parse(line: bytes) -> None:
    if compiled_offsets() is None:
        pytest.skip("_offsets is not built here")
    assert _call(line) is None


def test_doccano_sealed_refuses_bad_arguments() -> None:
    compiled = compiled_offsets()
    if compiled is None:
        pytest.skip("_offsets is not built here")
    with pytest.raises(TypeError):
        compiled.doccano_sealed("ab", "not bytes", 0, 0, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        compiled.doccano_sealed("ab", b"", "0", 0, 0)  # type: ignore[arg-type]
    assert compiled.doccano_sealed("ab", _line(), 10_000, 1, 0) is None
    assert compiled.doccano_sealed("ab", _line(), 0, 1, 0) is None
