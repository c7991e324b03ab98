"""The speaker segments a finished job keeps, and the one codec of their stored form.

A job's ``segments_json`` column is written once, when its transcript is recognised, and read
later by the exports (the times of .srt/.vtt/.txt cues) and by the transcript actions (which
speaker each dialogue turn belongs to). Both directions live here, so the stored shape is defined
in one place and every reader gets typed values:

    [{"speaker": "1" | null, "start_ms": int, "end_ms": int, "text": str,
      "words": [{"start_ms": int, "end_ms": int, "text": str}, ...]}, ...]

Reading is lenient with rows written by earlier versions: a speaker stored as a number is read as
its digits, missing keys take their defaults (no words, an empty text, time 0), and an entry or a
word that is not an object, or whose times are not whole numbers, is skipped. Text that is not a
JSON list at all raises ``UnreadableSegments``: the caller decides whether that is worth a log line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from domain.transcript import Segment


class UnreadableSegments(ValueError):
    """The stored text is not a JSON list of segments."""


@attrs.frozen
class StoredWord:
    """A word as a transcript shows it (its punctuation attached), with its times."""

    start_ms: int
    end_ms: int
    text: str


@attrs.frozen
class StoredSegment:
    """One speaker's run of words as stored with a finished job.

    ``words`` is empty when the segment was stored without word times; ``text`` is then the only
    content (readers spread it over ``start_ms``..``end_ms``).
    """

    speaker: str | None
    start_ms: int
    end_ms: int
    text: str
    words: tuple[StoredWord, ...] = ()


def encode_segments(segments: Sequence[Segment]) -> str | None:
    """The stored form of a transcript's segments (None when it has none)."""
    if not segments:
        return None
    return json.dumps([
        {"speaker": s.speaker, "start_ms": s.start_ms, "end_ms": s.end_ms, "text": s.text,
         "words": [{"start_ms": w.start_ms, "end_ms": w.end_ms, "text": w.display} for w in s.words]}
        for s in segments
    ], ensure_ascii=False)


def decode_segments(stored: str | None) -> tuple[StoredSegment, ...]:
    """The segments of a stored ``segments_json`` (none for ``None`` or an empty text)."""
    if not stored:
        return ()
    try:
        loaded = json.loads(stored)
    except ValueError as exc:
        raise UnreadableSegments(f"segments are not JSON: {exc}") from None
    if not isinstance(loaded, list):
        raise UnreadableSegments(f"segments are a JSON {type(loaded).__name__}, not a list")
    decoded = (_segment(entry) for entry in loaded if isinstance(entry, Mapping))
    return tuple(segment for segment in decoded if segment is not None)


def _segment(entry: Mapping[str, Any]) -> StoredSegment | None:  # Any: decoded JSON
    start, end = _whole(entry.get("start_ms", 0)), _whole(entry.get("end_ms", 0))
    if start is None or end is None:
        return None
    speaker = entry.get("speaker")
    words = (_word(w) for w in entry.get("words") or () if isinstance(w, Mapping))
    return StoredSegment(speaker=None if speaker is None else str(speaker), start_ms=start, end_ms=end,
                         text=str(entry.get("text", "")), words=tuple(w for w in words if w is not None))


def _word(entry: Mapping[str, Any]) -> StoredWord | None:  # Any: decoded JSON
    start, end = _whole(entry.get("start_ms", 0)), _whole(entry.get("end_ms", 0))
    if start is None or end is None:
        return None
    return StoredWord(start_ms=start, end_ms=end, text=str(entry.get("text", "")))


def _whole(value: object) -> int | None:
    """A stored time in whole milliseconds; None for anything else (``true`` is not a time)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
