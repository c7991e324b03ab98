"""Hostile and broken webhook bodies: the right HTTP answer for Telegram (no retry storm), and no
change to any balance, job or log. Plus a hypothesis fuzz of the body."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entrypoints.local.bot import LocalBot

SECRET = "hook-secret-123"
USER = 1001


@pytest.fixture(scope="module")
def bot():
    b = LocalBot(env={"TELEGRAM_WEBHOOK_SECRET": SECRET}, printer=None)
    b.grant(USER, 50)
    yield b
    b.close()


def snapshot(bot: LocalBot) -> tuple:
    c = bot.container
    users = sorted((u.user_id, u.balance_minutes, u.trial.value, u.micro_purchases) for u in c.users().scan())
    jobs = sorted((j.job_id, j.status.value) for j in c.jobs().scan())
    logs = (len(c.logs().transcription_rows), len(c.logs().payment_rows))
    return users, jobs, logs, len(c.queue())


def msg(extra: dict, user_id: int = USER) -> dict:
    return {"update_id": 9_000_001, "message": {"message_id": 5, "date": 1,
            "from": {"id": user_id, "is_bot": False, "first_name": "X"},
            "chat": {"id": user_id, "type": "private"}, **extra}}


def deep(n: int) -> str:
    return "[" * n + "]" * n


HOSTILE: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("not json", b"hello"),
    ("truncated json", b'{"update_id": 1, "message": {'),
    ("json null", b"null"),
    ("json number", b"42"),
    ("json string", b'"update"'),
    ("json array", b"[]"),
    ("array of updates", json.dumps([msg({"text": "/balance"})]).encode()),
    ("empty object", b"{}"),
    ("update_id only", b'{"update_id": 5}'),
    ("update_id string", json.dumps({"update_id": "5", "message": msg({"text": "/start"})["message"]}).encode()),
    ("update_id float", json.dumps({"update_id": 5.5, "message": msg({"text": "/start"})["message"]}).encode()),
    ("update_id huge", json.dumps({"update_id": 10**30, "message": msg({"text": "/start"})["message"]}).encode()),
    ("message not object", json.dumps({"update_id": 6, "message": "hi"}).encode()),
    ("message missing chat", json.dumps({"update_id": 7, "message": {"message_id": 1, "from": {"id": USER}}}).encode()),
    ("from id string", json.dumps(msg({"text": "/start"}) | {"message": {**msg({})["message"], "from": {"id": "x"}}}).encode()),
    ("chat id object", json.dumps({"update_id": 8, "message": {**msg({})["message"], "chat": {"id": {}}}}).encode()),
    ("text is a list", json.dumps(msg({"text": ["/start"]})).encode()),
    ("text 1 MB", json.dumps(msg({"text": "a" * 1_000_000})).encode()),
    ("body over 1 MB", b'{"update_id": 9, "pad": "' + b"x" * 1_100_000 + b'"}'),
    ("deep nesting", ('{"update_id": 10, "x": ' + deep(50_000) + "}").encode()),
    ("deep nesting in message", ('{"update_id": 11, "message": ' + deep(5_000) + "}").encode()),
    ("odd unicode", json.dumps(msg({"text": "/start\u202e\u0000\ud7ff\U0001f600" * 10})).encode()),
    ("lone surrogate escape", b'{"update_id": 12, "message": {"text": "\\ud800"}}'),
    ("invalid utf-8", b'{"update_id": 13, "message": {"text": "\xff\xfe"}}'),
    ("unknown update type", json.dumps({"update_id": 14, "poll": {"id": "1"}}).encode()),
    ("edited message", json.dumps({"update_id": 15, "edited_message": msg({"text": "/start"})["message"]}).encode()),
    ("channel post", json.dumps({"update_id": 16, "channel_post": {"message_id": 1, "chat": {"id": -1, "type": "channel"}}}).encode()),
    ("forged successful_payment", json.dumps(msg({"successful_payment": {
        "currency": "XTR", "total_amount": 4444, "invoice_payload": "minutes_8888",
        "telegram_payment_charge_id": "forged-1", "provider_payment_charge_id": ""}})).encode()),
    ("payment with tampered signature", json.dumps(msg({"successful_payment": {
        "currency": "XTR", "total_amount": 5, "invoice_payload": "pkg:max_8888:1001:0000000000000000",
        "telegram_payment_charge_id": "forged-2", "provider_payment_charge_id": ""}})).encode()),
    ("payment wrong types", json.dumps(msg({"successful_payment": {"currency": 1, "total_amount": "lots"}})).encode()),
    ("tampered pre-checkout", json.dumps({"update_id": 17, "pre_checkout_query": {
        "id": "q1", "from": {"id": USER, "is_bot": False, "first_name": "X"}, "currency": "XTR",
        "total_amount": 1, "invoice_payload": "pkg:max_8888:1001:ffffffffffffffff"}}).encode()),
    ("pre-checkout missing fields", json.dumps({"update_id": 18, "pre_checkout_query": {"id": "q2"}}).encode()),
    ("owner callback from a stranger", json.dumps({"update_id": 19, "callback_query": {
        "id": "c1", "data": f"trial:approve:{USER}", "chat_instance": "x",
        "from": {"id": USER, "is_bot": False, "first_name": "X"},
        "message": {"message_id": 3, "date": 1, "chat": {"id": USER, "type": "private"}}}}).encode()),
    ("owner command from a stranger", json.dumps(msg({"text": f"/credit {USER} 1000"})).encode()),
    ("callback data huge", json.dumps({"update_id": 20, "callback_query": {
        "id": "c2", "data": "buy:" + "x" * 10_000, "from": {"id": USER, "is_bot": False, "first_name": "X"}}}).encode()),
    ("negative duration voice", json.dumps(msg({"voice": {"file_id": "v", "file_unique_id": "u", "duration": -5}})).encode()),
    ("zero duration and size voice", json.dumps(msg({"voice": {"file_id": "nofile", "file_unique_id": "u0", "duration": 0,
                                                               "file_size": 0}})).encode()),
    ("voice over 20 MB", json.dumps(msg({"voice": {"file_id": "big", "file_unique_id": "u1", "duration": 30,
                                                   "file_size": 25_000_000}})).encode()),
    ("voice duration days", json.dumps(msg({"voice": {"file_id": "long", "file_unique_id": "u2", "duration": 10**6}})).encode()),
    ("voice file_id not string", json.dumps(msg({"voice": {"file_id": 5, "file_unique_id": "u3", "duration": 3}})).encode()),
    ("document pdf", json.dumps(msg({"document": {"file_id": "d", "file_unique_id": "u4", "mime_type": "application/pdf",
                                                  "file_name": "x.pdf"}})).encode()),
    ("bot sender", json.dumps({"update_id": 21, "message": {**msg({"text": "/start"})["message"],
                                                            "from": {"id": 5, "is_bot": True, "first_name": "B"}}}).encode()),
    ("NaN duration", b'{"update_id": 22, "message": {"message_id": 1, "date": 1, "from": {"id": 1001, "is_bot": false, '
                     b'"first_name": "X"}, "chat": {"id": 1001, "type": "private"}, "voice": {"file_id": "n", '
                     b'"file_unique_id": "n", "duration": NaN}}}'),
]


@pytest.mark.parametrize(("name", "body"), HOSTILE, ids=[n for n, _ in HOSTILE])
def test_hostile_body_changes_nothing_and_is_not_retried(bot, name, body):
    before = snapshot(bot)
    answer = bot.post(body)
    assert answer.status == 200, (name, answer)  # Telegram retries anything else
    after = snapshot(bot)
    # Nothing changed, except a first-contact user row (balance 0) for a stranger: compare ledgers.
    assert after[1:] == before[1:]
    balances_before = {u[0]: u[1] for u in before[0]}
    assert all(balances_before.get(uid, 0) == bal for uid, bal, *_ in after[0]), name


def test_at_least_forty_hostile_bodies():
    assert len(HOSTILE) >= 40


def test_forged_payment_credits_nothing_and_alerts_nobody_but_the_owner(bot):
    chat = bot.chat
    before = len(chat.events)
    bot.post(dict(HOSTILE)["forged successful_payment"])
    assert all(e.chat_id != USER or "Оплата" not in e.text for e in chat.events[before:])


@pytest.mark.parametrize("secret", ["", "wrong", SECRET + "x", SECRET[:-1]])
def test_wrong_or_missing_secret_is_403_and_nothing_is_read(bot, secret):
    before = snapshot(bot), len(bot.chat.events)
    answer = bot.post(msg({"text": "/balance"}), secret=secret)
    assert answer.status == 403
    assert (snapshot(bot), len(bot.chat.events)) == before


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["update_id", "message", "text", "from", "chat", "id", "voice", "document", "file_id",
                         "duration", "callback_query", "data", "pre_checkout_query", "successful_payment",
                         "invoice_payload", "total_amount", "currency", "mime_type", "file_size"]) | st.text(max_size=5),
        children, max_size=6),
    max_leaves=30))
def test_fuzzed_bodies_never_crash_the_webhook(bot, data):
    balances = {u.user_id: u.balance_minutes for u in bot.container.users().scan()}
    answer = bot.post(json.dumps(data).encode())
    assert answer.status in (200, 503)
    assert all(bot.container.users().get(uid).balance_minutes == bal for uid, bal in balances.items())
