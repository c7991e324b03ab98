"""Whether a language model's answer about a transcript may be shown: the faithfulness guards (pure).

Each check returns why an answer must not be used, or None when it may. They are applied in
one place with the formatter's own acceptance, ``usecases.formatting`` (``accept_summary``,
``accept_translation`` beside ``accept_answer``), after the same cleaning. The use case that asked
for the answer retries once with the other model when a check refuses it, and otherwise tells the
user plainly; an answer that fails a check is never delivered.

- ``translation_problem``: a translation keeps every turn of a dialogue, in order, each with the
  speaker label it had ("— Anna: …", "— Speaker 2: …", or no label), and adds none; a plain text
  keeps its length within reason. Nothing is empty, and the length stays within a factor of
  what any language pair needs (a truncated or padded answer is refused). An emptied turn is no
  turn line at all (``domain.dialogue.parse_dialogue_lines``), so the count catches it.
- ``summary_problem``: a summary (or the key points and action items) never names a speaker the
  transcript does not have: no "Speaker N"/"Спикер N" beyond the transcript's numbers, no speaker
  label at all for a transcript without speakers, no name label ("Anna:") that is not one of
  the transcript's speakers. It is not empty and, for a transcript long enough to be summarised,
  shorter than it.
"""

from __future__ import annotations

import re

from domain.dialogue import parse_dialogue_lines
from domain.speaker_names import LABEL

# A translation's length relative to its source: generous (Chinese is far shorter than Russian,
# German longer than English), but a half-translated or repeated answer falls outside.
MIN_TRANSLATION_RATIO = 0.25
MAX_TRANSLATION_RATIO = 4.0
# Sources shorter than this may get a summary about as long as themselves.
SUMMARY_MIN_SOURCE_CHARS = 600
_NUMBERED = re.compile(r"\b(?:Speaker|Спикер)\s*(\d{1,3})\b", re.IGNORECASE)
# "Name:" at the start of a turn line (a label a model could invent).
_NAME_LABEL = re.compile(r"^([^:\n]{1,40}):\s")


def turn_labels(text: str) -> list[str]:
    """The speaker label of each turn line ("Speaker 1", "Anna"; "" for an unlabelled turn)."""
    labels = []
    for line in parse_dialogue_lines(text):
        body = line[1:].lstrip()
        numbered = LABEL.match(body)
        if numbered is not None:
            labels.append(" ".join(body[: numbered.end()].rstrip().rstrip(":").split()))
            continue
        named = _NAME_LABEL.match(body)
        labels.append(named.group(1).strip() if named else "")
    return labels


def _speaker_numbers(text: str) -> set[str]:
    return {str(int(n)) for n in _NUMBERED.findall(text)}


def translation_problem(source: str, answer: str, *, dialogue: bool) -> str | None:
    """Why ``answer`` is not a faithful translation of ``source`` (module doc), or None."""
    answer = answer.strip()
    source = source.strip()
    if not answer:
        return "empty translation"
    ratio = len(answer) / max(1, len(source))
    if ratio < MIN_TRANSLATION_RATIO:
        return f"translation too short ({len(answer)} characters for {len(source)})"
    if ratio > MAX_TRANSLATION_RATIO:
        return f"translation too long ({len(answer)} characters for {len(source)})"
    if dialogue:
        before, after = turn_labels(source), turn_labels(answer)
        if len(before) != len(after):
            return f"dialogue turns changed ({len(before)} in, {len(after)} out)"
        # Labels are kept as written (the prompt says so); only an unlabelled turn may stay so.
        for position, (was, now) in enumerate(zip(before, after, strict=True), start=1):
            if was and was != now:
                return f"speaker label of turn {position} changed ({was!r} became {now!r})"
            if not was and now and (LABEL.match(now + ":") or now in before):
                return f"turn {position} got a speaker label it did not have ({now!r})"
    return None


def summary_problem(source: str, answer: str, *, speakers: frozenset[str] = frozenset()) -> str | None:
    """Why ``answer`` is not a faithful summary of ``source`` (module doc), or None.

    ``speakers`` are the names the source's turns carry (given by the user); numbered labels are
    read from the source itself.
    """
    answer = answer.strip()
    if not answer:
        return "empty summary"
    known = _speaker_numbers(source)
    invented = sorted(_speaker_numbers(answer) - known, key=int)
    if invented:
        return f"summary names speakers the transcript does not have ({', '.join(invented)})"
    source_labels = {label for label in turn_labels(source) if label}
    for line in answer.splitlines():
        body = line.strip().lstrip("—–-•*").strip()
        named = _NAME_LABEL.match(body)
        if named is None or len(named.group(1).split()) > 3:
            continue  # a heading or a sentence with a colon, not a speaker label
        label = named.group(1).strip()
        if line.strip().startswith(("—", "–")) and label not in source_labels | speakers:
            return f"summary writes a turn of a speaker the transcript does not have ({label!r})"
    if len(source) >= SUMMARY_MIN_SOURCE_CHARS and len(answer) >= len(source):
        return "summary is not shorter than the transcript"
    return None
