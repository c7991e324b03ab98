"""Carving turns into exclusive pieces of speaker time, case by case with exact pieces, and the
edge tolerance of a word in a gap exactly at its limit."""

from __future__ import annotations

import pytest

from domain.merge import MergeParams, _exclusive, _sorted_turns
from domain.merge import _attribute_words as attribute_words
from domain.transcript import SpeakerTurn, Word

Turns = list[tuple[int, int, str]]
Pieces = list[tuple[int, int, str]]


def carve(turns: Turns, merge_gap_ms: int) -> Pieces:
    starts, ends, speakers = _exclusive(_sorted_turns([SpeakerTurn(*t) for t in turns]), merge_gap_ms)
    return list(zip(starts, ends, speakers, strict=True))


CASES = [
    pytest.param(
        [(1200, 2300, "A"), (1700, 2900, "C")],
        0,
        [(1200, 2000, "A"), (2000, 2900, "C")],
        id="a-partial-overlap-is-shared-at-its-midpoint-each-speaker-one-piece",
    ),
    pytest.param(
        [(400, 1100, "A"), (600, 1100, "B")],
        0,
        [(400, 850, "A"), (850, 1100, "B")],
        id="a-later-turn-ending-with-the-earlier-one-shares-the-overlap-and-leaves-no-empty-piece",
    ),
    pytest.param(
        [(600, 1101, "A"), (600, 1300, "C")],
        0,
        [(600, 850, "A"), (850, 1300, "C")],
        id="the-midpoint-of-an-odd-overlap-is-a-whole-millisecond",
    ),
    pytest.param(
        [(300, 800, "C"), (300, 400, "A")],
        100,
        [(300, 350, "A"), (350, 800, "C")],
        id="turns-starting-together-are-painted-shorter-first-whatever-the-input-order",
    ),
    pytest.param(
        [(0, 600, "B"), (100, 1100, "A"), (100, 800, "B")],
        200,
        [(0, 450, "B"), (450, 1100, "A")],
        id="two-turns-starting-together-after-an-earlier-one-are-both-ordered",
    ),
    pytest.param(
        [(1300, 1800, "B"), (1300, 1900, "A"), (1800, 2600, "A"), (1800, 2400, "B")],
        0,
        [(1300, 1550, "B"), (1550, 1850, "A"), (1850, 2125, "B"), (2125, 2600, "A")],
        id="each-run-of-equal-starts-is-ordered-on-its-own",
    ),
    pytest.param(
        [(0, 300, "A"), (400, 1200, "A")],
        200,
        [(0, 1200, "A")],
        id="same-speaker-turns-closer-than-the-merge-gap-are-one-piece",
    ),
    pytest.param(
        [(0, 1100, "A"), (1200, 2400, "A")],
        100,
        [(0, 1100, "A"), (1200, 2400, "A")],
        id="a-pause-exactly-as-long-as-the-merge-gap-separates-the-turns",
    ),
    pytest.param(
        [(600, 1000, "A"), (1200, 2300, "A"), (2000, 2700, "A")],
        200,
        [(600, 1000, "A"), (1200, 2700, "A")],
        id="overlapping-same-speaker-turns-join-but-a-pause-of-the-merge-gap-still-separates",
    ),
    pytest.param(
        [(0, 300, "C"), (400, 500, "C"), (400, 401, "A")],
        200,
        [(0, 500, "C")],
        id="a-turn-taking-a-whole-piece-joins-its-speakers-piece-across-a-short-pause",
    ),
    pytest.param(
        [(300, 800, "C"), (300, 301, "A")],
        100,
        [(300, 800, "C")],
        id="a-turn-whose-share-of-an-overlap-is-empty-leaves-no-empty-piece",
    ),
]


@pytest.mark.parametrize(("turns", "merge_gap_ms", "pieces"), CASES)
def test_turns_are_carved_into_these_pieces(turns: Turns, merge_gap_ms: int, pieces: Pieces) -> None:
    assert carve(turns, merge_gap_ms) == pieces
    assert all(type(x) is int for p in carve(turns, merge_gap_ms) for x in p[:2])


# --- a word in a gap exactly edge_tolerance_ms from a turn ---------------------------------------

PARAMS = MergeParams(edge_tolerance_ms=400)


def speaker_of_lone_word(word: Word, turns: Turns) -> str | None:
    (attributed,) = attribute_words([word], [SpeakerTurn(*t) for t in turns], PARAMS)
    return attributed.speaker


def test_a_word_exactly_the_tolerance_after_a_turn_ends_goes_to_it() -> None:
    # 400 ms after A ends, 1600 ms before B starts: the nearer edge is within tolerance.
    assert speaker_of_lone_word(Word(1400, 1500, "да"), [(0, 1000, "A"), (3100, 4000, "B")]) == "A"


def test_a_word_exactly_the_tolerance_before_a_turn_starts_goes_to_it() -> None:
    # 1600 ms after A ends, 400 ms before B starts.
    assert speaker_of_lone_word(Word(2600, 2700, "да"), [(0, 1000, "A"), (3100, 4000, "B")]) == "B"
