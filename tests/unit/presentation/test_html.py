"""Telegram HTML: escaping and monospace mode (``<code>`` wrapping, parts that fit once wrapped)."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from presentation.html import bold, escape, split_code_message, wrap_code
from tests.unit.domain.test_splitting import assert_parts_are_the_text, texts

# --- monospace mode ----------------------------------------------------------------------------


def test_escape() -> None:
    assert escape("a < b && c > d") == "a &lt; b &amp;&amp; c &gt; d"
    assert escape("&lt;") == "&amp;lt;"
    assert wrap_code("x<y") == "<code>x&lt;y</code>"


def test_code_parts_count_the_escaped_length_and_the_wrapper() -> None:
    # 13 characters of wrapper leave 7: "&&" escapes to 10, so each part holds one "&".
    assert split_code_message("& & &", 20) == ("&", "&", "&")
    assert split_code_message("abc def", 20) == ("abc def",)
    assert [len(wrap_code(p)) for p in split_code_message("<<<<<<", 21)] == [21, 21, 21]


def test_code_limit_needs_room_for_an_entity() -> None:
    with pytest.raises(ValueError):
        split_code_message("текст", 17)
    assert split_code_message("&", 18) == ("&",)


ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


@given(texts, st.integers(18, 160))
def test_code_parts_fit_once_escaped_and_wrapped(text: str, limit: int) -> None:
    parts = split_code_message(text, limit)
    for part in parts:
        wrapped = wrap_code(part)
        assert len(wrapped) <= limit
        body = wrapped[len("<code>") : -len("</code>")]
        assert not ENTITY.search(body) and "<" not in body and ">" not in body
        assert html.unescape(body) == part
    assert_parts_are_the_text(text, parts)


def test_bold_escapes_its_text() -> None:
    assert bold("a<b & c") == "<b>a&lt;b &amp; c</b>"
