"""`annotator suggest`: counts on stdout, one-line errors naming the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.cli import main
from annotator.store import Project

GPE_FIXTURE = Path("prodigy") / "patterns_countries-GPE.jsonl"


@pytest.fixture
def articles_project(tmp_path: Path, articles_dir: Path) -> Path:
    path = tmp_path / "news"
    assert main(["init", str(path), str(articles_dir)]) == 0
    return path


def test_fixture_patterns_over_the_articles(
    articles_project: Path, fixtures_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    patterns = str(fixtures_dir / GPE_FIXTURE)
    assert (
        main(["suggest", str(articles_project), "--patterns", patterns, "--annotator", "ann"]) == 0
    )
    out, err = capsys.readouterr()
    assert out.startswith("ann: found 339 matches in 5 documents; added 339 suggestions (GPE 339)")
    assert err.count("skipped") == 2  # the two whitespace-token patterns, named by line
    assert f"{GPE_FIXTURE.name}:146:" in err
    assert (
        main(["suggest", str(articles_project), "--patterns", patterns, "--annotator", "ann"]) == 0
    )
    out, _ = capsys.readouterr()
    assert "added 0 suggestions; 339 already labelled, suggested or rejected" in out
    with Project.open(articles_project) as project:
        assert project.annotators() == []  # suggestions are not labels
        suggestions = project.suggestions("ann", writable=False)
        assert sum(len(a.spans) for a in suggestions.iter_annotations()) == 339


def test_word_list_with_label_and_only_annotator_default(
    articles_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    words = tmp_path / "people.txt"
    words.write_text("Xi Jinping\nVladimir Putin\n", encoding="utf-8")
    with Project.open(articles_project) as project:
        store = project.annotations("carol")
        store.save(store.get_or_new(project.document_ids()[0]))
    capsys.readouterr()
    args = ["suggest", str(articles_project), "--patterns", str(words), "--label", "PERSON"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("carol: found ") and "(PERSON " in out


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (
            '{"label": "GPE", "pattern": "x"}\n{"label": "GPE", "pattern": [{"POS": "X"}]}\n',
            [],
            "bad.jsonl:2: token 1: attribute 'POS' is not supported",
        ),
        (
            '{"label": "LOCATION", "pattern": "Paris"}\n',
            [],
            "bad.jsonl:1: label 'LOCATION' is not one of the project's labels",
        ),
        ('{"label": "GPE", "pattern": "x"}\n', ["--label", "GPE"], "names its own labels"),
        ('{"label": "GPE", "pattern": "x"}\n', ["--annotator", "a b"], "annotator name 'a b'"),
    ],
)
def test_errors_are_one_line_with_file_and_line(
    articles_project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    extra: list[str],
    message: str,
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content, encoding="utf-8")
    capsys.readouterr()
    args = ["suggest", str(articles_project), "--patterns", str(bad), *extra]
    if "--annotator" not in extra:
        args += ["--annotator", "ann"]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert not (articles_project / "suggestions" / "ann.jsonl").exists() or message.startswith(
        "names"
    )


def test_needs_patterns_or_model_and_an_annotator(
    articles_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["suggest", str(articles_project), "--annotator", "ann"]) == 1
    assert "give --patterns FILE" in capsys.readouterr().err
    assert main(["suggest", str(articles_project), "--model", "xx_missing"]) == 1
    assert "--annotator NAME" in capsys.readouterr().err
    assert (
        main(["suggest", str(articles_project), "--model", "xx_missing", "--annotator", "a"]) == 1
    )
    assert "'xx_missing' is not installed" in capsys.readouterr().err


def test_model_from_a_saved_pipeline(
    articles_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(
        [{"label": "PERSON", "pattern": "Putin"}, {"label": "MONEY", "pattern": "rubles"}]
    )
    nlp.to_disk(tmp_path / "pipe")
    capsys.readouterr()
    args = ["suggest", str(articles_project), "--model", str(tmp_path / "pipe"), "--annotator", "m"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("m: found ") and "(PERSON " in out
