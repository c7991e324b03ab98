"""Cutting long audio into chunks for the synchronous recogniser, and stitching their texts back.

``plan_chunks`` decides where to cut; ``stitch_texts`` joins what the recogniser returned for each
chunk. A cut inside a silence loses no word, so its chunks touch exactly. A hard cut (no silence
nearby) may split a word, so the next chunk repeats the last ``chunk_overlap_s`` of audio and the
stitcher removes the words the overlap made the recogniser say twice.
"""

from __future__ import annotations

import bisect
import enum
import math
import re
from collections.abc import Sequence

import attrs

from domain.audio import Span
from domain.policy import Policy

# A last chunk shorter than this is avoided when a cut can be placed earlier (within the limits):
# a few seconds of audio alone give the recogniser too little context.
DEFAULT_MIN_TAIL_MS = 15_000


class SeamKind(enum.Enum):
    """How a chunk joins the one before it."""

    START = "start"  # the first chunk: nothing before it
    SILENCE = "silence"  # cut inside a silence: the chunks touch exactly
    OVERLAP = "overlap"  # hard cut: this chunk starts ``overlap`` before the previous one ends


@attrs.frozen
class Chunk:
    """The half-open span [start_ms, end_ms) of the source audio sent as one request."""

    index: int
    start_ms: int
    end_ms: int
    seam: SeamKind

    @property
    def length_ms(self) -> int:
        return self.end_ms - self.start_ms


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def plan_chunks(
    duration_ms: int,
    silences: Sequence[Span],
    policy: Policy,
    *,
    min_tail_ms: int = DEFAULT_MIN_TAIL_MS,
) -> tuple[Chunk, ...]:
    """Chunks of at most ``policy.chunk_max_s`` covering [0, duration_ms) with no gap.

    While more than the maximum remains, the next cut is searched in the window
    [start + chunk_min, start + chunk_max]: among silences of at least ``min_silence_s`` whose
    midpoint lies in the window, the latest midpoint wins and the next chunk starts exactly there
    (a cut near the limit keeps the number of requests low). The window's upper end is first pulled back to
    ``duration - min_tail_ms`` so the last chunk is not tiny; if that leaves no candidate, the full
    window is searched again (a silence cut beats a tidy tail). With no silence at all, the cut is
    hard at start + chunk_max (earlier only to keep the tail at least ``min_tail_ms``) and the
    next chunk starts ``chunk_overlap_s`` before it.

    ``duration_ms <= 0`` gives an empty tuple: there is nothing to send. Silences may come
    unsorted, overlapping or past the end. Raises ``ValueError`` for limits that cannot make
    progress (maximum not positive, overlap negative or not shorter than the maximum).
    """
    max_ms = _ms(policy.chunk_max_s)
    overlap_ms = _ms(policy.chunk_overlap_s)
    if max_ms <= 0:
        raise ValueError(f"chunk_max_s must be positive, got {policy.chunk_max_s}")
    if not 0 <= overlap_ms < max_ms:
        raise ValueError(f"chunk_overlap_s must be in [0, chunk_max_s), got {policy.chunk_overlap_s}")
    if duration_ms <= 0:
        return ()
    # A cut must move forward by at least 1 ms, and a minimum above the maximum would empty the window.
    min_ms = min(max(_ms(policy.chunk_min_s), 1), max_ms)
    # A tail wish above the minimum chunk would make the tail rule fight the search window.
    min_tail_ms = max(0, min(min_tail_ms, min_ms))
    # A zero-length silence has no inside to cut in.
    min_silence_ms = max(_ms(policy.min_silence_s), 1)

    # Candidate cut points (silence midpoints), sorted; duplicates are harmless.
    mids = sorted((s.start_ms + s.end_ms) // 2 for s in silences if s.length_ms >= min_silence_ms)

    def latest_cut(lo: int, hi: int) -> int | None:
        i = bisect.bisect_right(mids, hi)
        return mids[i - 1] if i and mids[i - 1] >= lo else None

    chunks: list[Chunk] = []
    start = 0
    seam = SeamKind.START
    while duration_ms - start > max_ms:
        lo, hi = start + min_ms, start + max_ms
        tail_hi = duration_ms - min_tail_ms
        cut = latest_cut(lo, tail_hi) if lo <= tail_hi < hi else None
        if cut is None:
            cut = latest_cut(lo, hi)
        if cut is not None:
            chunks.append(Chunk(len(chunks), start, cut, seam))
            start, seam = cut, SeamKind.SILENCE
            continue
        # Hard cut; pulled back when the standard one would leave a tail under min_tail_ms.
        cut = min(hi, duration_ms - min_tail_ms + overlap_ms)
        chunks.append(Chunk(len(chunks), start, cut, seam))
        start, seam = cut - overlap_ms, SeamKind.OVERLAP
    chunks.append(Chunk(len(chunks), start, duration_ms, seam))
    return tuple(chunks)


# ---------------------------------------------------------------------------------------------
# Stitching


# A typical speech rate; the overlap search window holds three times what the overlap holds.
_WORDS_PER_SECOND = 2.0
_WINDOW_FACTOR = 3
_MIN_WINDOW_WORDS = 6
# Fewer matched words than this is likely chance ("и в"): keep both sides instead.
_MIN_MATCH_WORDS = 2

_TOKEN = re.compile(r"\S+")


def _normalise(token: str) -> str:
    """Word identity for matching: case, punctuation and ё/е spelling do not count."""
    return "".join(ch for ch in token.casefold() if ch.isalnum()).replace("ё", "е")


def _window_words(overlap_ms: int) -> int:
    held = math.ceil(max(overlap_ms, 0) / 1000 * _WORDS_PER_SECOND)
    return max(_MIN_WINDOW_WORDS, _WINDOW_FACTOR * held)


def _dedupe_seam(left: str, right: str, window: int) -> tuple[str, str]:
    """Trim two texts whose audio overlapped so that the words both contain appear once.

    The longest run of equal normalised words between the last ``window`` tokens of ``left`` and
    the first ``window`` tokens of ``right`` is the repeated audio. Left is kept up to the middle
    of the run and right from there (as Whisper's longest-common-sequence merge does), so words
    the cut garbled at either edge are dropped and each repeated word stays once. With fewer than
    ``_MIN_MATCH_WORDS`` matched, both sides are kept whole: a duplicate beats a lost word.
    """
    left_tokens = list(_TOKEN.finditer(left))[-window:]
    right_tokens: list[re.Match[str]] = []
    for token in _TOKEN.finditer(right):
        if len(right_tokens) == window:
            break
        right_tokens.append(token)
    # Punctuation-only tokens ("—") carry no identity: they are skipped but keep their place.
    lw = [(n, t) for t in left_tokens if (n := _normalise(t.group()))]
    rw = [(n, t) for t in right_tokens if (n := _normalise(t.group()))]

    best_len, best_i, best_j = 0, 0, 0
    best_key: tuple[int, int] | None = None
    # Longest common substring by dynamic programming; windows are a few words, so O(window²) is tiny.
    prev = [0] * (len(rw) + 1)
    for i in range(1, len(lw) + 1):
        cur = [0] * (len(rw) + 1)
        for j in range(1, len(rw) + 1):
            if lw[i - 1][0] == rw[j - 1][0]:
                run = cur[j] = prev[j - 1] + 1
                # Equal lengths: prefer the run nearest the seam (end of left, start of right).
                key = (run, -((len(lw) - i) + (j - run)))
                if best_key is None or key > best_key:
                    best_key, best_len, best_i, best_j = key, run, i - run, j - run
        prev = cur
    if best_len < _MIN_MATCH_WORDS:
        return left, right
    middle = best_len // 2
    left_cut = lw[best_i + middle][1].start()
    right_cut = rw[best_j + middle][1].start()
    return left[:left_cut].rstrip(), right[right_cut:].lstrip()


def stitch_texts(chunks: Sequence[Chunk], texts: Sequence[str]) -> str:
    """Join the recognised texts of ``chunks`` (same order and length) into one text.

    Silence seams join with a space. Overlap seams drop the words the overlap repeats (see
    ``_dedupe_seam``); the search window holds about three times the words the overlap can hold.
    Empty texts are skipped; a seam next to a skipped text is joined plainly, since the overlap it
    describes has no text on one side to compare. Raises ``ValueError`` on a length mismatch.
    """
    if len(chunks) != len(texts):
        raise ValueError(f"{len(chunks)} chunks but {len(texts)} texts")
    pieces: list[str] = []
    previous: Chunk | None = None  # the chunk whose text ``pieces[-1]`` is
    for chunk, raw in zip(chunks, texts, strict=True):
        text = raw.strip()
        if not text:
            previous = None
            continue
        if chunk.seam is SeamKind.OVERLAP and previous is not None and previous.index == chunk.index - 1:
            # Only the previous chunk's text can repeat this chunk's first words.
            window = _window_words(previous.end_ms - chunk.start_ms)
            pieces[-1], text = _dedupe_seam(pieces[-1], text, window)
        pieces.append(text)
        previous = chunk
    return " ".join(p for p in pieces if p)
