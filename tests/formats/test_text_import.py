"""Importing articles: .txt/.md files and folders, JSONL/JSON records; text kept exactly."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotator.core import AnnotatorError, InputError
from annotator.core.text import normalize_newlines
from annotator.formats.native import reader as native_reader
from annotator.formats.text import reader as text_reader
from annotator.services import import_sources
from annotator.store import DOCUMENTS_FILE, Project
from tests.store.helpers import snapshot

# Everything import must leave alone: tabs, NBSP, combining marks, emoji, curly quotes,
# trailing spaces, a U+2029 and a BOM that is not at the start.
UNTOUCHED = (
    "\tIndented\u00a0with NBSP, cafe\u0301 (combining), caf\u00e9 (precomposed), "
    "👍🏽 👩\u200d👩\u200d👧 北京 “quoted” trailing   \u2029after\ufeffmid"
)


def read_one(path: Path) -> tuple[str, str, dict[str, object]]:
    records = list(text_reader.read(path))
    assert len(records) == 1
    doc = records[0].document
    return doc.id, doc.text, doc.meta


def test_a_txt_file_becomes_one_document_named_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "putin-xi.txt"
    path.write_text("\n\n  Putin and Xi meet  \n\nBody text.\n", encoding="utf-8")
    doc_id, text, meta = read_one(path)
    assert doc_id == "putin-xi"
    assert text == "\n\n  Putin and Xi meet  \n\nBody text.\n"
    assert meta == {"title": "Putin and Xi meet", "source": "putin-xi.txt"}


def test_a_md_file_is_imported_as_is(tmp_path: Path) -> None:
    path = tmp_path / "notes.MD"
    path.write_text("# Heading\n\n*emphasis* stays\n", encoding="utf-8")
    doc_id, text, meta = read_one(path)
    assert (doc_id, text, meta["title"]) == (
        "notes",
        "# Heading\n\n*emphasis* stays\n",
        "Notes",  # "# Heading" is too short to be a headline: the file name tells more
    )


def test_nothing_but_line_endings_changes(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(UNTOUCHED.encode("utf-8"))
    _, text, meta = read_one(path)
    assert text == UNTOUCHED
    assert "newlines" not in meta and "bom" not in meta


def test_bom_is_stripped_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfTitle\n")
    _, text, meta = read_one(path)
    assert text == "Title\n" and meta["bom"] is True and meta["title"] == "Bom"


def test_crlf_and_lone_cr_become_lf_and_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    original = "First\r\nSecond\rThird\r\n\r\n" + UNTOUCHED + "\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + original.encode("utf-8"))
    _, text, meta = read_one(path)
    assert text == "First\nSecond\nThird\n\n" + UNTOUCHED + "\n"
    assert meta["newlines"] == {"crlf": 4, "cr": 1}
    assert meta["bom"] is True and meta["title"].startswith("Indented\xa0with NBSP")


def test_a_folder_is_read_recursively_in_sorted_order_with_ids_from_paths(
    tmp_path: Path,
) -> None:
    source = tmp_path / "src"
    for relative, body in [
        ("b.txt", "B"),
        ("a.md", "A"),
        ("sub/c.txt", "C"),
        ("sub/deeper/d.txt", "D"),
        ("Z/e.txt", "E"),
        ("ignored.json", '{"text": "no"}'),
        ("image.png", "no"),
        ("sub/readme", "no"),
    ]:
        (source / relative).parent.mkdir(parents=True, exist_ok=True)
        (source / relative).write_text(body, encoding="utf-8")
    records = list(text_reader.read(source))
    assert [record.document.id for record in records] == [
        "Z/e",
        "a",
        "b",
        "sub/c",
        "sub/deeper/d",
    ]
    assert [record.document.text for record in records] == ["E", "A", "B", "C", "D"]
    assert records[3].document.meta["source"] == "c.txt"


def test_a_folder_without_articles_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "data.csv").write_text("a,b")
    with pytest.raises(InputError, match=r"no \.txt or \.md files"):
        list(text_reader.read(tmp_path / "empty"))


def test_not_utf8_names_the_file_line_and_byte_offset(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Line one\nCaf\u00e9 au lait\n".encode("latin-1"))
    with pytest.raises(InputError) as caught:
        list(text_reader.read(path))
    assert caught.value.path == str(path) and caught.value.line == 2
    assert "byte offset 12" in str(caught.value) and "0xe9" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"  \n\r\n\t ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("text".encode("utf-16"), "binary"),
    ],
)
def test_empty_and_binary_files_are_refused(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=reason) as caught:
        list(text_reader.read(path))
    assert str(path) in str(caught.value)


def test_the_five_articles_import_exactly(project: Project, articles_dir: Path) -> None:
    summary = import_sources(project, [articles_dir])
    files = sorted(articles_dir.glob("*.txt"))
    assert len(files) == 5 and summary.added == 5
    assert project.document_ids() == [path.stem for path in files]
    for path in files:
        expected, _, _ = normalize_newlines(path.read_text(encoding="utf-8").lstrip("\ufeff"))
        document = project.get_document(path.stem)
        assert document.text == expected
        title = document.meta["title"]
        assert title in expected or title == path.stem.replace("-", " ").capitalize()
    # The stored file holds the same texts, one JSON object a line.
    stored = [
        orjson.loads(line)
        for line in (project.path / DOCUMENTS_FILE).read_bytes().split(b"\n")
        if line
    ]
    assert [(item["id"], item["text"]) for item in stored] == [
        (path.stem, project.get_text(path.stem)) for path in files
    ]


def test_importing_the_same_articles_twice_adds_nothing(
    project: Project, articles_dir: Path
) -> None:
    import_sources(project, [articles_dir])
    before = snapshot(project.path)
    summary = import_sources(project, [articles_dir])
    assert (summary.added, summary.unchanged) == (0, 5)
    assert snapshot(project.path) == before


# --- JSONL and JSON records ---------------------------------------------------------------


def test_jsonl_records_keep_their_id_and_move_other_fields_to_meta(tmp_path: Path) -> None:
    path = tmp_path / "news.jsonl"
    lines = [
        {"id": "a1", "text": "Headline\r\nBody 👍🏽", "url": "https://x", "meta": {"lang": "en"}},
        {"id": 7, "text": "\n\nSecond"},
        {"text": "No id here"},
    ]
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n\n")
    records = list(native_reader.read(path))
    docs = [record.document for record in records]
    assert [doc.id for doc in docs] == ["a1", "7", "news-3"]
    assert docs[0].text == "Headline\nBody 👍🏽"
    assert docs[0].meta == {
        "lang": "en",
        "url": "https://x",
        "title": "Headline",
        "newlines": {"crlf": 1},
    }
    assert docs[1].meta == {"title": "Second"}
    assert records[0].labels == {}
    assert records[1].where == f"{path}:2"


def test_a_json_list_or_single_object_imports_too(tmp_path: Path) -> None:
    listing = tmp_path / "list.json"
    listing.write_text('[{"id": "x", "text": "one"}, {"id": "y", "text": "two", "src": 1}]')
    docs = [record.document for record in native_reader.read(listing)]
    assert [(d.id, d.text, d.meta.get("src")) for d in docs] == [
        ("x", "one", None),
        ("y", "two", 1),
    ]
    single = tmp_path / "one.json"
    single.write_text('{"text": "only"}')
    assert [record.document.id for record in native_reader.read(single)] == ["one-1"]


@pytest.mark.parametrize(
    ("name", "content", "message", "line"),
    [
        ("broken.jsonl", b'{"text": "ok"}\n{"text": "cut\n', "broken JSON", 2),
        ("notext.json", b'[{"text": "ok"}, {"title": "no text"}]', '[1] has no "text"', None),
        ("notstring.jsonl", b'{"text": 5}\n', 'no "text"', 1),
        ("array.jsonl", b'{"text": "a"}\n\n[1, 2]\n', "not a JSON object", 3),
        ("badid.jsonl", b'{"id": "", "text": "a"}\n', '"id"', 1),
        ("empty.jsonl", b"\n  \n", "empty", None),
    ],
)
def test_bad_records_name_file_and_line(
    tmp_path: Path, name: str, content: bytes, message: str, line: int | None
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        list(native_reader.read(path))
    assert caught.value.path == str(path)
    assert caught.value.line == line
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_import_is_all_or_nothing(project: Project, tmp_path: Path) -> None:
    good = tmp_path / "1-good.jsonl"
    good.write_bytes(
        b'{"id": "g1", "text": "Good one", "spans": [{"start": 0, "end": 4, "label": "PERSON"}]}\n'
    )
    import_sources(project, [good], annotator="alice")
    before = snapshot(project.path)
    more = tmp_path / "2-more.jsonl"
    more.write_bytes(
        b'{"id": "g2", "text": "Another", "spans": [{"start": 0, "end": 7, "label": "ORG"}]}\n'
    )
    bad = tmp_path / "3-bad.jsonl"
    bad.write_bytes(b'{"id": "b1", "text": "fine"}\n{"id": "b2", "text": \n')
    with pytest.raises(InputError, match=r"3-bad\.jsonl:2"):
        import_sources(project, [more, bad], annotator="alice")
    assert snapshot(project.path) == before
    assert project.document_ids() == ["g1"]
    with Project.open(project.path) as reopened:
        assert reopened.document_ids() == ["g1"]


def test_a_text_folder_with_one_bad_file_imports_nothing(project: Project, tmp_path: Path) -> None:
    source = tmp_path / "articles"
    source.mkdir()
    (source / "a.txt").write_text("Fine article")
    (source / "b.txt").write_bytes("Caf\u00e9".encode("latin-1"))
    before = snapshot(project.path)
    with pytest.raises(InputError, match=r"b\.txt"):
        import_sources(project, [source])
    assert snapshot(project.path) == before


def test_duplicate_ids_with_different_texts_are_refused(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "dups.jsonl"
    path.write_bytes(b'{"id": "x", "text": "one"}\n{"id": "x", "text": "two"}\n')
    before = snapshot(project.path)
    with pytest.raises(AnnotatorError, match=r"dups.jsonl:2: .*'x'"):
        import_sources(project, [path])
    assert snapshot(project.path) == before


def test_a_doubled_bom_is_stripped_too(tmp_path: Path) -> None:
    path = tmp_path / "double.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "\ufeffTitle\n".encode())
    _, text, meta = read_one(path)
    assert text == "Title\n" and meta["bom"] is True
