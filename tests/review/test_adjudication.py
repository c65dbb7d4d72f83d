"""Building the gold layer: accept agreed, pick / edit / reject, undo, provenance, export."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotator.cli import main
from annotator.core.errors import AnnotatorError, LockedError
from annotator.review.adjudication import Adjudicator
from annotator.store import GOLD_ANNOTATOR, Project
from tests.review.helpers import PAIR_TEXT, annotation, disagreeing_pair, make_project

TEXT = PAIR_TEXT


@pytest.fixture
def project_path(tmp_path: Path) -> Path:
    alice, bob = disagreeing_pair()
    return make_project(tmp_path / "p", {"d": TEXT}, {"alice": {"d": alice}, "bob": {"d": bob}})


def spans_of(adjudicator: Adjudicator) -> set[tuple[int, int, str]]:
    return {(s.start, s.end, s.label) for s in adjudicator.gold("d").spans}


def test_accept_agreed_then_settle_everything(project_path: Path) -> None:
    with Project.open(project_path) as project:
        review = Adjudicator(project, "carol")
        edit = review.accept_agreed("d")
        assert spans_of(review) == {(0, 5, "PERSON"), (37, 55, "QUOTE"), (58, 63, "SOURCE")}
        gold = review.gold("d")
        assert len(gold.relations) == 1 and gold.relations[0].label == "ATTRIBUTED_TO"
        assert gold.spans[0].attrs == {"annotators": ["alice", "bob"]}
        assert gold.provenance["agreed"]["by"] == "carol"
        assert gold.status == "in_progress"
        assert "3 agreed spans and 1 relations" in edit.description

        boundaries, label = review.remaining("d")
        assert (boundaries.kind, label.kind) == ("different_boundaries", "different_label")
        review.pick(boundaries, [v.annotators for v in boundaries.versions].index(("alice",)))
        review.edit(label, 24, 31, "GPE")  # the reviewer's own call: alice's version
        assert review.remaining("d") == []
        gold = review.gold("d")
        assert gold.status == "done"
        assert (10, 20, "PERSON") in spans_of(review) and (24, 31, "GPE") in spans_of(review)
        settled = gold.provenance["settled"]
        assert settled[boundaries.key]["decision"] == "pick"
        assert settled[boundaries.key]["from"] == ["alice"]
        assert settled[label.key] == settled[label.key] | {"decision": "edit", "by": "carol"}
        assert settled[label.key]["from"] == ["alice"]  # the edit equals alice's version
        assert gold.provenance["reviewer"] == "carol"
        assert gold.provenance["annotators"] == ["alice", "bob"]
        gold.check_against(TEXT)
        review.close()

    # Saved: a new session (and a fresh project) sees the same gold labels.
    with Project.open(project_path) as project:
        stored = project.annotations(GOLD_ANNOTATOR, writable=False).get("d")
        assert stored is not None and stored.status == "done"
        assert {(s.start, s.end, s.label) for s in stored.spans} == {
            (0, 5, "PERSON"),
            (10, 20, "PERSON"),
            (24, 31, "GPE"),
            (37, 55, "QUOTE"),
            (58, 63, "SOURCE"),
        }


def test_reject_and_repick_replace_the_earlier_decision(project_path: Path) -> None:
    with Project.open(project_path) as project:
        review = Adjudicator(project, "carol")
        label = next(d for d in review.disagreements("d") if d.kind == "different_label")
        review.pick(label, 0)
        assert (24, 31, "GPE") in spans_of(review)
        review.pick(label, 1)
        assert (24, 31, "LOC") in spans_of(review) and (24, 31, "GPE") not in spans_of(review)
        review.reject(label)
        assert not {(24, 31, "LOC"), (24, 31, "GPE")} & spans_of(review)
        assert review.settlement(label)["decision"] == "reject"  # type: ignore[index]
        with pytest.raises(AnnotatorError, match="outside the text"):
            review.edit(label, 5, 500, "GPE")
        with pytest.raises(AnnotatorError, match="no label"):
            review.edit(label, 24, 31, "CITY")


def test_undo_and_redo_restore_exactly(project_path: Path) -> None:
    with Project.open(project_path) as project:
        review = Adjudicator(project, "carol")
        first = review.accept_agreed("d")
        item = review.remaining("d")[0]
        second = review.pick(item, 0)
        after_pick = review.gold("d").model_dump()
        review.undo(second)
        assert review.is_settled(item) is False
        assert review.gold("d").model_dump() == first.after.model_dump()
        review.undo(first)
        assert review.gold("d").spans == [] and not review.agreed_accepted("d")
        review.redo(first)
        review.redo(second)
        assert review.gold("d").model_dump() == after_pick
    with Project.open(project_path) as project:
        stored = project.annotations(GOLD_ANNOTATOR, writable=False).get("d")
        assert stored is not None and stored.model_dump() == after_pick


def test_relation_disagreement_pick_adds_missing_ends(tmp_path: Path) -> None:
    text = '"We remain together," Putin said, Xi agreed.'
    alice = annotation(
        "d", text, [("QUOTE", "We remain together"), ("SOURCE", "Putin")], [("ATTRIBUTED_TO", 0, 1)]
    )
    bob = annotation(
        "d", text, [("QUOTE", "We remain together"), ("SOURCE", "Xi")], [("ATTRIBUTED_TO", 0, 1)]
    )
    path = make_project(tmp_path / "p", {"d": text}, {"alice": {"d": alice}, "bob": {"d": bob}})
    with Project.open(path) as project:
        review = Adjudicator(project, "carol")
        review.accept_agreed("d")
        relation = next(d for d in review.remaining("d") if d.is_relation)
        putin = [v.annotators for v in relation.versions].index(("alice",))
        review.pick(relation, putin)
        gold = review.gold("d")
        (rel,) = gold.relations
        assert (gold.span(rel.head).text, gold.span(rel.tail).text) == (  # type: ignore[union-attr]
            "We remain together",
            "Putin",
        )
        assert gold.span(rel.tail).attrs == {"annotators": ["alice"]}  # type: ignore[union-attr]
        review.reject(relation)
        assert review.gold("d").relations == []
        with pytest.raises(AnnotatorError, match="picking a version"):
            review.edit(relation, 0, 3, "QUOTE")


def test_accept_all_agreed_and_export_gold(project_path: Path, tmp_path: Path) -> None:
    with Project.open(project_path) as project:
        review = Adjudicator(project, "carol")
        edits = review.accept_all_agreed()
        assert [edit.doc_id for edit in edits] == ["d"]
        assert review.accept_all_agreed() == []  # already accepted
        for item in review.remaining("d"):
            review.pick(item, 0)
        review.close()
    out = tmp_path / "gold.jsonl"
    assert main(["export", str(project_path), "--format", "native", "--gold", "-o", str(out)]) == 0
    (record,) = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert record["annotator"] == GOLD_ANNOTATOR
    assert record["provenance"]["reviewer"] == "carol"
    for span in record["spans"]:
        assert TEXT[span["start"] : span["end"]] == span["text"]
    assert len(record["spans"]) == 5 and len(record["relations"]) == 1


def test_gold_layer_is_locked_and_reviewer_named(project_path: Path) -> None:
    with Project.open(project_path) as project:
        Adjudicator(project, "carol")
        with Project.open(project_path) as second, pytest.raises(LockedError):
            Adjudicator(second, "dave")
        with pytest.raises(AnnotatorError):
            Adjudicator(project, GOLD_ANNOTATOR)
