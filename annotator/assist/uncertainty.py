"""Order documents by how unsure a model was about its suggestions ("least sure first").

A model suggestion keeps the model's score in ``attrs["score"]``: spancat's probability
for the span, 1.0 for an entity of spaCy's ner (which gives no probability). A score
near 0.5 is the model hesitating, so that span teaches it the most when the analyst
decides on it, as Prodigy's teach recipes prefer. Pattern and "mentions" suggestions
carry no score and do not count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from annotator.assist.suggestions import SCORE_ATTR
from annotator.core.models import Span


def uncertainty(score: float) -> float:
    """1 at a score of 0.5, falling to 0 at 0 and at 1."""
    return 1.0 - abs(2.0 * score - 1.0)


def document_uncertainty(suggestions: Iterable[Span]) -> float | None:
    """The highest uncertainty of a document's scored suggestions; None without any."""
    found = [
        uncertainty(float(score))
        for span in suggestions
        if isinstance(score := span.attrs.get(SCORE_ATTR), int | float)
        and not isinstance(score, bool)
    ]
    return max(found) if found else None


def least_sure_first(
    doc_ids: Sequence[str], suggestions_of: Callable[[str], Iterable[Span]]
) -> list[str]:
    """``doc_ids`` with the most uncertain first; documents without a scored suggestion
    come last, and ties keep the order they were given in."""
    scored: list[tuple[float, int, str]] = []
    unscored: list[str] = []
    for position, doc_id in enumerate(doc_ids):
        value = document_uncertainty(suggestions_of(doc_id))
        if value is None:
            unscored.append(doc_id)
        else:
            scored.append((-value, position, doc_id))
    scored.sort()
    return [doc_id for _, _, doc_id in scored] + unscored
