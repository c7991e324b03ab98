"""Which speaker a word spanning several turns goes to: the most overlap (summed over the pieces
of one speaker), then the turn holding its midpoint, then the earlier one; and the dialogue gates
at their exact thresholds."""

from __future__ import annotations

from domain.merge import MergeParams, MergeQuality
from domain.merge import _attribute_words as attribute_words  # one step of the merge
from domain.transcript import SpeakerTurn, Word


def speaker_of(word: Word, *turns: SpeakerTurn) -> str | None:
    (attributed,) = attribute_words([word], list(turns))
    return attributed.speaker


def test_the_overlap_of_a_speaker_cut_in_two_is_summed() -> None:
    # A backchannel of B (30-70) carves A in two; A still has 60 of the word's 100 ms.
    word = Word(0, 100, "слово")
    assert speaker_of(word, SpeakerTurn(0, 100, "A"), SpeakerTurn(30, 70, "B")) == "A"


def test_equal_overlaps_around_a_gap_go_to_the_earlier_turn() -> None:
    # No turn holds the word's midpoint (50 ms): the tie goes to the earlier turn.
    word = Word(0, 100, "слово")
    assert speaker_of(word, SpeakerTurn(60, 100, "B"), SpeakerTurn(0, 40, "A")) == "A"


def test_equal_overlaps_go_to_the_turn_holding_the_midpoint() -> None:
    assert speaker_of(Word(10, 90, "x"), SpeakerTurn(0, 50, "A"), SpeakerTurn(50, 100, "B")) == "B"


def quality(coverage: float | None, unknown_share: float) -> MergeQuality:
    return MergeQuality(coverage=coverage, unknown_share=unknown_share, speaker_count=2, transitions=1,
                        word_count=10)


def test_the_dialogue_gates_accept_a_merge_exactly_at_their_thresholds() -> None:
    params = MergeParams(min_coverage=0.5, max_unknown_share=0.2)
    assert quality(0.5, 0.2).is_dialogue(params)
    assert not quality(0.49, 0.2).is_dialogue(params)
    assert not quality(0.5, 0.21).is_dialogue(params)
    assert quality(None, 0.0).is_dialogue(params)
