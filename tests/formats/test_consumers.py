"""Exports read by their real consumers: spaCy (its DocBin reader and ``spacy debug
data``), Hugging Face datasets, and Label Studio's own converter (label-studio-sdk's
``Converter``, published standalone as label-studio-converter)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.services import export_project, import_sources
from annotator.store import Project
from tests.formats.tricky import DOC_ID, SPANS, TEXT, make_project

# A doccano export written by hand as doccano writes it (offsets in UTF-16 units of the text
# as it came, CRLF included), with spans drawn the way real files have them: a space taken
# along before or after the words, a line break before them, and one span of only a space
# (entity 3) that a relation joins.
DOCCANO_LINE = (
    '{"text": "Dr. Am\\u00e9lie Poulain \U0001f469\u200d\U0001f52c met Bob\\tJones in '
    "\u6771\u4eac today.\\r\\n\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1, said "
    'Zoe\\u0308 Ng \U0001f1eb\U0001f1f7 again.", "entities": ['
    '{"id": 1, "start_offset": 3, "end_offset": 18, "label": "PERSON"}, '
    '{"id": 2, "start_offset": 19, "end_offset": 25, "label": "EVENT"}, '
    '{"id": 3, "start_offset": 28, "end_offset": 29, "label": "ORG"}, '
    '{"id": 4, "start_offset": 29, "end_offset": 39, "label": "PERSON"}, '
    '{"id": 5, "start_offset": 41, "end_offset": 44, "label": "GPE"}, '
    '{"id": 6, "start_offset": 51, "end_offset": 61, "label": "NORP"}, '
    '{"id": 7, "start_offset": 68, "end_offset": 75, "label": "PERSON"}], "relations": ['
    '{"id": 1, "from_id": 6, "to_id": 7, "type": "SAID_BY"}, '
    '{"id": 2, "from_id": 3, "to_id": 4, "type": "SAID_BY"}]}\n'
)
DRAWN_TEXT = (
    "Dr. Am\u00e9lie Poulain \U0001f469\u200d\U0001f52c met Bob\tJones in \u6771\u4eac today.\n"
    "\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1, said Zoe\u0308 Ng \U0001f1eb\U0001f1f7 again."
)


def _at(phrase: str, label: str, after: int = 0) -> tuple[int, int, str]:
    start = DRAWN_TEXT.index(phrase, after)
    return start, start + len(phrase), label


# The spans as drawn (what the formats that keep spans as they are write) ...
DRAWN = [
    _at(" Am\u00e9lie Poulain", "PERSON"),
    _at("\U0001f469\u200d\U0001f52c ", "EVENT"),
    _at(" ", "ORG", DRAWN_TEXT.index("met") + 3),
    _at("Bob\tJones ", "PERSON"),
    _at(" \u6771\u4eac", "GPE"),
    _at("\n\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1", "NORP"),
    _at("Zoe\u0308 Ng", "PERSON"),
]
# ... and as the token-based formats write them: without the whitespace at their edges,
# the span of only a space left out.
TRIMMED = [
    _at("Am\u00e9lie Poulain", "PERSON"),
    _at("\U0001f469\u200d\U0001f52c", "EVENT"),
    _at("Bob\tJones", "PERSON"),
    _at("\u6771\u4eac", "GPE"),
    _at("\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1", "NORP"),
    _at("Zoe\u0308 Ng", "PERSON"),
]
TRIM_NOTICES = [
    "5 span(s) started or ended with whitespace (first: document drawn-1 span T1 "
    "' Am\u00e9lie Poulain'); exported without it, as tokens cover them",
    "1 span(s) held only whitespace (first: document drawn-1 span T3 ' '); "
    "left out, as no token covers them",
]


def consumer_project(tmp_path: Path) -> Project:
    """The tricky project (emoji, marks, CJK, tabs, CRLF, overlaps, relations) and the
    hand-written doccano document, all labelled by alice."""
    project = make_project(tmp_path / "project", tmp_path)
    source = tmp_path / "drawn.jsonl"
    source.write_text(DOCCANO_LINE, encoding="utf-8")
    import_sources(project, [source], "doccano", annotator="alice")
    assert project.get_text("drawn-1") == DRAWN_TEXT
    return project


def spans_from_tags(text: str, tokens: list[str], tags: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, label) of every B-/I- run, finding each token in ``text`` in turn."""
    spans: list[tuple[int, int, str]] = []
    position = 0
    for token, tag in zip(tokens, tags, strict=True):
        start = text.index(token, position)
        position = start + len(token)
        if tag.startswith("B-"):
            spans.append((start, position, tag[2:]))
        elif tag.startswith("I-"):
            assert spans and spans[-1][2] == tag[2:], (token, tag)
            spans[-1] = (spans[-1][0], position, tag[2:])
    return spans


def test_docbin_loads_in_spacy_with_every_span(tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    project = make_project(tmp_path / "a", tmp_path)
    out = tmp_path / "train.spacy"
    notices: list[str] = []
    summary = export_project(
        project, "spacy", out, annotator="alice", notify=notices.append, include_unlabelled=True
    )
    assert summary.documents == 2

    nlp = spacy.blank("en")
    docs = list(DocBin().from_disk(out).get_docs(nlp.vocab))
    assert [doc.user_data["id"] for doc in docs] == [DOC_ID, "plain"]
    doc = docs[0]
    assert doc.text == TEXT
    assert sorted((s.start_char, s.end_char, s.label_) for s in doc.spans["sc"]) == sorted(
        (s.start, s.end, s.label) for s in SPANS
    )
    assert all(s.text == TEXT[s.start_char : s.end_char] for s in doc.spans["sc"])
    ents = [(e.text, e.label_) for e in doc.ents]
    # Entities only, without overlaps: CLAIM/QUOTE are not entities; all entity spans fit.
    assert ents == [
        ("Alice", "PERSON"),
        ("👍🏽", "EVENT"),
        ("e\u0301", "NORP"),
        ("北京", "GPE"),
        ("Bob", "PERSON"),
        ("Ünïcödé", "ORG"),
    ]
    relations = doc.user_data["relations"]
    assert next((r["label"], list(r["head"]), list(r["tail"])) for r in relations) == (
        "ATTRIBUTED_TO",
        [16, 37],
        [0, 5],
    )
    # "e\u0301" inside "Cafe\u0301" and "said:\n\t“Cafe" fit no spaCy token: reported, kept.
    assert any("fit no spaCy token boundary" in notice for notice in notices)
    project.close()


def test_docbin_keeps_many_misfit_spans_of_a_long_article(tmp_path: Path) -> None:
    """Thousands of spans cutting words (several cuts in one token, spans at a token's
    trailing space, emoji and combining marks) on a long text: every one kept exactly."""
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    from annotator.core import DocumentAnnotation, Span
    from annotator.store import Project

    paragraph = "Putin’s envoy met Xi-Jinping in 北京 👍🏽 at the Cafe\u0301 today.  Then left.\n\n"
    text = paragraph * 300
    source = tmp_path / "long.jsonl"
    source.write_bytes(orjson.dumps({"id": "long", "text": text}) + b"\n")
    project = Project.create(tmp_path / "p")
    from annotator.services import import_sources

    import_sources(project, [source], "native")
    local = [(0, 3), (3, 5), (5, 7), (18, 20), (20, 25), (25, 29), (34, 36), (51, 54)]
    local += [(55, 62), (61, 63), (63, 69)]  # a trailing space; two spaces in a row
    spans = [
        Span.of(text, base + start, base + end, "PERSON", f"T{number}")
        for number, (base, (start, end)) in enumerate(
            ((base, pair) for base in range(0, len(text), len(paragraph)) for pair in local), 1
        )
    ]
    document = project.get_document("long")
    project.annotations("alice").save(
        DocumentAnnotation(doc_id="long", text_hash=document.hash, spans=spans)
    )
    notices: list[str] = []
    out = tmp_path / "long.spacy"
    export_project(project, "spacy", out, annotator="alice", notify=notices.append)
    project.close()
    (doc,) = DocBin().from_disk(out).get_docs(spacy.blank("en").vocab)
    assert doc.text == text
    # Spans keep their exact characters, less the spaces at their edges (trimmed for a
    # token-based format, and reported); spans of only spaces are left out.
    trimmed = []
    for span in spans:
        start, end = span.start, span.end
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            trimmed.append((start, end))
    assert [(s.start_char, s.end_char) for s in doc.spans["sc"]] == trimmed
    assert any("fit no spaCy token boundary" in notice for notice in notices)


def test_docbin_reports_overlapping_entities(tmp_path: Path) -> None:
    pytest.importorskip("spacy")
    from annotator.core import DocumentAnnotation, Span

    project = make_project(tmp_path / "a", tmp_path)
    text = project.get_text("plain")
    spans = [
        Span.of(text, 0, 9, "ORG", "T1"),  # "No labels"
        Span.of(text, 3, 9, "PERSON", "T2"),  # "labels", inside it
    ]
    project.annotations("alice").save(
        DocumentAnnotation(
            doc_id="plain", text_hash=project.get_document("plain").hash, spans=spans
        )
    )
    notices: list[str] = []
    export_project(project, "spacy", tmp_path / "x.spacy", annotator="alice", notify=notices.append)
    assert any("1 overlapping entity span(s) left out of doc.ents" in n for n in notices)
    project.close()


def test_bio_loads_with_datasets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    datasets = pytest.importorskip("datasets")

    project = make_project(tmp_path / "a", tmp_path)
    out = tmp_path / "bio.jsonl"
    notices: list[str] = []
    export_project(
        project, "bio", out, annotator="alice", notify=notices.append, include_unlabelled=True
    )
    dataset = datasets.load_dataset(
        "json", data_files=str(out), split="train", cache_dir=str(tmp_path / "cache")
    )
    assert dataset.num_rows == 2
    row = dataset[0]
    assert row["id"] == DOC_ID
    pairs = [(t, tag) for t, tag in zip(row["tokens"], row["ner_tags"], strict=True) if tag != "O"]
    # Entity labels only; "Cafe\u0301" is split so "e\u0301" (NORP) is tagged exactly.
    assert pairs == [
        ("Alice", "B-PERSON"),
        ("👍🏽", "B-EVENT"),
        ("e\u0301", "B-NORP"),
        ("北", "B-GPE"),
        ("京", "I-GPE"),
        ("Bob", "B-PERSON"),
        ("Ünïcödé", "B-ORG"),
    ]
    assert "".join(row["tokens"]) == "".join(TEXT.split())
    project.close()


def test_bio_with_chosen_labels_reports_overlaps(tmp_path: Path) -> None:
    project = make_project(tmp_path / "a", tmp_path)
    out = tmp_path / "bio.jsonl"
    notices: list[str] = []
    export_project(
        project, "bio", out, annotator="alice", labels=["QUOTE", "CLAIM"], notify=notices.append
    )
    row = orjson.loads(out.read_bytes().splitlines()[0])
    tags = [tag for tag in row["ner_tags"] if tag != "O"]
    # The quote is the longest; both claims overlap it and are reported, not tagged.
    assert tags[0] == "B-QUOTE" and set(tags[1:]) == {"I-QUOTE"}
    assert sum("overlaps a longer span" in notice for notice in notices) == 2
    project.close()


def test_prodigy_token_ranges_cover_exactly_each_span(tmp_path: Path) -> None:
    project = consumer_project(tmp_path)
    out = tmp_path / "prodigy.jsonl"
    notices: list[str] = []
    export_project(project, "prodigy", out, annotator="alice", notify=notices.append)
    tasks = {task["id"]: task for task in map(orjson.loads, out.read_bytes().splitlines())}
    for task in tasks.values():
        tokens = task["tokens"]
        for span in task["spans"]:
            assert task["text"][span["start"] : span["end"]] == span["text"]
            assert tokens[span["token_start"]]["start"] == span["start"], span
            assert tokens[span["token_end"]]["end"] == span["end"], span
            assert span["text"] == span["text"].strip(), span
    drawn = tasks["drawn-1"]
    assert [(s["start"], s["end"], s["label"]) for s in drawn["spans"]] == TRIMMED
    # The relation from the trimmed NORP span is kept; the one from the space is left out.
    assert [(r["head_span"]["start"], r["child_span"]["start"]) for r in drawn["relations"]] == [
        (TRIMMED[4][0], TRIMMED[5][0])
    ]
    # The tricky document's spans hold no whitespace at their edges: written as they are.
    assert sorted((s["start"], s["end"], s["label"]) for s in tasks[DOC_ID]["spans"]) == sorted(
        (s.start, s.end, s.label) for s in SPANS
    )
    assert set(TRIM_NOTICES) <= set(notices), notices
    assert any("relation R2 joins a span of only whitespace; left out" in n for n in notices)
    project.close()


def test_spacy_reads_the_docbin_and_debug_data_finds_no_whitespace_entity(
    tmp_path: Path,
) -> None:
    spacy = pytest.importorskip("spacy")
    from spacy.cli.init_config import init_config
    from spacy.tokens import DocBin

    project = consumer_project(tmp_path)
    notices: list[str] = []
    for name in ("train", "dev"):
        export_project(
            project, "spacy", tmp_path / f"{name}.spacy", annotator="alice", notify=notices.append
        )
    assert set(TRIM_NOTICES) <= set(notices), notices
    assert "1 relation(s) joining a span of only whitespace left out" in notices

    nlp = spacy.blank("en")
    docs = {
        doc.user_data["id"]: doc
        for doc in DocBin().from_disk(tmp_path / "train.spacy").get_docs(nlp.vocab)
    }
    drawn = docs["drawn-1"]
    assert drawn.text == DRAWN_TEXT
    assert [(s.start_char, s.end_char, s.label_) for s in drawn.spans["sc"]] == TRIMMED
    assert [(e.start_char, e.end_char, e.label_) for e in drawn.ents] == TRIMMED
    assert [
        (r["label"], list(r["head"]), list(r["tail"])) for r in drawn.user_data["relations"]
    ] == [("SAID_BY", list(TRIMMED[4][:2]), list(TRIMMED[5][:2]))]
    for doc in docs.values():
        for span in [*doc.ents, *doc.spans["sc"]]:
            # What spaCy's training refuses: an entity starting or ending on whitespace.
            assert not span[0].is_space and not span[-1].is_space, span
            assert span.text == span.text.strip(), span

    init_config(lang="en", pipeline=["ner"], optimize="efficiency").to_disk(tmp_path / "cfg")
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "spacy",
            "debug",
            "data",
            str(tmp_path / "cfg"),
            "--paths.train",
            str(tmp_path / "train.spacy"),
            "--paths.dev",
            str(tmp_path / "dev.spacy"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=300,
    )
    report = checked.stdout + checked.stderr
    assert "No entities consisting of or starting/ending with whitespace" in report, report
    assert "invalid whitespace entity spans" not in report
    project.close()


def test_datasets_loads_the_bio_export_and_its_tags_give_back_the_spans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    datasets = pytest.importorskip("datasets")

    project = consumer_project(tmp_path)
    out = tmp_path / "bio.jsonl"
    notices: list[str] = []
    export_project(project, "bio", out, annotator="alice", notify=notices.append)
    assert set(TRIM_NOTICES) <= set(notices), notices
    dataset = datasets.load_dataset(
        "json", data_files=str(out), split="train", cache_dir=str(tmp_path / "cache")
    )
    rows = {row["id"]: row for row in dataset}
    drawn = rows["drawn-1"]
    assert spans_from_tags(DRAWN_TEXT, drawn["tokens"], drawn["ner_tags"]) == TRIMMED
    assert all(token == token.strip() and token for token in drawn["tokens"])
    assert "".join(drawn["tokens"]) == "".join(DRAWN_TEXT.split())
    project.close()


def _label_studio_converter(config: Path) -> Any:
    converter_module = pytest.importorskip("label_studio_converter")
    return converter_module.Converter(config=str(config), project_dir=None)


def test_label_studio_converter_reads_the_export_as_json_min_and_conll(tmp_path: Path) -> None:
    project = consumer_project(tmp_path)
    out = tmp_path / "tasks.json"
    export_project(project, "label-studio", out, annotator="alice")
    converter = _label_studio_converter(tmp_path / "tasks.label-config.xml")

    converter.convert_to_json_min(str(out), str(tmp_path / "min"), is_dir=False)
    records = {
        record["doc_id"]: record
        for record in orjson.loads((tmp_path / "min" / "result.json").read_bytes())
    }
    # Every span exactly as ours, kept as drawn: Label Studio keeps whitespace at the edges.
    assert sorted(
        (r["start"], r["end"], r["text"], tuple(r["labels"])) for r in records["drawn-1"]["label"]
    ) == sorted((start, end, DRAWN_TEXT[start:end], (label,)) for start, end, label in DRAWN)
    assert records["drawn-1"]["text"] == DRAWN_TEXT
    assert sorted(
        (r["start"], r["end"], r["text"], tuple(r["labels"])) for r in records[DOC_ID]["label"]
    ) == sorted((s.start, s.end, s.text, (s.label,)) for s in SPANS)
    assert records[DOC_ID]["text"] == TEXT

    converter.convert_to_conll2003(str(out), str(tmp_path / "conll"), is_dir=False)
    blocks = (tmp_path / "conll" / "result.conll").read_text(encoding="utf-8").split("\n\n")
    rows = [line.split(" -X- _ ") for line in blocks[1].splitlines()]
    assert rows[0] == ["Dr.", "O"]  # the drawn document (the tricky one comes first)
    tokens, tags = [row[0] for row in rows], [row[1] for row in rows]
    # Tokens (Treebank's) cover no whitespace: the spans come back without it.
    assert spans_from_tags(DRAWN_TEXT, tokens, tags) == TRIMMED
    project.close()


def test_label_studio_import_reads_the_export_back(tmp_path: Path) -> None:
    project = consumer_project(tmp_path)
    out = tmp_path / "tasks.json"
    export_project(project, "label-studio", out, annotator="alice")
    tasks = orjson.loads(out.read_bytes())
    assert [task["id"] for task in tasks] == list(range(1, len(tasks) + 1))
    assert all(a["id"] == task["id"] for task in tasks for a in task.get("annotations", []))

    with Project.create(tmp_path / "again") as again:
        import_sources(again, [out], "label-studio", annotator="alice")
        labels = again.annotations("alice").get("drawn-1")
        assert labels is not None
        assert [(s.start, s.end, s.label) for s in labels.spans] == DRAWN
        # The task ids are places in the file, not the documents' identity.
        assert "label_studio_id" not in again.get_document("drawn-1").meta
    project.close()


def test_bio_fast_path_trims_and_counts_like_the_plain_writer(tmp_path: Path) -> None:
    """No span of only whitespace: the whole file goes the quick way, trimmed all the same."""
    source = tmp_path / "in.jsonl"
    text = "Alice met Bob\u00a0 in 東京."
    spans = [(0, 6, "PERSON"), (9, 15, "PERSON"), (17, 20, "GPE")]  # "Alice ", " Bob\xa0 ", " 東京"
    source.write_bytes(
        orjson.dumps(
            {
                "id": "d1",
                "text": text,
                "spans": [
                    {"start": s, "end": e, "label": label, "text": text[s:e]}
                    for s, e, label in spans
                ],
            }
        )
    )
    with Project.create(tmp_path / "p") as project:
        import_sources(project, [source], "native", "alice")
        notices: list[str] = []
        export_project(
            project, "bio", tmp_path / "bio.jsonl", annotator="alice", notify=notices.append
        )
    row = orjson.loads((tmp_path / "bio.jsonl").read_bytes())
    assert spans_from_tags(text, row["tokens"], row["ner_tags"]) == [
        (0, 5, "PERSON"),
        (10, 13, "PERSON"),
        (18, 20, "GPE"),
    ]
    assert notices == [
        "3 span(s) started or ended with whitespace (first: document d1 span 'Alice '); "
        "exported without it, as tokens cover them"
    ]
