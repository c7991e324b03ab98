"""The 3-purchase limit of the micro package holds at ``successful_payment``.

Before: the limit was enforced only at pre-checkout, with a reservation keyed by the invoice, so
paying the *same* invoice again (a forwarded copy, or the same one from another device) passed
pre-checkout every time and was credited every time, the counter never moving past 1: 10 minutes
for 5⭐ without end. Now every payment counts exactly once per ``telegram_payment_charge_id``: the
first payment of an invoice takes its reservation, any other needs a free slot, and a payment over
the limit is refunded (``refundStarPayment``) instead of credited, the user and the owner told.

Every step is real update JSON through the webhook: the buy button, pre-checkout, successful_payment.
"""

from __future__ import annotations

from tests.adversarial import telegram
from tests.ledger import assert_ledger
from tests.world import OWNER, USER


def micro_invoice(world, update_id: int = 1) -> tuple[str, int]:
    answer = telegram.post(world, telegram.callback(update_id, USER, "buy:micro_10"))
    assert answer.body["result"] == "buy:invoice"
    invoice = [e for e in world.chat.events if e.kind == "invoice"][-1]
    return invoice.extra["payload"], invoice.extra["stars"]


def pay(world, update_id: int, payload: str, stars: int, charge: str) -> str:
    checked = telegram.post(world, telegram.pre_checkout(update_id, USER, payload, stars, f"q-{charge}"))
    assert checked.body["result"] == "pre_checkout:ok"  # the reservation key is per invoice: it passes
    answer = telegram.post(world, telegram.successful_payment(update_id + 1, USER, payload, stars, charge))
    assert answer.status == 200, answer
    return answer.body["result"]


def test_one_invoice_paid_five_times_is_credited_three_times_and_refunded_twice(world):
    world.user()
    payload, stars = micro_invoice(world)
    routes = [pay(world, 10 * i, payload, stars, f"charge-{i}") for i in range(1, 6)]
    assert routes == ["payment:credited"] * 3 + ["payment:refunded"] * 2
    assert world.balance() == 30 and world.users.get(USER).micro_purchases == 3
    assert world.chat.refunded == ["charge-4", "charge-5"]
    assert len(world.logs.payment_rows) == 3  # a refunded payment is no revenue
    assert sum("refunded" in t and "charge-5" in t for t in world.texts(OWNER)) == 1
    assert "5⭐" in world.texts(USER)[-1]
    assert_ledger(world)


def test_redelivered_payments_are_settled_once(world):
    world.user()
    payload, stars = micro_invoice(world)
    for i in range(1, 5):
        pay(world, 10 * i, payload, stars, f"charge-{i}")
    again = [telegram.post(world, telegram.successful_payment(10 * i + 1, USER, payload, stars, f"charge-{i}"))
             for i in (1, 4)]
    assert [a.body["result"] for a in again] == ["payment:duplicate", "payment:duplicate"]
    assert world.balance() == 30 and world.chat.refunded == ["charge-4"]
    assert world.users.get(USER).micro_purchases == 3
    assert_ledger(world)


def test_a_refund_that_meets_an_outage_is_made_on_telegrams_retry(world):
    world.user()
    payload, stars = micro_invoice(world)
    for i in range(1, 4):
        pay(world, 10 * i, payload, stars, f"charge-{i}")
    telegram.post(world, telegram.pre_checkout(40, USER, payload, stars, "q-4"))
    update = telegram.successful_payment(41, USER, payload, stars, "charge-4")
    world.chat.fail_next(world.policy.retry_attempts)
    assert telegram.post(world, update).status == 503  # Telegram delivers it again
    assert world.chat.refunded == [] and world.balance() == 30
    assert telegram.post(world, update).body["result"] == "payment:refunded"
    assert world.chat.refunded == ["charge-4"] and world.balance() == 30
    assert_ledger(world)


def test_three_different_invoices_still_buy_three_packages(world):
    world.user()
    routes = []
    for i in range(1, 4):
        payload, stars = micro_invoice(world, update_id=10 * i + 5)
        routes.append(pay(world, 10 * i, payload, stars, f"charge-{i}"))
    assert routes == ["payment:credited"] * 3
    assert world.balance() == 30 and world.users.get(USER).micro_purchases == 3 and world.chat.refunded == []
    assert_ledger(world)
