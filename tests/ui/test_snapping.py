from __future__ import annotations

import pytest

from annotator.editing.snapping import adjust, grapheme_bounds, snap


def snapped(text: str, selected: str, occurrence: int = 0) -> str | None:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(selected, start + 1)
    result = snap(text, start, start + len(selected))
    return None if result is None else text[result[0] : result[1]]


def test_kim_jong_un_out_of_possessive_stays_the_name() -> None:
    text = "leader Kim Jong Un’s visit"
    assert snapped(text, "Kim Jong Un") == "Kim Jong Un"
    assert snapped(text, "Kim Jong Un’") == "Kim Jong Un"
    assert snapped(text, " Kim Jong U") == "Kim Jong Un"


@pytest.mark.parametrize(
    ("text", "selected", "expected"),
    [
        ("said Vladimir Putin, adding", "ladimir Pu", "Vladimir Putin"),
        ("said Vladimir Putin, adding", " Vladimir Putin, ", "Vladimir Putin"),
        ("(Beijing) hosted", "(Beijing)", "Beijing"),
        ("the U.S. embassy", "U.S.", "U.S."),
        ("the U.S. embassy", "U.S", "U.S"),
        ("ended with Xi.", "Xi.", "Xi"),
        (
            'he said "we remain together now," adding',
            '"we remain together now,"',
            "we remain together now",
        ),
        (
            "“We were always together,” he said",
            "“We were always together,”",
            "We were always together",
        ),
        (
            'reached an "unprecedented level," as',
            'an "unprecedented level,"',
            'an "unprecedented level,"',
        ),
        ("Lee Min-ho spoke", "Min", "Min"),
        ("Café owner", "Caf", "Café"),
        ("a $5 million deal", "$5 million", "$5 million"),
    ],
)
def test_snap_cases(text: str, selected: str, expected: str) -> None:
    assert snapped(text, selected) == expected


def test_combining_mark_stays_with_its_letter() -> None:
    text = "Jose\u0301 spoke"
    assert snapped(text, "Jose") == "Jose\u0301"
    assert adjust(text, 0, 4, snapping=False) == (0, 5)


def test_emoji_modifier_stays_with_its_emoji() -> None:
    text = "fans 👍🏽 cheered"
    start = text.index("👍")
    assert grapheme_bounds(text, start, start + 1) == (start, start + 2)
    assert adjust(text, start, start + 1, snapping=False) == (start, start + 2)


def test_only_punctuation_or_space_gives_nothing() -> None:
    assert snap("a , b", 1, 4) is None
    assert snap("hello — world", 5, 8) is None
    assert snap("abc", 1, 1) is None


def test_snapping_off_keeps_the_exact_characters() -> None:
    text = "Kim Jong Un’s"
    assert adjust(text, 4, 6, snapping=False) == (4, 6)  # "Jo"
    assert adjust(text, 4, 6, snapping=True) == (4, 8)
