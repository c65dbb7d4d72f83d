"""Another system's predictions as suggestions to correct: `annotator suggest --from PATH`.

Today one format: BBC R&D's Citron (a folder of one JSON file per document, or one such
file; annotator/formats/citron.py reads it). Each prediction file is matched to a project
document by its document id (the file's path below the folder without ``.json``, as
``import --format citron`` names documents, or a top-level ``"id"`` when the file has
one) and must hold that document's very text: a file made on another text is refused,
naming the file, and nothing is added. Files naming no document of the project are
reported and left out. Documents the analyst has marked done get none, as with a model.

Suggestions are spans (annotator/assist/suggestions.py): each quote's contents (QUOTE),
cue (CUE), sources and coreferences (SOURCE) become suggestions carrying the quote's
``confidence`` as their score, the highest when a span serves several quotes; the
relations that tie a quote together are not suggested (accepting a suggestion adds one
span), so the analyst links the parts after accepting them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from annotator.assist.patterns import Match
from annotator.assist.suggestions import (
    FoundMatches,
    SuggestionLayer,
    SuggestReport,
    unfinished_documents,
)
from annotator.core.errors import AnnotatorError, InputError
from annotator.core.models import Relation, Span
from annotator.store.interface import ProjectStore

PREDICTION_FORMATS = ("citron",)
Progress = Callable[[int, int | None], None]


@dataclass
class Predictions:
    """What a predictions path holds for a project, read and checked, nothing added yet."""

    path: Path
    # Document id -> its predicted spans (documents the analyst has not marked done).
    found: dict[str, list[Match]] = field(default_factory=dict)
    files: int = 0
    unknown: list[str] = field(default_factory=list)  # files naming no project document
    done: list[str] = field(default_factory=list)  # documents marked done: none suggested

    @property
    def source(self) -> str:
        return f"citron:{self.path.name}"

    def describe(self) -> str:
        """What was left out, in one line (empty when nothing was)."""
        parts = []
        if self.unknown:
            shown = ", ".join(self.unknown[:5]) + (", ..." if len(self.unknown) > 5 else "")
            parts.append(
                f"{len(self.unknown)} file{'s' if len(self.unknown) != 1 else ''} "
                f"naming no document of the project left out ({shown})"
            )
        if self.done:
            parts.append(
                f"{len(self.done)} document{'s' if len(self.done) != 1 else ''} "
                "marked done got none"
            )
        return "; ".join(parts)


def read_predictions(
    project: ProjectStore,
    annotator: str,
    path: Path,
    format_name: str = "citron",
    progress: Progress | None = None,
) -> Predictions:
    """Read ``path`` and match it to the project's documents; raises (naming the file)
    when a file's text is not its document's text or a label is not the project's."""
    if format_name not in PREDICTION_FORMATS:
        raise AnnotatorError(
            f"--format {format_name}: predictions are read from {', '.join(PREDICTION_FORMATS)}"
        )
    if not path.exists():
        raise InputError(path, "no such file or folder")
    from annotator.formats.citron import CONTENT_LABEL, CUE_LABEL, SOURCE_LABEL, reader

    missing = [
        label
        for label in (CONTENT_LABEL, CUE_LABEL, SOURCE_LABEL)
        if project.schema.label(label) is None
    ]
    if missing:
        raise AnnotatorError(
            f"{path}: Citron's quotes need the labels {', '.join(missing)}, which this "
            "project's schema does not have; add them first"
        )
    known = set(project.document_ids())
    unfinished = set(unfinished_documents(project, annotator))
    predictions = Predictions(path)
    for record in reader.read(path):
        predictions.files += 1
        document = record.document
        stated = document.meta.get("citron", {}).get("id")
        doc_id = document.id
        if doc_id not in known and isinstance(stated, str) and stated in known:
            doc_id = stated
        if doc_id not in known:
            predictions.unknown.append(record.where)
            continue
        if project.get_text(doc_id) != document.text:
            raise InputError(
                record.where,
                f"its text is not the text of document {doc_id} in the project "
                "(predictions made on another version of it); nothing was added",
            )
        if doc_id not in unfinished:
            predictions.done.append(doc_id)
        else:
            spans, relations = record.labels[None].models()
            scores = _scores(spans, relations)
            predictions.found[doc_id] = _matches(spans, scores)
        if progress is not None:
            progress(predictions.files, None)
    return predictions


def _scores(spans: list[Span], relations: list[Relation]) -> dict[str, float]:
    """Each span's score: the confidence of the most confident quote it is a part of."""
    from annotator.core.quotes import QuoteGraph
    from annotator.formats.citron import QUOTE_ATTR

    by_id = {span.id: span for span in spans}
    scores: dict[str, float] = {}
    for quote in QuoteGraph(relations).quotes():
        kept = by_id[quote.root].attrs.get(QUOTE_ATTR)
        confidence = _confidence(kept.get("confidence") if isinstance(kept, dict) else None)
        if confidence is None:
            continue
        for part in quote.parts():
            scores[part] = max(scores.get(part, confidence), confidence)
    return scores


def _confidence(value: object) -> float | None:
    """Citron writes a predicted quote's confidence as a string ("0.8123"); a number
    is taken too."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _matches(spans: Iterable[Span], scores: dict[str, float]) -> list[Match]:
    return [
        Match(span.start, span.end, span.label, span.text, scores.get(span.id))
        for span in sorted(spans, key=lambda span: (span.start, span.end, span.label))
    ]


def suggest_predictions(
    project: ProjectStore,
    annotator: str,
    predictions: Predictions,
    progress: Progress | None = None,
) -> SuggestReport:
    """Add what :func:`read_predictions` found to the annotator's suggestions."""
    layer = SuggestionLayer(project, annotator)
    found = predictions.found
    return layer.suggest(
        FoundMatches(found), predictions.source, doc_ids=list(found), progress=progress
    )
