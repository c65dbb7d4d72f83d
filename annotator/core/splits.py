"""Which split (train, dev, test) a document belongs to, decided by its id alone.

A hash of the id, not a random draw: a document never moves between splits when the
project grows, so a model is never checked on a document it was trained on.
"""

from __future__ import annotations

import hashlib


def split_point(doc_id: str) -> float:
    """A stable number in [0, 1) for a document id."""
    digest = hashlib.sha256(doc_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(doc_id: str, split: list[tuple[str, float]]) -> str:
    """The split a document belongs to, given (name, share) pairs that add up to 1."""
    point = split_point(doc_id)
    cumulative = 0.0
    for name, share in split:
        cumulative += share
        if point < cumulative:
            return name
    return split[-1][0]
