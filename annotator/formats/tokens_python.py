"""The compiled tokenizer's bulk functions in Python, for where ``_tokens.c`` is not built
(and for the tests, which compare the two): the same tokens as the pattern
(:mod:`annotator.formats.token_pattern`), mostly found with str and bytes operations
over whole texts instead of a match per token.

``tokens_json(text, cuts)`` and ``tokens_at(text, cuts)`` take the compiled module's
arguments; :mod:`annotator.formats.tokens` chooses between the two.
"""

from __future__ import annotations

import bisect
import codecs
import itertools
import operator
import re
from functools import lru_cache
from typing import NamedTuple

import orjson

from annotator.formats.token_pattern import CJK, Tokens, extend_class, token_offsets, token_pattern

# --- tokens as JSON, for writers that only write them (BIO) --------------------------------
#
# A regular expression costs about 50 ns a character here, far more than reading and
# writing the records. In ASCII the tokens are simply runs of [A-Za-z0-9_] and single
# other visible characters (no marks, ZWJ, CJK or flags exist there), which C-level bytes
# operations produce: every ASCII character that is neither a word character nor
# whitespace gets spaces around it, then bytes.split(). It is put in its JSON-escaped form
# at the same time, so the pieces are the JSON strings' contents as orjson writes them.
# Stretches holding any other character take the regular expression, as before.

_CUT = b"\x00"
_WORD_OR_SPACE = frozenset(
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ \t\n\r\x0b\x0c"
)
# Deleted before looking for the characters to pad: word characters, the whitespace
# bytes.split() knows, the stretch separator, and every non-ASCII byte (none is left).
_PLAIN = bytes(sorted(_WORD_OR_SPACE | {0} | set(range(128, 256))))


def _padding(code: int) -> bytes:
    char = chr(code)
    if char.isspace():
        # \x1c-\x1f: whitespace to str and to the pattern, not to bytes.split().
        return b" "
    return b" " + orjson.dumps(char)[1:-1] + b" "


_PAD = {code: (bytes([code]), _padding(code)) for code in set(range(1, 128)) - set(_PLAIN)}
_BACKSLASH = 0x5C


def _mark_non_ascii(error: UnicodeError) -> tuple[bytes, int]:
    assert isinstance(error, UnicodeEncodeError)
    return b"\x80" * (error.end - error.start), error.end


codecs.register_error("annotator-non-ascii", _mark_non_ascii)


def _stretch(text: str, start: int = 0, end: int | None = None) -> tuple[bytes, int]:
    """The tokens of ``text[start:end]`` as the inside of their JSON array (one piece,
    joined as the array joins them), and how many there are."""
    found = token_pattern().findall(text, start, len(text) if end is None else end)
    return orjson.dumps(found)[2:-2], len(found)


_SHORT = 24
_short_stretch = lru_cache(maxsize=4096)(_stretch)


def tokens_json(text: str, cuts: list[int]) -> tuple[bytes, list[int]]:
    """:func:`annotator.formats.tokens.tokens_json` of a text without NULs, in Python."""
    starts = [0, *cuts]
    ends = [*cuts, len(text)]
    # One byte a character, so that offsets stay as they are; each non-ASCII character
    # becomes a byte that marks it.
    if text.isascii():
        whole, mark = text.encode(), b""
    elif "?" not in text:
        whole, mark = text.encode("ascii", "replace"), b"?"
    else:
        whole, mark = text.encode("ascii", "annotator-non-ascii"), b"\x80"
    kinds = None
    stretches: tuple[list[bytes], list[int]] | None = None
    if mark and whole.count(mark) > _FEW_NON_ASCII:
        kinds = character_kinds(text)
    elif mark:
        # A few names (北京, Zürich) or an emoji: the pattern on their stretches is cheaper
        # than going over the whole text in UTF-8 unless they make up a tenth of it (short
        # ones come back again and again, and their tokens are kept).
        stretches = _ascii_stretches(whole, mark, starts, ends)
        lengths = [ends[index] - starts[index] for index in stretches[1]]
        if sum(length for length in lengths if length > _SHORT) * 10 > len(text):
            kinds = character_kinds(text)
    if kinds is None:
        encoded, others = stretches or _ascii_stretches(whole, mark, starts, ends)
        return _joined_tokens(text, starts, ends, _CUT.join(encoded), others)
    if not kinds.joining:
        return _joined_tokens(text, starts, ends, *_utf8_stretches(text, starts, ends, kinds))
    # Whitespace never lies inside a token: cutting there as well changes no token, and
    # leaves the characters that join others in short stretches of their own.
    more = _chunk_bounds(text, kinds.joining)
    marked = sorted([*((cut, 0) for cut in cuts), *((cut, 1) for cut in more)])
    starts = [0, *(cut for cut, _ in marked)]
    ends = [*starts[1:], len(text)]
    tokens, counts = _joined_tokens(text, starts, ends, *_utf8_stretches(text, starts, ends, kinds))
    owners = itertools.accumulate((1 - extra for _, extra in marked), initial=0)
    merged = [0] * (len(cuts) + 1)
    for owner, count in zip(owners, counts, strict=True):
        merged[owner] += count
    return tokens, merged


def _joined_tokens(
    text: str, starts: list[int], ends: list[int], joined: bytes, others: list[int]
) -> tuple[bytes, list[int]]:
    """:func:`tokens_json` from the stretches (``starts``, ``ends``) in bytes, joined by
    NULs, every character that is a token of its own padded with spaces but ASCII ones,
    and ``others``, the indices of those left empty for the pattern."""
    present = joined.translate(None, _PLAIN)
    if present:
        codes = set(present)
        if _BACKSLASH in codes:
            # First: the escapes written for the others hold backslashes.
            codes.discard(_BACKSLASH)
            joined = joined.replace(*_PAD[_BACKSLASH])
        for code in codes:
            joined = joined.replace(*_PAD[code])
    pieces = list(map(bytes.split, joined.split(_CUT)))
    counts = list(map(len, pieces))
    for index in others:
        start, end = starts[index], ends[index]
        if end - start <= _SHORT:
            # Names (北京, Zürich) and emoji come back again and again: their tokens are kept.
            found, number = _short_stretch(text[start:end])
        else:
            found, number = _stretch(text, start, end)
        counts[index] = number
        pieces[index] = [found] if number else []
    if not any(counts):
        return b"[]", counts
    # One list to join: join would copy a chain into a list anyway, an item at a time.
    tokens: list[bytes] = []
    for piece in pieces:
        tokens += piece
    return b'["' + b'","'.join(tokens) + b'"]', counts


def _ascii_stretches(
    whole: bytes, mark: bytes, starts: list[int], ends: list[int]
) -> tuple[list[bytes], list[int]]:
    """The stretches of ``whole`` (a text one byte a character, ``mark`` standing for every
    non-ASCII one), those holding a mark left empty, and the indices of those."""
    # Slices in a comprehension: calling ``slice`` (a type) from map made it twice as slow.
    encoded = [whole[start:end] for start, end in zip(starts, ends, strict=True)]
    others: list[int] = []
    at = whole.find(mark) if mark else -1
    while at >= 0:
        index = bisect.bisect_right(ends, at)
        others.append(index)
        encoded[index] = b""
        at = whole.find(mark, ends[index])
    return encoded, others


# News text is rarely pure ASCII: curly quotes, dashes, accented names. Most non-ASCII
# characters are simply a letter (part of a word), whitespace, or a token of their own,
# which the same str and bytes operations handle as they do ASCII: letters stay, spaces
# become " ", the others get spaces around them. Only marks, modifiers, ZWJ and regional
# indicators join characters into one token: the whitespace-delimited chunks holding one
# of those take the pattern.
_ASCII = bytes(range(128))
_WORD_KIND, _SPACE_KIND, _SOLO_KIND, _JOINING_KIND = range(4)
# Each character to pad costs a pass over the text: past this many, the pattern is cheaper.
_MOST_PADDED = 16
# Up to this many non-ASCII characters, the stretches holding them may be short enough to
# leave to the pattern.
_FEW_NON_ASCII = 40


@lru_cache(maxsize=1)
def _kind_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Joining characters, word characters and whitespace, as the tokenizer's pattern
    defines them."""
    return (
        re.compile(f"[{extend_class()}\u200d\U0001f1e6-\U0001f1ff]"),
        re.compile(f"[^\\W{CJK}]"),
        re.compile("\\s"),
    )


class _Kinds(dict[str, int]):
    """character -> what the tokenizer makes of it, when nothing joins it to its
    neighbours: part of a word, whitespace, or a token of its own."""

    def __missing__(self, char: str) -> int:
        joining, word, space = _kind_patterns()
        if joining.fullmatch(char):
            kind = _JOINING_KIND
        elif word.fullmatch(char):
            kind = _WORD_KIND
        elif space.fullmatch(char):
            kind = _SPACE_KIND
        else:
            kind = _SOLO_KIND
        if len(self) < 65536:
            self[char] = kind
        return kind


_KINDS = _Kinds()


class CharacterKinds(NamedTuple):
    """A text's distinct non-ASCII characters, by what the tokenizer makes of them (the
    fields in the order of the kinds' numbers, which index them)."""

    letters: list[str]
    spaces: list[str]
    solo: list[str]
    joining: list[str]


def character_kinds(text: str) -> CharacterKinds | None:
    """The kinds of ``text``'s non-ASCII characters; None when it does not encode (lone
    surrogates) or holds too many distinct ones to pad one by one (a CJK text)."""
    try:
        non_ascii = text.encode().translate(None, _ASCII).decode()
    except UnicodeEncodeError:
        return None
    kinds = CharacterKinds([], [], [], [])
    for char in set(non_ascii):
        kinds[_KINDS[char]].append(char)
    if len(kinds.spaces) + len(kinds.solo) > _MOST_PADDED:
        return None
    return kinds


def _chunk_ranges(text: str, chars: list[str], cuts: list[int]) -> list[tuple[int, int]]:
    """The whitespace-delimited chunks holding any of ``chars``, cut at ``cuts``
    (ascending), in order."""
    ranges: list[tuple[int, int]] = []
    for start, end in _chunks(text, chars):
        inside = cuts[bisect.bisect_right(cuts, start) : bisect.bisect_left(cuts, end)]
        edges = [start, *inside, end]
        ranges += itertools.pairwise(edges)
    return ranges


def _chunks(text: str, chars: list[str]) -> list[tuple[int, int]]:
    """(start, end) of the whitespace-delimited chunks holding any of ``chars``, each once,
    in order."""
    found: set[tuple[int, int]] = set()
    for char in chars:
        at = text.find(char)
        while at >= 0:
            end = text.find(" ", at)
            if end < 0:
                end = len(text)
            found.add((text.rfind(" ", 0, at) + 1, end))
            at = text.find(char, end)
    return sorted(found)


def _chunk_bounds(text: str, chars: list[str]) -> list[int]:
    """Offsets inside ``text`` of the spaces around every occurrence of ``chars``
    (ascending, each once)."""
    found = {edge for chunk in _chunks(text, chars) for edge in chunk}
    found.discard(0)
    found.discard(len(text))
    return sorted(found)


def _utf8_stretches(
    text: str, starts: list[int], ends: list[int], kinds: CharacterKinds
) -> tuple[bytes, list[int]]:
    """The stretches in UTF-8 joined by NULs, non-ASCII whitespace made a space and every
    other non-ASCII character that is not part of a word given spaces around it; those
    holding a joining character left empty, and their indices (for the pattern)."""
    stretches = [text[start:end] for start, end in zip(starts, ends, strict=True)]
    others = _stretches_holding(text, ends, kinds.joining) if kinds.joining else []
    for index in others:
        stretches[index] = ""
    joined = "\x00".join(stretches)
    # Replacing in the str, not in its UTF-8: finding one character there is a memchr,
    # finding a byte sequence is not (several times slower).
    for char in kinds.spaces:
        joined = joined.replace(char, " ")
    for char in kinds.solo:
        joined = joined.replace(char, f" {char} ")
    return joined.encode(), others


def _stretches_holding(text: str, ends: list[int], chars: list[str]) -> list[int]:
    """Indices, ascending, of the stretches (ending at ``ends``) holding any of ``chars``."""
    found: set[int] = set()
    for char in chars:
        at = text.find(char)
        while at >= 0:
            index = bisect.bisect_right(ends, at)
            found.add(index)
            at = text.find(char, ends[index])
    return sorted(found)


# --- tokens with offsets, for writers that need them (Prodigy) -----------------------------
#
# The pattern costs about 50 ns a character, and a match object or chunk per token: two
# thirds of tokens_at. In ASCII a token starts at every visible character that is not a
# word character, and at every word character that follows no word character: one byte
# a character (word, space, other) with those starts marked, split before each, gives
# every token's start from the pieces' lengths; the words themselves come from str.split
# once the other characters have spaces around them. Stretches holding a non-ASCII
# character are blanked there and take the pattern, as before.

_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
# Whitespace to str and to the pattern (\x1c-\x1f too); any other ASCII byte is a token.
_SPACE = frozenset(code for code in range(128) if chr(code).isspace())
_CLASSES = bytes(
    ord("w") if code in _WORD else ord(" ") if code in _SPACE else ord("p") for code in range(256)
)
_OTHERS_START = bytes.maketrans(b"p", b"s")
_CONTINUED, _STARTS = ord("w"), ord("s")
_WORD_OR_ANY_SPACE = bytes(sorted(_WORD | _SPACE))


def tokens_at(text: str, cuts: list[int]) -> Tokens:
    """:func:`annotator.formats.tokens.tokens_at` of ``text`` cut at ``cuts`` (ascending,
    inside the text)."""
    kinds = None if text.isascii() else character_kinds(text)
    if kinds is None or len(kinds.letters) > _MOST_PADDED:
        return _classified(text, cuts, *_without_non_ascii_stretches(text, cuts))
    # Offsets from a stand-in of the text, one ASCII character for each of its own of the
    # same kind; the tokens' texts from the text itself.
    ranges = _chunk_ranges(text, kinds.joining, cuts) if kinds.joining else []
    plain = _blanked(text, ranges)
    stand_in = plain
    for chars, same in ((kinds.letters, "a"), (kinds.spaces, " "), (kinds.solo, "!")):
        for char in chars:
            stand_in = stand_in.replace(char, same)
    return _classified(text, cuts, plain, stand_in, ranges, kinds.solo)


def _without_non_ascii_stretches(
    text: str, cuts: list[int]
) -> tuple[str, str, list[tuple[int, int]], list[str]]:
    """The text with the stretches holding a non-ASCII character blanked, twice (as the
    text and as its stand-in), and those stretches (for the pattern)."""
    ends = [*cuts, len(text)]
    others = [] if text.isascii() else _non_ascii_stretches(text, ends)
    ranges = [(cuts[index - 1] if index else 0, ends[index]) for index in others]
    plain = _blanked(text, ranges)
    return plain, plain, ranges, []


def _blanked(text: str, ranges: list[tuple[int, int]]) -> str:
    """``text`` with spaces over ``ranges`` (ascending, apart): the same length, no token
    there, every offset as it is."""
    if not ranges:
        return text
    parts: list[str] = []
    position = 0
    for start, end in ranges:
        parts += (text[position:start], " " * (end - start))
        position = end
    parts.append(text[position:])
    return "".join(parts)


def _classified(
    text: str,
    cuts: list[int],
    plain: str,
    stand_in: str,
    ranges: list[tuple[int, int]],
    solo: list[str],
) -> Tokens:
    """The tokens of ``plain`` (``text`` with ``ranges`` blanked) from the character
    classes of ``stand_in`` (the same in ASCII), cut at ``cuts``; then those of
    ``ranges``, by the pattern. ``solo``: the non-ASCII characters that are tokens of
    their own."""
    raw = stand_in.encode()
    classes = raw.translate(_CLASSES)
    marks = classes.replace(b" w", b" s").replace(b"pw", b"ps").translate(_OTHERS_START)
    if marks[:1] == b"w":
        marks = b"s" + marks[1:]
    # A cut inside a run of word characters splits it: a token starts there too.
    inside = [cut for cut in cuts if marks[cut] == _CONTINUED] if b"w" in marks else []
    if inside:
        edited = bytearray(marks)
        for cut in reversed(inside):
            edited[cut] = _STARTS
            plain = f"{plain[:cut]} {plain[cut:]}"
        marks = bytes(edited)
    # Each piece but the first starts at a token's first character.
    starts = list(itertools.accumulate(map(len, marks.replace(b"s", b"\x00s").split(b"\x00"))))
    del starts[-1]
    for char in [*map(chr, set(raw.translate(None, _WORD_OR_ANY_SPACE))), *solo]:
        plain = plain.replace(char, f" {char} ")
    words = plain.split()
    token_ends = list(map(operator.add, starts, map(len, words)))
    for start, end in ranges:
        more = token_offsets(text, start, end)
        at = bisect.bisect_left(starts, start)
        starts[at:at] = more[0]
        token_ends[at:at] = more[1]
        words[at:at] = more[2]
    return Tokens(starts, token_ends, words)


def _non_ascii_stretches(text: str, ends: list[int]) -> list[int]:
    """Indices of the stretches (ending at ``ends``, ascending) that hold a non-ASCII
    character, in order."""
    # One byte a character, each non-ASCII one a marker byte: offsets stay as they are.
    if "?" not in text:
        whole, mark = text.encode("ascii", "replace"), b"?"
    else:
        whole, mark = text.encode("ascii", "annotator-non-ascii"), b"\x80"
    found: list[int] = []
    at = whole.find(mark)
    while at >= 0:
        index = bisect.bisect_right(ends, at)
        found.append(index)
        at = whole.find(mark, ends[index])
    return found
