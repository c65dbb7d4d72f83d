"""The simple tokenizer token-level agreement counts with (documented in docs/review.md).

A token is a run of word characters (letters, digits, underscore) with the combining
marks inside or after it; each Chinese or Japanese character on its own (those
scripts do not separate words with spaces); or any other single visible character
(punctuation, a symbol, an emoji) with the marks and modifiers that follow it, so
"e" + U+0301 is one token and so is a thumbs-up with its skin-tone modifier.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import accumulate

_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u0610-\u061a\u064b-\u065f\u0900-\u0903"
    "\u093a-\u094f\u1ab0-\u1aff\u1dc0-\u1dff\u200c\u200d\u20d0-\u20ff\ufe00-\ufe0f"
    "\ufe20-\ufe2f\U0001f3fb-\U0001f3ff\U000e0100-\U000e01ef"
)
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_WORD = rf"[^\W{_CJK}]"

# Written as runs rather than one alternation per character: 2-3x faster on prose.
TOKEN_PATTERN = re.compile(
    rf"{_WORD}+(?:[{_MARKS}]+{_WORD}*)*"
    rf"|[{_CJK}][{_MARKS}]*"
    rf"|[^\s{_MARKS}][{_MARKS}]*"
    rf"|[{_MARKS}]+"
)


# The same tokens as the pieces of a split: the pieces' lengths add up to every token's
# start and end without a Python step per token (finditer and match.span() were a
# quarter of the time agreement took).
_SPLIT = re.compile(f"({TOKEN_PATTERN.pattern})")


class Tokens:
    """Token boundaries of one text, and which tokens a character range touches."""

    __slots__ = ("ends", "starts")

    def __init__(self, text: str) -> None:
        # [gap, token, gap, token, ..., gap]: cumulative lengths are token starts and ends.
        edges = list(accumulate(map(len, _SPLIT.split(text))))
        self.starts: Sequence[int] = edges[0:-1:2]
        self.ends: Sequence[int] = edges[1::2]

    def __len__(self) -> int:
        return len(self.starts)

    def touched(self, start: int, end: int) -> tuple[int, int]:
        """Indices [first, last) of the tokens that share at least one character with [start, end)."""
        return bisect_right(self.ends, start), bisect_left(self.starts, end)

    def mask(self, ranges: list[tuple[int, int]]) -> int:
        """A bit set (bit i = token i) of the tokens the ranges touch."""
        bits = 0
        for start, end in ranges:
            first, last = self.touched(start, end)
            if last > first:
                bits |= ((1 << (last - first)) - 1) << first
        return bits


def tokenize(text: str) -> list[str]:
    return TOKEN_PATTERN.findall(text)
