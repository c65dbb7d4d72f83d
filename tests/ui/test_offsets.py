"""The one Qt <-> code-point conversion, against a reference and against Qt itself."""

from __future__ import annotations

import re
from random import Random
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QTextCursor, QTextDocument

from annotator.editing import offsets as offsets_module
from annotator.editing.offsets import OffsetMap, block_starts

PIECES = [
    "a",
    "Xi",
    " ",
    "\t",
    "👍",
    "🏽",
    "👍🏽",
    "e\u0301",
    "习近平",
    "\n",
    "\r\n",
    "\r",
    "\u2029",
    "\u2028",
    "\u00a0",
    "🇨🇳",
    "’",
]
texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


def reference_qt(text: str, offset: int) -> int:
    """Qt position computed the slow, obvious way: UTF-16 length with each break as one unit."""
    prefix = text[:offset]
    if prefix.endswith("\r") and text[offset : offset + 1] == "\n":
        prefix = prefix[:-1]
    prefix = re.sub("\r\n|[\r\n\u2029]", "\n", prefix)
    return len(prefix.encode("utf-16-le")) // 2


@given(texts)
def test_to_qt_matches_reference(text: str) -> None:
    offsets = OffsetMap(text)
    for offset in range(len(text) + 1):
        assert offsets.to_qt(offset) == reference_qt(text, offset)


@given(texts)
def test_from_qt_inverts_to_qt(text: str) -> None:
    offsets = OffsetMap(text)
    for offset in range(len(text) + 1):
        back = offsets.from_qt(offsets.to_qt(offset))
        inside_crlf = offset > 0 and text[offset - 1] == "\r" and text[offset : offset + 1] == "\n"
        # Between "\r" and "\n" is not a place Qt can show: it maps to before the break.
        assert back == (offset - 1 if inside_crlf else offset)


@given(texts, st.integers(min_value=0, max_value=200))
def test_from_qt_never_splits_a_character(text: str, position: int) -> None:
    offsets = OffsetMap(text)
    offset = offsets.from_qt(position)
    assert 0 <= offset <= len(text)
    assert offsets.to_qt(offset) <= max(position, 0) or offset == len(text)


@settings(max_examples=40, deadline=None)
@given(texts)
def test_agrees_with_a_real_qt_document(text: str) -> None:
    document = QTextDocument()
    document.setPlainText(text)
    offsets = OffsetMap(text)
    assert offsets.qt_length == document.characterCount() - 1
    assert len(block_starts(text)) == document.blockCount()
    cursor = QTextCursor(document)
    for offset in range(len(text) + 1):
        cursor.setPosition(0)
        cursor.setPosition(offsets.to_qt(offset), QTextCursor.MoveMode.KeepAnchor)
        expected = re.sub("\r\n|[\r\n\u2029]", "\u2029", text[:offset])
        if text[:offset].endswith("\r") and text[offset : offset + 1] == "\n":
            expected = expected[:-1]
        assert cursor.selectedText() == expected


def test_known_positions() -> None:
    text = "👍🏽B\r\nC"
    offsets = OffsetMap(text)
    # 'B' is index 2 in Python and 4 in Qt (two surrogate pairs before it).
    assert offsets.to_qt(2) == 4
    assert offsets.from_qt(4) == 2
    # The break is one Qt position; 'C' is index 5 in Python, 6 in Qt.
    assert offsets.to_qt(5) == 6
    assert offsets.from_qt(6) == 5
    assert offsets.from_qt(1) == 0  # inside the first surrogate pair


@given(texts, st.integers(min_value=1, max_value=5), st.randoms(use_true_random=False))
def test_lazy_chunked_scanning_gives_the_same_answers(text: str, chunk: int, rng: Random) -> None:
    """Tiny chunks (so "\\r\\n" and emoji straddle chunk edges) and random query order."""
    with patch.object(offsets_module, "CHUNK", chunk):
        offsets = OffsetMap(text)
        queries = list(range(len(text) + 1))
        rng.shuffle(queries)
        for offset in queries:
            assert offsets.to_qt(offset) == reference_qt(text, offset)
        fresh = OffsetMap(text)
        positions = list(range(reference_qt(text, len(text)) + 2))
        rng.shuffle(positions)
        full = OffsetMap(text)
        full.to_qt(len(text))
        for position in positions:
            assert fresh.from_qt(position) == full.from_qt(position)
