"""The columnar lanes of the doccano, Label Studio and brat readers give byte for byte
the project the one-record path gives: the same generated sources (emoji before spans,
UTF-16 and code-point offsets, CRLF, a byte-order mark, combining marks, relations,
overlapping and repeated spans, categories, documents without labels, blank lines,
refused records) imported through both, every file of both projects compared, with
the import's summary, notices, errors and --skip-invalid reports."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.core.errors import AnnotatorError, InputError
from annotator.formats import brat, common, doccano, doccano_batches, label_studio
from annotator.formats.base import CheckedBatch, read_chunks
from annotator.formats.jsonio import Location
from annotator.formats.offsets import _on_boundaries
from annotator.services import import_sources
from annotator.store import Project

PHRASES = [
    ("Kim", "PERSON"),
    ("北京", "GPE"),
    ("café\u0301", "MISC"),
    ("Erdoğan", "PERSON"),
    ("👍🏽", "EMOJI"),
    ("the Kremlin", "ORG"),
    ("“Ties between them”", "QUOTE"),
]
FILLERS = ["said", "in", "👩‍👩‍👧", "and", "🇫🇷", "naïve", "—", "met", "x", "Zürich,"]


def _utf16(text: str, offset: int) -> int:
    return len(text[:offset].encode("utf-16-le")) // 2


def _article(rng: random.Random, number: int) -> tuple[str, list[tuple[int, int, str]]]:
    """A text and its spans (code points), some overlapping, some with emoji before them."""
    parts: list[str] = [f"Headline {number} {rng.choice(FILLERS)}\n\n"]
    spans: list[tuple[int, int, str]] = []
    length = len(parts[0])
    for _ in range(rng.randint(0, 6)):
        before = " ".join(rng.choices(FILLERS, k=rng.randint(1, 4))) + " "
        phrase, label = rng.choice(PHRASES)
        start = length + len(before)
        spans.append((start, start + len(phrase), label))
        if rng.random() < 0.2:  # an overlapping span over the phrase and what follows
            spans.append((start, start + len(phrase) + 1, "WIDE"))
        parts += [before, phrase, rng.choice([" ", ".\n", " \n\n"])]
        length = start + len(phrase) + len(parts[-1])
    return "".join(parts), spans


def doccano_records(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    for number in range(count):
        text, spans = _article(rng, number)
        utf16 = rng.random() < 0.7
        crlf = rng.random() < 0.1
        if crlf:
            # Offsets count the source's \r\n, as doccano's do.
            shift = [text[:start].count("\n") for start, _, _ in spans]
            ends = [text[:end].count("\n") for _, end, _ in spans]
            text = text.replace("\n", "\r\n")
            spans = [
                (s + a, e + b, lab) for (s, e, lab), a, b in zip(spans, shift, ends, strict=True)
            ]
        if utf16:
            spans = [(_utf16(text, s), _utf16(text, e), lab) for s, e, lab in spans]
        record: dict[str, Any] = {"id": f"d{number}", "text": text}
        form = rng.random()
        if form < 0.6:
            record["entities"] = [
                {"id": 10 + index, "start_offset": s, "end_offset": e, "label": lab}
                for index, (s, e, lab) in enumerate(spans)
            ]
            record["relations"] = [
                {"id": index, "from_id": 10 + index, "to_id": 11 + index, "type": "NEXT"}
                for index in range(max(len(spans) - 1, 0))
                if rng.random() < 0.5
            ]
        else:
            record["label"] = [[s, e, lab] for s, e, lab in spans]
        if rng.random() < 0.3:
            record["meta"] = {"source": "wire", "n": number}
        if rng.random() < 0.1:
            record["cats"] = ["politics"]
        if rng.random() < 0.05:
            record.pop("id")
        if _doccano_takes(record):
            records.append(record)
    return records


def _doccano_takes(record: dict[str, Any]) -> bool:
    """Whether the one-record path imports this record (its spans may not tell their unit)."""
    path = Path("in.jsonl")
    columns = doccano._columns(record)
    assert columns is not None
    try:
        doccano._record(record, Location(path, 1), columns, "in-1", doccano.Tally(path))
    except InputError:
        return False
    return True


def _write_jsonl(path: Path, records: list[Any], blank_at: tuple[int, ...] = ()) -> Path:
    lines = [orjson.dumps(record) for record in records]
    for at in sorted(blank_at, reverse=True):
        lines.insert(at, b"  ")
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _project_files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        # The report's name holds the time; its bytes are compared with the summary.
        if path.is_file()
        and not path.name.endswith(".lock")
        and not path.name.startswith("import-report-")
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
    source: Path,
    fmt: str,
    one_by_one: Callable[[pytest.MonkeyPatch], None],
    **options: Any,
) -> tuple[Any, Any]:
    """The import's outcome (files, summary, notices or error) by batches and one by one."""
    results = []
    for way in ("batches", "one-by-one"):
        with monkeypatch.context() as patch:
            if way == "one-by-one":
                one_by_one(patch)
            root = tmp_path / way
            notices: list[str] = []
            with Project.create(root, name="p") as project:
                try:
                    summary = import_sources(
                        project, [source], fmt, "alice", notify=notices.append, **options
                    )
                except AnnotatorError as exc:
                    outcome: Any = ("error", str(exc))
                else:
                    report = summary.report.read_bytes() if summary.report else None
                    summary.report = None
                    outcome = (summary, notices, report)
            results.append((outcome, _project_files(root)))
    return results[0], results[1]


def _assert_same(batches: Any, one_by_one: Any) -> None:
    """Same outcome, same files; a differing file is named with its first differing line."""
    assert batches[0] == one_by_one[0]
    assert sorted(batches[1]) == sorted(one_by_one[1])
    for name, data in batches[1].items():
        if data != one_by_one[1][name]:
            pairs = zip(data.splitlines(), one_by_one[1][name].splitlines(), strict=False)
            first = next(((a, b) for a, b in pairs if a != b), (data, one_by_one[1][name]))
            pytest.fail(f"{name} differs:\n{first[0]!r}\n{first[1]!r}")


def _doccano_one_by_one(patch: pytest.MonkeyPatch) -> None:
    patch.setattr(doccano, "checked_rows", lambda *args: None)


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize("chunk_bytes", [1 << 17, 900])
@pytest.mark.parametrize("seed", range(6))
def test_doccano_batches_give_what_one_by_one_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, chunk_bytes: int
) -> None:
    monkeypatch.setattr(doccano, "CHUNK_BYTES", chunk_bytes)
    records = doccano_records(seed, 60)
    source = _write_jsonl(tmp_path / "in.jsonl", records, blank_at=(7,) if seed % 2 else ())
    batches, one_by_one = _import_both_ways(
        tmp_path, monkeypatch, source, "doccano", _doccano_one_by_one
    )
    _assert_same(batches, one_by_one)
    summary = batches[0][0]
    assert summary.added == len(records)


ODD_DOCCANO: dict[str, Callable[[dict[str, Any]], Any]] = {
    "list form entities": lambda r: {
        "text": "Kim 👍 Kim",
        "entities": [[0, 3, "PERSON"], [7, 10, "PERSON"]],
        "cats": [],
    },
    "span listed twice": lambda r: {"text": "Kim met Lee", "label": [[0, 3, "P"], [0, 3, "P"]]},
    "byte-order mark": lambda r: {"text": "\ufeffKim 👍 Kim", "label": [[1, 4, "P"], [8, 11, "P"]]},
    "categories only": lambda r: {"text": "Also none", "label": ["sports", "news"]},
    "empty text": lambda r: {"text": "", "label": []},
    "relation to nothing": lambda r: {
        "text": "Kim met Lee",
        "entities": [{"id": 1, "start_offset": 0, "end_offset": 3, "label": "P"}],
        "relations": [{"id": 1, "from_id": 1, "to_id": 2, "type": "MET"}],
    },
    "offsets outside": lambda r: {"text": "Kim", "label": [[0, 9, "P"]]},
    "unit undecided": lambda r: {"text": "👍 ab ab", "label": [[2, 3, "P"]]},
    "label not a string": lambda r: {"text": "Kim", "label": [[0, 3, 5]]},
    "no text": lambda r: {"id": 3, "body": "Kim", "label": [[0, 3, "P"]]},
    "same id as another": lambda r: {**r, "text": r["text"] + " changed"},
    "two entities one id": lambda r: {
        "text": "Kim met Lee",
        "entities": [
            {"id": 1, "start_offset": 0, "end_offset": 3, "label": "P"},
            {"id": 1, "start_offset": 8, "end_offset": 11, "label": "P"},
        ],
    },
}


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize("skip_invalid", [False, True])
@pytest.mark.parametrize("odd", sorted(ODD_DOCCANO))
def test_doccano_odd_records_among_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: str, skip_invalid: bool
) -> None:
    monkeypatch.setattr(doccano, "CHUNK_BYTES", 1500)
    records = doccano_records(11, 40)
    for at in (0, 17, len(records) - 1):
        records[at] = ODD_DOCCANO[odd](records[at - 1])
    source = _write_jsonl(tmp_path / "in.jsonl", records)
    batches, one_by_one = _import_both_ways(
        tmp_path,
        monkeypatch,
        source,
        "doccano",
        _doccano_one_by_one,
        skip_invalid=skip_invalid,
    )
    _assert_same(batches, one_by_one)


@pytest.mark.parametrize("unit", ["codepoint", "utf16"])
@pytest.mark.usefixtures("fixed_clock")
def test_doccano_named_unit_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unit: str
) -> None:
    records = doccano_records(5, 50)
    source = _write_jsonl(tmp_path / "in.jsonl", records)
    batches, one_by_one = _import_both_ways(
        tmp_path, monkeypatch, source, "doccano", _doccano_one_by_one, offset_unit=unit
    )
    _assert_same(batches, one_by_one)


def test_doccano_lane_takes_plain_chunks(tmp_path: Path) -> None:
    """The generated files are not all refused by the lane: most of it is batched
    (records with document categories take the one-record path, which reads them)."""
    records = [
        r
        for r in doccano_records(3, 80)
        if "\r" not in r["text"] and not doccano_batches.has_cats(r)
    ]
    source = _write_jsonl(tmp_path / "in.jsonl", records)
    tally = doccano.Tally(source)
    checked = doccano_batches.checked_rows(
        source, source.read_bytes().splitlines(keepends=True), 1, tally, None
    )
    assert checked is not None
    rows, first_key = checked
    assert len(rows) == len(records)
    assert first_key in ("entities", "label")
    for doc_id, text, _meta, _where, labels in rows:
        assert doc_id.startswith("d") or doc_id.startswith("in-")
        if isinstance(labels, doccano_batches.EncodedLabels):
            labels = labels.checked()
        for span in labels.records[0] if labels is not None and labels.records else []:
            assert text[span["start"] : span["end"]] == span["text"]
    assert any("UTF-16" in notice for notice in tally.notices())
    chunks = list(read_chunks(doccano.reader, source))
    assert any(isinstance(chunk, CheckedBatch) and chunk.labelled for chunk in chunks)


def label_studio_tasks(seed: int, count: int) -> list[dict[str, Any]]:
    """Tasks as Label Studio exports them: code points or (before 2022) UTF-16 units,
    regions with notes, relations, several annotators, cancelled annotations."""
    rng = random.Random(seed)
    tasks: list[dict[str, Any]] = []
    for number in range(count):
        text, spans = _article(rng, number)
        utf16 = rng.random() < 0.2
        crlf = rng.random() < 0.1
        if crlf:
            shift = [text[:start].count("\n") for start, _, _ in spans]
            ends = [text[:end].count("\n") for _, end, _ in spans]
            covered = [text[s:e].replace("\n", "\r\n") for s, e, _ in spans]
            text = text.replace("\n", "\r\n")
            spans = [
                (s + a, e + b, lab) for (s, e, lab), a, b in zip(spans, shift, ends, strict=True)
            ]
        else:
            covered = [text[s:e] for s, e, _ in spans]
        if utf16:
            spans = [(_utf16(text, s), _utf16(text, e), lab) for s, e, lab in spans]
        result: list[dict[str, Any]] = [
            {
                "id": f"r{index}",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "value": {"start": s, "end": e, "text": piece, "labels": [lab]},
                **({"meta": {"text": ["a note"]}} if rng.random() < 0.1 else {}),
            }
            for index, ((s, e, lab), piece) in enumerate(zip(spans, covered, strict=True))
        ]
        result += [
            {
                "type": "relation",
                "from_id": f"r{index}",
                "to_id": f"r{index + 1}",
                "direction": rng.choice(["right", "left"]),
                "labels": ["NEXT"],
            }
            for index in range(max(len(spans) - 1, 0))
            if rng.random() < 0.4
        ]
        task: dict[str, Any] = {"id": number + 1, "data": {"text": text}}
        if rng.random() < 0.85:
            annotations = [{"id": number, "completed_by": 1, "result": result}]
            if rng.random() < 0.1:
                annotations.append({"id": 0, "completed_by": 2, "result": result[:1]})
            if rng.random() < 0.05:
                annotations.append({"id": 0, "completed_by": 3, "was_cancelled": True})
            task["annotations"] = annotations
        tasks.append(task)
    return tasks


def _write_tasks(path: Path, tasks: list[Any]) -> Path:
    """A task list as exports write it: one task a line."""
    path.write_bytes(b"[\n" + b",\n".join(map(orjson.dumps, tasks)) + b"\n]\n")
    return path


def _label_studio_one_by_one(patch: pytest.MonkeyPatch) -> None:
    patch.delattr(label_studio.LabelStudioReader, "read_chunks")


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize("annotator", [None, "alice"])
@pytest.mark.parametrize("seed", range(4))
def test_label_studio_batches_give_what_one_by_one_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, annotator: str | None
) -> None:
    monkeypatch.setattr(common, "BATCH_RECORDS", 7)
    source = _write_tasks(tmp_path / "in.json", label_studio_tasks(seed, 50))
    results = []
    for way in ("batches", "one-by-one"):
        with monkeypatch.context() as patch:
            if way == "one-by-one":
                _label_studio_one_by_one(patch)
            root = tmp_path / way
            notices: list[str] = []
            with Project.create(root, name="p") as project:
                summary = import_sources(
                    project, [source], "label-studio", annotator, notify=notices.append
                )
            results.append(((summary, notices, None), _project_files(root)))
    _assert_same(results[0], results[1])
    assert results[0][0][0].added == 50
    chunks = list(read_chunks(label_studio.reader, source))
    assert any(isinstance(chunk, CheckedBatch) and chunk.labelled for chunk in chunks)


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize("skip_invalid", [False, True])
def test_label_studio_refused_task_among_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, skip_invalid: bool
) -> None:
    monkeypatch.setattr(common, "BATCH_RECORDS", 5)
    tasks = label_studio_tasks(2, 30)
    tasks[13] = {
        "id": 99,
        "data": {"text": "Kim"},
        "annotations": [
            {
                "result": [
                    {
                        "id": "a",
                        "type": "labels",
                        "value": {"start": 0, "end": 9, "text": "Kim", "labels": ["P"]},
                    }
                ]
            }
        ],
    }
    source = _write_tasks(tmp_path / "in.json", tasks)
    batches, one_by_one = _import_both_ways(
        tmp_path,
        monkeypatch,
        source,
        "label-studio",
        _label_studio_one_by_one,
        skip_invalid=skip_invalid,
    )
    _assert_same(batches, one_by_one)


@pytest.mark.parametrize(
    "text", ["Kim said “café\u0301” in 北京 👍🏽 x_y 12 — .", "a", " b ", "...", "ab cd\n\nef"]
)
def test_doccano_boundaries_are_on_boundaries(text: str) -> None:
    """The lane's whole-list boundary test agrees with offsets._on_boundaries on every span."""
    pairs = [(s, e) for s in range(len(text)) for e in range(s + 1, len(text) + 1)]
    starts, ends = [s for s, _ in pairs], [e for _, e in pairs]
    assert doccano_batches._boundaries(text, starts, ends) == [
        _on_boundaries(text, s, e) for s, e in pairs
    ]


def brat_folder(folder: Path, seed: int, count: int) -> Path:
    """A brat folder: T lines (discontinuous ones too), R, #, A and N lines, texts with
    emoji (some .ann counting UTF-16 units, as brat's browser client does), CRLF, a
    .txt without its .ann."""
    rng = random.Random(seed)
    folder.mkdir()
    for number in range(count):
        text, spans = _article(rng, number)
        crlf = rng.random() < 0.1
        utf16 = rng.random() < 0.2
        raw = text.replace("\n", "\r\n") if crlf else text

        def offset(at: int, raw: str = raw, text: str = text, utf16: bool = utf16) -> int:
            at += text[:at].count("\n") if raw is not text else 0
            return _utf16(raw, at) if utf16 else at

        lines = []
        for index, (s, e, label) in enumerate(spans, 1):
            covered = text[s:e].replace("\n", " ")
            if index == 2 and e - s > 2 and not utf16:
                middle = s + (e - s) // 2
                lines.append(
                    f"T{index}\t{label} {offset(s)} {offset(middle)};{offset(middle + 1)} "
                    f"{offset(e)}\t{text[s:middle]} {text[middle + 1 : e]}".replace("\n", " ")
                )
            else:
                lines.append(f"T{index}\t{label} {offset(s)} {offset(e)}\t{covered}")
        for index in range(1, len(spans)):
            if rng.random() < 0.4:
                lines.append(f"R{index}\tNEXT Arg1:T{index} Arg2:T{index + 1}")
        if spans and rng.random() < 0.2:
            lines.append("#1\tAnnotatorNotes T1\ta note")
        if spans and rng.random() < 0.1:
            lines.append("A1\tNegated T1")
        if spans and rng.random() < 0.1:
            lines.append("N1\tReference T1 Wiki:42\tKim")
        (folder / f"doc{number:03}.txt").write_bytes(raw.encode())
        if rng.random() < 0.9:
            (folder / f"doc{number:03}.ann").write_bytes(("\n".join(lines) + "\n").encode())
    return folder


def _brat_one_by_one(patch: pytest.MonkeyPatch) -> None:
    patch.delattr(brat.BratReader, "read_chunks")


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize("seed", range(4))
def test_brat_batches_give_what_one_by_one_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    monkeypatch.setattr(common, "BATCH_RECORDS", 6)
    source = brat_folder(tmp_path / "in", seed, 40)
    batches, one_by_one = _import_both_ways(tmp_path, monkeypatch, source, "brat", _brat_one_by_one)
    _assert_same(batches, one_by_one)
    assert batches[0][0].added == 40
    chunks = list(read_chunks(brat.reader, source))
    assert any(isinstance(chunk, CheckedBatch) and chunk.labelled for chunk in chunks)


@pytest.mark.usefixtures("fixed_clock")
@pytest.mark.parametrize("skip_invalid", [False, True])
def test_brat_refused_document_among_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, skip_invalid: bool
) -> None:
    monkeypatch.setattr(common, "BATCH_RECORDS", 4)
    source = brat_folder(tmp_path / "in", 7, 20)
    (source / "doc011.txt").write_text("Kim")
    (source / "doc011.ann").write_text("T1\tP 0 3\tKim\nR1\tX Arg1:T1 Arg2:T9\n")
    batches, one_by_one = _import_both_ways(
        tmp_path, monkeypatch, source, "brat", _brat_one_by_one, skip_invalid=skip_invalid
    )
    _assert_same(batches, one_by_one)
