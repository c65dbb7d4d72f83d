"""Agreement figures against examples computed by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from annotator.cli import main
from annotator.core.errors import AnnotatorError
from annotator.review.agreement import (
    ALL,
    KappaCounts,
    Score,
    compare_documents,
    compute_agreement,
    format_report,
)
from annotator.store import Project
from tests.review.helpers import annotation, make_project

# Tokens: Angela Merkel met Emmanuel Macron in Paris on Monday .  (10 tokens)
MEETING = "Angela Merkel met Emmanuel Macron in Paris on Monday."
ALICE_MEETING = annotation(
    "meeting",
    MEETING,
    [("PERSON", "Angela Merkel"), ("PERSON", "Emmanuel Macron"), ("GPE", "Paris")],
)
BOB_MEETING = annotation(
    "meeting",
    MEETING,
    [("PERSON", "Angela Merkel"), ("PERSON", "Macron"), ("LOC", "Paris"), ("DATE", "Monday")],
)

QUOTE = 'Putin said: "We remain together." Xi agreed.'
ALICE_QUOTE = annotation(
    "quote",
    QUOTE,
    [("SOURCE", "Putin"), ("QUOTE", "We remain together")],
    [("ATTRIBUTED_TO", 1, 0)],
)
BOB_QUOTE = annotation(
    "quote",
    QUOTE,
    [("SOURCE", "Putin"), ("QUOTE", "We remain together."), ("SOURCE", "Xi")],
    [("ATTRIBUTED_TO", 1, 0), ("ATTRIBUTED_TO", 1, 2)],
)


def test_exact_span_scores_per_label_and_overall() -> None:
    counts = compare_documents(MEETING, ALICE_MEETING, BOB_MEETING)
    person = counts.spans_exact["PERSON"]
    # Both have "Angela Merkel"; alice's "Emmanuel Macron" and bob's "Macron" differ.
    assert (person.precision, person.recall, person.f1) == (0.5, 0.5, 0.5)
    gpe = counts.spans_exact["GPE"]
    assert (gpe.precision, gpe.recall, gpe.f1) == (None, 0.0, 0.0)
    assert counts.spans_exact["DATE"].f1 == 0.0
    total = Score()
    for score in counts.spans_exact.values():
        total.add(score)
    # 1 common span; bob has 4, alice 3: P = 1/4, R = 1/3, F1 = 2PR/(P+R) = 2/7.
    assert total.precision == 0.25
    assert total.recall == pytest.approx(1 / 3)
    assert total.f1 == pytest.approx(2 / 7)


def test_overlap_matching_needs_the_same_label() -> None:
    counts = compare_documents(MEETING, ALICE_MEETING, BOB_MEETING)
    assert counts.spans_overlap["PERSON"].f1 == 1.0  # "Macron" overlaps "Emmanuel Macron"
    assert counts.spans_overlap["GPE"].f1 == 0.0  # Paris as LOC does not match Paris as GPE
    total = Score()
    for score in counts.spans_overlap.values():
        total.add(score)
    # bob: 2 of 4 spans match something of alice's; alice: 2 of 3 are matched.
    assert (total.precision, total.recall) == (0.5, pytest.approx(2 / 3))
    assert total.f1 == pytest.approx(4 / 7)


def test_token_kappa_per_label() -> None:
    counts = compare_documents(MEETING, ALICE_MEETING, BOB_MEETING)
    person = counts.kappa["PERSON"]
    # alice: Angela Merkel Emmanuel Macron; bob: Angela Merkel Macron.
    assert (person.both, person.only_reference, person.only_other, person.neither) == (3, 1, 0, 6)
    # po = 0.9; pe = 0.4*0.3 + 0.6*0.7 = 0.54; kappa = 0.36 / 0.46
    assert person.kappa == pytest.approx(0.36 / 0.46)
    # alice marks one token GPE, bob none: po = 0.9 = pe, kappa = 0.
    assert counts.kappa["GPE"].kappa == pytest.approx(0.0)


def test_kappa_undefined_when_chance_agreement_is_total() -> None:
    assert KappaCounts(0, 0, 0, 10).kappa is None
    assert KappaCounts().kappa is None
    assert KappaCounts(5, 0, 0, 5).kappa == 1.0


def test_relations_match_on_label_and_both_ends() -> None:
    counts = compare_documents(QUOTE, ALICE_QUOTE, BOB_QUOTE)
    exact = counts.relations_exact
    # bob's quote includes the full stop, so no relation matches exactly: P = 0/2, R = 0/1.
    assert (exact.precision, exact.recall, exact.f1) == (0.0, 0.0, 0.0)
    lenient = counts.relations_overlap
    # quote->Putin matches under overlap; quote->Xi does not: P = 1/2, R = 1/1, F1 = 2/3.
    assert (lenient.precision, lenient.recall) == (0.5, 1.0)
    assert lenient.f1 == pytest.approx(2 / 3)


def test_unicode_offsets_and_tokens() -> None:
    text = "Café\u0301 👍🏽 习近平 met\tKim."
    alice = annotation("u", text, [("PERSON", "习近平"), ("PERSON", "Kim")])
    bob = annotation("u", text, [("PERSON", "近平"), ("PERSON", "Kim")])
    counts = compare_documents(text, alice, bob)
    person = counts.kappa["PERSON"]
    # Tokens: Café́ 👍🏽 习 近 平 met Kim .  (8): alice 习 近 平 Kim, bob 近 平 Kim.
    assert (person.both, person.only_reference, person.only_other, person.neither) == (3, 1, 0, 4)
    assert counts.spans_exact["PERSON"].f1 == 0.5
    assert counts.spans_overlap["PERSON"].f1 == 1.0


@pytest.fixture
def three_way(tmp_path: Path) -> Path:
    other = "Nothing to see here."
    return make_project(
        tmp_path / "p",
        {"meeting": MEETING, "quote": QUOTE, "other": other},
        {
            "alice": {"meeting": ALICE_MEETING, "quote": ALICE_QUOTE},
            "bob": {
                "meeting": BOB_MEETING,
                "quote": BOB_QUOTE,
                "other": annotation("other", other, [], status="skipped"),
            },
            # carol copies alice on the meeting and never opened the quote
            "carol": {"meeting": ALICE_MEETING.model_copy(deep=True)},
        },
    )


def test_project_pairs_and_documents_both_labelled(three_way: Path) -> None:
    with Project.open(three_way) as project:
        report = compute_agreement(project)
    assert report.annotators == ["alice", "bob", "carol"]
    pairs = {(p.reference, p.other): p for p in report.pairs}
    assert set(pairs) == {("alice", "bob"), ("alice", "carol"), ("bob", "carol")}
    assert pairs["alice", "bob"].documents == 2  # bob skipped "other": not labelled
    assert pairs["alice", "carol"].documents == 1
    assert pairs["alice", "carol"].exact.f1 == 1.0
    assert pairs["alice", "carol"].token_kappa.kappa == 1.0
    # alice/bob over both documents: spans 1+1 common; bob 4+3, alice 3+2.
    exact = pairs["alice", "bob"].spans_exact[ALL]
    assert (exact.matched_other, exact.other, exact.reference) == (2, 7, 5)
    assert report.documents == 2
    summary = report.summary()
    assert summary["span_f1_exact"] == pytest.approx(
        (pairs["alice", "bob"].exact.f1 + 1.0 + pairs["bob", "carol"].exact.f1) / 3
    )
    assert "alice / bob" in format_report(report)


def test_statuses_and_chosen_annotators(three_way: Path) -> None:
    with Project.open(three_way) as project:
        report = compute_agreement(project, ["bob", "carol"], statuses=["done"])
        assert [(p.reference, p.other, p.documents) for p in report.pairs] == [("bob", "carol", 1)]
        with pytest.raises(AnnotatorError, match="no labels by dave"):
            compute_agreement(project, ["alice", "dave"])
        with pytest.raises(AnnotatorError, match="at least two"):
            compute_agreement(project, ["alice"])
        with pytest.raises(AnnotatorError, match="unknown status"):
            compute_agreement(project, statuses=["finished"])


def test_labels_made_on_another_text_are_left_out(tmp_path: Path) -> None:
    path = make_project(
        tmp_path / "p",
        {"meeting": MEETING},
        {"alice": {"meeting": ALICE_MEETING}, "bob": {"meeting": BOB_MEETING}},
    )
    # A journal line written against an earlier text (the store refuses to save one).
    stale = ALICE_MEETING.model_copy(deep=True)
    stale.text_hash = "0123456789abcdef"
    with open(path / "annotations" / "alice.jsonl", "ab") as journal:
        journal.write(orjson.dumps(stale.model_dump(mode="json")) + b"\n")
    with Project.open(path) as project:
        report = compute_agreement(project)
    assert report.documents == 0
    assert report.pairs[0].documents == 0
    assert report.problems == ["meeting: alice's labels were made on a different text; left out"]


def test_cli_agree_table_and_json(three_way: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agree", str(three_way), "--annotators", "alice,bob"]) == 0
    table = capsys.readouterr().out
    assert "alice / bob" in table and "PERSON" in table
    assert main(["agree", str(three_way), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["annotators"] == ["alice", "bob", "carol"]
    first = data["pairs"][0]
    assert first["spans"]["exact"]["PERSON"]["f1"] == 0.5
    assert first["token_kappa"]["*"]["kappa"] is not None
    assert main(["agree", str(three_way), "--annotators", "alice,nobody"]) == 1
    assert "no labels by nobody" in capsys.readouterr().err


# A quote split around its cue, as PARC and Citron annotate it (core/quotes.py).
SPLIT = 'Putin said: "We remain," he added, "together." Xi agreed.'
ALICE_SPLIT = annotation(
    "split",
    SPLIT,
    [
        ("QUOTE", "We remain"),
        ("QUOTE", "together"),
        ("CUE", "said"),
        ("SOURCE", "Putin"),
        ("SOURCE", "he"),
    ],
    [("CUE", 0, 2), ("ATTRIBUTED_TO", 0, 3), ("CONTINUES", 1, 0), ("COREF", 4, 3)],
)
BOB_SPLIT = annotation(
    "split",
    SPLIT,
    [("QUOTE", "We remain"), ("QUOTE", "together"), ("CUE", "added"), ("SOURCE", "Putin")],
    [("CUE", 0, 2), ("ATTRIBUTED_TO", 0, 3), ("CONTINUES", 1, 0)],
)


def test_the_cue_label_and_the_quote_relations_count_like_any_other() -> None:
    counts = compare_documents(SPLIT, ALICE_SPLIT, BOB_SPLIT)
    # alice's cue is "said", bob's "added": no CUE span in common.
    cue = counts.spans_exact["CUE"]
    assert (cue.precision, cue.recall, cue.f1) == (0.0, 0.0, 0.0)
    assert counts.spans_exact["QUOTE"].f1 == 1.0
    # SOURCE: bob {Putin}, alice {Putin, he}: P = 1/1, R = 1/2, F1 = 2/3.
    source = counts.spans_exact["SOURCE"]
    assert (source.precision, source.recall) == (1.0, 0.5)
    assert source.f1 == pytest.approx(2 / 3)
    # One token each, never the same one.
    kappa = counts.kappa["CUE"]
    assert (kappa.both, kappa.only_reference, kappa.only_other) == (0, 1, 1)
    # Relations: ATTRIBUTED_TO and CONTINUES match; the CUEs end at different cues and
    # bob has no COREF. P = 2/3, R = 2/4, F1 = 2PR/(P+R) = (2/3)/(7/6) = 4/7.
    exact = counts.relations_exact
    assert (exact.precision, exact.recall) == (pytest.approx(2 / 3), 0.5)
    assert exact.f1 == pytest.approx(4 / 7)
