"""The default label schema: news entities, claims, quotes, sources and attribution."""

from __future__ import annotations

from annotator.core.models import Label, LabelSchema, RelationType

# A quote as the field annotates it (PARC, BBC R&D's Citron): contents, a cue, sources,
# and what a pronoun source refers to, joined by these relations (core/quotes.py).
from annotator.core.quotes import ATTRIBUTED_TO, CONTINUES, COREF, CUE, QUOTE_RELATIONS

__all__ = ["ATTRIBUTED_TO", "CONTINUES", "COREF", "CUE", "QUOTE_RELATIONS", "default_schema"]

# Paul Tol's "light" and "muted" schemes and Okabe-Ito: chosen to stay distinguishable
# under the common colour-vision deficiencies, every pair at least
# annotator.core.palette.MIN_DISTANCE apart in CIELAB (a test keeps it so).
_DEFAULT_LABELS: list[tuple[str, str, str, str, str]] = [
    ("PERSON", "entity", "#77AADD", "P", "A named person"),
    ("ORG", "entity", "#EE8866", "O", "Company, agency, institution, party"),
    ("GPE", "entity", "#44BB99", "G", "Country, city, state"),
    ("LOC", "entity", "#117733", "L", "Non-political location: region, body of water, mountain"),
    ("NORP", "entity", "#BBCC33", "N", "Nationality, religious or political group"),
    ("EVENT", "entity", "#FFAABB", "E", "Named event: war, summit, parade"),
    ("DATE", "entity", "#DDDDDD", "D", "Absolute or relative date or period"),
    ("QUANTITY", "entity", "#E69F00", "M", "Money, percentage, measurement, count"),
    ("CLAIM", "claim", "#EEDD88", "C", "A checkable statement of fact"),
    ("QUOTE", "quote", "#CC6677", "Q", "Direct or indirect speech"),
    ("SOURCE", "source", "#AA4499", "S", "Who said it, or where it came from"),
    ("CUE", "cue", "#0072B2", "U", "The words that introduce a quote: said, told, according to"),
]


def default_schema() -> LabelSchema:
    labels = [
        Label(name=name, category=category, color=color, hotkey=hotkey, description=description)
        for name, category, color, hotkey, description in _DEFAULT_LABELS
    ]
    entity_names = [name for name, category, *_ in _DEFAULT_LABELS if category == "entity"]
    contents = ["QUOTE", "CLAIM"]
    speakers = ["SOURCE", *entity_names]
    relations = [
        RelationType(name=ATTRIBUTED_TO, head=contents, tail=speakers, hotkey="R"),
        RelationType(name=CUE, head=contents, tail=["CUE"], hotkey="V"),
        RelationType(name=CONTINUES, head=contents, tail=contents, hotkey="J"),
        RelationType(name=COREF, head=speakers, tail=speakers, hotkey="H"),
    ]
    return LabelSchema(labels=labels, relations=relations)
