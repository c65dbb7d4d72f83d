"""Document categories through the formats: doccano cats, Prodigy textcat, Label Studio
Choices, spaCy's doc.cats (read back by spaCy itself), native; formats that cannot carry
them say so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.core import AnnotatorError
from annotator.core.models import DocumentCategory
from annotator.core.schema import default_schema
from annotator.services import export_project, import_sources
from annotator.store import Project
from tests.formats.test_real_files import write_jsonl
from tests.store.helpers import snapshot

TEXT = "Putin 👍🏽 met Xi in 北京.\nMarkets fell."


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Project]:
    project = Project.create(tmp_path / "project")
    yield project
    project.close()


def cats_of(project: Project, doc_id: str, who: str = "imported") -> dict[str, list[str]]:
    annotation = project.annotations(who, writable=False).get(doc_id)
    assert annotation is not None, doc_id
    return annotation.cats


def lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def _doccano_classified(tmp_path: Path) -> Path:
    # A doccano text-classification export (label lists names), beside a sequence
    # labelling one with "cats", and names of the form category:choice.
    return write_jsonl(
        tmp_path / "classified.jsonl",
        [
            {"id": 1, "text": TEXT, "label": ["politics", "topic:diplomacy"]},
            {"id": 2, "text": "Markets fell.", "entities": [[0, 7, "ORG"]], "cats": ["economy"]},
            {"id": 3, "text": "Nothing chosen.", "cats": []},
        ],
    )


def test_doccano_cats_import_into_categories_and_export_back(
    tmp_path: Path, fresh: Project
) -> None:
    notices: list[str] = []
    import_sources(fresh, [_doccano_classified(tmp_path)], "auto", notify=notices.append)
    assert cats_of(fresh, "1") == {"cats": ["politics"], "topic": ["diplomacy"]}
    assert cats_of(fresh, "2") == {"cats": ["economy"]}
    assert fresh.annotations("imported").get("3") is None
    # New categories join the schema, as unknown span labels do; a category with one
    # choice a document is single-choice.
    assert [(c.name, c.choices, c.multiple) for c in fresh.schema.categories] == [
        ("cats", ["politics", "economy"], False),
        ("topic", ["diplomacy"], False),
    ]
    assert (
        "document categories not in the schema were added to it: "
        "cats (politics, economy); topic (diplomacy)"
    ) in notices
    assert "cats" not in fresh.get_document("1").meta

    out = tmp_path / "out.jsonl"
    export_project(fresh, "doccano", out, annotator="imported")
    exported = {item["id"]: item for item in lines(out)}
    assert exported["1"]["cats"] == ["politics", "topic:diplomacy"]
    assert exported["2"]["cats"] == ["economy"]
    assert exported["2"]["label"] == [[0, 7, "ORG"]]
    # Read back by our own reader: the same categories.
    again = Project.create(tmp_path / "again")
    try:
        import_sources(again, [out], "doccano")
        assert cats_of(again, "1") == {"cats": ["politics"], "topic": ["diplomacy"]}
        assert cats_of(again, "2") == {"cats": ["economy"]}
    finally:
        again.close()


def test_a_doccano_file_with_cats_reaches_spacy_doc_cats(tmp_path: Path, fresh: Project) -> None:
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    import_sources(fresh, [_doccano_classified(tmp_path)], "doccano", annotator="alice")
    out = tmp_path / "train.spacy"
    export_project(fresh, "spacy", out, annotator="alice")
    docs = {
        doc.user_data["id"]: doc
        for doc in DocBin().from_disk(out).get_docs(spacy.blank("en").vocab)
    }
    # Every choice of each category the document has: 1.0 chosen, 0.0 not.
    assert docs["1"].cats == {"politics": 1.0, "economy": 0.0, "topic:diplomacy": 1.0}
    assert docs["2"].cats == {"politics": 0.0, "economy": 1.0}
    assert [(e.text, e.label_) for e in docs["2"].ents] == [("Markets", "ORG")]


def test_many_doccano_records_with_cats_keep_them_past_the_batch_path(
    tmp_path: Path, fresh: Project
) -> None:
    # More records than a checked batch holds (512): spans and cats on every one.
    items = [
        {"id": n, "text": f"Merkel spoke {n}.", "label": [[0, 6, "PERSON"]], "cats": ["topic:x"]}
        for n in range(600)
    ]
    import_sources(fresh, [write_jsonl(tmp_path / "many.jsonl", items)], "doccano")
    store = fresh.annotations("imported", writable=False)
    for n in (0, 300, 599):
        annotation = store.get(str(n))
        assert annotation is not None
        assert annotation.cats == {"topic": ["x"]} and len(annotation.spans) == 1


def test_several_choices_in_a_single_choice_category_are_refused(
    tmp_path: Path, fresh: Project
) -> None:
    topic = DocumentCategory(name="topic", choices=["politics", "sport"])
    fresh.set_schema(default_schema().model_copy(update={"categories": [topic]}))
    before = snapshot(fresh.path)
    path = write_jsonl(
        tmp_path / "two.jsonl",
        [{"id": 1, "text": "A match.", "cats": ["topic:politics", "topic:sport"]}],
    )
    with pytest.raises(AnnotatorError) as error:
        import_sources(fresh, [path], "doccano")
    assert str(error.value) == (
        f"{path}:1: category 'topic' takes one choice, not 2 (politics, sport)"
    )
    assert snapshot(fresh.path) == before


def test_prodigy_choice_and_binary_textcat_tasks(tmp_path: Path, fresh: Project) -> None:
    path = write_jsonl(
        tmp_path / "prodigy.jsonl",
        [
            # textcat.manual with numbered options: the ids name the options' texts.
            {
                "text": "Putin met Xi.",
                "options": [{"id": 0, "text": "topic:politics"}, {"id": 1, "text": "SPORT"}],
                "accept": [0],
                "answer": "accept",
                "_input_hash": 11,
                "_annotator_id": "news-alice",
            },
            # textcat.teach: one binary task per label, the same example.
            {"text": "Markets fell.", "label": "ECONOMY", "answer": "accept", "_input_hash": 12},
            {"text": "Markets fell.", "label": "FINANCE", "answer": "accept", "_input_hash": 12},
            {"text": "Markets fell.", "label": "SPORT", "answer": "reject", "_input_hash": 12},
        ],
    )
    import_sources(fresh, [path], "prodigy")
    ids = {
        fresh.get_document(doc_id).meta["_input_hash"]: doc_id for doc_id in fresh.document_ids()
    }
    assert cats_of(fresh, ids[11], "news-alice") == {"topic": ["politics"]}
    # The rejected label is answered "no" in a category of its own (not dropped).
    assert cats_of(fresh, ids[12], "imported") == {
        "cats": ["ECONOMY", "FINANCE"],
        "SPORT": ["no"],
    }
    # Both binary answers on one document: the new category takes several.
    assert fresh.schema.category("cats").multiple  # type: ignore[union-attr]
    assert fresh.schema.category("SPORT").choices == ["no"]  # type: ignore[union-attr]

    out = tmp_path / "out.jsonl"
    export_project(fresh, "prodigy", out, annotator="imported")
    (task,) = [task for task in lines(out) if task["_input_hash"] == 12]
    assert task["accept"] == ["ECONOMY", "FINANCE", "SPORT:no"]
    assert task["options"] == [
        {"id": "ECONOMY", "text": "ECONOMY"},
        {"id": "FINANCE", "text": "FINANCE"},
        {"id": "SPORT:no", "text": "SPORT:no"},
    ]
    again = Project.create(tmp_path / "again")
    try:
        import_sources(again, [out], "prodigy")
        assert cats_of(again, task["id"], "imported") == {
            "cats": ["ECONOMY", "FINANCE"],
            "SPORT": ["no"],
        }
    finally:
        again.close()


def test_prodigy_binary_reject_alone_is_a_no(tmp_path: Path, fresh: Project) -> None:
    """textcat.teach's answers as Prodigy documents them: {"text", "label", "answer"}; a
    document whose only answer is "reject" keeps it, one on a category:choice label can't."""
    path = write_jsonl(
        tmp_path / "teach.jsonl",
        [
            {"text": "Rain again.", "label": "CLAIM", "answer": "reject", "_input_hash": 1},
            {"text": "Vote today.", "label": "topic:politics", "answer": "reject"},
            {"text": "Kim ran.", "label": "CLAIM", "answer": "ignore", "_input_hash": 3},
            {"text": "Kim won.", "label": "CLAIM", "answer": "accept", "_input_hash": 4},
        ],
    )
    notices: list[str] = []
    summary = import_sources(fresh, [path], "prodigy", notify=notices.append)
    assert summary.added == 4
    ids = {fresh.get_text(doc_id): doc_id for doc_id in fresh.document_ids()}
    rejected = fresh.annotations("imported").get(ids["Rain again."])
    assert rejected is not None
    assert rejected.cats == {"CLAIM": ["no"]} and rejected.status == "done"
    assert fresh.annotations("imported").get(ids["Vote today."]) is None
    assert fresh.annotations("imported").get(ids["Kim ran."]) is None
    assert cats_of(fresh, ids["Kim won."], "imported") == {"cats": ["CLAIM"]}
    told = " ".join(notices)
    assert "task answered 'reject'" in told and "task answered 'ignore'" in told


def _label_studio_tasks(tmp_path: Path) -> Path:
    tasks = [
        {
            "id": 7,
            "data": {"text": TEXT},
            "annotations": [
                {
                    "completed_by": {"email": "alice@example.org"},
                    "result": [
                        {
                            "id": "r1",
                            "from_name": "label",
                            "to_name": "text",
                            "type": "labels",
                            "value": {"start": 0, "end": 5, "text": "Putin", "labels": ["PERSON"]},
                        },
                        {
                            "id": "c1",
                            "from_name": "topic",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": ["politics"]},
                        },
                        {
                            "id": "c2",
                            "from_name": "flags",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": ["claim", "opinion"]},
                        },
                    ],
                }
            ],
        }
    ]
    path = tmp_path / "ls.json"
    path.write_bytes(orjson.dumps(tasks))
    return path


def test_label_studio_choices_import_and_export_with_their_config(
    tmp_path: Path, fresh: Project
) -> None:
    import_sources(fresh, [_label_studio_tasks(tmp_path)], "label-studio")
    assert cats_of(fresh, "7", "alice") == {"topic": ["politics"], "flags": ["claim", "opinion"]}
    assert [(c.name, c.multiple) for c in fresh.schema.categories] == [
        ("topic", False),
        ("flags", True),
    ]
    out = tmp_path / "tasks.json"
    export_project(fresh, "label-studio", out, annotator="alice")
    (task,) = orjson.loads(out.read_bytes())
    choices = [r for r in task["annotations"][0]["result"] if r["type"] == "choices"]
    assert [(r["from_name"], r["value"]["choices"]) for r in choices] == [
        ("topic", ["politics"]),
        ("flags", ["claim", "opinion"]),
    ]
    config = (tmp_path / "tasks.label-config.xml").read_text(encoding="utf-8")
    assert (
        '  <Choices name="topic" toName="text" choice="single" showInline="true">\n'
        '    <Choice value="politics"/>\n'
        "  </Choices>\n"
    ) in config
    assert '<Choices name="flags" toName="text" choice="multiple"' in config

    # Label Studio's own converter reads the choices with the config we wrote.
    converter_module = pytest.importorskip("label_studio_converter")
    converter = converter_module.Converter(
        config=str(tmp_path / "tasks.label-config.xml"), project_dir=None
    )
    converter.convert_to_json_min(str(out), str(tmp_path / "min"), is_dir=False)
    (record,) = orjson.loads((tmp_path / "min" / "result.json").read_bytes())
    assert record["topic"] == "politics"
    assert record["flags"] == {"choices": ["claim", "opinion"]}

    again = Project.create(tmp_path / "again")
    try:
        import_sources(again, [out], "label-studio")
        # Our export names no completed_by: the labels come back to "imported".
        assert cats_of(again, "7") == {
            "topic": ["politics"],
            "flags": ["claim", "opinion"],
        }
    finally:
        again.close()


def test_native_carries_cats_and_brat_and_bio_say_they_cannot(
    tmp_path: Path, fresh: Project
) -> None:
    import_sources(fresh, [_label_studio_tasks(tmp_path)], "label-studio")
    out = tmp_path / "native.jsonl"
    export_project(fresh, "native", out, annotator="alice")
    (record,) = lines(out)
    assert record["cats"] == {"topic": ["politics"], "flags": ["claim", "opinion"]}
    again = Project.create(tmp_path / "again")
    try:
        import_sources(again, [out], "native")
        assert cats_of(again, "7", "alice") == record["cats"]
    finally:
        again.close()
    for fmt, target in (("brat", tmp_path / "brat"), ("bio", tmp_path / "bio.jsonl")):
        notices: list[str] = []
        summary = export_project(fresh, fmt, target, annotator="alice", notify=notices.append)
        assert summary.not_carried["document categories"] == 3
        assert any("3 document categories" in line for line in summary.left_out_lines())


def test_a_document_with_only_cats_is_not_unlabelled(tmp_path: Path, fresh: Project) -> None:
    path = write_jsonl(tmp_path / "only.jsonl", [{"id": 1, "text": "A text.", "cats": ["x"]}])
    import_sources(fresh, [path], "doccano", annotator="alice")
    out = tmp_path / "native.jsonl"
    export_project(fresh, "native", out, annotator="alice", include_unlabelled=False)
    assert [record["cats"] for record in lines(out)] == [{"cats": ["x"]}]


def test_malformed_cats_are_refused_with_file_and_line(tmp_path: Path, fresh: Project) -> None:
    path = write_jsonl(
        tmp_path / "bad.jsonl",
        [{"text": "Fine.", "spans": []}, {"text": "Bad.", "spans": [], "cats": {"topic": "x"}}],
    )
    with pytest.raises(AnnotatorError, match=r"bad\.jsonl:2.*category 'topic'"):
        import_sources(fresh, [path], "native")
