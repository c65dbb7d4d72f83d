"""Document categories in review: kappa worked out by hand, disagreements, adjudication."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.core.models import DocumentAnnotation, DocumentCategory, Status
from annotator.core.schema import default_schema
from annotator.review.adjudication import Adjudicator
from annotator.review.agreement import compute_agreement, format_report
from annotator.review.categories import cohen_kappa
from annotator.review.disagreements import find_disagreements
from annotator.store import Project
from annotator.store.names import GOLD_ANNOTATOR
from tests.review.helpers import make_project

TOPIC = DocumentCategory(name="topic", choices=["politics", "sport"])
FLAGS = DocumentCategory(name="flags", choices=["claim", "opinion"], multiple=True)

# Four documents both finished, and a fifth bob has not finished (left out of kappa).
ALICE = {
    "d1": {"topic": ["politics"], "flags": ["claim"]},
    "d2": {"topic": ["politics"], "flags": ["claim", "opinion"]},
    "d3": {"topic": ["sport"]},
    "d4": {"flags": ["opinion"]},
    "d5": {"topic": ["sport"]},
}
BOB = {
    "d1": {"topic": ["politics"], "flags": ["claim"]},
    "d2": {"topic": ["sport"], "flags": ["claim"]},
    "d3": {"topic": ["sport"], "flags": ["opinion"]},
    "d4": {"flags": ["opinion"]},
    "d5": {"topic": ["politics"]},
}


def _layer(
    cats: dict[str, dict[str, list[str]]], unfinished: str = ""
) -> dict[str, DocumentAnnotation]:
    layer = {}
    for doc_id, chosen in cats.items():
        status: Status = "in_progress" if doc_id == unfinished else "done"
        layer[doc_id] = DocumentAnnotation(doc_id=doc_id, status=status, cats=chosen)
    return layer


@pytest.fixture
def categorised(tmp_path: Path) -> Path:
    path = make_project(
        tmp_path / "p",
        {doc_id: f"Article {doc_id} about something." for doc_id in ALICE},
        {"alice": _layer(ALICE), "bob": _layer(BOB, unfinished="d5")},
    )
    with Project.open(path) as project:
        project.set_schema(default_schema().model_copy(update={"categories": [TOPIC, FLAGS]}))
    return path


def test_cohen_kappa_by_hand() -> None:
    # 10 documents: 4 (a, a), 1 (a, b), 2 (b, a), 3 (b, b).
    # observed = 7/10; alice a 5, b 5; bob a 6, b 4;
    # expected = (5*6 + 5*4) / 100 = 0.5; kappa = (0.7 - 0.5) / 0.5 = 0.4
    kappa, observed = cohen_kappa({("a", "a"): 4, ("a", "b"): 1, ("b", "a"): 2, ("b", "b"): 3})
    assert observed == pytest.approx(0.7) and kappa == pytest.approx(0.4)
    # Always the same single value: chance agreement is 1, kappa undefined.
    assert cohen_kappa({("a", "a"): 3}) == (None, 1.0)
    assert cohen_kappa({}) == (None, None)


def test_kappa_per_category_over_documents_both_finished(categorised: Path) -> None:
    with Project.open(categorised) as project:
        report = compute_agreement(project, ["alice", "bob"])
    pair = report.pairs[0]
    topic, flags = pair.categories["topic"], pair.categories["flags"]
    # d5 is left out: bob has not finished it.
    assert topic.documents == flags.documents == 4
    # topic, d1-d4: (politics, politics), (politics, sport), (sport, sport), (none, none)
    # observed = 3/4; alice: politics 2, sport 1, none 1; bob: politics 1, sport 2, none 1
    # expected = (2*1 + 1*2 + 1*1) / 16 = 5/16
    # kappa = (3/4 - 5/16) / (1 - 5/16) = (7/16) / (11/16) = 7/11
    assert topic.kappa == pytest.approx(7 / 11)
    # flags "claim": (y,y) (y,y) (n,n) (n,n): observed 1, expected .5*.5 + .5*.5 = .5,
    # kappa = (1 - .5) / (1 - .5) = 1
    assert flags.option_kappa("claim") == pytest.approx(1.0)
    # flags "opinion": (n,n) (y,n) (n,y) (y,y): observed 2/4, expected .5, kappa 0
    assert flags.option_kappa("opinion") == pytest.approx(0.0)
    # pooled over both options, 8 decisions: 6 agree -> observed 3/4; alice yes 4/8, bob
    # yes 4/8 -> expected .5; kappa = (.75 - .5) / .5 = .5
    assert flags.kappa == pytest.approx(0.5)
    data = pair.to_dict()["categories"]
    assert data["topic"]["kappa"] == pytest.approx(7 / 11)
    assert data["topic"]["observed_agreement"] == pytest.approx(0.75)
    assert {"reference": "politics", "other": "sport", "documents": 1} in data["topic"]["table"]
    assert data["flags"]["options"]["opinion"] == {"kappa": 0.0, "observed_agreement": 0.5}
    text = format_report(report)
    assert "document categories" in text
    assert "topic                        4  0.636" in text
    assert "  opinion                       0.000" in text


def test_cli_agree_shows_categories_in_text_and_json(
    categorised: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["agree", str(categorised), "--annotators", "alice,bob"]) == 0
    assert "topic                        4  0.636" in capsys.readouterr().out
    assert main(["agree", str(categorised), "--annotators", "alice,bob", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["pairs"][0]["categories"]["flags"]["kappa"] == pytest.approx(0.5)


def test_agreement_without_categories_keeps_its_json(tmp_path: Path) -> None:
    path = make_project(
        tmp_path / "p", {"d1": "Text."}, {"a": _layer({"d1": {}}), "b": _layer({"d1": {}})}
    )
    with Project.open(path) as project:
        report = compute_agreement(project)
    assert "categories" not in report.to_dict()["pairs"][0]
    assert "document categories" not in format_report(report)


def test_differing_categories_are_disagreements() -> None:
    alice = DocumentAnnotation(doc_id="d", cats={"topic": ["politics"], "flags": ["claim"]})
    bob = DocumentAnnotation(doc_id="d", cats={"topic": ["sport"], "flags": ["claim"]})
    carol = DocumentAnnotation(doc_id="d", cats={"flags": ["claim"]})
    found = find_disagreements("d", "Text.", {"alice": alice, "bob": bob, "carol": carol})
    assert len(found) == 1
    item = found[0]
    assert item.kind == "different_category" and item.is_category
    assert item.missing == ("carol",)
    assert item.describe() == (
        "different category: topic: politics (alice) vs topic: sport (bob) vs nothing (carol)"
    )
    assert find_disagreements("d", "Text.", {"alice": alice, "bob": alice.model_copy()}) == []


def test_adjudication_settles_categories_into_gold(categorised: Path) -> None:
    with Project.open(categorised) as project:
        review = Adjudicator(project, "carol", ["alice", "bob"])
        try:
            # d1: both chose the same: accepting the agreed labels takes them.
            review.accept_agreed("d1")
            assert review.gold("d1").cats == {"topic": ["politics"], "flags": ["claim"]}
            # d2: topic and flags differ.
            items = {item.key: item for item in review.disagreements("d2")}
            assert set(items) == {
                "category:topic:politics;sport",
                "category:flags:claim;claim,opinion",
            }
            topic = items["category:topic:politics;sport"]
            sport = [v.annotators for v in topic.versions].index(("bob",))
            edit = review.pick(topic, sport)
            assert review.gold("d2").cats == {"topic": ["sport"]}
            settled = review.settlement(topic)
            assert settled is not None and settled["from"] == ["bob"]
            review.reject(items["category:flags:claim;claim,opinion"])
            assert review.gold("d2").cats == {"topic": ["sport"]}
            review.undo(edit)
            assert review.gold("d2").cats == {}
            review.redo(edit)
        finally:
            review.close()
    with Project.open(categorised) as project:
        gold = project.annotations(GOLD_ANNOTATOR, writable=False).get("d2")
        assert gold is not None and gold.cats == {"topic": ["sport"]}
