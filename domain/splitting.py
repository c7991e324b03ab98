"""Cutting long text into Telegram messages, and the ё→е option.

Lengths are Python characters (code points). Telegram counts UTF-16 code units after parsing
entities; for Russian text (all in the BMP) the two agree. Text that is sent with markup is cut
by ``split_weighted``, where each character costs what it will take once rendered
(``presentation.html.split_code_message``), so the markup never pushes a part past the limit.
"""

from __future__ import annotations

from collections.abc import Callable

_SENTENCE_ENDS = (". ", "! ", "? ", "… ")


def replace_yo(text: str) -> str:
    """ё→е and Ё→Е, for users who write without ё."""
    return text.replace("ё", "е").replace("Ё", "Е")


def _cut_point(rest: str, window: int) -> int:
    """Where to end the next part of ``rest``: the part is ``rest[:cut]``, with cut <= window.

    Preference: the last paragraph break, then the last line break (both only in the second
    half of the window, so a part is not cut short for an early break), then the last sentence
    end (in the last three quarters), then the last whitespace, then a hard cut at the window.
    One character past the window is searched, since a separator starting there still ends a
    part of ``window`` characters.
    """
    view = rest[: window + 1]
    p = view.rfind("\n\n")
    if p >= window // 2:
        return p
    p = view.rfind("\n")
    if p >= window // 2:
        return p
    # The part keeps the punctuation mark and ends before the space.
    p = max(view.rfind(end) for end in _SENTENCE_ENDS)
    if p >= window // 4:
        return p + 1
    for p in range(min(window, len(rest) - 1), 0, -1):
        if rest[p].isspace():
            return p
    return window


def _split(text: str, window_of: Callable[[str], int]) -> tuple[str, ...]:
    parts: list[str] = []
    rest = text.strip()
    while rest:
        window = window_of(rest)
        if window >= len(rest):
            parts.append(rest)
            break
        cut = _cut_point(rest, window)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return tuple(parts)


def split_message(text: str, limit: int = 4096) -> tuple[str, ...]:
    """Non-empty parts of at most ``limit`` characters, cut at the most natural place (``_cut_point``).

    Each part is a contiguous substring of ``text`` (parts in order, not overlapping), stripped
    of whitespace at both ends; only whitespace at the cuts (and around the whole text) is lost,
    so the parts' non-whitespace characters, concatenated, equal those of ``text``. Empty or
    blank text gives no parts. Raises ``ValueError`` when ``limit < 1``.
    """
    if limit < 1:
        raise ValueError(f"limit must be positive, got {limit}")
    return _split(text, lambda rest: min(len(rest), limit))


def split_weighted(text: str, budget: int, weight: Callable[[str], int]) -> tuple[str, ...]:
    """Parts of ``text`` whose characters' weights add up to at most ``budget`` each.

    For text that grows when rendered (an escaped character takes more room than itself): the
    raw text is split, so a rendered entity can never be cut in half. Same cut preferences and
    guarantees as ``split_message``. Raises ``ValueError`` when a single character outweighs
    ``budget`` (no part could hold it).
    """

    def window_of(rest: str) -> int:
        used = 0
        for i, ch in enumerate(rest):
            used += weight(ch)
            if used > budget:
                if i == 0:
                    raise ValueError(f"{ch!r} weighs {weight(ch)}, more than the budget of {budget}")
                return i
        return len(rest)

    return _split(text, window_of)
