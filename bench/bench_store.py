"""The project store at scale: save latency, open time, memory.

    python -m bench --only bench_store            # 100 vs 100,000 documents (about 300 MB)
    python bench/bench_store.py --size 20000      # another large size
    python bench/bench_store.py --small           # tiny sizes (smoke test)

Generates its own news-like articles (accents, curly quotes, emoji, paragraphs, about
3,000 characters and about 20 labelled spans each, every document labelled by three
annotators who mostly agree), then measures:

- saving one document's edit (fsync on) in a small and in a large project: the
  median of many saves, interleaved so that machine noise hits both alike;
- opening the large project until ``entries()`` is available, against orjson reading
  documents.jsonl once; and until the labels' index is ready too (what the window
  needs), against orjson reading both files once;
- peak and retained memory of that open, against the project's size on disk.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("ANNOTATOR_FSYNC", "0")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson

from annotator.core.models import Document, Span, text_hash
from annotator.core.records import encode_record
from annotator.store import Project
from bench import Result, format_table

SMALL_ARGS = ["--small"]
ANNOTATOR = "bench"
COLLEAGUES = ("bench-b", "bench-c")
UPDATED = "2025-09-03T09:00:00.000Z"
LONG_CHARS = 1_000_000

WORDS = (
    "the minister said talks would continue after the summit while officials praised what "
    "they called unprecedented ties between both countries energy trade pipeline security "
    "agreement parade delegation analysts warned sanctions economy cooperation leaders "
    "statement visit ceremony border military exercises announced during meeting"
).split()
ACCENTED = ["café", "naïve", "déjà vu", "façade", "über", "piñata", "coöperation", "rôle"]
PEOPLE = [
    "Vladimir Putin",
    "Xi Jinping",
    "Kim Jong-un",
    "Pedro Sánchez",
    "Recep Tayyip Erdoğan",
    "Angela Müller",
    "Łukasz Nowak",
    "Masoud Pezeshkian",
]
ORGS = ["the Kremlin", "Xinhua", "AFP", "Reuters", "the Shanghai Cooperation Organization"]
PLACES = ["Beijing", "Moscow", "Zürich", "São Paulo", "Pyongyang", "北京", "Tianjin"]
EMOJI = ["👍🏽", "🇨🇳", "🇷🇺", "🤝", "👩\u200d👩\u200d👧"]


def words(rng: random.Random, count: int) -> str:
    chosen = rng.choices(WORDS, k=count)
    if rng.random() < 0.5:
        chosen[rng.randrange(count)] = rng.choice(ACCENTED)
    if rng.random() < 0.2:
        chosen[rng.randrange(count)] = rng.choice(EMOJI)
    return " ".join(chosen)


Spans = list[tuple[int, int, str]]
Links = list[tuple[int, int]]


def paragraph(rng: random.Random) -> tuple[str, Spans, Links]:
    """About 550 characters: prose with names, places and organisations, and a quote."""
    text = ""
    spans: Spans = []
    links: Links = []

    def add(piece: str, label: str | None = None) -> int:
        nonlocal text
        start = len(text)
        text += piece
        if label is not None:
            spans.append((start, len(text), label))
            return len(spans) - 1
        return -1

    for _ in range(3):
        add(words(rng, 6).capitalize() + " ")
        add(rng.choice(PEOPLE), "PERSON")
        add(" " + words(rng, 5) + " in ")
        add(rng.choice(PLACES), "GPE")
        add(", " + words(rng, 4) + " ")
        add(rng.choice(ORGS), "ORG")
        add(". ")
    quote = add("“" + words(rng, 9).capitalize() + ",”", "QUOTE")
    add(" said ")
    source = add(rng.choice(PEOPLE), "SOURCE")
    add(". ‘" + words(rng, 4) + "’ — " + words(rng, 5) + ".")
    links.append((quote, source))
    return text, spans, links


def article(
    number: int, rng: random.Random, pool: list[tuple[str, Spans, Links]]
) -> tuple[Document, list[dict[str, Any]], list[dict[str, Any]]]:
    """One document (unique headline), and its spans and relations as journal dicts."""
    headline = (
        f"{rng.choice(PEOPLE)} and {rng.choice(PEOPLE)} meet in {rng.choice(PLACES)} ({number})"
    )
    text = headline
    span_dicts: list[dict[str, Any]] = []
    relation_dicts: list[dict[str, Any]] = []
    for part, part_spans, part_links in rng.sample(pool, 5):
        text += "\n\n"
        offset = len(text)
        text += part
        first_id = len(span_dicts) + 1
        # Four spans a paragraph (20 a document), the quote and its source always among them.
        keep = [0, 1, len(part_spans) - 2, len(part_spans) - 1]
        for start, end, label in (part_spans[i] for i in keep):
            span_dicts.append(
                {
                    "id": f"T{len(span_dicts) + 1}",
                    "start": offset + start,
                    "end": offset + end,
                    "label": label,
                    "text": text[offset + start : offset + end],
                    "attrs": {},
                    "note": "",
                }
            )
        for quote, source in part_links:
            if quote == len(part_spans) - 2 and source == len(part_spans) - 1:
                relation_dicts.append(
                    {
                        "id": f"R{len(relation_dicts) + 1}",
                        "label": "ATTRIBUTED_TO",
                        "head": f"T{first_id + 2}",
                        "tail": f"T{first_id + 3}",
                        "note": "",
                    }
                )
    meta = {"title": headline, "source": "generated", "lang": "en"}
    return Document(id=f"news-{number:06d}", text=text, meta=meta), span_dicts, relation_dicts


def build_project(path: Path, size: int, seed: int = 7) -> Path:
    """A project of ``size`` articles labelled by three annotators (journals in the store's
    format): ANNOTATOR, whose layer the benches open, and two colleagues who left out or
    relabelled some of the same spans."""
    rng = random.Random(seed)
    pool = [paragraph(rng) for _ in range(min(2000, max(50, size)))]
    project = Project.create(path, name=f"bench {size}")
    names = [ANNOTATOR, *COLLEAGUES]
    journals = {name: path / "annotations" / f"{name}.jsonl" for name in names}

    def documents() -> Iterator[Document]:
        handles = {name: journal.open("wb") for name, journal in journals.items()}
        try:
            for number in range(size):
                document, spans, relations = article(number, rng, pool)
                digest = text_hash(document.text)
                for name, handle in handles.items():
                    own_spans, own_relations = colleague_labels(name, spans, relations)
                    record = {
                        "doc_id": document.id,
                        "text_hash": digest,
                        "status": "in_progress",
                        "note": "",
                        "updated": UPDATED,
                        "spans": own_spans,
                        "relations": own_relations,
                        "provenance": {},
                    }
                    handle.write(encode_record(record) + b"\n")
                yield document
        finally:
            for handle in handles.values():
                handle.close()

    project.add_documents(documents())
    # A writer's close leaves the journal's sidecar index, as an import does.
    for name in names:
        project.annotations(name).close()
    project.close()
    return path


def colleague_labels(
    name: str, spans: list[dict[str, Any]], relations: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The labels ``name`` made: ANNOTATOR's, or a colleague's variation of them."""
    if name == ANNOTATOR:
        return spans, relations
    if name == COLLEAGUES[0]:
        # Misses the first name of every other paragraph (never a quote or its source).
        left_out = {span["id"] for number, span in enumerate(spans) if number % 8 == 0}
        return [span for span in spans if span["id"] not in left_out], relations
    # Calls some places LOC instead of GPE.
    return [
        {**span, "label": "LOC"} if span["label"] == "GPE" and number % 3 == 0 else span
        for number, span in enumerate(spans)
    ], relations


def sidecars(path: Path) -> list[Path]:
    """The project's index files (documents and journals), which an open may use."""
    return [*path.glob(".*.idx"), *path.glob("annotations/.*.idx")]


def disk_size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


# --- measurements ---------------------------------------------------------------------


def save_latencies(
    small: Path, large: Path, saves: int, block: int = 25
) -> tuple[list[float], list[float]]:
    """Seconds per save (fsync on) of one document's edit, small and large interleaved.

    They take turns in blocks of saves, not save by save: an analyst saves into one
    journal, and alternating fsyncs between two files makes every one of them pay for a
    full filesystem journal commit (about ten times slower here).
    """
    previous = os.environ.get("ANNOTATOR_FSYNC")
    os.environ["ANNOTATOR_FSYNC"] = "1"
    projects = [Project.open(small), Project.open(large)]
    try:
        stores = [project.annotations(ANNOTATOR) for project in projects]
        ids = [project.document_ids() for project in projects]
        timings: list[list[float]] = [[], []]
        rng = random.Random(11)
        for turn in range(-(-saves // block)):
            for which in (0, 1) if turn % 2 == 0 else (1, 0):
                for number in range(min(block, saves - turn * block)):
                    annotation = stores[which].get(rng.choice(ids[which]))
                    assert annotation is not None
                    annotation.relabel_span("T1", "ORG" if number % 2 else "PERSON")
                    started = time.perf_counter()
                    stores[which].save(annotation)
                    timings[which].append(time.perf_counter() - started)
        return timings[0], timings[1]
    finally:
        for project in projects:
            project.close()
        if previous is None:
            del os.environ["ANNOTATOR_FSYNC"]
        else:
            os.environ["ANNOTATOR_FSYNC"] = previous


def long_article(chars: int, spans: int, seed: int = 5) -> tuple[str, list[Span]]:
    """A long news-like article and ``spans`` spans over it, some overlapping."""
    rng = random.Random(seed)
    pool = [paragraph(rng)[0] for _ in range(50)]
    text = ""
    while len(text) < chars:
        text += rng.choice(pool) + "\n\n"
    step = max(2, len(text) // spans)
    result = []
    for number in range(spans):
        start = number * step
        end = min(len(text), start + (12 if number % 10 else step + 30))  # every 10th overlaps
        result.append(Span.of(text, start, end, "PERSON", f"T{number + 1}"))
    return text, result


def long_article_saves(folder: Path, saves: int, spans: int) -> tuple[float, float, int]:
    """(median save, median bare append+fsync of the same line, line bytes) for one edit
    at a time to a long article: relabel one span, save."""
    path = folder / "long-article"
    shutil.rmtree(path, ignore_errors=True)
    text, span_list = long_article(LONG_CHARS, spans)
    with Project.create(path) as project:
        project.add_documents([Document(id="long", text=text)])
    previous = os.environ.get("ANNOTATOR_FSYNC")
    os.environ["ANNOTATOR_FSYNC"] = "1"
    try:
        with Project.open(path) as project:
            store = project.annotations(ANNOTATOR)
            annotation = store.get_or_new("long")
            annotation.spans.extend(span_list)
            store.save(annotation)
            times = []
            for number in range(saves):
                annotation.relabel_span(f"T{number % spans + 1}", "ORG" if number % 2 else "GPE")
                started = time.perf_counter()
                store.save(annotation, project.get_text("long"))
                times.append(time.perf_counter() - started)
            line = (path / "annotations" / f"{ANNOTATOR}.jsonl").read_bytes().splitlines()[-1]
    finally:
        if previous is None:
            del os.environ["ANNOTATOR_FSYNC"]
        else:
            os.environ["ANNOTATOR_FSYNC"] = previous
    return statistics.median(times), raw_append_latency(folder, line + b"\n", saves), len(line)


def raw_append_latency(folder: Path, line: bytes, saves: int) -> float:
    """The floor: append the same bytes to a file and fsync, with nothing else."""
    fd = os.open(folder / "raw.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    times = []
    try:
        for _ in range(saves):
            started = time.perf_counter()
            os.write(fd, line)
            os.fsync(fd)
            times.append(time.perf_counter() - started)
    finally:
        os.close(fd)
    return statistics.median(times)


def orjson_read_once(*files: Path) -> float:
    started = time.perf_counter()
    for path in files:
        for line in path.read_bytes().split(b"\n"):
            if line:
                orjson.loads(line)
    return time.perf_counter() - started


def open_entries(path: Path) -> float:
    started = time.perf_counter()
    project = Project.open(path)
    entries = project.entries()
    elapsed = time.perf_counter() - started
    assert entries
    project.close()
    return elapsed


def open_for_window(path: Path) -> float:
    started = time.perf_counter()
    project = Project.open(path)
    entries = project.entries()
    store = project.annotations(ANNOTATOR, writable=False)
    statuses = [store.summary(entry.id) for entry in entries]
    elapsed = time.perf_counter() - started
    assert statuses[-1] is not None
    project.close()
    return elapsed


def open_without_sidecars(path: Path) -> float:
    """open_for_window on a project with no index files (it writes what it can)."""
    for sidecar in sidecars(path):
        if not sidecar.name.endswith(".aside"):
            sidecar.unlink()
    return open_for_window(path)


def best_of(repeats: int, measure: Any, *args: Any) -> float:
    """The fastest of a few runs: the least disturbed by other programs on the machine."""
    times = []
    for _ in range(repeats):
        gc.collect()
        times.append(measure(*args))
    return min(times)


MEMORY_CHILD = """
import resource, sys, tracemalloc
from annotator.store import Project
mode = sys.argv[2]
if mode == "trace":
    tracemalloc.start()
def high_water():
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
before = high_water()
project = Project.open(sys.argv[1])
entries = project.entries()
store = project.annotations(sys.argv[3], writable=False)
summaries = [store.summary(entry.id) for entry in entries]
if mode == "trace":
    current, peak = tracemalloc.get_traced_memory()
    print(current, peak)
else:
    print((high_water() - before) * 1024)
"""


def memory(path: Path) -> tuple[int, int, int]:
    """(peak RSS growth, Python memory retained, Python peak) of an open, in bytes."""
    repo = Path(__file__).resolve().parents[1]
    outputs = []
    for mode in ("rss", "trace"):
        result = subprocess.run(
            [sys.executable, "-c", MEMORY_CHILD, str(path), mode, ANNOTATOR],
            capture_output=True,
            text=True,
            cwd=repo,
            check=True,
        )
        outputs.append([int(value) for value in result.stdout.split()])
    return outputs[0][0], outputs[1][0], outputs[1][1]


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="documents in the large project")
    parser.add_argument("--small-size", type=int, default=100, help="documents in the small one")
    parser.add_argument("--saves", type=int, default=300, help="saves measured per project")
    parser.add_argument("--small", action="store_true", help="tiny sizes, for the smoke test")
    parser.add_argument("--keep", metavar="DIR", help="build (or reuse) the projects in DIR")
    parser.add_argument("--spans", type=int, default=10_000, help="spans on the long article")
    args = parser.parse_args(argv)
    if args.small:
        args.size, args.small_size, args.saves, args.spans = 300, 20, 10, 200

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-store-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return measure(folder, args.size, args.small_size, args.saves, args.spans)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def _project(folder: Path, size: int) -> Path:
    path = folder / f"project-{size}"
    if not (path / "annotator.json").exists():
        shutil.rmtree(path, ignore_errors=True)
        started = time.perf_counter()
        build_project(path, size)
        print(f"built {size:,} labelled documents in {time.perf_counter() - started:.1f} s")
    return path


def measure(folder: Path, size: int, small_size: int, saves: int, spans: int) -> list[Result]:
    small = _project(folder, small_size)
    large = _project(folder, size)
    # Write the freshly built files back first: otherwise the first fsyncs wait for them.
    os.sync()
    documents = large / "documents.jsonl"
    journal = large / "annotations" / f"{ANNOTATOR}.jsonl"
    on_disk = disk_size(large)
    print(
        f"large project: {size:,} documents, {documents.stat().st_size / 1e6:,.0f} MB of "
        f"documents, {journal.stat().st_size / 1e6:,.0f} MB of labels"
    )
    rows: list[Result] = []

    small_times, large_times = save_latencies(small, large, saves)
    small_median = statistics.median(small_times)
    large_median = statistics.median(large_times)
    with Project.open(large) as project:
        annotation = project.annotations(ANNOTATOR, writable=False).get(project.document_ids()[0])
        assert annotation is not None
        line = annotation.model_dump_json().encode() + b"\n"
    raw = raw_append_latency(folder, line, saves)
    print(
        f"save one edit (fsync): {small_size:,} docs median {small_median * 1e3:.2f} ms "
        f"(p90 {statistics.quantiles(small_times, n=10)[-1] * 1e3:.2f}), "
        f"{size:,} docs median {large_median * 1e3:.2f} ms "
        f"(p90 {statistics.quantiles(large_times, n=10)[-1] * 1e3:.2f}); "
        f"bare append+fsync {raw * 1e3:.2f} ms"
    )
    rows.append(
        Result(
            f"save one edit, {size:,} docs",
            large_median,
            f"same in {small_size:,} docs",
            small_median,
            budget=1.5,
        )
    )
    rows.append(Result(f"save one edit, {size:,} docs", large_median, "bare append+fsync", raw))

    long_save, long_raw, long_bytes = long_article_saves(folder, max(10, saves // 10), spans)
    print(
        f"save one edit to a {LONG_CHARS / 1e6:.1f} M-character article with {spans:,} spans "
        f"(fsync): median {long_save * 1e3:.2f} ms; bare append+fsync of its "
        f"{long_bytes / 1e6:.1f} MB line {long_raw * 1e3:.2f} ms"
    )
    rows.append(
        Result(
            f"save one edit, article with {spans:,} spans",
            long_save,
            "bare append+fsync",
            long_raw,
        )
    )

    repeats = 3
    baseline = best_of(repeats, orjson_read_once, documents)
    ours = best_of(repeats, open_entries, large)
    print(f"open to entries(): {ours:.2f} s; orjson reading documents.jsonl once: {baseline:.2f} s")
    rows.append(
        Result("open to entries()", ours, "orjson reads documents.jsonl", baseline, budget=1.5)
    )
    baseline_both = best_of(repeats, orjson_read_once, documents, journal)
    window = best_of(repeats, open_for_window, large)
    print(
        f"open with the labels' index: {window:.2f} s; orjson reading both files once: "
        f"{baseline_both:.2f} s"
    )
    rows.append(
        Result(
            "open + labels index (window)",
            window,
            "orjson reads documents.jsonl",
            baseline,
            budget=1.5,
        )
    )
    rows.append(
        Result("open + labels index (window)", window, "orjson reads both files", baseline_both)
    )
    # Without the sidecar indexes (files written by an older version, edited by hand, or
    # copied to another folder) an open reads both files whole.
    found = sidecars(large)
    if found:
        for sidecar in found:
            sidecar.replace(sidecar.with_name(sidecar.name + ".aside"))
        try:
            cold = best_of(repeats, open_without_sidecars, large)
        finally:
            for sidecar in found:
                sidecar.with_name(sidecar.name + ".aside").replace(sidecar)
        print(f"open with the labels' index, no sidecar indexes: {cold:.2f} s")
        rows.append(
            Result(
                "open + labels index, no sidecars",
                cold,
                "orjson reads documents.jsonl",
                baseline,
            )
        )

    rss, retained, peak = memory(large)
    print(
        f"memory: peak RSS growth {rss / 1e6:,.0f} MB, Python peak {peak / 1e6:,.0f} MB, "
        f"retained {retained / 1e6:,.0f} MB; on disk {on_disk / 1e6:,.0f} MB"
    )
    rows.append(
        Result("open: peak RSS growth", rss / 1e6, "size on disk", on_disk / 1e6, 2.0, "MB")
    )
    rows.append(
        Result("open: memory retained", retained / 1e6, "size on disk", on_disk / 1e6, unit="MB")
    )
    return rows


if __name__ == "__main__":
    results = main()
    print()
    print(format_table([("bench_store", row) for row in results]))
