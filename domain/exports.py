"""A transcript as timed cues, and the cues as ``.txt``, ``.srt`` and ``.vtt`` files (pure).

Two sources of time:

- ``cues_from_segments``: the merged speaker segments of dialogue mode (and of a one-speaker
  result of the two passes) carry **exact word times**; a cue starts at its first word and ends
  at its last, and a long segment is cut into cues of at most ``limits.max_ms`` and at most
  ``limits.max_lines`` lines of about ``limits.line_chars`` characters, preferring to cut after a
  sentence end.
- ``cues_from_text``: plain mode (``qwen3-asr-flash``) returns text without any times, so the
  times are **estimates**: the text is cut into sentences (and long sentences into pieces that
  fit a cue), and the audio's duration is spread over them in proportion to their character
  counts. Speech rate varies and pauses are invisible, so a cue can be off by several seconds
  late in a long recording; callers say so to the user.

``SUBTITLES`` are the usual subtitle limits (≤ 7 s, ≤ 2 lines of 42 characters); ``TRANSCRIPT``
gives the longer lines a timestamped ``.txt`` reads best with.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence

import attrs

from domain.stored_segments import StoredSegment, StoredWord


@attrs.frozen
class Cue:
    """One timed piece of text; ``label`` ("Speaker 1") is shown before the text when set."""

    start_ms: int
    end_ms: int
    text: str
    label: str | None = None

    @property
    def shown(self) -> str:
        return f"{self.label}: {self.text}" if self.label else self.text


@attrs.frozen
class CueLimits:
    max_ms: int
    line_chars: int
    max_lines: int


SUBTITLES = CueLimits(max_ms=7_000, line_chars=42, max_lines=2)
TRANSCRIPT = CueLimits(max_ms=30_000, line_chars=400, max_lines=1)

# Reading speed assumed when the duration is unknown (0): about 15 characters per second.
FALLBACK_MS_PER_CHAR = 1000 / 15
_SENTENCE_END = re.compile(r"[.!?…]+[\"»”')\]]*$")


def wrap_lines(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False) or [""]


def _fits(text: str, limits: CueLimits) -> bool:
    return len(wrap_lines(text, limits.line_chars)) <= limits.max_lines


def _one_line(text: str) -> str:
    return " ".join(text.split())


# -- cues from words with times ---------------------------------------------------------------------


def _segment_words(segment: StoredSegment) -> list[StoredWord]:
    """The segment's words on one line each; a word of only whitespace is no word."""
    words = (attrs.evolve(w, text=_one_line(w.text)) for w in segment.words)
    return [w for w in words if w.text]


def _group_words(words: Sequence[StoredWord], limits: CueLimits, label: str | None) -> list[list[StoredWord]]:
    """Greedy groups that fit the limits; an overflowing group is cut after its last sentence end."""
    prefix = f"{label}: " if label else ""
    groups: list[list[StoredWord]] = []
    current: list[StoredWord] = []
    for word in words:
        candidate = [*current, word]
        text = prefix + " ".join(w.text for w in candidate)
        if current and (not _fits(text, limits) or word.end_ms - current[0].start_ms > limits.max_ms):
            cut = len(current)
            for i in range(len(current) - 1, len(current) // 3, -1):
                if _SENTENCE_END.search(current[i].text):
                    cut = i + 1
                    break
            groups.append(current[:cut])
            current = [*current[cut:], word]
            # The carried-over words plus this one may still not fit: close them word by word.
            while len(current) > 1 and (not _fits(prefix + " ".join(w.text for w in current), limits)
                                        or current[-1].end_ms - current[0].start_ms > limits.max_ms):
                groups.append(current[:-1])
                current = current[-1:]
        else:
            current = candidate
    if current:
        groups.append(current)
    return groups


def cues_from_segments(segments: Iterable[StoredSegment], *, label_word: str | None = None,
                       limits: CueLimits = SUBTITLES, names: Mapping[str, str] | None = None) -> list[Cue]:
    """Cues from a finished job's stored speaker segments.

    With ``label_word`` ("Speaker") each cue of a known speaker is labelled "Speaker N", or by the
    name the user gave that speaker (``names``: speaker number → name). A segment without word
    times falls back to spreading its text over its own span.
    """
    cues: list[Cue] = []
    ordered = sorted(segments, key=lambda s: (s.start_ms, s.end_ms))
    for segment in ordered:
        speaker = segment.speaker
        label = None
        if label_word and speaker is not None:
            label = (names or {}).get(speaker) or f"{label_word} {speaker}"
        words = _segment_words(segment)
        if not words:
            start, end = segment.start_ms, segment.end_ms
            cues += _spread(_one_line(segment.text), start, max(end, start), limits, label)
            continue
        for group in _group_words(words, limits, label):
            start = group[0].start_ms
            cues.append(Cue(start, max(group[-1].end_ms, start + 1), " ".join(w.text for w in group), label))
    return _no_overlap(cues)


# -- cues from plain text (estimated times) ---------------------------------------------------------


def split_sentences(text: str) -> list[str]:
    """Sentences: a word ending in . ! ? … (closing quotes allowed) ends one, and so does a line end."""
    sentences: list[str] = []
    for line in text.splitlines():
        current: list[str] = []
        for word in line.split():
            current.append(word)
            if _SENTENCE_END.search(word):
                sentences.append(" ".join(current))
                current = []
        if current:
            sentences.append(" ".join(current))
    return sentences


def _pieces(sentence: str, limits: CueLimits, max_chars: int, label: str | None) -> list[str]:
    """A sentence cut at word boundaries into pieces that fit a cue (a single long word stays whole)."""
    prefix = f"{label}: " if label else ""
    pieces: list[str] = []
    current = ""
    for word in sentence.split():
        candidate = f"{current} {word}" if current else word
        if current and (not _fits(prefix + candidate, limits) or len(candidate) > max_chars):
            pieces.append(current)
            current = word
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def _spread(text: str, start_ms: int, end_ms: int, limits: CueLimits, label: str | None = None) -> list[Cue]:
    sentences = split_sentences(text)
    total_chars = sum(len(s) for s in sentences)
    if not total_chars:
        return []
    span = end_ms - start_ms
    ms_per_char = span / total_chars if span > 0 else FALLBACK_MS_PER_CHAR
    # A piece may hold as many characters as fit into max_ms at this text's pace (at least one word).
    max_chars = max(1, int(limits.max_ms / ms_per_char))
    pieces = [p for s in sentences for p in _pieces(s, limits, max_chars, label)]
    weight = sum(len(p) for p in pieces)
    scale = (span / weight) if span > 0 else FALLBACK_MS_PER_CHAR
    # Boundaries strictly increase, so cues never overlap even for a degenerate (tiny) span.
    bounds, offset = [start_ms], 0
    for piece in pieces:
        offset += len(piece)
        bounds.append(max(start_ms + round(offset * scale), bounds[-1] + 1))
    return [Cue(bounds[i], bounds[i + 1], piece, label) for i, piece in enumerate(pieces)]


def cues_from_text(text: str, duration_ms: int | None, *, limits: CueLimits = SUBTITLES) -> list[Cue]:
    """Cues with **estimated** times: ``duration_ms`` spread over sentences by character count.

    Without a duration (0 or None) an average reading pace of 15 characters per second is assumed.
    """
    return _spread(text, 0, int(duration_ms or 0), limits)


def _no_overlap(cues: list[Cue]) -> list[Cue]:
    """Players dislike overlapping cues: end each cue no later than the next one starts."""
    fixed = []
    for i, cue in enumerate(cues):
        end = cue.end_ms
        if i + 1 < len(cues) and cues[i + 1].start_ms > cue.start_ms:
            end = min(end, cues[i + 1].start_ms)
        fixed.append(attrs.evolve(cue, end_ms=max(end, cue.start_ms + 1)))
    return fixed


# -- rendering ---------------------------------------------------------------------------------------


def _clock(ms: int, separator: str) -> str:
    ms = max(0, int(ms))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _stamp(ms: int) -> str:
    return _clock(ms, ",")[:8]


def render_txt(cues: Sequence[Cue]) -> str:
    """``[HH:MM:SS] text`` (``[HH:MM:SS] Speaker N: text`` with labels), one cue per line."""
    return "".join(f"[{_stamp(c.start_ms)}] {c.shown}\n" for c in cues)


def render_srt(cues: Sequence[Cue], *, line_chars: int = SUBTITLES.line_chars) -> str:
    blocks = []
    for index, cue in enumerate(cues, start=1):
        lines = "\n".join(wrap_lines(cue.shown, line_chars))
        blocks.append(f"{index}\n{_clock(cue.start_ms, ',')} --> {_clock(cue.end_ms, ',')}\n{lines}\n")
    return "\n".join(blocks)


def _vtt_escape(text: str) -> str:
    # WebVTT cue text reads "&", "<" and ">" as markup (its own format's rule, not Telegram's HTML).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_vtt(cues: Sequence[Cue], *, line_chars: int = SUBTITLES.line_chars) -> str:
    blocks = ["WEBVTT\n"]
    for cue in cues:
        lines = "\n".join(_vtt_escape(line) for line in wrap_lines(cue.shown, line_chars))
        blocks.append(f"{_clock(cue.start_ms, '.')} --> {_clock(cue.end_ms, '.')}\n{lines}\n")
    return "\n".join(blocks)
