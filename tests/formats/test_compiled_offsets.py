"""The compiled offset helpers (_offsets.c) give what the Python code gives.

doccano's import places each chunk's spans with ``place_doccano`` where it is built; the
Python code (``doccano_batches._placed_python``) is the reference, on texts with emoji,
flags, ZWJ sequences, astral letters, combining marks, CJK and spaces around spans, with
offsets counted in code points, in UTF-16 units, out of range and inside surrogate pairs.
"""

from __future__ import annotations

import itertools
import random
import shutil
import sysconfig
from pathlib import Path

import pytest

from annotator.formats import doccano_batches
from annotator.formats.compiled import compiled_offsets
from annotator.formats.offsets import Unit

PIECES = ["Kim", "Xi Jinping", "北京", "café", "cafe\u0301", "x_y", "12", "—", "“", "”"]
FILL = ["said", "in", "👍🏽", "🇫🇷", "👩\u200d👩\u200d👧", "𝐀x", "😀", " ", "\n", ",", ".", "\u00a0"]


def _text_and_spans(rng: random.Random) -> tuple[str, list[tuple[int, int]]]:
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    for _ in range(rng.randint(0, 8)):
        fill = "".join(rng.choice(FILL) for _ in range(rng.randint(0, 4))) + " "
        piece = rng.choice(PIECES)
        start = length + len(fill)
        parts += [fill, piece]
        length = start + len(piece)
        spans.append((start, length))
    return "".join(parts) or "x", spans


def _utf16(text: str, offset: int) -> int:
    return len(text[:offset].encode("utf-16-le")) // 2


def _chunk(rng: random.Random) -> tuple[list[str], list[int], list[int], list[int]]:
    texts: list[str] = []
    counts: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    for _ in range(rng.randint(1, 6)):
        text, spans = _text_and_spans(rng)
        in_units = rng.random() < 0.5
        for start, end in spans:
            if in_units:
                start, end = _utf16(text, start), _utf16(text, end)
            # Now and then a span moved by one (onto a space, into a pair, past the end).
            if rng.random() < 0.1:
                start += rng.choice((-1, 1))
            if rng.random() < 0.05:
                end += rng.choice((1, 2, 40))
            starts.append(start)
            ends.append(end)
        texts.append(text)
        counts.append(len(spans))
    return texts, counts, starts, ends


def _both(
    texts: list[str], counts: list[int], starts: list[int], ends: list[int], unit: Unit | None
) -> tuple[object, object]:
    bounds = list(itertools.accumulate(counts, initial=0))
    python = doccano_batches._placed_python(texts, bounds, starts, ends, unit)
    compiled = doccano_batches._placed(texts, counts, bounds, starts, ends, unit)
    return python, compiled


@pytest.mark.parametrize("unit", [None, "codepoint", "utf16"])
def test_place_doccano_is_the_python_placement(unit: Unit | None) -> None:
    if compiled_offsets() is None:
        pytest.skip("_offsets is not built here")
    rng = random.Random(f"place {unit}")
    decided = 0
    for _ in range(3000):
        python, compiled = _both(*_chunk(rng), unit)
        assert compiled == python
        decided += python is not None
    assert decided > 300  # most chunks get placed, so both answers are compared in full


def test_place_doccano_leaves_odd_offsets_to_python() -> None:
    """Offsets that are not ints an index can hold give None (the one-record path then
    names what is wrong); bad arguments are refused."""
    compiled = compiled_offsets()
    if compiled is None:
        pytest.skip("_offsets is not built here")
    assert compiled.place_doccano(["ab"], [1], [0], [2**70], 0) is None
    assert compiled.place_doccano(["ab"], [1], [True], [2], 0) is None
    assert compiled.place_doccano(["ab"], [1], [0], [2], 0) == ([0], [2], [0])
    assert compiled.place_doccano(["👍 ab"], [1], [3], [5], 0) == ([2], [4], [2])
    with pytest.raises(ValueError):
        compiled.place_doccano(["ab"], [2], [0], [1], 0)
    with pytest.raises(TypeError):
        compiled.place_doccano(("ab",), [1], [0], [1], 0)


def _can_compile() -> bool:
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    headers = Path(sysconfig.get_paths()["include"], "Python.h")
    return shutil.which(compiler) is not None and headers.exists()


def test_the_compiled_offsets_are_built() -> None:
    """`make` builds _offsets.c (setup.py) wherever it can: without it these tests would
    check the Python code against itself, and doccano's import would be several times
    slower."""
    if compiled_offsets() is None and not _can_compile():
        pytest.skip("no C compiler or Python headers here: the Python code is used")
    assert compiled_offsets() is not None, "run `make install` (pip install -e .) to build it"
