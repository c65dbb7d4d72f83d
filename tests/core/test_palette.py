"""Label colours: every pair far apart in CIELAB, and new labels get distinct colours and keys."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from annotator.core.palette import (
    MIN_DISTANCE,
    delta_e,
    free_hotkey,
    hex_to_lab,
    next_colour,
)
from annotator.core.schema import default_schema


def test_lab_conversion_matches_reference_values() -> None:
    # Reference values (sRGB, D65) from Bruce Lindbloom's calculator.
    white = hex_to_lab("#FFFFFF")
    assert white == pytest.approx((100.0, 0.0, 0.0), abs=0.01)
    red = hex_to_lab("#FF0000")
    assert red == pytest.approx((53.24, 80.09, 67.20), abs=0.05)
    assert hex_to_lab("#000000") == pytest.approx((0.0, 0.0, 0.0), abs=0.01)
    assert delta_e("#FFFFFF", "#000000") == pytest.approx(100.0, abs=0.01)


def test_the_blues_testers_confused_are_close_and_the_defaults_are_not() -> None:
    assert delta_e("#99DDFF", "#88CCEE") < MIN_DISTANCE  # the old LOC and SOURCE
    colours = [label.color for label in default_schema().labels]
    for first, second in itertools.combinations(colours, 2):
        assert delta_e(first, second) >= MIN_DISTANCE, (first, second)


@pytest.mark.parametrize("start", ["empty", "defaults"])
def test_thirty_labels_added_one_by_one_stay_apart(start: str) -> None:
    colours = [] if start == "empty" else [label.color for label in default_schema().labels]
    for _ in range(30):
        colours.append(next_colour(colours))
    assert len(set(colours)) == len(colours)
    for first, second in itertools.combinations(colours, 2):
        assert delta_e(first, second) >= MIN_DISTANCE, (first, second)


def test_free_hotkey_prefers_the_labels_letters_and_skips_taken_ones() -> None:
    taken = [label.hotkey for label in default_schema().labels] + ["R"]
    assert free_hotkey(taken, "LOCATION") == "A"  # L, O, C taken; A is LOCATION's next
    assert free_hotkey(taken, "MISC") == "I"
    assert free_hotkey(["a"], "A") == "B"
    everything = list("ABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890")
    assert free_hotkey(everything, "X") is None


def test_import_gives_new_labels_distinct_colours_and_free_hotkeys(
    project_path: Path, fixtures_dir: Path
) -> None:
    from annotator.services import import_sources
    from annotator.store import Project

    source = fixtures_dir / "prodigy" / "annotated_news_headlines-ORG-PERSON-LOCATION-ner.jsonl"
    project = Project.open(project_path)
    try:
        import_sources(project, [source], "prodigy", annotator="imported")
        schema = project.schema
    finally:
        project.close()
    assert "LOCATION" in {label.name for label in schema.labels}
    colours = [label.color for label in schema.labels]
    for first, second in itertools.combinations(colours, 2):
        assert delta_e(first, second) >= MIN_DISTANCE, (first, second)
    keys = [label.hotkey for label in schema.labels] + [rel.hotkey for rel in schema.relations]
    assert all(keys), keys
    assert len(set(keys)) == len(keys)
