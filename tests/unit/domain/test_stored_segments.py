"""The one codec of a finished job's speaker segments: what is written reads back the same, and
rows of other shapes read leniently or are refused as a whole."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.stored_segments import (
    StoredSegment,
    StoredWord,
    UnreadableSegments,
    decode_segments,
    encode_segments,
)
from domain.transcript import Segment, Word

_times = st.integers(min_value=0, max_value=10 * 3600 * 1000)
_words = st.builds(
    lambda start, length, text, punctuation: Word(start, start + length, text, punctuation),
    _times, st.integers(min_value=0, max_value=5_000),
    st.text(alphabet="абвгдеёжзabcxyz0123'-", min_size=1, max_size=12),
    st.sampled_from(["", ",", ".", "?", "…", "!»"]),
)
_segments = st.builds(
    lambda speaker, words: Segment(speaker, words[0].start_ms if words else 0,
                                   words[-1].end_ms if words else 0, tuple(words)),
    st.one_of(st.none(), st.integers(min_value=1, max_value=12).map(str)),
    st.lists(_words, max_size=6),
)


@given(st.lists(_segments, min_size=1, max_size=8))
def test_what_a_job_writes_reads_back_with_every_speaker_time_and_word_as_shown(segments):
    decoded = decode_segments(encode_segments(segments))
    assert decoded == tuple(
        StoredSegment(s.speaker, s.start_ms, s.end_ms, s.text,
                      tuple(StoredWord(w.start_ms, w.end_ms, w.display) for w in s.words))
        for s in segments
    )


def test_no_segments_are_stored_as_nothing_and_nothing_reads_as_no_segments():
    assert encode_segments([]) is None
    assert decode_segments(None) == ()
    assert decode_segments("") == ()
    assert decode_segments("[]") == ()


def test_text_is_stored_as_written_not_escaped():
    # The column has a size limit; "\u041f" instead of "П" would take six bytes instead of two.
    stored = encode_segments([Segment("1", 0, 500, (Word(0, 500, "Привет", "."),))])
    assert stored is not None and "Привет." in stored and "\\u" not in stored


def test_rows_of_earlier_versions_read_with_defaults():
    stored = json.dumps([
        {"speaker": 1, "text": "Раз."},  # a numeric speaker, no times, no words
        {"speaker": None, "start_ms": 1_000.0, "end_ms": 2_000, "words": [{"start_ms": 1_000, "text": "два"}]},
    ])
    assert decode_segments(stored) == (
        StoredSegment("1", 0, 0, "Раз."),
        StoredSegment(None, 1_000, 2_000, "", (StoredWord(1_000, 0, "два"),)),
    )


@pytest.mark.parametrize("bad_time", ["12", 1.5, True, None, [1]])
def test_an_entry_or_a_word_whose_time_is_not_whole_milliseconds_is_skipped(bad_time):
    good_word = {"start_ms": 0, "end_ms": 100, "text": "да"}
    stored = json.dumps([
        {"speaker": "1", "start_ms": bad_time, "end_ms": 100, "text": "skipped"},
        {"speaker": "2", "start_ms": 0, "end_ms": 100, "text": "да",
         "words": [good_word, {"start_ms": 0, "end_ms": bad_time, "text": "skipped"}]},
    ])
    assert decode_segments(stored) == (StoredSegment("2", 0, 100, "да", (StoredWord(0, 100, "да"),)),)


def test_a_word_stored_without_text_reads_as_empty_text():
    # The exports skip such a word; it must not turn into a visible "None".
    stored = json.dumps([{"speaker": "1", "text": "да", "words": [{"start_ms": 0, "end_ms": 100}]}])
    assert decode_segments(stored)[0].words == (StoredWord(0, 100, ""),)


def test_entries_and_words_that_are_not_objects_are_skipped():
    stored = json.dumps(["text", 3, None, {"speaker": "1", "text": "да", "words": ["x", {"text": "да"}]}])
    assert decode_segments(stored) == (StoredSegment("1", 0, 0, "да", (StoredWord(0, 0, "да"),)),)


@pytest.mark.parametrize(("stored", "reason"), [
    ("{not json", "segments are not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    ('{"speaker": "1"}', "segments are a JSON dict, not a list"),
    ('"text"', "segments are a JSON str, not a list"),
    ("3", "segments are a JSON int, not a list"),
])
def test_text_that_is_not_a_json_list_is_refused_as_a_whole_saying_why(stored, reason):
    # The exports log the reason when a job's column cannot be read: it must say what was found.
    with pytest.raises(UnreadableSegments) as refused:
        decode_segments(stored)
    assert str(refused.value) == reason
