"""BBC R&D's Citron format: hand-written files from its documented shape (bbc/citron,
docs/data_format.md) import as quotes (contents, cue, sources, coreferences) and export
unchanged, ids, emoji and CRLF included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from annotator.cli import main
from annotator.core.errors import InputError
from annotator.core.quotes import quote_parts
from annotator.core.schema import ATTRIBUTED_TO, CONTINUES, COREF, CUE
from annotator.services import export_project, import_sources
from annotator.store import Project
from tests.store.helpers import snapshot


def span(text: str, piece: str, after: int = 0) -> dict[str, Any]:
    start = text.index(piece, after)
    return {"start": start, "end": start + len(piece), "text": piece}


# The documented example's shape: a quote split around "said", a pronoun source with its
# coreference, an emoji before the spans (one code point, two UTF-16 units).
SPLIT_TEXT = (
    "👍🏽 Humpty Dumpty sat on a wall. "
    '"When I use a word," Humpty Dumpty said, "it means just what I choose it to mean." '
    'Later he added: "The question is which is to be master."'
)


def split_quote_file() -> dict[str, Any]:
    text = SPLIT_TEXT
    name_at = text.index("Humpty Dumpty said")
    return {
        "text": text,
        "quotes": [
            {
                "cue": span(text, "said"),
                "sources": [span(text, "Humpty Dumpty", name_at)],
                "contents": [
                    span(text, '"When I use a word,"'),
                    span(text, '"it means just what I choose it to mean."'),
                ],
                "id": "q1",
            },
            {
                "cue": span(text, "added"),
                "sources": [span(text, "he")],
                "contents": [span(text, '"The question is which is to be master."')],
                "coreferences": [span(text, "Humpty Dumpty", name_at)],
                "confidence": "0.8123",
                "id": "q2",
            },
        ],
        "coreference_groups": [[span(text, "Humpty Dumpty"), span(text, "he")]],
    }


CRLF_TEXT = 'Budget talks\r\n\r\nThe minister told reporters: "We will not move."\r\nEnd.'


def crlf_file() -> dict[str, Any]:
    text = CRLF_TEXT
    return {
        "text": text,
        "quotes": [
            {
                "cue": span(text, "told reporters"),
                "sources": [span(text, "The minister")],
                "contents": [span(text, '"We will not move."')],
                "coreferences": [],
            }
        ],
    }


def write(folder: Path, name: str, data: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    return path


def test_a_folder_of_citron_files_imports_as_quotes_and_exports_unchanged(tmp_path: Path) -> None:
    source = tmp_path / "citron"
    write(source, "humpty.json", split_quote_file())
    write(source, "budget.json", crlf_file())
    project = Project.create(tmp_path / "p")
    notices: list[str] = []
    result = import_sources(project, [source], "auto", annotator="alice", notify=notices.append)
    assert result.formats == {str(source): "citron"}
    assert result.added == 2

    labels = project.annotations("alice").get("humpty")
    assert labels is not None
    by_text = {(s.label, s.text): s.id for s in labels.spans}
    first = by_text[("QUOTE", '"When I use a word,"')]
    second = by_text[("QUOTE", '"it means just what I choose it to mean."')]
    cue, name = by_text[("CUE", "said")], by_text[("SOURCE", "Humpty Dumpty")]
    edges = {(r.label, r.head, r.tail) for r in labels.relations}
    assert (CUE, first, cue) in edges
    assert (ATTRIBUTED_TO, first, name) in edges
    assert (CONTINUES, second, first) in edges
    assert (COREF, by_text[("SOURCE", "he")], name) in edges
    # One span per range and role: the name is the first quote's source and the second's antecedent.
    assert sum(1 for s in labels.spans if s.text == "Humpty Dumpty") == 1
    # Selecting the second content shows the first quote whole, not the second.
    assert quote_parts(second, labels.relations) == {first, second, cue, name}
    document = project.get_document("budget")
    assert "\r" not in document.text and document.meta["newlines"] == {"crlf": 3}

    out = tmp_path / "out"
    summary = export_project(project, "citron", out, annotator="alice")
    assert summary.documents == 2
    assert sorted(p.name for p in out.glob("*.json")) == ["budget.json", "humpty.json"]
    for name in ("humpty.json", "budget.json"):
        assert orjson.loads((out / name).read_bytes()) == orjson.loads((source / name).read_bytes())
    project.close()


def test_export_keeps_nested_quotes_apart_and_reports_what_citron_cannot_hold(
    tmp_path: Path,
) -> None:
    text = "Ann said: \"Bob told me 'we won' yesterday.\" Paris is big."
    data = {
        "text": text,
        "quotes": [
            {
                "cue": span(text, "said"),
                "sources": [span(text, "Ann")],
                "contents": [span(text, "\"Bob told me 'we won' yesterday.\"")],
            },
            {
                "cue": span(text, "told"),
                "sources": [span(text, "Bob")],
                "contents": [span(text, "'we won'")],
            },
        ],
    }
    source = write(tmp_path, "nested.json", data)
    project = Project.create(tmp_path / "p")
    import_sources(project, [source], "citron", annotator="alice")
    labels = project.annotations("alice").get("nested")
    assert labels is not None
    inner = next(s.id for s in labels.spans if s.text == "'we won'")
    assert {labels.span(i).text for i in quote_parts(inner, labels.relations)} == {  # type: ignore[union-attr]
        "'we won'",
        "told",
        "Bob",
    }
    from annotator.core.models import Span

    labels.add_span(Span.of(text, text.index("Paris"), text.index("Paris") + 5, "GPE", "T99"))
    project.annotations("alice").save(labels, text)
    out = tmp_path / "out"
    summary = export_project(project, "citron", out, annotator="alice")
    assert orjson.loads((out / "nested.json").read_bytes()) == data
    assert any("1 span(s) in no quote left out" in w for w in summary.warnings)
    project.close()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["quotes"][1]["contents"][0].update(
                start=d["quotes"][1]["contents"][0]["start"] + 1
            ),
            "quotes[1] (id q2) contents[0]: says",
        ),
        (lambda d: d["quotes"][0]["cue"].update(text="says"), "quotes[0] (id q1) cue: says 'says'"),
        (lambda d: d["quotes"][0].update(contents=[]), "quotes[0] (id q1): a quote needs"),
        (lambda d: d.pop("text"), "no text"),
    ],
)
def test_a_span_that_does_not_match_the_text_is_one_line_naming_file_and_quote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, message: str
) -> None:
    data = split_quote_file()
    change(data)
    source = write(tmp_path / "in", "humpty.json", data)
    project = tmp_path / "p"
    assert main(["init", str(project)]) == 0
    before = snapshot(project)
    capsys.readouterr()
    code = main(["import", str(project), str(source), "--format", "citron"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and str(source) in err and message in err, err
    assert "Traceback" not in err
    assert snapshot(project) == before


def test_offsets_count_code_points_not_utf16(tmp_path: Path) -> None:
    data = split_quote_file()
    # Where a tool counting UTF-16 units would put "said": two units further for 👍🏽.
    cue = data["quotes"][0]["cue"]
    cue.update(start=cue["start"] + 2, end=cue["end"] + 2)
    source = write(tmp_path, "humpty.json", data)
    with pytest.raises(InputError, match="cue: says 'said' but the text at"):
        project = Project.create(tmp_path / "p")
        try:
            import_sources(project, [source], "citron", annotator="alice")
        finally:
            project.close()
