"""annotator.core.quotes: a quote grown from its first content, never through a shared source."""

from __future__ import annotations

from annotator.core.models import Relation
from annotator.core.quotes import QuoteGraph, quote_parts
from annotator.core.schema import ATTRIBUTED_TO, CONTINUES, COREF, CUE


def rel(number: int, label: str, head: str, tail: str) -> Relation:
    return Relation(id=f"R{number}", label=label, head=head, tail=tail)


# Two quotes of one speaker: q1 (split in q1 + q1b, cue c1, source "Putin"), q2 (cue c2,
# source "he", which refers to "Putin"); and an unrelated entity link.
RELATIONS = [
    rel(1, CUE, "q1", "c1"),
    rel(2, ATTRIBUTED_TO, "q1", "putin"),
    rel(3, CONTINUES, "q1b", "q1"),
    rel(4, CUE, "q2", "c2"),
    rel(5, ATTRIBUTED_TO, "q2", "he"),
    rel(6, COREF, "he", "putin"),
    rel(7, "LOCATED_IN", "x", "y"),
]


def test_any_part_gives_its_whole_quote_and_a_shared_source_gives_every_quote() -> None:
    first = {"q1", "q1b", "c1", "putin"}
    second = {"q2", "c2", "he", "putin"}
    assert quote_parts("q1b", RELATIONS) == first
    assert quote_parts("c1", RELATIONS) == first
    assert quote_parts("he", RELATIONS) == second
    assert quote_parts("putin", RELATIONS) == first | second
    assert quote_parts("x", RELATIONS) == {"x"}


def test_quotes_come_in_the_order_of_their_first_relation_with_their_parts_in_order() -> None:
    quotes = QuoteGraph(RELATIONS).quotes()
    assert [(q.contents, q.cues, q.sources, q.antecedents) for q in quotes] == [
        (["q1", "q1b"], ["c1"], ["putin"], []),
        (["q2"], ["c2"], ["he"], ["putin"]),
    ]


def test_a_continues_loop_ends_instead_of_spinning() -> None:
    looped = [rel(1, CONTINUES, "a", "b"), rel(2, CONTINUES, "b", "a")]
    assert quote_parts("a", looped) == {"a", "b"}
