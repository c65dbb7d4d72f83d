"""Optional suggestions from a spaCy pipeline's entities (``doc.ents``).

spaCy is an optional extra (``pip install 'annotator[spacy]'``); nothing else in the
program imports it, and without it this module says how to install it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from annotator.assist.patterns import Match
from annotator.core.errors import AnnotatorError

INSTALL_HINT = "pip install 'annotator[spacy]'"
# Where a spancat component keeps its spans (annotator.assist.train writes "sc").
SPANS_KEY = "sc"


def spacy_available() -> bool:
    try:
        import spacy  # noqa: F401
    except ImportError:
        return False
    return True


def load_pipeline(name: str) -> Any:
    """``spacy.load(name)``, with one clear line when spaCy or the pipeline is missing."""
    try:
        import spacy
    except ImportError:
        raise AnnotatorError(
            f"model suggestions need spaCy, which is not installed: {INSTALL_HINT}, "
            f"then python -m spacy download {name}"
        ) from None
    try:
        return spacy.load(name)
    except OSError:
        raise AnnotatorError(
            f"spaCy pipeline {name!r} is not installed: python -m spacy download {name} "
            "(or give the path of a trained pipeline)"
        ) from None


def scored_spans(doc: Any) -> list[tuple[Any, float]]:
    """A predicted Doc's spans with their scores: the entities (spaCy's ner gives no
    probability, so each scores 1), then a trained spancat's spans (annotator train)
    with theirs."""
    spans = [(span, 1.0) for span in doc.ents]
    group = doc.spans.get(SPANS_KEY)
    if group is not None:
        scores = group.attrs.get("scores")
        spans += [
            (span, float(scores[index]) if scores is not None else 1.0)
            for index, span in enumerate(group)
        ]
    return spans


class ModelSuggester:
    """Entities of a spaCy pipeline as suggestions, limited to the project's labels."""

    def __init__(self, nlp: Any, labels: Iterable[str] | None = None, batch_size: int = 64) -> None:
        self.nlp = nlp
        self.labels = set(labels) if labels is not None else None
        self.batch_size = batch_size
        # Entity labels the project does not have (say CARDINAL), with how often they came.
        self.skipped: Counter[str] = Counter()

    @property
    def name(self) -> str:
        meta = getattr(self.nlp, "meta", {}) or {}
        lang = meta.get("lang", "")
        name = meta.get("name", "")
        return f"{lang}_{name}" if lang and name else str(name or "spacy")

    def find(self, text: str) -> list[Match]:
        return next(self.find_many([text]))

    def model_labels(self) -> set[str]:
        """Every label the pipeline can predict (its ner and spancat labels)."""
        found: set[str] = set()
        for name in ("ner", "spancat"):
            if name in self.nlp.pipe_names:
                found.update(self.nlp.get_pipe(name).labels)
        return found

    def find_many(self, texts: Iterable[str]) -> Iterator[list[Match]]:
        for doc in self.nlp.pipe(texts, batch_size=self.batch_size):
            matches = []
            for span, score in scored_spans(doc):
                if self.labels is not None and span.label_ not in self.labels:
                    self.skipped[span.label_] += 1
                    continue
                # spaCy's character offsets are Python string indices, like ours.
                matches.append(
                    Match(span.start_char, span.end_char, span.label_, span.text, round(score, 3))
                )
            yield matches
