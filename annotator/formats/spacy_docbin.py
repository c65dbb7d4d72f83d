"""spaCy DocBin (``.spacy``), the training corpus ``spacy train`` reads (export only).

Texts are tokenized by ``spacy.blank(lang)`` (``en`` unless the ``lang`` option says
otherwise). Every span goes into ``doc.spans["sc"]`` (the span categorizer's default
key); entity-category spans also go into ``doc.ents`` where they do not overlap (the
longer one wins, the rest are reported). Spans lose the whitespace at their edges and a
span of only whitespace is left out (both reported), as spaCy refuses entities that start
or end with whitespace for training. A span that no token boundary fits is reported
and its tokens are split at its edges, so it is kept exactly. The document id and the
relations (as character offsets of head and tail) travel in ``doc.user_data``.
Document categories go to ``doc.cats``, as spaCy's text classifiers read them: for each
category the document has, every choice of it in the schema, named ``category:choice``
(the choices of the category ``cats`` by their own names, see formats/cats.py), 1.0 when
chosen, 0.0 when not. A category the document has nothing in is left out (not known to
be "none of them").

Quotes (annotator/core/quotes.py) also go into ``doc.spans["quotes"]``, one span per
part labelled by its role (CONTENT, CUE, SOURCE, COREFERENCE: what a pronoun source
refers to) with ``span.id_`` naming its quote ("quote1", ...), a source of two quotes
once in each; and into ``doc.user_data["quotes"]`` in Citron's shape, as character
offsets: ``{"cue": [start, end] or None, "sources": [...], "contents": [...],
"coreferences": [...]}``.

spaCy is an optional dependency: ``pip install 'annotator[spacy]'``.
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Any, TypeVar

from annotator.core.errors import AnnotatorError
from annotator.core.models import LabelSchema
from annotator.formats.base import ExportRecord
from annotator.formats.cats import flat_name
from annotator.formats.common import (
    EdgeTrimmer,
    RelationRow,
    SpanLike,
    SpanRow,
    relation_rows,
    span_rows,
)
from annotator.formats.sinks import AtomicFileSink

SPANS_KEY = "sc"
QUOTES_KEY = "quotes"
_ROLES = (("contents", "CONTENT"), ("cues", "CUE"), ("sources", "SOURCE"))
S = TypeVar("S", bound=SpanLike)


def _require_spacy() -> Any:
    try:
        import spacy
        from spacy.tokens import DocBin
    except ImportError:
        raise AnnotatorError(
            "the spacy format needs spaCy, which is not installed: "
            "pip install 'annotator[spacy]' (or pip install spacy)"
        ) from None
    return spacy, DocBin


def non_overlapping(spans: list[S]) -> tuple[list[S], list[S]]:
    """(kept, left out): longest first, then earliest, as spaCy's filter_spans does."""
    # Kept spans never overlap, so sorted by start their ends are sorted too: the one kept
    # span that could overlap a candidate is the last one starting before its end.
    starts: list[int] = []
    ends: list[int] = []
    kept: list[S] = []
    left_out: list[S] = []
    for span in sorted(spans, key=lambda s: (s.start - s.end, s.start)):
        position = bisect.bisect_left(starts, span.end)
        if position and ends[position - 1] > span.start:
            left_out.append(span)
            continue
        starts.insert(position, span.start)
        ends.insert(position, span.end)
        kept.insert(position, span)
    return kept, left_out


class SpacySink(AtomicFileSink):
    def __init__(self, out: Path, schema: LabelSchema, lang: str) -> None:
        spacy, doc_bin = _require_spacy()
        try:
            self.nlp = spacy.blank(lang)
        except (ImportError, KeyError, ValueError) as exc:
            raise AnnotatorError(f"spaCy has no language {lang!r}: {exc}") from None
        super().__init__(out)
        self.schema = schema
        self.bin = doc_bin(store_user_data=True)
        self.misfits = 0
        self.misfit_example = ""
        self.overlaps = 0
        self.trimmer = EdgeTrimmer()
        self.relations_left_out = 0

    def write(self, record: ExportRecord) -> None:
        doc = self.nlp.make_doc(record.text)
        spans, only_whitespace = self.trimmer.trim(record.doc_id, record.text, span_rows(record))
        made = {span.id: doc.char_span(span.start, span.end, label=span.label) for span in spans}
        bad = [span for span in spans if made[span.id] is None]
        if bad:
            self.misfits += len(bad)
            self.misfit_example = self.misfit_example or (
                f"document {record.doc_id} span {bad[0].id} {bad[0].text!r}"
            )
            doc = self._retokenized(doc, record.text, spans)
            made = {
                span.id: doc.char_span(span.start, span.end, label=span.label) for span in spans
            }
        doc.spans[SPANS_KEY] = [made[span.id] for span in spans]
        entity_labels = set(self.schema.names_in("entity"))
        entities = [
            s for s in spans if s.label in entity_labels or self.schema.label(s.label) is None
        ]
        kept, left_out = non_overlapping(entities)
        self.overlaps += len(left_out)
        doc.ents = [made[span.id] for span in kept]
        doc.cats = self._doc_cats(record.cats())
        doc.user_data["id"] = record.doc_id
        doc.user_data["annotator"] = record.annotator
        relations = relation_rows(record)
        kept_relations = [
            r for r in relations if r.head not in only_whitespace and r.tail not in only_whitespace
        ]
        self.relations_left_out += len(relations) - len(kept_relations)
        doc.user_data["relations"] = [
            {
                "label": rel.label,
                "head": [made[rel.head].start_char, made[rel.head].end_char],
                "tail": [made[rel.tail].start_char, made[rel.tail].end_char],
            }
            for rel in kept_relations
        ]
        self._add_quotes(doc, made, kept_relations)
        self.bin.add(doc)

    def _add_quotes(self, doc: Any, made: dict[str, Any], relations: list[RelationRow]) -> None:
        from spacy.tokens import Span

        from annotator.core.quotes import QuoteGraph

        parts: list[Any] = []
        quotes: list[dict[str, Any]] = []
        for number, quote in enumerate(QuoteGraph(relations).quotes(), 1):
            quote_id = f"quote{number}"
            roles = [*_ROLES, ("antecedents", "COREFERENCE")]
            for field, role in roles:
                for span_id in getattr(quote, field):
                    part = made.get(span_id)
                    if part is not None:
                        parts.append(Span(doc, part.start, part.end, label=role, span_id=quote_id))

            def offsets(ids: list[str]) -> list[list[int]]:
                return [[made[i].start_char, made[i].end_char] for i in ids if i in made]

            cues = offsets(quote.cues)
            quotes.append(
                {
                    "cue": cues[0] if cues else None,
                    "sources": offsets(quote.sources),
                    "contents": offsets(quote.contents),
                    "coreferences": offsets(quote.antecedents),
                }
            )
        if quotes:
            doc.spans[QUOTES_KEY] = parts
            doc.user_data["quotes"] = quotes

    def _doc_cats(self, cats: dict[str, list[str]]) -> dict[str, float]:
        scores: dict[str, float] = {}
        for name, chosen in cats.items():
            category = self.schema.category(name)
            options = category.choices if category is not None else []
            for choice in [*options, *(choice for choice in chosen if choice not in options)]:
                scores[flat_name(name, choice)] = 1.0 if choice in chosen else 0.0
        return scores

    def _retokenized(self, doc: Any, text: str, spans: list[SpanRow]) -> Any:
        """The same text with tokens split at every span edge (whitespace made a token too)."""
        from spacy.attrs import IDX, LENGTH, SPACY
        from spacy.tokens import Doc

        # One pass over the tokens (as plain numbers: a long article has a hundred thousand
        # tokens) and the sorted cuts together.
        cuts = sorted({p for s in spans for p in (s.start, s.end)})
        cuts.append(len(text) + 1)
        starts = {s.start for s in spans}
        ends = {s.end for s in spans}
        words: list[str] = []
        spaces: list[bool] = []
        next_cut = 0
        for start, length, space in doc.to_array([IDX, LENGTH, SPACY]).tolist():
            end = start + length
            while cuts[next_cut] <= start:
                next_cut += 1
            position = start
            while cuts[next_cut] < end:
                words.append(text[position : cuts[next_cut]])
                spaces.append(False)
                position = cuts[next_cut]
                next_cut += 1
            words.append(text[position:end])
            spaces.append(False)
            if space:
                # A span starting at, or ending just after, a trailing space needs it as a token.
                if end in starts or end + 1 in ends:
                    words.append(" ")
                    spaces.append(False)
                else:
                    spaces[-1] = True
        rebuilt = Doc(self.nlp.vocab, words=words, spaces=spaces)
        if rebuilt.text != text:
            raise AnnotatorError("internal: retokenized text differs from the document text")
        return rebuilt

    def finish(self) -> None:
        self.handle.write(self.bin.to_bytes())
        self.trimmer.report(self.warnings)
        if self.relations_left_out:
            self.warnings.append(
                f"{self.relations_left_out} relation(s) joining a span of only whitespace left out"
            )
        if self.misfits:
            self.warnings.append(
                f"{self.misfits} span(s) fit no spaCy token boundary (first: {self.misfit_example}); "
                "their tokens were split at the span edges so the spans are kept exactly"
            )
        if self.overlaps:
            self.warnings.append(
                f"{self.overlaps} overlapping entity span(s) left out of doc.ents "
                f"(they are in doc.spans[{SPANS_KEY!r}])"
            )


class SpacyWriter:
    name = "spacy"
    suffix = ".spacy"

    def open(self, out: Path, schema: LabelSchema, options: dict[str, Any]) -> SpacySink:
        return SpacySink(out, schema, str(options.get("lang") or "en"))


writer = SpacyWriter()
