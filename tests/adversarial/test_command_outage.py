"""A command that meets an outage runs when Telegram delivers it again — once.

Before: the webhook claimed the update's id, then ran the command; a brief store or Telegram
outage made the webhook answer 503 (so that Telegram retries), and the retry was dropped as a
duplicate: ``/trial`` and the owner's ``/credit`` were silently lost. Now the claim is released
when the command fails transiently, so the retry runs it; and a command that already changed
something when the outage hit is not applied twice (``credit:{update}``, the trial request's
conditional write, best-effort replies after a toggle).

Each attack posts the same real update JSON again, as Telegram does after a 503.
"""

from __future__ import annotations

from domain.users import TrialStatus
from ports.errors import TransientFailure
from presentation.catalogue import owner_say, say
from presentation.keys import OM, M
from tests.adversarial import telegram
from tests.ledger import assert_ledger
from tests.world import OWNER, USER


def outage(world) -> int:
    """Failures enough to exhaust the ports' retries (the retried port gives up after these)."""
    return world.policy.retry_attempts


def test_trial_during_a_store_outage_runs_on_the_retry(world):
    world.user()
    update = telegram.text(100, USER, "/trial")
    world.trials.fail_next(outage(world))
    assert telegram.post(world, update).status == 503
    assert world.trials.get(USER) is None
    answer = telegram.post(world, update)  # Telegram's retry
    assert answer.status == 200 and answer.body["result"] == "command:trial"
    assert world.trials.get(USER).status == "pending"
    assert world.users.get(USER).trial is TrialStatus.PENDING
    assert world.texts(USER)[-1] == say("ru", M.trial_requested)
    assert any(owner_say(OM.trial_new) in t for t in world.texts(OWNER))
    # A third delivery is a duplicate: the owner is told once.
    assert telegram.post(world, update).body["result"] == "duplicate"
    assert sum(owner_say(OM.trial_new) in t for t in world.texts(OWNER)) == 1
    assert_ledger(world)


def test_trial_stored_but_interrupted_before_the_user_was_marked_is_finished_by_the_retry(world, monkeypatch):
    world.user()
    save = world.users.save
    failures = {"left": outage(world)}

    def flaky_save(user):
        if user.trial is TrialStatus.PENDING and failures["left"]:
            failures["left"] -= 1
            raise TransientFailure("memory-store", "injected outage")
        return save(user)

    monkeypatch.setattr(world.users, "save", flaky_save)
    update = telegram.text(101, USER, "/trial")
    assert telegram.post(world, update).status == 503
    assert world.trials.get(USER).status == "pending"  # the request row was written before the outage
    answer = telegram.post(world, update)
    assert answer.body["result"] == "command:trial"
    assert world.users.get(USER).trial is TrialStatus.PENDING
    assert world.texts(USER)[-1] == say("ru", M.trial_requested)
    assert sum(owner_say(OM.trial_new) in t for t in world.texts(OWNER)) == 1
    assert_ledger(world)


def test_owners_credit_during_a_store_outage_is_applied_on_the_retry_exactly_once(world):
    world.user(balance=3)
    update = telegram.text(102, OWNER, f"/credit {USER} 25")
    world.users.fail_next(outage(world))
    assert telegram.post(world, update).status == 503
    assert world.balance() == 3
    assert telegram.post(world, update).body["result"] == "owner:credit"
    assert world.balance() == 28
    assert telegram.post(world, update).body["result"] == "duplicate"
    assert world.balance() == 28
    assert_ledger(world)


def test_credit_applied_then_the_answer_failed_is_not_applied_twice_and_the_owner_is_told(world):
    world.user(balance=3)
    update = telegram.text(103, OWNER, f"/credit {USER} 25")
    world.chat.fail_next(outage(world))  # Telegram is down for the owner's confirmation
    assert telegram.post(world, update).status == 503
    assert world.balance() == 28  # the credit itself went through before the outage
    assert telegram.post(world, update).status == 200
    assert world.balance() == 28
    assert world.texts(OWNER)[-1] == owner_say(OM.credit_repeat, name="Ann", user_id=USER, balance=28)
    assert_ledger(world)


def test_a_toggle_whose_answer_failed_is_toggled_once(world):
    world.user()
    update = telegram.text(104, USER, "/dialogue")
    world.chat.fail_next(outage(world))
    answer = telegram.post(world, update)
    # Stored before the answer failed: the update is handled (no 503, no second toggle on a retry).
    assert answer.status == 200
    assert world.users.get(USER).settings.dialogue is True
    assert telegram.post(world, update).body["result"] == "duplicate"
    assert world.users.get(USER).settings.dialogue is True
    assert_ledger(world)


def test_a_read_only_command_during_a_telegram_outage_is_answered_on_the_retry(world):
    world.user(balance=9)
    update = telegram.text(105, USER, "/balance")
    world.chat.fail_next(outage(world))
    assert telegram.post(world, update).status == 503
    assert telegram.post(world, update).body["result"] == "command:balance"
    assert world.texts(USER) == [say("ru", M.balance, minutes=9)]
    assert_ledger(world)
