"""Stored values as enums (old rows hold the bare strings) and spreading untimed words over their span."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.audio import MediaKind
from domain.job import Job
from domain.transcript import TranscriptionMode, Word, spread_words
from domain.users import TrialStatus
from ports.repositories import CachedResult, TranscriptionLog, TrialRequest


@pytest.mark.parametrize(("text", "start", "end", "expected"), [
    ("Ну, вот и всё!", 0, 1000,
     (Word(0, 250, "Ну", ","), Word(250, 500, "вот"), Word(500, 750, "и"), Word(750, 1000, "всё", "!"))),
    ("раз два три", 100, 200, (Word(100, 133, "раз"), Word(133, 166, "два"), Word(166, 200, "три"))),
    ("точка — тире", 0, 300, (Word(0, 100, "точка"), Word(100, 200, "—"), Word(200, 300, "тире"))),
    ("одно", 500, 500, (Word(500, 500, "одно"),)),
    ("назад", 900, 100, (Word(900, 900, "назад"),)),  # an inverted span counts as none
    ("   ", 0, 1000, ()),
])
def test_spread_words(text: str, start: int, end: int, expected: tuple[Word, ...]) -> None:
    assert spread_words(text, start, end) == expected


@given(st.lists(st.text(alphabet="абв,.!", min_size=1, max_size=6), max_size=30),
       st.integers(0, 10**7), st.integers(0, 10**6))
def test_spread_words_tile_the_span_in_order_and_keep_the_text(tokens: list[str], start: int, length: int) -> None:
    words = spread_words(" ".join(tokens), start, start + length)
    assert [w.display for w in words] == " ".join(tokens).split()
    if words:
        assert words[0].start_ms == start and words[-1].end_ms == start + length
    assert all(a.end_ms == b.start_ms for a, b in zip(words, words[1:], strict=False))
    assert all(w.start_ms <= w.end_ms for w in words)


def test_stored_modes_load_as_the_enum() -> None:
    """Rows written before the enum hold the bare strings; they still load, and compare equal."""
    job = Job("j", 1, 1, 1, "f", "u", kind=MediaKind.VOICE, declared_duration_s=1.0, file_size=None, reserved_minutes=1, status_message_id=None, created_at=0.0,
              result_mode="dialogue")
    assert job.result_mode is TranscriptionMode.DIALOGUE and job.result_mode == "dialogue"
    assert attrs.evolve(job, result_mode="plain").result_mode is TranscriptionMode.PLAIN
    assert attrs.evolve(job, result_mode=None).result_mode is None
    assert TranscriptionMode.of(True) is TranscriptionMode.DIALOGUE and TranscriptionMode.of(False) == "plain"
    with pytest.raises(ValueError):
        attrs.evolve(job, result_mode="stereo")


def test_stored_trial_states_and_cached_modes_load_as_enums() -> None:
    request = TrialRequest(1, "Anna", 0.0, status="approved")
    assert request.status is TrialStatus.APPROVED and TrialRequest(1, "Anna", 0.0).status is TrialStatus.PENDING
    cached = CachedResult("u", "plain", "text", 1000)
    assert cached.mode is TranscriptionMode.PLAIN
    with pytest.raises(ValueError):
        TrialRequest(1, "Anna", 0.0, status="maybe")
    # A log row read without its mode cell (the store's default is "") still counts, as plain.
    logged = [TranscriptionLog("l", 1, "j", 1.0, 1, 5, mode, 0.0) for mode in ("dialogue", "plain", "")]
    assert [log.mode for log in logged] == [TranscriptionMode.DIALOGUE, TranscriptionMode.PLAIN, TranscriptionMode.PLAIN]


def test_joined_words_keep_the_space_or_line_break_their_punctuation_brings_without_adding_one() -> None:
    from domain.transcript import join_words

    words = (Word(0, 100, "Итак", ", "), Word(100, 200, "первое", ":\n"), Word(200, 300, "всё", "."))
    assert join_words(words) == "Итак, первое:\nвсё."
