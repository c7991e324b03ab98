"""Timed cues and their .txt/.srt/.vtt renderings (pure functions)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.exports import (
    TRANSCRIPT,
    Cue,
    cues_from_text,
    render_srt,
    render_txt,
    render_vtt,
    split_sentences,
    wrap_lines,
)
from tests.segment_rows import check_limits, cues_of, seg

# -- rendering -----------------------------------------------------------------------------------------


def test_render_txt_srt_vtt_exact():
    cues = [Cue(1_000, 2_500, "Hello there.", "Speaker 1"), Cue(3_723_004, 3_725_000, "A < B & C")]
    assert render_txt(cues) == "[00:00:01] Speaker 1: Hello there.\n[01:02:03] A < B & C\n"
    assert render_srt(cues) == ("1\n00:00:01,000 --> 00:00:02,500\nSpeaker 1: Hello there.\n\n"
                                "2\n01:02:03,004 --> 01:02:05,000\nA < B & C\n")
    assert render_vtt(cues) == ("WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nSpeaker 1: Hello there.\n\n"
                                "01:02:03.004 --> 01:02:05.000\nA &lt; B &amp; C\n")


def test_srt_wraps_a_long_cue_into_lines_of_about_42():
    text = "слово " * 12
    block = render_srt([Cue(0, 5000, text.strip())])
    lines = block.splitlines()[2:]
    assert len(lines) == 2 and all(len(line) <= 42 for line in lines)


def test_empty_input_gives_empty_files():
    assert render_txt([]) == "" and render_srt([]) == "" and render_vtt([]) == "WEBVTT\n"
    assert cues_from_text("", 10_000) == [] and cues_of([]) == []


# -- plain text: estimated times ---------------------------------------------------------------------------


def test_sentences_split_on_end_marks_and_line_breaks_keeping_quotes():
    assert split_sentences("Он сказал: «Да!» Потом ушёл… Зачем?\n\nНовый абзац") == [
        "Он сказал: «Да!»", "Потом ушёл…", "Зачем?", "Новый абзац"]


def test_duration_is_spread_in_proportion_to_characters():
    cues = cues_from_text("Один. Три три три.", 8_500)  # 5 and 12 characters, 500 ms each
    assert [(c.start_ms, c.end_ms) for c in cues] == [(0, 2500), (2500, 8_500)]


def test_without_a_duration_a_reading_pace_is_assumed():
    cues = cues_from_text("Пятнадцать букв", 0)
    assert cues == [Cue(0, 1000, "Пятнадцать букв")]


def test_a_long_sentence_becomes_several_cues_that_fit_two_lines():
    sentence = " ".join(["слово"] * 60) + "."
    cues = cues_from_text(sentence, 60_000)
    assert len(cues) > 1
    assert all(len(wrap_lines(c.text, 42)) <= 2 for c in cues)
    assert " ".join(c.text for c in cues) == sentence


def test_slow_speech_gives_shorter_cues_so_none_lasts_over_seven_seconds():
    cues = cues_from_text(" ".join(["слово"] * 40) + ".", 200_000)  # 5 characters per second
    assert len(cues) > 5 and all(c.end_ms - c.start_ms <= 7_000 for c in cues)


# -- segments with word times -------------------------------------------------------------------------------


def test_segment_cues_take_exact_word_times_and_labels():
    cues = cues_of([seg("1", [(100, 500, "Good"), (500, 900, "morning.")]),
                               seg("2", [(3600, 3900, "Yes.")])], label_word="Speaker")
    assert cues == [Cue(100, 900, "Good morning.", "Speaker 1"), Cue(3600, 3900, "Yes.", "Speaker 2")]


def test_unknown_speaker_gets_no_label_and_no_label_word_gives_none():
    assert cues_of([seg(None, [(0, 100, "a")])], label_word="Speaker")[0].label is None
    assert cues_of([seg("1", [(0, 100, "a")])])[0].label is None


def test_a_long_segment_is_cut_at_seven_seconds_preferring_a_sentence_end():
    words = [(i * 500, i * 500 + 400, f"w{i}" + ("." if i == 9 else "")) for i in range(30)]
    cues = cues_of([seg("1", words)])
    assert cues[0].text.endswith("w9.")  # cut after the sentence end rather than at the limit
    assert all(c.end_ms - c.start_ms <= 7_000 for c in cues)
    assert " ".join(c.text for c in cues) == " ".join(w[2] for w in words)


def test_segments_are_ordered_and_cues_never_overlap():
    cues = cues_of([seg("2", [(5_000, 9_000, "later")]), seg("1", [(0, 6_000, "first")])])
    assert [c.text for c in cues] == ["first", "later"]
    assert cues[0].end_ms <= cues[1].start_ms


def test_a_segment_without_words_spreads_its_text_over_its_span():
    cues = cues_of([{"speaker": "1", "start_ms": 10_000, "end_ms": 14_000, "text": "Раз. Два.",
                                "words": []}], label_word="Speaker")
    assert cues == [Cue(10_000, 12_000, "Раз.", "Speaker 1"), Cue(12_000, 14_000, "Два.", "Speaker 1")]


def test_transcript_limits_keep_whole_sentences_on_one_line():
    words = [(i * 300, i * 300 + 250, f"w{i}" + ("." if i % 10 == 9 else "")) for i in range(40)]
    cues = cues_of([seg("1", words)], limits=TRANSCRIPT)
    assert len(cues) == 1 and render_txt(cues).count("\n") == 1


# -- properties -------------------------------------------------------------------------------------------------

word_text = st.text(alphabet="абвгдеёжзabc.,!?", min_size=1, max_size=12).filter(lambda t: t.strip() == t)


@given(st.lists(st.tuples(st.integers(0, 3000), st.integers(1, 1500), word_text), min_size=1, max_size=80))
def test_segment_cues_keep_every_word_in_order_within_the_limits(raw):
    t, words = 0, []
    for gap, length, text in raw:
        t += gap
        words.append((t, t + length, text))
        t += length
    check_limits(cues_of([seg("1", words)], label_word="Speaker"), words)


@given(st.lists(word_text, min_size=1, max_size=120), st.integers(0, 4 * 3600 * 1000))
def test_text_cues_cover_the_duration_in_order(words, duration_ms):
    text = " ".join(words)
    cues = cues_from_text(text, duration_ms)
    assert " ".join(c.text for c in cues) == " ".join(text.split())
    assert all(a.end_ms <= b.start_ms for a, b in zip(cues, cues[1:], strict=False))
    assert all(c.end_ms > c.start_ms for c in cues)
    assert cues[0].start_ms == 0
    if duration_ms >= len(text):  # at least a millisecond per character: the cues end with the audio
        assert abs(cues[-1].end_ms - duration_ms) <= 1
