"""What each annotator added or changed since the reviewer last looked.

The reviewer's last look is a small file, PROJECT/review/REVIEWER.json, holding for each
annotator and document the journal's summary at that time (when it was saved, status,
span and relation counts). Comparing it with the journals' summaries now costs one pass
over the journal indexes: no labels are read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from annotator.core.models import now_iso
from annotator.review.source import analysts
from annotator.store.interface import ProjectStore

REVIEW_DIR = "review"
STATE_VERSION = 1

ChangeKind = Literal["added", "changed"]
# updated, status, spans, relations: what a journal's index says about one document.
Summary = tuple[str, str, int, int]


@dataclass(frozen=True, slots=True)
class LayerChange:
    annotator: str
    doc_id: str
    kind: ChangeKind
    status: str
    spans: int
    relations: int
    spans_before: int = 0
    relations_before: int = 0
    status_before: str = ""

    def describe(self, title: str | None = None) -> str:
        name = title or self.doc_id
        if self.kind == "added":
            return f"{self.annotator} labelled {name}: {self.spans} spans, {self.relations} relations ({self.status})"
        parts = []
        if self.spans != self.spans_before:
            parts.append(f"spans {self.spans_before} -> {self.spans}")
        if self.relations != self.relations_before:
            parts.append(f"relations {self.relations_before} -> {self.relations}")
        if self.status != self.status_before:
            parts.append(f"{self.status_before} -> {self.status}")
        return f"{self.annotator} changed {name}: {', '.join(parts) or 'labels edited'}"


def current_state(
    project: ProjectStore, annotators: Sequence[str] | None = None
) -> dict[str, dict[str, Summary]]:
    state: dict[str, dict[str, Summary]] = {}
    for name in annotators or analysts(project):
        store = project.annotations(name, writable=False)
        layer: dict[str, Summary] = {}
        for doc_id in store.doc_ids():
            entry = store.summary(doc_id)
            if entry is not None:
                layer[doc_id] = (entry.updated, entry.status, entry.spans, entry.relations)
        state[name] = layer
    return state


def load_seen(project: ProjectStore, reviewer: str) -> dict[str, dict[str, Summary]] | None:
    """What the reviewer saw last time, or None if they never marked anything seen."""
    saved = project.read_state(REVIEW_DIR, reviewer)
    if saved is None:
        return None
    try:
        data: Any = orjson.loads(saved)
    except orjson.JSONDecodeError:
        # A damaged bookmark only costs the reviewer a longer "what changed" list.
        return None
    layers = data.get("layers") if isinstance(data, dict) else None
    if not isinstance(layers, dict):
        return None
    seen: dict[str, dict[str, Summary]] = {}
    for name, docs in layers.items():
        if isinstance(docs, dict):
            seen[name] = {
                doc_id: (str(v[0]), str(v[1]), int(v[2]), int(v[3]))
                for doc_id, v in docs.items()
                if isinstance(v, list) and len(v) == 4
            }
    return seen


def changes_since_seen(
    project: ProjectStore, reviewer: str, annotators: Sequence[str] | None = None
) -> list[LayerChange]:
    """Documents each annotator labelled or changed since ``reviewer`` last marked them seen.

    Ordered by annotator, then by project document order.
    """
    seen = load_seen(project, reviewer) or {}
    now = current_state(project, annotators)
    order = project.rows_of({doc_id for layer in now.values() for doc_id in layer})
    changes: list[LayerChange] = []
    for name in sorted(now):
        before_layer = seen.get(name, {})
        for doc_id in sorted(now[name], key=lambda d: order.get(d, len(order))):
            updated, status, spans, relations = now[name][doc_id]
            before = before_layer.get(doc_id)
            if before is None:
                if spans or relations or status != "todo":
                    changes.append(LayerChange(name, doc_id, "added", status, spans, relations))
            elif before[0] != updated:
                changes.append(
                    LayerChange(
                        name,
                        doc_id,
                        "changed",
                        status,
                        spans,
                        relations,
                        before[2],
                        before[3],
                        before[1],
                    )
                )
    return changes


def mark_seen(
    project: ProjectStore, reviewer: str, annotators: Sequence[str] | None = None
) -> None:
    """Remember the annotators' labels as they are now, as seen by ``reviewer``."""
    state = current_state(project, annotators)
    previous = load_seen(project, reviewer) or {}
    # Annotators left out of this review keep their earlier bookmark.
    merged = {**previous, **state}
    data = {
        "version": STATE_VERSION,
        "reviewer": reviewer,
        "seen_at": now_iso(),
        "layers": {
            name: {doc: list(summary) for doc, summary in docs.items()}
            for name, docs in merged.items()
        },
    }
    project.write_state(REVIEW_DIR, reviewer, orjson.dumps(data) + b"\n")


def count_changes(changes: Sequence[LayerChange]) -> dict[str, dict[ChangeKind, int]]:
    counts: dict[str, dict[ChangeKind, int]] = {}
    for change in changes:
        per = counts.setdefault(change.annotator, {"added": 0, "changed": 0})
        per[change.kind] += 1
    return counts
