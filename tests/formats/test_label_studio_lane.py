"""Label Studio's columnar lane (formats/label_studio_batches.py).

A stretch of plain tasks comes as one CheckedBatch instead of a record per task. The
batch must be exactly what the one-task path's records make (the same documents, the
same encoded labels), the compiled span work must give the Python code's bytes, and a
project imported through the lane must be the project imported one task at a time,
refusals (file and line) included.
"""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.core.errors import InputError
from annotator.formats import jsonio, label_studio_batches
from annotator.formats.base import CheckedBatch, get_reader, read_chunks
from annotator.formats.common import alike_stretches
from annotator.formats.compiled import compiled_offsets
from annotator.services import import_sources
from annotator.store import Project
from tests.formats.test_quick_lanes import _results, _text_and_spans

WORDS = [
    "alpha",
    "béta",
    "ga\u0301mma",
    "👍🏽",
    "北京",
    "e\u0308x",
    'quo"te',
    "back\\slash",
    "t\tab",
]


def _relations(rng: random.Random, results: list[Any], odd: float) -> list[Any]:
    """Relation results between the regions (now and then one naming no region, two-way,
    unlabelled or pointing left)."""
    ids = [item.get("id") for item in results if item.get("type") == "labels"]
    relations: list[Any] = []
    for _ in range(rng.randint(0, 3) if len(ids) > 1 else 0):
        head, tail = rng.sample(ids, 2)
        relation: dict[str, Any] = {
            "type": "relation",
            "from_id": head,
            "to_id": tail,
            "direction": rng.choice(["right", "right", "left"]),
            "labels": rng.choice([["ATTRIBUTED_TO"], ["A", "B"]]),
        }
        chance = rng.random()
        if chance < odd:
            relation["to_id"] = "nowhere"
        elif chance < 2 * odd:
            relation["direction"] = "bi"
        elif chance < 3 * odd:
            del relation["labels"]
        relations.append(relation)
    return relations


def _task(rng: random.Random, number: int, odd: float) -> dict[str, Any]:
    lines = [" ".join(rng.choices(WORDS, k=rng.randint(2, 9))) for _ in range(rng.randint(1, 4))]
    text = f"Head {number}\n" + "\n".join(lines)
    places = []
    for _ in range(rng.randint(0, 6)):
        start = rng.randrange(len(text) - 1)
        places.append((start, rng.randint(start + 1, min(len(text), start + 9))))
    results = _results(rng, text, places) if rng.random() < odd * 4 else _plain(text, places)
    results += _relations(rng, results, odd)
    task: dict[str, Any] = {
        "id": number,
        "data": {"text": text, "doc_id": f"d{number}"} if number % 3 else {"text": text},
        "meta": {"n": number},
        "annotations": [{"id": 1, "result": results, "was_cancelled": False}],
    }
    if rng.random() < odd:
        task["data"]["text"] = text.replace("\n", "\r\n")
    if rng.random() < odd:
        task["annotations"].append({"result": [], "was_cancelled": True})
    if rng.random() < odd:
        task["annotations"][0]["completed_by"] = rng.choice([3, {"email": "bo@x.org"}])
    if rng.random() < odd:
        task["predictions"] = [{"result": []}]
    if rng.random() < odd:
        del task["annotations"]
    return task


def _plain(text: str, places: list[tuple[int, int]]) -> list[Any]:
    return [
        {
            "id": f"r{index}",
            "type": "labels",
            "value": {"start": start, "end": end, "text": text[start:end], "labels": ["PERSON"]},
        }
        for index, (start, end) in enumerate(dict.fromkeys(places))
    ]


def _write(path: Path, tasks: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"[\n" + b",\n".join(map(orjson.dumps, tasks)) + b"\n]\n")
    return path


@pytest.mark.parametrize("seed", range(6))
def test_compiled_label_work_is_the_python_code(seed: int) -> None:
    compiled = compiled_offsets()
    if compiled is None:
        pytest.skip("_offsets is not built here")
    rng = random.Random(seed)
    taken = 0
    for _ in range(300):
        texts, result_lists = [], []
        for _ in range(rng.randint(1, 4)):
            text, places = _text_and_spans(rng)
            results = _results(rng, text, places) if rng.random() < 0.5 else _plain(text, places)
            texts.append(text)
            result_lists.append(results + _relations(rng, results, 0.02))
        if rng.random() < 0.02:
            texts[0] += "\ud800"  # a lone surrogate: orjson cannot write it
        python = label_studio_batches.label_work_python(texts, result_lists)
        assert compiled.label_studio_spans(texts, result_lists) == python
        taken += python is not None
    assert taken > 30


@pytest.mark.parametrize("compiled", [True, False])
def test_label_work_writes_the_records_as_orjson_does(
    compiled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not compiled:
        monkeypatch.setattr(label_studio_batches, "compiled_offsets", lambda: None)
    elif compiled_offsets() is None:
        pytest.skip("_offsets is not built here")
    text = 'a "quoted" back\\slash\t👍🏽 e\u0308'
    results = [
        {
            "id": 7,
            "type": "labels",
            "value": {"start": 0, "end": 12, "text": text[:12], "labels": [" QUOTE "]},
        },
        {
            "id": "é\n",
            "type": "labels",
            "value": {"start": 13, "end": len(text), "text": text[13:], "labels": ["X"]},
        },
        {
            "type": "relation",
            "from_id": "7",
            "to_id": "é\n",
            "labels": ["SAID", 'B"'],
            "direction": "left",
        },
        {"type": "relation", "from_id": 7, "to_id": "é\n", "labels": ["SAID"]},
    ]
    made = label_studio_batches.label_work([text], [results])
    assert made is not None
    records = [
        {
            "id": "7",
            "start": 0,
            "end": 12,
            "label": "QUOTE",
            "text": text[:12],
            "attrs": {},
            "note": "",
        },
        {
            "id": "é\n",
            "start": 13,
            "end": len(text),
            "label": "X",
            "text": text[13:],
            "attrs": {},
            "note": "",
        },
    ]
    relations = [
        {"id": "R1", "label": "SAID", "head": "é\n", "tail": "7", "note": ""},
        {"id": "R2", "label": 'B"', "head": "é\n", "tail": "7", "note": ""},
        {"id": "R3", "label": "SAID", "head": "7", "tail": "é\n", "note": ""},
    ]
    assert made == (
        [orjson.dumps(records)],
        ["QUOTE", "X"],
        [2],
        [orjson.dumps(relations)],
        ["SAID", 'B"', "SAID"],
        [3],
    )
    results[-1]["direction"] = "bi"  # told of, one task at a time
    assert label_studio_batches.label_work([text], [results]) is None


def test_bracket_count_is_the_byte_counts() -> None:
    compiled = compiled_offsets()
    if compiled is None:
        pytest.skip("_offsets is not built here")
    rng = random.Random(4)
    for _ in range(300):
        data = bytes(rng.choice(b'{[]}x"\\;{\x7b\x5b\xfb\xdb') for _ in range(rng.randint(0, 90)))
        assert compiled.bracket_count(data) == data.count(b"{") + data.count(b"[")
        assert jsonio._brackets(data) == data.count(b"{") + data.count(b"[")
    assert compiled.bracket_count(memoryview(b"{[x")[1:]) == 1


@pytest.mark.parametrize("odd", [0.0, 0.01, 0.05])
def test_batches_are_the_one_task_records(odd: float, tmp_path: Path) -> None:
    rng = random.Random(int(odd * 100))
    source = _write(tmp_path / "tasks.json", [_task(rng, number, odd) for number in range(400)])
    batches = 0
    try:
        for chunk in read_chunks(get_reader("label-studio"), source):
            if not isinstance(chunk, CheckedBatch):
                list(chunk)
                continue
            batches += 1
            (expected,) = alike_stretches(list(chunk.records()))
            assert isinstance(expected, CheckedBatch)
            for field in ("ids", "texts", "metas", "labelled", "who", "statuses", "notes"):
                assert getattr(chunk, field) == getattr(expected, field), field
            for field in ("span_counts", "relation_counts", "span_labels", "relation_labels"):
                assert getattr(chunk, field) == getattr(expected, field), field
            assert chunk.encode() == expected.encode()
    except InputError:
        assert odd > 0
    if odd < 0.05:
        assert batches > (4 if odd == 0 else 0)


_VOLATILE = re.compile(rb'"updated":"[^"]*"|"checksum":[0-9]+')


def _imported(source: Path, project: Path) -> dict[str, str] | str:
    """Every file of the project after importing ``source`` (hashed, without the times
    of the labels), or the import's refusal."""
    try:
        with Project.create(project) as opened:
            import_sources(opened, [source], "label-studio")
    except InputError as exc:
        return str(exc)
    return {
        str(path.relative_to(project)): hashlib.sha256(
            _VOLATILE.sub(b"", path.read_bytes())
        ).hexdigest()
        for path in sorted(project.rglob("*"))
        if path.is_file() and path.suffix != ".idx"
    }


@pytest.mark.parametrize("odd", [0.0, 0.02, 0.1])
def test_the_lane_imports_what_the_one_task_path_imports(
    odd: float, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(7 + int(odd * 100))
    source = _write(tmp_path / "tasks.json", [_task(rng, number, odd) for number in range(300)])
    through_lane = _imported(source, tmp_path / "lane" / "project")
    monkeypatch.setattr(label_studio_batches, "checked_batch", lambda *_: None)
    assert _imported(source, tmp_path / "one-by-one" / "project") == through_lane


def test_a_refused_task_among_plain_ones_is_named_with_its_line(tmp_path: Path) -> None:
    rng = random.Random(5)
    tasks = [_task(rng, number, 0.0) for number in range(200)]
    tasks[90]["annotations"][0]["result"] = [{"type": "relation", "from_id": "x", "to_id": "y"}]
    source = _write(tmp_path / "tasks.json", tasks)
    refusal = _imported(source, tmp_path / "project")
    assert refusal == f"{source}:92: [90]: annotations[0].result[0].from_id 'x' names no region"
    assert (
        not (tmp_path / "project" / "documents.jsonl").exists()
        or not (tmp_path / "project" / "documents.jsonl").read_bytes()
    )
