"""Agreement over 10,000 documents labelled by 3 annotators (generated here, no downloads).

    .venv/bin/python bench/bench_agreement.py [--documents N] [--annotators K] [--small]
    .venv/bin/python -m bench --only bench_agreement

Prints the time to build the project (not measured against anything), the time to
read every journal line once with orjson (the floor any agreement has to pay), and
the time `compute_agreement` takes with and without token kappa.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ANNOTATOR_FSYNC", "0")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson

from annotator.core.models import Document, DocumentAnnotation, Relation, Span
from annotator.review.agreement import compute_agreement
from annotator.review.disagreements import DisagreementFinder
from annotator.review.source import ReviewSource
from annotator.store import Project
from bench import Result

WORDS = (
    "the minister said that talks in Beijing would continue after the summit while "
    "officials from Moscow and Pyongyang praised what they called unprecedented ties"
).split()
NAMES = ["Vladimir Putin", "Xi Jinping", "Kim Jong Un", "Robert Fico", "the Kremlin"]
LABELS = ["PERSON", "ORG", "GPE", "LOC", "DATE", "EVENT"]


def make_text(rng: random.Random) -> tuple[str, list[tuple[int, int]]]:
    """About 2,000 characters of prose with 20 name slots (candidate spans)."""
    parts: list[str] = []
    slots: list[tuple[int, int]] = []
    length = 0
    for sentence in range(20):
        words = rng.choices(WORDS, k=14)
        name = rng.choice(NAMES)
        before = " ".join(words[:6]) + " "
        parts.append(before)
        length += len(before)
        slots.append((length, length + len(name)))
        parts.append(name)
        length += len(name)
        after = " " + " ".join(words[6:]) + (". " if sentence % 5 else '. "We agree," he said. ')
        parts.append(after)
        length += len(after)
    return "".join(parts), slots


def label(
    rng: random.Random, doc_id: str, text: str, slots: list[tuple[int, int]], truth: list[str]
) -> DocumentAnnotation:
    spans: list[Span] = []
    for index, ((start, end), gold_label) in enumerate(zip(slots, truth, strict=True)):
        roll = rng.random()
        if roll < 0.05:
            continue  # missed
        if roll < 0.10:
            gold_label = rng.choice(LABELS)  # another label
        elif roll < 0.14:
            start = min(start + 1, end - 1)  # other boundaries
        spans.append(Span.of(text, start, end, gold_label, f"T{index + 1}"))
    relations = []
    if len(spans) > 3:
        relations.append(
            Relation(id="R1", label="ATTRIBUTED_TO", head=spans[0].id, tail=spans[1].id)
        )
    return DocumentAnnotation(doc_id=doc_id, spans=spans, relations=relations, status="done")


def build(path: Path, documents: int, annotators: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    texts: list[tuple[str, str, list[tuple[int, int]], list[str]]] = []
    for number in range(documents):
        text, slots = make_text(rng)
        truth = [rng.choice(LABELS) for _ in slots]
        texts.append((f"doc-{number:06d}", text, slots, truth))
    with Project.create(path) as project:
        project.add_documents([Document(id=doc_id, text=text) for doc_id, text, _, _ in texts])
        for k in range(annotators):
            store = project.annotations(f"annotator{k + 1}")
            batch = [label(rng, doc_id, text, slots, truth) for doc_id, text, slots, truth in texts]
            store.save_many(batch)
            project.release_annotations(f"annotator{k + 1}")


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--annotators", type=int, default=3)
    parser.add_argument("--small", action="store_true", help="200 documents (smoke test)")
    args = parser.parse_args(argv)
    documents = 200 if args.small else args.documents
    with tempfile.TemporaryDirectory(prefix="bench-agreement-") as tmp:
        path = Path(tmp) / "project"
        started = time.perf_counter()
        build(path, documents, args.annotators)
        built = time.perf_counter() - started
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        print(
            f"built {documents} documents x {args.annotators} annotators "
            f"({size / 1e6:.1f} MB) in {built:.1f} s"
        )

        started = time.perf_counter()
        for journal in sorted((path / "annotations").glob("*.jsonl")):
            for line in journal.read_bytes().splitlines():
                orjson.loads(line)
        for line in (path / "documents.jsonl").read_bytes().splitlines():
            orjson.loads(line)
        floor = time.perf_counter() - started
        print(f"baseline: orjson reads every journal line and document once: {floor:.2f} s")

        with Project.open(path) as project:
            started = time.perf_counter()
            compute_agreement(project, kappa=False)
            no_kappa = time.perf_counter() - started
            started = time.perf_counter()
            report = compute_agreement(project)
            full = time.perf_counter() - started
            started = time.perf_counter()
            finder = DisagreementFinder(ReviewSource(project))
            disagreements = sum(len(finder.for_document(d)) for d in project.document_ids())
            finding = time.perf_counter() - started
        summary = report.summary()
        print(
            f"agreement, spans and relations only: {no_kappa:.2f} s "
            f"({no_kappa / floor:.1f}x the baseline)"
        )
        print(
            f"agreement with token kappa:          {full:.2f} s ({full / floor:.1f}x the baseline); "
            f"{len(report.pairs)} pairs over {report.documents} documents; "
            f"mean F1 {summary['span_f1_exact']:.3f}, kappa {summary['token_kappa']:.3f}"
        )
        print(f"finding all {disagreements} disagreements: {finding:.2f} s")
    baseline = "orjson reads labels + texts"
    return [
        Result(
            f"agreement, {documents} docs x {args.annotators}, no kappa", no_kappa, baseline, floor
        ),
        Result(
            f"agreement, {documents} docs x {args.annotators}, with kappa", full, baseline, floor
        ),
        Result(f"find every disagreement ({disagreements})", finding, baseline, floor),
    ]


if __name__ == "__main__":
    main()
