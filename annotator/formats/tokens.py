"""A small, deterministic tokenizer for formats that need tokens (Prodigy, BIO).

Words are runs of letters and digits with their combining marks; every other visible
character is a token of its own, kept whole with its modifiers (👍🏽, e + U+0301, flags,
ZWJ emoji sequences); Chinese and Japanese characters are one token each, since those
scripts do not separate words with spaces. Whitespace is never a token.

Tokens are then split wherever a span starts or ends, so every span covers whole tokens
and keeps exactly its characters, whatever the tokenizer thought.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_CJK = (
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
def _pattern() -> re.Pattern[str]:
    # Combining marks, variation selectors, skin tones, tag characters, ZWNJ: they belong
    # to the character before them. Built once (about 50 ms) from the Unicode database.
    marks = (c for c in range(0x30000) if unicodedata.category(chr(c))[0] == "M")
    extend = (
        _ranges(marks)
        + _range(0x1F3FB, 0x1F3FF)
        + _range(0xE0020, 0xE007F)
        + _range(0xE0100, 0xE01EF)
        + "\u200c"
    )
    ext = f"[{extend}]*"
    flag = f"[\U0001f1e6-\U0001f1ff]{{2}}{ext}"
    cjk = f"[{_CJK}]{ext}"
    # Runs of word characters, each run followed by its marks: as fast as a plain \w+.
    word = f"(?:[^\\W{_CJK}]+{ext})+"
    other = f"\\S{ext}(?:\u200d\\S{ext})*"
    return re.compile(f"{flag}|{cjk}|{word}|{other}")


def tokenize(text: str) -> list[tuple[int, int]]:
    """(start, end) of every token, in code points."""
    return [match.span() for match in _pattern().finditer(text)]


def split_at(tokens: list[tuple[int, int]], cuts: Iterable[int]) -> list[tuple[int, int]]:
    """Tokens split wherever a cut falls strictly inside one."""
    inside = sorted({cut for cut in cuts})
    if not inside:
        return tokens
    result: list[tuple[int, int]] = []
    for start, end in tokens:
        first = bisect.bisect_right(inside, start)
        last = bisect.bisect_left(inside, end)
        if first >= last:
            result.append((start, end))
            continue
        position = start
        for cut in inside[first:last]:
            result.append((position, cut))
            position = cut
        result.append((position, end))
    return result


def tokens_for(text: str, boundaries: Iterable[int]) -> list[tuple[int, int]]:
    """Tokens of ``text`` that start and end at every given boundary (span starts and ends).

    Each stretch between two boundaries is tokenized on its own, which splits exactly the
    tokens a boundary falls inside.
    """
    cuts = sorted({cut for cut in boundaries if 0 < cut < len(text)})
    finditer = _pattern().finditer
    if not cuts:
        return [match.span() for match in finditer(text)]
    result: list[tuple[int, int]] = []
    position = 0
    for cut in [*cuts, len(text)]:
        result.extend(match.span() for match in finditer(text, position, cut))
        position = cut
    return result


def token_texts(text: str, start: int = 0, end: int | None = None) -> list[str]:
    """The tokens of ``text[start:end]`` as strings (cheaper when offsets are not needed)."""
    return _pattern().findall(text, start, len(text) if end is None else end)


class TokenIndex:
    """Which tokens a character range covers."""

    def __init__(self, tokens: list[tuple[int, int]]) -> None:
        self.tokens = tokens
        self._starts = [start for start, _ in tokens]
        self._ends = [end for _, end in tokens]

    def covering(self, start: int, end: int) -> tuple[int, int] | None:
        """(first, last) token indices, inclusive, of the tokens inside [start, end)."""
        first = bisect.bisect_left(self._starts, start)
        last = bisect.bisect_right(self._ends, end) - 1
        if first > last or first >= len(self.tokens):
            return None
        return first, last
