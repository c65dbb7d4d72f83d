"""Pattern matching over 100,000 generated news-like documents (no downloads).

    .venv/bin/python -m bench --only bench_patterns
    .venv/bin/python bench/bench_patterns.py [--documents N] [--patterns FILE]
                                             [--spacy-sample N] [--project-documents N]

Prints, for the pattern file (default: the shared fixture of 1,010 country patterns):
the time to load and compile it; the time to find every match in every document, next
to two baselines measured in the same run on the same texts (lowercasing them, and one
`re.finditer(r"\\w+")` pass, the least any word-level matcher in Python pays); spaCy's
blank English pipeline with an EntityRuler on a sample, scaled to the same count; and
`annotator suggest` end to end (reading the project, matching, saving suggestions) on a
project of --project-documents documents. Without the shared fixture (a fresh checkout),
1,010 generated patterns of the same shape are used.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("ANNOTATOR_FSYNC", "0")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotator.assist.patterns import PatternSet, load_pattern_file, parse_pattern
from annotator.assist.suggestions import SuggestionLayer
from annotator.core.models import Document
from annotator.store import Project
from bench import Result

SMALL_ARGS = ["--documents", "300", "--spacy-sample", "20", "--project-documents", "300"]

FIXTURE = (
    Path(__file__).resolve().parents[2] / "shared/fixtures/prodigy/patterns_countries-GPE.jsonl"
)

SUBJECTS = [
    "Vladimir Putin",
    "Xi Jinping",
    "Kim Jong Un",
    "The foreign ministry",
    "Officials in Beijing",
    "A Kremlin spokesman",
    "Analysts",
    "The delegation from South Korea",
    "Robert Fico",
    "Diplomats from the United States",
    "The president of Brazil",
    "Leaders of India",
]
VERBS = [
    "said",
    "warned",
    "announced",
    "praised",
    "criticised",
    "signed",
    "discussed",
    "rejected",
    "welcomed",
    "described",
]
OBJECTS = [
    "an unprecedented partnership with Russia",
    "new trade routes through Kazakhstan",
    "the parade in Tiananmen Square",
    "energy deals worth billions of rubles",
    "talks with Japan and Vietnam",
    "sanctions imposed by the European Union",
    "the war in Ukraine",
    "a summit in Tianjin",
    "closer ties with North Korea",
    "military cooperation with Belarus",
    "a visit to Mongolia next year",
    "the Shanghai Cooperation Organisation",
    "grain exports to Türkiye and Egypt",
]
TAILS = [
    "on Tuesday.",
    "according to state media.",
    "in a statement.",
    "without giving details.",
    "as markets fell.",
    "after a two-hour meeting.",
    "— a claim Moscow denied.",
    "(Reuters).",
]


def make_documents(count: int, rng: random.Random) -> list[str]:
    """News-like texts of about 1,000-2,500 characters: 8-20 sentences of 4 parts."""
    texts = []
    for _ in range(count):
        sentences = [
            f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}"
            for _ in range(rng.randint(8, 20))
        ]
        paragraphs = [" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]
        texts.append("\n\n".join(paragraphs))
    return texts


def timed(label: str, seconds: float, extra: str = "") -> None:
    print(f"  {label:<48} {seconds:8.2f} s {extra}", flush=True)


def load_patterns(path: Path) -> tuple[PatternSet, list[dict[str, object]]]:
    if path.exists():
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return load_pattern_file(path), records
    # The fixture's shape: LOWER token patterns, mostly one or two tokens, some codes.
    rng = random.Random(3)
    letters = "abcdefghijklmnopqrstuvwxyzåéü"
    records = []
    for number in range(1010):
        words = [
            "".join(rng.choice(letters) for _ in range(rng.choice((2, 5, 7, 9))))
            for _ in range(rng.choice((1, 1, 1, 2, 3)))
        ]
        if number % 10 == 0:
            words = [rng.choice(["russia", "china", "japan", "ukraine", "india", "kazakhstan"])]
        records.append({"label": "GPE", "pattern": [{"lower": word} for word in words]})
    patterns = PatternSet([parse_pattern(record) for record in records])
    return patterns, records


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--patterns", type=Path, default=FIXTURE)
    parser.add_argument("--spacy-sample", type=int, default=1_000)
    parser.add_argument("--project-documents", type=int, default=100_000)
    args = parser.parse_args(argv)
    rows: list[Result] = []

    rng = random.Random(7)
    texts = make_documents(args.documents, rng)
    megabytes = sum(len(text.encode()) for text in texts) / 1e6
    source = args.patterns if args.patterns.exists() else "generated (no fixture here)"
    print(f"{args.documents:,} documents, {megabytes:.1f} MB; patterns: {source}")

    start = time.perf_counter()
    patterns, records = load_patterns(args.patterns)
    matcher = patterns.matcher()
    compile_time = time.perf_counter() - start
    timed(f"load and compile {len(patterns):,} patterns", compile_time)
    rows.append(Result(f"load and compile {len(patterns):,} patterns", compile_time))

    start = time.perf_counter()
    found = sum(len(matcher.find(text)) for text in texts)
    ours = time.perf_counter() - start
    timed("find all matches (ours)", ours, f"{megabytes / ours:5.1f} MB/s, {found:,} matches")

    start = time.perf_counter()
    for text in texts:
        text.lower()
    lowering = time.perf_counter() - start
    timed("baseline: str.lower() of every text", lowering, f"ours = {ours / lowering:.0f}x")

    words = re.compile(r"\w+")
    start = time.perf_counter()
    for text in texts:
        for _ in words.finditer(text):
            pass
    word_pass = time.perf_counter() - start
    timed(r"baseline: one re.finditer(r'\w+') pass", word_pass, f"ours = {ours / word_pass:.2f}x")
    what = f"find matches, {len(texts):,} docs ({megabytes:.0f} MB)"
    rows.append(Result(what, ours, r"one re.finditer(r'\w+') pass", word_pass))

    try:
        import spacy
    except ImportError:
        print("  spaCy not installed: no EntityRuler comparison")
    else:
        nlp = spacy.blank("en")
        ruler: Any = nlp.add_pipe("entity_ruler")
        ruler.add_patterns(records)
        sample = texts[: args.spacy_sample]
        start = time.perf_counter()
        spacy_found = sum(len(doc.ents) for doc in nlp.pipe(sample, batch_size=256))
        elapsed = time.perf_counter() - start
        ours_sample = sum(len(matcher.find(text)) for text in sample)
        scaled = elapsed * len(texts) / len(sample)
        timed(
            f"spaCy EntityRuler, {len(sample):,} docs scaled to {len(texts):,}",
            scaled,
            f"ours is {scaled / ours:.1f}x faster; same count: {spacy_found == ours_sample}",
        )
        rows.append(Result(what, ours, "spaCy EntityRuler (sample, scaled)", scaled))

    if args.project_documents:
        count = min(args.project_documents, len(texts))
        with tempfile.TemporaryDirectory() as folder:
            project = Project.create(Path(folder) / "p")
            start = time.perf_counter()
            project.add_documents(Document(id=f"d{i}", text=texts[i]) for i in range(count))
            timed(f"(setup) import {count:,} documents", time.perf_counter() - start)
            start = time.perf_counter()
            report = SuggestionLayer(project, "bench").suggest(matcher, "patterns:bench")
            elapsed = time.perf_counter() - start
            timed(
                f"suggest end to end, {count:,} documents",
                elapsed,
                f"{report.added:,} suggestions saved",
            )
            share = ours * count / len(texts)
            rows.append(
                Result(
                    f"suggest end to end ({report.added:,} suggestions)",
                    elapsed,
                    "matching alone",
                    share,
                )
            )
            project.close()
    return rows


if __name__ == "__main__":
    main()
