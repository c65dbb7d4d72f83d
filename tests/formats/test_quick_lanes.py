"""The quick lanes of doccano and Label Studio give what the careful code gives.

The compiled offset helpers (_offsets.c) against the Python code, Label Studio's plain
regions against the careful reading, JSON lists read a line of bytes at a time against
the text reader.

doccano's import reads each chunk's spans with ``doccano_spans`` where it is built; the
Python code (``doccano_batches._spans_python``) is the reference, on texts with emoji,
flags, ZWJ sequences, astral letters, combining marks, CJK and spaces around spans, with
offsets counted in code points, in UTF-16 units, out of range and inside surrogate pairs.
"""

from __future__ import annotations

import random
import shutil
import sysconfig
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.core.errors import InputError
from annotator.formats import (
    doccano_batches,
    doccano_export,
    jsonio,
    label_studio,
    label_studio_batches,
)
from annotator.formats.base import ExportRecord
from annotator.formats.common import Tally
from annotator.formats.compiled import compiled_offsets
from annotator.formats.jsonio import Location
from annotator.formats.offsets import SourceText, Unit

PIECES = ["Kim", "Xi Jinping", "北京", "café", "cafe\u0301", "x_y", "12", "—", "“", "”"]
FILL = ["said", "in", "👍🏽", "🇫🇷", "👩\u200d👩\u200d👧", "𝐀x", "😀", " ", "\n", ",", ".", "\u00a0"]


def _text_and_spans(rng: random.Random) -> tuple[str, list[tuple[int, int]]]:
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    for _ in range(rng.randint(0, 8)):
        fill = "".join(rng.choice(FILL) for _ in range(rng.randint(0, 4))) + " "
        piece = rng.choice(PIECES)
        start = length + len(fill)
        parts += [fill, piece]
        length = start + len(piece)
        spans.append((start, length))
    return "".join(parts) or "x", spans


def _utf16(text: str, offset: int) -> int:
    return len(text[:offset].encode("utf-16-le")) // 2


def _span(rng: random.Random, text: str, start: int, end: int, units: bool) -> Any:
    if units:
        start, end = _utf16(text, start), _utf16(text, end)
    # Now and then a span moved by one (onto a space, into a pair, past the end).
    if rng.random() < 0.1:
        start += rng.choice((-1, 1))
    if rng.random() < 0.05:
        end += rng.choice((1, 2, 40))
    label: Any = rng.choice(["PERSON", "GPE", " ORG ", "PERSON"])
    values: list[Any] = [start, end, label]
    odd = rng.random()
    if odd < 0.05:
        values[int(odd * 60) % 3] = rng.choice([" ", None, float(start), 2**70, True])
    return values


def _span_lists(rng: random.Random) -> tuple[list[str], list[list[Any]]]:
    texts: list[str] = []
    span_lists: list[list[Any]] = []
    for _ in range(rng.randint(1, 6)):
        text, places = _text_and_spans(rng)
        units = rng.random() < 0.5
        as_lists = rng.random() < 0.4
        spans: list[Any] = []
        for number, (start, end) in enumerate(places):
            values = _span(rng, text, start, end, units)
            if as_lists:
                spans.append(values if rng.random() > 0.01 else values[:2])
            else:
                entity_id: Any = number if rng.random() > 0.02 else rng.choice([0, "7", None])
                spans.append(
                    {
                        "id": entity_id,
                        "start_offset": values[0],
                        "end_offset": values[1],
                        "label": values[2],
                    }
                )
        if spans and rng.random() < 0.05:
            spans.append(dict(spans[0]) if isinstance(spans[0], dict) else list(spans[0]))
        texts.append(text)
        span_lists.append(spans)
    return texts, span_lists


@pytest.mark.parametrize("unit", [None, "codepoint", "utf16"])
def test_doccano_spans_are_the_python_spans(unit: Unit | None) -> None:
    if compiled_offsets() is None:
        pytest.skip("_offsets is not built here")
    rng = random.Random(f"spans {unit}")
    made = 0
    for _ in range(3000):
        texts, span_lists = _span_lists(rng)
        python = doccano_batches._spans_python(texts, span_lists, unit)
        # The records as orjson writes them: their fields in order too.
        assert doccano_batches._spans(texts, span_lists, unit) == python
        made += python is not None
    assert made > 300  # many chunks are read whole, so both answers are compared in full


def test_doccano_spans_leave_odd_chunks_to_python() -> None:
    """Offsets that are not ints an index can hold give None (the one-record path then
    names what is wrong); bad arguments are refused."""
    compiled = compiled_offsets()
    if compiled is None:
        pytest.skip("_offsets is not built here")
    record = {"id": "T1", "start": 2, "end": 4, "label": "X", "text": "ab", "attrs": {}, "note": ""}
    assert compiled.doccano_spans(["👍 ab"], [[[3, 5, " X"]]], 0) == (
        [orjson.dumps([record])],
        ["X"],
        ["T1"],
        [2],
    )
    assert compiled.doccano_spans(["ab"], [[[0, 2**70, "X"]]], 0) is None
    assert compiled.doccano_spans(["ab"], [[[True, 2, "X"]]], 0) is None
    assert compiled.doccano_spans(["ab"], [[[0, 1, "X"], {"id": 1}]], 0) is None
    assert compiled.doccano_spans(["ab"], [[]], 2) == ([b"[]"], [], [], [0])
    text = 'a "q" \\ \x01\n\t é 👍'
    quoted = compiled.doccano_spans([text], [[[0, len(text), "\x7fé\u2028"]]], 1)
    assert quoted is not None  # the label stripped as str.strip does (U+2028 is a space)
    assert quoted[0][0] == orjson.dumps(
        [{**record, "start": 0, "end": len(text), "label": "\x7fé", "text": text}]
    )
    with pytest.raises(ValueError):
        compiled.doccano_spans(["ab"], [[]], 3)
    with pytest.raises(TypeError):
        compiled.doccano_spans(["ab"], [], 0)


def _can_compile() -> bool:
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    headers = Path(sysconfig.get_paths()["include"], "Python.h")
    return shutil.which(compiler) is not None and headers.exists()


def test_the_compiled_offsets_are_built() -> None:
    """`make` builds _offsets.c (setup.py) wherever it can: without it these tests would
    check the Python code against itself, and doccano's import would be several times
    slower."""
    if compiled_offsets() is None and not _can_compile():
        pytest.skip("no C compiler or Python headers here: the Python code is used")
    assert compiled_offsets() is not None, "run `make install` (pip install -e .) to build it"


# --- doccano export: the entities written by compiled code --------------------------------


def _export_record(rng: random.Random, number: int) -> ExportRecord:
    text, places = _text_and_spans(rng)
    labels = ["PERSON", 'Q "x"', "tab\there", "é\\", "\x01"]
    spans = [
        {
            "id": f"T{index}",
            "start": start,
            "end": end,
            "label": rng.choice(labels),
            "text": text[start:end],
            "attrs": {},
            "note": "",
        }
        for index, (start, end) in enumerate(places, 1)
    ]
    relations = [
        {"id": f"R{k}", "label": "REL", "head": spans[0]["id"], "tail": span["id"], "note": ""}
        for k, span in enumerate(spans[1:3], 1)
    ]
    record = {
        "doc_id": f"d{number}",
        "status": "done",
        "note": "",
        "spans": spans,
        "relations": relations,
        "cats": {"topic": ["a"]} if number % 3 == 0 else {},
    }
    return ExportRecord(fields=(f"d{number}", text, {"n": number}), labels=record)


@pytest.mark.parametrize("compiled", [True, False])
def test_doccano_lines_are_the_records_dumped(
    compiled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not compiled:
        monkeypatch.setattr(doccano_export, "compiled_offsets", lambda: None)
    elif compiled_offsets() is None:
        pytest.skip("_offsets is not built here")
    rng = random.Random(3)
    for number in range(400):
        record = _export_record(rng, number)
        line = doccano_export.doccano_line(record)
        assert line == orjson.dumps(doccano_export.doccano_record(record)) + b"\n"


def test_doccano_entities_leave_what_they_cannot_write_to_python() -> None:
    compiled = compiled_offsets()
    if compiled is None:
        pytest.skip("_offsets is not built here")
    span = {"start": 1, "end": 2, "label": "X"}
    assert compiled.doccano_entities("👍ab", [span]) == (
        b'[{"id":0,"start_offset":2,"end_offset":3,"label":"X"}]'
    )
    assert compiled.doccano_entities("ab", [{**span, "label": "\ud800"}]) is None
    assert compiled.doccano_entities("ab", [{**span, "start": 2**70}]) is None
    assert compiled.doccano_entities("ab", [{**span, "end": 2.0}]) is None
    assert compiled.doccano_entities("ab", [[1, 2, "X"]]) is None
    assert compiled.doccano_entities("ab", []) == b"[]"


# --- Label Studio import: plain regions read column by column -----------------------------


def _results(rng: random.Random, text: str, places: list[tuple[int, int]]) -> list[Any]:
    results: list[Any] = []
    for index, (start, end) in enumerate(places):
        value: dict[str, Any] = {
            "start": start,
            "end": end,
            "text": text[start:end],
            "labels": [rng.choice(["PERSON", " GPE "])],
        }
        region: dict[str, Any] = {"id": f"r{index}", "type": "labels", "value": value}
        odd = rng.random()
        if odd < 0.03:
            value["labels"].append("ORG")
        elif odd < 0.06:
            region["meta"] = {"text": ["a note"]}
        elif odd < 0.09:
            value["text"] = text[start : end + 1]
        elif odd < 0.12:
            region["id"] = index
        elif odd < 0.14:
            region["id"] = None
        elif odd < 0.16:
            results.append(dict(region))  # the same region twice
        results.append(region)
    if len(places) > 1:
        results.append({"type": "relation", "from_id": "r0", "to_id": "r1", "labels": ["R"]})
    if rng.random() < 0.05:
        results.append({"type": "textarea", "value": {"text": ["x"]}})
    return results


def test_compiled_plain_regions_are_the_python_ones() -> None:
    compiled = compiled_offsets()
    if compiled is None:
        pytest.skip("_offsets is not built here")
    rng = random.Random(10)
    taken = 0
    for _ in range(3000):
        text, places = _text_and_spans(rng)
        results = _results(rng, text, places)
        for result in results:
            odd = rng.random()
            if odd < 0.01 and "value" in result:
                result["value"]["start"] = rng.choice([-1, 2**70, 1.0, None, len(text) + 1])
            elif odd < 0.02 and "value" in result:
                result["value"]["labels"] = [rng.choice([" ", 5, "X"])]
            elif odd < 0.03:
                result["type"] = rng.choice([None, 3, "choices"])
        python = label_studio_batches.plain_regions_python(results, text)
        made = compiled.label_studio_regions(text, results)
        assert made == python
        assert orjson.dumps(made) == orjson.dumps(python)  # fields in order
        taken += python is not None
    assert taken > 300


def test_plain_regions_are_what_the_careful_reading_makes() -> None:
    rng = random.Random(9)
    taken = 0
    for number in range(1500):
        text, places = _text_and_spans(rng)
        if rng.random() < 0.1:
            text = text.replace("\n", "\r\n")
        source = SourceText(text)
        results = _results(rng, source.text, places)
        plain = label_studio_batches.plain_regions(results, source)
        if plain is None:
            continue
        taken += 1
        loc = Location(Path("tasks.json"), number)
        spans, alias, region_ids, relations = label_studio._regions(
            results, "annotations[0]", source, loc, Tally(Path("tasks.json")), {}
        )
        assert plain[0] == spans
        assert {key: list(ids) for key, ids in plain[1].items()} == region_ids
        assert plain[2] == relations
        assert alias == {span_id: span_id for span_id in region_ids}
    assert taken > 300


# --- JSON lists: one element a line, read as bytes ----------------------------------------


def _array_elements(path: Path, reader: Any) -> Any:
    try:
        return [(item, str(loc), loc.pointer) for item, loc in reader(path)]
    except InputError as exc:
        return str(exc)


@pytest.mark.parametrize(
    "body",
    [
        '[\n{"a": 1},\n{"b": "é 👍"},\n{"c": [1, {"d": null}]}\n]\n',
        '\ufeff  [\r\n\r\n{"a": 1} ,\r\n   {"b": 2},\r\n]\r\n\r\n',
        '[\n{"a": 1},\n{"b": 2}\n{"c": 3}\n]\n',
        '[\n{"a": 1},\n{"b": NaN},\n{"c": 3}\n]\n',
        '[\n{"a": 1},\n[1, 2],\n{"c": 3}\n]\n',
        '[\n{"a": 1},\n{"b": 2}, {"c": 3}\n]\n',
        '[\n{"a": 1},\n{\n"b": 2},\n{"c": 3}\n]\n',
        '[\n{"a": 1}\n]\n]\n',
        '[\n{"a": 1}\n]\nx',
        '[\n{"a": 1},\n{"b": 2}\n',
        '[{"a": 1},\n{"b": 2}\n]\n',
        "[\n]\n",
        '[\n{"a": ' + "[" * 600 + "]" * 600 + "}\n]\n",
    ],
)
def test_element_lines_read_what_the_text_reader_reads(tmp_path: Path, body: str) -> None:
    path = tmp_path / "tasks.json"
    path.write_bytes(body.encode())
    assert _array_elements(path, jsonio._iter_array) == _array_elements(
        path, jsonio._iter_array_text
    )


def test_element_lines_stop_at_a_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "tasks.json"
    path.write_bytes(b'[\n{"a": 1},\n{"b": "\xff"}\n]\n')
    message = _array_elements(path, jsonio._iter_array)
    assert "not UTF-8" in message and message == _array_elements(path, jsonio._iter_array_text)
