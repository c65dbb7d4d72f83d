"""Native JSONL imports check and write plain stretches of records in batches, column by
column: the project they leave (documents, journal lines, schema) and the errors they
give must be exactly those of the one-by-one path, whatever the mix of records."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.core.errors import AnnotatorError
from annotator.core.models import text_hash, text_hashes
from annotator.core.records import encode_lines, encode_record, seal
from annotator.formats import native, native_records
from annotator.formats.base import CheckedBatch
from annotator.services import import_sources
from annotator.store import Project

Record = dict[str, Any]

TEXTS = [
    "Xi 👍🏽 said “café\u0301” in 北京\tand left.\nSecond line.",
    'Quotes "},{"id": and \\ backslashes "}] stay text.\n',
    "\n\n  Title after blank lines  \nbody 한국어 text",
    "x" * 250 + "\nlong first line",
    "Ελληνικά and עברית, e\u0301 and 👩‍👩‍👧 family.",
]


def _span(text: str, phrase: str, number: int, label: str = "PERSON") -> Record:
    start = text.index(phrase)
    return {
        "id": f"T{number}",
        "start": start,
        "end": start + len(phrase),
        "label": label,
        "text": phrase,
    }


def plain(number: int, shape: str = "short") -> Record:
    """A record as native export writes it (short spans and relations, keys in order),
    or, in the "complete" shape, with every field of every span and relation (as a
    script following the documented format writes them), some attrs and notes filled."""
    text = f"{TEXTS[number % len(TEXTS)]} #{number}"
    words = [word for word in text.split() if word.strip('"\\')][:3]
    spans = [_span(text, word, index + 1) for index, word in enumerate(dict.fromkeys(words))]
    if number % 5 == 1:
        spans.append(_span(text, '"},{"id":', len(spans) + 1, label='Q"}]'))
    relations = (
        [{"id": "R1", "label": "ATTRIBUTED_TO", "head": "T2", "tail": "T1"}]
        if len(spans) > 1
        else []
    )
    if shape == "complete":
        for index, span in enumerate(spans):
            filled = (number + index) % 3 == 0
            span.update(attrs={"score": 0.5, "tags": ["a"]} if filled else {})
            span.update(note="checked" if filled else "")
        for relation in relations:
            relation.update(note="why" if number % 2 else "")
    return {
        "id": f"doc-{number}",
        "text": text,
        "meta": {"n": number, "source": "wire"},
        "annotator": "alice",
        "status": "done" if number % 3 else "in_progress",
        "note": "" if number % 4 else "checked",
        "spans": spans,
        "relations": relations,
    }


def _odd(change: Callable[[Record], Any], shape: str = "short") -> Callable[[int], Record]:
    def make(number: int) -> Record:
        record = plain(number, shape)
        change(record)
        return record

    return make


def _crlf(record: Record) -> None:
    record["text"] = record["text"].replace("\n", "\r\n")
    for span in record["spans"]:
        start = record["text"].index(span["text"])
        span["start"], span["end"] = start, start + len(span["text"])


def _bom(record: Record) -> None:
    record["text"] = "\ufeff" + record["text"]
    for span in record["spans"]:
        span["start"] += 1
        span["end"] += 1


def _full_spans(record: Record) -> None:
    for span in record["spans"]:
        span.update(attrs={"k": [1]}, note="n")


def _reordered(record: Record) -> None:
    record["spans"] = [dict(reversed(span.items())) for span in record["spans"]]


def _renamed(record: Record) -> None:
    for span in record["spans"]:
        span["label"] = "TWO WORDS"


ODD: dict[str, Callable[[Record], Any]] = {
    "no id": lambda r: r.pop("id"),
    "int id": lambda r: r.update(id=int(r["id"].split("-")[1]) + 1000),
    "null meta": lambda r: r.update(meta=None),
    "no meta": lambda r: r.pop("meta"),
    "meta title": lambda r: r["meta"].update(title="Given"),
    "extra key": lambda r: r.update(source_url="https://example.org"),
    "crlf": _crlf,
    "bom": _bom,
    "full spans": _full_spans,
    "reordered spans": _reordered,
    "null spans": lambda r: r.update(spans=None, relations=None),
    "no labels": lambda r: [r.pop(key) for key in ("spans", "relations", "status", "note")],
    "no status": lambda r: r.pop("status"),
    "null note": lambda r: r.update(note=None),
    "int note": lambda r: r.update(note=7),
    "other annotator": lambda r: r.update(annotator="bob"),
    "no annotator": lambda r: r.pop("annotator"),
    "renamed label": _renamed,
    "relation note": lambda r: [rel.update(note="why") for rel in r["relations"]],
    "empty text": lambda r: r.update(text="", spans=[], relations=[]),
}


def _write(path: Path, records: list[Record], blank: bool = False) -> Path:
    lines = [orjson.dumps(record) for record in records]
    if blank:
        lines.insert(len(lines) // 2, b"   ")
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _project_files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.name.endswith(".lock")
    }


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (
        "annotator.store.journal_lines",
        "annotator.services.labels",
        "annotator.core.models",
    ):
        monkeypatch.setattr(f"{module}.now_iso", lambda: "2026-11-23T07:00:00.000Z")


def _import_both_ways(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sources: list[Path],
    chunk_bytes: int,
    before: list[Path] | None = None,
) -> tuple[Any, Any]:
    """The import's outcome (files, summary, notices or error) by batches and one by one."""
    results = []
    for way in ("batches", "one by one"):
        with monkeypatch.context() as patch:
            patch.setattr(native_records, "CHUNK_BYTES", chunk_bytes)
            root = tmp_path / way.replace(" ", "-")
            notices: list[str] = []
            with Project.create(root, name="p") as project:
                for source in before or []:
                    import_sources(project, [source], "native")
                if way == "one by one":
                    patch.setattr(native, "checked_batch", lambda *args: None)
                start = _project_files(root)
                try:
                    summary = import_sources(project, sources, "native", notify=notices.append)
                except AnnotatorError as exc:
                    outcome: Any = ("error", str(exc).replace(str(root), "ROOT"))
                    # Nothing changed but empty journals and lock files.
                    after = _project_files(root)
                    assert {key: after[key] for key in start} == start
                    assert not any(after[key] for key in after.keys() - start.keys())
                else:
                    outcome = (summary, notices)
            results.append((outcome, _project_files(root)))
    return results[0], results[1]


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize("shape", ["short", "complete"])
@pytest.mark.parametrize("chunk_bytes", [1 << 17, 700])
@pytest.mark.parametrize("odd", sorted(ODD))
def test_batches_give_what_one_by_one_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: str, chunk_bytes: int, shape: str
) -> None:
    records = [plain(number, shape) for number in range(12)]
    for number in (0, 5, 6, 11):
        records[number] = _odd(ODD[odd], shape)(number)
    source = _write(tmp_path / "in.jsonl", records)
    batches, one_by_one = _import_both_ways(tmp_path, monkeypatch, [source], chunk_bytes)
    assert batches == one_by_one


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize("shape", ["short", "complete"])
@pytest.mark.parametrize("chunk_bytes", [1 << 17, 700])
@pytest.mark.parametrize(
    "problem",
    [
        "span text",
        "duplicate span id",
        "missing relation end",
        "broken line",
        "blank line",
        "same id, other text",
        "same text, other id",
        "bad status",
        "negative start",
        "empty span",
        "bool offset",
        "span past the end",
        "span text too short",
        "int span id",
        "int label",
        "list attrs",
        "int note",
        "int relation note",
        "null attrs",
    ],
)
def test_problems_are_found_or_converted_as_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, problem: str, chunk_bytes: int, shape: str
) -> None:
    records = [plain(number, shape) for number in range(10)]
    bad = copy.deepcopy(records[6])
    span = bad["spans"][0]
    if problem == "span text":
        span["text"] = "nope"
    elif problem == "duplicate span id":
        bad["spans"][1]["id"] = span["id"]
        bad["relations"] = []
    elif problem == "missing relation end":
        bad["relations"][0]["tail"] = "T99"
    elif problem == "same id, other text":
        bad["id"] = records[2]["id"]
    elif problem == "same text, other id":
        bad["text"], bad["spans"], bad["relations"] = records[1]["text"], [], []
    elif problem == "bad status":
        bad["status"] = "finished"
    elif problem == "negative start":
        span["start"] = -1
    elif problem == "empty span":
        span["end"], span["text"] = span["start"], ""
    elif problem == "bool offset":
        span["start"], span["end"] = True, True + len(span["text"])
    elif problem == "span past the end":
        span["start"], span["end"] = len(bad["text"]) - 1, len(bad["text"]) + 1
        span["text"] = bad["text"][-1:] + "x"
    elif problem == "span text too short":
        span["end"] += 2
    elif problem == "int span id":
        span["id"], bad["relations"] = 5, []
    elif problem == "int label":
        span["label"] = 5
    elif problem == "list attrs":
        span["attrs"] = ["k"]
    elif problem == "int note":
        span["note"] = 7
    elif problem == "int relation note":
        bad["relations"][0]["note"] = 7
    elif problem == "null attrs":
        span["attrs"] = None
    records[6] = bad
    source = _write(tmp_path / "in.jsonl", records, blank=problem == "blank line")
    if problem == "broken line":
        source.write_bytes(source.read_bytes().replace(b'"doc-6"', b'"doc-6'))
    batches, one_by_one = _import_both_ways(tmp_path, monkeypatch, [source], chunk_bytes)
    assert batches == one_by_one


@pytest.mark.usefixtures("fixed_clock")
def test_reimport_and_import_into_a_filled_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _write(tmp_path / "first.jsonl", [plain(number) for number in range(8)])
    # Half of it again (unchanged), texts stored under other ids (documents of their own,
    # counted as sharing a text), new ones.
    again = [plain(number) for number in range(4)]
    twins = [{**plain(number), "id": f"twin-{number}"} for number in range(4, 6)]
    new = [plain(number) for number in range(8, 14)]
    second = _write(tmp_path / "second.jsonl", again + twins + new)
    for chunk_bytes in (1 << 17, 700):
        batches, one_by_one = _import_both_ways(
            tmp_path / str(chunk_bytes), monkeypatch, [first, second], chunk_bytes, [first]
        )
        assert batches == one_by_one
        summary = batches[0][0]
        assert (summary.added, summary.unchanged, summary.shared_text) == (8, 12, 2)


@pytest.mark.parametrize("shape", ["short", "complete"])
def test_plain_records_are_read_as_checked_batches(tmp_path: Path, shape: str) -> None:
    records = [plain(number, shape) for number in range(20)]
    source = _write(tmp_path / "in.jsonl", records)
    chunks = list(native.reader.read_chunks(source))
    assert chunks and all(isinstance(chunk, CheckedBatch) for chunk in chunks)
    assert [doc_id for chunk in chunks for doc_id in chunk.ids] == [r["id"] for r in records]
    # One odd record: its chunk is read one by one, the others still in batches.
    records[10] = _odd(_crlf, shape)(10)
    kinds = [
        isinstance(chunk, CheckedBatch)
        for chunk in native.reader.read_chunks(_write(tmp_path / "odd.jsonl", records))
    ]
    assert False in kinds and True in kinds


@pytest.mark.parametrize("shape", ["short", "complete"])
def test_a_batch_falls_back_to_the_same_records(tmp_path: Path, shape: str) -> None:
    records = [plain(number, shape) for number in range(6)]
    source = _write(tmp_path / "in.jsonl", records)
    from_batches = [
        record for chunk in native.reader.read_chunks(source) for record in _records(chunk)
    ]
    one_by_one = list(native.reader.read(source))
    assert [(r.document, r.where, r.labels.keys()) for r in from_batches] == [
        (r.document, r.where, r.labels.keys()) for r in one_by_one
    ]
    assert [[labels.records for labels in r.labels.values()] for r in from_batches] == [
        [labels.records for labels in r.labels.values()] for r in one_by_one
    ]


def _records(chunk: Any) -> Iterator[Any]:
    return chunk.records() if isinstance(chunk, CheckedBatch) else chunk


def test_encoded_lines_equal_sealed_records() -> None:
    spans = [
        {"id": "T1", "start": 0, "end": 2, "label": "L", "text": "👍🏽", "attrs": {}, "note": ""},
        {"id": 'T"2', "start": 3, "end": 5, "label": "é", "text": "\\n", "attrs": {}, "note": ""},
    ]
    relations = [{"id": "R1", "label": "A", "head": "T1", "tail": 'T"2', "note": ""}]
    records = [
        ("d1", "in_progress", "", spans, relations),
        ("d\u2028\"2'", "done", 'note "quoted" 北京', [], []),
    ]
    digests = text_hashes(["a", "b"])
    lines = encode_lines(
        [r[0] for r in records],
        digests,
        [r[1] for r in records],
        [r[2] for r in records],
        "2026-11-23T07:00:00.000Z",
        [len(r[3]) for r in records],
        [len(r[4]) for r in records],
        [orjson.dumps(r[3]) for r in records],
        [orjson.dumps(r[4]) for r in records],
    )
    expected = [
        seal(
            encode_record(
                {
                    "doc_id": doc_id,
                    "text_hash": digest,
                    "status": status,
                    "note": note,
                    "updated": "2026-11-23T07:00:00.000Z",
                    "spans": spans,
                    "relations": relations,
                    "provenance": {},
                }
            )
        )
        for (doc_id, status, note, spans, relations), digest in zip(records, digests, strict=True)
    ]
    assert lines == expected
    with pytest.raises(ValueError, match="unknown status"):
        encode_lines(["d"], digests[:1], ["finished"], [""], "now", [0], [0], [b"[]"], [b"[]"])


def test_text_hashes_are_text_hash() -> None:
    texts = [*TEXTS, "", "\ud800 lone surrogate", "\r\n"]
    assert text_hashes(texts) == [text_hash(text) for text in texts]
