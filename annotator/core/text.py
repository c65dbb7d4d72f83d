"""Text as imported: line endings normalised to \\n, nothing else changed.

Sources that kept \\r\\n or lone \\r count offsets in the original text; ``NewlineMap``
converts those offsets to offsets in the normalised text.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NewlineMap:
    """Converts offsets in an original text to offsets in its newline-normalised form."""

    # Original offsets of each removed '\r' (the '\r' of every '\r\n').
    removed: tuple[int, ...]

    def to_normalized(self, offset: int) -> int:
        return offset - bisect.bisect_left(self.removed, offset)

    def to_original(self, offset: int) -> int:
        # The n-th removed character shifts every later offset by one more.
        low, high = offset, offset + len(self.removed)
        while low < high:
            mid = (low + high) // 2
            if self.to_normalized(mid) < offset:
                low = mid + 1
            else:
                high = mid
        return low


def normalize_newlines(text: str) -> tuple[str, dict[str, int], NewlineMap]:
    """Return the text with \\r\\n and lone \\r turned into \\n, counts of each, and an offset map."""
    crlf = text.count("\r\n")
    lone_cr = text.count("\r") - crlf
    if not crlf and not lone_cr:
        return text, {}, NewlineMap(())
    removed: list[int] = []
    index = text.find("\r\n")
    while index != -1:
        removed.append(index)
        index = text.find("\r\n", index + 2)
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    counts = {key: value for key, value in (("crlf", crlf), ("cr", lone_cr)) if value}
    return normalized, counts, NewlineMap(tuple(removed))


def strip_bom(text: str) -> tuple[str, bool]:
    """Drop leading byte-order marks, a file's and any a conversion doubled.

    Qt drops a leading U+FEFF silently, and an exported text must import unchanged, so a
    stored text never starts with one.
    """
    stripped = text.lstrip("\ufeff")
    return stripped, len(stripped) != len(text)


TITLE_LIMIT = 200  # characters of a title taken from a text's first line


def first_line_title(text: str, limit: int = TITLE_LIMIT) -> str:
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            return stripped if len(stripped) <= limit else stripped[: limit - 1] + "…"
    return ""


# A headline has a few words and is not a byline, a date line, a share button or a link.
_NOT_A_HEADLINE = re.compile(
    r"(https?://|www\.|@|\.com\b|^share\b|^by\s|^date\b|^photo|^picture|^\W*$)", re.IGNORECASE
)
_DATE_LINE = re.compile(
    r"^\W*(mon|tue|wed|thu|fri|sat|sun)\w*,?\s|\b\d{4}-\d{2}-\d{2}\b|"
    r"^\W*(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\.?\s+\d{1,2},?\s+\d{4}",
    re.IGNORECASE,
)
HEADLINE_WORDS = (4, 20)  # fewer is a masthead or a section name, more is a paragraph
HEADLINE_LINES = 6  # how many non-empty lines from the top may hold the headline


def is_headline(line: str) -> bool:
    words = len(line.split())
    low, high = HEADLINE_WORDS
    if not low <= words <= high or line.endswith("."):  # a full stop ends a sentence
        return False
    return not _NOT_A_HEADLINE.search(line) and not _DATE_LINE.search(line)


def headline_title(text: str, file_stem: str = "", limit: int = TITLE_LIMIT) -> str:
    """A title for an imported text file (docs/labelling.md, "Titles").

    The first of the top non-empty lines that reads like a headline; else the file name
    made readable ("xi-meets-putin" -> "Xi meets putin"); else the first line.
    """
    lines = [line.strip() for line in text.split("\n") if line.strip()][:HEADLINE_LINES]
    for line in lines:
        if is_headline(line):
            return line if len(line) <= limit else line[: limit - 1] + "…"
    readable = " ".join(re.split(r"[-_.\s]+", file_stem)).strip()
    if readable:
        return readable[:1].upper() + readable[1:limit]
    return first_line_title(text, limit)
