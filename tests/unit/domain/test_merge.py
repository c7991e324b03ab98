"""Merge of the speaker pass and the timed text pass."""

from __future__ import annotations

import attrs
from hypothesis import given
from hypothesis import strategies as st

from domain.merge import MergeParams, MergeQuality, merge_and_assess
from domain.merge import _assess as assess  # the steps on their own (the module doc)
from domain.merge import _attribute_words as attribute_words
from domain.merge import _words_of as words_of
from domain.transcript import (
    AttributedWord,
    Segment,
    SpeakerPassResult,
    SpeakerTurn,
    TextPassResult,
    TimedSentence,
    Word,
)


def text_pass(*words: Word) -> TextPassResult:
    return TextPassResult((TimedSentence(words[0].start_ms, words[-1].end_ms, "", tuple(words)),))


def speaker_pass(*turns: tuple[int, int, str]) -> SpeakerPassResult:
    return SpeakerPassResult(tuple(SpeakerTurn(s, e, spk) for s, e, spk in turns))


def w(start: int, end: int, text: str = "слово", punctuation: str = "") -> Word:
    return Word(start, end, text, punctuation)


def merge_passes(text_pass: TextPassResult, speaker_pass: SpeakerPassResult) -> tuple[Segment, ...]:
    """The segments of the one public entry point."""
    return merge_and_assess(text_pass, speaker_pass)[0]


def turns_of(segments: tuple[Segment, ...]) -> list[tuple[str | None, str]]:
    return [(s.speaker, s.text) for s in segments]


DEFAULTS = MergeParams()


def speakers_of(words: list[Word], turns: list[tuple[int, int, str]], params: MergeParams = DEFAULTS):
    return [a.speaker for a in attribute_words(words, [SpeakerTurn(*t) for t in turns], params)]


# --- examples ----------------------------------------------------------------------------------


def test_a_sentence_spanning_a_speaker_change_is_split() -> None:
    words = [
        w(0, 400, "Привет"),
        w(450, 900, "как", ""),
        w(950, 1400, "дела", "?"),
        w(2100, 2500, "Хорошо", "."),
    ]
    # One sentence of the text pass, but the second speaker answers from 2.0 s.
    tp = TextPassResult((TimedSentence(0, 2500, "Привет как дела? Хорошо.", tuple(words)),))
    segments = merge_passes(tp, speaker_pass((0, 1800, "A"), (1800, 3000, "B")))
    assert turns_of(segments) == [("1", "Привет как дела?"), ("2", "Хорошо.")]


def test_a_sentence_without_word_times_is_split_at_the_change() -> None:
    tp = TextPassResult((TimedSentence(0, 4000, "Раз, два три четыре.", ()),))
    segments = merge_passes(tp, speaker_pass((0, 2000, "A"), (2000, 4000, "B")))
    assert turns_of(segments) == [("1", "Раз, два"), ("2", "три четыре.")]


def test_words_of_spreads_untimed_sentences_evenly_and_keeps_timed_words() -> None:
    timed = w(5000, 5300, "да")
    tp = TextPassResult(
        (
            TimedSentence(0, 1000, "Ну, вот и всё!", ()),
            TimedSentence(5000, 5300, "да", (timed,)),
            TimedSentence(6000, 6000, "   ", ()),
        )
    )
    words = words_of(tp)
    assert words == (
        Word(0, 250, "Ну", ","),
        Word(250, 500, "вот"),
        Word(500, 750, "и"),
        Word(750, 1000, "всё", "!"),
        timed,
    )
    assert words[4] is timed


def test_a_backchannel_inside_a_turn_keeps_its_word() -> None:
    words = [
        w(3000, 3400, "я"),
        w(3500, 3900, "думаю"),
        w(4050, 4350, "угу"),
        w(4500, 4900, "что"),
        w(5000, 5400, "да"),
    ]
    segments = merge_passes(text_pass(*words), speaker_pass((0, 10_000, "A"), (4000, 4400, "B")))
    assert turns_of(segments) == [("1", "я думаю"), ("2", "угу"), ("1", "что да")]


def test_a_backchannel_slightly_misaligned_still_wins() -> None:
    # The word starts 50 ms before the backchannel turn: the outer turn, carved, claims only 50 ms.
    assert speakers_of([w(3950, 4400, "да")], [(0, 10_000, "A"), (4000, 4400, "B")]) == ["B"]


def test_partial_overlap_of_turns_is_shared_at_its_midpoint() -> None:
    turns = [(0, 2000, "A"), (1600, 4000, "B")]  # overlap 1600..2000, shared at 1800
    assert speakers_of([w(1500, 1750), w(1850, 2300)], turns) == ["A", "B"]


def test_a_word_in_a_gap_goes_to_the_nearest_edge_within_tolerance() -> None:
    turns = [(0, 1000, "A"), (1600, 3000, "B")]
    assert speakers_of([w(1250, 1450)], turns) == ["B"]  # 150 ms from B, 250 ms from A
    assert speakers_of([w(1050, 1200)], turns) == ["A"]  # 50 ms from A


def test_a_word_far_from_any_turn_keeps_the_previous_speaker() -> None:
    turns = [(0, 1000, "A"), (10_000, 11_000, "B")]
    assert speakers_of([w(500, 900), w(5000, 5400), w(10_100, 10_500)], turns) == ["A", "A", "B"]


def test_a_word_before_any_speaker_is_unknown_and_forms_its_own_segment() -> None:
    words = [w(0, 300, "эээ"), w(5000, 5400, "Здравствуйте"), w(20_000, 20_300, "м-м")]
    segments = merge_passes(text_pass(*words), speaker_pass((5000, 6000, "S")))
    assert turns_of(segments) == [(None, "эээ"), ("1", "Здравствуйте м-м")]


def test_unknown_words_after_a_speaker_join_the_preceding_segment() -> None:
    attributed = [AttributedWord(w(0, 100, "а"), "A"), AttributedWord(w(200, 300, "б"), None)]
    assert assess(attributed).unknown_share == 0.5


def test_a_small_offset_between_the_passes_keeps_the_speakers() -> None:
    turns = [(0, 3000, "A"), (3400, 6000, "B"), (6400, 9000, "A")]
    base = [
        w(100, 500),
        w(600, 1400),
        w(2500, 2900),
        w(3500, 3900),
        w(5500, 5900),
        w(6500, 6900),
        w(8500, 8900),
    ]
    expected = ["A", "A", "A", "B", "B", "A", "A"]
    for offset in (-150, 0, 150):
        shifted = [attrs.evolve(x, start_ms=x.start_ms + offset, end_ms=x.end_ms + offset) for x in base]
        assert speakers_of(shifted, turns) == expected, offset


def test_text_running_past_the_speaker_pass_is_not_rescaled() -> None:
    # The text pass has 30 s more (trailing words the speaker model skipped): nothing moves.
    words = [w(500, 900), w(2500, 2900), w(40_000, 40_400)]
    assert speakers_of(words, [(0, 2000, "A"), (2000, 10_000, "B")]) == ["A", "B", "B"]


def test_a_stretched_word_is_capped_before_it_grabs_the_next_turn() -> None:
    # Raw overlap would give B 4500 ms and A 500 ms; matching uses only the first 800 ms.
    assert speakers_of([w(0, 5000)], [(0, 500, "A"), (500, 6000, "B")]) == ["A"]


def test_a_tie_goes_to_the_turn_holding_the_midpoint() -> None:
    assert speakers_of([w(900, 1100)], [(0, 1000, "A"), (1000, 2000, "B")]) == ["B"]


def test_zero_length_words_are_points() -> None:
    turns = [(0, 1000, "A"), (1000, 2000, "B")]
    assert speakers_of([w(500, 500), w(1000, 1000), w(2100, 2100)], turns) == ["A", "B", "B"]


def test_turns_of_no_length_are_ignored() -> None:
    assert speakers_of([w(100, 200)], [(100, 100, "X"), (0, 1000, "A"), (500, 400, "Y")]) == ["A"]


def test_speakers_are_renumbered_by_first_appearance() -> None:
    words = [w(0, 400, "а"), w(1000, 1400, "б"), w(2000, 2400, "в")]
    segments = merge_passes(
        text_pass(*words), speaker_pass((0, 900, "spk7"), (900, 1900, "spk2"), (1900, 3000, "spk7"))
    )
    assert [s.speaker for s in segments] == ["1", "2", "1"]
    assert [(s.start_ms, s.end_ms) for s in segments] == [(0, 400), (1000, 1400), (2000, 2400)]


def test_same_speaker_turns_with_a_short_gap_are_one_turn() -> None:
    turns = [(0, 1000, "A"), (1450, 3000, "A"), (3000, 4000, "B")]
    # The word sits in the 450 ms pause, beyond tolerance from A's edge on one side only.
    assert speakers_of([w(1010, 1440)], turns) == ["A"]


def test_an_empty_speaker_pass_gives_one_speaker() -> None:
    words = [w(0, 400, "раз"), w(500, 900, "два")]
    segments = merge_passes(text_pass(*words), SpeakerPassResult(()))
    assert segments == (Segment("1", 0, 900, tuple(words)),)
    assert merge_passes(TextPassResult(()), speaker_pass((0, 100, "A"))) == ()
    assert merge_passes(TextPassResult(()), SpeakerPassResult(())) == ()


def test_unsorted_input_is_sorted() -> None:
    words = [w(1000, 1400, "б"), w(0, 400, "а")]
    segments = merge_passes(text_pass(*words), speaker_pass((900, 2000, "B"), (0, 900, "A")))
    assert turns_of(segments) == [("1", "а"), ("2", "б")]


def test_quality_of_a_dialogue_and_of_a_monologue() -> None:
    words = [w(0, 400), w(500, 900), w(1000, 1400), w(1500, 1900)]
    segments, quality = merge_and_assess(text_pass(*words), speaker_pass((0, 950, "A"), (950, 1600, "B")))
    assert len(segments) == 2
    assert quality == MergeQuality(
        coverage=1300 / 1600, unknown_share=0.0, speaker_count=2, transitions=1, word_count=4
    )
    assert quality.is_dialogue()
    assert not quality.is_dialogue(MergeParams(min_dialogue_transitions=3))
    assert not quality.is_dialogue(MergeParams(min_coverage=0.95))

    _, mono = merge_and_assess(text_pass(*words), speaker_pass((0, 2000, "A")))
    assert mono.speaker_count == 1 and mono.transitions == 0 and not mono.is_dialogue()

    _, nobody = merge_and_assess(text_pass(*words), SpeakerPassResult(()))
    assert nobody.speaker_count == 1 and nobody.coverage == 0.0 and not nobody.is_dialogue()


def test_assess_without_turns_has_no_coverage() -> None:
    attributed = attribute_words(
        [w(0, 100), w(200, 300)], [SpeakerTurn(0, 150, "A"), SpeakerTurn(150, 400, "B")]
    )
    quality = assess(attributed)
    assert quality.coverage is None and quality.speaker_count == 2 and quality.transitions == 1
    assert assess(attributed, [SpeakerTurn(0, 150, "A")]).coverage == 0.5
    assert assess([]) == MergeQuality(None, 0.0, 0, 0, 0)


# --- properties --------------------------------------------------------------------------------

SPEAKERS = ["A", "B", "C"]
turn_lists = st.lists(
    st.tuples(st.integers(0, 60_000), st.integers(-200, 6_000), st.sampled_from(SPEAKERS)), max_size=25
).map(lambda ts: [SpeakerTurn(s, s + length, spk) for s, length, spk in ts])
word_lists = st.lists(st.tuples(st.integers(0, 65_000), st.integers(0, 1_500)), max_size=60).map(
    lambda ws: [Word(s, s + length, f"w{i}") for i, (s, length) in enumerate(ws)]
)
unique_start_words = st.lists(
    st.tuples(st.integers(0, 65_000), st.integers(0, 1_500)), max_size=60, unique_by=lambda t: t[0]
).map(lambda ws: [Word(s, s + length, f"w{i}") for i, (s, length) in enumerate(ws)])


def as_text_pass(words: list[Word], sizes: list[int]) -> TextPassResult:
    """The words grouped into sentences of the given sizes (cycled), in the given order.

    A size of 0 inserts a sentence with neither words nor text (providers send such).
    """
    if not any(sizes):
        sizes = [len(words) or 1]
    sentences, i, k = [], 0, 0
    while i < len(words):
        size = sizes[k % len(sizes)]
        k += 1
        if not size:
            sentences.append(TimedSentence(0, 0, "", ()))
            continue
        group = tuple(words[i : i + size])
        sentences.append(TimedSentence(group[0].start_ms, group[-1].end_ms, "", group))
        i += size
    return TextPassResult(tuple(sentences))


sentence_sizes = st.lists(st.integers(0, 8), max_size=5)


@given(word_lists, turn_lists, sentence_sizes)
def test_every_word_appears_once_in_time_order(words: list[Word], turns: list[SpeakerTurn], sizes) -> None:
    segments = merge_passes(as_text_pass(words, sizes), SpeakerPassResult(tuple(turns)))
    merged = [x for s in segments for x in s.words]
    expected = sorted(words, key=lambda x: x.start_ms)  # stable: equal starts keep their order
    assert len(merged) == len(expected) and all(a is b for a, b in zip(merged, expected, strict=True))


@given(word_lists, turn_lists)
def test_times_never_go_backwards(words: list[Word], turns: list[SpeakerTurn]) -> None:
    segments = merge_passes(as_text_pass(words, []), SpeakerPassResult(tuple(turns)))
    starts = [x.start_ms for s in segments for x in s.words]
    assert starts == sorted(starts)
    for prev, cur in zip(segments, segments[1:], strict=False):
        assert prev.start_ms <= cur.start_ms
        assert prev.speaker != cur.speaker or cur.speaker is None  # runs are maximal
    for s in segments:
        assert s.words and s.start_ms == s.words[0].start_ms and s.end_ms == max(x.end_ms for x in s.words)


def overlaps(turn: SpeakerTurn, word: Word) -> bool:
    """A turn shares time with the word (or holds it, for a zero-length word)."""
    if word.end_ms > word.start_ms:
        return turn.start_ms < word.end_ms and word.start_ms < turn.end_ms
    return turn.start_ms <= word.start_ms < turn.end_ms


@given(word_lists, turn_lists)
def test_a_word_inside_exactly_one_turn_gets_its_speaker(words: list[Word], turns: list[SpeakerTurn]) -> None:
    attributed = attribute_words(words, turns)
    for item in attributed:
        word = item.word
        touching = [t for t in turns if t.end_ms > t.start_ms and overlaps(t, word)]
        inside = [t for t in touching if t.start_ms <= word.start_ms and word.end_ms <= t.end_ms]
        if len(touching) == 1 and inside:
            assert item.speaker == inside[0].speaker


@given(word_lists, turn_lists, st.integers(-60_000, 10**9))
def test_shifting_both_passes_changes_no_speaker(
    words: list[Word], turns: list[SpeakerTurn], offset: int
) -> None:
    def shift(x):
        return attrs.evolve(x, start_ms=x.start_ms + offset, end_ms=x.end_ms + offset)

    before = [a.speaker for a in attribute_words(words, turns)]
    after = [a.speaker for a in attribute_words([shift(x) for x in words], [shift(t) for t in turns])]
    assert before == after
    seg_before = merge_passes(as_text_pass(words, []), SpeakerPassResult(tuple(turns)))
    seg_after = merge_passes(
        as_text_pass([shift(x) for x in words], []), SpeakerPassResult(tuple(map(shift, turns)))
    )
    assert [(s.speaker, len(s.words)) for s in seg_before] == [(s.speaker, len(s.words)) for s in seg_after]


@given(word_lists.filter(bool), sentence_sizes)
def test_any_empty_speaker_pass_gives_one_speaker_holding_every_word(words: list[Word], sizes) -> None:
    for empty in (SpeakerPassResult(()), SpeakerPassResult((SpeakerTurn(5, 5, "A"),))):
        segments = merge_passes(as_text_pass(words, sizes), empty)
        assert len(segments) == 1 and segments[0].speaker == "1"
        assert sorted(segments[0].words, key=id) == sorted(words, key=id)


@given(unique_start_words, turn_lists, sentence_sizes, st.randoms(use_true_random=False))
def test_permuting_the_input_changes_nothing(words: list[Word], turns: list[SpeakerTurn], sizes, rnd) -> None:
    expected = merge_passes(as_text_pass(words, sizes), SpeakerPassResult(tuple(turns)))
    words, turns = list(words), list(turns)
    rnd.shuffle(words)
    rnd.shuffle(turns)
    assert merge_passes(as_text_pass(words, sizes), SpeakerPassResult(tuple(turns))) == expected


@given(word_lists, turn_lists, sentence_sizes)
def test_the_steps_agree_with_the_entry_point(words: list[Word], turns: list[SpeakerTurn], sizes) -> None:
    tp, sp = as_text_pass(words, sizes), SpeakerPassResult(tuple(turns))
    segments, quality = merge_and_assess(tp, sp)
    assert (segments, quality) == merge_and_assess(tp, sp)  # deterministic
    attributed = attribute_words(words_of(tp), turns)
    if any(t.end_ms > t.start_ms for t in turns):
        assert quality == assess(attributed, turns)
        # Segments are the runs of known speakers, unknown words joining the run before them.
        labels: dict[str, str] = {}
        runs: list[str | None] = []
        for a in attributed:
            if a.speaker is None:
                if not runs:
                    runs.append(None)
                continue
            label = labels.setdefault(a.speaker, str(len(labels) + 1))
            if not runs or runs[-1] != label:
                runs.append(label)
        assert [s.speaker for s in segments] == runs
    assert quality.coverage is not None and 0.0 <= quality.coverage <= 1.0
    assert 0.0 <= quality.unknown_share <= 1.0
    assert quality.word_count == len(words)


@given(turn_lists)
def test_exclusive_turn_pieces_partition_the_turn_time(turns: list[SpeakerTurn]) -> None:
    from domain.merge import _exclusive, _sorted_turns  # the carving step, checked on its own

    starts, ends, speakers = _exclusive(_sorted_turns(turns), merge_gap_ms=0)
    pieces = list(zip(starts, ends, speakers, strict=True))
    assert all(s < e for s, e, _ in pieces)
    assert all(a[1] <= b[0] for a, b in zip(pieces, pieces[1:], strict=False))  # sorted, disjoint
    valid = [t for t in turns if t.end_ms > t.start_ms]
    # Every boundary splits time into stretches owned by one piece exactly when some turn covers
    # them, and the owner is a speaker of a turn covering that stretch.
    cuts = sorted({x for t in valid for x in (t.start_ms, t.end_ms)} | {x for p in pieces for x in p[:2]})
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        covering = {t.speaker for t in valid if t.start_ms <= lo and hi <= t.end_ms}
        owners = [spk for s, e, spk in pieces if s <= lo and hi <= e]
        assert len(owners) == (1 if covering else 0)
        if owners:
            assert owners[0] in covering


# --- boundaries of attribution and coverage ------------------------------------------------------


def test_a_long_word_counts_its_first_max_word_ms_not_just_its_start() -> None:
    # Capped at 800 ms, [900, 1700) overlaps A for 100 ms and B for 700 ms.
    assert speakers_of([w(900, 2500)], [(0, 1000, "A"), (1000, 5000, "B")]) == ["B"]


def test_a_word_ending_before_it_starts_is_a_point_at_its_start() -> None:
    assert speakers_of([w(1000, 500)], [(0, 2000, "A")]) == ["A"]


def test_a_point_word_where_a_turn_starts_belongs_to_that_turn_even_past_several_turns() -> None:
    # Turns are half-open: 2000 is past A and B and the first instant of C.
    assert speakers_of([w(2000, 2000)], [(0, 1000, "A"), (1000, 2000, "B"), (2000, 3000, "C")]) == ["C"]


def test_a_word_filling_a_gap_exactly_goes_to_the_earlier_turn() -> None:
    # Both edges are 0 ms away: the tie goes to the turn before the gap.
    assert speakers_of([w(1000, 1500)], [(0, 1000, "A"), (1500, 3000, "B")]) == ["A"]


def test_an_overlap_tie_with_the_midpoint_in_a_gap_goes_to_the_earliest_speaker() -> None:
    # [0, 100): B holds 10 + 10 ms, A 20 ms; the midpoint 50 is A's end, outside A (half-open).
    turns = [(0, 10, "B"), (30, 50, "A"), (60, 70, "B")]
    assert speakers_of([w(0, 100)], turns, MergeParams(merge_gap_ms=0)) == ["B"]


def quality_of(words: list[Word], turns: list[tuple[int, int, str]]) -> MergeQuality:
    return merge_and_assess(text_pass(*words), speaker_pass(*turns))[1]


def test_a_zero_length_word_counts_one_millisecond_of_word_time() -> None:
    # One 1 ms point inside a turn, 10 ms of word outside every turn and beyond tolerance.
    quality = quality_of([w(100, 100), w(5000, 5010)], [(0, 1000, "A")])
    assert quality.coverage == 1 / 11


def test_coverage_counts_a_word_in_the_third_of_three_separate_turns() -> None:
    turns = [(0, 10, "A"), (20, 30, "B"), (40, 50, "A")]
    assert quality_of([w(42, 48)], turns).coverage == 1.0
    assert quality_of([w(22, 28)], turns).coverage == 1.0


def test_coverage_of_a_word_spanning_two_turns_adds_both_parts() -> None:
    # [5, 25): 5 ms in the first turn, 10 ms in the second, 5 ms in the gap.
    assert quality_of([w(5, 25)], [(0, 10, "A"), (15, 30, "B")]).coverage == 15 / 20


def test_an_empty_turn_does_not_hide_the_turns_after_it_from_coverage() -> None:
    assert quality_of([w(300, 400)], [(0, 0, "A"), (200, 1000, "B")]).coverage == 1.0


def test_with_turns_but_no_words_nothing_is_covered() -> None:
    quality = merge_and_assess(TextPassResult(()), speaker_pass((0, 1000, "A")))[1]
    assert quality.coverage == 0.0 and quality.word_count == 0
