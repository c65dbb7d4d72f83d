"""Selection snapping: turn a sloppy drag into the span an analyst meant. Pure Python.

With snapping on, a selection that starts or ends inside a word grows to the whole word,
and whitespace and punctuation at its edges are dropped ("Kim Jong Un" selected out of
"Kim Jong Un’s" stays "Kim Jong Un": the apostrophe is not part of a word here). Either
way, a range never cuts a character from its combining marks, emoji modifiers or
variation selectors.
"""

from __future__ import annotations

import unicodedata

_ZWJ = "\u200d"


def _is_extender(char: str) -> bool:
    """Characters that belong to the character before them (one visible glyph)."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or 0x1F3FB <= code <= 0x1F3FF  # skin-tone modifiers
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0xE0020 <= code <= 0xE007F  # emoji tag characters
        or char == _ZWJ
    )


def _is_word(char: str) -> bool:
    return char.isalnum() or _is_extender(char)


def _is_edge_junk(char: str) -> bool:
    """Whitespace and punctuation dropped from the edges of a snapped selection."""
    return char.isspace() or unicodedata.category(char).startswith("P") or char in "\u2028\u2029"


# Quotation marks and brackets: dropped in pairs, never leaving one half of a pair behind.
_PAIRS = {'"': '"', "“": "”", "‘": "’", "«": "»", "‹": "›", "„": "“", "(": ")", "[": "]", "{": "}"}
_CLOSERS = {closer: opener for opener, closer in _PAIRS.items()}


def _keeps_opener(text: str, start: int, end: int) -> bool:
    closer = _PAIRS.get(text[start])
    return closer is not None and closer in text[start + 1 : end - 1]


def _keeps_closer(text: str, start: int, end: int) -> bool:
    opener = _CLOSERS.get(text[end - 1])
    return opener is not None and opener in text[start + 1 : end - 1]


def grapheme_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) so it does not split a base character from its extenders."""
    while 0 < start < len(text) and _is_extender(text[start]):
        start -= 1
    # A zero-width joiner glues the next character on (family emoji and the like).
    while end < len(text) and (_is_extender(text[end]) or text[end - 1] == _ZWJ):
        end += 1
    return start, end


def _is_abbreviation_dot(text: str, end: int) -> bool:
    """Whether the '.' at text[end - 1] ends an abbreviation such as "U.S." or "J."."""
    if end < 2 or text[end - 1] != ".":
        return False
    before = text[end - 2]
    if not before.isalpha():
        return False
    # One letter before the dot, itself preceded by a dot or by nothing word-like.
    return end < 3 or not text[end - 3].isalnum()


def snap(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The snapped range for a selection of text[start:end]; None if nothing word-like is left."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    if start == end:
        return None
    # Grow partial words at either edge.
    if _is_word(text[start]):
        while start > 0 and _is_word(text[start - 1]):
            start -= 1
    if _is_word(text[end - 1]):
        while end < len(text) and _is_word(text[end]):
            end += 1
    # Drop junk at the edges: a pair of marks wrapping the whole selection goes, but a mark
    # whose partner is inside stays (an "unprecedented level," keeps both quotes), as does
    # the final dot of "U.S.".
    changed = True
    while changed and start < end:
        changed = False
        if end - start >= 2 and _PAIRS.get(text[start]) == text[end - 1]:
            start, end, changed = start + 1, end - 1, True
        elif _is_edge_junk(text[start]) and not _keeps_opener(text, start, end):
            start, changed = start + 1, True
        elif _is_edge_junk(text[end - 1]) and not (
            _is_abbreviation_dot(text, end) or _keeps_closer(text, start, end)
        ):
            end, changed = end - 1, True
    if start == end:
        return None
    return grapheme_bounds(text, start, end)


def adjust(text: str, start: int, end: int, snapping: bool) -> tuple[int, int] | None:
    """The range to label for a selection: snapped, or exact apart from grapheme edges."""
    if snapping:
        return snap(text, start, end)
    if start >= end:
        return None
    return grapheme_bounds(text, start, end)
