"""A quote as one unit, read from the relations that tie its parts together.

The field's schemes (PARC, BBC R&D's Citron) annotate a quote as one or more content
spans, a cue ("said", "according to"), one or more sources, and for a pronoun source
the mention it refers to. Our labels keep them as spans and relations (core/schema.py):

    first content --ATTRIBUTED_TO--> source      (one per source)
    first content --CUE-->           cue
    later content --CONTINUES-->     first content
    source        --COREF-->         antecedent  ("he" -> "Putin")

A source or a cue may serve several quotes, so a quote is grown from its first content,
never through a shared source: selecting "Putin" shows every quote he is the source of,
selecting one of those quotes shows only that one. A quote inside a quote is a separate
unit: its spans lie inside the outer content's range, but no relation joins them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

# The relation names (the default schema's, core/schema.py): here so that the view can
# read quotes without loading the models.
ATTRIBUTED_TO = "ATTRIBUTED_TO"
CUE = "CUE"  # content -> its cue ("said", "told reporters")
CONTINUES = "CONTINUES"  # a later content of the same quote -> the first one
COREF = "COREF"  # a source ("he") -> the mention it stands for ("Putin")
QUOTE_RELATIONS = (ATTRIBUTED_TO, CUE, CONTINUES, COREF)


class Link(Protocol):
    """A relation as far as quotes need it: Relation and the view's Arrow both are one."""

    @property
    def head(self) -> str: ...
    @property
    def tail(self) -> str: ...
    @property
    def label(self) -> str: ...


@dataclass
class Quote:
    """One quote's span ids, each list in the order of the relations that name them."""

    contents: list[str]
    cues: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    # What the sources refer to, each once ("he" -> "Putin").
    antecedents: list[str] = field(default_factory=list)

    @property
    def root(self) -> str:
        return self.contents[0]

    def parts(self) -> set[str]:
        return {*self.contents, *self.cues, *self.sources, *self.antecedents}


def _first_content(span_id: str, continues: dict[str, str]) -> str:
    """Follow CONTINUES to the quote's first content (a loop ends where it started)."""
    seen = {span_id}
    while span_id in continues and continues[span_id] not in seen:
        span_id = continues[span_id]
        seen.add(span_id)
    return span_id


class QuoteGraph:
    """The quote relations of one document, indexed both ways."""

    def __init__(self, links: Iterable[Link]) -> None:
        self.continues: dict[str, str] = {}
        self.later: dict[str, list[str]] = {}
        self.out: dict[str, dict[str, list[str]]] = {}  # head -> label -> tails
        self.into: dict[str, dict[str, list[str]]] = {}  # tail -> label -> heads
        # Quote roots in the order their first relation comes (the file order of an import).
        self.order: dict[str, int] = {}
        for link in links:
            label = link.label
            if label not in QUOTE_RELATIONS:
                continue
            head, tail = link.head, link.tail
            if label == CONTINUES:
                self.continues.setdefault(head, tail)
                self.later.setdefault(tail, []).append(head)
            self.out.setdefault(head, {}).setdefault(label, []).append(tail)
            self.into.setdefault(tail, {}).setdefault(label, []).append(head)
            if label in (ATTRIBUTED_TO, CUE):
                self.order.setdefault(head, len(self.order))
            elif label == CONTINUES:
                self.order.setdefault(tail, len(self.order))

    def roots_of(self, span_id: str) -> list[str]:
        """The first contents of the quotes ``span_id`` is a part of (none: not a part)."""
        into = self.into.get(span_id, {})
        if span_id in self.continues or span_id in self.later or span_id in self.order:
            return [_first_content(span_id, self.continues)]
        heads: list[str] = [*into.get(CUE, []), *into.get(ATTRIBUTED_TO, [])]
        # An antecedent: the quotes of the sources that refer to it.
        for source in into.get(COREF, []):
            heads.extend(self.into.get(source, {}).get(ATTRIBUTED_TO, []))
        roots: list[str] = []
        for head in heads:
            root = _first_content(head, self.continues)
            if root not in roots:
                roots.append(root)
        return roots

    def quote(self, root: str) -> Quote:
        contents = [root]
        pending = list(self.later.get(root, []))
        while pending:
            content = pending.pop(0)
            if content in contents:
                continue
            contents.append(content)
            pending.extend(self.later.get(content, []))
        out = self.out.get(root, {})
        sources = list(dict.fromkeys(out.get(ATTRIBUTED_TO, [])))
        antecedents: list[str] = []
        for source in sources:
            for antecedent in self.out.get(source, {}).get(COREF, []):
                if antecedent not in antecedents:
                    antecedents.append(antecedent)
        return Quote(contents, list(dict.fromkeys(out.get(CUE, []))), sources, antecedents)

    def quotes(self) -> list[Quote]:
        """Every quote of the document, in the order of its first relation."""
        roots = sorted(
            (root for root in self.order if root not in self.continues), key=self.order.__getitem__
        )
        return [self.quote(root) for root in roots]


def quote_parts(span_id: str, links: Sequence[Link] | Iterable[Link]) -> set[str]:
    """Every span of every quote ``span_id`` belongs to, itself included; just itself
    when it is part of no quote. Selecting any part of a quote shows all of them."""
    graph = QuoteGraph(links)
    parts = {span_id}
    for root in graph.roots_of(span_id):
        parts |= graph.quote(root).parts()
    return parts
