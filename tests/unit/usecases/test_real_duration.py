"""The decoded duration decides: a file may last exactly the longest allowed, not a millisecond
more; when the minutes it really costs are not on the balance, the user is told how long it
really is (minutes and seconds) and gets the reservation back."""

from __future__ import annotations

import pytest

from domain.audio import MediaKind
from domain.job import JobStatus
from presentation.catalogue import say
from presentation.keys import M
from tests.audio_factory import make_audio
from tests.world import USER, evolve_policy

pytestmark = pytest.mark.slow

# 4.51 s of speech and 116.55 s of silence decode to 121.05 s: three minutes, and 2 min 1 s.
DECODED_MS = 121_050


@pytest.fixture
def two_minutes_one(tmp_path):
    return make_audio(tmp_path, ["hello_en", ("silence", 116.55)], fmt="mp3")


def seconds_of(ms: int) -> float:
    seconds = ms / 1000
    assert seconds * 1000 == ms  # the limit is compared in milliseconds: exactly this one
    return seconds


@pytest.mark.parametrize(("limit_ms", "completes"), [(DECODED_MS, True), (DECODED_MS - 1, False)])
def test_a_file_may_last_exactly_the_longest_allowed(world, two_minutes_one, limit_ms, completes):
    world.user(balance=10)
    evolve_policy(world, max_duration_s=seconds_of(limit_ms))
    update_id, _ = world.media(two_minutes_one, kind=MediaKind.DOCUMENT)
    world.drain()
    job = world.job_of(update_id)
    if completes:
        assert job.status is JobStatus.COMPLETED and job.real_duration_ms == DECODED_MS
        assert job.charged_minutes == 3 and world.balance() == 7
    else:
        assert job.status is JobStatus.FAILED and world.balance() == 10
        assert world.chat.messages[(USER, job.status_message_id)] == say("ru", M.too_long, max_minutes=2)


def test_a_file_costing_more_than_the_balance_is_refused_naming_its_real_length(world, two_minutes_one):
    world.user(balance=1)  # the document's reservation; the extra two minutes are not there
    update_id, _ = world.media(two_minutes_one, kind=MediaKind.DOCUMENT)
    world.drain()
    job = world.job_of(update_id)
    assert job.status is JobStatus.FAILED and job.real_duration_ms == DECODED_MS
    assert world.balance() == 1
    assert world.chat.messages[(USER, job.status_message_id)] == say("ru", M.no_minutes_real, minutes=2, seconds=1)


@pytest.mark.parametrize(("silence_s", "decoded_ms", "minutes"), [(115.5, 120_000, 2), (115.55, 120_050, 3)])
def test_every_started_minute_of_the_decoded_audio_is_charged(world, tmp_path, silence_s, decoded_ms, minutes):
    world.user(balance=10)
    audio = make_audio(tmp_path, ["hello_en", ("silence", silence_s)], fmt="mp3")
    update_id, _ = world.media(audio, kind=MediaKind.DOCUMENT)
    world.drain()
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED and job.real_duration_ms == decoded_ms
    assert (job.extra_minutes, job.charged_minutes, world.balance()) == (minutes - 1, minutes, 10 - minutes)
