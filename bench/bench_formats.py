"""Import and export of labelled documents against orjson reading and writing the same records.

    .venv/bin/python bench/bench_formats.py [--documents N]

Generates N news-like documents (bench_store's articles: about 2,800 characters in five
paragraphs with accented words, curly quotes, dashes, emoji with modifiers, ZWJ and flags,
and CJK; 20 spans and 5 relations each; with --plain, the simpler documents of the first
sessions: about 2,100 characters, all ASCII but an emoji and a CJK name), writes them as
native JSONL and as a Label Studio task list, then
times, each against the baseline "orjson reads every record of the file and writes it
back out" measured in the same run, every figure and baseline the best of --repeat runs:

- import of the native JSONL (documents and labels) into a fresh project (budget 3x),
  the folder's removal between runs not timed,
- import of the Label Studio JSON (the peer's own format),
- import of the doccano JSONL export (offsets without span text: the unit is decided per
  document), against orjson reading and writing that file (budget 3x),
- export as native, bio, prodigy and label-studio (budget 2x); bio and prodigy also against
  orjson reading and writing the records they wrote (one string or object per token).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
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
from bench import Result, format_table
from bench.bench_store import article, paragraph

SMALL_ARGS = ["--documents", "200", "--repeat", "1"]

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
    """The floor: read every record of ``source`` and write it to ``target``."""

    def run() -> None:
        with open(source, "rb") as handle, open(target, "wb") as out:
            if source.suffix == ".json":
                for item in orjson.loads(handle.read()):
                    out.write(orjson.dumps(item) + b"\n")
            else:
                for line in handle:
                    out.write(orjson.dumps(orjson.loads(line)) + b"\n")

    return run


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each figure and baseline; the best counts"
    )
    parser.add_argument(
        "--formats",
        default="native,bio,prodigy,label-studio,doccano",
        help="export formats to time (comma-separated); without label-studio, its import is skipped",
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="the simpler, nearly all-ASCII documents the first sessions measured",
    )
    args = parser.parse_args(argv)
    make = make_plain_record if args.plain else make_record
    formats = args.formats.split(",")
    rng = random.Random(7)
    work = Path(tempfile.mkdtemp(prefix="bench-formats-"))
    rows: list[Result] = []
    try:
        native = work / "native.jsonl"
        with open(native, "wb") as handle:
            for number in range(args.documents):
                handle.write(orjson.dumps(make(number, rng)) + b"\n")
        size_mb = native.stat().st_size / 1e6
        print(f"{args.documents:,} documents, {size_mb:.1f} MB of native JSONL")

        baseline = timed(orjson_round_trip(native, work / "copy.jsonl"), args.repeat)
        rows.append(Result("orjson read+write native JSONL", baseline))

        def import_native() -> None:
            with Project.create(work / "project") as project:
                import_sources(project, [native], "native", "alice")

        def no_project(name: str = "project") -> None:
            shutil.rmtree(work / name, ignore_errors=True)

        seconds = timed(import_native, args.repeat, no_project)
        rows.append(Result("import native JSONL", seconds, "orjson", baseline, 3.0))

        with Project.open(work / "project") as project:
            for fmt, name in [
                ("native", "out.jsonl"),
                ("bio", "out.bio.jsonl"),
                ("prodigy", "out.prodigy.jsonl"),
                ("label-studio", "out.ls.json"),
                ("doccano", "out.doccano.jsonl"),
            ]:
                if fmt not in formats:
                    continue
                out = work / name

                def export(fmt: str = fmt, out: Path = out) -> None:
                    export_project(project, fmt, out, annotator="alice")

                seconds = timed(export, args.repeat)
                rows.append(
                    Result(
                        f"export {fmt}",
                        seconds,
                        "orjson",
                        baseline,
                        # BIO's budget is against its own records (below): the native
                        # records hold no tokens, so this row only shows the tokenising.
                        2.0 if fmt == "native" else None,
                    )
                )
                if fmt in ("bio", "prodigy"):
                    # The same records in the format's own shape (one string, or one
                    # object, per token): what orjson alone takes to read and write them.
                    shape = "BIO" if fmt == "bio" else "Prodigy"
                    own = timed(orjson_round_trip(out, work / f"copy-{fmt}.jsonl"), args.repeat)
                    rows.append(
                        Result(f"export {fmt}", seconds, f"orjson, {shape} records", own, 2.0)
                    )

        if "label-studio" in formats:
            ls_file = work / "out.ls.json"
            ls_baseline = timed(orjson_round_trip(ls_file, work / "copy-ls.jsonl"), args.repeat)
            rows.append(Result("orjson read+write Label Studio JSON", ls_baseline))

            def import_ls() -> None:
                with Project.create(work / "project-ls") as project:
                    import_sources(project, [ls_file], "label-studio", "alice")

            seconds = timed(import_ls, args.repeat, lambda: no_project("project-ls"))
            rows.append(Result("import Label Studio JSON", seconds, "orjson", ls_baseline, 3.0))
        if "doccano" in formats:
            doccano_file = work / "out.doccano.jsonl"
            doccano_baseline = timed(
                orjson_round_trip(doccano_file, work / "copy-doccano.jsonl"), args.repeat
            )
            rows.append(Result("orjson read+write doccano JSONL", doccano_baseline))

            def import_doccano() -> None:
                with Project.create(work / "project-doccano") as project:
                    import_sources(project, [doccano_file], "doccano", "alice")

            seconds = timed(import_doccano, args.repeat, lambda: no_project("project-doccano"))
            rows.append(Result("import doccano JSONL", seconds, "orjson", doccano_baseline, 3.0))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(format_table([("formats", row) for row in rows]))
    return rows


if __name__ == "__main__":
    main()
