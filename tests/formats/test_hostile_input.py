"""Hostile sources (issue 22, items 6 and 7): each is refused with exit 1 and one line that
names the file and line (or JSON path) and the reason; never "internal error", never a
value rounded, coerced or split on the way in; the project is left as it was."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from annotator.cli import main
from tests.store.helpers import snapshot

TEXT = "Alice met Bob."
DEEP = "[" * 5000 + "]" * 5000
HUGE = "9" * 5000


def _prodigy_relation(head_span: str) -> str:
    return (
        '{"text": "Alice met Bob.", "answer": "accept", "spans": ['
        '{"start": 0, "end": 5, "label": "P"}, {"start": 10, "end": 13, "label": "P"}], '
        '"relations": [{"head": 0, "child": 2, "label": "MET", "head_span": ' + head_span + ", "
        '"child_span": {"start": 10, "end": 13, "label": "P"}}]}\n'
    )


def _label_studio_relation(labels: str) -> str:
    region = (
        '{{"id": "{0}", "type": "labels", "value": {{"start": {1}, "end": {2}, '
        '"text": "{3}", "labels": ["P"]}}}}'
    )
    return (
        '[{"data": {"text": "Alice met Bob."}, "annotations": [{"result": ['
        + region.format("a", 0, 5, "Alice")
        + ", "
        + region.format("b", 10, 13, "Bob")
        + ', {"type": "relation", "from_id": "a", "to_id": "b", "labels": '
        + labels
        + "}]}]}]"
    )


def _native_span(start: str, end: str, label: str = '"P"', extra: str = "") -> str:
    return (
        '{"text": "Alice met Bob.", "spans": [{"start": '
        f'{start}, "end": {end}, "label": {label}{extra}}}]}}\n'
    )


# (what, format, {file: content}, the source to import, the message's pattern)
CASES: list[tuple[str, str, dict[str, str], str, str]] = [
    # 22.6: internal errors
    (
        "brat T line alone",
        "brat",
        {"b/a.txt": TEXT, "b/a.ann": "T1\n"},
        "b",
        r"a\.ann:1: malformed T line",
    ),
    (
        "brat R line alone",
        "brat",
        {"b/a.txt": TEXT, "b/a.ann": "R1\n"},
        "b",
        r"a\.ann:1: malformed R line",
    ),
    (
        "brat R arguments without roles",
        "brat",
        {"b/a.txt": TEXT, "b/a.ann": "T1\tP 0 5\tAlice\nT2\tP 10 13\tBob\nR1\tREL T1 T2\n"},
        "b",
        r"a\.ann:3: malformed R line",
    ),
    (
        "brat events triggering each other",
        "brat",
        {"b/a.txt": TEXT, "b/a.ann": "T1\tP 0 5\tAlice\nE1\tMeet:E2 Who:T1\nE2\tMeet:E1 Who:T1\n"},
        "b",
        r"a\.ann:2: events trigger each other in a loop: E2 → E1 → E2",
    ),
    (
        "brat event its own trigger",
        "brat",
        {"b/a.txt": TEXT, "b/a.ann": "T1\tP 0 5\tAlice\nE1\tMeet:E1 Who:T1\n"},
        "b",
        r"a\.ann:2: events trigger each other in a loop",
    ),
    (
        "deep JSON, prodigy",
        "prodigy",
        {"in.jsonl": '{"text": "x", "meta": {"m": ' + DEEP + "}}\n"},
        "in.jsonl",
        r"in\.jsonl:1: broken JSON line: depth limit exceeded",
    ),
    (
        "deep JSON over many lines, doccano",
        "doccano",
        {"in.jsonl": '{\n  "text": "x",\n  "label": [],\n  "m": ' + DEEP + "\n}\n"},
        "in.jsonl",
        r"in\.jsonl:1: not valid JSON: nested too deeply",
    ),
    (
        "5,000-digit integer, prodigy",
        "prodigy",
        {"in.jsonl": '{"text": "x", "n": ' + HUGE + "}\n"},
        "in.jsonl",
        r"in\.jsonl:1: broken JSON line: number is infinity",
    ),
    (
        "5,000-digit integer over many lines, doccano",
        "doccano",
        {"in.jsonl": '{\n  "text": "x",\n  "label": [],\n  "n": ' + HUGE + "\n}\n"},
        "in.jsonl",
        r"in\.jsonl:1: not valid JSON: Exceeds the limit",
    ),
    (
        "lone surrogate, prodigy",
        "prodigy",
        {"in.jsonl": '{"text": "caf\\ud800"}\n'},
        "in.jsonl",
        r"in\.jsonl:1: broken JSON line: no low surrogate in string",
    ),
    (
        "lone surrogate over many lines, doccano",
        "doccano",
        {"in.jsonl": '{\n  "text": "caf\\ud800",\n  "label": []\n}\n'},
        "in.jsonl",
        r"in\.jsonl:2: not valid JSON: no low surrogate in string",
    ),
    (
        "prodigy head_span label a list",
        "prodigy",
        {"in.jsonl": _prodigy_relation('{"start": 0, "end": 5, "label": ["P"]}')},
        "in.jsonl",
        r"in\.jsonl:1: relations\[0\]\.head_span\.label must be a string, not \['P'\]",
    ),
    (
        "prodigy head_span start an object",
        "prodigy",
        {"in.jsonl": _prodigy_relation('{"start": {}, "end": 5, "label": "P"}')},
        "in.jsonl",
        r"in\.jsonl:1: relations\[0\]\.head_span\.start must be an integer, not \{\}",
    ),
    (
        "Label Studio relation labels a number",
        "label-studio",
        {"in.json": _label_studio_relation("5")},
        "in.json",
        r"in\.json:1: \[0\]: annotations\[0\]\.result\[2\]\.labels must be a list of label names",
    ),
    # 22.7: values accepted or changed silently
    (
        "NaN, prodigy",
        "prodigy",
        {"in.jsonl": '{"text": "x", "score": NaN}\n'},
        "in.jsonl",
        r"in\.jsonl:1: broken JSON line: .*NaN and Infinity are not JSON",
    ),
    (
        "Infinity, prodigy",
        "prodigy",
        {"in.jsonl": '{"text": "x", "score": -Infinity}\n'},
        "in.jsonl",
        r"in\.jsonl:1: broken JSON line: .*NaN and Infinity are not JSON",
    ),
    (
        "NaN, doccano",
        "doccano",
        {"in.jsonl": '{"text": "x", "label": [], "score": NaN}\n'},
        "in.jsonl",
        r"in\.jsonl:1: broken JSON line: .*NaN and Infinity are not JSON",
    ),
    (
        "NaN over many lines, doccano",
        "doccano",
        {"in.jsonl": '{\n  "text": "x",\n  "label": [],\n  "score": NaN\n}\n'},
        "in.jsonl",
        r"in\.jsonl:1: not valid JSON: NaN is not JSON",
    ),
    (
        "native fractional offsets",
        "native",
        {"in.jsonl": _native_span("0.9", "5.2")},
        "in.jsonl",
        r"in\.jsonl:1: spans\[0\]\.start must be an integer, not 0\.9",
    ),
    (
        "native offset a string",
        "native",
        {"in.jsonl": _native_span('"0"', "5")},
        "in.jsonl",
        r"in\.jsonl:1: spans\[0\]\.start must be an integer, not '0'",
    ),
    (
        "native offset in exponent form",
        "native",
        {"in.jsonl": _native_span("0", "5e0")},
        "in.jsonl",
        r"in\.jsonl:1: spans\[0\]\.end must be an integer, not 5\.0",
    ),
    (
        "native offset true",
        "native",
        {"in.jsonl": _native_span("true", "5")},
        "in.jsonl",
        r"in\.jsonl:1: spans\[0\]\.start must be an integer, not True",
    ),
    (
        "native label a list",
        "native",
        {"in.jsonl": _native_span("0", "5", '["P"]')},
        "in.jsonl",
        r"in\.jsonl:1: spans\[0\]\.label must be a string, not \['P'\]",
    ),
    (
        "native span id a list",
        "native",
        {"in.jsonl": _native_span("0", "5", extra=', "id": ["T1"]')},
        "in.jsonl",
        r"in\.jsonl:1: spans\[0\]\.id must be a string",
    ),
    (
        "native span note a number",
        "native",
        {"in.jsonl": _native_span("0", "5", extra=', "note": 7')},
        "in.jsonl",
        r"in\.jsonl:1: spans\[0\]\.note must be a string",
    ),
    (
        "native annotator a number",
        "native",
        {"in.jsonl": '{"text": "x", "spans": [], "annotator": 7}\n'},
        "in.jsonl",
        r'in\.jsonl:1: "annotator" must be a string, not 7',
    ),
    (
        "native document note a list",
        "native",
        {"in.jsonl": '{"text": "x", "spans": [], "note": ["n"]}\n'},
        "in.jsonl",
        r'in\.jsonl:1: "note" must be a string',
    ),
    (
        "Label Studio relation labels a string",
        "label-studio",
        {"in.json": _label_studio_relation('"REL"')},
        "in.json",
        r"in\.json:1: \[0\]: annotations\[0\]\.result\[2\]\.labels must be a list of label names, "
        r"not 'REL'",
    ),
    # Found by the fuzz test (test_fuzz_readers.py).
    (
        "brat id used twice",
        "brat",
        {
            "b/a.txt": TEXT,
            "b/a.ann": "T1\tP 0 5\tAlice\nR1\tMET Arg1:T1 Arg2:T1\nT1\tP 10 13\tBob\n",
        },
        "b",
        r"a\.ann:3: id T1 is used twice \(first on line 1\)",
    ),
    (
        "brat event argument without its role",
        "brat",
        {"b/a.txt": TEXT, "b/a.ann": "T1\tP 0 5\tAlice\nT2\tMeet 6 9\tmet\nE1\tMeet:T2 :T1\n"},
        "b",
        r"a\.ann:3: malformed E line",
    ),
    (
        "native spans not a list",
        "native",
        {"in.jsonl": '{"text": "x", "spans": true}\n'},
        "in.jsonl",
        r'in\.jsonl:1: "spans" must be a list, not True',
    ),
    (
        "native meta a list",
        "native",
        {"in.jsonl": '{"text": "x", "meta": []}\n'},
        "in.jsonl",
        r'in\.jsonl:1: "meta" must be an object',
    ),
    (
        "native relations false",
        "native",
        {"in.jsonl": '{"text": "x", "spans": [], "relations": false}\n'},
        "in.jsonl",
        r'in\.jsonl:1: "relations" must be a list, not False',
    ),
    (
        "native document note 0",
        "native",
        {"in.jsonl": '{"text": "x", "spans": [], "note": 0}\n'},
        "in.jsonl",
        r'in\.jsonl:1: "note" must be a string, not 0',
    ),
    (
        "native span text a number",
        "native",
        {"in.jsonl": _native_span("0", "5", extra=', "text": 5')},
        "in.jsonl",
        r"in\.jsonl:1: spans\[0\]\.text must be a string, not 5",
    ),
    (
        "native relation head an object",
        "native",
        {
            "in.jsonl": '{"text": "Alice met Bob.", "spans": [{"id": "s1", "start": 0, "end": 5, '
            '"label": "P", "text": "Alice"}], "relations": [{"id": "r1", "label": "MET", '
            '"head": {}, "tail": "s1"}]}\n'
        },
        "in.jsonl",
        r"in\.jsonl:1: relations\[0\]: Input should be a valid string",
    ),
    (
        "Label Studio predictions a number",
        "label-studio",
        {"in.json": '[{"data": {"text": "x"}, "predictions": 2.5}]'},
        "in.json",
        r'in\.json:1: \[0\]: "predictions" must be a list, not 2\.5',
    ),
    (
        "prodigy meta an empty list",
        "prodigy",
        {"in.jsonl": '{"text": "x", "answer": "accept", "meta": []}\n'},
        "in.jsonl",
        r'in\.jsonl:1: "meta" must be an object',
    ),
    (
        "prodigy relations false",
        "prodigy",
        {"in.jsonl": '{"text": "x", "answer": "accept", "spans": [], "relations": false}\n'},
        "in.jsonl",
        r'in\.jsonl:1: "relations" must be a list',
    ),
    (
        "prodigy span text a number",
        "prodigy",
        {
            "in.jsonl": '{"text": "Alice", "answer": "accept", "spans": '
            '[{"start": 0, "end": 5, "label": "P", "text": 5}]}\n'
        },
        "in.jsonl",
        r"in\.jsonl:1: spans\[0\]\.text must be a string, not 5",
    ),
    (
        "Label Studio annotations 0",
        "label-studio",
        {"in.json": '[{"data": {"text": "x"}, "annotations": 0}]'},
        "in.json",
        r'in\.json:1: \[0\]: "annotations" must be a list',
    ),
    (
        "prodigy annotator id a list",
        "prodigy",
        {"in.jsonl": '{"text": "x", "answer": "accept", "_annotator_id": ["ann"]}\n'},
        "in.jsonl",
        r'in\.jsonl:1: "_annotator_id" must be a string',
    ),
]


@pytest.mark.parametrize(
    ("what", "fmt", "files", "source", "message"), CASES, ids=[case[0] for case in CASES]
)
def test_hostile_source_is_refused_with_file_and_line(
    tmp_path: Path,
    project_path: Path,
    capsys: pytest.CaptureFixture[str],
    what: str,
    fmt: str,
    files: dict[str, str],
    source: str,
    message: str,
) -> None:
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode())
    before = snapshot(project_path)
    code = main(["import", str(project_path), str(tmp_path / source), "--format", fmt])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 1, what
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"annotator: error: {tmp_path}"), lines[0]
    assert re.search(message, lines[0]), lines[0]
    assert snapshot(project_path) == before


def test_native_offsets_and_labels_that_are_right_still_import(
    tmp_path: Path, project_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The strict checks refuse only wrong types: the one-by-one path (a CRLF text) with
    ids, notes and annotator given keeps taking what native export writes."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b'{"id": "d1", "text": "Alice\\r\\nmet Bob.", "annotator": "ann", "note": "n", '
        b'"spans": [{"id": "s1", "start": 7, "end": 10, "label": "VERB", "note": "x"}]}\n'
    )
    assert main(["import", str(project_path), str(source), "--format", "native"]) == 0
    capsys.readouterr()
    from annotator.store import Project

    with Project.open(project_path) as project:
        annotation = project.annotations("ann", writable=False).get("d1")
    assert annotation is not None
    assert [(s.id, s.start, s.end, s.label, s.text, s.note) for s in annotation.spans] == [
        ("s1", 6, 9, "VERB", "met", "x")
    ]


def test_notices_of_an_import_refused_later_are_not_told(
    tmp_path: Path, project_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A source read with notices (a rejected task) before a broken one: the refusal is
    the only line on stderr; the notices wait for an import that succeeds."""
    first = tmp_path / "first.jsonl"
    first.write_text('{"text": "Alice met Bob.", "answer": "reject"}\n')
    broken = tmp_path / "second.jsonl"
    broken.write_text('{"text": "x", "score": NaN}\n')
    before = snapshot(project_path)
    code = main(["import", str(project_path), str(first), str(broken), "--format", "prodigy"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert lines == [
        f"annotator: error: {broken}:1: broken JSON line: unexpected character, expected a "
        "JSON value (NaN and Infinity are not JSON)"
    ]
    assert snapshot(project_path) == before
    assert main(["import", str(project_path), str(first), "--format", "prodigy"]) == 0
    assert "answered 'reject'" in capsys.readouterr().err
