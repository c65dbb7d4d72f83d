# The compiled offset helpers (_offsets.c); formats/compiled.py hands them out.
from typing import Any

def doccano_spans(
    texts: list[str], span_lists: list[list[Any]], unit: int, /
) -> tuple[list[list[dict[str, Any]]], list[str], list[int]] | None: ...
def doccano_entities(text: str, spans: list[dict[str, Any]], /) -> bytes | None: ...
def doccano_sealed(
    text: str, line: bytes, spans_at: int, span_count: int, relation_count: int, /
) -> tuple[bytes, bytes, tuple[int, int, int]] | None: ...
def label_studio_regions(
    text: str, results: list[Any], /
) -> (
    tuple[list[dict[str, Any]], dict[str, tuple[str]], list[tuple[int, dict[str, Any]]]] | None
): ...
