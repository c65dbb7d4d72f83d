"""Pattern files and the regex matcher (no spaCy here; parity with spaCy is its own file)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.assist.patterns import (
    _EXTRA_UPPER,
    Pattern,
    PatternMatcher,
    PatternSet,
    TokenSpec,
    load_jsonl_patterns,
    load_pattern_file,
    load_word_list,
    parse_pattern,
    select_longest,
)
from annotator.core.errors import InputError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def matcher(*records: dict[str, object], ignore_case: bool = False) -> PatternMatcher:
    return PatternMatcher(parse_pattern(record, ignore_case) for record in records)


def found(m: PatternMatcher, text: str) -> list[tuple[str, str]]:
    matches = m.find(text)
    for match in matches:
        assert text[match.start : match.end] == match.text
    return [(match.text, match.label) for match in matches]


# --- loading -----------------------------------------------------------------------------


def test_jsonl_string_and_token_patterns_with_any_key_case(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.jsonl",
        '{"label": "GPE", "pattern": "Beijing"}\n'
        "\n"
        '{"label": "PERSON", "pattern": [{"LOWER": "xi"}, {"Lower": "jinping"}]}\n'
        '{"label": "ORG", "pattern": [{"ORTH": "NATO"}]}\n'
        '{"label": "PERSON", "pattern": [{"text": "Putin"}], "id": "putin"}\n',
    )
    patterns = load_jsonl_patterns(path)
    assert patterns.labels() == ["GPE", "ORG", "PERSON"]
    assert patterns.patterns[1].tokens == (TokenSpec("xi", True), TokenSpec("jinping", True))
    assert patterns.patterns[1].where == f"{path}:3"
    m = patterns.matcher()
    text = "XI JINPING met Putin and putin in Beijing, not beijing; NATO, not Nato."
    assert found(m, text) == [
        ("XI JINPING", "PERSON"),
        ("Putin", "PERSON"),
        ("Beijing", "GPE"),
        ("NATO", "ORG"),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["GPE", "Beijing"]', "expected an object"),
        ('{"pattern": "Beijing"}', 'missing "label"'),
        ('{"label": "GPE"}', 'missing "pattern"'),
        ('{"label": "G P E", "pattern": "x"}', "must not contain spaces"),
        ('{"label": "GPE", "pattern": "   "}', "empty pattern"),
        ('{"label": "GPE", "pattern": []}', "non-empty list"),
        ('{"label": "GPE", "pattern": [{"POS": "PROPN"}]}', "'POS' is not supported"),
        ('{"label": "GPE", "pattern": [{"lower": "x", "OP": "+"}]}', "'OP' is not supported"),
        ('{"label": "GPE", "pattern": [{"lower": {"IN": ["a"]}}]}', "plain string"),
        ('{"label": "GPE", "pattern": ["china"]}', "must be an object"),
        ('{"label": "GPE", "pattern": [{"orth": "A", "lower": "b"}]}', "does not fit"),
        ('{"label": "GPE", "pattern": [{"orth": "A", "text": "B"}]}', "disagree"),
    ],
)
def test_bad_pattern_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path / "bad.jsonl", '{"label": "GPE", "pattern": "Beijing"}\n\n' + line + "\n")
    with pytest.raises(InputError) as caught:
        load_jsonl_patterns(path)
    assert caught.value.path == str(path)
    assert caught.value.line == 3
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path}:3: ")


def test_patterns_that_can_never_match_are_skipped_with_a_warning(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.jsonl",
        '{"label": "PERSON", "pattern": [{"lower": "Xi"}]}\n'
        '{"label": "GPE", "pattern": [{"lower": " "}, {"lower": "peru"}]}\n'
        '{"label": "GPE", "pattern": [{"lower": "peru"}]}\n',
    )
    patterns = load_jsonl_patterns(path)
    assert len(patterns) == 1
    assert patterns.warnings[0].startswith(f"{path}:1: token 1: LOWER value 'Xi' has capitals")
    assert "write 'xi'" in patterns.warnings[0]
    assert patterns.warnings[1].startswith(f"{path}:2: token 1 ' ' contains whitespace")


def test_word_list_bom_crlf_blank_lines_and_case(tmp_path: Path) -> None:
    path = tmp_path / "names.txt"
    path.write_bytes("\ufeffXi Jinping\r\n\r\n  Kim   Jong Un \r\nPutin".encode())
    exact = load_word_list(path, "PERSON")
    assert [p.where for p in exact.patterns] == [f"{path}:1", f"{path}:3", f"{path}:4"]
    text = "Xi Jinping, KIM JONG UN and Kim Jong Un; putin"
    assert found(exact.matcher(), text) == [("Xi Jinping", "PERSON"), ("Kim Jong Un", "PERSON")]
    loose = load_pattern_file(path, "PERSON", ignore_case=True)
    assert [t for t, _ in found(loose.matcher(), text)] == [
        "Xi Jinping",
        "KIM JONG UN",
        "Kim Jong Un",
        "putin",
    ]


def test_word_list_errors(tmp_path: Path) -> None:
    words = write(tmp_path / "w.txt", "Beijing\n")
    with pytest.raises(InputError, match="needs a label"):
        load_pattern_file(words)
    jsonl = write(tmp_path / "p.jsonl", '{"label": "GPE", "pattern": "Beijing"}\n')
    with pytest.raises(InputError, match="names its own labels"):
        load_pattern_file(jsonl, "GPE")
    with pytest.raises(InputError, match="no such file"):
        load_pattern_file(tmp_path / "missing.txt", "GPE")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"ok\nBogot\xe1\n")
    with pytest.raises(InputError) as caught:
        load_word_list(bad, "GPE")
    assert caught.value.line == 2


# --- matching ----------------------------------------------------------------------------


def test_whole_words_only() -> None:
    m = matcher({"label": "GPE", "pattern": [{"lower": "china"}]})
    text = "Chinatown, Indochina and China's (China) China-based 'China'. #China china_x china2"
    assert [start for start, *_ in select_longest(m.candidates(text))] == [
        text.index("China's"),
        text.index("(China)") + 1,
        text.index("China-based"),
        text.index("'China'") + 1,
        text.index("#China") + 1,
    ]


def test_offsets_are_code_points_with_emoji_cjk_marks_and_tabs() -> None:
    m = matcher(
        {"label": "GPE", "pattern": "Beijing"},
        {"label": "GPE", "pattern": "北京"},
        {"label": "PERSON", "pattern": [{"lower": "josé"}]},
    )
    text = "👍🏽 Beijing\t北京 。José\r and Jose\u0301 and JOSÉ x"
    matches = m.find(text)
    assert [(text[x.start : x.end], x.label) for x in matches] == [
        ("Beijing", "GPE"),
        ("北京", "GPE"),
        ("José", "PERSON"),
        ("JOSÉ", "PERSON"),
    ]
    assert matches[0].start == 3  # after two code points of emoji and a space


def test_combining_mark_continues_the_word() -> None:
    m = matcher({"label": "X", "pattern": [{"lower": "cafe"}]})
    assert found(m, "cafe\u0301 cafe") == [("cafe", "X")]
    assert m.find("cafe\u0301 cafe")[0].start == 6
    assert found(m, "x\u0301cafe") == []  # mark then word: still inside the word


def test_tokens_join_with_one_space_or_at_punctuation() -> None:
    m = matcher(
        {"label": "PERSON", "pattern": [{"lower": "xi"}, {"lower": "jinping"}]},
        {"label": "GPE", "pattern": [{"lower": "al"}, {"lower": "-"}, {"lower": "bahrayn"}]},
    )
    assert found(m, "Xi Jinping") == [("Xi Jinping", "PERSON")]
    for spaced in ("Xi  Jinping", "Xi\nJinping", "Xi\tJinping", "XiJinping", "Xi\u00a0Jinping"):
        assert found(m, spaced) == [], spaced
    assert [t for t, _ in found(m, "al-Bahrayn; al - Bahrayn")] == ["al-Bahrayn", "al - Bahrayn"]


def test_phrase_patterns_need_exactly_one_space() -> None:
    m = matcher({"label": "PERSON", "pattern": "Kim Jong Un"})
    assert found(m, "Kim Jong Un; Kim  Jong Un; Kim\nJong Un") == [("Kim Jong Un", "PERSON")]


def test_longest_match_wins_then_leftmost() -> None:
    m = matcher(
        {"label": "GPE", "pattern": [{"lower": "korea"}]},
        {"label": "GPE", "pattern": [{"lower": "south"}, {"lower": "korea"}]},
        {"label": "A", "pattern": "a b"},
        {"label": "B", "pattern": "b c d"},
    )
    assert found(m, "South Korea and Korea") == [("South Korea", "GPE"), ("Korea", "GPE")]
    # As the EntityRuler: the longer "b c d" beats the earlier "a b" it overlaps.
    assert found(m, "a b c d") == [("b c d", "B")]


def test_orth_and_lower_tokens_mix() -> None:
    m = matcher({"label": "PERSON", "pattern": [{"orth": "Xi"}, {"lower": "jinping"}]})
    assert found(m, "Xi JINPING, XI Jinping, Xi jinping") == [
        ("Xi JINPING", "PERSON"),
        ("Xi jinping", "PERSON"),
    ]


def test_same_text_under_two_labels_takes_the_first_in_file_order() -> None:
    m = matcher(
        {"label": "GPE", "pattern": "Georgia"},
        {"label": "PERSON", "pattern": "Georgia"},
        {"label": "ORG", "pattern": [{"lower": "acme"}]},
    )
    assert found(m, "Georgia and ACME") == [("Georgia", "GPE"), ("ACME", "ORG")]


def test_no_patterns_find_nothing() -> None:
    assert PatternSet().matcher().find("anything") == []


def test_lowercase_variants_cover_the_unicode_table() -> None:
    """Every character whose lower() is c is reachable from c (upper, title or the table)."""
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        lowered = char.lower()
        if lowered == char or len(lowered) != 1:
            continue
        assert char in {lowered.upper(), lowered.title(), _EXTRA_UPPER.get(lowered)}, hex(code)


# --- the trie regex against a naive reference ----------------------------------------------

WORDS = ["new", "york", "New", "York", "korea", "south", "-", "al", "'s", "café", "北京", "x"]
SEPARATORS = [" ", "  ", "\n", "-", ", ", "'", "👍🏽", "e\u0301", ""]


def naive(patterns: list[Pattern], text: str) -> list[tuple[int, int, str]]:
    """One regex per pattern, run separately: slow, obviously right."""
    candidates = []
    for pattern in patterns:
        parts = []
        for index, token in enumerate(pattern.tokens):
            if index:
                words = token.text[0].isalnum() and pattern.tokens[index - 1].text[-1].isalnum()
                parts.append(" " if pattern.phrase or words else " ?")
            parts.append(("(?i:%s)" if token.lower else "%s") % re.escape(token.text))
        body = "".join(parts)
        before = r"(?<![\w\u0300-\u036f])" if pattern.tokens[0].text[0].isalnum() else ""
        after = r"(?![\w\u0300-\u036f])" if pattern.tokens[-1].text[-1].isalnum() else ""
        regex = re.compile(f"(?=({before}{body}{after}))")
        for found_at in regex.finditer(text):
            candidates.append((found_at.start(1), found_at.end(1), pattern.label))
    best: dict[int, tuple[int, int, str]] = {}
    for start, end, label in candidates:
        if start not in best or end > best[start][1]:
            best[start] = (start, end, label)
    return select_longest(list(best.values()))


pattern_strategy = st.builds(
    lambda words, lower, phrase, label: Pattern(
        label, tuple(TokenSpec(w.lower() if lower else w, lower) for w in words), phrase
    ),
    st.lists(st.sampled_from([w for w in WORDS if w.strip()]), min_size=1, max_size=3),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["A"]),
)


@settings(max_examples=150, deadline=None)
@given(
    patterns=st.lists(pattern_strategy, min_size=1, max_size=6),
    pieces=st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=12),
)
def test_trie_matches_like_one_regex_per_pattern(
    patterns: list[Pattern], pieces: list[tuple[str, str]]
) -> None:
    patterns = [
        p for p in patterns if not (p.phrase and any(not t.text[0].isalnum() for t in p.tokens))
    ]
    text = "".join(word + sep for word, sep in pieces)
    got = [(m.start, m.end, m.label) for m in PatternMatcher(patterns).find(text)]
    assert got == naive(patterns, text)
