"""How timed words are grouped into subtitle cues at the exact limits, and how cues are made not to overlap."""

from __future__ import annotations

from domain.exports import SUBTITLES, Cue, cues_from_text, render_srt, wrap_lines
from tests.segment_rows import check_limits, cues_of, seg


def texts(cues):
    return [c.text for c in cues]


# -- wrapping ----------------------------------------------------------------------------------------------


def test_a_long_word_or_hyphenated_word_is_never_broken_across_lines():
    url = "https://example.com/" + "x" * 40
    assert wrap_lines(f"see {url}", 42) == ["see", url]
    assert wrap_lines("well-known thing", 8) == ["well-known", "thing"]


def test_an_empty_cue_renders_as_an_empty_line():
    assert wrap_lines("", 42) == [""]
    assert render_srt([Cue(0, 1000, "")]) == "1\n00:00:00,000 --> 00:00:01,000\n\n"


# -- the time limit, exactly at 7 s ---------------------------------------------------------------------------


def test_a_cue_of_exactly_seven_seconds_stays_whole():
    words = [(0, 100, "a"), (6_900, 7_000, "b")]
    assert cues_of([seg("1", words)]) == [Cue(0, 7_000, "a b")]


def test_a_cue_ends_with_its_last_word_not_its_second():
    words = [(0, 100, "one"), (200, 300, "two"), (400, 900, "three")]
    assert cues_of([seg("1", words)]) == [Cue(0, 900, "one two three")]


def test_words_carried_over_after_a_sentence_end_may_span_exactly_seven_seconds():
    words = [(0, 100, "a"), (100, 200, "b"), (200, 300, "c."), (300, 400, "d"), (6_900, 7_300, "e")]
    cues = cues_of([seg("1", words)])
    assert cues == [Cue(0, 300, "a b c."), Cue(300, 7_300, "d e")]


def test_carried_over_pair_over_seven_seconds_is_split():
    words = [(0, 100, "a."), (100, 200, "b"), (200, 300, "c"), (300, 400, "d."), (400, 500, "e"),
             (7_500, 7_600, "f")]
    cues = cues_of([seg("1", words)])
    check_limits(cues, words)
    assert texts(cues) == ["a. b c d.", "e", "f"]


def test_carried_over_three_words_over_seven_seconds_close_before_the_last():
    words = [(0, 100, "p."), (100, 200, "q"), (200, 300, "r"), (300, 400, "s."), (400, 500, "t"),
             (500, 600, "u"), (7_500, 7_600, "v")]
    cues = cues_of([seg("1", words)])
    check_limits(cues, words)
    assert texts(cues) == ["p. q r s.", "t u", "v"]


def test_a_single_word_longer_than_seven_seconds_is_a_cue_of_its_own():
    words = [(0, 100, "a"), (200, 9_000, "loooong"), (9_000, 9_100, "b")]
    cues = cues_of([seg("1", words)])
    assert cues == [Cue(0, 100, "a"), Cue(200, 9_000, "loooong"), Cue(9_000, 9_100, "b")]


# -- where a full cue is cut ---------------------------------------------------------------------------------


def test_the_cut_goes_after_the_last_sentence_end_even_one_word_before_the_limit():
    words = [(i * 100, i * 100 + 100, t) for i, t in enumerate(["a", "b", "c.", "d", "e.", "f"])]
    words.append((7_050, 7_100, "g"))
    cues = cues_of([seg("1", words)])
    assert texts(cues) == ["a b c. d e.", "f g"]


def test_a_sentence_end_in_the_first_third_is_not_used_for_the_cut():
    # Cutting after "c." would leave a short cue and a long one; the cue is filled to the limit instead.
    words = [(i * 100, i * 100 + 100, t) for i, t in enumerate(["a", "b", "c.", "d", "e", "f"])]
    words.append((7_050, 7_100, "g"))
    cues = cues_of([seg("1", words)])
    assert texts(cues) == ["a b c. d e f", "g"]


# -- the line limit, with and without a label ----------------------------------------------------------------


def two_full_lines():
    # 20 + 1 + 21 = 42 characters: exactly two full lines of 42.
    texts_ = ["A" * 20, "B" * 21, "C" * 20, "D" * 21]
    return [(i * 100, i * 100 + 100, t) for i, t in enumerate(texts_)]


def test_text_that_fills_exactly_two_lines_is_one_cue():
    words = two_full_lines()
    cues = cues_of([seg("1", words)])
    assert texts(cues) == [" ".join(w[2] for w in words)]


def test_the_speaker_label_counts_towards_the_line_width():
    words = two_full_lines()
    cues = cues_of([seg("1", words)], label_word="Speaker")
    check_limits(cues, words)
    assert len(cues) == 2 and all(c.label == "Speaker 1" for c in cues)


def test_carried_over_words_that_just_fit_two_lines_stay_one_cue():
    texts_ = ["a", "b", "c.", "E" * 20, "F" * 21, "G" * 42]
    words = [(i * 100, i * 100 + 100, t) for i, t in enumerate(texts_)]
    cues = cues_of([seg("1", words)])
    check_limits(cues, words)
    assert texts(cues) == ["a b c.", " ".join(texts_[3:])]


# -- order and overlaps ----------------------------------------------------------------------------------------


def test_segments_are_ordered_by_start_then_by_end():
    long_first = seg("1", [(0, 9_000, "long")])
    later_short = seg("2", [(1_000, 2_000, "short")])
    assert texts(cues_of([later_short, long_first])) == ["long", "short"]
    same_start_long = seg("1", [(1_000, 5_000, "longer")])
    same_start_short = seg("2", [(1_000, 2_000, "shorter")])
    assert texts(cues_of([same_start_long, same_start_short])) == ["shorter", "longer"]


def test_segments_without_their_own_times_are_placed_by_their_words():
    first = {"speaker": "1", "words": [{"start_ms": 0, "end_ms": 500, "text": "first"}]}
    second = seg("2", [(1_000, 1_500, "second")])
    assert cues_of([second, first]) == [Cue(0, 500, "first"), Cue(1_000, 1_500, "second")]


def test_each_overlapping_cue_ends_where_the_next_begins():
    segments = [seg("1", [(0, 1_000, "one")]), seg("2", [(500, 3_000, "two")]), seg("1", [(2_000, 4_000, "three")])]
    assert cues_of(segments) == [Cue(0, 500, "one"), Cue(500, 2_000, "two"), Cue(2_000, 4_000, "three")]


def test_cues_starting_together_keep_their_own_lengths():
    # Trimming to the next cue's start would leave a 1 ms flash; simultaneous speech keeps both.
    segments = [seg("1", [(1_000, 3_000, "both")]), seg("2", [(1_000, 3_500, "talk")])]
    cues = cues_of(segments)
    assert [(c.start_ms, c.end_ms) for c in cues] == [(1_000, 3_000), (1_000, 3_500)]


def test_a_word_without_duration_gets_a_one_millisecond_cue():
    assert cues_of([seg("1", [(500, 500, "uh")])]) == [Cue(500, 501, "uh")]


# -- defensive reading of word entries ------------------------------------------------------------------------


def test_word_entries_without_text_are_skipped_and_missing_times_read_as_zero():
    segment = {"speaker": "1", "start_ms": 0, "end_ms": 900, "text": "hi there",
               "words": [{"start_ms": 0, "end_ms": 100}, {"end_ms": 400, "text": "hi"},
                         {"start_ms": 500, "end_ms": 900, "text": "there"}]}
    assert cues_of([segment]) == [Cue(0, 900, "hi there")]


def test_a_word_without_an_end_time_gets_a_one_millisecond_cue():
    segment = {"speaker": "1", "start_ms": 100, "end_ms": 100, "text": "hi",
               "words": [{"start_ms": 100, "text": "hi"}]}
    assert cues_of([segment]) == [Cue(100, 101, "hi")]


def test_a_segment_without_words_after_timed_ones_keeps_every_earlier_cue():
    segments = [seg("1", [(0, 500, "Раз.")]), {"speaker": "2", "start_ms": 1_000, "end_ms": 2_000, "text": "Два.",
                                                 "words": []}]
    assert cues_of(segments) == [Cue(0, 500, "Раз."), Cue(1_000, 2_000, "Два.")]


def test_stored_words_are_shown_on_one_line_and_blank_ones_are_no_words():
    segment = {"speaker": "1", "start_ms": 0, "end_ms": 900, "text": "hi there",
               "words": [{"start_ms": 0, "end_ms": 400, "text": " hi\n"}, {"start_ms": 400, "end_ms": 500, "text": " \t"},
                         {"start_ms": 500, "end_ms": 900, "text": "there"}]}
    assert cues_of([segment]) == [Cue(0, 900, "hi there")]


def test_segments_after_one_without_words_still_become_cues():
    segments = [{"speaker": "1", "start_ms": 0, "end_ms": 2_000, "text": "Раз.", "words": []},
                seg("2", [(3_000, 3_500, "Два.")])]
    assert cues_of(segments) == [Cue(0, 2_000, "Раз."), Cue(3_000, 3_500, "Два.")]


# -- text spread over a span (no word times) --------------------------------------------------------------------


def full_two_lines_text():
    return " ".join(["A" * 20, "B" * 21, "C" * 20, "D" * 21])


def test_untimed_text_filling_exactly_two_lines_is_one_cue():
    assert [c.text for c in cues_from_text(full_two_lines_text(), 5_000)] == [full_two_lines_text()]


def test_the_label_counts_towards_the_line_width_of_untimed_text():
    segment = {"speaker": "1", "start_ms": 0, "end_ms": 5_000, "text": full_two_lines_text(), "words": []}
    cues = cues_of([segment], label_word="Speaker")
    assert len(cues) == 2
    assert all(len(wrap_lines(c.shown, SUBTITLES.line_chars)) <= SUBTITLES.max_lines for c in cues)


def test_a_piece_may_hold_exactly_the_characters_that_fit_seven_seconds():
    # 8 characters over 11.2 s: 1.4 s per character, so 5 characters fit 7 s ("aa bb") and no more.
    assert [c.text for c in cues_from_text("aa bb cc", 11_200)] == ["aa bb", "cc"]


def test_a_one_millisecond_span_is_not_stretched_to_a_reading_pace():
    assert cues_from_text("Hi.", 1) == [Cue(0, 1, "Hi.")]


def test_a_tiny_span_still_gives_consecutive_cues_of_one_millisecond():
    cues = cues_from_text("A. B. C.", 1)
    assert [(c.start_ms, c.end_ms) for c in cues] == [(0, 1), (1, 2), (2, 3)]


def test_an_untimed_segment_without_times_starts_at_zero_at_reading_pace_and_one_without_text_is_dropped():
    assert cues_of([{"speaker": "1", "text": "Hi.", "words": []}]) == [Cue(0, 200, "Hi.")]
    assert cues_of([{"speaker": "1", "start_ms": 0, "end_ms": 1_000, "words": []}]) == []
