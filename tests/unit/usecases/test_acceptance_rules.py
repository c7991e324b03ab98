"""What the webhook does before any transcription: limits, balance, duplicates, cache."""

from __future__ import annotations

import pytest

from domain.audio import MediaKind
from presentation.catalogue import say
from presentation.keys import M
from tests.audio_factory import fixture
from tests.messages import is_message

pytestmark = pytest.mark.slow


def test_without_minutes_the_file_is_refused_with_the_price_and_nothing_changes(world):
    world.user(balance=0)
    update_id, route = world.media(fixture("hello_en"))
    assert route == "media:no_minutes"
    assert world.job_of(update_id) is None and world.balance() == 0
    assert is_message(world.texts()[-1], M.no_minutes)


def test_file_over_20_mb_is_refused_before_download(world):
    world.user(balance=100)
    update_id, route = world.media(fixture("hello_en"), file_size=25 * 1024 * 1024)
    assert route == "media:too_big"
    assert world.job_of(update_id) is None and world.balance() == 100
    assert world.texts()[-1] == say("ru", M.too_big)


def test_duration_over_the_maximum_is_refused(world):
    world.user(balance=1000)
    _, route = world.media(fixture("hello_en"), duration_s=5 * 3600)
    assert route == "media:too_long" and world.balance() == 1000


def test_the_same_update_three_times_gives_one_job_one_charge_one_reply(world):
    world.user(balance=10)
    routes = [world.media(fixture("hello_en"), update_id=500)[1] for _ in range(3)]
    assert routes == ["media:inline:completed", "media:duplicate", "media:duplicate"]
    assert world.balance() == 9
    assert len(world.recognizer.clips) == 1
    assert len(world.texts()) == 1


def test_a_repeated_file_is_answered_from_the_cache_without_a_charge(world):
    world.user(balance=10)
    world.media(fixture("hello_en"), unique="same-file")
    assert world.balance() == 9
    _, route = world.media(fixture("hello_en"), unique="same-file")
    assert route == "media:cached"
    assert world.balance() == 9 and len(world.recognizer.clips) == 1


def test_broken_media_fails_with_a_refund_and_a_clear_message(world, tmp_path):
    world.user(balance=5)
    broken = tmp_path / "broken.ogg"
    broken.write_bytes(b"OggS" + bytes(300))
    update_id, _ = world.media(broken, duration_s=10)
    job = world.job_of(update_id)
    assert job.status.value == "failed"
    assert world.balance() == 5
    assert world.texts()[-1] == say("ru", M.err_bad_media)


def test_provider_outage_beyond_retries_defers_to_the_worker_then_completes(world):
    world.user(balance=5)
    world.recognizer.fail_next(world.policy.retry_attempts)
    update_id, route = world.media(fixture("hello_en"))
    assert route == "media:queued"
    world.drain()
    assert world.job_of(update_id).status.value == "completed"
    assert world.balance() == 4


def test_document_with_audio_mime_is_accepted(world):
    world.user(balance=5)
    _, route = world.media(fixture("hello_en"), kind=MediaKind.DOCUMENT)
    assert route == "media:queued"
