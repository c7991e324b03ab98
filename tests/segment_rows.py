"""Stored speaker segments written as the JSON rows a finished job keeps, read through the one codec.

Tests of the exports and of speaker naming describe segments the way they are stored (plain dicts,
including the odd shapes older rows have) and hand them to the domain as ``decode_segments`` does
in production.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from domain.exports import SUBTITLES, Cue, cues_from_segments, wrap_lines
from domain.stored_segments import StoredSegment, decode_segments


def rows(entries: Iterable[Mapping[str, Any]]) -> tuple[StoredSegment, ...]:
    return decode_segments(json.dumps(list(entries), ensure_ascii=False))


def cues_of(entries: Iterable[Mapping[str, Any]], **options: Any) -> list[Cue]:
    """``cues_from_segments`` of stored rows."""
    return cues_from_segments(rows(entries), **options)


def seg(speaker: str | None, words: list[tuple[int, int, str]], **extra: Any) -> dict[str, Any]:
    """A stored segment row from (start_ms, end_ms, text) words; ``extra`` keys replace its fields."""
    return {"speaker": speaker, "start_ms": words[0][0], "end_ms": words[-1][1],
            "text": " ".join(w[2] for w in words),
            "words": [{"start_ms": a, "end_ms": b, "text": t} for a, b, t in words], **extra}


def check_limits(cues: list[Cue], words: list[tuple[int, int, str]]) -> None:
    """Every word once, in order; a cue of several words within 7 s and two lines; no overlaps."""
    assert " ".join(c.text for c in cues) == " ".join(w[2] for w in words)
    for c in cues:
        assert c.end_ms > c.start_ms
        if len(c.text.split()) > 1:
            assert c.end_ms - c.start_ms <= SUBTITLES.max_ms
            assert len(wrap_lines(c.shown, SUBTITLES.line_chars)) <= SUBTITLES.max_lines
    assert all(a.end_ms <= b.start_ms for a, b in zip(cues, cues[1:], strict=False))
