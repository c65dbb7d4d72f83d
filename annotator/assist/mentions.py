"""Label all mentions: every other whole-word occurrence of a labelled span's text.

The result is a plan (a list of :class:`Mention`); the caller decides whether the plan
becomes suggestions or labels, so the GUI can push it as one undoable step.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from annotator.assist.patterns import (
    END_GUARD,
    char_atom,
    is_word_char,
    lower_char,
    splits_a_character,
)
from annotator.core.models import DocumentAnnotation, Span

LabelsOf = Callable[[str], DocumentAnnotation | None]


@dataclass(frozen=True, slots=True)
class Mention:
    doc_id: str
    start: int
    end: int
    label: str
    text: str


class PhraseFinder:
    """Whole-word occurrences of one phrase, exactly as written or ignoring case."""

    def __init__(self, phrase: str, ignore_case: bool = False) -> None:
        if not phrase.strip():
            raise ValueError("cannot look for an empty or blank phrase")
        self.phrase = phrase
        self.ignore_case = ignore_case
        if ignore_case:
            body = "".join(char_atom(lower_char(char), True) for char in phrase)
        else:
            body = re.escape(phrase)
        before = r"(?<!\w)" if is_word_char(phrase[0]) else ""
        self._regex = re.compile(before + body + END_GUARD)
        # A substring test in C rules out most documents before the regex runs.
        self._needle = phrase.lower() if ignore_case else phrase

    def find(self, text: str) -> list[tuple[int, int]]:
        haystack = text.lower() if self.ignore_case else text
        if self._needle not in haystack:
            return []
        return [
            (found.start(), found.end())
            for found in self._regex.finditer(text)
            if not splits_a_character(text, found.start(), found.end())
        ]


def find_mentions(text: str, phrase: str, ignore_case: bool = False) -> list[tuple[int, int]]:
    return PhraseFinder(phrase, ignore_case).find(text)


def mentions_in(
    doc_id: str,
    text: str,
    finder: PhraseFinder,
    label: str,
    labels: DocumentAnnotation | None,
) -> list[Mention]:
    """Occurrences in one document that no span with ``label`` already covers.

    A mention overlapping a span of the same label is skipped too: "Kim" inside a
    labelled "Kim Jong Un" is part of that name, not another mention of it.
    """
    return _unlabelled(doc_id, text, finder.find(text), label, labels)


def _unlabelled(
    doc_id: str,
    text: str,
    found: list[tuple[int, int]],
    label: str,
    labels: DocumentAnnotation | None,
) -> list[Mention]:
    taken = (
        [(span.start, span.end) for span in labels.spans if span.label == label] if labels else []
    )
    mentions = []
    for start, end in found:
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            continue
        mentions.append(Mention(doc_id, start, end, label, text[start:end]))
    return mentions


def plan_mentions(
    span: Span,
    documents: Iterable[tuple[str, str]],
    labels_of: LabelsOf,
    ignore_case: bool = False,
) -> list[Mention]:
    """Every other mention of ``span.text`` in ``documents`` ((doc_id, text) pairs).

    ``labels_of(doc_id)`` gives the annotator's current labels (the span's own document
    included), so the labelled span itself and ranges already labelled are skipped.
    """
    finder = PhraseFinder(span.text, ignore_case)
    plan: list[Mention] = []
    for doc_id, text in documents:
        found = finder.find(text)
        if found:  # labels are looked up only where the phrase occurs
            plan.extend(_unlabelled(doc_id, text, found, span.label, labels_of(doc_id)))
    return plan
