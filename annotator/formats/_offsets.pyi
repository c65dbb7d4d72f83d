# The compiled offset helpers (_offsets.c); formats/compiled.py hands them out.
from typing import Any

def doccano_spans(
    texts: list[str], span_lists: list[list[Any]], unit: int, /
) -> tuple[list[list[dict[str, Any]]], list[str], list[int]] | None: ...
def doccano_entities(text: str, spans: list[dict[str, Any]], /) -> bytes | None: ...
