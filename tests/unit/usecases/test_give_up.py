"""Giving up on a job nobody will finish (its deliveries ran out, or the sweeper found it stuck):
a live job is failed with a full refund; a finished or unknown one is left exactly as it is."""

from __future__ import annotations

from domain.audio import MediaKind
from domain.job import JobStatus
from tests.audio_factory import fixture
from tests.messages import returns_minutes
from usecases.transcribe_job import JobOutcome, Outcome


def test_giving_up_on_a_live_job_refunds_it_and_records_why(world):
    world.user(balance=5)
    update_id, _ = world.media(fixture("hello_en"), kind=MediaKind.DOCUMENT)
    job = world.job_of(update_id)
    assert world.balance() < 5  # reserved while queued
    outcome = world.transcribe_job.give_up(job.job_id)
    assert outcome.status is Outcome.FAILED
    failed = world.job_of(update_id)
    assert failed.status is JobStatus.FAILED and failed.error == "delivery_exhausted"
    assert world.balance() == 5 and returns_minutes(world.texts()[-1])


def test_giving_up_on_a_finished_job_changes_nothing(world):
    world.user(balance=5)
    update_id, _ = world.media(fixture("hello_en"), kind=MediaKind.DOCUMENT)
    world.drain()
    job = world.job_of(update_id)
    assert job.status is JobStatus.COMPLETED
    balance, told = world.balance(), len(world.texts())
    outcome = world.transcribe_job.give_up(job.job_id, "stuck")
    assert outcome == JobOutcome(job.job_id, Outcome.SKIPPED, JobStatus.COMPLETED.value)
    assert world.job_of(update_id).status is JobStatus.COMPLETED
    assert (world.balance(), len(world.texts())) == (balance, told)


def test_giving_up_on_an_unknown_job_answers_missing(world):
    world.user(balance=5)
    assert world.transcribe_job.give_up("no-such-job") == JobOutcome("no-such-job", Outcome.MISSING)
    assert world.balance() == 5 and world.texts() == []
