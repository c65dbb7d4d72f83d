"""Plain articles: .txt and .md files, or folders of them (recursive, sorted).

Text is stored as the analyst will see it: a UTF-8 BOM is dropped, \\r\\n and lone \\r
become \\n (counted in ``meta["newlines"]``), nothing else changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from annotator.core.errors import InputError
from annotator.core.models import Document
from annotator.core.text import headline_title, normalize_newlines, strip_bom
from annotator.formats.base import ImportRecord

TEXT_SUFFIXES = (".txt", ".md")


def decode_utf8(path: Path, data: bytes) -> str:
    """Decode UTF-8 (BOM allowed), or raise an error naming the file, line and byte offset."""
    if b"\x00" in data[:8192]:
        raise InputError(path, "looks like a binary file (contains NUL bytes), not UTF-8 text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            path,
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at byte offset {exc.start} "
            "(save the file as UTF-8 and import again)",
            line,
        ) from None


def read_text_file(path: Path) -> tuple[str, dict[str, object]]:
    """The text as stored, and the meta describing what import changed."""
    text, had_bom = strip_bom(decode_utf8(path, path.read_bytes()))
    text, newlines, _ = normalize_newlines(text)
    meta: dict[str, object] = {}
    if newlines:
        meta["newlines"] = newlines
    if had_bom:
        meta["bom"] = True
    return text, meta


def text_files(path: Path) -> list[tuple[Path, str]]:
    """(file, document id) for a file or every text file below a folder, sorted."""
    if path.is_dir():
        files = sorted(
            (p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES),
            key=lambda p: p.relative_to(path).as_posix(),
        )
        return [(p, p.relative_to(path).with_suffix("").as_posix()) for p in files]
    return [(path, path.stem)]


class TextReader:
    name = "text"

    def sniff(self, path: Path) -> bool:
        return path.is_dir() or path.suffix.lower() in TEXT_SUFFIXES

    def read(self, path: Path) -> Iterator[ImportRecord]:
        files = text_files(path)
        if path.is_dir() and not files:
            raise InputError(path, "folder holds no .txt or .md files")
        for file, doc_id in files:
            text, meta = read_text_file(file)
            if not text.strip():
                raise InputError(file, "file is empty (nothing to label)")
            meta = {"title": headline_title(text, file.stem), "source": file.name, **meta}
            yield ImportRecord(document=Document(id=doc_id, text=text, meta=meta), where=str(file))


reader = TextReader()
