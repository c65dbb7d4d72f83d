"""A small, deterministic tokenizer for formats that need tokens (Prodigy, BIO).

Words are runs of letters and digits with their combining marks; every other visible
character is a token of its own, kept whole with its modifiers (👍🏽, e + U+0301, flags,
ZWJ emoji sequences); Chinese and Japanese characters are one token each, since those
scripts do not separate words with spaces. Whitespace is never a token.

Tokens are then split wherever a span starts or ends, so every span covers whole tokens
and keeps exactly its characters, whatever the tokenizer thought.

The rules are one regular expression (:mod:`annotator.formats.token_pattern`); the
compiled tokenizer (``_tokens.c``) gives the same tokens in one pass over the text, and
:mod:`annotator.formats.tokens_python` where it is not built. This module chooses.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterable
from functools import lru_cache
from types import ModuleType

from annotator.formats import tokens_python
from annotator.formats.token_pattern import Tokens, extend_codes, token_offsets, token_pattern

_compiled_module: ModuleType | None
try:
    from annotator.formats import _tokens as _compiled_module
except ImportError:  # built by setup.py where a C compiler is found; tokens_python
    _compiled_module = None  # gives the same tokens, slower.


@lru_cache(maxsize=1)
def compiled_tokenizer() -> ModuleType | None:
    """The compiled tokenizer (``_tokens.c``), given the marks; None where it is not built
    or ``ANNOTATOR_PYTHON_TOKENIZER`` is set (to compare the two)."""
    if _compiled_module is None or os.environ.get("ANNOTATOR_PYTHON_TOKENIZER"):
        return None
    bitmap = bytearray(0x110000 // 8)
    for code in extend_codes():
        bitmap[code >> 3] |= 1 << (code & 7)
    _compiled_module.set_marks(bytes(bitmap))
    return _compiled_module


def tokenize(text: str) -> list[tuple[int, int]]:
    """(start, end) of every token, in code points."""
    compiled = compiled_tokenizer()
    starts, ends, _ = token_offsets(text) if compiled is None else compiled.tokens_at(text, [])
    return list(zip(starts, ends, strict=True))


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


def tokens_at(text: str, boundaries: Iterable[int]) -> Tokens:
    """Tokens of ``text`` that start and end at every given boundary (span starts and ends).

    Each stretch between two boundaries is tokenized on its own, which splits exactly the
    tokens a boundary falls inside.
    """
    cuts = _cuts_inside(text, boundaries)
    compiled = compiled_tokenizer()
    if compiled is not None:
        return Tokens(*compiled.tokens_at(text, cuts))
    return tokens_python.tokens_at(text, cuts)


def _cuts_inside(text: str, boundaries: Iterable[int]) -> list[int]:
    """The boundaries strictly inside ``text``, ascending, each once."""
    return sorted({cut for cut in boundaries if 0 < cut < len(text)})


def token_objects_json(text: str, boundaries: Iterable[int]) -> tuple[bytes, Tokens] | None:
    """The tokens of :func:`tokens_at` as the JSON array ``orjson.dumps`` writes of
    Prodigy's token objects (``{"text", "start", "end", "id", "ws"}``), and the tokens
    without their texts; None where the compiled tokenizer is not built, or for a text
    holding a lone surrogate (no JSON for it)."""
    compiled = compiled_tokenizer()
    if compiled is None:
        return None
    found = compiled.prodigy_tokens(text, _cuts_inside(text, boundaries))
    if found is None:
        return None
    json, starts, ends = found
    return json, Tokens(starts, ends, [])


def tokens_for(text: str, boundaries: Iterable[int]) -> list[tuple[int, int]]:
    """(start, end) of the tokens of ``text`` split at every boundary (see :func:`tokens_at`)."""
    return tokens_at(text, boundaries).pairs()


def token_texts(text: str, start: int = 0, end: int | None = None) -> list[str]:
    """The tokens of ``text[start:end]`` as strings (cheaper when offsets are not needed)."""
    return token_pattern().findall(text, start, len(text) if end is None else end)


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


def tokens_json(text: str, cuts: list[int]) -> tuple[bytes, list[int]] | None:
    """The tokens of ``text`` cut at ``cuts`` (ascending offsets), as the JSON array that
    ``orjson.dumps`` writes of the token strings, and how many tokens each of the
    ``len(cuts) + 1`` stretches holds.

    The tokens are those of :func:`token_texts` on each stretch in turn. None when the
    text holds a NUL character (the Python code separates the stretches with it).
    """
    if "\x00" in text:
        return None
    compiled = compiled_tokenizer()
    found = None if compiled is None else compiled.tokens_json(text, cuts)
    return tokens_python.tokens_json(text, cuts) if found is None else found
