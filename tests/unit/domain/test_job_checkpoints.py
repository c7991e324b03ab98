"""A job's checkpoints: a step that ran out of time releases its lease without spending an
attempt; chunk texts, formatted pieces and pass tasks saved one by one read back as saved."""

from __future__ import annotations

import attrs
import pytest

from domain.audio import MediaKind
from domain.job import Job, JobStatus


def make_job(**changes) -> Job:
    job = Job(job_id="j1", user_id=1, chat_id=1, message_id=10, file_id="f", file_unique_id="u",
              kind=MediaKind.AUDIO, declared_duration_s=400.0, file_size=1000, reserved_minutes=7,
              status_message_id=None, created_at=100.0)
    return attrs.evolve(job, **changes)


def test_a_step_that_ran_out_of_time_releases_the_lease_and_gives_the_attempt_back() -> None:
    running = make_job().claimed(now=200.0, lease_s=900.0).claimed(now=1200.0, lease_s=900.0)
    assert running.attempts == 2 and running.steps == 0
    step_ended = running.continued()
    assert step_ended.lease_until == 0.0 and not step_ended.is_leased(1200.0)
    assert step_ended.attempts == 1 and step_ended.steps == 1
    assert step_ended.status is JobStatus.PROCESSING  # still the worker's: the next step claims it
    assert step_ended.continued().continued().attempts == 0  # never below zero
    assert step_ended.continued().continued().steps == 3


def test_chunk_texts_are_saved_one_by_one_under_their_index() -> None:
    job = make_job()
    assert job.chunk_texts == {}
    job = job.with_chunk_text(2, "третий")
    job = job.with_chunk_text(0, "первый")
    assert job.chunk_texts == {0: "первый", 2: "третий"}
    assert job.with_chunk_text(2, "заново").chunk_texts == {0: "первый", 2: "заново"}
    assert "первый" in job.chunks_json  # stored readable, not escaped


def test_formatted_pieces_are_saved_one_by_one_under_their_index() -> None:
    job = make_job().with_formatted_piece(1, "b").with_formatted_piece(0, "a")
    assert job.formatted_pieces == {0: "a", 1: "b"}
    assert make_job().formatted_pieces == {}


def test_pass_tasks_read_back_as_saved() -> None:
    job = make_job()
    assert job.pass_tasks == {}
    job = job.with_pass_tasks({"speakers": "task-1", "text": "task-2"})
    assert job.pass_tasks == {"speakers": "task-1", "text": "task-2"}


@pytest.mark.parametrize("raw", ["[]", '"text"', "3"])
def test_a_checkpoint_that_is_not_a_mapping_reads_as_empty(raw: str) -> None:
    job = make_job(chunks_json=raw, pieces_json=raw, pass_tasks_json=raw)
    assert job.chunk_texts == {} and job.formatted_pieces == {} and job.pass_tasks == {}


def test_the_same_pass_tasks_give_the_same_job_whatever_order_they_were_collected_in() -> None:
    # The two passes finish submitting in either order; the stored record must not differ by it
    # (a rewrite of an unchanged job is then recognised as unchanged).
    one = make_job().with_pass_tasks({"text": "t-1", "speakers": "s-1"})
    other = make_job().with_pass_tasks({"speakers": "s-1", "text": "t-1"})
    assert one == other
    assert one.pass_tasks == {"text": "t-1", "speakers": "s-1"}
