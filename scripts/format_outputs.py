"""Everything the formats write, into one folder per tree, to compare two trees byte for byte.

Imports the fixtures (../shared/fixtures) and generated doccano and Label Studio files
(emoji, flags, ZWJ sequences, CRLF, combining marks, offsets in code points and in UTF-16
units, duplicates, categories, notes, relations, refusals) and the bench's articles as
exported to doccano and Label Studio, then exports every project in every format; writes
the outputs, summaries, notices and refusals under OUT. Run it on two trees and diff:

    PYTHONPATH=/path/to/main python scripts/format_outputs.py /tmp/main-out
    PYTHONPATH=$PWD python scripts/format_outputs.py /tmp/this-out
    diff -r /tmp/main-out /tmp/this-out
"""

import functools
import hashlib
import os
import random
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

import orjson

from annotator.core.errors import AnnotatorError
from annotator.services import export_project, import_sources
from annotator.store import Project
from bench.bench_formats import make_record

os.environ.setdefault("ANNOTATOR_FSYNC", "0")

OUT = Path(sys.argv[1])
shutil.rmtree(OUT, ignore_errors=True)
OUT.mkdir(parents=True)
FIX = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
SRC = Path(tempfile.mkdtemp(prefix="same-src-"))
rng = random.Random(5)


def u16(text, i):
    return len(text[:i].encode("utf-16-le")) // 2


PIECES = [
    "Kim",
    "Xi Jinping",
    "北京",
    "café",
    "cafe\u0301",
    "naïve",
    "Zürich",
    "Łukasz",
    "the Kremlin",
    'A&B "q"',
    "x\\y",
    "tab\there",
]
FILL = [
    "said",
    "met",
    "in",
    "and",
    "👍🏽",
    "🇫🇷",
    "👩‍👩‍👧",
    "𝐀bold",
    "—",
    "“quote”",
    "e\u0301",
    "\u00a0",
    " ",
    ",",
    ".",
    "😀",
]
LABELS = ["PERSON", "GPE", "ORG", "MISC", 'Q "x"', "é-label"]


def gen_doc(n, emoji=True, crlf=False, edge=True):
    parts, spans, pos = [], [], 0
    for _ in range(rng.randint(0, 12)):
        f = (
            " ".join(rng.choice(FILL if emoji else FILL[:4]) for _ in range(rng.randint(1, 5)))
            + " "
        )
        p = rng.choice(PIECES)
        parts += [f, p]
        start = pos + len(f)
        pos = start + len(p)
        spans.append((start, pos, rng.choice(LABELS)))
        sep = rng.choice([" ", "\n", ". ", "\n\n"])
        parts.append(sep)
        pos += len(sep)
    text = "".join(parts) or "empty doc"
    if rng.random() < 0.2 and spans:  # a duplicate span
        spans.append(spans[0])
    if edge and rng.random() < 0.1 and spans:  # a span with whitespace at its edge
        s = spans[-1]
        spans[-1] = (max(0, s[0] - 1), s[1], s[2])
    if crlf:
        # offsets counted in the CRLF text
        extra = [0] * (len(text) + 1)
        c = 0
        for i, ch in enumerate(text):
            extra[i] = c
            if ch == "\n":
                c += 1
        extra[len(text)] = c
        spans = [(a + extra[a], b + extra[b], label) for a, b, label in spans]
        text = text.replace("\n", "\r\n")
    return text, spans


def doccano_file(
    name, n, unit, shape="entities", crlf_every=0, cats_every=0, rel=True, emoji=True, blank=False
):
    lines = []
    for i in range(n):
        text, spans = gen_doc(
            i, emoji, crlf=bool(crlf_every and i % crlf_every == 0), edge=not emoji or i % 50 == 49
        )
        conv = functools.partial(u16, text) if unit == "utf16" else (lambda x: x)
        rec = {"id": f"{name}-{i}" if i % 7 else i, "text": text}
        if shape == "entities":
            rec["entities"] = [
                {"id": k, "start_offset": conv(a), "end_offset": conv(b), "label": label}
                for k, (a, b, label) in enumerate(spans)
            ]
            if rel and len(spans) > 1:
                rec["relations"] = [{"id": 0, "from_id": 0, "to_id": len(spans) - 1, "type": "REL"}]
        elif shape == "list":
            rec["entities"] = [[conv(a), conv(b), label] for a, b, label in spans]
        else:
            rec["label"] = [[conv(a), conv(b), label] for a, b, label in spans]
        if cats_every and i % cats_every == 0:
            rec["cats"] = ["sports", "news"]
        rec["meta"] = {"n": i}
        lines.append(orjson.dumps(rec))
        if blank and i % 11 == 0:
            lines.append(b"")
    (SRC / name).write_bytes(b"\n".join(lines) + b"\n")
    return SRC / name


def ls_file(name, n, unit, crlf_every=0):
    tasks = []
    for i in range(n):
        text, spans = gen_doc(i, crlf=bool(crlf_every and i % crlf_every == 0))
        conv = functools.partial(u16, text) if unit == "utf16" else (lambda x: x)
        result = []
        for k, (a, b, label) in enumerate(spans):
            r = {
                "id": f"r{k}",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "value": {
                    "start": conv(a),
                    "end": conv(b),
                    "text": text[a:b],
                    "labels": [label] if (k % 5 or i % 3) else [label, "MISC"],
                },
            }
            if k % 4 == 1 and i % 4 == 1:
                r["meta"] = {"text": ["a note"]}
            result.append(r)
        if len(spans) > 2:
            result.append(
                {
                    "type": "relation",
                    "from_id": "r0",
                    "to_id": "r1",
                    "direction": ["right", "left", "bi"][i % 3],
                    "labels": ["REL"] if i % 2 else [],
                }
            )
        if i % 6 == 0:
            result.append(
                {
                    "id": "c",
                    "from_name": "topic",
                    "to_name": "text",
                    "type": "choices",
                    "value": {"choices": ["a", "b"]},
                }
            )
        task = {
            "id": i + 1,
            "data": {"text": text},
            "annotations": [
                {
                    "id": i,
                    "completed_by": 1 + (i % 9 == 0),
                    "was_cancelled": i % 13 == 5,
                    "result": result,
                }
            ],
        }
        if i % 10 == 0:
            task["predictions"] = [{"result": []}]
        tasks.append(task)
    (SRC / name).write_bytes(b"[\n" + b",\n".join(map(orjson.dumps, tasks)) + b"\n]\n")
    return SRC / name


sources = []  # (name, path, fmt, offset_unit)
for f in sorted((FIX / "doccano").iterdir()):
    sources.append((f"fx-{f.name}", f, "doccano", None))
for f in sorted((FIX / "prodigy").glob("annotated*")):
    sources.append((f"fx-{f.name}", f, "prodigy", None))
sources.append(("fx-brat", FIX / "brat", "brat", None))
sources += [
    ("gen-dc-u16", doccano_file("dc-u16.jsonl", 300, "utf16"), "doccano", None),
    ("gen-dc-u16-skip", doccano_file("dc-u16s.jsonl", 300, "utf16"), "doccano", None),
    ("gen-dc-cp", doccano_file("dc-cp.jsonl", 300, "codepoint", blank=True), "doccano", None),
    ("gen-dc-cp-named", doccano_file("dc-cpn.jsonl", 200, "codepoint"), "doccano", "codepoint"),
    ("gen-dc-u16-named", doccano_file("dc-u16n.jsonl", 200, "utf16"), "doccano", "utf16"),
    ("gen-dc-crlf", doccano_file("dc-crlf.jsonl", 200, "codepoint", crlf_every=3), "doccano", None),
    ("gen-dc-cats", doccano_file("dc-cats.jsonl", 200, "utf16", cats_every=4), "doccano", None),
    ("gen-dc-list", doccano_file("dc-list.jsonl", 200, "codepoint", shape="list"), "doccano", None),
    ("gen-dc-label", doccano_file("dc-label.jsonl", 200, "utf16", shape="label"), "doccano", None),
    (
        "gen-dc-ascii",
        doccano_file("dc-ascii.jsonl", 300, "codepoint", emoji=False),
        "doccano",
        None,
    ),
    ("gen-ls-cp", ls_file("ls-cp.json", 300, "codepoint"), "label-studio", None),
    ("gen-ls-u16", ls_file("ls-u16.json", 200, "utf16"), "label-studio", None),
    ("gen-ls-crlf", ls_file("ls-crlf.json", 200, "codepoint", crlf_every=2), "label-studio", None),
]
# one-record files: every record alone (single docs exercise chunk edges)
for i in range(40):
    sources.append(
        (
            f"gen-dc-one-{i}",
            doccano_file(f"one-{i}.jsonl", 1, ["utf16", "codepoint"][i % 2]),
            "doccano",
            None,
        )
    )
# The bench's articles, as this tree exports them to doccano and Label Studio.
bench_native = SRC / "bench.jsonl"
bench_rng = random.Random(7)
bench_native.write_bytes(
    b"".join(orjson.dumps(make_record(n, bench_rng)) + b"\n" for n in range(300))
)
with Project.create(SRC / "bench-project") as bench_project:
    import_sources(bench_project, [bench_native], "native", "alice")
    for bench_fmt, bench_name in (
        ("doccano", "bench.doccano.jsonl"),
        ("label-studio", "bench.ls.json"),
    ):
        export_project(bench_project, bench_fmt, SRC / bench_name, annotator="alice")
        sources.append((f"bench-{bench_name}", SRC / bench_name, bench_fmt, None))
# bad inputs
bad = SRC / "bad-emoji.jsonl"
bad.write_text(
    '{"text": "👍 ab cd", "label": [[2, 4, "X"]]}\n{"text": "ok", "label": [[0, 1, "X"]]}\n'
)
sources.append(("bad-undecided", bad, "doccano", None))
bad2 = SRC / "bad-range.jsonl"
bad2.write_text(
    '{"text": "abc", "label": [[0, 1, "X"]]}\n{"text": "abc", "entities": [{"id": 1, "start_offset": 2, "end_offset": 9, "label": "X"}]}\n'
)
sources.append(("bad-range", bad2, "doccano", None))
bad3 = SRC / "bad-ls.json"
bad3.write_text(
    '[{"data": {"text": "abc"}, "annotations": [{"result": [{"id": "a", "type": "labels", "value": {"start": 0, "end": 2, "text": "ac", "labels": ["X"]}}]}]}]'
)
sources.append(("bad-ls-text", bad3, "label-studio", None))

EXPORTS = ["native", "prodigy", "doccano", "label-studio", "brat", "spacy", "bio", "citron"]


def digest(p):
    if p.is_dir():
        return {str(q.relative_to(p)): digest(q) for q in sorted(p.rglob("*")) if q.is_file()}
    data = p.read_bytes()
    return (
        data.decode("utf-8", "replace")
        if p.suffix in (".jsonl", ".json", ".xml", ".txt", ".ann", ".conll", ".tsv")
        and len(data) < 3_000_000
        else hashlib.sha256(data).hexdigest()
    )


for name, path, fmt, unit in sources:
    work = Path(tempfile.mkdtemp(prefix="same-"))
    report = {}
    try:
        notes = []
        with Project.create(work / "p") as project:
            try:
                summary = import_sources(
                    project,
                    [path],
                    fmt,
                    None,
                    notify=notes.append,
                    offset_unit=unit,
                    skip_invalid=name.endswith("-skip"),
                )
                report["summary"] = (
                    summary.describe().replace(str(SRC), "SRC").replace(str(work), "WORK")
                )
                report["rejected"] = [str(r) for r in summary.rejected]
            except AnnotatorError as exc:
                report["refused"] = str(exc).replace(str(SRC), "SRC")
            report["notices"] = [n.replace(str(SRC), "SRC") for n in notes]
            if "refused" not in report:
                for who in project.annotators() or [None]:
                    for out_fmt in EXPORTS:
                        out = work / f"out-{who}-{out_fmt}"
                        try:
                            s = export_project(
                                project, out_fmt, out, annotator=who, include_unlabelled=True
                            )
                            report[f"export {who} {out_fmt}"] = digest(out)
                        except Exception as exc:
                            report[f"export {who} {out_fmt}"] = (
                                f"ERROR {type(exc).__name__}: {exc}".replace(str(work), "WORK")
                            )
                # documents as stored
                report["documents"] = [d.model_dump() for d in project.iter_documents()]
    except Exception:
        report["crash"] = traceback.format_exc().replace(str(SRC), "SRC")
    (OUT / f"{name}.json").write_bytes(
        orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    )
    shutil.rmtree(work)
shutil.rmtree(SRC)
print("written", len(sources), "reports to", OUT)
