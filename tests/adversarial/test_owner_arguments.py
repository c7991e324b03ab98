"""Owner commands with Unicode digits or oversized numbers.

Before: ``str.isdigit`` accepts "²" (and "①", "¹⁰⁰¹"), which ``int`` then refuses, so ``/credit 1001 ²``
crashed the webhook with a 500, and Telegram's retry was dropped as a duplicate; ``int`` on the
other hand took Arabic-Indic or full-width digits. An oversized ``/credit`` reached Tablestore, whose
SDK cannot encode an integer beyond 64 bits — reported as a *transient* failure (503, retried,
dropped). Now owner arguments are ASCII digits only (anything else: the usage line), a /credit
above ``MAX_CREDIT_MINUTES`` is refused with a clear message, and a value Tablestore cannot store
is a permanent failure (200: Telegram does not retry what cannot succeed).
"""

from __future__ import annotations

import json

import pytest

import adapters.alibaba.tablestore as ts
from domain.users import User
from entrypoints.webhook_http import handle_webhook
from presentation.catalogue import owner_say
from presentation.keys import OM
from tests.adversarial import telegram
from tests.ledger import assert_ledger
from tests.loopback.tablestore_server import running_tablestore_server
from tests.world import OWNER, USER
from usecases.owner import MAX_CREDIT_MINUTES

UNICODE_NUMBERS = ["²", "¹⁰", "①", "١٢", "５", "12²", "٣"]


@pytest.mark.parametrize("number", UNICODE_NUMBERS)
def test_credit_with_unicode_digits_answers_the_usage_and_moves_nothing(world, number):
    world.user(balance=4)
    for i, text in enumerate([f"/credit {USER} {number}", f"/credit {number} 5"]):
        answer = telegram.post(world, telegram.text(100 + i, OWNER, text))
        assert answer.status == 200 and answer.body["result"] == "owner:credit"
        assert world.texts(OWNER)[-1] == owner_say(OM.credit_usage)
    assert world.balance() == 4
    assert_ledger(world)


@pytest.mark.parametrize("text", ["/batch ²", "/export users ²", "/export logs ١٢", "/user --page ²",
                                  "/mute ١", "/metrics ²", "/mute 1_0"])
def test_other_owner_commands_refuse_unicode_numbers_without_crashing(world, text):
    world.user()
    answer = telegram.post(world, telegram.text(200, OWNER, text))
    assert answer.status == 200 and answer.body["result"].startswith("owner:")
    assert world.state.get("owner_mute_until") is None
    assert [e for e in world.chat.events if e.kind == "document"] == []
    assert_ledger(world)


@pytest.mark.parametrize("data", ["trial:approve:²", "trial:deny:١٢", "users:page:²"])
def test_owner_buttons_with_unicode_digits_are_ignored(world, data):
    world.user()
    answer = telegram.post(world, telegram.callback(300, OWNER, data))
    assert answer.status == 200 and answer.body["result"] == "owner:ignored"
    assert world.balance() == 0
    assert_ledger(world)


@pytest.mark.parametrize("amount", [str(MAX_CREDIT_MINUTES + 1), "99999999999999999999", "-99999999999999999999"])
def test_an_oversized_credit_is_refused_with_a_clear_message(world, amount):
    world.user(balance=4)
    answer = telegram.post(world, telegram.text(400, OWNER, f"/credit {USER} {amount}"))
    assert answer.status == 200
    assert world.texts(OWNER)[-1] == owner_say(OM.credit_too_big, max_minutes=MAX_CREDIT_MINUTES)
    assert world.balance() == 4
    assert_ledger(world)


@pytest.mark.slow
def test_a_value_tablestore_cannot_store_is_permanent_so_the_webhook_does_not_ask_for_a_retry(world):
    # A balance next to INTEGER's 64-bit limit (a hand-edited or legacy row): any credit overflows.
    with running_tablestore_server("ak", "sk", "inst") as server:
        repos = ts.TablestoreRepositories(server.endpoint, "ak", "sk", "inst")
        ts.create_tables(repos)
        repos.users.create(User(USER, balance_minutes=2**63 - 5))
        accept = world.container_with(OWNER, users=repos.users).accept_update()
        update = telegram.text(500, OWNER, f"/credit {USER} 100")
        answer = handle_webhook("POST", {}, json.dumps(update).encode(), secret="", accept_update=accept)
        assert answer.status == 200 and answer.body == {"ok": False}  # logged, not retried
        assert repos.users.get(USER).balance_minutes == 2**63 - 5
    assert_ledger(world)
