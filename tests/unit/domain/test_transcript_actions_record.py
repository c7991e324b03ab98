"""The row of one request for a summary, key points or a translation: how it moves queued →
running → completed | failed, what it charges on each end, how a step that ran out of time gives
its attempt back, how a failed request starts a clean new round, and how checkpoints are kept."""

from __future__ import annotations

import re

import attrs
import pytest

from domain.errors import InvalidTransition
from domain.transcript_actions import ActionKind, ActionRecord, ActionStatus, action_id

JOB = "c" * 32
AID = action_id(ActionKind.SUMMARY, JOB)


def make_record(**changes: object) -> ActionRecord:
    record = ActionRecord(action_id=AID, job_id=JOB, user_id=7, chat_id=7, kind=ActionKind.SUMMARY, price=3,
                          created_at=100.0)
    return attrs.evolve(record, **changes)


# -- claiming and leases ----------------------------------------------------------------------------


def test_a_claim_takes_the_lease_for_its_length_and_counts_the_attempt() -> None:
    running = make_record().claimed(now=200.0, lease_s=900.0)
    assert (running.status, running.attempts, running.lease_until) == (ActionStatus.RUNNING, 1, 1100.0)
    again = running.claimed(now=1200.0, lease_s=60.0)
    assert (again.attempts, again.lease_until) == (2, 1260.0)


@pytest.mark.parametrize("now, leased", [(1099.0, True), (1100.0, False), (1101.0, False)])
def test_a_lease_holds_until_the_moment_it_ends(now: float, leased: bool) -> None:
    running = make_record().claimed(now=200.0, lease_s=900.0)
    assert running.is_leased(now) is leased


@pytest.mark.parametrize("status", [ActionStatus.QUEUED, ActionStatus.COMPLETED, ActionStatus.FAILED])
def test_only_a_running_request_holds_a_lease(status: ActionStatus) -> None:
    # A lease time left on a row that is not running (a stale field) never blocks a worker.
    assert not make_record(status=status, lease_until=5_000.0).is_leased(1_000.0)


def test_a_step_that_ran_out_of_time_releases_the_lease_and_gives_the_attempt_back() -> None:
    running = make_record().claimed(now=200.0, lease_s=900.0)
    step_ended = running.continued()
    assert (step_ended.lease_until, step_ended.attempts, step_ended.steps) == (0.0, 0, 1)
    assert step_ended.status is ActionStatus.RUNNING and not step_ended.is_leased(0.5)
    twice = running.claimed(now=1200.0, lease_s=900.0).continued()  # two claims, one step ended
    assert (twice.attempts, twice.steps) == (1, 1)
    assert step_ended.continued().continued().attempts == 0  # never below zero
    assert step_ended.continued().continued().steps == 3


# -- ends: what each one charges ------------------------------------------------------------------------


def test_a_completed_request_charges_its_price_and_frees_the_worker() -> None:
    done = make_record(price=4).claimed(now=200.0, lease_s=900.0).completed(now=300.0)
    assert (done.status, done.charged, done.finished_at, done.lease_until) == (
        ActionStatus.COMPLETED, 4, 300.0, 0.0)
    assert not done.is_leased(0.5)


def test_a_failed_request_charges_nothing_and_keeps_a_bounded_reason() -> None:
    failed = make_record(price=4).claimed(now=200.0, lease_s=900.0).failed(now=300.0, error="x" * 600)
    assert (failed.status, failed.charged, failed.finished_at, failed.lease_until) == (
        ActionStatus.FAILED, 0, 300.0, 0.0)
    assert failed.error == "x" * 500
    assert make_record().failed(now=1.0, error="y" * 500).error == "y" * 500
    assert make_record().failed(now=1.0, error="model refused").error == "model refused"


@pytest.mark.parametrize("status", [ActionStatus.COMPLETED, ActionStatus.FAILED])
@pytest.mark.parametrize("move", ["claimed", "completed", "failed"])
def test_a_finished_request_does_not_move_again(status: ActionStatus, move: str) -> None:
    finished = make_record(status=status)
    calls = {"claimed": lambda: finished.claimed(now=1.0, lease_s=1.0),
             "completed": lambda: finished.completed(now=1.0),
             "failed": lambda: finished.failed(now=1.0, error="late")}
    # The operator reading the error sees which request it was and where it stands.
    with pytest.raises(InvalidTransition, match=rf"^action {re.escape(AID)} is {status.value}$"):
        calls[move]()


# -- a failed request pressed again -----------------------------------------------------------------------


def test_a_retry_is_a_clean_new_round_at_the_new_price() -> None:
    failed = make_record(status=ActionStatus.FAILED, round=2, attempts=3, steps=2, lease_until=50.0,
                         steps_json='{"map:0": "old"}', result_text="old", model="qwen", delivered=True,
                         delivered_parts=2, charged=0, error="timeout", finished_at=150.0, status_message_id=55,
                         target_language=None, source_chars=1_234, version=9)
    retried = failed.retried(now=400.0, price=5)
    assert retried == ActionRecord(action_id=AID, job_id=JOB, user_id=7, chat_id=7, kind=ActionKind.SUMMARY,
                                   price=5, created_at=400.0, status=ActionStatus.QUEUED, round=3, version=9)
    assert retried.step_results == {} and not retried.is_leased(0.5)
    # Fresh money keys: the new round's reserve and release are not the failed round's.
    assert (retried.reserve_key, retried.release_key) == (f"act-reserve:{AID}#3", f"act-release:{AID}#3")
    assert failed.reserve_key == f"act-reserve:{AID}#2"


# -- checkpoints -----------------------------------------------------------------------------------------


def test_checkpoints_read_back_as_saved() -> None:
    record = make_record()
    assert record.step_results == {}
    record = record.with_step("reduce", "Итог").with_step("map:1", "второй")
    assert record.step_results == {"map:1": "второй", "reduce": "Итог"}
    assert record.with_step("reduce", "заново").step_results == {"map:1": "второй", "reduce": "заново"}


def test_checkpoints_are_stored_readable_and_in_one_form_whatever_order_they_were_saved_in() -> None:
    # Pieces finish in any order; the stored row must not differ by it (a rewrite of unchanged
    # checkpoints is recognised as unchanged), and the text is kept as written, not escaped.
    one = make_record().with_step("map:1", "второй").with_step("map:0", "первый")
    other = make_record().with_step("map:0", "первый").with_step("map:1", "второй")
    assert one == other
    assert one.steps_json == '{"map:0": "первый", "map:1": "второй"}'


@pytest.mark.parametrize("raw", ["[]", '"text"', "3", ""])
def test_checkpoints_that_are_not_a_mapping_read_as_empty(raw: str) -> None:
    assert make_record(steps_json=raw).step_results == {}
