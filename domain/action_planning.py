"""Map-reduce over a transcript: pieces that respect speaker turns, and the reduce tree (pure).

A long transcript (a 4-hour meeting is about 200,000 characters) cannot go to a language model in
one request. ``plan_pieces`` cuts it into pieces of at most ``budget`` characters, never inside a
turn line of a dialogue (or a paragraph of plain text) when the turn fits; a single turn longer
than the budget is cut at sentence ends (then at spaces), and every part keeps the turn's dash
and speaker label, so a model never sees words without knowing who said them.

Summaries are reduced in rounds (``reduce_groups``): the partial results of one round are
grouped, in order, into groups of at most ``budget`` characters, and each group is merged by one
call; the round repeats until one text is left. Every call's result is checkpointed under a
``step_key`` ("map:7", "reduce:1:0"), so a retried or continued run repeats no paid call.

A translation keeps turns line for line, so its pieces hold whole turn lines only (``whole_turns``:
a longer turn is sent alone rather than cut) and the reduce is a plain join.
"""

from __future__ import annotations

import re

from domain.speaker_names import split_label

_TURN_DASHES = ("—", "–")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def _units(text: str, dialogue: bool) -> list[str]:
    """Turn lines (dialogue) or paragraphs (plain), in order, without blank ones."""
    if dialogue:
        units: list[str] = []
        for line in text.splitlines():
            stripped = line.strip()
            if not stripped:
                continue
            if stripped.startswith(_TURN_DASHES) or not units:
                units.append(stripped)
            else:  # a wrapped continuation belongs to the turn above
                units[-1] += " " + stripped
        return units
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def _cut_long(unit: str, budget: int, dialogue: bool) -> list[str]:
    """A unit longer than ``budget`` in parts that fit, each a turn of the same speaker."""
    head = ""
    body = unit
    if dialogue and unit.startswith(_TURN_DASHES):
        label, body = split_label(unit[1:].lstrip())
        head = "— " + label
    room = max(1, budget - len(head))
    parts: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(body):
        for word in (sentence.split(" ") if len(sentence) > room else [sentence]):
            candidate = f"{current} {word}" if current else word
            if current and len(candidate) > room:
                parts.append(current)
                current = word
            else:
                current = candidate
    if current:
        parts.append(current)
    return [head + part for part in parts]


def plan_pieces(text: str, *, dialogue: bool, budget: int, whole_turns: bool = False) -> list[str]:
    """``text`` in pieces of at most ``budget`` characters (module doc); never an empty piece."""
    if budget < 1:
        raise ValueError("budget must be positive")
    joiner = "\n" if dialogue else "\n\n"
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for unit in _units(text, dialogue):
        parts = [unit] if len(unit) <= budget or whole_turns else _cut_long(unit, budget, dialogue)
        for part in parts:
            extra = len(part) + (len(joiner) if current else 0)
            if current and size + extra > budget:
                pieces.append(joiner.join(current))
                current, size = [], 0
                extra = len(part)
            current.append(part)
            size += extra
    if current:
        pieces.append(joiner.join(current))
    return pieces


def reduce_groups(texts: list[str], budget: int) -> list[list[int]]:
    """Indexes of ``texts`` grouped in order so each group's joined length stays within ``budget``
    (a text longer than the budget forms a group of its own). Always at least two texts per group
    when there are at least two texts, so every round shrinks the list."""
    groups: list[list[int]] = []
    size = 0
    for index, text in enumerate(texts):
        if groups and (size + len(text) + 2 <= budget or len(groups[-1]) < 2):
            groups[-1].append(index)
            size += len(text) + 2
        else:
            groups.append([index])
            size = len(text)
    if len(groups) > 1 and len(groups[-1]) == 1:  # a lone last text joins the group before it
        last = groups.pop()
        groups[-1].extend(last)
    return groups


def map_key(index: int) -> str:
    return f"map:{index}"


def reduce_key(round_no: int, group: int) -> str:
    return f"reduce:{round_no}:{group}"
