"""Helpers shared by the store, format and command-line tests."""

from __future__ import annotations

from pathlib import Path

from annotator.core import Document, DocumentAnnotation, Span
from annotator.store.interface import ProjectStore

# Texts that trip up offset and encoding code: emoji with a skin tone, a combining mark,
# CJK, curly quotes, NBSP, a tab.
TRICKY = "Putin 👍🏽 said “café\u0301” in 北京.\tDone\u00a0now."


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (lock files aside, they are per process) and its bytes."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.endswith(".lock")
    }


def make_documents(count: int, prefix: str = "doc") -> list[Document]:
    return [
        Document(
            id=f"{prefix}-{number}",
            text=f"Headline {number}\n\n{TRICKY} Paragraph {number}.",
            meta={"title": f"Headline {number}", "n": number},
        )
        for number in range(count)
    ]


def labelled(
    project: ProjectStore, doc_id: str, phrases: list[tuple[str, str]]
) -> DocumentAnnotation:
    """Labels on a stored document: each (label, phrase) at the phrase's first place."""
    text = project.get_text(doc_id)
    annotation = DocumentAnnotation(doc_id=doc_id)
    for label, phrase in phrases:
        start = text.index(phrase)
        annotation.add_span(
            Span.of(text, start, start + len(phrase), label, annotation.next_span_id())
        )
    return annotation
