"""Message splitting (plain and weighted) and ё→е."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.splitting import replace_yo, split_message, split_weighted


def assert_parts_are_the_text(text: str, parts: tuple[str, ...]) -> None:
    """Parts are contiguous substrings of ``text``, in order, separated only by whitespace."""
    pos = 0
    for part in parts:
        assert part and part == part.strip()
        while pos < len(text) and text[pos].isspace():
            pos += 1
        assert text.startswith(part, pos), (part, pos)
        pos += len(part)
    assert not text[pos:].strip()
    assert "".join("".join(p.split()) for p in parts) == "".join(text.split())


# --- split_message: examples -------------------------------------------------------------------


def test_short_text_is_one_part_and_blank_text_none() -> None:
    assert split_message("  Привет!  ", 10) == ("Привет!",)
    assert split_message(" \n ", 10) == ()
    assert split_message("", 10) == ()


def test_prefers_a_paragraph_break() -> None:
    text = "Первый абзац. Ещё.\n\nВторой абзац текста"
    assert split_message(text, 30) == ("Первый абзац. Ещё.", "Второй абзац текста")


def test_then_a_line_break() -> None:
    text = "Строка номер один.\nСтрока два и ещё"
    assert split_message(text, 25) == ("Строка номер один.", "Строка два и ещё")


def test_then_a_sentence_end() -> None:
    text = "Одно предложение! Второе предложение тут"
    assert split_message(text, 30) == ("Одно предложение!", "Второе предложение тут")


def test_an_early_paragraph_break_loses_to_a_late_sentence_end() -> None:
    text = "Раз.\n\nДва три четыре. Пять шесть семь"
    # The break at 4 lies in the first half of the 25-char window; the sentence end at 20 wins.
    assert split_message(text, 25) == ("Раз.\n\nДва три четыре.", "Пять шесть семь")


def test_then_a_space_then_a_hard_cut() -> None:
    assert split_message("слово слово слово", 12) == ("слово слово", "слово")
    assert split_message("абвгдежзик", 4) == ("абвг", "дежз", "ик")


def test_a_separator_just_past_the_window_still_ends_a_full_part() -> None:
    assert split_message("абвг. деж", 5) == ("абвг.", "деж")
    assert split_message("абвгд ежз", 5) == ("абвгд", "ежз")


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        split_message("текст", 0)


# --- split_message: properties -----------------------------------------------------------------

texts = st.text(alphabet=st.sampled_from(list("абвгд ежз\n\n.!?…,&<>\t")), max_size=600)


@given(texts, st.integers(1, 120))
def test_splitting_gives_back_the_text_within_the_limit(text: str, limit: int) -> None:
    parts = split_message(text, limit)
    assert all(len(p) <= limit for p in parts)
    assert_parts_are_the_text(text, parts)


@given(st.text(max_size=3000), st.integers(1, 4096))
def test_splitting_any_unicode(text: str, limit: int) -> None:
    parts = split_message(text, limit)
    assert all(len(p) <= limit for p in parts)
    assert_parts_are_the_text(text, parts)


# --- weighted splitting (text that grows when rendered) --------------------------------------------


def test_weighted_parts_keep_each_parts_weight_within_the_budget() -> None:
    heavy = {"#": 3}
    parts = split_weighted("ab## c#", 5, lambda ch: heavy.get(ch, 1))
    assert parts == ("ab#", "#", "c#")
    assert all(sum(heavy.get(ch, 1) for ch in p) <= 5 for p in parts)


def test_a_character_heavier_than_the_budget_is_refused() -> None:
    with pytest.raises(ValueError):
        split_weighted("a#", 2, lambda ch: 3 if ch == "#" else 1)


# --- ё -----------------------------------------------------------------------------------------


def test_replace_yo() -> None:
    assert replace_yo("Ёлка, ещё всё") == "Елка, еще все"
    assert replace_yo("") == ""


@given(st.text())
def test_replace_yo_only_touches_yo(text: str) -> None:
    out = replace_yo(text)
    assert len(out) == len(text) and "ё" not in out and "Ё" not in out
    assert all(a == b or (a, b) in (("ё", "е"), ("Ё", "Е")) for a, b in zip(text, out, strict=True))


def test_a_character_heavier_than_the_budget_is_named_with_its_weight_in_the_error() -> None:
    # The weight is looked up per character (like the HTML escaping lengths), so the message
    # reports the weight of the character that did not fit.
    weights = {"&": 5}

    def weight(ch: str) -> int:
        return len(ch) if ch not in weights else weights[ch]

    with pytest.raises(ValueError, match=r"'&' weighs 5, more than the budget of 4"):
        split_weighted("a&b", 4, weight)
