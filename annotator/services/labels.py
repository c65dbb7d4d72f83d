"""Imported labels: annotator and label names, merging with saved labels, and the labels
an import adds to the schema."""

from __future__ import annotations

import re
from collections.abc import Iterator
from operator import attrgetter, itemgetter

from pydantic import ValidationError

from annotator.core.errors import AnnotatorError
from annotator.core.models import (
    Category,
    DocumentAnnotation,
    DocumentCategory,
    Label,
    LabelSchema,
    Relation,
    RelationType,
    now_iso,
)
from annotator.core.records import check_ids
from annotator.formats.base import CheckedLabels
from annotator.store.names import check_annotator_name

DEFAULT_IMPORT_ANNOTATOR = "imported"

LABEL_NAME_OK = re.compile(r"^[^\s,]+$")
_label_of = attrgetter("label")
_label_key = itemgetter("label")


def check_layer_name(name: str, annotator: str | None, where: str) -> None:
    """An annotator name a source gives (it names a file): refused, with the record's
    file and line, unless it is a plain name; --annotator replaces it."""
    try:
        check_annotator_name(name)
    except AnnotatorError as exc:
        if annotator is not None:
            raise
        raise AnnotatorError(
            f"{where}: {exc}; name another with --annotator NAME to import these labels"
        ) from None


def span_labels(labels: CheckedLabels) -> Iterator[str]:
    """The spans' labels."""
    return map(_label_key, labels.records[0])


def relation_labels(labels: CheckedLabels) -> Iterator[str]:
    return map(_label_key, labels.records[1])


def usable_label_names(labels: CheckedLabels, renamed: dict[str, str]) -> CheckedLabels:
    """Labels whose names the schema cannot hold (spaces, commas) renamed, and remembered."""
    if all(map(LABEL_NAME_OK.match, set(span_labels(labels)))):
        return labels
    spans = []
    span_models, relations = labels.models()
    for span in span_models:
        if not LABEL_NAME_OK.match(span.label):
            new_name = re.sub(r"[\s,]+", "_", span.label.strip())
            renamed[span.label] = new_name
            span = span.model_copy(update={"label": new_name})
        spans.append(span)
    return CheckedLabels.of_models(spans, relations, labels.status, labels.note, labels.cats)


def merge_labels(
    existing: DocumentAnnotation | None, doc_id: str, digest: str, labels: CheckedLabels
) -> DocumentAnnotation:
    """Add imported labels to a document's labels; a span already there is not added twice."""
    spans, relations = labels.models()
    if existing is None or (not existing.spans and not existing.relations):
        # The spans and relations are models already: only what ties them together is
        # checked here (the save checks them against the text again).
        annotation = DocumentAnnotation.model_construct(
            doc_id=doc_id,
            text_hash=digest,
            status="todo",
            note=labels.note or (existing.note if existing else ""),
            updated=now_iso(),
            spans=list(spans),
            relations=list(relations),
            provenance={},
            cats=_union_cats(existing.cats if existing else {}, labels.cats),
        )
        try:
            check_ids(annotation)
        except ValidationError as exc:
            raise AnnotatorError(
                str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            ) from None
        if labels.status is not None:
            annotation.status = labels.status
        elif existing is not None:
            annotation.status = existing.status
        elif spans:
            annotation.status = "in_progress"
        return annotation
    if existing.text_hash and existing.text_hash != digest:
        raise AnnotatorError(f"labels for {doc_id} were made on a different text")
    annotation = existing.model_copy(deep=True)
    id_map: dict[str, str] = {}
    for span in spans:
        same = annotation.find_span(span.start, span.end, span.label)
        if same is not None:
            id_map[span.id] = same.id
            continue
        new_id = span.id if annotation.span(span.id) is None else annotation.next_span_id()
        annotation.add_span(span.model_copy(update={"id": new_id}))
        id_map[span.id] = new_id
    for rel in relations:
        head, tail = id_map[rel.head], id_map[rel.tail]
        if annotation.find_relation(rel.label, head, tail) is not None:
            continue
        new_id = rel.id if annotation.relation(rel.id) is None else annotation.next_relation_id()
        annotation.add_relation(Relation(id=new_id, label=rel.label, head=head, tail=tail))
    if labels.cats:
        annotation.cats = _union_cats(annotation.cats, labels.cats)
    if labels.status is not None:
        annotation.status = labels.status
    return annotation


def _union_cats(
    saved: dict[str, list[str]], imported: dict[str, list[str]]
) -> dict[str, list[str]]:
    """Imported choices added to the saved ones, as imported spans are (Prodigy writes a
    binary textcat task per label, each one choice of the same document)."""
    cats = {name: list(chosen) for name, chosen in saved.items()}
    for name, chosen in imported.items():
        into = cats.setdefault(name, [])
        into.extend(choice for choice in chosen if choice not in into)
    return cats


def same_labels(old: DocumentAnnotation, new: DocumentAnnotation) -> bool:
    return (old.spans, old.relations, old.status, old.note, old.text_hash, old.cats) == (
        new.spans,
        new.relations,
        new.status,
        new.note,
        new.text_hash,
        new.cats,
    )


def guess_category(label: str) -> Category:
    upper = label.upper()
    for word, category in (("QUOTE", "quote"), ("CLAIM", "claim"), ("SOURCE", "source")):
        if word in upper:
            return category  # type: ignore[return-value]
    return "entity"


def extend_schema(
    schema: LabelSchema,
    labels: dict[str, Category],
    relations: set[str],
    categories: dict[str, tuple[list[str], bool]] | None = None,
) -> LabelSchema:
    from annotator.core.palette import free_hotkey, next_colour

    # Each new label gets the colour most distinct from those already given, and a hotkey
    # no other label or relation uses.
    colours = [label.color for label in schema.labels]
    hotkeys: list[str | None] = [label.hotkey for label in schema.labels]
    hotkeys += [relation.hotkey for relation in schema.relations]
    extra_labels = []
    for name, category in labels.items():
        colour, hotkey = next_colour(colours), free_hotkey(hotkeys, name)
        extra_labels.append(Label(name=name, category=category, color=colour, hotkey=hotkey or ""))
        colours.append(colour)
        hotkeys.append(hotkey)
    extra_relations = [RelationType(name=name) for name in sorted(relations)]
    return LabelSchema(
        labels=[*schema.labels, *extra_labels],
        relations=[*schema.relations, *extra_relations],
        categories=_extended_categories(schema, categories or {}),
    )


def _extended_categories(
    schema: LabelSchema, added: dict[str, tuple[list[str], bool]]
) -> list[DocumentCategory]:
    """The schema's categories with the choices an import added, then its new categories
    (``added``: name -> (choices the schema lacks, whether a document chose several))."""
    result = []
    for category in schema.categories:
        extra, _ = added.get(category.name, ([], False))
        if extra:
            category = category.model_copy(update={"choices": [*category.choices, *extra]})
        result.append(category)
    known = {category.name for category in schema.categories}
    for name, (choices, multiple) in added.items():
        if name not in known:
            result.append(DocumentCategory(name=name, choices=choices, multiple=multiple))
    return result
