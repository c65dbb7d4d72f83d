"""Malformed variants of a valid source in every import format, for the reader fuzz test.

Each generator starts from one valid source (emoji with a skin tone, a combining mark, a
line break, labels and relations) and yields :class:`Variant` objects: the files to
write, the source to import, and a category for the report. The variants are made
deterministically from a seed; ``sample`` bounds how many of each category are kept.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

TEXT = "Alice 👍🏽 met Bob in Zürich.\nCafe\u0301 closed."
PEOPLE = (("Alice", "PER"), ("Bob", "PER"), ("Zürich", "LOC"))
DEEP = "[" * 5000 + "]" * 5000
HUGE = "9" * 5000
# What a field is swapped for: one of each JSON type, and the edge values of some.
SWAPS: list[Any] = [None, True, False, 0, -1, 2.5, 1e300, "", "x", [], {}, [1], {"a": 1}, 2**63]


@dataclass(frozen=True)
class Variant:
    category: str
    files: dict[str, bytes]  # relative path -> content
    source: str  # relative path to import
    fmt: str
    # Set for label-studio variants also read through the streaming array decoder.
    streamed: bool = False


def _offsets(text: str, word: str, utf16: bool = False) -> tuple[int, int]:
    start = text.index(word)
    if utf16:
        before = len(text[:start].encode("utf-16-le")) // 2
        return before, before + len(word.encode("utf-16-le")) // 2
    return start, start + len(word)


def native_base() -> list[dict[str, Any]]:
    spans = []
    for number, (word, label) in enumerate(PEOPLE, 1):
        start, end = _offsets(TEXT, word)
        spans.append({"id": f"s{number}", "start": start, "end": end, "label": label, "text": word})
    return [
        {
            "id": "d1",
            "text": TEXT,
            "meta": {"source": "wire"},
            "annotator": "ann",
            "status": "done",
            "note": "checked",
            "spans": spans,
            "relations": [{"id": "r1", "label": "MET", "head": "s1", "tail": "s2"}],
        },
        {"id": "d2", "text": "Second text.", "meta": {}},
    ]


def prodigy_base() -> list[dict[str, Any]]:
    spans = []
    for number, (word, label) in enumerate(PEOPLE):
        start, end = _offsets(TEXT, word)
        spans.append(
            {
                "start": start,
                "end": end,
                "text": word,
                "label": label,
                "token_start": number,
                "token_end": number,
            }
        )
    head = {k: spans[0][k] for k in ("start", "end", "token_start", "token_end", "label")}
    child = {k: spans[1][k] for k in ("start", "end", "token_start", "token_end", "label")}
    return [
        {
            "text": TEXT,
            "meta": {"source": "wire"},
            "_input_hash": 12,
            "_task_hash": 34,
            "spans": spans,
            "relations": [
                {"head": 0, "child": 1, "head_span": head, "child_span": child, "label": "MET"}
            ],
            "answer": "accept",
            "_annotator_id": "news-alice",
        },
        {"text": "Second text.", "answer": "reject", "_input_hash": 56},
    ]


def doccano_base() -> list[dict[str, Any]]:
    triples = [[*_offsets(TEXT, word, utf16=True), label] for word, label in PEOPLE]
    entities = [
        {"id": number, "start_offset": start, "end_offset": end, "label": label}
        for number, (start, end, label) in enumerate(triples)
    ]
    return [
        {"id": 1, "text": TEXT, "label": triples, "meta": {"source": "wire"}},
        {
            "id": 2,
            "text": TEXT,
            "entities": entities,
            "relations": [{"id": 0, "from_id": 0, "to_id": 1, "type": "MET"}],
        },
    ]


def label_studio_base() -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for number, (word, label) in enumerate(PEOPLE):
        start, end = _offsets(TEXT, word)
        results.append(
            {
                "id": f"r{number}",
                "type": "labels",
                "from_name": "label",
                "to_name": "text",
                "value": {"start": start, "end": end, "text": word, "labels": [label]},
                "meta": {"text": ["a note"]},
            }
        )
    results.append(
        {
            "type": "relation",
            "from_id": "r0",
            "to_id": "r1",
            "direction": "right",
            "labels": ["MET"],
        }
    )
    return [
        {
            "id": 1,
            "data": {"text": TEXT},
            "annotations": [{"completed_by": 1, "was_cancelled": False, "result": results}],
            "predictions": [],
        },
        {"id": 2, "data": {"text": "Second text."}, "annotations": []},
    ]


def brat_base() -> tuple[str, list[str]]:
    lines = []
    for number, (word, label) in enumerate(PEOPLE, 1):
        start, end = _offsets(TEXT, word)
        lines.append(f"T{number}\t{label} {start} {end}\t{word}")
    met_start, met_end = _offsets(TEXT, "met")
    lines += [
        f"T4\tMeet {met_start} {met_end}\tmet",
        "R1\tMET Arg1:T1 Arg2:T2",
        "E1\tMeet:T4 Agent:T1 Place:T3",
        "*\tEquiv T1 T2",
        "#1\tAnnotatorNotes T1\ta note",
        "A1\tNegated T2",
        "A2\tLevel T1 High",
        "N1\tWiki T3 Q72\tZürich",
    ]
    return TEXT, lines


# --- JSON mutations -----------------------------------------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key and index below ``value``, parents first."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*prefix, key)
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (*prefix, index)
            yield from _paths(child, (*prefix, index))


def _set(root: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        root = root[part]
    root[path[-1]] = value


def _delete(root: Any, path: tuple[Any, ...]) -> None:
    for part in path[:-1]:
        root = root[part]
    del root[path[-1]]


def _dump(fmt: str, items: list[Any], pretty: bool = False) -> bytes:
    """The items as the format's file holds them: a JSON array (Label Studio) or lines."""
    if fmt == "label-studio":
        return json.dumps(items, indent=2 if pretty else None, ensure_ascii=False).encode()
    if pretty:
        return b"".join(
            json.dumps(item, indent=2, ensure_ascii=False).encode() + b"\n" for item in items
        )
    return b"".join(json.dumps(item, ensure_ascii=False).encode() + b"\n" for item in items)


def json_variants(
    fmt: str, base: list[dict[str, Any]], rng: random.Random, swaps_per_field: int = 1
) -> Iterator[Variant]:
    """Every field swapped for ``swaps_per_field`` other values (all of SWAPS when it is
    that long) and deleted; the text truncated and spoiled in the ways of the module doc."""
    name = "in.json" if fmt == "label-studio" else "in.jsonl"

    def variant(category: str, data: bytes) -> Variant:
        return Variant(category, {name: data}, name, fmt)

    for path in _paths(base):
        for swap in rng.sample(SWAPS, min(swaps_per_field, len(SWAPS))):
            items = copy.deepcopy(base)
            _set(items, path, swap)
            yield variant("type swaps", _dump(fmt, items))
        items = copy.deepcopy(base)
        _delete(items, path)
        yield variant("deleted keys and items", _dump(fmt, items))
    good = _dump(fmt, base)
    pretty = _dump(fmt, base, pretty=True)
    for whole in (good, pretty):
        for cut in sorted({1, 2, len(whole) // 3, len(whole) // 2, len(whole) - 2, len(whole) - 1}):
            yield variant("truncations", whole[:cut])
        cuts = sorted(rng.sample(range(1, len(whole) - 1), 6))
        yield from (variant("truncations", whole[:cut]) for cut in cuts)
    number = b'"start": ' if fmt != "doccano" else b'"start_offset": '
    for whole in (good, pretty):
        for text_edit, category in (
            (b'"text": "Alice', "lone surrogates"),
            (b'"text": "Second', "lone surrogates"),
        ):
            for bad in (b"\\ud800", b"\\udc00", b"\\ud800\\u0041", b"\\udfff\\ud800"):
                yield variant(category, whole.replace(text_edit, text_edit + bad, 1))
        for constant in (b"NaN", b"Infinity", b"-Infinity"):
            yield variant(
                "NaN and Infinity",
                whole.replace(b'"meta": {', b'"meta": {"n": ' + constant + b", ", 1),
            )
            yield variant(
                "NaN and Infinity", whole.replace(b"{", b'{"score": ' + constant + b", ", 1)
            )
        for big in (HUGE.encode(), b"99999999999999999999999", b"-" + HUGE.encode(), b"1e999"):
            yield variant("huge numbers", whole.replace(b"{", b'{"n": ' + big + b", ", 1))
            if number in whole:
                pos = whole.index(number) + len(number)
                end = pos
                while whole[end : end + 1].isdigit():
                    end += 1
                yield variant("huge numbers", whole[:pos] + big + whole[end:])
        for depth in (DEEP, "{" + '"a":{' * 3000 + "}" * 3001, "[" * 200 + "]" * 200):
            yield variant(
                "deep nesting", whole.replace(b"{", b'{"deep": ' + depth.encode() + b", ", 1)
            )
        for bad in (b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\x00"):
            yield variant(
                "bad UTF-8 and binary", whole.replace("Zürich".encode(), b"Z" + bad + b"rich", 1)
            )
        yield variant("CRLF", whole.replace(b"\n", b"\r\n"))
        yield variant("CRLF", whole.replace(b"\\n", b"\\r\\n"))
        yield variant("CRLF", b"\xef\xbb\xbf" + whole.replace(b"\n", b"\r\n"))
    if fmt == "label-studio":
        yield variant("duplicate ids", orjson.dumps([base[0], base[0]]))
        twice = copy.deepcopy(base)
        twice[0]["annotations"][0]["result"][1]["id"] = "r0"
        yield variant("duplicate ids", orjson.dumps(twice))
    else:
        yield variant("duplicate ids", good + good)
        yield variant("duplicate ids", _dump(fmt, [base[0], base[0]]))
        twice = copy.deepcopy(base)
        if fmt == "native":
            twice[0]["spans"][1]["id"] = "s1"
            yield variant("duplicate ids", _dump(fmt, twice))
            twice = copy.deepcopy(base)
            twice[0]["relations"].append(dict(twice[0]["relations"][0]))
            yield variant("duplicate ids", _dump(fmt, twice))
        if fmt == "doccano":
            twice[1]["entities"][1]["id"] = 0
            yield variant("duplicate ids", _dump(fmt, twice))
    for whole in (
        b"",
        b"   \n\n",
        b"[]",
        b"{}",
        b"null",
        b"[1, 2]",
        b'"text"',
        b"{}\n{}\n",
        b"\xef\xbb\xbf",
    ):
        yield variant("not records at all", whole)


# --- brat mutations -----------------------------------------------------------------------


def _brat(category: str, text: bytes, ann: bytes | None) -> Variant:
    files = {"b/doc.txt": text}
    if ann is not None:
        files["b/doc.ann"] = ann
    return Variant(category, files, "b", "brat")


def brat_variants(rng: random.Random) -> Iterator[Variant]:
    text, lines = brat_base()
    raw_text = text.encode()

    def joined(new_lines: list[str]) -> bytes:
        return "".join(line + "\n" for line in new_lines).encode()

    for number, line in enumerate(lines):
        # Each line cut at every tab and space, and with each field removed.
        for cut, char in enumerate(line):
            if char in "\t ":
                yield _brat(
                    "malformed lines",
                    raw_text,
                    joined([*lines[:number], line[:cut], *lines[number + 1 :]]),
                )
                yield _brat(
                    "malformed lines",
                    raw_text,
                    joined([*lines[:number], line[: cut + 1], *lines[number + 1 :]]),
                )
        fields = line.replace("\t", " ").split(" ")
        for index in range(len(fields)):
            kept = fields[:index] + fields[index + 1 :]
            yield _brat(
                "malformed lines",
                raw_text,
                joined([*lines[:number], " ".join(kept), *lines[number + 1 :]]),
            )
        yield _brat(
            "malformed lines",
            raw_text,
            joined([*lines[:number], line.replace("\t", " "), *lines[number + 1 :]]),
        )
        yield _brat(
            "malformed lines",
            raw_text,
            joined([*lines[:number], line + "\textra\tfields", *lines[number + 1 :]]),
        )
        yield _brat(
            "malformed lines",
            raw_text,
            joined([*lines[:number], "X" + line[1:], *lines[number + 1 :]]),
        )
        # Numbers and ids swapped for odd ones.
        for index, field in enumerate(fields):
            for swap in ("-1", "99999", HUGE, "1.5", "x", "", "T99", "E1", "R1", "Arg1:", ":T1"):
                if field == swap:
                    continue
                changed = [*fields[:index], swap, *fields[index + 1 :]]
                rebuilt = changed[0] + "\t" + " ".join(changed[1:])
                yield _brat(
                    "swapped fields",
                    raw_text,
                    joined([*lines[:number], rebuilt, *lines[number + 1 :]]),
                )
        yield _brat("duplicate ids", raw_text, joined([*lines, line]))
        yield _brat("missing references", raw_text, joined(lines[:number] + lines[number + 1 :]))
    for loop in (
        ["E1\tMeet:E2 Agent:T1", "E2\tMeet:E1 Agent:T1"],
        ["E1\tMeet:E1 Agent:T1"],
        ["E1\tMeet:T4 Agent:E2", "E2\tMeet:T4 Agent:E1"],
        ["R1\tMET Arg1:E1 Arg2:E1", "E1\tMeet:E1"],
    ):
        yield _brat("event loops", raw_text, joined([*lines[:4], *loop]))
    ann = joined(lines)
    for bad in (b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"):
        yield _brat("bad UTF-8 and binary", raw_text, ann.replace(b"a note", b"a " + bad + b"note"))
        yield _brat(
            "bad UTF-8 and binary", raw_text.replace("Zürich".encode(), b"Z" + bad + b"rich"), ann
        )
    yield _brat("CRLF", raw_text, ann.replace(b"\n", b"\r\n"))
    yield _brat("CRLF", raw_text.replace(b"\n", b"\r\n"), ann)
    yield _brat("CRLF", b"\xef\xbb\xbf" + raw_text, b"\xef\xbb\xbf" + ann)
    for cut in sorted({1, 5, len(ann) // 2, len(ann) - 3}):
        yield _brat("truncations", raw_text, ann[:cut])
    yield _brat("truncations", raw_text[:10], ann)
    yield _brat("truncations", b"", ann)
    yield _brat("not records at all", raw_text, b"")
    yield _brat("not records at all", raw_text, None)
    yield Variant("not records at all", {"b/doc.ann": ann}, "b", "brat")
    yield Variant("not records at all", {"b/other.md": b"x"}, "b", "brat")


# --- plain text ---------------------------------------------------------------------------


def text_variants(rng: random.Random) -> Iterator[Variant]:
    raw = TEXT.encode()
    for bad in (b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\x00", b"\xfe\xff"):
        yield Variant(
            "bad UTF-8 and binary", {"t/a.txt": raw.replace(b"met", bad)}, "t/a.txt", "text"
        )
    for content in (b"", b" \n\t\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"):
        yield Variant("not records at all", {"t/a.txt": content}, "t/a.txt", "text")
    yield Variant("not records at all", {"t/a.csv": raw}, "t", "text")
    yield Variant("CRLF", {"t/a.txt": raw.replace(b"\n", b"\r\n")}, "t/a.txt", "text")
    yield Variant(
        "CRLF", {"t/a.txt": b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r")}, "t/a.txt", "text"
    )
    cut = rng.randrange(1, len(raw))
    yield Variant("truncations", {"t/a.txt": raw[:cut]}, "t/a.txt", "text")
    yield Variant(
        "truncations", {"t/a.txt": raw[: raw.index("👍".encode()) + 2]}, "t/a.txt", "text"
    )
    yield Variant("duplicate ids", {"t/a.txt": raw, "t/a.md": raw}, "t", "text")


# Categories kept whole: every field of every format is swapped and deleted.
WHOLE = ("type swaps", "deleted keys and items")


def all_variants(seed: int = 22, per_category: int = 16, swaps_per_field: int = 1) -> list[Variant]:
    """Every format's variants, at most ``per_category`` of each (format, category)
    except the WHOLE ones; ``swaps_per_field=len(SWAPS)`` tries every swap of every field."""
    rng = random.Random(seed)
    generated: list[Variant] = []
    for fmt, base in (
        ("native", native_base()),
        ("prodigy", prodigy_base()),
        ("doccano", doccano_base()),
    ):
        generated += json_variants(fmt, base, rng, swaps_per_field)
    ls = list(json_variants("label-studio", label_studio_base(), rng, swaps_per_field))
    generated += ls
    generated += [
        Variant(v.category, v.files, v.source, v.fmt, streamed=True)
        for v in rng.sample(ls, min(len(ls), per_category))
    ]
    generated += brat_variants(rng)
    generated += text_variants(rng)
    groups: dict[tuple[str, str, bool], list[Variant]] = {}
    for item in generated:
        groups.setdefault((item.fmt, item.category, item.streamed), []).append(item)
    kept: list[Variant] = []
    for group in groups.values():
        whole = group[0].category in WHOLE and not group[0].streamed
        kept += group if whole or len(group) <= per_category else rng.sample(group, per_category)
    return kept
