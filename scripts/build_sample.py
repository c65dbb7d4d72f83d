"""Build resources/sample: the bundled sample project, from the five articles in ../shared/articles.

Two analysts, alice and bob, labelled the articles independently (they disagree in a few
places, so review mode has something to show). Run from the repository root:

    .venv/bin/python scripts/build_sample.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import orjson

from annotator.core.models import DocumentAnnotation, Relation, Span
from annotator.services import import_sources
from annotator.store import Project

REPO = Path(__file__).resolve().parents[1]
ARTICLES = REPO.parent / "shared" / "articles"
OUT = REPO / "resources" / "sample"
FIXED_TIME = "2025-09-03T09:00:00.000Z"

# (label, phrase, which occurrence) per document; "->" entries are attributions
# from the quote (by index in the list) to its source.
Labels = list[tuple[str, str, int]]
ALICE: dict[str, tuple[Labels, list[tuple[int, int]]]] = {
    "moscow-times-putin-xi-parade": (
        [
            ("PERSON", "Vladimir Putin", 1),
            ("PERSON", "Xi Jinping", 1),
            ("GPE", "Beijing", 1),
            ("ORG", "Kremlin Press Service", 1),
            ("ORG", "AFP", 1),
            ("DATE", "September 02, 2025", 1),
            ("SOURCE", "President Vladimir Putin", 1),
            ("PERSON", "Vladimir Putin", 2),
            ("QUOTE", "We were always together then, and we remain together now", 1),
            ("SOURCE", "Putin", 5),
            ("QUOTE", "China-Russia relations have withstood the test of international changes", 1),
            ("SOURCE", "Xi", 5),
            ("EVENT", "World War II", 1),
            ("PERSON", "Kim Jong-un", 1),
            ("GPE", "North Korea", 1),
            ("PERSON", "Robert Fico", 1),
        ],
        [(8, 9), (10, 11)],
    ),
    "internewscast-putin-xi-dear-friend": (
        [
            ("PERSON", "Vladimir Putin", 1),
            ("PERSON", "Xi Jinping", 1),
            (
                "QUOTE",
                "We must continue to take a clear stand against hegemonism and power politics.",
                1,
            ),
            ("SOURCE", "Xi", 3),
            ("ORG", "SCO", 1),
            ("ORG", "BRICS", 1),
            ("GPE", "Ukraine", 1),
        ],
        [(2, 3)],
    ),
    "xi-convenes-putin-kim-beijing": (
        [
            ("PERSON", "Xi Jinping", 1),
            ("PERSON", "Vladimir Putin", 1),
            ("GPE", "Beijing", 1),
            ("PERSON", "Kim Jong-un", 1),
            ("PERSON", "Wang Yi", 1),
            (
                "CLAIM",
                "Kim Jong-un’s armoured train was spotted arriving in the Chinese capital",
                1,
            ),
            (
                "SOURCE",
                "Youngjun Kim, an analyst at the US-based National Bureau of Asian Research",
                1,
            ),
            ("ORG", "National Bureau of Asian Research", 1),
        ],
        [],
    ),
    "express-gazette-putin-xi-unprecedented-ties": (
        [
            ("PERSON", "Vladimir Putin", 1),
            ("PERSON", "Xi Jinping", 1),
            ("CLAIM", 'described bilateral ties as "unprecedentedly high"', 1),
            ("SOURCE", "Russian President Vladimir Putin and Chinese President Xi Jinping", 1),
            ("PERSON", "Masoud Pezeshkian", 1),
            ("ORG", "Shanghai Cooperation Organization", 1),
        ],
        [(2, 3)],
    ),
    "xi-putin-strategic-ties-summit": (
        [
            ("PERSON", "Xi Jinping", 1),
            ("PERSON", "Vladimir Putin", 1),
            ("GPE", "Beijing", 1),
            ("PERSON", "Ukhnaagiin Khurelsukh", 1),
            ("LOC", "Great Hall of the People", 1),
        ],
        [],
    ),
}

# bob differs from alice: a few labels missing, one relabelled, one boundary wider.
BOB_CHANGES = {
    "moscow-times-putin-xi-parade": {"drop": {4, 15}, "relabel": {2: "LOC"}, "widen": {}},
    "internewscast-putin-xi-dear-friend": {"drop": {6}, "relabel": {}, "widen": {}},
    "xi-convenes-putin-kim-beijing": {"drop": {5}, "relabel": {}, "widen": {}},
    "express-gazette-putin-xi-unprecedented-ties": {"drop": set(), "relabel": {}, "widen": {}},
    "xi-putin-strategic-ties-summit": {"drop": {4}, "relabel": {}, "widen": {}},
}
STATUS = {
    "moscow-times-putin-xi-parade": "done",
    "internewscast-putin-xi-dear-friend": "done",
    "express-gazette-putin-xi-unprecedented-ties": "in_progress",
}


def find(text: str, phrase: str, occurrence: int) -> int:
    index = -1
    for _ in range(occurrence):
        index = text.find(phrase, index + 1)
        if index < 0:
            raise SystemExit(f"sample: {phrase!r} occurs fewer than {occurrence} times")
    return index


def build_layer(project: Project, name: str, drop_changes: bool) -> None:
    store = project.annotations(name)
    for doc_id, (labels, relations) in ALICE.items():
        text = project.get_text(doc_id)
        changes = BOB_CHANGES[doc_id] if drop_changes else {"drop": set(), "relabel": {}}
        annotation = DocumentAnnotation(doc_id=doc_id, updated=FIXED_TIME)
        ids: dict[int, str] = {}
        for index, (label, phrase, occurrence) in enumerate(labels):
            if index in changes["drop"]:
                continue
            start = find(text, phrase, occurrence)
            label = changes["relabel"].get(index, label)
            span = Span.of(text, start, start + len(phrase), label, annotation.next_span_id())
            annotation.spans.append(span)
            ids[index] = span.id
        for head, tail in relations:
            if head in ids and tail in ids:
                annotation.relations.append(
                    Relation(
                        id=annotation.next_relation_id(),
                        label="ATTRIBUTED_TO",
                        head=ids[head],
                        tail=ids[tail],
                    )
                )
        annotation.status = STATUS.get(doc_id, "todo")  # type: ignore[assignment]
        annotation.updated = FIXED_TIME
        store.save(annotation, text)
    store.close()


# The first line of two articles is a site banner, not a headline: give those their headline.
TITLES = {
    "express-gazette-putin-xi-unprecedented-ties": "Putin and Xi Hail ‘Unprecedentedly High’ Ties",
    "internewscast-putin-xi-dear-friend": "Putin praises his “dear friend” Xi",
    "xi-convenes-putin-kim-beijing": "Xi convenes Putin and Kim in Beijing",
}


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    project = Project.create(OUT, name="Sample: Putin and Xi in Beijing")
    with tempfile.TemporaryDirectory() as tmp:
        records = Path(tmp) / "articles.jsonl"
        with records.open("wb") as handle:
            for path in sorted(ARTICLES.glob("*.txt")):
                text = path.read_text(encoding="utf-8")
                meta = {"source": path.name}
                if path.stem in TITLES:
                    meta["title"] = TITLES[path.stem]
                handle.write(orjson.dumps({"id": path.stem, "text": text, "meta": meta}) + b"\n")
        import_sources(project, [records])
    build_layer(project, "alice", drop_changes=False)
    build_layer(project, "bob", drop_changes=True)
    project.close()
    for lock in OUT.glob("annotations/*.lock"):
        lock.unlink()
    for lock in OUT.glob("annotations/.*.lock"):
        lock.unlink()
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
