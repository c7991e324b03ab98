"""A provider outage is reported as an outage.

Before: when the recognizer stayed down through every attempt the user read "processing took too
long, send a shorter file". Now the job remembers the transient cause of its last attempt and,
when the attempts run out, says the service is temporarily unavailable and the minutes are back.
"""

from __future__ import annotations

import pytest

from domain.job import JobStatus
from presentation.catalogue import say
from presentation.keys import M
from tests.audio_factory import make_audio
from tests.ledger import assert_ledger

pytestmark = pytest.mark.slow


def test_a_recognizer_outage_through_every_attempt_is_reported_as_an_outage(world, tmp_path):
    world.user(balance=10)
    world.recognizer.fail_next(10_000)  # down for the whole test
    audio = make_audio(tmp_path, ["hello_en", ("silence", 70.0)], fmt="ogg")
    update_id, route = world.media(audio)
    assert route == "media:queued"
    world.drain()
    job = world.job_of(update_id)
    assert job.status is JobStatus.FAILED and job.error == "too_many_attempts"
    texts = world.texts()
    assert say("ru", M.err_outage) in texts
    assert all(say("ru", M.err_timeout) != t for t in texts)
    assert world.balance() == 10
    assert_ledger(world)


def test_a_transcode_that_runs_out_of_time_still_suggests_a_shorter_file(world, tmp_path, monkeypatch):
    from ports.errors import TransientFailure

    def too_slow(*args, **kwargs):
        raise TransientFailure("ffmpeg", "did not finish within 60 s", code="timeout")

    monkeypatch.setattr(world.audio, "transcode", too_slow)
    world.user(balance=10)
    audio = make_audio(tmp_path, ["hello_en", ("silence", 70.0)], fmt="ogg")
    update_id, _ = world.media(audio)
    world.drain()
    job = world.job_of(update_id)
    assert job.status is JobStatus.FAILED
    assert say("ru", M.err_timeout) in world.texts() and world.balance() == 10
    assert_ledger(world)
