"""Label colours that stay apart: CIELAB distance, and the next colour and hotkey to give.

Pure functions, no Qt: imports (services) and the schema editor (ui) both pick colours
for new labels here, and the tests check every pair of colours against ``MIN_DISTANCE``.
"""

from __future__ import annotations

from collections.abc import Iterable

# Colours closer than this (CIE76 delta E*ab) read as "the same colour" at a glance on a
# highlight; 20 is about where two pastel blues stop being confused side by side.
MIN_DISTANCE = 20.0

# Tried first, in this order: Paul Tol's "light" and "muted" schemes and Okabe-Ito, all
# designed to stay distinguishable under the common colour-vision deficiencies.
NAMED_CANDIDATES: tuple[str, ...] = (
    "#77AADD", "#EE8866", "#EEDD88", "#FFAABB", "#99DDFF", "#44BB99", "#BBCC33",
    "#AAAA00", "#DDDDDD", "#CC6677", "#DDCC77", "#117733", "#88CCEE", "#44AA99",
    "#999933", "#AA4499", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2",
    "#D55E00", "#CC79A7", "#882255", "#332288",
)  # fmt: skip

# Hotkeys a new label may take: letters first, then digits (the window binds plain keys).
HOTKEY_CANDIDATES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890"

_Lab = tuple[float, float, float]


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def _lab_f(t: float) -> float:
    delta = 6 / 29
    return t ** (1 / 3) if t > delta**3 else t / (3 * delta**2) + 4 / 29


def hex_to_lab(color: str) -> _Lab:
    """``#RRGGBB`` (sRGB) -> CIELAB under D65: sRGB -> linear -> XYZ -> L*a*b*."""
    text = color.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    if len(text) != 6:
        raise ValueError(f"not a #RRGGBB colour: {color!r}")
    red, green, blue = (_linear(int(text[i : i + 2], 16)) for i in (0, 2, 4))
    x = 0.4124564 * red + 0.3575761 * green + 0.1804375 * blue
    y = 0.2126729 * red + 0.7151522 * green + 0.0721750 * blue
    z = 0.0193339 * red + 0.1191920 * green + 0.9503041 * blue
    fx, fy, fz = _lab_f(x / 0.95047), _lab_f(y / 1.0), _lab_f(z / 1.08883)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def delta_e(first: str, second: str) -> float:
    """CIE76 colour difference (delta E*ab) between two ``#RRGGBB`` colours."""
    (l1, a1, b1), (l2, a2, b2) = hex_to_lab(first), hex_to_lab(second)
    return float(((l1 - l2) ** 2 + (a1 - a2) ** 2 + (b1 - b2) ** 2) ** 0.5)


def _grid_candidates() -> tuple[str, ...]:
    # Beyond the named colours: an even sRGB grid, kept to lightnesses where a highlight
    # still lets the text through (black or white text, chosen by the view).
    steps = (0x00, 0x33, 0x66, 0x99, 0xCC, 0xFF)
    found = []
    for red in steps:
        for green in steps:
            for blue in steps:
                color = f"#{red:02X}{green:02X}{blue:02X}"
                if 30 <= hex_to_lab(color)[0] <= 92:
                    found.append(color)
    return tuple(found)


CANDIDATES: tuple[str, ...] = NAMED_CANDIDATES + tuple(
    color for color in _grid_candidates() if color not in NAMED_CANDIDATES
)


def _distance_to(color: str, existing: list[str]) -> float:
    return min((delta_e(color, other) for other in existing), default=float("inf"))


def next_colour(existing: Iterable[str]) -> str:
    """The colour for a new label, given the colours the schema already uses.

    The first named (colour-blind-safe) candidate at least ``MIN_DISTANCE`` from every
    existing colour; when none is left, the candidate farthest from its nearest one.
    """
    taken = [color.upper() for color in existing]
    for color in NAMED_CANDIDATES:
        if _distance_to(color, taken) >= MIN_DISTANCE:
            return color
    return max(CANDIDATES, key=lambda color: _distance_to(color, taken))


def free_hotkey(existing: Iterable[str | None], name: str = "") -> str | None:
    """A hotkey no other label or relation uses: the label's own letters first, else the
    first free letter or digit; None when all are taken."""
    taken = {key.upper() for key in existing if key}
    for key in [*name.upper(), *HOTKEY_CANDIDATES]:
        if key in HOTKEY_CANDIDATES and key not in taken:
            return key
    return None
