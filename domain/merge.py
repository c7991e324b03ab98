"""Merge of the speaker pass (who spoke when) with the timed text pass (which words, when).

Both passes time the same uploaded file, so their clocks share an origin: words are matched to
turns by time alone, and timelines are never rescaled (a different last timestamp means one model
skipped trailing silence, not that a clock drifted).

Steps:

1. **Turns** are sorted, turns of non-positive length dropped, and made exclusive: a turn lying
   inside another speaker's turn (a backchannel, "угу") carves the outer turn in two and keeps its
   own time; two turns that partly overlap share the overlap at its midpoint. Short turns are
   never dropped. Same-speaker neighbours closer than ``merge_gap_ms`` are joined.
2. **Words** are sorted by start (stable: equal starts keep the provider's order). For matching
   only, a word's end is capped at ``max_word_ms`` after its start and at the next word's start,
   because aligners stretch a last word into the following silence and into the next turn.
3. **Each word** goes to the speaker with the most overlap in ms; on a tie to the turn holding
   the word's midpoint, then to the earlier turn. A zero-length word is a point at its start. A
   word no turn touches goes to the nearest turn edge within ``edge_tolerance_ms``, else keeps the
   previous word's speaker (``None`` before any speaker is known).
4. **Segments** are runs of one speaker, renumbered "1", "2", ... by first appearance.

Both sweeps walk sorted lists with a forward pointer: O(W + S) after the O(n log n) sorts
(carving looks back only over the pieces a turn overlaps, a word only over the pieces inside its
capped span). With exclusive pieces one pointer replaces an active set of overlapping turns.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence

import attrs

from domain.transcript import (
    AttributedWord,
    Segment,
    SpeakerPassResult,
    SpeakerTurn,
    TextPassResult,
    Word,
    spread_words,
)


@attrs.frozen
class MergeParams:
    """Tuning of the merge and of the dialogue decision; starting values to be tuned on fixtures."""

    # A word in a gap goes to a turn whose edge is at most this far away.
    edge_tolerance_ms: int = 400
    # Matching uses at most this much of a word: aligners stretch words into silence (NeMo: 600).
    max_word_ms: int = 800
    # Same-speaker turns closer than this are one turn (the pause is not a change of speaker).
    merge_gap_ms: int = 500
    # Dialogue needs at least this many speakers ...
    min_dialogue_speakers: int = 2
    # ... and at least this many speaker changes (one change already shows two people talking).
    min_dialogue_transitions: int = 1
    # Gates that send a doubtful merge to plain text; off by default (0 and 1 accept anything).
    min_coverage: float = 0.0
    max_unknown_share: float = 1.0


# ---------------------------------------------------------------------------------------------
# Words


def _words_of(text_pass: TextPassResult) -> tuple[Word, ...]:
    """All words of the text pass in the provider's order.

    Sentences with word times contribute their words as they are. A sentence without word times
    contributes its whitespace-separated tokens, each a ``Word`` with times interpolated evenly
    over the sentence span (trailing punctuation moved to ``punctuation``), so a speaker change
    inside it still splits it.
    """
    return tuple(
        itertools.chain.from_iterable(s.words or spread_words(s.text, s.start_ms, s.end_ms) for s in text_pass.sentences)
    )


# ---------------------------------------------------------------------------------------------
# Turns


_BY_START = operator.attrgetter("start_ms")
_TURN_KEY = operator.attrgetter("start_ms", "end_ms", "speaker")
# Beyond any timestamp: an edge this far away is never within tolerance.
_FAR = 1 << 62
# Stands for "the word after the last one" in the sweep's look-ahead.
_AFTER_LAST = (Word(_FAR, _FAR, ""),)


def _sorted_turns(turns: Sequence[SpeakerTurn]) -> list[SpeakerTurn]:
    """Turns sorted by start (``_exclusive`` finishes the order of ties and skips empty turns)."""
    return sorted(turns, key=_BY_START)


def _has_time(turns: Sequence[SpeakerTurn]) -> bool:
    """Whether any turn has a positive length (others carry no usable time)."""
    return any(t.end_ms > t.start_ms for t in turns)


def _exclusive(valid: list[SpeakerTurn], merge_gap_ms: int) -> tuple[list[int], list[int], list[str]]:
    """Sorted, non-overlapping pieces of speaker time (parallel lists: starts, ends, speakers).

    ``valid`` is sorted by start (``_sorted_turns``); turns of non-positive length are skipped.

    Turns are painted in start order. Against each piece the new turn overlaps: if that piece's
    turn ends inside the new one (a partial overlap), they share the overlap at its midpoint;
    otherwise the new turn lies inside it (a backchannel) and wins its whole time, the outer turn
    resuming after it. Only the last few pieces can overlap a later-starting turn, so the scan
    back from the end is short. Same-speaker neighbours closer than ``merge_gap_ms`` are joined
    (the pause is not a change of speaker).

    Turns with equal starts are painted in (start, end, speaker) order, so the result does not
    depend on the input order; that key allocates a tuple per turn, so only runs of equal starts
    are sorted by it, in place, when the loop meets them.
    """
    # Parallel lists rather than a list of pieces: no allocation per turn on the usual path.
    ps: list[int] = []
    pe: list[int] = []
    pk: list[str] = []
    pend: list[int] = []  # end of the turn each piece came from

    def push(s: int, e: int, spk: str, turn_end: int) -> None:
        if pk and pk[-1] == spk and (s == pe[-1] or s - pe[-1] < merge_gap_ms):
            pe[-1] = e
            pend[-1] = turn_end
        else:
            ps.append(s)
            pe.append(e)
            pk.append(spk)
            pend.append(turn_end)

    n = len(valid)
    next_start = valid[0].start_ms if n else 0
    tied_until = 0
    for k in range(n):
        s = next_start
        if k + 1 < n:
            next_start = valid[k + 1].start_ms
            if next_start == s and k >= tied_until:
                tied_until = k + 1
                while tied_until < n and valid[tied_until].start_ms == s:
                    tied_until += 1
                valid[k:tied_until] = sorted(valid[k:tied_until], key=_TURN_KEY)
        turn = valid[k]
        e = turn.end_ms
        if e <= s:
            continue
        spk = turn.speaker
        if not pe or pe[-1] <= s:
            # The usual case: the turn starts after everything painted so far.
            if pk and pk[-1] == spk and (s == pe[-1] or s - pe[-1] < merge_gap_ms):
                pe[-1] = e
                pend[-1] = e
            else:
                ps.append(s)
                pe.append(e)
                pk.append(spk)
                pend.append(e)
            continue
        i = len(pe) - 1
        while i and pe[i - 1] > s:
            i -= 1
        touched = list(zip(ps[i:], pe[i:], pk[i:], pend[i:], strict=True))
        for column in (ps, pe, pk, pend):
            del column[i:]
        cursor = s  # the new turn owns [s, e) from here on, except what the loop gives back
        resume = None
        later = []
        for piece in touched:
            qs, qe, qk, qend = piece
            if qs >= e:
                later.append(piece)
                continue
            if qs < s:
                push(qs, s, qk, qend)
            lo = qs if qs > s else s
            hi = qe if qe < e else e
            if cursor < lo:
                push(cursor, lo, spk, e)
                cursor = lo
            if qk != spk and qend <= e:
                mid = (lo + hi) // 2
                if mid > lo:
                    push(lo, mid, qk, qend)
                    cursor = mid
            if hi > cursor:
                push(cursor, hi, spk, e)
                cursor = hi
            if qe > e:
                resume = (e, qe, qk, qend)
        if cursor < e:
            push(cursor, e, spk, e)
        if resume is not None:
            push(*resume)
        for piece in later:
            push(*piece)
    return ps, pe, pk


def _union(valid: list[SpeakerTurn]) -> list[tuple[int, int]]:
    """Time covered by at least one turn, as sorted disjoint intervals."""
    out: list[list[int]] = []
    for t in valid:
        if t.end_ms <= t.start_ms:
            continue
        if out and t.start_ms <= out[-1][1]:
            if t.end_ms > out[-1][1]:
                out[-1][1] = t.end_ms
        else:
            out.append([t.start_ms, t.end_ms])
    return [(s, e) for s, e in out]


# ---------------------------------------------------------------------------------------------
# Attribution and grouping


def _vote(a: int, b: int, j: int, ps: list[int], pe: list[int], pspk: list[str]) -> str:
    """Speaker of word [a, b) that overlaps pieces j, j+1, ...: most overlap, then midpoint, then earliest."""
    totals: dict[str, int] = {}
    at_mid = None
    k = j
    while ps[k] < b:  # the caller's sentinel piece ends the scan
        lo = ps[k] if ps[k] > a else a
        hi = pe[k] if pe[k] < b else b
        spk = pspk[k]
        # Dict order is first-overlap order, so the scan below keeps the earliest on a tie.
        totals[spk] = totals.get(spk, 0) + (hi - lo)
        if 2 * ps[k] <= a + b < 2 * pe[k]:
            at_mid = spk
        k += 1
    best = max(totals.values())
    if at_mid is not None and totals[at_mid] == best:
        return at_mid
    return next(spk for spk, total in totals.items() if total == best)


Pieces = tuple[list[int], list[int], list[str]]


def _sweep(
    words: tuple[Word, ...], pieces: Pieces, params: MergeParams, *, record: bool = False
) -> tuple[tuple[Word, ...], list[str | None], tuple[Segment, ...]]:
    """Words in start order, the raw speaker of each (if ``record``) and the segments.

    ``pieces`` come from ``_exclusive`` and receive their sentinels here, in place (a copy would
    be one more big young container for the garbage collector to walk). Attribution and
    grouping share one pass over the words on purpose: on long files the words do not fit in
    the CPU cache, and every extra pass over them costs more than the arithmetic.
    """
    ps, pe, pspk = pieces
    # Sentinel pieces far before and far after any timestamp spare the loop its bounds checks:
    # a word never touches them and their edges are never within tolerance.
    ps.insert(0, -_FAR - 1)
    pe.insert(0, -_FAR)
    pspk.insert(0, "")
    ps.append(_FAR)
    pe.append(_FAR + 1)
    pspk.append("")
    result = _sweep_sorted(words, ps, pe, pspk, params, record)
    if result is None:
        # Providers send words in order; sort (stable: equal starts keep their order) only if not.
        words = tuple(sorted(words, key=_BY_START))
        result = _sweep_sorted(words, ps, pe, pspk, params, record)
        assert result is not None
    return words, *result


def _sweep_sorted(
    words: tuple[Word, ...],
    ps: list[int],
    pe: list[int],
    pspk: list[str],
    params: MergeParams,
    record: bool,
) -> tuple[list[str | None], tuple[Segment, ...]] | None:
    """The hot loop of ``_sweep`` (pieces with sentinels); ``None`` when a word starts before the
    one before it."""
    if not words:
        return [], ()
    cap = params.max_word_ms
    tol = params.edge_tolerance_ms
    speakers: list[str | None] = []
    segments: list[Segment] = []
    labels: dict[str, str] = {}
    # The run being built: words[first:i], its raw speaker, start and latest end.
    first = 0
    run_speaker: str | None = None
    run_start = words[0].start_ms
    run_end = words[0].end_ms
    j = 0
    piece_start, piece_end = ps[0], pe[0]
    speaker: str | None = None
    next_start = run_start
    i = -1
    for word, following in zip(
        words, itertools.chain(itertools.islice(words, 1, None), _AFTER_LAST), strict=True
    ):
        i += 1
        a = next_start
        next_start = following.start_ms
        if next_start < a:
            return None
        end = word.end_ms
        # Matching uses a capped end: not past max_word_ms, not past the next word's start.
        b = end if end - a <= cap else a + cap
        if b > next_start:
            b = next_start
        if b < a:
            b = a
        if piece_end <= a:
            j += 1
            while pe[j] <= a:
                j += 1
            piece_start, piece_end = ps[j], pe[j]
        if piece_start <= a or piece_start < b:
            # Touches piece j (overlap, or containment for a point); usually it is the only one.
            if b == a or ps[j + 1] >= b:
                speaker = pspk[j]
            else:
                speaker = _vote(a, b, j, ps, pe, pspk)
        else:
            # No turn touches the word: nearest edge within tolerance, else the previous speaker.
            left = a - pe[j - 1]
            right = piece_start - b
            if left <= right:
                if left <= tol:
                    speaker = pspk[j - 1]
            elif right <= tol:
                speaker = pspk[j]
        if record:
            speakers.append(speaker)
        # Grouping: a known speaker other than the run's starts a new run; None joins the run.
        if speaker is None or speaker == run_speaker:
            if end > run_end:
                run_end = end
            continue
        if i:
            # Close the run (inline: a call per segment shows on long files). Runs of a known
            # speaker get labels "1", "2", ... in order of first appearance.
            if run_speaker is None:
                label = None
            else:
                label = labels.get(run_speaker)
                if label is None:
                    label = labels[run_speaker] = str(len(labels) + 1)
            segments.append(Segment(label, run_start, run_end, words[first:i]))
        first, run_speaker, run_start, run_end = i, speaker, a, end
    segments.append(_segment(run_speaker, labels, run_start, run_end, words[first:]))
    return speakers, tuple(segments)


def _segment(
    speaker: str | None, labels: dict[str, str], start: int, end: int, words: tuple[Word, ...]
) -> Segment:
    """A finished run; speakers are renumbered "1", "2", ... in order of first appearance."""
    if speaker is None:
        return Segment(None, start, end, words)
    label = labels.get(speaker)
    if label is None:
        label = labels[speaker] = str(len(labels) + 1)
    return Segment(label, start, end, words)


def _attribute_words(
    words: Sequence[Word],
    turns: Sequence[SpeakerTurn],
    params: MergeParams = MergeParams(),  # noqa: B008 - frozen value, safe as a default
) -> tuple[AttributedWord, ...]:
    """Each word with the provider's speaker name (or ``None``), in start order; see the module doc."""
    pieces = _exclusive(_sorted_turns(turns), params.merge_gap_ms)
    ordered, speakers, _ = _sweep(tuple(words), pieces, params, record=True)
    return tuple(AttributedWord(w, s) for w, s in zip(ordered, speakers, strict=True))


# ---------------------------------------------------------------------------------------------
# Quality


@attrs.frozen
class MergeQuality:
    """How far the merge can be trusted; stored with the job for the owner's debug view.

    ``coverage`` is the share of word time (each word capped at ``max_word_ms``; a zero-length
    word counts as 1 ms) inside some turn, ``None`` when the turns were not given. ``unknown_share`` is the share
    of words with no speaker; ``transitions`` counts speaker changes between known speakers.
    """

    coverage: float | None
    unknown_share: float
    speaker_count: int
    transitions: int
    word_count: int

    def is_dialogue(self, params: MergeParams = MergeParams()) -> bool:  # noqa: B008
        """Dialogue formatting only for a real exchange: enough speakers and changes, gates passed."""
        return (
            self.speaker_count >= params.min_dialogue_speakers
            and self.transitions >= params.min_dialogue_transitions
            and (self.coverage is None or self.coverage >= params.min_coverage)
            and self.unknown_share <= params.max_unknown_share
        )


def _quality(
    starts: list[int],
    ends: list[int],
    speakers: Sequence[str | None],
    union: list[tuple[int, int]] | None,
    max_word_ms: int,
) -> MergeQuality:
    n = len(speakers)
    known = [s for s in speakers if s is not None]
    transitions = sum(map(operator.ne, known, known[1:]))
    coverage = None
    if union is not None:
        covered = total = 0
        j = 0
        u = len(union)
        for a, b in zip(starts, ends, strict=True):
            b = min(max(b, a + 1), a + max(max_word_ms, 1))
            total += b - a
            while j < u and union[j][1] <= a:
                j += 1
            k = j
            while k < u and union[k][0] < b:
                covered += min(b, union[k][1]) - max(a, union[k][0])
                k += 1
        coverage = covered / total if total else 0.0
    return MergeQuality(
        coverage=coverage,
        unknown_share=(n - len(known)) / n if n else 0.0,
        speaker_count=len(set(known)),
        transitions=transitions,
        word_count=n,
    )


def _assess(
    attributed: Sequence[AttributedWord],
    turns: Sequence[SpeakerTurn] | None = None,
    params: MergeParams = MergeParams(),  # noqa: B008
) -> MergeQuality:
    """Quality of an attribution; pass the speaker-pass ``turns`` to get ``coverage``."""
    ordered = sorted(attributed, key=lambda aw: aw.word.start_ms)
    union = _union(_sorted_turns(turns)) if turns is not None else None
    return _quality(
        [aw.word.start_ms for aw in ordered],
        [aw.word.end_ms for aw in ordered],
        [aw.speaker for aw in ordered],
        union,
        params.max_word_ms,
    )


# ---------------------------------------------------------------------------------------------
# Merge


def _one_speaker(words: tuple[Word, ...]) -> tuple[Segment, ...]:
    if not words:
        return ()
    words = tuple(sorted(words, key=_BY_START))
    return (Segment("1", words[0].start_ms, max(w.end_ms for w in words), words),)


def merge_and_assess(
    text_pass: TextPassResult,
    speaker_pass: SpeakerPassResult,
    params: MergeParams = MergeParams(),  # noqa: B008
) -> tuple[tuple[Segment, ...], MergeQuality]:
    """The one entry point: speaker segments of the text pass's words (every word exactly once, in
    time order) and the quality of their attribution.

    An empty speaker pass (or one whose turns all have no length) gives one segment, speaker "1",
    holding every word. ``_words_of``, ``_attribute_words`` and ``_assess`` expose the steps on
    their own (word flattening, attribution with the provider's speaker names, quality), so each
    can be checked by itself; they run the same code.
    """
    words = _words_of(text_pass)
    valid = _sorted_turns(speaker_pass.turns)
    if _has_time(valid):
        pieces = _exclusive(valid, params.merge_gap_ms)
        words, speakers, segments = _sweep(words, pieces, params, record=True)
    else:
        segments = _one_speaker(words)
        words = segments[0].words if segments else ()
        speakers = ["1"] * len(words)
    quality = _quality(
        [w.start_ms for w in words], [w.end_ms for w in words], speakers, _union(valid), params.max_word_ms
    )
    return segments, quality
