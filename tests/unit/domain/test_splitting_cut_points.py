"""Where a long message is cut: each preference of ``split_message`` exactly at its threshold.

The window is the part's limit; a paragraph or line break counts only in the window's second half,
a sentence end only in its last three quarters, so a part is not cut short for an early break.
Each case below has a competing, worse cut that a wrong threshold or a wrong search would pick.
"""

from __future__ import annotations

import pytest

from domain.splitting import split_message

A10, B12, C10 = "a" * 10, "b" * 12, "c" * 10

CASES = [
    pytest.param(
        "aa.\n\n" + B12 + "\n\ncccc\n" + "d" * 12,
        30,
        ("aa.\n\n" + B12, "cccc\n" + "d" * 12),
        id="the-last-paragraph-break-beats-an-earlier-one-and-a-later-line-break",
    ),
    pytest.param(
        A10 + "\n\nbbb\n" + C10,
        21,
        (A10, "bbb\n" + C10),
        id="a-paragraph-break-exactly-at-half-an-odd-window-counts",
    ),
    pytest.param(
        "a" * 12 + "\n\n" + "b" * 11 + " " + C10,
        30,
        ("a" * 12 + "\n\n" + "b" * 11, C10),
        id="a-paragraph-break-before-half-the-window-loses-to-a-later-space",
    ),
    pytest.param(
        A10 + "\nbbbb " + C10,
        21,
        (A10, "bbbb " + C10),
        id="a-line-break-exactly-at-half-an-odd-window-counts",
    ),
    pytest.param(
        "a" * 12 + "\n" + "b" * 12 + " " + C10,
        30,
        ("a" * 12 + "\n" + B12, C10),
        id="a-line-break-before-half-the-window-loses-to-a-later-space",
    ),
    pytest.param(
        "aaa\n" + "b" * 16 + "\ncccc " + C10,
        30,
        ("aaa\n" + "b" * 16, "cccc " + C10),
        id="the-last-line-break-counts-not-the-first",
    ),
    pytest.param(
        "abcd. fgh\nijklmn",
        10,
        ("abcd. fgh", "ijklmn"),
        id="a-line-break-on-the-windows-last-character-beats-an-earlier-sentence-end",
    ),
    pytest.param(
        "abcdefghijk\nlmn",
        10,
        ("abcdefghij", "k\nlmn"),
        id="a-line-break-two-characters-past-the-window-is-out-of-reach",
    ),
    pytest.param(
        A10 + ". bbbbbbbb. " + "c" * 14,
        30,
        (A10 + ". bbbbbbbb.", "c" * 14),
        id="the-last-sentence-end-counts-not-the-first",
    ),
    pytest.param(
        A10 + ". " + "b" * 18 + " " + "c" * 16,
        41,
        (A10 + ".", "b" * 18 + " " + "c" * 16),
        id="a-sentence-end-exactly-at-a-quarter-of-the-window-counts",
    ),
    pytest.param(
        "a" * 9 + ". " + "b" * 19 + " " + "c" * 16,
        40,
        ("a" * 9 + ". " + "b" * 19, "c" * 16),
        id="a-sentence-end-before-a-quarter-of-the-window-loses-to-a-later-space",
    ),
    pytest.param(
        "ab defghi jklmn",
        10,
        ("ab defghi", "jklmn"),
        id="the-last-space-in-the-window-counts",
    ),
    pytest.param(
        "abcdefgh  jklmn",
        10,
        ("abcdefgh", "jklmn"),
        id="spaces-before-the-cut-are-dropped-from-the-part",
    ),
]


@pytest.mark.parametrize(("text", "limit", "parts"), CASES)
def test_the_part_ends_at_the_preferred_break(text: str, limit: int, parts: tuple[str, ...]) -> None:
    assert split_message(text, limit) == parts


@pytest.mark.parametrize("limit", [0, -3])
def test_a_non_positive_limit_is_refused_with_the_value_named(limit: int) -> None:
    with pytest.raises(ValueError, match=rf"^limit must be positive, got {limit}$"):
        split_message("текст", limit)
