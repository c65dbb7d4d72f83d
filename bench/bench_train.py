"""The model in the loop: training time and dev F1, and a suggestion pass (no downloads).

    .venv/bin/python -m bench --only bench_train
    .venv/bin/python bench/bench_train.py [--epochs N] [--documents N]

Trains on two real label sets: the Prodigy news-headline fixture (372 accepted headlines:
ORG, PERSON, LOCATION) and the bundled sample (five articles with alice's example
labels), printing training time and the saved model's F1 on its dev documents. Then runs
`annotator suggest --model` over --documents generated documents and compares it with
spaCy's own `nlp.pipe` over the same texts (what any caller of the model pays).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ANNOTATOR_FSYNC", "0")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.assist.model import ModelSuggester
from annotator.assist.suggestions import SuggestionLayer
from annotator.assist.train import train_model
from annotator.cli import main as cli_main
from annotator.core.models import Document
from annotator.store import Project
from bench import Result

REPO = Path(__file__).resolve().parents[1]
FIXTURE = (
    REPO.parent
    / "shared"
    / "fixtures"
    / "prodigy"
    / "annotated_news_headlines-ORG-PERSON-LOCATION-ner.jsonl"
)
SAMPLE = REPO / "resources" / "sample"
# The smoke test skips the sample articles: their first epoch alone takes half a minute.
SMALL_ARGS = ["--epochs", "1", "--documents", "200", "--skip-sample"]

WORDS = "the talks in Beijing ended with a joint statement on trade and security".split()
NAMES = ["Putin", "Xi Jinping", "Kim Jong Un", "Reuters", "Kremlin", "Moscow"]


def train_on(project: Path, annotator: str, model: Path, epochs: int) -> tuple[float, float, int]:
    with Project.open(project) as opened:
        started = time.perf_counter()
        report = train_model(opened, annotator, model, epochs=epochs)
        return time.perf_counter() - started, report.f, len(report.train_ids)


def fake_texts(count: int) -> list[str]:
    rng = random.Random(7)
    texts = []
    for i in range(count):
        words = [rng.choice(WORDS) for _ in range(40)]
        words.insert(rng.randrange(40), rng.choice(NAMES))
        texts.append(f"{i}: " + " ".join(words) + ".")
    return texts


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--skip-sample", action="store_true", help="train on the fixture only")
    args = parser.parse_args(argv)
    rows: list[Result] = []
    work = Path(tempfile.mkdtemp(prefix="bench-train-"))
    try:
        model = work / "headlines-model"
        if FIXTURE.exists():
            headlines = work / "headlines"
            cli_main(["init", str(headlines)])
            cli_main(["import", str(headlines), str(FIXTURE), "--annotator", "alice"])
            seconds, f, trained = train_on(headlines, "alice", model, args.epochs)
            print(f"headlines: {trained} training documents, {seconds:.1f} s, dev F1 {f:.3f}")
            rows.append(Result(f"train headlines ({args.epochs} epochs)", seconds))
            rows.append(Result("headlines dev F1", f, unit="F1"))
        if not args.skip_sample or not model.exists():
            sample = work / "sample"
            shutil.copytree(SAMPLE, sample)
            sample_model = work / "sample-model"
            seconds, f, trained = train_on(sample, "alice", sample_model, args.epochs)
            print(f"sample: {trained} training documents, {seconds:.1f} s, dev F1 {f:.3f}")
            rows.append(Result(f"train sample ({args.epochs} epochs)", seconds))
            rows.append(Result("sample dev F1", f, unit="F1"))
            if not model.exists():
                model = sample_model

        texts = fake_texts(args.documents)
        project = work / "suggest"
        with Project.create(project) as opened:
            opened.add_documents([Document(id=f"d{i}", text=t) for i, t in enumerate(texts)])
            suggester = ModelSuggester(__import__("spacy").load(model))
            started = time.perf_counter()
            for _ in suggester.nlp.pipe(texts, batch_size=suggester.batch_size):
                pass
            baseline = time.perf_counter() - started
            started = time.perf_counter()
            report = SuggestionLayer(opened, "alice").suggest(suggester, "model:bench")
            measured = time.perf_counter() - started
        print(f"suggest over {args.documents} documents: {measured:.2f} s ({report.describe()})")
        rows.append(
            Result(
                f"suggest --model, {args.documents} docs",
                measured,
                "spaCy nlp.pipe alone",
                baseline,
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


if __name__ == "__main__":
    for row in main():
        print(row)
