"""What changed since the reviewer last looked."""

from __future__ import annotations

from pathlib import Path

from annotator.review.changes import (
    changes_since_seen,
    count_changes,
    load_seen,
    mark_seen,
)
from annotator.store import Project
from tests.review.helpers import annotation, make_project

DOCS = {"one": "Alpha met Beta.", "two": "Gamma met Delta.", "three": "Nobody here."}


def test_first_look_then_additions_and_changes(tmp_path: Path) -> None:
    path = make_project(
        tmp_path / "p",
        DOCS,
        {
            "alice": {
                "one": annotation("one", DOCS["one"], [("PERSON", "Alpha")]),
                "three": annotation("three", DOCS["three"], [], status="todo"),
            },
            "bob": {"one": annotation("one", DOCS["one"], [("PERSON", "Beta")])},
        },
    )
    with Project.open(path) as project:
        first = changes_since_seen(project, "carol")
        # An untouched "todo" record with no labels is not news.
        assert [(c.annotator, c.doc_id, c.kind) for c in first] == [
            ("alice", "one", "added"),
            ("bob", "one", "added"),
        ]
        assert load_seen(project, "carol") is None
        mark_seen(project, "carol")
        assert (path / "review" / "carol.json").is_file()
        assert changes_since_seen(project, "carol") == []

        alice = project.annotations("alice")
        changed = annotation("one", DOCS["one"], [("PERSON", "Alpha"), ("PERSON", "Beta")])
        changed.updated = "2099-01-01T00:00:00.000Z"
        alice.save(changed)
        bob = project.annotations("bob")
        bob.save(annotation("two", DOCS["two"], [("PERSON", "Gamma")], status="in_progress"))

    with Project.open(path) as project:
        later = changes_since_seen(project, "carol")
        assert [(c.annotator, c.doc_id, c.kind) for c in later] == [
            ("alice", "one", "changed"),
            ("bob", "two", "added"),
        ]
        assert later[0].describe("Alpha story") == "alice changed Alpha story: spans 1 -> 2"
        assert "bob labelled two: 1 spans" in later[1].describe()
        assert count_changes(later) == {
            "alice": {"added": 0, "changed": 1},
            "bob": {"added": 1, "changed": 0},
        }
        # Another reviewer has their own bookmark.
        assert len(changes_since_seen(project, "dave")) == 3


def test_marking_some_annotators_keeps_the_others_bookmark(tmp_path: Path) -> None:
    path = make_project(
        tmp_path / "p",
        DOCS,
        {
            "alice": {"one": annotation("one", DOCS["one"], [("PERSON", "Alpha")])},
            "bob": {"one": annotation("one", DOCS["one"], [("PERSON", "Beta")])},
        },
    )
    with Project.open(path) as project:
        mark_seen(project, "carol", ["alice"])
        assert [c.annotator for c in changes_since_seen(project, "carol")] == ["bob"]
        mark_seen(project, "carol", ["bob"])
        assert changes_since_seen(project, "carol") == []


def test_a_damaged_bookmark_means_everything_is_new(tmp_path: Path) -> None:
    path = make_project(
        tmp_path / "p",
        DOCS,
        {"alice": {"one": annotation("one", DOCS["one"], [("PERSON", "Alpha")])}},
    )
    with Project.open(path) as project:
        mark_seen(project, "carol")
        (path / "review" / "carol.json").write_bytes(b'{"layers": {"alice": ')
        assert load_seen(project, "carol") is None
        assert len(changes_since_seen(project, "carol")) == 1
        # No temp files are left beside the bookmark.
        assert sorted(p.name for p in (path / "review").iterdir()) == ["carol.json"]
