"""Export the sample project and a generated corpus in every format with the code tree
given, into OUT; run it for two trees and compare the folders byte by byte.

    PYTHONPATH=TREE python scripts/compare_exports.py OUT [SAMPLE_PROJECT]
    diff -r OUT_BEFORE OUT_AFTER

The corpus: CRLF text (normalised at import), emoji with modifiers and ZWJ, flags,
combining marks, CJK; spans with notes and attrs (discontinuous groups, plain values),
relations with notes, document notes, categories, every status; exported with and
without --labels and --include-unlabelled.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
from pathlib import Path

import orjson

from annotator.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "sample"
PIECES = [
    "Putin",
    "said",
    "café",
    "e\u0301te\u0301",  # combining acute accents
    "👍🏽",
    "👨‍👩‍👧",
    "🇫🇷",
    "北京",
    "“quoted”",
    "—",
    "naïve",
    "x\u0308",
    "talks",
    "ministers",
]
LABELS = ["PERSON", "GPE", "ORG", "QUOTE", "SOURCE", "CLAIM", "DATE"]
STATUSES = ["todo", "in_progress", "done", "skipped", "done", "done"]


def corpus(path: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("wb") as out:
        for number in range(count):
            words = [rng.choice(PIECES) for _ in range(rng.randint(30, 90))]
            text = ""
            starts = []
            for index, word in enumerate(words):
                if index:
                    text += rng.choice([" ", " ", " ", "\r\n", "\n\n", ", "])
                starts.append((len(text), word))
                text += word
            spans = []
            chosen = sorted(rng.sample(range(len(starts)), min(len(starts), rng.randint(0, 12))))
            for number_of, index in enumerate(chosen, 1):
                start, word = starts[index]
                span = {
                    "id": f"T{number_of}",
                    "start": start,
                    "end": start + len(word),
                    "label": rng.choice(LABELS),
                    "text": word,
                }
                roll = rng.random()
                if roll < 0.1:
                    span["note"] = rng.choice(["check 👍🏽", "line\r\nbreak", "ok"])
                elif roll < 0.15:
                    span["attrs"] = {"discontinuous": "g1"}
                elif roll < 0.2:
                    span["attrs"] = {"negated": True, "score": 3}
                spans.append(span)
            relations = []
            for rel_number in range(rng.randint(0, len(spans) // 2)):
                head, tail = rng.sample(spans, 2) if len(spans) > 1 else (None, None)
                if head is None:
                    break
                relation = {
                    "id": f"R{rel_number + 1}",
                    "label": rng.choice(["ATTRIBUTED_TO", "CUE", "CONTINUES"]),
                    "head": head["id"],
                    "tail": tail["id"],
                }
                if rng.random() < 0.2:
                    relation["note"] = "r note ✓"
                relations.append(relation)
            record: dict[str, object] = {
                "id": f"gen-{number:04d}",
                "text": text,
                "meta": {"source": "generated", "n": number},
                "spans": spans,
                "relations": relations,
                "status": rng.choice(STATUSES),
            }
            if rng.random() < 0.2:
                record["note"] = "doc note\r\nsecond line"
            if rng.random() < 0.3:
                record["cats"] = {"topic": [rng.choice(["politics", "economy"])]}
            out.write(orjson.dumps(record) + b"\n")


FORMATS = {
    "native": ".jsonl",
    "prodigy": ".jsonl",
    "doccano": ".jsonl",
    "label-studio": ".json",
    "brat": "",
    "spacy": ".spacy",
    "bio": ".txt",
    "citron": "",
}


def run(*args: str) -> None:
    code = main(list(args))
    if code:
        raise SystemExit(f"failed: {args}")


def export_all(project: Path, out: Path, who: list[str]) -> None:
    for fmt, suffix in FORMATS.items():
        if fmt == "spacy":
            try:
                import spacy  # noqa: F401
            except ImportError:
                continue
        for extra_name, extra in (
            ("", []),
            ("-labels", ["--labels", "PERSON,QUOTE,SOURCE,GPE"]),
            ("-all", ["--include-unlabelled"]),
        ):
            target = out / f"{project.name}-{'-'.join(who)}-{fmt}{extra_name}{suffix}"
            run("export", str(project), "--format", fmt, "-o", str(target), *who, *extra)


def export_everything(out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    work = out / "_work"
    work.mkdir()
    sample = work / "sample"
    shutil.copytree(Path(sys.argv[2]) if len(sys.argv) > 2 else SAMPLE, sample)
    for who in (["--annotator", "alice"], ["--annotator", "bob"]):
        export_all(sample, out, who)
    schema = work / "schema.json"
    schema.write_text(
        json.dumps(json.loads((sample / "annotator.json").read_text())["schema"]), "utf-8"
    )
    source = work / "corpus.jsonl"
    corpus(source, 400, 5)
    generated = work / "generated"
    run("init", str(generated), "--labels", str(schema))
    run("import", str(generated), str(source), "--format", "native", "--annotator", "carol")
    export_all(generated, out, ["--annotator", "carol"])
    shutil.rmtree(work)


if __name__ == "__main__":
    export_everything(Path(sys.argv[1]))
