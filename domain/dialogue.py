"""Rendering merged speaker segments as a dialogue, and reading the turns back.

A dialogue is one line per turn, each starting with an em dash and a space ("— "), turns
separated by a single newline (compact in a chat message, and one line is one turn).
``parse_dialogue_lines`` finds those turn lines again, so a use case can check that the LLM
formatter kept the number and order of turns before trusting its output.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from domain.transcript import Segment

TURN_DASH = "—"
TURN_PREFIX = TURN_DASH + " "


def _one_line(text: str) -> str:
    # A newline inside a turn would read as a new paragraph and break the turn count.
    return " ".join(text.split())


def format_dialogue(segments: Sequence[Segment], *, labels: bool, label_word: str = "Спикер") -> str:
    """One "— " line per turn; consecutive segments of one speaker form one turn.

    With ``labels`` a known speaker's turn reads "— Спикер 1: text"; a turn of unknown speaker
    (``None``) never gets a label. Segments with no text are skipped (and do not split a turn).
    """
    turns: list[tuple[str | None, list[str]]] = []
    for segment in segments:
        text = _one_line(segment.text)
        if not text:
            continue
        if turns and turns[-1][0] == segment.speaker:
            turns[-1][1].append(text)
        else:
            turns.append((segment.speaker, [text]))
    lines = []
    for speaker, texts in turns:
        body = " ".join(texts)
        if labels and speaker is not None:
            lines.append(f"{TURN_PREFIX}{label_word} {speaker}: {body}")
        else:
            lines.append(f"{TURN_PREFIX}{body}")
    return "\n".join(lines)


def parse_dialogue_lines(text: str) -> list[str]:
    """The turn lines of a dialogue text, stripped, in order.

    A turn line is a line that starts (after indentation) with the em dash and a space that
    ``format_dialogue`` writes. Other lines (blank lines, headings, wrapped continuations, a line
    an LLM began with an en dash or a hyphen instead) are not turns, so comparing ``len`` before
    and after formatting shows whether turns were merged, lost or rewritten.
    """
    return [line.strip() for line in text.splitlines() if line.strip().startswith(TURN_PREFIX)]


_LABEL = re.compile(r"^— ((?:Speaker|Спикер)\s*\d+\s*:)", re.IGNORECASE)


def turn_label(turn: str) -> str:
    """The speaker label a turn line starts with ("Спикер 1:", spaces normalised), or "" for none."""
    match = _LABEL.match(turn)
    return re.sub(r"\s+", " ", match.group(1)) if match else ""
