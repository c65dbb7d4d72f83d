"""Offset conversion, tokens and JSON reading: the pieces every format relies on."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotator.core import InputError
from annotator.formats import jsonio, token_pattern
from annotator.formats.offsets import OffsetError, RawSpan, SourceText, Utf16Map, place_spans
from annotator.formats.tokens import TokenIndex, token_texts, tokenize, tokens_at, tokens_for

ALPHABET_ITEMS = [*"ab \t\n\r,.", "👍", "🏽", "e\u0301", "北", "京", "é", "\u200d"]
ALPHABET = st.sampled_from(ALPHABET_ITEMS)
texts = st.lists(ALPHABET, max_size=40).map("".join)


@given(texts)
def test_utf16_offsets_round_trip(text: str) -> None:
    units = Utf16Map(text)
    for offset in range(len(text) + 1):
        unit = units.to_utf16(offset)
        assert unit == len(text[:offset].encode("utf-16-le")) // 2
        assert units.from_utf16(unit) == offset
    assert units.utf16_length() == len(text.encode("utf-16-le")) // 2


def test_utf16_offset_inside_a_pair_is_an_error() -> None:
    with pytest.raises(OffsetError, match="surrogate pair"):
        Utf16Map("a👍b").from_utf16(2)


@given(texts, st.data())
def test_source_offsets_cover_the_same_characters(original: str, data: st.DataObject) -> None:
    """Any span of the source, once converted, covers its characters (line breaks as \\n)."""
    source = SourceText(original)
    start = data.draw(st.integers(0, len(source.original)))
    end = data.draw(st.integers(start, len(source.original)))
    stored_start = source.to_stored(start, "codepoint")
    stored_end = source.to_stored(end, "codepoint")
    expected = source.original[start:end].replace("\r\n", "\n").replace("\r", "\n")
    covered = source.text[stored_start:stored_end]
    # A range that starts or ends between \r and \n covers that one line break.
    assert covered == expected or covered.replace("\n", "") == expected.replace("\n", "")
    units = Utf16Map(source.original)
    assert source.to_stored(units.to_utf16(start), "utf16") == stored_start


def test_place_spans_picks_the_unit_the_texts_agree_with() -> None:
    source = SourceText("👍 Bob\r\nAlice")
    raws = [RawSpan(3, 6, "P", "a", "T1", "Bob"), RawSpan(8, 13, "P", "b", "T2", "Alice")]

    def fail(message: str) -> Exception:
        return ValueError(message)

    spans, unit = place_spans(source, raws, ("codepoint", "utf16"), fail)
    assert unit == "utf16" and [s.text for s in spans] == ["Bob", "Alice"]
    with pytest.raises(ValueError, match="a says 'Bob'"):
        place_spans(source, raws, ("codepoint",), fail)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Hello, world!", ["Hello", ",", "world", "!"]),
        ("ok 👍🏽 👨\u200d👩\u200d👧 🇫🇷!", ["ok", "👍🏽", "👨\u200d👩\u200d👧", "🇫🇷", "!"]),
        ("cafe\u0301 हिन्दी", ["cafe\u0301", "हिन्दी"]),
        ("北京欢迎你", ["北", "京", "欢", "迎", "你"]),
        ("a\tb\n\nc", ["a", "b", "c"]),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert [text[s:e] for s, e in tokenize(text)] == tokens


@given(texts, st.lists(st.integers(0, 40), max_size=6))
def test_tokens_split_at_every_cut(text: str, cuts: list[int]) -> None:
    cuts = [c for c in cuts if c <= len(text)]
    tokens = tokens_for(text, cuts)
    for start, end in tokens:
        assert start < end and not text[start:end].isspace()
        assert not any(start < cut < end for cut in cuts)
    assert "".join(text[s:e] for s, e in tokens) == "".join(text.split())
    index = TokenIndex(tokens)
    for number, (start, end) in enumerate(tokens):
        assert index.covering(start, end) == (number, number)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_json_lines_array_and_pretty_printed_objects(tmp_path: Path) -> None:
    items = [{"text": "a"}, {"text": "b\nc"}]
    lines = write(
        tmp_path / "a.jsonl", b"\xef\xbb\xbf" + b"\n".join(orjson.dumps(i) for i in items)
    )
    array = write(tmp_path / "b.json", orjson.dumps(items))
    pretty = write(
        tmp_path / "c.jsonl", b"\n".join(orjson.dumps(i, option=orjson.OPT_INDENT_2) for i in items)
    )
    for path, where in [
        (lines, ["a.jsonl:1", "a.jsonl:2"]),
        (array, ["b.json:1", "b.json:1"]),
        (pretty, ["c.jsonl:1", "c.jsonl:4"]),
    ]:
        read = list(jsonio.iter_json_objects(path))
        assert [item for item, _ in read] == items
        assert [str(loc).removeprefix(f"{tmp_path}/") for _, loc in read] == where


def test_arrays_are_streamed_with_line_numbers(tmp_path: Path) -> None:
    items = [{"text": f"doc {n}"} for n in range(3)]
    path = write(tmp_path / "big.json", orjson.dumps(items, option=orjson.OPT_INDENT_2))
    read = list(jsonio.iter_json_objects(path))
    assert [item for item, _ in read] == items
    assert [loc.line for _, loc in read] == [2, 5, 8]
    broken = write(tmp_path / "broken.json", b'[{"text": "a"},\n {"text": }]')
    with pytest.raises(InputError, match=r"broken.json:2: not valid JSON"):
        list(jsonio.iter_json_objects(broken))
    truncated = write(tmp_path / "truncated.json", b'[{"text": "a"},\n {"text": "b"}')
    with pytest.raises(InputError, match=r"truncated.json:2: truncated JSON"):
        list(jsonio.iter_json_objects(truncated))


def test_arrays_are_read_a_chunk_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks far smaller than a task: tasks, numbers and multi-byte characters (emoji,
    CJK, a combining mark) cut at every possible byte still come out whole."""
    monkeypatch.setattr(jsonio, "ARRAY_CHUNK_BYTES", 5)
    items = [
        {"text": "Putin 👍🏽 met 习近平.\r\nCafe\u0301", "n": 12345, "tags": ["a", {"b": []}]},
        {"text": "x" * 50, "nested": {"list": [1.5, -2e3, None, True]}},
        {"text": '“quotes” — and \\ "escapes" ]}'},
    ]
    pretty = write(
        tmp_path / "pretty.json", b"\xef\xbb\xbf" + orjson.dumps(items, option=orjson.OPT_INDENT_2)
    )
    compact = write(tmp_path / "compact.json", orjson.dumps(items) + b"  \n")
    assert [item for item, _ in jsonio.iter_json_objects(pretty)] == items
    starts = [n for n, line in enumerate(pretty.read_bytes().split(b"\n"), 1) if line == b"  {"]
    assert [loc.line for _, loc in jsonio.iter_json_objects(pretty)] == starts
    assert [item for item, _ in jsonio.iter_json_objects(compact)] == items
    bad_byte = write(tmp_path / "bad.json", b'[{"text": "a"},\n{"text": "caf\xe9"}]')
    with pytest.raises(
        InputError, match=r"bad.json:2: not UTF-8 text: byte 0xe9 at byte offset 29"
    ):
        list(jsonio.iter_json_objects(bad_byte))
    extra = write(tmp_path / "extra.json", b'[{"text": "a"}]\n\n  {"text": "b"}')
    with pytest.raises(InputError, match=r"extra.json:3: not valid JSON: extra data"):
        list(jsonio.iter_json_objects(extra))
    broken = write(tmp_path / "broken.json", b'[{"text": "a"},\n{"text": "b",\n "x": ]}]')
    with pytest.raises(InputError, match=r"broken.json:3: not valid JSON"):
        list(jsonio.iter_json_objects(broken))


def test_a_big_array_is_never_held_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a task list holds one chunk and one task, not the file's text or objects."""
    import tracemalloc

    monkeypatch.setattr(jsonio, "ARRAY_CHUNK_BYTES", 64 * 1024, raising=False)
    task = {"data": {"text": "Putin met Xi in 北京 👍🏽. " * 40}, "annotations": [{"result": []}]}
    tasks = [{**task, "id": number} for number in range(4000)]
    path = write(tmp_path / "tasks.json", orjson.dumps(tasks, option=orjson.OPT_INDENT_2))
    del tasks
    size = path.stat().st_size
    tracemalloc.start()
    try:
        count = sum(1 for _ in jsonio.iter_json_objects(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 4000
    assert peak < size / 4, (peak, size)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file is empty"),
        (b"\x00\x01", "binary"),
        (b"text,csv", "not JSON"),
        (b"[1, 2]", r"\[0\] is not a JSON object"),
    ],
)
def test_json_errors(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        list(jsonio.iter_json_objects(write(tmp_path / "x.json", data)))


@given(texts, st.integers(1, 2), st.data())
def test_source_offsets_count_leading_boms(body: str, boms: int, data: st.DataObject) -> None:
    """A source counts the byte-order marks we drop: its offsets land on the same characters."""
    original = "\ufeff" * boms + body
    source = SourceText(original)
    plain = SourceText(body.lstrip("\ufeff"))
    start = data.draw(st.integers(boms, len(original)))
    expected = plain.to_stored(start - boms, "codepoint")
    assert source.to_stored(start, "codepoint") == expected
    assert source.to_stored(Utf16Map(original).to_utf16(start), "utf16") == expected
    assert source.to_stored(0, "codepoint") == 0
    with pytest.raises(OffsetError, match=f"offset {len(original) + 1} is outside"):
        source.to_stored(len(original) + 1, "codepoint")


def _reference_pattern() -> re.Pattern[str]:
    """The tokenizer's rules written plainly (slower): the fast pattern must agree with it."""
    ext = f"[{token_pattern.extend_ranges()}]*"
    cjk = token_pattern.CJK
    return re.compile(
        f"[\U0001f1e6-\U0001f1ff]{{2}}{ext}|[{cjk}]{ext}|(?:[^\\W{cjk}]+{ext})+"
        f"|\\S{ext}(?:\u200d\\S{ext})*"
    )


MORE = st.sampled_from(
    [*ALPHABET_ITEMS, "\u200c", "🇫", "🇷", "\U0001d165", "\U000e0067", "\u3000", "\x1c", "_", "9"]
)


@given(st.lists(MORE, max_size=30).map("".join), st.lists(st.integers(0, 30), max_size=5))
def test_fast_tokenizer_matches_the_plain_rules(text: str, cuts: list[int]) -> None:
    reference = _reference_pattern()
    spans = [match.span() for match in reference.finditer(text)]
    assert tokenize(text) == spans
    assert token_texts(text) == reference.findall(text)
    cuts = sorted({c for c in cuts if 0 < c < len(text)})
    expected: list[tuple[int, int]] = []
    for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True):
        expected += [match.span() for match in reference.finditer(text, start, end)]
    tokens = tokens_at(text, cuts)
    assert tokens.pairs() == expected
    assert tokens.texts == [text[s:e] for s, e in expected]
