"""Export buttons hand out only completed, charged transcripts.

Before: an ``export:<job>:<fmt>`` button sent the job's text as a file whenever the row held one,
whatever the job's state — a job refunded after a failed delivery, or one still in flight, gave its
transcript away. Job ids are ``sha256("update:<update_id>")``, so a user can compute the id of their
own job and press a crafted button at any moment. Now the job must be COMPLETED (delivered and
charged); anything else answers "not available" and sends nothing.
"""

from __future__ import annotations

import pytest

from domain.job import JobStatus
from ports.errors import PermanentFailure
from presentation.catalogue import say
from presentation.keys import M
from tests.adversarial import telegram
from tests.audio_factory import fixture
from tests.ledger import assert_ledger
from tests.world import USER
from usecases.accept_media import job_id_for

pytestmark = pytest.mark.slow


class Killed(BaseException):
    """The function instance dies (nothing in the bot may catch this)."""


def documents(world) -> list:
    return world.chat.documents(USER)


def press_export(world, update_id: int, job_id: str) -> str:
    answer = telegram.post(world, telegram.callback(update_id, USER, f"export:{job_id}:txt"))
    assert answer.status == 200
    return answer.body["result"]


def test_a_refunded_job_does_not_hand_out_its_transcript(world, monkeypatch):
    world.user(balance=5)

    def refused(*args, **kwargs):
        raise PermanentFailure("telegram", "Bad Request: chat not found", code="400")

    monkeypatch.setattr("usecases.transcribe_job.deliver_text", refused)
    telegram.post(world, telegram.voice(world, 1, USER, fixture("hello_en"), unique="u-1", duration=3))
    job = world.jobs.get(job_id_for(1))
    assert job.status is JobStatus.FAILED and job.result_text and world.balance() == 5  # refunded
    assert press_export(world, 2, job.job_id) == "export:unavailable"
    assert documents(world) == []
    assert [e.text for e in world.chat.events if e.kind == "callback"][-1] == say("ru", M.export_unavailable)
    assert_ledger(world)


def test_a_job_still_in_flight_does_not_hand_out_its_transcript(world, monkeypatch):
    world.user(balance=5)

    def dies(*args, **kwargs):
        raise Killed

    monkeypatch.setattr("usecases.transcribe_job.deliver_text", dies)
    with pytest.raises(Killed):
        telegram.post(world, telegram.voice(world, 1, USER, fixture("hello_en"), unique="u-1", duration=3))
    job = world.jobs.get(job_id_for(1))
    assert job.status is JobStatus.PROCESSING and job.result_text and job.is_leased(world.clock.now())
    assert press_export(world, 2, job.job_id) == "export:unavailable"
    assert documents(world) == []
    assert_ledger(world)


def test_a_completed_job_exports_for_its_owner(world):
    world.user(balance=5)
    telegram.post(world, telegram.voice(world, 1, USER, fixture("hello_en"), unique="u-1", duration=3))
    job = world.jobs.get(job_id_for(1))
    assert job.status is JobStatus.COMPLETED
    assert press_export(world, 2, job.job_id) == "export:txt"
    assert len(documents(world)) == 1
    assert_ledger(world)
