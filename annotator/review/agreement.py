"""Inter-annotator agreement on spans and relations (definitions in docs/review.md).

For every pair of annotators (the first one named is the reference):

- span precision, recall and F1, with exact matching (same start, end and label) and
  with overlap matching (same label, ranges share at least one character); per label
  and over all labels (micro: counts summed over labels and documents);
- Cohen's kappa over tokens, per label (is this token inside a span of that label?)
  and over all (token, label) decisions together;
- relation precision, recall and F1: a relation matches when its label matches and
  both its ends match under the span matching in use;
- how many documents both annotators labelled (only those documents are compared);
- Cohen's kappa per document category, over the documents both finished
  (review/categories.py).

Counts are summed over documents before any ratio is taken, so a long article weighs
more than a short one, as in the pairwise F1 of Hripcsak & Rothschild (2005) that
Prodigy and INCEpTION report.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from operator import itemgetter
from typing import Any

from annotator.core.models import DocumentAnnotation, text_hash
from annotator.review.categories import CategoryAgreement
from annotator.review.source import ReviewSource
from annotator.review.tokens import Tokens
from annotator.store.interface import ProjectStore

ALL = "*"  # the key of the over-all-labels entry in per-label tables

SpanKey = tuple[int, int, str]
RelationKey = tuple[str, SpanKey, SpanKey]
Progress = Callable[[int, int | None], None]


@dataclass(slots=True)
class Score:
    """Matches of one annotator ("other") against a reference annotator.

    With exact matching ``matched_other == matched_reference``; with overlap matching one
    long span may match two short ones, so they are counted separately: precision is the
    share of the other's items that match some reference item, recall the share of the
    reference's items that some item of the other matches.
    """

    matched_other: int = 0
    other: int = 0
    matched_reference: int = 0
    reference: int = 0

    @property
    def precision(self) -> float | None:
        return self.matched_other / self.other if self.other else None

    @property
    def recall(self) -> float | None:
        return self.matched_reference / self.reference if self.reference else None

    @property
    def f1(self) -> float | None:
        """Harmonic mean of precision and recall; None when neither annotator has an item."""
        if not self.other and not self.reference:
            return None
        precision = self.precision or 0.0
        recall = self.recall or 0.0
        if precision + recall == 0:
            return 0.0
        return 2 * precision * recall / (precision + recall)

    def add(self, other: Score) -> None:
        self.matched_other += other.matched_other
        self.other += other.other
        self.matched_reference += other.matched_reference
        self.reference += other.reference

    def to_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "matched_other": self.matched_other,
            "other": self.other,
            "matched_reference": self.matched_reference,
            "reference": self.reference,
        }


@dataclass(slots=True)
class KappaCounts:
    """A 2x2 table of tokens: inside a span of the label for both, one, or neither annotator."""

    both: int = 0
    only_reference: int = 0
    only_other: int = 0
    neither: int = 0

    @property
    def total(self) -> int:
        return self.both + self.only_reference + self.only_other + self.neither

    @property
    def observed(self) -> float | None:
        return (self.both + self.neither) / self.total if self.total else None

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa (1960); None when undefined (no tokens, or chance agreement is 1)."""
        n = self.total
        if not n:
            return None
        observed = (self.both + self.neither) / n
        yes_reference = (self.both + self.only_reference) / n
        yes_other = (self.both + self.only_other) / n
        expected = yes_reference * yes_other + (1 - yes_reference) * (1 - yes_other)
        if expected >= 1.0:
            return None
        return (observed - expected) / (1 - expected)

    def add(self, other: KappaCounts) -> None:
        self.both += other.both
        self.only_reference += other.only_reference
        self.only_other += other.only_other
        self.neither += other.neither

    def to_dict(self) -> dict[str, Any]:
        return {
            "kappa": self.kappa,
            "observed_agreement": self.observed,
            "both": self.both,
            "only_reference": self.only_reference,
            "only_other": self.only_other,
            "neither": self.neither,
        }


@dataclass(slots=True)
class PairAgreement:
    """Agreement of ``other`` with ``reference`` over the documents both labelled."""

    reference: str
    other: str
    documents: int = 0
    spans_exact: dict[str, Score] = field(default_factory=dict)
    spans_overlap: dict[str, Score] = field(default_factory=dict)
    relations_exact: Score = field(default_factory=Score)
    relations_overlap: Score = field(default_factory=Score)
    tokens: int = 0  # tokens of the documents compared
    # label -> [both, only reference, only other]; "neither" follows from ``tokens``.
    token_counts: dict[str, list[int]] = field(default_factory=dict)
    # Document categories of the schema (none: the report leaves them out).
    categories: dict[str, CategoryAgreement] = field(default_factory=dict)

    @property
    def kappa(self) -> dict[str, KappaCounts]:
        """Per label, the token table over every document both annotators labelled."""
        return {
            label: KappaCounts(both, ref, other, self.tokens - both - ref - other)
            for label, (both, ref, other) in self.token_counts.items()
        }

    @property
    def exact(self) -> Score:
        return self.spans_exact.get(ALL, Score())

    @property
    def overlap(self) -> Score:
        return self.spans_overlap.get(ALL, Score())

    @property
    def token_kappa(self) -> KappaCounts:
        """Every (token, label) decision pooled, over the labels either annotator used.

        Labels neither annotator ever used are left out: counting their tokens as agreed
        would make the figure depend on how many labels the schema happens to have.
        """
        pooled = KappaCounts()
        for counts in self.kappa.values():
            pooled.add(counts)
        return pooled

    def add_document(self, counts: DocumentCounts) -> None:
        self.documents += 1
        for table, source in (
            (self.spans_exact, counts.spans_exact),
            (self.spans_overlap, counts.spans_overlap),
        ):
            if not source:
                continue
            overall = table.get(ALL)
            if overall is None:
                overall = table[ALL] = Score()
            for label, score in source.items():
                per_label = table.get(label)
                if per_label is None:
                    per_label = table[label] = Score()
                per_label.add(score)
                overall.add(score)
        self.tokens += counts.tokens
        for label, cell in counts.kappa.items():
            running = self.token_counts.get(label)
            if running is None:
                self.token_counts[label] = [cell.both, cell.only_reference, cell.only_other]
            else:
                running[0] += cell.both
                running[1] += cell.only_reference
                running[2] += cell.only_other
        self.relations_exact.add(counts.relations_exact)
        self.relations_overlap.add(counts.relations_overlap)

    def to_dict(self) -> dict[str, Any]:
        result = {
            "reference": self.reference,
            "other": self.other,
            "documents": self.documents,
            "spans": {
                "exact": {label: score.to_dict() for label, score in self.spans_exact.items()},
                "overlap": {label: score.to_dict() for label, score in self.spans_overlap.items()},
            },
            "token_kappa": {
                ALL: self.token_kappa.to_dict(),
                **{label: counts.to_dict() for label, counts in self.kappa.items()},
            },
            "relations": {
                "exact": self.relations_exact.to_dict(),
                "overlap": self.relations_overlap.to_dict(),
            },
        }
        if self.categories:
            result["categories"] = {
                name: agreement.to_dict() for name, agreement in self.categories.items()
            }
        return result


@dataclass(slots=True)
class AgreementReport:
    annotators: list[str]
    labels: list[str]
    pairs: list[PairAgreement]
    documents: int = 0  # documents labelled by at least two of the annotators
    problems: list[str] = field(default_factory=list)

    def mean(self, value: Callable[[PairAgreement], float | None]) -> float | None:
        """The average over pairs of a figure, skipping pairs where it is undefined."""
        values = [v for v in (value(pair) for pair in self.pairs) if v is not None]
        return sum(values) / len(values) if values else None

    def summary(self) -> dict[str, float | None]:
        return {
            "span_f1_exact": self.mean(lambda p: p.exact.f1),
            "span_f1_overlap": self.mean(lambda p: p.overlap.f1),
            "token_kappa": self.mean(lambda p: p.token_kappa.kappa),
            "relation_f1_exact": self.mean(lambda p: p.relations_exact.f1),
            "relation_f1_overlap": self.mean(lambda p: p.relations_overlap.f1),
        }

    def label_f1(self, label: str, exact: bool = True) -> float | None:
        """Mean over pairs of one label's F1 (the chart's bars)."""
        return self.mean(
            lambda p: (p.spans_exact if exact else p.spans_overlap).get(label, Score()).f1
        )

    def label_kappa(self, label: str) -> float | None:
        return self.mean(lambda p: p.kappa.get(label, KappaCounts()).kappa)

    def category_kappa(self, name: str, option: str | None = None) -> float | None:
        """Mean over pairs of a category's kappa (or of one option's, multiple choice)."""
        return self.mean(
            lambda p: (
                None
                if name not in p.categories
                else p.categories[name].kappa
                if option is None
                else p.categories[name].option_kappa(option)
            )
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "annotators": self.annotators,
            "labels": self.labels,
            "documents": self.documents,
            "overall": self.summary(),
            "pairs": [pair.to_dict() for pair in self.pairs],
            "problems": self.problems,
        }


# --- one document, one pair ------------------------------------------------------------


@dataclass(slots=True)
class DocumentCounts:
    spans_exact: dict[str, Score]
    spans_overlap: dict[str, Score]
    kappa: dict[str, KappaCounts]  # labels either annotator used in this document
    relations_exact: Score
    relations_overlap: Score
    tokens: int = 0


class Layer:
    """One annotator's labels on one document, indexed for matching."""

    __slots__ = ("_intervals", "_masks", "by_label", "keys", "relations")

    def __init__(self, annotation: DocumentAnnotation) -> None:
        self._index(
            [(span.id, span.start, span.end, span.label) for span in annotation.spans],
            [(rel.label, rel.head, rel.tail) for rel in annotation.relations],
        )

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Layer:
        """The same, from the store's checked record (no model built per span)."""
        layer = cls.__new__(cls)
        layer._index(
            list(map(_span_fields, record["spans"])),
            list(map(_relation_fields, record["relations"])),
        )
        return layer

    def _index(
        self, spans: list[tuple[str, int, int, str]], relations: list[tuple[str, str, str]]
    ) -> None:
        by_label: dict[str, list[tuple[int, int]]] = {}
        keys: dict[str, SpanKey] = {}
        for span_id, start, end, label in spans:
            by_label.setdefault(label, []).append((start, end))
            keys[span_id] = (start, end, label)
        for ranges in by_label.values():
            ranges.sort()
        self.by_label = by_label
        self.keys = keys
        self.relations: set[RelationKey] = {
            (label, keys[head], keys[tail])
            for label, head, tail in relations
            if head in keys and tail in keys
        }
        self._masks: dict[str, int] | None = None
        self._intervals: dict[str, _Intervals] = {}

    def intervals(self, label: str) -> _Intervals:
        """This label's ranges indexed for overlap queries (built once, used by every pair)."""
        found = self._intervals.get(label)
        if found is None:
            found = self._intervals[label] = _Intervals(self.by_label[label])
        return found

    def masks(self, tokens: Tokens) -> dict[str, int]:
        """Per label, the tokens inside this annotator's spans (computed once per document)."""
        if self._masks is None:
            self._masks = {label: tokens.mask(ranges) for label, ranges in self.by_label.items()}
        return self._masks


_span_fields = itemgetter("id", "start", "end", "label")
_relation_fields = itemgetter("label", "head", "tail")


class _Intervals:
    """Sorted ranges answering "does anything overlap [start, end)?" in O(log n)."""

    __slots__ = ("max_end", "starts")

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        self.starts = [start for start, _ in ranges]
        running = 0
        self.max_end: list[int] = []
        for _, end in ranges:
            running = max(running, end)
            self.max_end.append(running)

    def overlaps(self, start: int, end: int) -> bool:
        count = bisect_left(self.starts, end)  # ranges starting before ``end``
        return count > 0 and self.max_end[count - 1] > start


def overlap(a: SpanKey, b: SpanKey) -> bool:
    """Overlap matching: same label and at least one character in common."""
    return a[2] == b[2] and a[0] < b[1] and b[0] < a[1]


def compare_layers(reference: Layer, other: Layer, tokens: Tokens | None) -> DocumentCounts:
    """Agreement counts of one document between two annotators' layers."""
    exact: dict[str, Score] = {}
    lenient: dict[str, Score] = {}
    kappa: dict[str, KappaCounts] = {}
    token_count = len(tokens) if tokens is not None else 0
    ref_masks = reference.masks(tokens) if tokens is not None else {}
    other_masks = other.masks(tokens) if tokens is not None else {}
    empty: list[tuple[int, int]] = []
    for label in reference.by_label.keys() | other.by_label.keys():
        ref_ranges = reference.by_label.get(label, empty)
        other_ranges = other.by_label.get(label, empty)
        n_ref, n_other = len(ref_ranges), len(other_ranges)
        if ref_ranges == other_ranges:
            # The common case in a good project, and cheap: everything matches.
            exact[label] = lenient[label] = Score(n_other, n_other, n_ref, n_ref)
        elif not ref_ranges or not other_ranges:
            exact[label] = lenient[label] = Score(0, n_other, 0, n_ref)
        else:
            common = len(set(ref_ranges).intersection(other_ranges))
            exact[label] = Score(common, n_other, common, n_ref)
            ref_index = reference.intervals(label)
            other_index = other.intervals(label)
            lenient[label] = Score(
                sum(1 for s, e in other_ranges if ref_index.overlaps(s, e)),
                n_other,
                sum(1 for s, e in ref_ranges if other_index.overlaps(s, e)),
                n_ref,
            )
        if tokens is not None:
            ref_mask = ref_masks.get(label, 0)
            other_mask = other_masks.get(label, 0)
            both = (ref_mask & other_mask).bit_count()
            only_ref = ref_mask.bit_count() - both
            only_other = other_mask.bit_count() - both
            kappa[label] = KappaCounts(
                both, only_ref, only_other, token_count - both - only_ref - only_other
            )
    if reference.relations or other.relations:
        relations_exact = _relation_score(reference.relations, other.relations, exact=True)
        relations_lenient = _relation_score(reference.relations, other.relations, exact=False)
    else:
        relations_exact, relations_lenient = Score(), Score()
    return DocumentCounts(exact, lenient, kappa, relations_exact, relations_lenient, token_count)


def _relation_score(reference: set[RelationKey], other: set[RelationKey], exact: bool) -> Score:
    if exact:
        common = len(reference & other)
        return Score(common, len(other), common, len(reference))

    def found(relation: RelationKey, among: set[RelationKey]) -> bool:
        label, head, tail = relation
        return any(
            label == candidate[0] and overlap(head, candidate[1]) and overlap(tail, candidate[2])
            for candidate in among
        )

    return Score(
        sum(1 for rel in other if found(rel, reference)),
        len(other),
        sum(1 for rel in reference if found(rel, other)),
        len(reference),
    )


def compare_documents(
    text: str, reference: DocumentAnnotation, other: DocumentAnnotation
) -> DocumentCounts:
    return compare_layers(Layer(reference), Layer(other), Tokens(text))


# --- a project -------------------------------------------------------------------------


def pairs_of(annotators: Sequence[str]) -> list[tuple[str, str]]:
    return list(combinations(annotators, 2))


def compute_agreement(
    project: ProjectStore,
    annotators: Sequence[str] | None = None,
    statuses: Iterable[str] | None = None,
    kappa: bool = True,
    progress: Progress | None = None,
    at_least: int = 2,
) -> AgreementReport:
    """Agreement between every pair of the chosen annotators (default: every analyst)."""
    source = ReviewSource(project, annotators, statuses, at_least)
    names = source.annotators
    labels = list(project.schema.label_names())
    pairs = {pair: PairAgreement(*pair) for pair in pairs_of(names)}
    categories = project.schema.categories
    for pair in pairs.values():
        pair.categories = {category.name: CategoryAgreement.of(category) for category in categories}
    report = AgreementReport(names, labels, list(pairs.values()))
    doc_ids = source.documents(2)
    total = len(doc_ids)
    seen_labels = set(labels)
    for number, doc_id in enumerate(doc_ids, 1):
        records = source.records(doc_id)
        text = project.get_text(doc_id) if kappa or records else ""
        current = text_hash(text)
        layers: dict[str, Layer] = {}
        for name, record in records.items():
            if record["text_hash"] and record["text_hash"] != current:
                report.problems.append(
                    f"{doc_id}: {name}'s labels were made on a different text; left out"
                )
                continue
            layers[name] = Layer.from_record(record)
            seen_labels.update(layers[name].by_label)
        if len(layers) >= 2:
            report.documents += 1
        tokens = Tokens(text) if kappa and len(layers) >= 2 else None
        for (first, second), pair in pairs.items():
            if first in layers and second in layers:
                pair.add_document(compare_layers(layers[first], layers[second], tokens))
                if categories:
                    _add_categories(pair, records[first], records[second])
        if progress is not None:
            progress(number, total)
    report.labels = labels + sorted(seen_labels - set(labels))
    return report


def _add_categories(pair: PairAgreement, reference: dict[str, Any], other: dict[str, Any]) -> None:
    """A document's categories, when both annotators finished it."""
    if reference["status"] != "done" or other["status"] != "done":
        return
    reference_cats, other_cats = reference.get("cats") or {}, other.get("cats") or {}
    for name, agreement in pair.categories.items():
        agreement.add(reference_cats.get(name, []), other_cats.get(name, []))


# --- text output -------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    if value is None:
        return "  -  "
    return f"{value + 0.0:5.3f}" if abs(value) >= 0.0005 else "0.000"


def format_report(report: AgreementReport) -> str:
    """The readable table `annotator agree` prints."""
    lines = [
        f"annotators: {', '.join(report.annotators)}; "
        f"documents labelled by at least two: {report.documents}",
        "",
    ]
    header = (
        f"{'pair (reference/other)':<28}{'docs':>6}  {'P':>5} {'R':>5} {'F1':>5}  "
        f"{'F1~':>5}  {'kappa':>5}  {'rel F1':>6} {'rel F1~':>7}"
    )
    lines.append(header)
    lines.append("-" * len(header))
    for pair in report.pairs:
        exact = pair.exact
        lines.append(
            f"{pair.reference + ' / ' + pair.other:<28}{pair.documents:>6}  "
            f"{_fmt(exact.precision)} {_fmt(exact.recall)} {_fmt(exact.f1)}  "
            f"{_fmt(pair.overlap.f1)}  {_fmt(pair.token_kappa.kappa)}  "
            f"{_fmt(pair.relations_exact.f1):>6} {_fmt(pair.relations_overlap.f1):>7}"
        )
    summary = report.summary()
    lines.append(
        f"{'mean over pairs':<28}{'':>6}  {'':>5} {'':>5} {_fmt(summary['span_f1_exact'])}  "
        f"{_fmt(summary['span_f1_overlap'])}  {_fmt(summary['token_kappa'])}  "
        f"{_fmt(summary['relation_f1_exact']):>6} {_fmt(summary['relation_f1_overlap']):>7}"
    )
    lines += ["", "per label (mean over pairs):", f"{'label':<12}{'F1':>6} {'F1~':>6} {'kappa':>6}"]
    for label in report.labels:
        used = any(label in pair.spans_exact for pair in report.pairs)
        if not used:
            continue
        kappa = report.label_kappa(label)
        lines.append(
            f"{label:<12}{_fmt(report.label_f1(label)):>6} "
            f"{_fmt(report.label_f1(label, exact=False)):>6} {_fmt(kappa):>6}"
        )
    lines += _category_lines(report)
    lines += [
        "",
        "F1 = exact match (start, end, label); F1~ = overlap match (same label, ranges overlap);",
        "kappa = Cohen's kappa over tokens; rel = relations (label and both ends match).",
    ]
    for problem in report.problems:
        lines.append(f"note: {problem}")
    return "\n".join(lines)


def _category_lines(report: AgreementReport) -> list[str]:
    """Document categories: kappa over the documents both annotators finished."""
    first = report.pairs[0] if report.pairs else None
    if first is None or not first.categories:
        return []
    lines = [
        "",
        "document categories (Cohen's kappa over documents both finished, mean over pairs):",
        f"{'category':<24}{'docs':>6} {'kappa':>6}",
    ]
    for name, agreement in first.categories.items():
        documents = sum(pair.categories[name].documents for pair in report.pairs)
        lines.append(f"{name:<24}{documents:>6} {_fmt(report.category_kappa(name)):>6}")
        if agreement.multiple:
            for option in agreement.option_names():
                kappa = report.category_kappa(name, option)
                lines.append(f"{'  ' + option:<24}{'':>6} {_fmt(kappa):>6}")
    return lines
