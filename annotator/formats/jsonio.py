"""Reading JSON sources one object at a time, with a location for every message.

Handles what the tools actually write: JSON Lines (Prodigy, doccano), one JSON array
(Label Studio), and JSON objects pretty-printed one after another over many lines (doccano's
own "JSONL" examples). JSON Lines are read line by line and big arrays element by element,
so a 100,000-task file is never held as Python objects all at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from annotator.core.errors import InputError
from annotator.formats.compiled import compiled_offsets
from annotator.formats.text import decode_utf8

# JSON arrays are read this many bytes at a time (a quarter of a megabyte: the decoded
# text of a chunk takes up to four times that).
ARRAY_CHUNK_BYTES = 1 << 18
_SPACE = re.compile(r"[ \t\r\n]*")
_PEEK_BYTES = 1 << 20
# JSON Lines are read this many bytes of lines at a time.
_LINE_CHUNK_BYTES = 1 << 17
_WHITESPACE = " \t\r\n"


@dataclass(frozen=True)
class Location:
    """Where one object sits in its file: a line (when known) and a JSON path."""

    path: Path
    line: int | None
    pointer: str = ""

    def error(self, message: str) -> InputError:
        if self.pointer:
            message = f"{self.pointer}: {message}"
        return InputError(self.path, message, self.line)

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.path}:{self.line}"
        return f"{self.path}: {self.pointer}" if self.pointer else str(self.path)


def _first_char(head: bytes) -> str:
    stripped = head.lstrip(b"\xef\xbb\xbf" + _WHITESPACE.encode())
    return chr(stripped[0]) if stripped else ""


def iter_json_objects(path: Path) -> Iterator[tuple[dict[str, Any], Location]]:
    """Every JSON object in ``path``, with its location; any broken part refuses the file."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if b"\x00" in head:
        raise InputError(path, "looks like a binary file (contains NUL bytes), not JSON")
    first = _first_char(head)
    if not first:
        raise InputError(path, "file is empty")
    if first == "[":
        yield from _iter_array(path)
    elif first == "{":
        if _is_json_lines(path):
            yield from _iter_lines(path)
        else:
            yield from _iter_concatenated(path)
    else:
        raise InputError(path, f"not JSON: starts with {first!r}, not '{{' or '['", 1)


def _is_json_lines(path: Path) -> bool:
    """True when the first non-empty line is a whole JSON value (else objects span lines)."""
    with open(path, "rb") as handle:
        for line in handle:
            if line.strip(b"\xef\xbb\xbf" + _WHITESPACE.encode()):
                try:
                    orjson.loads(line.lstrip(b"\xef\xbb\xbf"))
                except orjson.JSONDecodeError as exc:
                    return not _continues(exc)
                return True
    return True


def _continues(exc: orjson.JSONDecodeError) -> bool:
    """Whether a line orjson refused may be the first part of an object over many lines
    (or of objects one after another), rather than a line that is wrong in itself (NaN,
    nesting too deep, a lone surrogate): only the first is left to the slower decoder,
    which would accept NaN and surrogates and recurse until Python's limit."""
    return exc.msg in ("unexpected end of data", "unexpected content after document")


def reads_json_lines(path: Path) -> bool:
    """Whether :func:`iter_json_objects` reads ``path`` as JSON Lines (one object a line,
    read by :func:`json_line_objects`); False for anything else, arrays and errors alike."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
    return b"\x00" not in head and _first_char(head) == "{" and _is_json_lines(path)


def json_line_chunks(path: Path, size: int) -> Iterator[tuple[list[bytes], int]]:
    """A file's lines, about ``size`` bytes at a time, each batch with its first line's number."""
    with open(path, "rb", buffering=size) as handle:
        line_no = 1
        lines = handle.readlines(size)
        while lines:
            yield lines, line_no
            line_no += len(lines)
            lines = handle.readlines(size)


def json_line_objects(
    path: Path, lines: list[bytes], first_line: int
) -> Iterator[tuple[dict[str, Any], Location]]:
    """The objects of consecutive lines of a JSON Lines file (``first_line`` the number of
    ``lines[0]``), as :func:`iter_json_objects` reads them, with its messages."""
    for line_no, line in enumerate(lines, first_line):
        if line_no == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as bad:
                raise InputError(
                    path, f"not UTF-8 text: byte 0x{line[bad.start]:02x}", line_no
                ) from None
            what = "truncated JSON line" if not line.endswith(b"\n") else "broken JSON line"
            raise InputError(path, f"{what}: {_strict_reason(exc)}", line_no) from None
        if not isinstance(item, dict):
            raise InputError(path, "line is not a JSON object", line_no)
        yield item, Location(path, line_no)


def _iter_lines(path: Path) -> Iterator[tuple[dict[str, Any], Location]]:
    for lines, first_line in json_line_chunks(path, _LINE_CHUNK_BYTES):
        yield from json_line_objects(path, lines, first_line)


def _read_text(path: Path) -> str:
    text = decode_utf8(path, path.read_bytes())
    return text.removeprefix("\ufeff")


def _iter_array(path: Path) -> Iterator[tuple[dict[str, Any], Location]]:
    """The elements of a JSON array: as lines of bytes while the file is written one
    element a line (:func:`_element_lines`), and from where it is not, decoded as text
    (:func:`_iter_array_text`)."""
    taken = yield from _element_lines(path)
    if taken is not None:
        for index, element in enumerate(_iter_array_text(path)):
            if index >= taken:
                yield element


def _element_lines(path: Path) -> Generator[tuple[dict[str, Any], Location], None, int | None]:
    """The elements of an array written as exports write it (``[``, then one object a
    line, a comma after each but perhaps the last, then ``]``), each line's bytes read
    by orjson alone: the text is neither decoded nor copied. Returns None once the whole
    array is read, or how many elements it gave when a line is anything else (the text
    reader takes over there, and reads or refuses it as ever)."""
    taken = 0
    with open(path, "rb") as handle:
        lines = enumerate(handle, 1)
        for number, line in lines:
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            stripped = line.strip(_WHITESPACE_BYTES)
            if stripped:
                break
        else:
            return taken
        if stripped != b"[":
            return taken
        closed = False
        need_comma = False
        for number, line in lines:
            element: bytes | memoryview
            if line.startswith(b"{") and line.endswith(b"},\n"):
                # As exports write it: the object, read where it lies (no copy).
                element, comma = memoryview(line)[:-2], True
            else:
                stripped = line.strip(_WHITESPACE_BYTES)
                if not stripped:
                    continue
                if closed or stripped == b"]":
                    if closed:
                        return taken
                    closed = True
                    continue
                comma = stripped.endswith(b",")
                element = stripped[:-1].rstrip(_WHITESPACE_BYTES) if comma else stripped
                if not element.startswith(b"{"):
                    return taken
            if need_comma or closed:
                return taken
            if len(line) > _ONE_LINE_NESTING and _brackets(line) > _ONE_LINE_NESTING:
                return taken
            try:
                item = orjson.loads(element)
            except orjson.JSONDecodeError:
                return taken
            if type(item) is not dict:
                return taken
            yield item, Location(path, number, f"[{taken}]")
            taken += 1
            need_comma = not comma
        return None if closed else taken


_WHITESPACE_BYTES = _WHITESPACE.encode()


def _brackets(line: bytes) -> int:
    """How many ``{`` and ``[`` the line holds (in one pass, compiled, where built)."""
    compiled = compiled_offsets()
    if compiled is not None:
        found: int = compiled.bracket_count(line)
        return found
    return line.count(b"{") + line.count(b"[")


def _iter_array_text(path: Path) -> Iterator[tuple[dict[str, Any], Location]]:
    """The elements of a JSON array, decoded one at a time from a chunk of the file.

    Neither the text nor its Python objects are ever held whole: a 60 MB Label Studio
    export parsed at once took ten times its size (every task's dicts, and the text).
    """
    decoder = _strict_decoder()
    with open(path, "rb") as handle:
        chunks = _Utf8Chunks(path, handle)
        text = chunks.read(ARRAY_CHUNK_BYTES).removeprefix("\ufeff")
        position = text.index("[") + 1
        line = 1 + text.count("\n", 0, position)
        index = 0
        need_comma = False
        while True:
            position, line = _skip_space(text, position, line)
            if position == len(text):
                if chunks.done:
                    raise InputError(path, "truncated JSON: the list is not closed with ']'", line)
                text, position = chunks.read(ARRAY_CHUNK_BYTES), 0
                continue
            if text[position] == "]":
                break
            if need_comma:
                if text[position] != ",":
                    raise InputError(
                        path, f"not valid JSON: expected ',' after [{index - 1}]", line
                    )
                position += 1
                need_comma = False
                continue
            one_line = _one_line_element(text, position)
            if one_line is not None:
                item, end = one_line
                yield item, Location(path, line, f"[{index}]")
                position = end
                index += 1
                need_comma = True
                continue
            try:
                _, end = decoder.raw_decode(text, position)
            except json.JSONDecodeError as exc:
                if chunks.done:
                    raise _element_error(path, exc, text, position, line) from None
                # The element goes on in the next chunk: read at least as much again as is
                # held, so that a huge element is decoded a few times, not once per chunk.
                rest = text[position:]
                text, position = rest + chunks.read(max(ARRAY_CHUNK_BYTES, len(rest))), 0
                continue
            except RecursionError:
                raise InputError(path, "not valid JSON: nested too deeply", line) from None
            except ValueError as exc:  # NaN, Infinity, a number Python will not convert
                raise InputError(path, f"not valid JSON: {exc}".split(";")[0], line) from None
            item = _orjson_value(path, text, position, end, line)
            if not isinstance(item, dict):
                raise InputError(path, f"[{index}] is not a JSON object", line)
            yield item, Location(path, line, f"[{index}]")
            line += text.count("\n", position, end)
            position = end
            index += 1
            need_comma = True
        position, line = _skip_space(text, position + 1, line)
        while position == len(text) and not chunks.done:
            text = chunks.read(ARRAY_CHUNK_BYTES)
            position, line = _skip_space(text, 0, line)
        if position < len(text):
            raise InputError(path, "not valid JSON: extra data after the list", line)


def _one_line_element(text: str, position: int) -> tuple[dict[str, Any], int] | None:
    """The object at ``position`` and where it ends, when it ends on its own line (as
    exports write one element a line, a comma after it): orjson alone decodes it, instead
    of the stdlib decoder finding its end and then orjson decoding it again. None for
    anything else, which the careful path reads (and refuses with its message).

    A JSON object is over at its closing brace and no string holds a raw line break, so
    a line that orjson reads whole as an object is the element, neither more nor less.
    What orjson refuses (NaN, lone surrogates, huge numbers) falls to the careful path,
    and so does deep nesting, which the stdlib decoder refuses sooner than orjson."""
    newline = text.find("\n", position)
    if newline < 0 or text[position] != "{":
        return None
    candidate = text[position:newline].rstrip(" \t\r")
    if candidate.endswith(","):
        candidate = candidate[:-1].rstrip(" \t\r")
    if candidate.count("{") + candidate.count("[") > _ONE_LINE_NESTING:
        return None
    try:
        item = orjson.loads(candidate)
    except orjson.JSONDecodeError:
        return None
    if type(item) is not dict:
        return None
    return item, position + len(candidate)


# Brackets a one-line element may hold: far below the depth the stdlib decoder refuses.
_ONE_LINE_NESTING = 500


class _Utf8Chunks:
    """A file's UTF-8 text, decoded a chunk at a time (a character cut at a chunk's end
    waits for the next chunk); an invalid byte is reported with its line and offset."""

    def __init__(self, path: Path, handle: IO[bytes]) -> None:
        self.path = path
        self.handle = handle
        self.pending = b""
        self.offset = 0  # of ``pending`` in the file
        self.newlines = 0  # before ``pending``
        self.done = False

    def read(self, size: int) -> str:
        chunk = self.handle.read(size)
        self.done = not chunk
        data = self.pending + chunk
        try:
            text = data.decode("utf-8")
            used = len(data)
        except UnicodeDecodeError as exc:
            if self.done or exc.reason != "unexpected end of data" or exc.end != len(data):
                line = self.newlines + data.count(b"\n", 0, exc.start) + 1
                raise InputError(
                    self.path,
                    f"not UTF-8 text: byte 0x{data[exc.start]:02x} at byte offset "
                    f"{self.offset + exc.start} (save the file as UTF-8 and import again)",
                    line,
                ) from None
            used = exc.start
            text = data[:used].decode("utf-8")
        self.pending = data[used:]
        self.offset += used
        self.newlines += text.count("\n")
        return text


def _iter_concatenated(path: Path) -> Iterator[tuple[dict[str, Any], Location]]:
    """Objects written one after another, each over several lines."""
    text = _read_text(path)
    decoder = _strict_decoder()
    position, line = _skip_space(text, 0, 1)
    while position < len(text):
        item, end = _decode_at(decoder, path, text, position, line)
        if not isinstance(item, dict):
            raise InputError(path, "not a JSON object", line)
        yield item, Location(path, line)
        line += text.count("\n", position, end)
        position, line = _skip_space(text, end, line)


def _strict_decoder() -> json.JSONDecoder:
    """A stdlib decoder that refuses NaN and Infinity at once (orjson checks the rest)."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    return json.JSONDecoder(parse_constant=refuse)


def _skip_space(text: str, position: int, line: int) -> tuple[int, int]:
    end = _SPACE.match(text, position).end()  # type: ignore[union-attr]
    return end, line + text.count("\n", position, end)


def _decode_at(
    decoder: json.JSONDecoder, path: Path, text: str, position: int, line: int
) -> tuple[Any, int]:
    try:
        _, end = decoder.raw_decode(text, position)
    except json.JSONDecodeError as exc:
        raise _decode_error(path, exc, text, position, line) from None
    except RecursionError:
        raise InputError(path, "not valid JSON: nested too deeply", line) from None
    except ValueError as exc:  # a number with more digits than Python converts
        raise InputError(path, f"not valid JSON: {exc}".split(";")[0], line) from None
    return _orjson_value(path, text, position, end, line), end


def _orjson_value(path: Path, text: str, position: int, end: int, line: int) -> Any:
    # The stdlib decoder only finds where the value ends: orjson decodes it, so that what
    # it refuses (NaN, Infinity, lone surrogates, huge numbers) is refused here too.
    try:
        return orjson.loads(text[position:end])
    except orjson.JSONDecodeError as exc:
        raise InputError(
            path, f"not valid JSON: {_strict_reason(exc)}", line + exc.lineno - 1
        ) from None


def _strict_reason(exc: orjson.JSONDecodeError) -> str:
    if exc.doc[exc.pos : exc.pos + 9].startswith(("NaN", "Infinity", "-Infinity")):
        return f"{exc.msg} (NaN and Infinity are not JSON)"
    return exc.msg


def _element_error(
    path: Path, exc: json.JSONDecodeError, text: str, position: int, line: int
) -> InputError:
    """An array element's error in orjson's words (those of the files read whole)."""
    rest = text[position:]
    try:
        orjson.loads(rest)
    except orjson.JSONDecodeError as orjson_exc:
        if "after document" not in orjson_exc.msg:
            truncated = orjson_exc.pos >= len(rest.rstrip())
            what = "truncated JSON" if truncated else "not valid JSON"
            where = line + rest.count("\n", 0, orjson_exc.pos)
            return InputError(path, f"{what}: {orjson_exc.msg}", where)
    return _decode_error(path, exc, text, position, line)


def _decode_error(
    path: Path, exc: json.JSONDecodeError, text: str, position: int, line: int
) -> InputError:
    """The error for a value that starts at ``position`` (on ``line``) and fails to decode."""
    truncated = "Unterminated" in exc.msg or exc.pos >= len(text.rstrip())
    what = "truncated JSON" if truncated else "not valid JSON"
    return InputError(path, f"{what}: {exc.msg}", line + text.count("\n", position, exc.pos))


def peek_first_object(path: Path) -> dict[str, Any] | None:
    """The first JSON object in a file, for format detection; None when there is none."""
    if path.is_dir() or not path.is_file():
        return None
    try:
        with open(path, "rb") as handle:
            head = handle.read(_PEEK_BYTES)
            whole = len(head) < _PEEK_BYTES
    except OSError:
        return None
    if b"\x00" in head[:4096]:
        return None
    text = head.decode("utf-8", errors="ignore").removeprefix("\ufeff")
    for attempt in range(2):
        value = _first_value(text)
        if value is not None or whole or attempt:
            return value
        try:
            text = path.read_bytes().decode("utf-8", errors="ignore").removeprefix("\ufeff")
        except OSError:
            return None
        whole = True
    return None


def _first_value(text: str) -> dict[str, Any] | None:
    stripped = text.lstrip(_WHITESPACE)
    if stripped.startswith("["):
        stripped = stripped[1:].lstrip(_WHITESPACE)
    if not stripped.startswith("{"):
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(stripped)
    except (ValueError, RecursionError):  # reading the file will say what is wrong
        return None
    return value if isinstance(value, dict) else None


def json_suffix(path: Path) -> bool:
    return path.suffix.lower() in (".json", ".jsonl", ".ndjson", ".jsonlines")
