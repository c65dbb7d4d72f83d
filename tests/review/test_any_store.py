"""Review on either storage implementation: the same labels give the same figures,
disagreements, gold layer and "what changed" list, whether they live in a project
folder or in memory."""

from __future__ import annotations

from annotator.core.models import Document
from annotator.review.adjudication import Adjudicator
from annotator.review.agreement import compute_agreement
from annotator.review.changes import changes_since_seen, mark_seen
from annotator.store.interface import ProjectStore
from annotator.store.names import GOLD_ANNOTATOR
from tests.review.helpers import PAIR_TEXT, disagreeing_pair

TEXT = PAIR_TEXT


def fill(store: ProjectStore) -> None:
    store.add_documents([Document(id="d", text=TEXT)])
    alice, bob = disagreeing_pair()
    store.annotations("alice").save(alice)
    store.annotations("bob").save(bob)
    store.release_annotations("alice")
    store.release_annotations("bob")


def test_agreement_adjudication_and_changes(any_store: ProjectStore) -> None:
    fill(any_store)
    report = compute_agreement(any_store)
    assert report.annotators == ["alice", "bob"]
    pair = report.pairs[0]
    assert pair.documents == 1
    person = pair.spans_exact["PERSON"]
    # Putin agrees; Xi Jinping and Jinping do not match exactly.
    assert (person.matched_other, person.other, person.reference) == (1, 2, 2)
    assert pair.spans_exact["QUOTE"].precision == 1.0
    assert pair.relations_exact.precision == 1.0

    review = Adjudicator(any_store, "carol")
    review.accept_agreed("d")
    assert {(s.start, s.end, s.label) for s in review.gold("d").spans} == {
        (0, 5, "PERSON"),
        (37, 55, "QUOTE"),
        (58, 63, "SOURCE"),
    }
    assert len(review.remaining("d")) == 2
    review.close()
    assert GOLD_ANNOTATOR in any_store.annotators()

    changes = changes_since_seen(any_store, "carol", ["alice", "bob"])
    assert [(c.annotator, c.kind) for c in changes] == [("alice", "added"), ("bob", "added")]
    mark_seen(any_store, "carol", ["alice", "bob"])
    assert changes_since_seen(any_store, "carol", ["alice", "bob"]) == []
