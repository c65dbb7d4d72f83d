"""The database store under many analysts at once, and its import against a bare COPY.

    python -m bench.bench_postgres [--small] [--seconds 30] [--documents 100000]

Starts a throwaway PostgreSQL server (fsync and synchronous commit on, as a real one),
then for 8 and 32 simulated analysts (threads, each with its own connection and its own
layer) saving edits as fast as they can: saves per second, p50/p99 latency, and every
acknowledged save read back afterwards. The folder store runs the same load in the
same run (each analyst its own Project and journal, fsync on). Then add_documents of
100,000 documents against a plain COPY of the same rows into a bare table, and the
native export of 100,000 labelled documents (and the store's export_rows alone) against
a COPY TO of the same rows into a file (budget 2x).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from annotator.core.models import Document, DocumentAnnotation, Span, text_hash
from annotator.store.interface import ProjectStore
from bench import Result
from bench.server import durable_cluster

SMALL_ARGS = ["--small"]
_BODY = "The minister said on Tuesday that talks in Beijing would go on. " * 30


def _documents(count: int, prefix: str = "doc") -> list[Document]:
    return [Document(id=f"{prefix}{n:06}", text=f"{n}. {_BODY}") for n in range(count)]


def _analyst(
    open_store: Callable[[], ProjectStore],
    name: str,
    doc_ids: list[str],
    stop: threading.Event,
    latencies: list[float],
    acknowledged: dict[str, int],
    failures: list[BaseException],
) -> None:
    try:
        store = open_store()
        try:
            layer = store.annotations(name)
            texts = {doc_id: store.get_text(doc_id) for doc_id in doc_ids}
            edits: dict[str, DocumentAnnotation] = {}
            turn = 0
            while not stop.is_set():
                doc_id = doc_ids[turn % len(doc_ids)]
                turn += 1
                text = texts[doc_id]
                labels = edits.setdefault(
                    doc_id, DocumentAnnotation(doc_id=doc_id, text_hash=text_hash(text))
                )
                start = (len(labels.spans) * 9) % (len(text) - 8)
                labels.add_span(Span.of(text, start, start + 8, "PERSON", f"T{turn}"))
                began = time.perf_counter()
                layer.save(labels, text)
                latencies.append(time.perf_counter() - began)
                acknowledged[doc_id] = len(labels.spans)
        finally:
            store.close()
    except BaseException as exc:
        failures.append(exc)


def _load(
    open_store: Callable[[], ProjectStore], doc_ids: list[str], analysts: int, seconds: float
) -> tuple[float, float, float, int]:
    """(saves per second, p50, p99 latency, saves not read back as acknowledged)."""
    stop = threading.Event()
    latencies: list[list[float]] = [[] for _ in range(analysts)]
    acknowledged: list[dict[str, int]] = [{} for _ in range(analysts)]
    failures: list[BaseException] = []
    share = max(1, len(doc_ids) // analysts)
    threads = [
        threading.Thread(
            target=_analyst,
            args=(
                open_store,
                f"analyst{n}",
                doc_ids[n * share : (n + 1) * share] or doc_ids[:1],
                stop,
                latencies[n],
                acknowledged[n],
                failures,
            ),
        )
        for n in range(analysts)
    ]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    lost = 0
    store = open_store()
    try:
        for n in range(analysts):
            layer = store.annotations(f"analyst{n}", writable=False)
            for doc_id, spans in acknowledged[n].items():
                saved = layer.summary(doc_id)
                lost += saved is None or saved.spans != spans
    finally:
        store.close()
    every = sorted(value for chunk in latencies for value in chunk)
    p99 = every[min(len(every) - 1, int(len(every) * 0.99))]
    return len(every) / seconds, statistics.median(every), p99, lost


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--documents", type=int, default=100_000)
    args = parser.parse_args(argv)
    seconds = 1.0 if args.small else args.seconds
    count = 2_000 if args.small else args.documents
    with durable_cluster("bench_postgres") as cluster:
        if cluster is None:
            return []
        return _run(cluster, seconds, count, (2,) if args.small else (8, 32))


def _run(cluster: Any, seconds: float, count: int, crowds: tuple[int, ...]) -> list[Result]:
    from annotator.store import Project
    from annotator.store.postgres import create_postgres, open_postgres

    rows: list[Result] = []
    with cluster.admin() as admin:
        admin.execute("CREATE DATABASE saves")
        admin.execute("CREATE DATABASE imports")
    url = cluster.url("saves")
    documents = _documents(1000 if count > 1000 else 100)
    create_postgres(url).close()
    with open_postgres(url) as store:
        store.add_documents(documents)
    folder = Path(tempfile.mkdtemp(prefix="bench-postgres-")) / "project"
    with Project.create(folder) as project:
        project.add_documents(documents)
    doc_ids = [d.id for d in documents]
    try:
        rows += _crowds(url, folder, doc_ids, seconds, crowds)
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)
    rows.append(_import(cluster, count))
    rows += _export(cluster, count, 1 if count < 10_000 else 3)
    return rows


def _crowds(
    url: str, folder: Path, doc_ids: list[str], seconds: float, crowds: tuple[int, ...]
) -> list[Result]:
    from annotator.store import Project
    from annotator.store.postgres import open_postgres

    rows: list[Result] = []
    for analysts in crowds:
        pg = _load(lambda: open_postgres(url), doc_ids, analysts, seconds)
        fs = _load(lambda: Project.open(folder), doc_ids, analysts, seconds)
        print(
            f"{analysts} analysts, {seconds:.0f} s: database {pg[0]:.0f} saves/s "
            f"(p50 {pg[1] * 1e3:.1f} ms, p99 {pg[2] * 1e3:.1f} ms, {pg[3]} lost); folder "
            f"{fs[0]:.0f} saves/s (p50 {fs[1] * 1e3:.1f} ms, p99 {fs[2] * 1e3:.1f} ms, "
            f"{fs[3]} lost)"
        )
        if pg[3] or fs[3]:
            raise SystemExit("an acknowledged save was not read back")
        rows.append(Result(f"db save p50, {analysts} analysts", pg[1], "folder", fs[1]))
        rows.append(Result(f"db save p99, {analysts} analysts", pg[2], "folder", fs[2]))
        rows.append(Result(f"db saves/s, {analysts} analysts", pg[0], "folder", fs[0], unit="/s"))
    return rows


def _import(cluster: Any, count: int) -> Result:
    from annotator.store.postgres import create_postgres

    url = cluster.url("imports")
    documents = _documents(count)
    store = create_postgres(url)
    try:
        began = time.perf_counter()
        store.add_documents(documents)
        ours = time.perf_counter() - began
        with store.conn.transaction():
            store.conn.execute("CREATE TABLE bare (id text, text text, meta json)")
            began = time.perf_counter()
            with store.conn.cursor().copy("COPY bare (id, text, meta) FROM STDIN") as copy:
                for document in documents:
                    copy.write_row((document.id, document.text, "{}"))
            bare = time.perf_counter() - began
    finally:
        store.close()
    print(f"add_documents of {count:,}: {ours:.2f} s; a plain COPY of the rows {bare:.2f} s")
    return Result(f"add_documents, {count:,} docs", ours, "plain COPY", bare)


def _labelled_project(cluster: Any, count: int) -> str:
    """A database of ``count`` documents, each labelled (three spans, done) by "bench",
    imported in one batch as an import of labelled documents does."""
    from annotator.store.postgres import create_postgres

    with cluster.admin() as admin:
        admin.execute("CREATE DATABASE exports")
    url = str(cluster.url("exports"))
    documents = _documents(count)
    with create_postgres(url) as store, store.import_batch() as batch:
        layer = batch.open_layer("bench")
        prepared = []
        for document in documents:
            batch.add(document)
            labels = DocumentAnnotation(doc_id=document.id, text_hash=text_hash(document.text))
            for number, start in enumerate((10, 40, 80)):
                labels.add_span(Span.of(document.text, start, start + 8, "PERSON", f"T{number}"))
            labels.status = "done"
            prepared.append(layer.prepare(labels, document.text))
        layer.append_prepared(prepared)
    return url


def _export(cluster: Any, count: int, rounds: int) -> list[Result]:
    """``annotator export`` (native JSONL) of every labelled document, and the store's
    part of it (export_rows), against a COPY TO of the same rows (each document's id,
    text and meta with its record) into a file. One COPY first (the freshly imported
    rows' first read sets their hint bits, a write), then ``rounds`` of the three in
    turn: the medians."""
    from annotator.services.exporting import export_project
    from annotator.store.postgres import open_postgres

    url = _labelled_project(cluster, count)
    folder = Path(tempfile.mkdtemp(prefix="bench-postgres-export-"))
    timed: dict[str, list[float]] = {"export": [], "rows": [], "copy": []}
    try:
        with open_postgres(url) as store:
            _copy_out(store.conn, folder / "copy.tsv")
            for _ in range(rounds):
                began = time.perf_counter()
                summary = export_project(store, "native", folder / "out.jsonl", "bench")
                timed["export"].append(time.perf_counter() - began)
                assert summary.documents == count, summary
                began = time.perf_counter()
                rows = sum(1 for row in store.export_rows("bench") if row.sealed is not None)
                timed["rows"].append(time.perf_counter() - began)
                assert rows == count
                began = time.perf_counter()
                _copy_out(store.conn, folder / "copy.tsv")
                timed["copy"].append(time.perf_counter() - began)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ours, export_rows, bare = (statistics.median(timed[key]) for key in ("export", "rows", "copy"))
    print(
        f"export of {count:,} labelled documents (native), median of {rounds}: {ours:.2f} s "
        f"(runs {', '.join(f'{t:.2f}' for t in timed['export'])}); the store's rows alone "
        f"{export_rows:.2f} s; a COPY TO of the same rows into a file {bare:.2f} s (runs "
        f"{', '.join(f'{t:.2f}' for t in timed['copy'])})"
    )
    return [
        Result(f"export (native), {count:,} labelled docs", ours, "COPY TO", bare, budget=2.0),
        Result("  export_rows alone", export_rows, "COPY TO", bare),
    ]


def _copy_out(conn: Any, path: Path) -> None:
    with (
        path.open("wb") as out,
        conn.cursor().copy(
            "COPY (SELECT d.id, d.text, d.meta, a.record FROM documents d"
            " JOIN annotations a ON a.document = d.id AND a.annotator = 'bench'"
            " ORDER BY d.ordinal) TO STDOUT"
        ) as copy,
    ):
        for data in copy:
            out.write(data)


if __name__ == "__main__":
    main()
