"""Chunk planning and stitching at the edges of their limits: exact thresholds, whole-ms cuts,
the messages an operator sees for a bad configuration."""

from __future__ import annotations

import pytest

from domain.audio import Span
from domain.chunking import Chunk, SeamKind, plan_chunks, stitch_texts
from domain.policy import Policy

S = 1000  # ms per second
POLICY = Policy(chunk_max_s=150.0, chunk_min_s=60.0, chunk_overlap_s=2.0, min_silence_s=0.3)


def spans(chunks: tuple[Chunk, ...]) -> list[tuple[int, int, SeamKind]]:
    return [(c.start_ms, c.end_ms, c.seam) for c in chunks]


# --- configuration errors name the setting and the value -----------------------------------------


def test_a_non_positive_maximum_is_reported_as_such() -> None:
    # Not as an overlap problem: the maximum itself is what the operator has to fix.
    with pytest.raises(ValueError, match=r"^chunk_max_s must be positive, got 0\.0$"):
        plan_chunks(400 * S, [], Policy(chunk_max_s=0.0, chunk_overlap_s=0.0))


def test_an_overlap_as_long_as_the_maximum_is_reported_with_its_value() -> None:
    with pytest.raises(ValueError, match=r"^chunk_overlap_s must be in \[0, chunk_max_s\), got 150\.0$"):
        plan_chunks(400 * S, [], Policy(chunk_max_s=150.0, chunk_overlap_s=150.0))


def test_a_length_mismatch_in_stitching_names_both_counts() -> None:
    first = Chunk(0, 0, 150 * S, SeamKind.START)
    with pytest.raises(ValueError, match=r"^1 chunks but 2 texts$"):
        stitch_texts([first], ["a", "b"])


# --- planning thresholds -------------------------------------------------------------------------


def test_a_one_millisecond_maximum_still_plans_one_millisecond_chunks() -> None:
    policy = Policy(chunk_max_s=0.001, chunk_min_s=0.001, chunk_overlap_s=0.0, min_silence_s=0.3)
    assert spans(plan_chunks(3, [], policy)) == [
        (0, 1, SeamKind.START),
        (1, 2, SeamKind.OVERLAP),
        (2, 3, SeamKind.OVERLAP),
    ]


def test_with_no_minimum_chunk_a_silence_one_millisecond_in_is_a_cut() -> None:
    # chunk_min_s = 0: the cut only has to move forward, so a silence whose middle is 1 ms after
    # the start is taken rather than cutting hard at the maximum.
    policy = Policy(chunk_max_s=0.01, chunk_min_s=0.0, chunk_overlap_s=0.0, min_silence_s=0.0)
    chunks = plan_chunks(30, [Span(0, 2)], policy)
    assert spans(chunks)[0] == (0, 1, SeamKind.START)
    assert chunks[1].seam is SeamKind.SILENCE


def test_with_no_minimum_silence_a_one_millisecond_silence_is_a_cut() -> None:
    policy = Policy(chunk_max_s=150.0, chunk_min_s=60.0, chunk_overlap_s=2.0, min_silence_s=0.0)
    assert spans(plan_chunks(200 * S, [Span(100 * S, 100 * S + 1)], policy)) == [
        (0, 100 * S, SeamKind.START),
        (100 * S, 200 * S, SeamKind.SILENCE),
    ]


def test_a_silence_exactly_as_long_as_the_minimum_is_trusted() -> None:
    assert spans(plan_chunks(200 * S, [Span(100 * S, 100 * S + 300)], POLICY)) == [
        (0, 100_150, SeamKind.START),
        (100_150, 200 * S, SeamKind.SILENCE),
    ]


def test_the_middle_of_an_odd_length_silence_is_a_whole_millisecond() -> None:
    chunks = plan_chunks(200 * S, [Span(100 * S, 100 * S + 301)], POLICY)
    assert spans(chunks) == [(0, 100_150, SeamKind.START), (100_150, 200 * S, SeamKind.SILENCE)]
    assert all(type(c.end_ms) is int for c in chunks)


def test_a_silence_before_the_window_does_not_hide_one_inside_it() -> None:
    silences = [Span(30 * S, 31 * S), Span(100 * S, 101 * S)]
    assert spans(plan_chunks(200 * S, silences, POLICY)) == [
        (0, 100_500, SeamKind.START),
        (100_500, 200 * S, SeamKind.SILENCE),
    ]


def test_a_silence_exactly_at_the_minimum_chunk_length_is_a_cut() -> None:
    assert spans(plan_chunks(200 * S, [Span(59_500, 60_500)], POLICY)) == [
        (0, 60 * S, SeamKind.START),
        (60 * S, 200 * S, SeamKind.SILENCE),
    ]


def test_a_silence_leaving_exactly_the_wished_tail_beats_a_later_one() -> None:
    # Minimum 100 s, tail wish 100 s, 200 s of audio: only a cut at exactly 100 s leaves the tail,
    # and a silence sits there; the later silence at 140 s would leave a 60 s tail.
    policy = Policy(chunk_max_s=150.0, chunk_min_s=100.0, chunk_overlap_s=2.0, min_silence_s=0.3)
    silences = [Span(99_500, 100_500), Span(139_500, 140_500)]
    assert spans(plan_chunks(200 * S, silences, policy, min_tail_ms=100 * S)) == [
        (0, 100 * S, SeamKind.START),
        (100 * S, 200 * S, SeamKind.SILENCE),
    ]


# --- stitching: the search window follows the overlap's length -----------------------------------


def test_a_repeat_further_back_than_the_overlap_can_hold_is_not_removed() -> None:
    # A 2 s overlap holds about 4 words; the search looks 12 words back. Two words said 14 words
    # before the seam and again at the start of the next chunk are speech, not repeated audio.
    first = Chunk(0, 0, 150 * S, SeamKind.START)
    after = Chunk(1, 148 * S, 298 * S, SeamKind.OVERLAP)
    left = "красный дом стоит у самой реки где летом мы ловили рыбу и читали книги вечером"
    right = "красный дом снова покрасили весной"
    assert stitch_texts([first, after], [left, right]) == f"{left} {right}"
