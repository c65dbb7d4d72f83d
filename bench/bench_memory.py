"""Peak memory of import, export and agreement against the project's size on disk.

    python -m bench --only bench_memory                # 10,000 documents, 3 annotators
    python bench/bench_memory.py --documents 100000    # the budget's project size

docs/architecture.md: memory for a project under 2x its size on disk. bench_store measures the
open; this measures the bulk operations, each in a fresh process (peak resident set
growth, VmHWM, over the process's state before the operation):

- importing a native JSONL file of labelled documents into a new project,
- exporting that project as native JSONL,
- agreement between 3 annotators over every document.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("ANNOTATOR_FSYNC", "0")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson

from bench import HIGH_WATER_SOURCE, Result, format_table
from bench.bench_agreement import build as build_agreement_project
from bench.bench_formats import make_record

SMALL_ARGS = ["--documents", "200"]
REPO = Path(__file__).resolve().parents[1]

CHILD = (
    """
import os, sys
from pathlib import Path
os.environ.setdefault("ANNOTATOR_FSYNC", "0")
from annotator.services import export_project, import_sources
from annotator.review.agreement import compute_agreement
from annotator.store import Project

"""
    + HIGH_WATER_SOURCE
    + """

what, project, other = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
before = high_water()
if what == "import":
    with Project.create(project) as opened:
        import_sources(opened, [other], "native", "alice")
elif what == "export":
    with Project.open(project) as opened:
        export_project(opened, "native", other, annotator="alice")
else:
    with Project.open(project) as opened:
        compute_agreement(opened)
print(high_water() - before)
"""
)


def disk_size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def peak(what: str, project: Path, other: Path) -> int:
    """Peak RSS growth (bytes) of one operation in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, what, str(project), str(other)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    return int(result.stdout.split()[-1])


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    rows: list[Result] = []
    try:
        source = work / "native.jsonl"
        rng = random.Random(7)
        with open(source, "wb") as handle:
            for number in range(args.documents):
                handle.write(orjson.dumps(make_record(number, rng)) + b"\n")
        project = work / "project"
        grown = peak("import", project, source)
        on_disk = disk_size(project)
        rows.append(
            Result(
                f"import {args.documents:,} labelled docs: peak RSS growth",
                grown / 1e6,
                "project on disk",
                on_disk / 1e6,
                2.0,
                "MB",
            )
        )
        grown = peak("export", project, work / "out.jsonl")
        rows.append(
            Result(
                f"export {args.documents:,} docs: peak RSS growth",
                grown / 1e6,
                "project on disk",
                on_disk / 1e6,
                2.0,
                "MB",
            )
        )
        three = work / "three"
        build_agreement_project(three, args.documents, 3)
        grown = peak("agreement", three, work / "unused")
        rows.append(
            Result(
                f"agreement {args.documents:,} docs x 3: peak RSS growth",
                grown / 1e6,
                "project on disk",
                disk_size(three) / 1e6,
                2.0,
                "MB",
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(format_table([("bench_memory", row) for row in rows]))
    return rows


if __name__ == "__main__":
    main()
