"""What a token is: the tokenizer's rules as one regular expression (see
:mod:`annotator.formats.tokens`), and the tokens it finds as parallel lists of offsets.

The compiled tokenizer (``_tokens.c``) and the Python code in
:mod:`annotator.formats.tokens_python` give exactly the tokens of this pattern.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

CJK = (
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c\u3040-\u30ff"
    "\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0003134f"
)


def _ranges(codes: Iterable[int]) -> str:
    parts: list[str] = []
    start = previous = -2
    for code in codes:
        if code != previous + 1:
            if start >= 0:
                parts.append(_range(start, previous))
            start = code
        previous = code
    if start >= 0:
        parts.append(_range(start, previous))
    return "".join(parts)


def _range(first: int, last: int) -> str:
    return (
        re.escape(chr(first))
        if first == last
        else f"{re.escape(chr(first))}-{re.escape(chr(last))}"
    )


@lru_cache(maxsize=1)
def extend_codes() -> list[int]:
    """Characters that belong to the one before them, ascending.

    Combining marks, skin tones, tag characters, variation selectors, ZWNJ. Built once
    (about 50 ms) from the Unicode database.
    """
    marks = [c for c in range(0x30000) if unicodedata.category(chr(c))[0] == "M"]
    extra = [
        *range(0x1F3FB, 0x1F400),
        *range(0xE0020, 0xE0080),
        *range(0xE0100, 0xE01F0),
        0x200C,
    ]
    return sorted({*marks, *extra})


def extend_ranges() -> str:
    return _ranges(extend_codes())


# A character class holding characters outside the Basic Multilingual Plane is checked
# range by range (about 100 of them for the marks), and a word is followed by a space far
# more often than by a mark: every mark is non-ASCII, so the class is tried only after
# a non-ASCII character. That, and no empty repetitions, make the pattern over twice as
# fast as the plain form (kept in the tests as the reference) with the same tokens.
_NON_ASCII = "(?=[^\\x00-\\x7f])"


@lru_cache(maxsize=1)
def extend_class() -> str:
    return extend_ranges()


@lru_cache(maxsize=1)
def token_pattern() -> re.Pattern[str]:
    marks = f"[{extend_class()}]"
    ext = f"(?:{_NON_ASCII}{marks}+|)"
    letter = f"[^\\W{CJK}]"
    # Words first (the common case); the other alternatives cannot start with a word
    # character, so the order does not change what matches.
    word = f"{letter}++(?:{_NON_ASCII}(?:{marks}+{letter}*+)++|)"
    cjk = f"[{CJK}]{ext}"
    flag = f"[\U0001f1e6-\U0001f1ff]{{2}}{ext}"
    other = f"\\S{ext}(?:\u200d\\S{ext})*+"
    return re.compile(f"{word}|{cjk}|{flag}|{other}")


@lru_cache(maxsize=1)
def chunk_pattern() -> re.Pattern[str]:
    """A token with the whitespace before it (or the whitespace at the end of the range).

    Every character outside a token is whitespace, so consecutive chunks tile the range:
    their lengths give every token's offsets without a match object per token.
    """
    return re.compile(f"\\s*+(?:{token_pattern().pattern}|\\Z)")


def token_offsets(
    text: str, start: int = 0, end: int | None = None
) -> tuple[list[int], list[int], list[str]]:
    """Starts, ends and texts of the tokens of ``text[start:end]``, computed in bulk."""
    stop = len(text) if end is None else end
    return _from_chunks(chunk_pattern().findall(text, start, stop), start)


def _from_chunks(chunks: list[str], origin: int) -> tuple[list[int], list[int], list[str]]:
    """Tokens of chunks that tile the text from ``origin`` on (see :func:`chunk_pattern`)."""
    words = list(map(str.lstrip, chunks))
    ends = list(itertools.accumulate(map(len, chunks), initial=origin))
    del ends[0]
    starts = list(map(operator.sub, ends, map(len, words)))
    if all(words):
        return starts, ends, words
    # Chunks of whitespace only (at the end of a range) hold no token.
    return (
        list(itertools.compress(starts, words)),
        list(itertools.compress(ends, words)),
        list(filter(None, words)),
    )


class Tokens:
    """A document's tokens as three parallel lists (no object per token); ``texts`` is
    empty where only the offsets were wanted."""

    __slots__ = ("ends", "starts", "texts")

    def __init__(self, starts: list[int], ends: list[int], texts: list[str]) -> None:
        self.starts = starts
        self.ends = ends
        self.texts = texts

    def __len__(self) -> int:
        return len(self.starts)

    def pairs(self) -> list[tuple[int, int]]:
        return list(zip(self.starts, self.ends, strict=True))

    def covering(self, start: int, end: int) -> tuple[int, int] | None:
        """(first, last) token indices, inclusive, of the tokens inside [start, end)."""
        first = bisect.bisect_left(self.starts, start)
        last = bisect.bisect_right(self.ends, end) - 1
        if first > last or first >= len(self.starts):
            return None
        return first, last
