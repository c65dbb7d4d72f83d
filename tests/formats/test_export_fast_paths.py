"""Export's fast paths write exactly what the plain paths write.

Native export copies a sealed journal line's span bytes; BIO tokenizes ASCII stretches
with bytes operations and writes its line without a string object per token. Both are
compared here, byte for byte, with the plain writers (kept as the reference) on texts
with emoji, combining marks, CJK, ZWJ sequences, flags, tabs, CRLF imports, JSON escapes,
control characters, and spans that overlap, nest, or start and end inside a word.
"""

from __future__ import annotations

import itertools
import random
import shutil
import sysconfig
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.core import Document, DocumentAnnotation, Relation, Span
from annotator.core.models import Label, LabelSchema, text_hash
from annotator.formats import tokens as tokens_module
from annotator.formats import tokens_python
from annotator.formats.base import ExportRecord
from annotator.formats.bio import BioSink, bio_record
from annotator.formats.common import span_rows
from annotator.formats.native import native_line
from annotator.formats.prodigy import _token_dicts
from annotator.formats.token_pattern import token_offsets
from annotator.formats.tokens import (
    Tokens,
    compiled_tokenizer,
    token_objects_json,
    token_texts,
    tokens_at,
    tokens_json,
)
from annotator.formats.tokens_python import character_kinds
from annotator.services import export_project, import_sources
from annotator.store import Project
from tests.formats.export_reference import native_reference

# Pieces random texts are made of: each is a trap for one tokenizer rule or JSON escape.
PIECES = [
    "word",
    "Wörd",
    "cafe\u0301",
    "e\u0301",
    "\u0301",
    "👍🏽",
    "👨\u200d👩\u200d👧",
    "x\u200d.",
    "👍\u200d.",
    ".\u0301",
    "#\ufe0f\u20e3",
    "1\ufe0f\u20e3",
    "🇫🇷",
    "北京",
    "東京タワー",
    "१२३",
    "snake_case",
    "don't",
    "U.S.",
    "3.14",
    "$5",
    "(a)",
    "[b]",
    "{c}",
    '"q"',
    "\\",
    "\\n",
    "/",
    "?",
    "¿qué?",
    "\x01",
    "\x08",
    "\x1b",
    "\x7f",
    "\x1c",
    "\x1f",
    " ",
    "  ",
    "\t",
    "\n",
    "\n\n",
    "\x0b",
    "\x0c",
    "\u00a0",
    "\u3000",
    "\u2028",
    "\u0085",
    "“curly”",
    "—",
    "…",
    "–",
]
LABELS = ["PERSON", "GPE", "ORG", 'W"IRD\\', "QUOTE"]
SCHEMA = LabelSchema(
    labels=[
        Label(name="PERSON", category="entity"),
        Label(name="GPE", category="entity"),
        Label(name="ORG", category="entity"),
        Label(name="QUOTE", category="quote"),
    ]
)


def _random_text(rng: random.Random, ascii_only: bool) -> str:
    pieces = [p for p in PIECES if p.isascii()] if ascii_only else PIECES
    return "".join(rng.choice(pieces) + rng.choice(["", " ", " ", "\n"]) for _ in range(30))


def _random_spans(rng: random.Random, text: str, overlapping: bool) -> list[dict[str, Any]]:
    spans: list[dict[str, Any]] = []
    position = 0
    for number in range(rng.randint(0, 8)):
        if position >= len(text) - 1:
            break
        # Anywhere: inside words, on a combining mark, on whitespace only.
        start = rng.randint(position, len(text) - 1)
        end = rng.randint(start + 1, min(len(text), start + 12))
        spans.append(
            {
                "id": f"T{number}",
                "start": start,
                "end": end,
                "label": rng.choice(LABELS),
                "text": text[start:end],
                "attrs": {},
                "note": "",
            }
        )
        position = rng.randint(start, end) if overlapping else end
    rng.shuffle(spans)
    return spans


def _labels(spans: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "doc_id": "d",
        "text_hash": "",
        "status": "done",
        "note": "",
        "updated": "",
        "spans": spans,
        "relations": [],
        "provenance": {},
    }


def _reference_bio(
    record: ExportRecord, labels: list[str] | None = None
) -> tuple[bytes, list[str]]:
    """What BioSink wrote before its fast path: bio_record on span rows."""
    rows = span_rows(record)
    known = set(SCHEMA.label_names())
    entity_labels = set(SCHEMA.names_in("entity")) | {s.label for s in rows if s.label not in known}
    item, problems = bio_record(record, set(labels) if labels else None, entity_labels, rows)
    return orjson.dumps(item), problems


@pytest.mark.parametrize("ascii_only", [True, False])
@pytest.mark.parametrize("overlapping", [False, True])
def test_bio_lines_equal_the_plain_writer(
    tmp_path: Path, ascii_only: bool, overlapping: bool
) -> None:
    rng = random.Random(f"{ascii_only}{overlapping}")
    for chosen in (None, ["QUOTE", 'W"IRD\\']):
        sink = BioSink(tmp_path / "out.jsonl", SCHEMA, chosen)
        quick = 0
        for number in range(400):
            text = _random_text(rng, ascii_only)
            spans = _random_spans(rng, text, overlapping)
            record = ExportRecord(fields=(f"doc-{number}", text, {}), labels=_labels(spans))
            edges = record.span_edges()
            assert edges is not None
            line = sink._line(record.doc_id, text, edges)
            expected = _reference_bio(record, chosen)
            if line is not None:
                quick += 1
                assert (line, []) == (expected[0] + b"\n", expected[1]), (text, spans)
            sink.write(record)
        sink.abort()
        if not overlapping:
            assert quick > 250  # the fast path is the one taken (not: NUL, empty spans)


def _tricky_source(tmp_path: Path) -> Path:
    """Native JSONL with CRLF, tabs, emoji, marks, CJK, flags, spans starting inside words
    and a span holding only whitespace."""
    source = tmp_path / "in.jsonl"
    texts = [
        "Alice 👍🏽 said:\r\n\t“Cafe\u0301 is 北京's best,” Bob\tagreed.\r\n🇫🇷 Ünïcödé end",
        'Plain "ASCII" text, with \\ backslashes\tand tabs.\r\nAnd a second line?',
        "Nothing to tag here.",
        "Spans   with    only   spaces.",
    ]
    records = []
    for number, text in enumerate(texts):
        # Offsets in the source's own text, CRLF included: the import moves them.
        words = [(i, i + len(w)) for i, w in _words(text)]
        spans = []
        for index, (start, end) in enumerate(words[:: max(1, len(words) // 4)]):
            # Every other span starts inside its word.
            start = start + 1 if index % 2 and end - start > 2 else start
            spans.append({"id": f"T{index}", "start": start, "end": end, "label": "PERSON"})
        if number == 3:
            gap = text.index("   ")
            spans.append({"id": "W", "start": gap, "end": gap + 3, "label": "ORG"})
        for span in spans:
            span["text"] = text[span["start"] : span["end"]]
        records.append({"id": f"doc-{number}", "text": text, "spans": spans})
    source.write_bytes(b"\n".join(orjson.dumps(r) for r in records))
    return source


def test_bio_export_of_a_project_equals_the_plain_writer(tmp_path: Path) -> None:
    """Through the store: sealed lines, CRLF import, tabs, a span holding only whitespace."""
    with Project.create(tmp_path / "p") as project:
        import_sources(project, [_tricky_source(tmp_path)], "native", "alice")
        notices: list[str] = []
        export_project(
            project, "bio", tmp_path / "out.jsonl", annotator="alice", notify=notices.append
        )
        lines = (tmp_path / "out.jsonl").read_bytes().splitlines()
        expected_problems: list[str] = []
        store = project.annotations("alice", writable=False)
        for line, document in zip(lines, project.iter_documents(), strict=True):
            record = ExportRecord(
                (document.id, document.text, document.meta),
                annotator="alice",
                labels=store.get_record(document.id),
            )
            expected, problems = _reference_bio(record)
            assert line == expected
            expected_problems += problems
    # The span of only whitespace is left out and counted, like any the trimming leaves out.
    assert notices == [
        *expected_problems,
        "1 span(s) held only whitespace (first: document doc-3 span W '   '); "
        "left out, as no token covers them",
    ]


@pytest.mark.parametrize("fmt", ["bio", "prodigy"])
def test_exports_with_and_without_the_compiled_tokenizer_are_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """Where _tokens.c is not built, export writes the same bytes with the Python code."""
    with Project.create(tmp_path / "p") as project:
        import_sources(project, [_tricky_source(tmp_path)], "native", "alice")
        export_project(project, fmt, tmp_path / "compiled.jsonl", annotator="alice")
        monkeypatch.setattr(tokens_module, "compiled_tokenizer", lambda: None)
        export_project(project, fmt, tmp_path / "python.jsonl", annotator="alice")
    compiled = (tmp_path / "compiled.jsonl").read_bytes()
    assert compiled.count(b"\n") == 4
    assert compiled == (tmp_path / "python.jsonl").read_bytes()


def _words(text: str) -> list[tuple[int, str]]:
    result = []
    position = 0
    for word in text.split():
        position = text.index(word, position)
        result.append((position, word))
        position += len(word)
    return result


def _assert_tokens_json_is_the_tokenizer(text: str, cuts: list[int]) -> None:
    """tokens_json (compiled where built) and its Python code both give the pattern's
    tokens, stretch by stretch."""
    stretches = [token_texts(text, a, b) for a, b in itertools.pairwise([0, *cuts, len(text)])]
    expected = (
        orjson.dumps([token for tokens in stretches for token in tokens]),
        [len(tokens) for tokens in stretches],
    )
    assert tokens_json(text, cuts) == expected
    assert tokens_python.tokens_json(text, cuts) == expected


def _assert_tokens_at_is_the_tokenizer(text: str, cuts: list[int]) -> None:
    """tokens_at (compiled where built), its Python code, and Prodigy's token objects
    written by the compiled tokenizer all give the pattern's tokens, stretch by stretch."""
    boundaries = [0, *cuts, *cuts[:2], len(text)]
    starts: list[int] = []
    ends: list[int] = []
    texts: list[str] = []
    for a, b in itertools.pairwise([0, *cuts, len(text)]):
        more = token_offsets(text, a, b)
        starts += more[0]
        ends += more[1]
        texts += more[2]
    tokens = tokens_at(text, boundaries)
    assert (tokens.starts, tokens.ends, tokens.texts) == (starts, ends, texts)
    python = tokens_python.tokens_at(text, sorted({cut for cut in cuts if 0 < cut < len(text)}))
    assert (python.starts, python.ends, python.texts) == (starts, ends, texts)
    objects = token_objects_json(text, boundaries)
    if compiled_tokenizer() is None:
        assert objects is None  # Prodigy writes its dicts from tokens_at instead
        return
    assert objects is not None
    assert objects[0] == orjson.dumps(_token_dicts(Tokens(starts, ends, texts), len(text)))
    assert (objects[1].starts, objects[1].ends) == (starts, ends)


def test_tokens_json_matches_the_tokenizer_on_every_stretch() -> None:
    rng = random.Random(5)
    for _ in range(500):
        text = _random_text(rng, ascii_only=False).replace("\x00", "")
        cuts = sorted(rng.sample(range(1, len(text)), rng.randint(0, min(10, len(text) - 1))))
        _assert_tokens_json_is_the_tokenizer(text, cuts)


@pytest.mark.parametrize("ascii_only", [True, False])
def test_tokens_at_matches_the_pattern_on_every_stretch(ascii_only: bool) -> None:
    """Prodigy's tokens with offsets: ASCII by character classes, the rest by the pattern,
    cuts anywhere (inside words, on marks, on whitespace), NULs and CRLF included."""
    rng = random.Random(11 if ascii_only else 12)
    for _ in range(500):
        text = _random_text(rng, ascii_only) + rng.choice(["", "\x00", "a\r\nb", "x\x00y"])
        cuts = sorted(rng.sample(range(1, len(text)), rng.randint(0, min(10, len(text) - 1))))
        _assert_tokens_at_is_the_tokenizer(text, cuts)


# Characters each kind of handling meets: letters (accented, Cyrillic, mathematical),
# whitespace (ASCII, non-breaking, ideographic, line separator, NEL, \x1c), tokens of their
# own (curly quotes, dashes, CJK, a plain emoji, a BOM, a C1 control, JSON's escapes), and
# the characters that join others (marks, skin tones, ZWJ, flags' halves, keycaps, tags).
_TOKEN_CHARACTERS = list(
    "aZ9_éçЖ𝐀½² \t\n\r\x0b\x0c\x1c\u00a0\u3000\u2028\u0085“”‘’—–…北京🤝\ufeff\u0080"
    '"\\/.,!?\x01\x7f\u0301\u0308🏽\u200d\u200c🇫🇷\ufe0f\u20e3\U000e0067'
)


_ANY_TEXT = st.lists(
    st.one_of(
        st.sampled_from(_TOKEN_CHARACTERS),
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    ),
    max_size=40,
).map("".join)


def _any_cuts(text: str, data: st.DataObject) -> list[int]:
    """Up to eight cuts inside ``text``, ascending, some maybe equal."""
    if len(text) < 2:
        return []
    return sorted(data.draw(st.lists(st.integers(1, len(text) - 1), max_size=8)))


@settings(max_examples=600, deadline=None)
@given(_ANY_TEXT, st.data())
def test_tokens_json_is_the_tokenizer_on_any_text(text: str, data: st.DataObject) -> None:
    """Whatever the characters and wherever the cuts fall (inside words, between a
    character and its marks, inside a ZWJ sequence or a flag), the tokens and counts are
    those of the pattern, stretch by stretch."""
    _assert_tokens_json_is_the_tokenizer(text, _any_cuts(text, data))


@settings(max_examples=600, deadline=None)
@given(_ANY_TEXT, st.data())
def test_tokens_at_is_the_tokenizer_on_any_text(text: str, data: st.DataObject) -> None:
    """Prodigy's tokens with offsets, the same way: any characters, cuts anywhere."""
    _assert_tokens_at_is_the_tokenizer(text, _any_cuts(text, data))


def test_tokens_on_news_text_and_on_text_with_many_symbols(articles_dir: Path) -> None:
    """The shared articles (curly quotes, dashes) and the two ways around the padding:
    joining characters in whitespace-delimited chunks of their own, and a text with more
    distinct symbols than are worth padding one by one (left to the pattern)."""
    rng = random.Random(9)
    articles = sorted(articles_dir.glob("*.txt"))
    crowded = "".join(chr(0x2600 + number) + rng.choice([" ", "a", "b "]) for number in range(40))
    assert character_kinds(crowded) is None
    joined = "Flags 🇫🇷🇩🇪 and 👩\u200d👩\u200d👧 in “ca\u0301fé” — 👍🏽!\nnext👍🏽line"
    assert character_kinds(joined) is not None
    texts = [path.read_text(encoding="utf-8") for path in articles] + [crowded, joined]
    assert len(texts) == 7
    for text in texts:
        for _ in range(40):
            count = rng.randint(0, min(30, len(text) - 1))
            cuts = sorted(rng.sample(range(1, len(text)), count))
            _assert_tokens_json_is_the_tokenizer(text, cuts)
            _assert_tokens_at_is_the_tokenizer(text, cuts)


def _can_compile() -> bool:
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    headers = Path(sysconfig.get_paths()["include"], "Python.h")
    return shutil.which(compiler) is not None and headers.exists()


def test_the_compiled_tokenizer_is_built_and_checks_its_cuts() -> None:
    """`make` builds _tokens.c (setup.py) wherever it can: without it these tests would
    check the Python code twice and BIO and Prodigy export would be 2-4x slower."""
    compiled = compiled_tokenizer()
    if compiled is None and not _can_compile():
        pytest.skip("no C compiler or Python headers here: the Python tokenizer is used")
    assert compiled is not None, "run `make install` (pip install -e .) to build _tokens.c"
    assert compiled.tokens_at("ab cd", [1, 4]) == ([0, 1, 3, 4], [1, 2, 4, 5], list("abcd"))
    with pytest.raises(ValueError, match="ascend"):
        compiled.tokens_json("ab cd", [3, 1])
    with pytest.raises(ValueError, match="ascend"):
        compiled.tokens_at("ab", [5])
    with pytest.raises(TypeError):
        compiled.prodigy_tokens("ab", (1,))


def test_tokens_of_a_long_text_of_symbols_and_escapes() -> None:
    """Output far longer than the text (every character an escaped token of its own) and
    offsets past 2**16, through the compiled tokenizer's growing buffer."""
    text = ('\x01"\\ 👍🏽 ' * 20000) + "end"
    cuts = [1, 70000, 70001, len(text) - 1]
    _assert_tokens_json_is_the_tokenizer(text, cuts)
    _assert_tokens_at_is_the_tokenizer(text, cuts)


def test_tokens_json_leaves_nul_to_the_plain_way() -> None:
    assert tokens_json("a\x00b", [1]) is None
    assert tokens_json("", []) == (b"[]", [0])
    assert tokens_json("   ", [1]) == (b"[]", [0, 0])


# --- native ------------------------------------------------------------------------------

TEXT = 'Xi 👍🏽 said “café\u0301” in 北京\tand left, "quoted" \\ ],"relations":[ here.'


def _annotation(variant: str) -> DocumentAnnotation:
    annotation = DocumentAnnotation(doc_id="d", status="done", note='n "],"spans":[')
    for number, phrase in enumerate(["Xi", "👍🏽", "café\u0301", "北京", '"quoted"'], 1):
        start = TEXT.index(phrase)
        span = Span.of(TEXT, start, start + len(phrase), "L", f"T{number}")
        if variant == "attrs" and number == 2:
            span = span.model_copy(update={"attrs": {"relations": [], "attrs": {}, "note": ""}})
        if variant == "notes":
            span = span.model_copy(update={"note": '],"relations":[ "attrs":{"x'})
        annotation.add_span(span)
    if variant != "empty":
        annotation.add_relation(Relation(id="R1", label="ATTRIBUTED_TO", head="T3", tail="T1"))
        annotation.add_relation(
            Relation(id="R2", label="A", head="T3", tail="T2", note='],"provenance":{')
        )
    else:
        annotation.spans = []
    if variant == "provenance":
        annotation.provenance = {"settled": {"k": {"spans": ["T1"], "x": 1.5}}}
    return annotation


@pytest.mark.parametrize("variant", ["plain", "attrs", "notes", "provenance", "empty"])
def test_native_lines_from_sealed_lines_equal_lines_from_models(
    tmp_path: Path, variant: str
) -> None:
    document = Document(id="d", text=TEXT, meta={"title": "t"})
    annotation = _annotation(variant)
    with Project.create(tmp_path / "p") as project:
        project.add_documents([document])
        project.annotations("alice").save(annotation)
        store = project.annotations("alice", writable=False)
        line = store.sealed_line("d", text_hash(TEXT))
        assert line is not None
        assert (line.parts() is None) == (variant == "attrs")
        record = ExportRecord(fields=("d", TEXT, {"title": "t"}), annotator="alice", line=line)
        expected = orjson.dumps(native_reference(document, annotation, "alice"))
        assert native_line(record) == expected
        assert record.span_count == len(annotation.spans)
        assert record.relation_count == len(annotation.relations)
        assert (record.doc_id, record.text, record.meta) == (document.id, TEXT, document.meta)
        spans = store.get_record("d")["spans"]  # type: ignore[index]
        assert record.span_edges() == [v for s in spans for v in (s["start"], s["end"], s["label"])]
        export_project(project, "native", tmp_path / "out.jsonl", annotator="alice")
    assert (tmp_path / "out.jsonl").read_bytes() == expected + b"\n"


@pytest.mark.parametrize(
    "variant", ["plain", "odd labels", "notes", "attrs", "nested attrs", "provenance"]
)
def test_span_edges_of_sealed_lines(tmp_path: Path, variant: str) -> None:
    """A sealed line's starts, ends and labels are read from its bytes only when that gives
    exactly the spans' own; otherwise the spans are parsed. BIO writes the same either way."""
    fake = {"a": 0, "start": 1, "end": 2, "label": "FAKE"}
    labels = {"plain": ["PERSON"], "odd labels": ['W"IRD\\', "GPE", "Zé\u200d\x01"]}
    annotation = DocumentAnnotation(doc_id="d", status="done")
    for number, phrase in enumerate(["Xi", "👍🏽", "café\u0301", "北京", '"quoted"'], 1):
        start = TEXT.index(phrase)
        names = labels.get(variant, ["PERSON", "GPE"])
        span = Span.of(TEXT, start, start + len(phrase), names[number % len(names)], f"T{number}")
        if variant == "notes":
            span = span.model_copy(update={"note": ',"start":1,"end":2,"label":"FAKE"'})
        if variant == "attrs" and number == 2:
            span = span.model_copy(update={"attrs": {"start": 1, "end": 2}})
        if variant == "nested attrs" and number == 2:
            span = span.model_copy(update={"attrs": {"x": fake}})
        annotation.add_span(span)
    if variant == "provenance":
        annotation.provenance = {"x": fake}
    schema = LabelSchema(labels=[Label(name="PERSON", category="entity")])
    with Project.create(tmp_path / "p") as project:
        project.add_documents([Document(id="d", text=TEXT)])
        project.annotations("alice").save(annotation)
        store = project.annotations("alice", writable=False)
        line = store.sealed_line("d", text_hash(TEXT))
        assert line is not None
        edges = line.span_edges()
        expected = [v for s in annotation.spans for v in (s.start, s.end, s.label)]
        # Objects after the spans that hold the three keys in order make the count disagree.
        assert edges == (None if variant in ("nested attrs", "provenance") else expected)
        record = ExportRecord(fields=("d", TEXT, {}), annotator="alice", line=line)
        sink = BioSink(tmp_path / "out.jsonl", schema, None)
        sink.write(record)
        sink.commit()
        plain = ExportRecord(fields=("d", TEXT, {}), labels=store.get_record("d"))
        rows = span_rows(plain)
        tagged = {"PERSON"} | {s.label for s in rows if s.label not in schema.label_names()}
        item, _ = bio_record(plain, None, tagged, rows)
    assert (tmp_path / "out.jsonl").read_bytes() == orjson.dumps(item) + b"\n"


def test_only_intact_lines_sealed_for_the_same_text_are_used(tmp_path: Path) -> None:
    document = Document(id="d", text=TEXT)
    with Project.create(tmp_path / "p") as project:
        project.add_documents([document])
        project.annotations("alice").save(_annotation("plain"))
        store = project.annotations("alice", writable=False)
        assert store.sealed_line("d", text_hash(TEXT)) is not None
        assert store.sealed_line("d", text_hash(TEXT + "x")) is None
        assert store.sealed_line("nothing", text_hash(TEXT)) is None
    journal = tmp_path / "p" / "annotations" / "alice.jsonl"
    # A hand edit keeps the line valid JSON but breaks its checksum.
    journal.write_bytes(journal.read_bytes().replace(b'"label":"L"', b'"label":"M"', 1))
    with Project.open(tmp_path / "p") as project:
        store = project.annotations("alice", writable=False)
        assert store.sealed_line("d", text_hash(TEXT)) is None
        export_project(project, "native", tmp_path / "out.jsonl", annotator="alice")
    exported = orjson.loads((tmp_path / "out.jsonl").read_bytes())
    assert [span["label"] for span in exported["spans"]][:2] == ["M", "L"]
