"""Without an explicit limit, the splitters keep every message within Telegram's 4096 characters,
exactly: a text that fills a message to the last character is one message, one more is two."""

from __future__ import annotations

from domain.splitting import split_message
from presentation.html import split_code_message, wrap_code

OVERHEAD = len(wrap_code(""))  # <code></code>


def test_plain_text_fills_a_message_to_4096_characters() -> None:
    assert split_message("a" * 4096) == ("a" * 4096,)
    assert len(split_message("a" * 4097)) == 2


def test_monospace_text_fills_a_message_to_4096_characters_with_its_tags() -> None:
    fits = "a" * (4096 - OVERHEAD)
    assert split_code_message(fits) == (fits,)
    parts = split_code_message(fits + "a")
    assert len(parts) == 2 and all(len(wrap_code(p)) <= 4096 for p in parts)
