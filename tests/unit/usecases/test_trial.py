"""Trial minutes: the request, the owner's card with two buttons, approval exactly once, denial told."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import attrs

from domain.users import TrialStatus
from presentation.catalogue import say
from presentation.keys import M
from tests.world import OWNER, USER


def owner_card(world):
    return [e for e in world.chat.events if e.chat_id == OWNER and e.kind == "send" and e.keyboard][-1]


def request_trial(world):
    world.user(balance=0)
    assert world.text("/trial") == "command:trial"
    return owner_card(world)


def test_trial_request_is_stored_with_the_real_time_and_the_owner_is_notified_at_once(world):
    world.clock.advance(3600 * 9.5)  # 2026-01-01 09:30 UTC
    card = request_trial(world)
    assert world.texts()[-1] == say("ru", M.trial_requested)
    request = world.trials.get(USER)
    assert request.status == "pending" and request.requested_at == world.clock.now()
    assert world.users.get(USER).trial is TrialStatus.PENDING
    assert card.text.startswith("🆕 Trial request") and f"Ann · id {USER} · @ann" in card.text
    assert "Requested 2026-01-01 09:30 UTC" in card.text
    assert [b.data for row in card.keyboard for b in row] == [f"trial:approve:{USER}", f"trial:deny:{USER}"]


def test_a_second_request_while_pending_is_not_filed_again(world):
    request_trial(world)
    world.text("/trial")
    assert world.texts()[-1] == say("ru", M.trial_pending)
    assert sum(e.chat_id == OWNER for e in world.chat.events) == 1


def test_approval_credits_fifteen_minutes_tells_the_user_and_edits_the_card(world):
    card = request_trial(world)
    assert world.press(f"trial:approve:{USER}", user_id=OWNER, message_id=card.message_id) == "owner:trial:approve"
    assert world.balance() == 15
    assert world.users.get(USER).trial is TrialStatus.APPROVED
    assert world.trials.get(USER).status == "approved" and world.trials.get(USER).decided_at == world.clock.now()
    assert world.texts()[-1] == say("ru", M.trial_approved_user, minutes=15)
    assert world.chat.messages[(OWNER, card.message_id)].startswith("✅ Approved: Ann (777), +15 min")
    world.text("/trial")
    assert world.texts()[-1] == say("ru", M.trial_used)


def test_approving_again_and_again_credits_once(world):
    card = request_trial(world)
    for _ in range(4):
        world.press(f"trial:approve:{USER}", user_id=OWNER, message_id=card.message_id)
    assert world.balance() == 15
    assert world.texts().count(say("ru", M.trial_approved_user, minutes=15)) == 1
    assert world.chat.messages[(OWNER, card.message_id)].startswith("Already approved")
    world.text("/review_trials", user_id=OWNER)
    assert world.texts(OWNER)[-1] == "✅ No pending trial requests"


def test_approving_concurrently_credits_once(world):
    request_trial(world)
    barrier = threading.Barrier(12)

    def approve(i: int) -> None:
        barrier.wait()
        world.press(f"trial:approve:{USER}", user_id=OWNER, message_id=None, update_id=70_000 + i)

    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(approve, range(12)))
    assert world.balance() == 15
    assert world.texts().count(say("ru", M.trial_approved_user, minutes=15)) == 1


def test_approve_after_a_crash_between_the_decision_and_the_credit_completes_it(world):
    request_trial(world)
    # The request row says approved, but the process died before the credit.
    request = world.trials.get(USER)
    world.trials.put(attrs.evolve(request, status="approved", decided_at=world.clock.now()))
    world.press(f"trial:approve:{USER}", user_id=OWNER, message_id=None)
    assert world.balance() == 15 and world.users.get(USER).trial is TrialStatus.APPROVED
    world.press(f"trial:approve:{USER}", user_id=OWNER, message_id=None)
    assert world.balance() == 15


def test_denial_tells_the_user_and_a_new_request_is_refused(world):
    card = request_trial(world)
    world.press(f"trial:deny:{USER}", user_id=OWNER, message_id=card.message_id)
    assert world.balance() == 0 and world.users.get(USER).trial is TrialStatus.DENIED
    assert world.texts()[-1] == say("ru", M.trial_denied_user)
    assert world.chat.messages[(OWNER, card.message_id)] == f"❌ Denied: Ann ({USER}); the user was told"
    world.press(f"trial:deny:{USER}", user_id=OWNER, message_id=card.message_id)
    assert world.texts().count(say("ru", M.trial_denied_user)) == 1
    world.press(f"trial:approve:{USER}", user_id=OWNER, message_id=card.message_id)
    assert world.balance() == 0
    assert world.chat.messages[(OWNER, card.message_id)].startswith("Already denied")
    world.text("/trial")
    assert world.texts()[-1] == say("ru", M.trial_denied_before)


def test_review_trials_lists_every_pending_request_with_buttons(world):
    for uid in (801, 802, 803):
        world.user(user_id=uid, first_name=f"U{uid}")
        world.text("/trial", user_id=uid)
        world.clock.advance(60)
    world.press("trial:deny:802", user_id=OWNER, message_id=None)
    world.text("/review_trials", user_id=OWNER)
    cards = [e for e in world.chat.events if e.chat_id == OWNER and e.kind == "send"][-3:]
    assert cards[0].text == "⏳ Pending trial requests: 2"
    assert [c.keyboard[0][0].data for c in cards[1:]] == ["trial:approve:801", "trial:approve:803"]
    assert "Requested 2026-01-01 00:00 UTC" in cards[1].text and "Requested 2026-01-01 00:02 UTC" in cards[2].text


def test_strangers_pressing_trial_buttons_change_nothing_and_see_nothing(world):
    request_trial(world)
    events = len(world.chat.events)
    for data in (f"trial:approve:{USER}", f"trial:deny:{USER}"):
        assert world.press(data, user_id=USER, message_id=5) == "ignored"
        assert world.press(data, user_id=999, message_id=5) == "ignored"
    assert len(world.chat.events) == events
    assert world.balance() == 0 and world.trials.get(USER).status == "pending"


def test_approving_a_user_without_a_request_does_nothing(world):
    world.user(user_id=901)
    world.press("trial:approve:901", user_id=OWNER, message_id=None)
    assert world.balance(901) == 0
    assert world.texts(OWNER)[-1] == "No pending trial request from Ann (901)"
    world.press("trial:approve:123456", user_id=OWNER, message_id=None)
    assert world.texts(OWNER)[-1] == "User 123456 not found"


def test_a_pending_user_whose_request_row_expired_can_still_be_approved_once(world):
    world.user(user_id=902, trial=TrialStatus.PENDING)
    world.press("trial:approve:902", user_id=OWNER, message_id=None)
    world.press("trial:approve:902", user_id=OWNER, message_id=None)
    assert world.balance(902) == 15


def test_without_an_owner_a_trial_request_is_not_filed_and_the_user_is_told_why(world):
    """Nobody could approve it: "we will let you know" would be a promise nobody keeps."""
    world.rebuild(owner_id=None)
    world.user(balance=0)
    assert world.text("/trial") == "command:trial"
    assert world.texts()[-1] == say("ru", M.trial_no_owner)
    assert world.trials.get(USER) is None
    assert world.users.get(USER).trial is TrialStatus.NONE
