"""Import and export in every format against orjson reading and writing the same records.

    .venv/bin/python bench/bench_formats.py [--documents N] [--formats native,brat,...]

Generates N news-like documents (bench_store's articles: about 2,800 characters in five
paragraphs with accented words, curly quotes, dashes, emoji with modifiers, ZWJ and flags,
and CJK; 20 spans and 5 relations each; with --plain, the simpler documents of the first
sessions: about 2,100 characters, all ASCII but an emoji and a CJK name), imports them
as native JSONL, then times, every figure and baseline the best of --repeat runs, each
against a floor measured in the same run:

- export as native, prodigy, doccano, label-studio, brat, spacy and bio (budget 2x):
  native against orjson reading and writing the native records; the JSON formats also
  against orjson reading and writing their own records (one value per document, in the
  format's shape); brat against orjson reading the records plus reading and writing the
  same .txt and .ann files; spaCy against spaCy's own ``make_doc`` and ``char_span`` loop;
- import of each file written above in native, prodigy, doccano, label-studio and brat
  (budget 3x; native twice: the generated file, then the exported one), against the
  same floors, and its peak memory in a fresh process (resident set growth over the
  interpreter with the modules imported) against the file's size (budget 2x);
- the spaCy export of one long article (--long-chars, 867,000 characters as a tester
  measured; every 50th span fits no token) against spaCy's own loop on it (budget 2x).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("ANNOTATOR_FSYNC", "0")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson

from annotator.services import export_project, import_sources
from annotator.store import Project
from bench import HIGH_WATER_SOURCE, Result, format_table
from bench.bench_store import article, paragraph

SMALL_ARGS = ["--documents", "200", "--repeat", "1", "--long-chars", "20000"]
REPO = Path(__file__).resolve().parents[1]

WORDS = (
    "the minister said that talks would continue after the summit while officials "
    "praised what they called unprecedented ties between the two governments"
).split()
NAMES = [
    ("Vladimir Putin", "PERSON"),
    ("北京", "GPE"),
    ("Kim Jong Un", "PERSON"),
    ("the Kremlin", "ORG"),
]


_PARAGRAPHS: list[Any] = []


def make_record(number: int, rng: random.Random) -> dict[str, object]:
    """A news article in native JSONL: bench_store's, as the other benches measure."""
    if not _PARAGRAPHS:
        pool_rng = random.Random(11)
        _PARAGRAPHS.extend(paragraph(pool_rng) for _ in range(2000))
    document, spans, relations = article(number, rng, _PARAGRAPHS)
    return {
        "id": document.id,
        "text": document.text,
        "meta": document.meta,
        "spans": spans,
        "relations": relations,
        "status": "done",
    }


def make_plain_record(number: int, rng: random.Random) -> dict[str, object]:
    """The first sessions' documents: ASCII words, one emoji headline, CJK names."""
    parts: list[str] = [f"Headline {number} 👍🏽\n\n"]
    length = len(parts[0])
    spans: list[dict[str, object]] = []
    for sentence in range(20):
        before = " ".join(rng.choices(WORDS, k=8)) + " "
        name, label = rng.choice(NAMES)
        parts += [before, name]
        start = length + len(before)
        spans.append(
            {
                "id": f"T{sentence + 1}",
                "start": start,
                "end": start + len(name),
                "label": label,
                "text": name,
            }
        )
        after = " " + " ".join(rng.choices(WORDS, k=6)) + ".\n"
        parts.append(after)
        length = start + len(name) + len(after)
    text = "".join(parts)
    quote = text.index("\n\n") + 2
    spans.append(
        {
            "id": "Q1",
            "start": quote,
            "end": quote + 40,
            "label": "QUOTE",
            "text": text[quote : quote + 40],
        }
    )
    relations = [
        {"id": "R1", "label": "ATTRIBUTED_TO", "head": "Q1", "tail": "T1"},
        {"id": "R2", "label": "ATTRIBUTED_TO", "head": "Q1", "tail": "T2"},
    ]
    return {
        "id": f"doc-{number}",
        "text": text,
        "meta": {"n": number},
        "spans": spans,
        "relations": relations,
        "status": "done",
    }


def timed(
    action: Callable[[], object], repeat: int, setup: Callable[[], object] | None = None
) -> float:
    """The best of ``repeat`` runs (the least disturbed by other programs), each after
    ``setup``, which is not timed. Every figure and its baseline are taken the same way."""
    best = float("inf")
    for _ in range(repeat):
        if setup is not None:
            setup()
        gc.collect()
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def orjson_round_trip(source: Path, target: Path) -> Callable[[], None]:
    """The floor: read every record of ``source`` and write it to ``target``.

    A JSON list (Label Studio) is timed as the same records one a line: orjson can only
    read a list whole, and 70 MB of tasks parsed at once spend most of their time in
    the allocator and the cyclic collector, a floor no reader needs to stand on.
    """
    if source.suffix == ".json":
        lines = target.with_name(target.stem + ".lines.jsonl")
        with open(lines, "wb") as out:
            for item in orjson.loads(source.read_bytes()):
                out.write(orjson.dumps(item) + b"\n")
        source = lines

    def run() -> None:
        with open(source, "rb") as handle, open(target, "wb") as out:
            for line in handle:
                out.write(orjson.dumps(orjson.loads(line)) + b"\n")

    return run


def brat_files_floor(native: Path, folder: Path, target: Path, write: bool) -> Callable[[], None]:
    """brat's floor, two files a document: orjson reads the native records and every file
    of ``folder`` is read, then (export) written as they are into ``target``, or (import)
    orjson writes the records to ``target``. Creating a file costs milliseconds here, more
    than all the JSON of a document."""
    files = sorted(path.relative_to(folder) for path in folder.rglob("*") if path.is_file())

    def run() -> None:
        with open(native, "rb") as handle:
            records = [orjson.loads(line) for line in handle]
        if write:
            target.mkdir()
            for name in files:
                (target / name).write_bytes((folder / name).read_bytes())
        else:
            for name in files:
                (folder / name).read_bytes()
            with open(target, "wb") as out:
                for record in records:
                    out.write(orjson.dumps(record) + b"\n")

    return run


SpanTriples = list[tuple[int, int, str]]


def spacy_own(
    records: Callable[[], list[tuple[str, SpanTriples]]], out: Path
) -> Callable[[], None]:
    """spaCy's own way to the same DocBin: ``spacy.blank``, ``make_doc``, then ``char_span``
    per span (a span no token fits is dropped)."""
    import spacy
    from spacy.tokens import DocBin

    def run() -> None:
        nlp = spacy.blank("en")
        doc_bin = DocBin(store_user_data=True)
        for text, spans in records():
            doc = nlp.make_doc(text)
            made = [doc.char_span(start, end, label=label) for start, end, label in spans]
            doc.spans["sc"] = [span for span in made if span is not None]
            doc_bin.add(doc)
        out.write_bytes(doc_bin.to_bytes())

    return run


def native_span_records(native: Path) -> Callable[[], list[tuple[str, SpanTriples]]]:
    """orjson reads the native records: each text and its spans, for spacy_own."""

    def read() -> list[tuple[str, SpanTriples]]:
        result = []
        with open(native, "rb") as handle:
            for line in handle:
                record = orjson.loads(line)
                spans = [(s["start"], s["end"], s["label"]) for s in record["spans"]]
                result.append((record["text"], spans))
        return result

    return read


def long_record(chars: int, make: Callable[[int, random.Random], dict[str, Any]]) -> dict[str, Any]:
    """One long article (``chars`` characters): generated articles end to end, their spans
    and relations carried over (ids renumbered)."""
    rng = random.Random(3)
    text = ""
    spans: list[dict[str, Any]] = []
    relations: list[dict[str, Any]] = []
    number = 0
    while len(text) < chars:
        record = make(number, rng)
        offset = len(text) + (2 if text else 0)
        text += ("\n\n" if text else "") + str(record["text"])
        ids = {}
        for span in record["spans"]:  # type: ignore[attr-defined]
            ids[span["id"]] = f"T{len(spans) + 1}"
            spans.append(
                {
                    **span,
                    "id": ids[span["id"]],
                    "start": span["start"] + offset,
                    "end": span["end"] + offset,
                }
            )
        for relation in record["relations"]:  # type: ignore[attr-defined]
            relations.append(
                {
                    **relation,
                    "id": f"R{len(relations) + 1}",
                    "head": ids[relation["head"]],
                    "tail": ids[relation["tail"]],
                }
            )
        number += 1
    # Every 50th span a character short: it fits no token, as a hand-drawn span may not.
    for span in spans[7::50]:
        span["end"] -= 1
        span["text"] = text[span["start"] : span["end"]]
    return {
        "id": "long",
        "text": text,
        "meta": {},
        "spans": spans,
        "relations": relations,
        "status": "done",
    }


MEMORY_CHILD = (
    """
import os, sys
from pathlib import Path
os.environ.setdefault("ANNOTATOR_FSYNC", "0")
from annotator.formats.base import get_reader
from annotator.services import import_sources
from annotator.store import Project

"""
    + HIGH_WATER_SOURCE
    + """

fmt, source, project = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
get_reader(fmt)  # the format's modules imported: the baseline is the ready interpreter
before = high_water()
with Project.create(project) as opened:
    import_sources(opened, [source], fmt, "alice")
print(high_water() - before)
"""
)


def import_peak(fmt: str, source: Path, project: Path) -> int:
    """Peak RSS growth (bytes) of one import in a fresh process, over the interpreter
    with the modules imported."""
    shutil.rmtree(project, ignore_errors=True)
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_CHILD, fmt, str(source), str(project)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    shutil.rmtree(project, ignore_errors=True)
    return int(result.stdout.split()[-1])


def size_of(path: Path) -> int:
    if path.is_dir():
        return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())
    return path.stat().st_size


EXPORTS = {
    "native": "out.jsonl",
    "prodigy": "out.prodigy.jsonl",
    "doccano": "out.doccano.jsonl",
    "label-studio": "out.ls.json",
    "brat": "out-brat",
    "spacy": "out.spacy",
    "bio": "out.bio.jsonl",
}
# The import formats, each read from the file the export above wrote (native: the exported file; the generated one is timed first).
IMPORTS = ("native", "prodigy", "doccano", "label-studio", "brat")
# Exports whose own records orjson can read and write (one JSON value per document).
OWN_RECORDS = {
    "prodigy": "Prodigy",
    "doccano": "doccano",
    "label-studio": "Label Studio",
    "bio": "BIO",
}


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each figure and baseline; the best counts"
    )
    parser.add_argument(
        "--formats",
        default=",".join(EXPORTS),
        help="formats to time (comma-separated): exported, then imported back where they can be",
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="the simpler, nearly all-ASCII documents the first sessions measured",
    )
    parser.add_argument(
        "--long-chars",
        type=int,
        default=867_000,
        help="characters of the single long article exported to spaCy (0: skip)",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the imports' peak memory")
    args = parser.parse_args(argv)
    make = make_plain_record if args.plain else make_record
    formats = args.formats.split(",")
    unknown = set(formats) - set(EXPORTS)
    if unknown:
        parser.error(f"no such format: {', '.join(sorted(unknown))}")
    rng = random.Random(7)
    work = Path(tempfile.mkdtemp(prefix="bench-formats-"))
    rows: list[Result] = []
    try:
        native = work / "native.jsonl"
        with open(native, "wb") as handle:
            for number in range(args.documents):
                handle.write(orjson.dumps(make(number, rng)) + b"\n")
        size_mb = native.stat().st_size / 1e6
        print(f"{args.documents:,} documents, {size_mb:.1f} MB of native JSONL", flush=True)

        baseline = timed(orjson_round_trip(native, work / "copy.jsonl"), args.repeat)
        rows.append(Result("orjson read+write native JSONL", baseline))

        def no_project(name: str = "project") -> None:
            shutil.rmtree(work / name, ignore_errors=True)

        def import_native() -> None:
            with Project.create(work / "project") as project:
                import_sources(project, [native], "native", "alice")

        seconds = timed(import_native, args.repeat, no_project)
        rows.append(Result("import native (generated file)", seconds, "orjson", baseline, 3.0))

        sources: dict[str, Path] = {"native": native}
        with Project.open(work / "project") as project:
            for fmt in formats:
                out = work / EXPORTS[fmt]

                def export(fmt: str = fmt, out: Path = out) -> None:
                    export_project(project, fmt, out, annotator="alice")

                def no_output(out: Path = out) -> None:
                    if out.is_dir():
                        shutil.rmtree(out)

                seconds = timed(export, args.repeat, no_output)
                sources[fmt] = out
                own = OWN_RECORDS.get(fmt)
                # Native, brat: the records are the native ones. spaCy: against spaCy's own
                # loop below. The others: against their own records (one JSON value per
                # document, in the format's shape); the native row only shows the work.
                budget = 2.0 if fmt == "native" else None
                rows.append(Result(f"export {fmt}", seconds, "orjson", baseline, budget))
                if fmt == "brat":
                    floor = timed(
                        brat_files_floor(native, out, work / "copy-brat", write=True),
                        args.repeat,
                        lambda: shutil.rmtree(work / "copy-brat", ignore_errors=True),
                    )
                    rows.append(
                        Result(f"export {fmt}", seconds, "orjson + the same files", floor, 2.0)
                    )
                if own is not None:
                    floor = timed(orjson_round_trip(out, work / f"copy-{fmt}.jsonl"), args.repeat)
                    rows.append(
                        Result(f"export {fmt}", seconds, f"orjson, {own} records", floor, 2.0)
                    )
                if fmt == "spacy":
                    floor = timed(
                        spacy_own(native_span_records(native), work / "own.spacy"), args.repeat
                    )
                    rows.append(
                        Result(f"export {fmt}", seconds, "spaCy make_doc+char_span", floor, 2.0)
                    )

        for fmt in IMPORTS:
            if fmt not in sources:
                continue
            source = sources[fmt]
            if source.is_dir():
                floor_what = "orjson + the same files"
                floor = timed(
                    brat_files_floor(native, source, work / "back-brat.jsonl", write=False),
                    args.repeat,
                )
            else:
                floor = timed(orjson_round_trip(source, work / f"back-{fmt}.jsonl"), args.repeat)
                floor_what = "orjson" if fmt == "native" else f"orjson, {OWN_RECORDS[fmt]} records"

            def import_it(fmt: str = fmt, source: Path = source) -> None:
                with Project.create(work / "project-in") as project:
                    import_sources(project, [source], fmt, "alice")

            seconds = timed(import_it, args.repeat, lambda: no_project("project-in"))
            rows.append(Result(f"import {fmt}", seconds, floor_what, floor, 3.0))
            no_project("project-in")
            if not args.no_memory:
                grown = import_peak(fmt, source, work / "project-memory")
                rows.append(
                    Result(
                        f"import {fmt}: peak RSS growth",
                        grown / 1e6,
                        "file size",
                        size_of(source) / 1e6,
                        2.0,
                        "MB",
                    )
                )

        if args.long_chars and "spacy" in formats:
            rows.extend(long_spacy(work, long_record(args.long_chars, make), args.repeat))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(format_table([("formats", row) for row in rows]))
    return rows


def long_spacy(work: Path, record: dict[str, Any], repeat: int) -> list[Result]:
    """One long article exported to spaCy, against spaCy's own loop over the same spans."""
    source = work / "long.jsonl"
    source.write_bytes(orjson.dumps(record) + b"\n")
    spans = [(s["start"], s["end"], s["label"]) for s in record["spans"]]
    print(f"long article: {len(record['text']):,} characters, {len(spans):,} spans", flush=True)
    with Project.create(work / "project-long") as project:
        import_sources(project, [source], "native", "alice")
        out = work / "long.spacy"

        def export() -> None:
            export_project(project, "spacy", out, annotator="alice")

        seconds = timed(export, repeat)
    own = timed(spacy_own(lambda: [(record["text"], spans)], work / "long-own.spacy"), repeat)
    kb = len(record["text"].encode()) // 1000
    return [Result(f"export spacy, one {kb} KB article", seconds, "spaCy char_span loop", own, 2.0)]


if __name__ == "__main__":
    main()
