"""Stored speaker segments written as the JSON rows a finished job keeps, read through the one codec.

Tests of the exports and of speaker naming describe segments the way they are stored (plain dicts,
including the odd shapes older rows have) and hand them to the domain as ``decode_segments`` does
in production.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from domain.exports import Cue, cues_from_segments
from domain.stored_segments import StoredSegment, decode_segments


def rows(entries: Iterable[Mapping[str, Any]]) -> tuple[StoredSegment, ...]:
    return decode_segments(json.dumps(list(entries), ensure_ascii=False))


def cues_of(entries: Iterable[Mapping[str, Any]], **options: Any) -> list[Cue]:
    """``cues_from_segments`` of stored rows."""
    return cues_from_segments(rows(entries), **options)
