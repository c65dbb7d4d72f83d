"""Token positions computed from a split equal those of the tokenizer's own matches."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.review.tokens import TOKEN_PATTERN, Tokens

PIECES = st.sampled_from(
    ["Xi", " ", "👍🏽", "e\u0301", "\u0301", "北京", "\t", "\n", "“", "U.S.", "a_1", "\u200d", "🇨🇳"]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(PIECES).map("".join)))
def test_token_positions_match_the_patterns_matches(text: str) -> None:
    matches = [match.span() for match in TOKEN_PATTERN.finditer(text)]
    tokens = Tokens(text)
    assert list(zip(tokens.starts, tokens.ends, strict=True)) == matches
