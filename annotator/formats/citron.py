"""BBC R&D's Citron quote format: one JSON file per document (bbc/citron, docs/data_format.md).

    {"text": "...",
     "quotes": [{"cue": SPAN, "sources": [SPAN...], "contents": [SPAN...],
                 "coreferences": [SPAN...], "confidence": 0.93, "id": "q1"}],
     "coreference_groups": [[SPAN, SPAN...]]}          SPAN = {"start", "end", "text"}

Offsets are Python string indices (code points) into ``text`` as the file holds it.
Every span's ``text`` must equal ``text[start:end]``: a mismatch stops the import with one
line naming the file and the quote. A quote becomes spans and relations (see
annotator/core/quotes.py): its contents QUOTE spans, the first one carrying
``CUE`` -> the CUE span and ``ATTRIBUTED_TO`` -> each SOURCE span, the later ones
``CONTINUES`` -> the first; ``coreferences`` (what the sources refer to) become SOURCE
spans that each source points to with ``COREF`` (source i -> coreference i when the
lists are as long, else every source -> every coreference). The quote's ``id`` and
``confidence`` (and an empty ``coreferences`` list) stay in the first content's
``attrs["citron"]``; ``coreference_groups`` and any other top-level field stay in the
document's ``meta["citron"]``. The export writes all of it back, so a Citron file
imports and exports unchanged, CRLF line endings and ids included.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from annotator.core.errors import InputError
from annotator.core.models import Document, LabelSchema, Relation, Span
from annotator.core.quotes import QuoteGraph
from annotator.core.schema import ATTRIBUTED_TO, CONTINUES, COREF, CUE
from annotator.formats.base import CheckedLabels, ExportRecord, ImportRecord
from annotator.formats.brat import _brat_stem as document_file_stem
from annotator.formats.common import SpanRow, document_meta, relation_rows, span_rows
from annotator.formats.offsets import OffsetError, SourceText
from annotator.formats.sinks import AtomicFolderSink
from annotator.formats.text import decode_utf8

CONTENT_LABEL = "QUOTE"
CUE_LABEL = "CUE"
SOURCE_LABEL = "SOURCE"
# Quote fields kept on the first content's attrs, and document fields kept in meta.
QUOTE_ATTR = "citron"
META_KEY = "citron"
_SPAN_FIELDS = ("cue", "sources", "contents", "coreferences")


def _is_citron(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("quotes"), list) and "text" in data


class CitronReader:
    name = "citron"

    def sniff(self, path: Path) -> bool:
        if path.is_dir():
            first = next(iter(sorted(path.rglob("*.json"))), None)
            return first is not None and _sniff_file(first)
        return path.suffix.lower() == ".json" and _sniff_file(path)

    def read(self, path: Path) -> Iterator[ImportRecord]:
        if not path.is_dir():
            yield _read_file(path, path.stem)
            return
        files = sorted(
            (p for p in path.rglob("*.json") if p.is_file()),
            key=lambda p: p.relative_to(path).as_posix(),
        )
        if not files:
            raise InputError(path, "folder holds no Citron .json files")
        for file in files:
            yield _read_file(file, file.relative_to(path).with_suffix("").as_posix())


def _sniff_file(path: Path) -> bool:
    try:
        head = path.read_bytes()
    except OSError:
        return False
    if not head.lstrip().startswith(b"{"):
        return False
    try:
        return _is_citron(orjson.loads(head))
    except orjson.JSONDecodeError:
        return False


class _Builder:
    """One document's spans (one per range and label) and relations, as they come."""

    def __init__(self, file: Path, source: SourceText) -> None:
        self.file = file
        self.source = source
        self.spans: dict[tuple[int, int, str], dict[str, Any]] = {}
        self.relations: list[Relation] = []
        self._relation_keys: set[tuple[str, str, str]] = set()

    def span(self, raw: Any, label: str, where: str) -> str:
        start, end = self.check(raw, where)
        try:
            stored = (
                self.source.to_stored(start, "codepoint"),
                self.source.to_stored(end, "codepoint"),
            )
        except OffsetError as exc:
            raise InputError(self.file, f"{where}: {exc}") from None
        key = (*stored, label)
        record = self.spans.get(key)
        if record is None:
            record = {"id": f"T{len(self.spans) + 1}", "start": stored[0], "end": stored[1]}
            record["label"], record["attrs"] = label, {}
            self.spans[key] = record
        return str(record["id"])

    def check(self, raw: Any, where: str) -> tuple[int, int]:
        """A span's range in the file's text, once its stated text matches that text."""
        if not isinstance(raw, dict) or not all(key in raw for key in ("start", "end", "text")):
            raise InputError(self.file, f"{where}: a span needs start, end and text")
        start, end, stated = raw["start"], raw["end"], raw["text"]
        if not (type(start) is int and type(end) is int and isinstance(stated, str)):
            raise InputError(self.file, f"{where}: start and end must be integers, text a string")
        original = self.source.original
        if not 0 <= start < end <= len(original):
            raise InputError(
                self.file,
                f"{where}: [{start}, {end}) is not a range inside the text (length {len(original)})",
            )
        covered = original[start:end]
        if covered != stated:
            raise InputError(
                self.file,
                f"{where}: says {stated!r} but the text at [{start}, {end}) is {covered!r}",
            )
        return start, end

    def relate(self, label: str, head: str, tail: str) -> None:
        if head == tail or (label, head, tail) in self._relation_keys:
            return
        self._relation_keys.add((label, head, tail))
        rel_id = f"R{len(self.relations) + 1}"
        self.relations.append(Relation(id=rel_id, label=label, head=head, tail=tail))

    def labels(self) -> CheckedLabels:
        text = self.source.text
        spans = [
            Span(
                id=r["id"],
                start=r["start"],
                end=r["end"],
                label=r["label"],
                text=text[r["start"] : r["end"]],
                attrs=r["attrs"],
            )
            for r in self.spans.values()
        ]
        return CheckedLabels.of_models(spans, self.relations, text=text)


def _read_file(file: Path, doc_id: str) -> ImportRecord:
    try:
        data = orjson.loads(decode_utf8(file, file.read_bytes()).removeprefix("\ufeff"))
    except orjson.JSONDecodeError as exc:
        raise InputError(file, f"not JSON: {exc.msg}", exc.lineno) from None
    if not isinstance(data, dict):
        raise InputError(file, "a Citron file holds one JSON object (text, quotes)")
    text = data.get("text")
    if not isinstance(text, str):
        raise InputError(file, "no text: a Citron file names its document's text in 'text'")
    quotes = data.get("quotes", [])
    if not isinstance(quotes, list):
        raise InputError(file, "'quotes' must be a list")
    source = SourceText(text)
    builder = _Builder(file, source)
    for number, quote in enumerate(quotes):
        _read_quote(builder, quote, number)
    extra = {key: value for key, value in data.items() if key not in ("text", "quotes")}
    for number, group in enumerate(extra.get("coreference_groups") or []):
        if not isinstance(group, list):
            raise InputError(file, f"coreference_groups[{number}] must be a list of spans")
        for member, raw in enumerate(group):
            # Checked like the quotes' spans, kept as they are (document meta, not labels).
            builder.check(raw, f"coreference_groups[{number}][{member}]")
    changes = source.meta()
    if extra:
        changes[META_KEY] = extra
    meta = document_meta({"source": file.name}, source.text, changes)
    record = ImportRecord(Document(id=doc_id, text=source.text, meta=meta), where=str(file))
    record.labels[None] = builder.labels()
    return record


def _read_quote(builder: _Builder, quote: Any, number: int) -> None:
    file = builder.file
    if not isinstance(quote, dict):
        raise InputError(file, f"quotes[{number}]: a quote is an object (cue, sources, contents)")
    name = f"quotes[{number}]" + (f" (id {quote['id']})" if "id" in quote else "")
    contents = quote.get("contents")
    if not isinstance(contents, list) or not contents:
        raise InputError(file, f"{name}: a quote needs at least one span in 'contents'")
    for key in ("sources", "coreferences"):
        if quote.get(key) is not None and not isinstance(quote[key], list):
            raise InputError(file, f"{name}: '{key}' must be a list of spans")
    content_ids = [
        builder.span(raw, CONTENT_LABEL, f"{name} contents[{i}]") for i, raw in enumerate(contents)
    ]
    root = content_ids[0]
    if quote.get("cue") is not None:
        builder.relate(CUE, root, builder.span(quote["cue"], CUE_LABEL, f"{name} cue"))
    sources = [
        builder.span(raw, SOURCE_LABEL, f"{name} sources[{i}]")
        for i, raw in enumerate(quote.get("sources") or [])
    ]
    for source in sources:
        builder.relate(ATTRIBUTED_TO, root, source)
    for content in content_ids[1:]:
        builder.relate(CONTINUES, content, root)
    corefs = [
        builder.span(raw, SOURCE_LABEL, f"{name} coreferences[{i}]")
        for i, raw in enumerate(quote.get("coreferences") or [])
    ]
    if len(corefs) == len(sources):
        for source, coref in zip(sources, corefs, strict=True):
            builder.relate(COREF, source, coref)
    else:
        for source in sources:
            for coref in corefs:
                builder.relate(COREF, source, coref)
    kept = {key: value for key, value in quote.items() if key not in _SPAN_FIELDS}
    if quote.get("coreferences") == []:
        kept["coreferences"] = []
    if kept:
        record = next(r for r in builder.spans.values() if r["id"] == root)
        record["attrs"] = {QUOTE_ATTR: kept}


# --- export ------------------------------------------------------------------------------


class _Original:
    """The text as the source file had it, when import changed its line endings: offsets
    are written into that text (\\r\\n counting two), so a file comes back unchanged."""

    def __init__(self, text: str, meta: dict[str, Any]) -> None:
        newlines = meta.get("newlines") or {}
        crlf = newlines.get("crlf", 0) if isinstance(newlines, dict) else 0
        self.restored = bool(crlf) and set(newlines) == {"crlf"} and text.count("\n") == crlf
        self.text = text.replace("\n", "\r\n") if self.restored else text
        self._breaks = [i for i, c in enumerate(text) if c == "\n"] if self.restored else []
        # Offsets kept verbatim (coreference_groups) still fit the text written.
        self.exact = not meta.get("bom") and (not newlines or self.restored)

    def offset(self, stored: int) -> int:
        if not self._breaks:
            return stored
        from bisect import bisect_left

        return stored + bisect_left(self._breaks, stored)

    def span(self, span: SpanRow) -> dict[str, Any]:
        start, end = self.offset(span.start), self.offset(span.end)
        return {"start": start, "end": end, "text": self.text[start:end]}


def citron_document(record: ExportRecord, warnings: list[str]) -> dict[str, Any]:
    """One document as a Citron JSON object."""
    doc_id = record.doc_id
    original = _Original(record.text, record.meta)
    spans = {span.id: span for span in span_rows(record)}
    graph = QuoteGraph(relation_rows(record))
    quotes: list[dict[str, Any]] = []
    in_quotes: set[str] = set()
    for quote in graph.quotes():
        root = spans[quote.root]
        if not quote.cues:
            warnings.append(
                f"document {doc_id}: quote “{_short(root.text)}” has no CUE (Citron needs one); left out"
            )
            continue
        if len(quote.cues) > 1:
            warnings.append(
                f"document {doc_id}: quote “{_short(root.text)}” has {len(quote.cues)} cues; "
                "Citron takes one, the first is written"
            )
        in_quotes |= quote.parts()
        written: dict[str, Any] = {
            "cue": original.span(spans[quote.cues[0]]),
            "sources": [original.span(spans[i]) for i in quote.sources],
            "contents": [original.span(spans[i]) for i in quote.contents],
        }
        if quote.antecedents:
            written["coreferences"] = [original.span(spans[i]) for i in quote.antecedents]
        kept = root.attrs.get(QUOTE_ATTR)
        if isinstance(kept, dict):
            written.update({k: v for k, v in kept.items() if k not in written})
        quotes.append(written)
    outside = len(spans) - len(in_quotes & spans.keys())
    if outside:
        warnings.append(
            f"document {doc_id}: {outside} span(s) in no quote left out (Citron holds quotes only)"
        )
    document: dict[str, Any] = {"text": original.text, "quotes": quotes}
    extra = record.meta.get(META_KEY)
    if isinstance(extra, dict):
        for key, value in extra.items():
            if key == "coreference_groups" and not original.exact:
                warnings.append(
                    f"document {doc_id}: coreference_groups left out (the text's line endings "
                    "changed at import, so their offsets no longer fit)"
                )
                continue
            document.setdefault(key, value)
    return document


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class CitronSink(AtomicFolderSink):
    def __init__(self, out: Path) -> None:
        super().__init__(out)
        self.used: set[str] = set()

    def write(self, record: ExportRecord) -> None:
        stem = document_file_stem(record.doc_id, self.used)
        target = self.folder / f"{stem}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        document = citron_document(record, self.warnings)
        target.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")


class CitronWriter:
    name = "citron"
    suffix = ""

    def open(self, out: Path, schema: LabelSchema, options: dict[str, Any]) -> CitronSink:
        return CitronSink(out)


reader = CitronReader()
writer = CitronWriter()
