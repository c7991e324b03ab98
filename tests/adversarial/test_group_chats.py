"""Groups and channels are ignored, everywhere.

Before: groups were documented as ignored, but media was routed before the chat-type check, so a
voice note in a group was transcribed *into the group* and charged to its sender; a settings button
under a message in a group toggled the setting. Now the bot works in private chats only: from a
group, supergroup or channel nothing is charged, nothing is answered, nothing is stored, whatever
the update (media, command, text, button). The one exception is money already taken: a
``successful_payment`` is credited wherever the invoice was paid, and confirmed in private.
"""

from __future__ import annotations

import pytest

from domain.job import JobStatus
from tests.adversarial import telegram
from tests.audio_factory import fixture
from tests.ledger import assert_ledger
from tests.world import OWNER, USER
from usecases.payments import sign_payload

GROUP = -1001234567890


def group_events(world) -> list:
    return [e for e in world.chat.events if e.chat_id == GROUP]


@pytest.mark.slow
@pytest.mark.parametrize("chat_type", ["group", "supergroup"])
def test_a_voice_note_in_a_group_is_neither_transcribed_nor_charged(world, chat_type):
    world.user(balance=10)
    update = telegram.voice(world, 1, USER, fixture("hello_en"), unique="grp-voice", duration=3,
                            chat_id=GROUP, chat_type=chat_type)
    answer = telegram.post(world, update)
    assert answer.status == 200 and answer.body["result"] == "ignored"
    assert world.balance() == 10 and list(world.jobs.scan()) == [] and world.queue.pending() == []
    assert world.recognizer.clips == [] and world.chat.events == []
    assert_ledger(world)


@pytest.mark.parametrize("body", ["/balance", "/trial", "/start@TranscriberBot", "/dialogue", "hello"])
def test_commands_and_text_in_a_group_get_no_reaction(world, body):
    world.user(balance=10)
    answer = telegram.post(world, telegram.text(2, USER, body, chat_id=GROUP, chat_type="supergroup"))
    assert answer.body["result"] == "ignored"
    assert world.chat.events == [] and world.trials.get(USER) is None
    assert world.users.get(USER).settings.dialogue is False
    assert_ledger(world)


def test_owner_commands_in_a_group_do_nothing(world):
    world.user(balance=1)
    answer = telegram.post(world, telegram.text(3, OWNER, f"/credit {USER} 500", chat_id=GROUP, chat_type="group"))
    assert answer.body["result"] == "ignored"
    assert world.balance() == 1 and world.chat.events == []
    assert_ledger(world)


def test_a_settings_button_under_a_group_message_changes_nothing(world):
    world.user()
    answer = telegram.post(world, telegram.callback(4, USER, "set:dialogue", chat_id=GROUP, chat_type="supergroup"))
    assert answer.body["result"] == "ignored"
    assert world.users.get(USER).settings.dialogue is False
    assert group_events(world) == []
    assert_ledger(world)


@pytest.mark.slow
def test_an_export_button_in_a_group_sends_no_transcript_there(world):
    world.user(balance=10)
    # A finished private job of the user, whose export button is pressed from a group message.
    update = telegram.voice(world, 5, USER, fixture("hello_en"), unique="private-1", duration=3)
    telegram.post(world, update)
    job = next(iter(world.jobs.scan()))
    assert job.status is JobStatus.COMPLETED
    answer = telegram.post(world, telegram.callback(6, USER, f"export:{job.job_id}:txt", chat_id=GROUP,
                                                    chat_type="group"))
    assert answer.body["result"] == "ignored" and group_events(world) == []
    assert_ledger(world)


def test_a_channel_post_is_ignored(world):
    answer = telegram.post(world, {"update_id": 7, "channel_post": {
        "message_id": 1, "date": 1, "chat": {"id": GROUP, "type": "channel", "title": "News"},
        "voice": {"file_id": "v", "file_unique_id": "u", "duration": 3}}})
    assert answer.status == 200 and world.chat.events == [] and list(world.jobs.scan()) == []
    assert_ledger(world)


def test_a_payment_made_in_a_group_is_credited_and_confirmed_in_private_only(world):
    world.user()
    payload = sign_payload(b"test-secret", "start_50", USER, "nonce1")
    update = telegram.message(8, USER, chat_id=GROUP, chat_type="supergroup", successful_payment={
        "currency": "XTR", "total_amount": 35, "invoice_payload": payload,
        "telegram_payment_charge_id": "grp-charge-1", "provider_payment_charge_id": ""})
    assert telegram.post(world, update).body["result"] == "payment:credited"
    assert world.balance() == 50
    assert group_events(world) == []
    assert any("50" in t for t in world.texts(USER))
    assert_ledger(world)
