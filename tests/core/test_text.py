"""Offsets through newline normalisation, checked against a brute-force reference."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotator.core import AnnotationError, Span
from annotator.core.text import first_line_title, normalize_newlines, strip_bom

# The characters that break offset arithmetic elsewhere: CRLF and lone CR, astral emoji
# with a skin-tone modifier and ZWJ, combining marks, CJK, NBSP, tabs, U+2029.
PIECES = [
    "\r\n",
    "\r",
    "\n",
    "a",
    "Z",
    " ",
    "\t",
    "\u00a0",
    "👍🏽",
    "👩\u200d👩\u200d👧",
    "e\u0301",
    "\u0301",
    "北京",
    "“",
    "”",
    "\u2029",
    "\ufeff",
]
texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join) | st.text(
    alphabet=st.sampled_from("\r\nab👍🏽北\u0301"), max_size=30
)


def reference(original: str) -> tuple[str, list[int]]:
    """Normalised text, and for every original offset 0..len the normalised offset."""
    out: list[str] = []
    positions: list[int] = []
    index = 0
    while index < len(original):
        positions.append(len(out))
        char = original[index]
        if char == "\r" and original[index + 1 : index + 2] == "\n":
            # The '\r' of a CRLF disappears: offsets on it and on its '\n' coincide.
            positions.append(len(out))
            out.append("\n")
            index += 2
            continue
        out.append("\n" if char == "\r" else char)
        index += 1
    positions.append(len(out))
    return "".join(out), positions


@given(texts)
def test_normalize_newlines_matches_the_reference(original: str) -> None:
    normalized, counts, mapping = normalize_newlines(original)
    expected, positions = reference(original)
    assert normalized == expected
    assert "\r" not in normalized
    assert counts.get("crlf", 0) == original.count("\r\n")
    assert counts.get("cr", 0) == original.count("\r") - original.count("\r\n")
    assert [mapping.to_normalized(offset) for offset in range(len(original) + 1)] == positions


@given(texts)
def test_to_original_is_the_first_original_offset_mapping_there(original: str) -> None:
    normalized, _, mapping = normalize_newlines(original)
    _, positions = reference(original)
    for offset in range(len(normalized) + 1):
        back = mapping.to_original(offset)
        assert back == positions.index(offset)
        assert mapping.to_normalized(back) == offset


@given(texts, st.data())
def test_a_span_in_the_original_text_covers_the_same_text_after_normalising(
    original: str, data: st.DataObject
) -> None:
    normalized, _, mapping = normalize_newlines(original)
    start = data.draw(st.integers(0, len(original)))
    end = data.draw(st.integers(start, len(original)))
    # A boundary inside a CRLF is ambiguous in the original; sources never put one there.
    for boundary in (start, end):
        if 0 < boundary < len(original) and original[boundary - 1 : boundary + 1] == "\r\n":
            return
    covered = normalized[mapping.to_normalized(start) : mapping.to_normalized(end)]
    assert covered == normalize_newlines(original[start:end])[0]


def test_text_without_carriage_returns_is_returned_unchanged() -> None:
    text = "tab\there\u00a0nbsp e\u0301 👍🏽 北京\n"
    normalized, counts, mapping = normalize_newlines(text)
    assert normalized is text
    assert counts == {}
    assert mapping.to_normalized(5) == 5 == mapping.to_original(5)


def test_counts_crlf_and_lone_cr_separately() -> None:
    normalized, counts, mapping = normalize_newlines("a\r\nb\rc\r\r\nd")
    assert normalized == "a\nb\nc\n\nd"
    assert counts == {"crlf": 2, "cr": 2}
    assert [mapping.to_normalized(i) for i in (0, 1, 2, 3, 4, 8, 9, 10)] == [0, 1, 1, 2, 3, 6, 7, 8]


@given(texts, st.data())
def test_span_of_slices_any_range_of_any_text(text: str, data: st.DataObject) -> None:
    if not text:
        with pytest.raises(AnnotationError):
            Span.of(text, 0, 1, "X", "T1")
        return
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    span = Span.of(text, start, end, "X", "T1")
    assert (span.start, span.end, span.text) == (start, end, text[start:end])
    assert len(span.text) == end - start
    with pytest.raises(AnnotationError):
        Span.of(text, start, len(text) + 1, "X", "T1")
    with pytest.raises(AnnotationError):
        Span.of(text, end, start, "X", "T1")


def test_strip_bom_removes_every_leading_bom_and_nothing_else() -> None:
    assert strip_bom("\ufeffHello") == ("Hello", True)
    assert strip_bom("Hello\ufeff") == ("Hello\ufeff", False)
    # Qt would drop a second one silently, shifting every offset after it.
    assert strip_bom("\ufeff\ufeffx\ufeff") == ("x\ufeff", True)


def test_first_line_title_skips_blank_lines_and_truncates() -> None:
    assert first_line_title("\n  \n\t Headline here  \nbody") == "Headline here"
    assert first_line_title("   \n\n") == ""
    long = first_line_title("x" * 500, limit=20)
    assert len(long) == 20 and long.endswith("…")


def test_headline_titles_skip_mastheads_bylines_links_and_dates() -> None:
    from annotator.core.text import headline_title

    express = (
        "EG\nThe Express Gazette\nSaturday, November 8, 2025\n\n"
        "Putin and Xi Hail ‘Unprecedentedly High’ Ties\n\nRussian President Vladimir Putin...\n"
    )
    assert headline_title(express, "express") == "Putin and Xi Hail ‘Unprecedentedly High’ Ties"
    shared = "Share this @internewscast.com\nBy Jane Doe\nhttps://example.com/a b c d\n"
    assert headline_title(shared, "putin-xi_dear-friend") == "Putin xi dear friend"
    dated = (
        " date 2025-09-02 Chinese President Xi Jinping in Beijing\nXi met Putin and Kim today.\n"
    )
    assert headline_title(dated, "xi-convenes") == "Xi convenes"
    assert headline_title("Short\r\n", "") == "Short"  # no file name: the first line
    assert (
        headline_title("Zoë Li wins the 李雷 prize again\n", "x")
        == "Zoë Li wins the 李雷 prize again"
    )
