"""Suggestions: spans proposed by patterns, models or "label all mentions".

They live in their own layer, ``PROJECT/suggestions/NAME.jsonl`` (one
:class:`DocumentAnnotation` per document, like an annotator's labels), so nothing
suggested is exported until the analyst accepts it. Accepting moves a suggestion into
the annotator's labels; rejecting removes it and remembers the rejection (in the
layer's ``provenance["rejected"]``), so running the same patterns again does not bring
it back.

The functions on DocumentAnnotation pairs are pure, and each returns what undo needs:
the GUI wraps them in undo commands, :class:`SuggestionLayer` saves them for scripts
and the command line.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from annotator.core.errors import AnnotatorError
from annotator.core.models import DocumentAnnotation, Span, text_hash
from annotator.store.interface import AnnotationLayer, ProjectStore

if TYPE_CHECKING:
    # Only named in annotations: the pattern compiler stays off the window's start-up.
    from annotator.assist.patterns import Match

SOURCE_ATTR = "source"
SCORE_ATTR = "score"
REJECTED = "rejected"
SAVE_BATCH = 500

Range = tuple[int, int, str]
LabelsOf = Callable[[str], DocumentAnnotation | None]
Progress = Callable[[int, int | None], None]


class Finder(Protocol):
    """Anything that proposes spans for a batch of texts (patterns, a spaCy model)."""

    def find_many(self, texts: Iterable[str]) -> Iterator[list[Match]]: ...


# --- pure edits on a suggestions layer and a labels layer ---------------------------------


def rejected_ranges(suggested: DocumentAnnotation) -> set[Range]:
    return {(int(s), int(e), str(label)) for s, e, label in suggested.provenance.get(REJECTED, [])}


def add_suggestions(
    suggested: DocumentAnnotation,
    labels: DocumentAnnotation | None,
    text: str,
    matches: Iterable[Match | Range],
    source: str,
) -> list[Span]:
    """Add the matches not already labelled, suggested or rejected; returns the new spans."""
    known: set[Range] = {(s.start, s.end, s.label) for s in suggested.spans}
    if labels is not None:
        known.update((s.start, s.end, s.label) for s in labels.spans)
    known |= rejected_ranges(suggested)
    next_number = _next_number(suggested)
    added: list[Span] = []
    for match in matches:
        start, end, label = match[0], match[1], match[2]
        if (start, end, label) in known:
            continue
        if not 0 <= start < end <= len(text):
            raise AnnotatorError(
                f"document {suggested.doc_id}: suggestion [{start}, {end}) is outside the text"
            )
        known.add((start, end, label))
        attrs: dict[str, object] = {SOURCE_ATTR: source}
        score = getattr(match, "score", None)
        if score is not None:
            attrs[SCORE_ATTR] = score
        # Offsets come from our own matchers on this very text: skip re-validation, which
        # dominates the cost when a project gets millions of suggestions.
        span = Span.model_construct(
            id=f"S{next_number}",
            start=start,
            end=end,
            label=label,
            text=text[start:end],
            attrs=attrs,
            note="",
        )
        next_number += 1
        added.append(span)
    if added:
        suggested.spans.extend(added)
        suggested.touch()
    return added


def _next_number(suggested: DocumentAnnotation) -> int:
    highest = 0
    for span in suggested.spans:
        if span.id.startswith("S") and span.id[1:].isdigit():
            highest = max(highest, int(span.id[1:]))
    return highest + 1


@dataclass(frozen=True)
class Accepted:
    """What accepting one suggestion did, with what undo needs to put it back."""

    suggestion: Span
    index: int
    label_span: Span | None  # None when the same label was already on that range


def accept(
    suggested: DocumentAnnotation,
    labels: DocumentAnnotation,
    suggestion_id: str,
    new_id: Callable[[], str] | None = None,
) -> Accepted:
    """Move a suggestion into the labels (a span already there with that label is kept).

    ``new_id`` names the new label span (the GUI's session hands out ids it never reuses);
    by default the next free id of ``labels``.
    """
    suggestion, index, _ = suggested.remove_span(suggestion_id)
    if labels.find_span(suggestion.start, suggestion.end, suggestion.label) is not None:
        return Accepted(suggestion, index, None)
    span = Span(
        id=new_id() if new_id is not None else labels.next_span_id(),
        start=suggestion.start,
        end=suggestion.end,
        label=suggestion.label,
        text=suggestion.text,
    )
    labels.add_span(span)
    return Accepted(suggestion, index, span)


def undo_accept(
    suggested: DocumentAnnotation, labels: DocumentAnnotation, accepted: Accepted
) -> None:
    if accepted.label_span is not None:
        labels.remove_span(accepted.label_span.id)
    suggested.restore_span(accepted.suggestion, accepted.index, [])


def reject(suggested: DocumentAnnotation, suggestion_id: str) -> tuple[Span, int]:
    """Drop a suggestion and remember it, so the same finder does not suggest it again."""
    span, index, _ = suggested.remove_span(suggestion_id)
    rejected = list(suggested.provenance.get(REJECTED, []))
    rejected.append([span.start, span.end, span.label])
    suggested.provenance = {**suggested.provenance, REJECTED: rejected}
    return span, index


def undo_reject(suggested: DocumentAnnotation, span: Span, index: int) -> None:
    rejected = [
        item
        for item in suggested.provenance.get(REJECTED, [])
        if (item[0], item[1], item[2]) != (span.start, span.end, span.label)
    ]
    provenance = dict(suggested.provenance)
    if rejected:
        provenance[REJECTED] = rejected
    else:
        provenance.pop(REJECTED, None)
    suggested.provenance = provenance
    suggested.restore_span(span, index, [])


def accept_all(
    suggested: DocumentAnnotation,
    labels: DocumentAnnotation,
    new_id: Callable[[], str] | None = None,
) -> list[Accepted]:
    """Accept every suggestion of a document; undo with :func:`undo_accept_all`."""
    return [accept(suggested, labels, span.id, new_id) for span in list(suggested.spans)]


def undo_accept_all(
    suggested: DocumentAnnotation, labels: DocumentAnnotation, accepted: Sequence[Accepted]
) -> None:
    for item in reversed(accepted):
        undo_accept(suggested, labels, item)


# --- on a project ---------------------------------------------------------------------------


def unfinished_documents(project: ProjectStore, annotator: str) -> list[str]:
    """The documents ``annotator`` has not marked done, in project order."""
    reader = project.layer_reader(annotator)
    try:
        done = {
            doc_id
            for doc_id in reader.doc_ids()
            if (summary := reader.summary(doc_id)) is not None and summary.status == "done"
        }
    finally:
        reader.close()
    return [doc_id for doc_id in project.document_ids() if doc_id not in done]


@dataclass
class SuggestReport:
    documents: int = 0
    found: int = 0
    added: int = 0
    by_label: Counter[str] = field(default_factory=Counter)

    @property
    def skipped(self) -> int:
        """Matches already labelled, already suggested, or rejected before."""
        return self.found - self.added

    def describe(self) -> str:
        labels = ", ".join(f"{label} {count}" for label, count in sorted(self.by_label.items()))
        found = f"found {self.found} match{'es' if self.found != 1 else ''}"
        docs = f"in {self.documents} document{'s' if self.documents != 1 else ''}"
        added = f"added {self.added} suggestion{'s' if self.added != 1 else ''}"
        detail = f" ({labels})" if labels else ""
        skipped = (
            f"; {self.skipped} already labelled, suggested or rejected" if self.skipped else ""
        )
        return f"{found} {docs}; {added}{detail}{skipped}"


class SuggestionLayer:
    """One annotator's suggestions in a project, saved through the store."""

    def __init__(self, project: ProjectStore, annotator: str) -> None:
        self.project = project
        self.annotator = annotator
        self.store = project.suggestions(annotator)

    def get(self, doc_id: str) -> DocumentAnnotation:
        existing = self.store.get(doc_id)
        if existing is not None:
            return existing
        return DocumentAnnotation(doc_id=doc_id, text_hash=text_hash(self.project.get_text(doc_id)))

    def pending(self, doc_id: str) -> list[Span]:
        existing = self.store.get(doc_id)
        return list(existing.spans) if existing else []

    def suggest(
        self,
        finder: Finder,
        source: str,
        doc_ids: Sequence[str] | None = None,
        labels_of: LabelsOf | None = None,
        progress: Progress | None = None,
    ) -> SuggestReport:
        """Run ``finder`` over the documents and keep what it proposes as suggestions."""
        reader = None
        if labels_of is None:
            labels_of, reader = self._saved_labels()
        try:
            return self._suggest(finder, source, doc_ids, labels_of, progress)
        finally:
            if reader is not None:
                reader.close()

    def _suggest(
        self,
        finder: Finder,
        source: str,
        doc_ids: Sequence[str] | None,
        labels_of: LabelsOf,
        progress: Progress | None,
    ) -> SuggestReport:
        report = SuggestReport()
        pending: list[DocumentAnnotation] = []
        wanted = list(doc_ids) if doc_ids is not None else self.project.document_ids()
        texts = (self.project.get_text(doc_id) for doc_id in wanted)
        try:
            for number, (doc_id, text, matches) in enumerate(
                _zip_results(wanted, texts, finder), 1
            ):
                report.documents += 1
                report.found += len(matches)
                if matches:
                    suggested = self.store.get(doc_id) or DocumentAnnotation(
                        doc_id=doc_id, text_hash=text_hash(text)
                    )
                    added = add_suggestions(suggested, labels_of(doc_id), text, matches, source)
                    if added:
                        report.added += len(added)
                        report.by_label.update(span.label for span in added)
                        pending.append(suggested)
                if len(pending) >= SAVE_BATCH:
                    self.store.save_many(pending)
                    pending = []
                if progress is not None:
                    progress(number, len(wanted))
        finally:
            # Stopped half-way (a progress callback may cancel): what was found is kept,
            # and a later run adds the rest without duplicating it.
            self.store.save_many(pending)
        return report

    def add_ranges(
        self, doc_id: str, ranges: Iterable[Range], source: str, labels: DocumentAnnotation | None
    ) -> list[Span]:
        text = self.project.get_text(doc_id)
        suggested = self.get(doc_id)
        added = add_suggestions(suggested, labels, text, ranges, source)
        if added:
            self.store.save(suggested, text)
        return added

    def accept(self, doc_id: str, suggestion_id: str) -> Accepted:
        suggested, labels = self._pair(doc_id)
        accepted = accept(suggested, labels, suggestion_id)
        self._save_pair(suggested, labels)
        return accepted

    def reject(self, doc_id: str, suggestion_id: str) -> Span:
        suggested = self.get(doc_id)
        span, _ = reject(suggested, suggestion_id)
        self.store.save(suggested)
        return span

    def accept_all(self, doc_id: str) -> list[Accepted]:
        suggested, labels = self._pair(doc_id)
        accepted = accept_all(suggested, labels)
        if accepted:
            self._save_pair(suggested, labels)
        return accepted

    def _pair(self, doc_id: str) -> tuple[DocumentAnnotation, DocumentAnnotation]:
        return self.get(doc_id), self.project.annotations(self.annotator).get_or_new(doc_id)

    def _save_pair(self, suggested: DocumentAnnotation, labels: DocumentAnnotation) -> None:
        text = self.project.get_text(suggested.doc_id)
        # Labels first: a crash between the two saves leaves a suggestion that is also a
        # label (harmless, deduplicated), never an accepted suggestion that vanished.
        self.project.annotations(self.annotator).save(labels, text)
        self.store.save(suggested, text)

    def _saved_labels(self) -> tuple[LabelsOf, AnnotationLayer]:
        # A fresh reader sees every save made so far, this program's included.
        reader = self.project.layer_reader(self.annotator)
        return reader.get, reader


class FoundMatches:
    """A finder handing back matches found beforehand (a model run on a worker thread,
    another system's predictions), document by document, in the order of ``found``."""

    def __init__(self, found: dict[str, list[Match]]) -> None:
        self.found = found

    def find_many(self, texts: Iterable[str]) -> Iterator[list[Match]]:
        for doc_id, _text in zip(self.found, texts, strict=True):
            yield self.found[doc_id]


def _zip_results(
    doc_ids: Sequence[str], texts: Iterable[str], finder: Finder
) -> Iterator[tuple[str, str, list[Match]]]:
    in_flight: deque[str] = deque()

    def remember(items: Iterable[str]) -> Iterator[str]:
        for text in items:
            in_flight.append(text)
            yield text

    # Finders may read ahead to batch (spaCy's nlp.pipe), so texts are handed over lazily
    # and paired back with their ids in order.
    for index, matches in enumerate(finder.find_many(remember(texts))):
        yield doc_ids[index], in_flight.popleft(), matches
