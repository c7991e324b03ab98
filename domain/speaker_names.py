"""Real names for the numbered speakers of a dialogue transcript (pure).

- ``parse_names_line``: one line ``1=Anna, 2=Boris`` (``:`` or ``—`` work too; ``;`` or a line
  break separate) → {"1": "Anna", "2": "Boris"}; None when the line is not of that form, so the
  caller takes it as the name of the next speaker instead.
- ``clean_name``: one reply as a name: trimmed, one line, at most ``MAX_NAME_CHARS``; None when
  nothing usable is left (a name must never be able to forge a turn line or a label).
- ``turn_speakers``: the speaker of every turn line, rebuilt from the job's segments the way
  ``domain.dialogue.format_dialogue`` grouped them (consecutive segments of one speaker are one
  turn; empty ones are skipped).
- ``label_turns``: the dialogue text with each turn line labelled by its speaker's name (or
  "<label word> N" when unnamed). A line that already carries a "Speaker N:"/"Спикер N:" label
  has it replaced; an unlabelled one gets the label, provided the text has exactly as many turn
  lines as the segments give turns (the formatter never changes that count; if it somehow did,
  the text is returned with only its existing labels replaced, never mislabelled).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from domain.dialogue import TURN_PREFIX
from domain.stored_segments import StoredSegment

MAX_NAME_CHARS = 40
MAX_SPEAKERS = 20

# "Speaker 3:" / "Спикер 3:" at the start of a turn's text (the label words the bot writes).
LABEL = re.compile(r"^(?:Speaker|Спикер)\s*(\d{1,3})\s*:\s*", re.IGNORECASE)
# Any "Name:" at the start of a turn (a name the user gave, up to three words).
_ANY_LABEL = re.compile(r"^([^:\n—–]{1,40}):\s+")
_PAIR = re.compile(r"^\s*(\d{1,2})\s*[=:—–-]\s*(.+?)\s*$")
_TURN_DASHES = ("—", "–")


def split_label(body: str) -> tuple[str, str]:
    """A turn's text (after its dash) as (label with its colon and space, or "", the rest)."""
    numbered = LABEL.match(body)
    if numbered is not None:
        return body[: numbered.end()], body[numbered.end():]
    named = _ANY_LABEL.match(body)
    if named is not None and len(named.group(1).split()) <= 3:
        return body[: named.end()], body[named.end():]
    return "", body


def clean_name(text: str) -> str | None:
    """A reply as a speaker's name, or None when it cannot be one."""
    name = " ".join((text or "").split())
    # Characters that would make the name read as a new turn, a label, or markup.
    name = name.lstrip("—–-:=").strip().replace(":", "").replace("<", "").replace(">", "")
    name = name[:MAX_NAME_CHARS].strip()
    if not name or name.startswith("/"):
        return None
    return name


def parse_names_line(text: str) -> dict[str, str] | None:
    """``1=Anna, 2=Boris`` → {"1": "Anna", "2": "Boris"}; None when ``text`` is not such a list."""
    parts = [p for p in re.split(r"[,;\n]", text or "") if p.strip()]
    if not parts:
        return None
    names: dict[str, str] = {}
    for part in parts:
        match = _PAIR.match(part)
        if match is None:
            return None
        number = str(int(match.group(1)))
        name = clean_name(match.group(2))
        if name is None or number == "0" or int(number) > MAX_SPEAKERS:
            return None
        names[number] = name
    return names


def turn_speakers(segments: Sequence[StoredSegment]) -> list[str | None]:
    """The speaker of each turn ``format_dialogue`` makes of these stored segments."""
    speakers: list[str | None] = []
    previous: object = object()
    for segment in segments:
        if not segment.text.split():
            continue
        speaker = segment.speaker
        if speakers and speaker == previous:
            continue
        speakers.append(speaker)
        previous = speaker
    return speakers


def speaker_label(speaker: str, names: Mapping[str, str], label_word: str) -> str:
    return names.get(speaker) or f"{label_word} {speaker}"


def label_turns(text: str, segments: Sequence[StoredSegment], names: Mapping[str, str],
                label_word: str) -> str:
    """``text`` with every turn labelled by its speaker's name (module doc)."""
    lines = text.splitlines()
    turn_rows = [i for i, line in enumerate(lines) if line.strip().startswith(_TURN_DASHES)]
    speakers = turn_speakers(segments)
    aligned = len(speakers) == len(turn_rows)
    out = list(lines)
    for position, row in enumerate(turn_rows):
        body = lines[row].strip()[1:].lstrip()
        match = LABEL.match(body)
        if match is not None:
            speaker: str | None = match.group(1)
            body = body[match.end():]
        elif aligned:
            speaker = speakers[position]
        else:
            continue
        if speaker is None:
            out[row] = f"{TURN_PREFIX}{body}"
        else:
            out[row] = f"{TURN_PREFIX}{speaker_label(speaker, names, label_word)}: {body}"
    return "\n".join(out)


def rename_mentions(text: str, names: Mapping[str, str]) -> str:
    """A stored summary or translation written with "Speaker N"/"Спикер N", shown with the names
    given since (a rename never needs a paid call again)."""
    if not names:
        return text

    def swap(match: re.Match[str]) -> str:
        return names.get(str(int(match.group(1))), match.group(0))

    return re.sub(r"\b(?:Speaker|Спикер)\s*(\d{1,3})\b", swap, text, flags=re.IGNORECASE)
