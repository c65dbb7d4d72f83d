"""Pattern files (Prodigy-style JSONL and plain word lists) matched without spaCy.

Patterns are compiled into one regular expression shaped as a trie (patterns sharing a
prefix share its branch), so a document is scanned in C whatever the number of patterns:
once over its lowercased text for all-LOWER patterns (plain literals keep the regex fast),
and once over the text as written if there are ORTH/TEXT or case-sensitive phrase
patterns. The result follows spaCy's EntityRuler on ``spacy.blank("en")``:

* matches cover whole tokens: a pattern that starts or ends with a letter or digit never
  starts or ends inside a word (a combining mark continues the word before it), and
  one ending in a period or apostrophe is not followed by a letter ("U.S." in "U.S.A.");
* tokens of a token pattern are separated by exactly one space, or by nothing where
  spaCy's tokenizer splits off punctuation ("al-Bahrayn" is al / - / Bahrayn); a tab,
  newline or second space is a token of its own in spaCy, so it breaks a match;
* ``LOWER`` compares with ``token.lower()``, ``ORTH``/``TEXT`` exactly; string patterns
  are exact phrases (spaCy's PhraseMatcher on ORTH) unless ``ignore_case`` is set;
* overlapping matches are settled as the EntityRuler does: longest first, then leftmost.

Known differences (spaCy's tokenizer exceptions, which a regex cannot see) are listed in
docs/assisted.md and pinned by tests/assist/test_spacy_parity.py.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from annotator.core.errors import InputError

# Keys a token pattern may use (spaCy accepts them in any case); TEXT is ORTH.
_TOKEN_KEYS = frozenset({"lower", "orth", "text"})

# Characters whose lower() is c although neither c.upper() nor c.title() is them
# (checked against the whole Unicode table in the tests).
_EXTRA_UPPER = {"k": "\u212a", "å": "\u212b", "θ": "\u03f4", "ω": "\u2126", "ß": "\u1e9e"}


@dataclass(frozen=True, slots=True)
class TokenSpec:
    """One token of a pattern: its text, compared exactly or lowercased."""

    text: str
    lower: bool


@dataclass(frozen=True, slots=True)
class Pattern:
    label: str
    tokens: tuple[TokenSpec, ...]
    # A string pattern (or word-list line): its tokens are the phrase's whitespace-separated
    # parts, always joined by one space.
    phrase: bool = False
    where: str = ""


class Match(NamedTuple):
    start: int
    end: int
    label: str
    text: str
    # A model's confidence in the span (spancat's probability; ner entities 1.0), kept in
    # the suggestion's attrs so "Next unlabelled" can take the least sure documents first.
    score: float | None = None


@dataclass
class PatternSet:
    """Patterns loaded from one or more files, plus warnings about ones that cannot match."""

    patterns: list[Pattern] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def extend(self, other: PatternSet) -> None:
        self.patterns.extend(other.patterns)
        self.warnings.extend(other.warnings)

    def labels(self) -> list[str]:
        return sorted({pattern.label for pattern in self.patterns})

    def __len__(self) -> int:
        return len(self.patterns)

    def matcher(self) -> PatternMatcher:
        return PatternMatcher(self.patterns)


# --- character classes ------------------------------------------------------------------


def is_word_char(char: str) -> bool:
    """Letters, digits, '_' and combining marks: a match must not start or end beside one."""
    return char.isalnum() or char == "_" or unicodedata.category(char)[0] == "M"


def char_atom(char: str, lower: bool) -> str:
    if not lower:
        return re.escape(char)
    variants = {char}
    for candidate in (char.upper(), char.title(), _EXTRA_UPPER.get(char, "")):
        if len(candidate) == 1 and candidate.lower() == char:
            variants.add(candidate)
    if len(variants) == 1:
        return re.escape(char)
    return "[" + "".join(re.escape(v) for v in sorted(variants)) + "]"


def _atoms(pattern: Pattern, view_lower: bool) -> tuple[str, ...]:
    """Regex pieces, one per character or joiner; ``view_lower``: matched on lowered text."""
    atoms: list[str] = []
    previous = ""
    for index, token in enumerate(pattern.tokens):
        if index:
            both_words = is_word_char(previous[-1]) and is_word_char(token.text[0])
            # spaCy splits punctuation off a word without a space; two words need one.
            atoms.append(" " if pattern.phrase or both_words else " ?")
        if view_lower:
            atoms.extend(re.escape(char) for char in token.text)
        else:
            atoms.extend(char_atom(char, token.lower) for char in token.text)
        previous = token.text
    return tuple(atoms)


def _key(text: str) -> str:
    """What a match and its pattern have in common however the joiners matched."""
    return text.replace(" ", "").lower()


_END = ""  # trie key of a terminal; no atom is empty


def _trie_regex(all_atoms: Iterable[tuple[str, ...]]) -> str:
    root: dict[str, Any] = {}
    for atoms in all_atoms:
        node = root
        for atom in atoms:
            node = node.setdefault(atom, {})
        node[_END] = {}
    return _render(root)


def _render(node: dict[str, Any]) -> str:
    # Continuations before the terminal, so the greedy regex tries the longest match first
    # and backtracks to a shorter one when the word-boundary guard fails.
    branches = [atom + _render(child) for atom, child in node.items() if atom]
    if _END in node:
        branches.append("")
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


# After a match ending in a word character, a period or an apostrophe, the next character
# must not be a word character ("U.S." is not in "U.S.A.", as spaCy keeps that one token);
# after other punctuation (hyphens, slashes) a word may follow, as spaCy splits there.
END_GUARD = r"(?:(?<![\w.'’])|(?!\w))"


class _Scanner:
    """All patterns matched on one view of a text: as written, or lowercased."""

    def __init__(self, entries: list[tuple[tuple[str, ...], Pattern]]) -> None:
        word = [atoms for atoms, pattern in entries if is_word_char(pattern.tokens[0].text[0])]
        other = [atoms for atoms, pattern in entries if not is_word_char(pattern.tokens[0].text[0])]
        self._at_start: re.Pattern[str] | None = None
        self._after_gap: re.Pattern[str] | None = None
        self._anywhere: re.Pattern[str] | None = None
        if word:
            body = f"({_trie_regex(word)}){END_GUARD}"
            self._at_start = re.compile(body)
            # Anchoring on the non-word character before a word lets the regex engine skip
            # ahead between word starts instead of trying every position; the lookahead
            # reports the longest match at each start, overlapping ones included.
            self._after_gap = re.compile(rf"\W(?={body})")
        if other:
            self._anywhere = re.compile(f"(?=({_trie_regex(other)}){END_GUARD})")

    def spans(self, view: str) -> Iterator[tuple[int, int]]:
        if self._at_start is not None and self._after_gap is not None:
            found = self._at_start.match(view)
            if found:
                yield 0, found.end(1)
            for found in self._after_gap.finditer(view):
                yield found.start(1), found.end(1)
        if self._anywhere is not None:
            for found in self._anywhere.finditer(view):
                yield found.start(1), found.end(1)


class PatternMatcher:
    """Finds every pattern in a text at once; see the module notes for the rules."""

    def __init__(self, patterns: Iterable[Pattern]) -> None:
        lowered: list[tuple[tuple[str, ...], Pattern]] = []
        written: list[tuple[tuple[str, ...], Pattern]] = []
        self._options: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for pattern in patterns:
            # All-LOWER patterns run on the lowercased text: plain literals keep the
            # regex fast, and lower() of the whole text is what spaCy compares with.
            view_lower = all(token.lower for token in pattern.tokens)
            atoms = _atoms(pattern, view_lower)
            (lowered if view_lower else written).append((atoms, pattern))
            key = _key("".join(token.text for token in pattern.tokens))
            self._options.setdefault(key, []).append((pattern.label, atoms))
        self.size = len(lowered) + len(written)
        self._lowered = _Scanner(lowered) if lowered else None
        self._written = _Scanner(written) if written else None
        self._exact: dict[tuple[str, ...], re.Pattern[str]] = {}
        labels = {label for options in self._options.values() for label, _ in options}
        self._only_label = next(iter(labels)) if len(labels) == 1 else ""

    def candidates(self, text: str) -> list[tuple[int, int, str]]:
        """The longest match at each start position, overlapping ones included."""
        found: list[tuple[int, int, str]] = []
        views: list[tuple[_Scanner, str]] = []
        if self._lowered is not None:
            views.append((self._lowered, lower_same_length(text)))
        if self._written is not None:
            views.append((self._written, text))
        only_label = self._only_label
        size = len(text)
        for scanner, view in views:
            for start, end in scanner.spans(view):
                # Cheap test first: combining marks are all at U+0300 or above.
                if (start and text[start - 1] >= "\u0300") or (
                    end < size and text[end] >= "\u0300"
                ):
                    if splits_a_character(text, start, end):
                        continue
                label = only_label or self._label(view[start:end])
                if label is not None:
                    found.append((start, end, label))
        return found

    def _label(self, matched: str) -> str | None:
        options = self._options.get(_key(matched), [])
        if options and all(label == options[0][0] for label, _ in options):
            return options[0][0]
        # Two labels for the same letters (say "Georgia" as GPE and as PERSON, or
        # patterns differing only in spacing): the first that fits exactly, in file order.
        for label, atoms in options or [o for opts in self._options.values() for o in opts]:
            exact = self._exact.get(atoms)
            if exact is None:
                exact = self._exact[atoms] = re.compile("".join(atoms))
            if exact.fullmatch(matched):
                return label
        return None

    def find_many(self, texts: Iterable[str]) -> Iterator[list[Match]]:
        for text in texts:
            yield self.find(text)

    def find(self, text: str) -> list[Match]:
        """Non-overlapping matches, longest first then leftmost, returned in text order."""
        chosen = select_longest(self.candidates(text))
        return [Match(start, end, label, text[start:end]) for start, end, label in chosen]


def lower_same_length(text: str) -> str:
    """``text.lower()``, keeping characters whose lowercase is longer (so offsets hold)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(lower_char(char) for char in text)


def _is_mark(char: str) -> bool:
    return unicodedata.category(char)[0] == "M"


def splits_a_character(text: str, start: int, end: int) -> bool:
    """A combining mark (not a word character to ``\\w``) continues the word it follows."""
    if start > 0 and _is_mark(text[start - 1]) and is_word_char(text[start]):
        return True
    return end < len(text) and _is_mark(text[end]) and is_word_char(text[end - 1])


def select_longest(candidates: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Keep non-overlapping ranges, longest first, then leftmost; return them in text order."""
    in_order = sorted(candidates)
    if all(in_order[i][1] <= in_order[i + 1][0] for i in range(len(in_order) - 1)):
        return in_order  # nothing overlaps: the usual case
    ordered = sorted(candidates, key=lambda c: (c[0] - c[1], c[0]))
    starts: list[int] = []
    ends: list[int] = []
    kept: list[tuple[int, int, str]] = []
    for candidate in ordered:
        start, end, _ = candidate
        at = bisect_left(starts, start)
        if at < len(starts) and starts[at] < end:
            continue
        if at > 0 and ends[at - 1] > start:
            continue
        starts.insert(at, start)
        ends.insert(at, end)
        kept.insert(at, candidate)
    return kept


def lower_char(char: str) -> str:
    lowered = char.lower()
    return lowered if len(lowered) == 1 else char


# --- loading ----------------------------------------------------------------------------


def load_pattern_file(
    path: str | Path, label: str | None = None, ignore_case: bool = False
) -> PatternSet:
    """A Prodigy pattern file (.jsonl/.json) or a word list (any other name, needs a label)."""
    path = Path(path)
    if path.suffix.lower() in {".jsonl", ".json", ".ndjson"}:
        if label is not None:
            raise InputError(path, "a pattern file names its own labels; --label is for word lists")
        return load_jsonl_patterns(path, ignore_case=ignore_case)
    if label is None:
        raise InputError(path, "a word list needs a label (e.g. --label GPE)")
    return load_word_list(path, label, ignore_case=ignore_case)


def load_jsonl_patterns(path: str | Path, ignore_case: bool = False) -> PatternSet:
    """Prodigy/spaCy patterns: {"label": L, "pattern": "phrase" | [{"lower": ...}, ...]}."""
    path = Path(path)
    result = PatternSet()
    for line_no, raw in _lines(path):
        if not raw.strip():
            continue
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InputError(path, f"not valid JSON: {exc.msg}", line_no) from None
        where = f"{path}:{line_no}"
        try:
            result.patterns.append(parse_pattern(record, ignore_case, where))
        except Unmatchable as exc:
            result.warnings.append(f"{where}: {exc}; skipped")
        except ValueError as exc:
            raise InputError(path, str(exc), line_no) from None
    return result


def load_word_list(path: str | Path, label: str, ignore_case: bool = False) -> PatternSet:
    """One phrase a line; blank lines are skipped."""
    path = Path(path)
    result = PatternSet()
    for line_no, raw in _lines(path):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(path, f"not UTF-8 text ({exc.reason})", line_no) from None
        words = line.split()
        if not words:
            continue
        tokens = tuple(_phrase_token(word, ignore_case) for word in words)
        result.patterns.append(Pattern(label, tokens, True, f"{path}:{line_no}"))
    return result


def _phrase_token(word: str, ignore_case: bool) -> TokenSpec:
    return TokenSpec(word.lower(), True) if ignore_case else TokenSpec(word, False)


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a pattern file") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for line_no, raw in enumerate(data.split(b"\n"), 1):
        yield line_no, raw.rstrip(b"\r")


class Unmatchable(ValueError):
    """A well-formed pattern that spaCy would never match; skipped with a warning."""


def parse_pattern(record: Any, ignore_case: bool = False, where: str = "") -> Pattern:
    """One pattern record; raises ValueError (bad record) or Unmatchable (never matches)."""
    if not isinstance(record, dict):
        raise ValueError('expected an object like {"label": "GPE", "pattern": "Beijing"}')
    label = record.get("label")
    if not isinstance(label, str) or not label.strip():
        raise ValueError('missing "label" (a non-empty string)')
    if any(char.isspace() or char == "," for char in label):
        raise ValueError(f"label {label!r} must not contain spaces or commas")
    if "pattern" not in record:
        raise ValueError('missing "pattern"')
    value = record["pattern"]
    if isinstance(value, str):
        words = value.split()
        if not words:
            raise ValueError("empty pattern")
        return Pattern(
            label, tuple(_phrase_token(word, ignore_case) for word in words), True, where
        )
    if not isinstance(value, list) or not value:
        raise ValueError('"pattern" must be a string or a non-empty list of token objects')
    specs = [_parse_token(token, position) for position, token in enumerate(value, 1)]
    return Pattern(label, tuple(specs), False, where)


def _parse_token(token: Any, position: int) -> TokenSpec:
    if not isinstance(token, dict) or not token:
        raise ValueError(f'token {position} must be an object such as {{"lower": "beijing"}}')
    values: dict[str, str] = {}
    for key, value in token.items():
        name = str(key).lower()
        if name not in _TOKEN_KEYS:
            raise ValueError(
                f"token {position}: attribute {key!r} is not supported "
                "(only LOWER, ORTH and TEXT, without spaCy)"
            )
        if not isinstance(value, str):
            raise ValueError(
                f"token {position}: {key} must be a plain string, not {type(value).__name__}"
            )
        values[name] = value
    if "orth" in values and "text" in values and values["orth"] != values["text"]:
        raise ValueError(f"token {position}: ORTH and TEXT disagree")
    exact = values.get("orth", values.get("text"))
    if exact is not None and "lower" in values and exact.lower() != values["lower"]:
        raise ValueError(f"token {position}: LOWER {values['lower']!r} does not fit {exact!r}")
    spec = TokenSpec(exact, False) if exact is not None else TokenSpec(values["lower"], True)
    if spec.text == "" or any(char.isspace() for char in spec.text):
        # spaCy never makes such a token (whitespace splits tokens), so it never matches.
        raise Unmatchable(
            f"token {position} {spec.text!r} contains whitespace or is empty, so it never "
            "matches a spaCy token"
        )
    if spec.lower and spec.text.lower() != spec.text:
        raise Unmatchable(
            f"token {position}: LOWER value {spec.text!r} has capitals, so it never matches "
            f"(write {spec.text.lower()!r})"
        )
    return spec
