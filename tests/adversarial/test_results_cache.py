"""The results cache is not a free transcript for everyone.

Before: the cache was shared by all users and read before the balance, so a user with 0 minutes who
forwarded an already transcribed file got the transcript for free; its key ignored the recognition
language, so after ``/language de`` the same file came back in the old language forever; and a
cached text never expired. Now a cached answer is free only to whoever paid for it, anyone else buys
it at its exact price (ceil of its duration, through the job ledger: ``reserve:{job}``), the key is
file + mode + recognition language, and a text older than ``Policy.results_ttl_s`` is recognised again.

Every attack goes through the webhook with the JSON Telegram sends (a forwarded voice note keeps
its ``file_unique_id``), and ends with the ledger invariant.
"""

from __future__ import annotations

import pytest

from domain.billing import minutes_for
from domain.job import JobStatus
from presentation.catalogue import say
from presentation.keys import M
from tests.adversarial import telegram
from tests.audio_factory import make_audio
from tests.ledger import assert_ledger
from tests.world import USER
from usecases.accept_media import job_id_for

pytestmark = pytest.mark.slow

PAYER, OTHER = USER, 4242
FILE = "AgADmAYAAmG7-uniq"  # one file_unique_id, whoever sends or forwards it


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """About 100 s of audio: queued (over the inline threshold), two minutes at ceil."""
    return make_audio(tmp_path_factory.mktemp("cache"), ["hello_en", ("silence", 98.0)])


def send(world, update_id: int, user_id: int, source, *, forwarded_from: int | None = None) -> str:
    seconds = round(world.audio.probe(source).duration_ms / 1000)
    answer = telegram.post(world, telegram.voice(world, update_id, user_id, source, unique=FILE, duration=seconds,
                                                 forwarded_from=forwarded_from))
    assert answer.status == 200, answer
    return answer.body["result"]


def paid_original(world, recording) -> int:
    """The payer transcribes the file the ordinary way; returns what it cost them."""
    world.user(PAYER, balance=10)
    assert send(world, 1, PAYER, recording) == "media:queued"
    world.drain()
    job = world.jobs.get(job_id_for(1))
    assert job.status is JobStatus.COMPLETED
    return job.charged_minutes


def test_a_forwarded_cached_file_is_not_free_for_a_user_with_no_minutes(world, recording):
    price = paid_original(world, recording)
    assert price == 2
    clips = len(world.recognizer.clips)
    world.user(OTHER, balance=0)
    route = send(world, 2, OTHER, recording, forwarded_from=PAYER)
    assert route == "media:no_minutes"
    assert world.texts(OTHER) == [say("ru", M.no_minutes, cost=price, balance=0)]
    assert world.balance(OTHER) == 0 and len(world.recognizer.clips) == clips
    assert_ledger(world)


def test_anyone_else_buys_the_cached_answer_at_its_exact_price_and_gets_it_at_once(world, recording):
    price = paid_original(world, recording)
    original = world.jobs.get(job_id_for(1))
    clips = len(world.recognizer.clips)
    world.user(OTHER, balance=7)
    assert send(world, 2, OTHER, recording, forwarded_from=PAYER) == "media:cached_sale:completed"
    sold = world.jobs.get(job_id_for(2))
    assert sold.status is JobStatus.COMPLETED and sold.user_id == OTHER
    assert sold.charged_minutes == minutes_for(original.real_duration_ms / 1000) == price
    assert world.balance(OTHER) == 7 - price
    assert original.result_text in world.texts(OTHER)[-1]
    assert len(world.recognizer.clips) == clips and world.queue.pending() == []  # instant: nothing recognised
    # Each of them paid once: sending the file again is free for both now.
    assert send(world, 3, OTHER, recording) == "media:cached"
    assert send(world, 4, PAYER, recording) == "media:cached"
    assert world.balance(OTHER) == 7 - price and world.balance(PAYER) == 10 - price
    assert_ledger(world)


def test_the_same_cached_sale_delivered_twice_is_charged_once(world, recording):
    price = paid_original(world, recording)
    world.user(OTHER, balance=7)
    update = telegram.voice(world, 2, OTHER, recording, unique=FILE, duration=100, forwarded_from=PAYER)
    routes = [telegram.post(world, update).body["result"] for _ in range(3)]
    assert routes == ["media:cached_sale:completed", "media:duplicate", "media:duplicate"]
    assert world.balance(OTHER) == 7 - price
    assert_ledger(world)


def test_after_a_language_change_the_file_is_recognised_again_not_served_in_the_old_language(world, recording):
    paid_original(world, recording)
    clips = len(world.recognizer.clips)
    assert telegram.post(world, telegram.text(10, PAYER, "/language de")).status == 200
    assert send(world, 11, PAYER, recording) == "media:queued"
    world.drain()
    job = world.jobs.get(job_id_for(11))
    assert job.status is JobStatus.COMPLETED and job.language == "de"
    assert len(world.recognizer.clips) > clips
    # Back to automatic detection: the first (auto) transcript is still the payer's, free.
    assert telegram.post(world, telegram.text(12, PAYER, "/language auto")).status == 200
    assert send(world, 13, PAYER, recording) == "media:cached"
    assert_ledger(world)


def test_cached_texts_expire(world, recording):
    price = paid_original(world, recording)
    world.clock.advance(world.policy.results_ttl_s + 1)
    clips = len(world.recognizer.clips)
    assert send(world, 5, PAYER, recording) == "media:queued"  # stale: recognised (and paid) again
    world.drain()
    assert len(world.recognizer.clips) > clips
    assert world.balance(PAYER) == 10 - 2 * price
    assert_ledger(world)
