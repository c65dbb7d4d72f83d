"""The default label schema: news entities, claims, quotes, sources and attribution."""

from __future__ import annotations

from annotator.core.models import Label, LabelSchema, RelationType

ATTRIBUTED_TO = "ATTRIBUTED_TO"

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
]


def default_schema() -> LabelSchema:
    labels = [
        Label(name=name, category=category, color=color, hotkey=hotkey, description=description)
        for name, category, color, hotkey, description in _DEFAULT_LABELS
    ]
    entity_names = [name for name, category, *_ in _DEFAULT_LABELS if category == "entity"]
    attribution = RelationType(
        name=ATTRIBUTED_TO,
        head=["QUOTE", "CLAIM"],
        tail=["SOURCE", *entity_names],
        hotkey="R",
    )
    return LabelSchema(labels=labels, relations=[attribution])
