"""Telegram's HTML parse mode: the one escaping function and the monospace (``<code>``) wrapping.

Every text the bot sends with ``html=True`` escapes what comes from data here, and a transcript
shown in monospace is split by ``split_code_message`` so that each wrapped part fits a message.
"""

from __future__ import annotations

from domain.splitting import split_weighted

CODE_OPEN = "<code>"
CODE_CLOSE = "</code>"
# The three characters Telegram's HTML parse mode reads as markup, and what they become.
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str) -> str:
    """Escape the three characters Telegram's HTML parse mode reads as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def bold(text: str) -> str:
    """``text`` escaped and shown in bold."""
    return f"<b>{escape(text)}</b>"


def wrap_code(part: str) -> str:
    """A raw part as a monospace HTML message: escaped and wrapped in ``<code>``."""
    return f"{CODE_OPEN}{escape(part)}{CODE_CLOSE}"


def _escaped_length(ch: str) -> int:
    return len(_ENTITIES.get(ch, ch))


def split_code_message(text: str, limit: int = 4096) -> tuple[str, ...]:
    """Raw parts of ``text`` for monospace mode; ``wrap_code(part)`` is at most ``limit`` characters.

    The raw text is split before escaping, so an HTML entity can never be cut in half; each
    window is sized by the part's escaped length (``&`` counts 5, ``<`` and ``>`` count 4) plus
    the ``<code></code>`` wrapper. Same cut preferences and guarantees as
    ``domain.splitting.split_message``. Raises ``ValueError`` when ``limit`` leaves no room for
    one escaped character.
    """
    budget = limit - len(CODE_OPEN) - len(CODE_CLOSE)
    if budget < max(len(entity) for entity in _ENTITIES.values()):
        raise ValueError(f"limit {limit} leaves no room for text inside <code></code>")
    return split_weighted(text, budget, _escaped_length)
