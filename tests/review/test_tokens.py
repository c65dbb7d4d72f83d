"""The tokenizer token-level kappa counts with."""

from __future__ import annotations

from annotator.review.tokens import Tokens, tokenize


def test_words_marks_emoji_and_cjk() -> None:
    text = "Kim Jong Un’s cafe\u0301 👍🏽 习近平说\tnaïve, 2025-09-02"
    assert tokenize(text) == [
        "Kim", "Jong", "Un", "’", "s", "cafe\u0301", "👍🏽", "习", "近", "平", "说",
        "naïve", ",", "2025", "-", "09", "-", "02",
    ]  # fmt: skip


def test_touched_tokens_and_masks() -> None:
    tokens = Tokens("ab cd ef")
    assert len(tokens) == 3
    assert tokens.touched(0, 2) == (0, 1)
    assert tokens.touched(1, 4) == (0, 2)  # a range touching part of a token counts it
    assert tokens.touched(2, 3) == (1, 1)  # whitespace only: no token
    assert tokens.mask([(1, 4)]) == 0b011
    assert tokens.mask([(0, 2), (6, 8)]) == 0b101
    assert Tokens("").mask([(0, 0)]) == 0
