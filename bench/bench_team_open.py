"""Opening a 1,000,000-document project on a team server to a usable window.

    python -m bench.bench_team_open [--small] [--documents 1000000] [--runs 3]

Starts a throwaway PostgreSQL server (fsync on, as a real one), fills one project with
``--documents`` documents by COPY straight into its documents table (the bench's own
fast fill: an import would check every document first), labels a few hundred of them as
the bench analyst, and then times ``annotator gui URL --annotator bench`` in a fresh
interpreter, offscreen, from spawning it to the window being usable: the project open,
the document list shown and the first document painted (bench_startup's USABLE line).
The line to meet is 2 s whatever the project's size (docs/architecture.md): the figure
is printed against it, and against the same open of a 1,000-document project on the
same server, which shows how much of it grows with the number of documents.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import Result
from bench.bench_startup import APP, child_env, run_child
from bench.server import durable_cluster

SMALL_ARGS = ["--small"]
# Two paragraphs of different lengths: texts are not all alike, as articles are not.
_PARAGRAPH = (
    "The minister said on Tuesday that talks in Beijing would go on into the week, "
    "while officials in Brussels declined to comment on the draft. "
)
# Documents per COPY call's rows written between two progress lines.
_REPORT_EVERY = 200_000
USABLE_LINE = 2.0
# Documents the bench analyst has labelled (their layer is read at open).
LABELLED = 300


def fill(conn: Any, count: int) -> None:
    """``count`` documents, doc0000001 ..., COPY'd into the project's documents table
    with the ordinals, hashes, sizes and titles an import would have given them."""
    from annotator.core.models import text_hashes

    began = time.perf_counter()
    with (
        conn.transaction(),
        conn.cursor().copy(
            "COPY documents (ordinal, id, text, meta, text_hash, chars, title) FROM STDIN"
        ) as copy,
    ):
        for start in range(0, count, 10_000):
            numbers = range(start + 1, min(count, start + 10_000) + 1)
            texts = [f"{n}. " + _PARAGRAPH * (3 + n % 9) for n in numbers]
            for n, text, digest in zip(numbers, texts, text_hashes(texts), strict=True):
                copy.write_row(
                    (n, f"doc{n:07}", text, f'{{"title": "Story {n}"}}', digest, len(text),
                     f"Story {n}")
                )  # fmt: skip
            if (start + 10_000) % _REPORT_EVERY == 0:
                print(f"  filled {start + 10_000:,} documents", flush=True)
    conn.execute("VACUUM ANALYZE documents")
    print(f"filled {count:,} documents by COPY in {time.perf_counter() - began:.1f} s")


def label_some(url: str, count: int) -> None:
    from annotator.core.models import DocumentAnnotation, Span, text_hash
    from annotator.store.postgres import open_postgres

    with open_postgres(url) as store:
        layer = store.annotations("bench")
        labels = []
        for n in range(1, min(count, len(store)) + 1, 2):
            doc_id = f"doc{n:07}"
            text = store.get_text(doc_id)
            annotation = DocumentAnnotation(doc_id=doc_id, text_hash=text_hash(text))
            annotation.add_span(Span.of(text, 15, 23, "PERSON", "T1"))
            annotation.status = "done"
            labels.append(annotation)
        layer.save_many(labels)


def make_project(cluster: Any, database: str, count: int) -> str:
    from annotator.store.postgres import create_postgres

    with cluster.admin() as admin:
        admin.execute(f"CREATE DATABASE {database}")
    url = str(cluster.url(database))
    store = create_postgres(url)
    try:
        store.conn.autocommit = True
        fill(store.conn, count)
    finally:
        store.close()
    label_some(url, LABELLED)
    return url


def time_open(url: str, runs: int, work: Path) -> list[tuple[float, float]]:
    """(seconds to a usable window, the child's CPU seconds until it ended), one fresh
    ``annotator gui URL`` per run, after one run that warms the caches and writes the
    bytecode, as on a user's machine. The child ends once usable: its CPU time is what
    the open cost it, whatever else loads the machine."""
    env = child_env(work)
    args = ["gui", url, "--annotator", "bench"]
    run_child(APP, args, env)
    timed = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        usable = run_child(APP, args, env).usable
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        timed.append((usable, cpu))
    return timed


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(prog="bench_team_open", description=__doc__)
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    count = 3_000 if args.small else args.documents
    runs = 1 if args.small else args.runs
    work = Path(tempfile.mkdtemp(prefix="bench-team-open-"))
    try:
        with durable_cluster("bench_team_open") as cluster:
            if cluster is None:
                return []
            small_url = make_project(cluster, "small", 1_000)
            big_url = make_project(cluster, "big", count)
            small = time_open(small_url, runs, work)
            big = time_open(big_url, runs, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    walls = [wall for wall, _ in big]
    cpus = [cpu for _, cpu in big]
    print(
        f"annotator gui on a {count:,}-document database to a usable window: median "
        f"{statistics.median(walls):.2f} s (runs {', '.join(f'{t:.2f}' for t in walls)}; "
        f"the app's CPU time {statistics.median(cpus):.2f} s); 1,000 documents: median "
        f"{statistics.median(w for w, _ in small):.2f} s (CPU "
        f"{statistics.median(c for _, c in small):.2f} s); load average {os.getloadavg()[0]:.1f}"
    )
    return [
        Result(
            f"gui URL to usable, {count:,} docs",
            statistics.median(walls),
            "the 2 s line",
            USABLE_LINE,
            budget=1.0,
        ),
        Result("  the app's CPU time until usable", statistics.median(cpus)),
        Result("  the same open, 1,000 docs", statistics.median(w for w, _ in small)),
    ]


if __name__ == "__main__":
    main()
