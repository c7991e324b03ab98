"""Packages, invoices, pre-checkout, successful payments and balance notices: what the user and the
owner see, and what the ledger (balances, purchase counter, payment logs) holds."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from presentation.catalogue import say
from presentation.keys import M
from tests.audio_factory import fixture
from tests.world import OWNER, USER
from usecases.payments import parse_payload, sign_payload

PACKAGES = [("micro_10", 10, 5), ("start_50", 50, 35), ("standard_200", 200, 119), ("profi_1000", 1000, 549),
            ("max_8888", 8888, 4444)]


def open_invoice(world, package: str, user_id: int = USER) -> tuple[str, int]:
    """Press the package's button; returns the invoice's (payload, stars)."""
    world.press(f"buy:{package}", user_id=user_id, message_id=1)
    invoice = [e for e in world.chat.events if e.kind == "invoice" and e.chat_id == user_id][-1]
    return invoice.extra["payload"], invoice.extra["stars"]


def pre_checkout_answers(world) -> list[tuple[bool, str]]:
    return [(e.extra["ok"], e.text) for e in world.chat.events if e.kind == "pre_checkout"]


def buy(world, package: str, charge: str, user_id: int = USER) -> str:
    payload, stars = open_invoice(world, package, user_id)
    assert world.pre_checkout(payload, stars, user_id=user_id) == "pre_checkout:ok"
    return world.paid(payload, stars, charge_id=charge, user_id=user_id)


# -- /buy_minutes --------------------------------------------------------------------------------------


def test_buy_minutes_lists_the_five_packages_with_a_button_each(world):
    world.user(balance=7)
    assert world.text("/buy_minutes") == "command:buy_minutes"
    event = world.chat.events[-1]
    data = [b.data for row in event.keyboard for b in row]
    assert data == [f"buy:{p}" for p, _, _ in PACKAGES]
    texts = [b.text for row in event.keyboard for b in row]
    assert texts == ["Микро — 5⭐", "Старт — 35⭐", "Стандарт — 119⭐", "Профи — 549⭐", "MAX — 4444⭐"]
    for _, minutes, stars in PACKAGES:
        assert f"{minutes} мин — {stars}⭐" in event.text
    assert event.text.startswith(say("ru", M.buy_title, balance=7))
    assert say("ru", M.buy_limit_note, limit=3, left=3) in event.text


@pytest.mark.parametrize(("package", "minutes", "stars"), PACKAGES)
def test_every_package_can_be_bought_end_to_end(world, package, minutes, stars):
    world.user(balance=2)
    payload, invoice_stars = open_invoice(world, package)
    assert invoice_stars == stars
    assert parse_payload(world.payload_secret, payload).package.id == package
    assert world.pre_checkout(payload, stars) == "pre_checkout:ok"
    assert world.paid(payload, stars, charge_id=f"ch-{package}") == "payment:credited"
    assert world.balance() == 2 + minutes
    assert world.texts()[-1] == say("ru", M.payment_ok, minutes=minutes, balance=2 + minutes)
    log = world.logs.payment_rows[f"ch-{package}"]
    assert (log.user_id, log.package_id, log.minutes, log.stars) == (USER, package, minutes, stars)
    assert f"paid {stars}⭐ for {minutes} min" in world.texts(OWNER)[-1]


def test_every_invoice_has_its_own_payload(world):
    world.user()
    first, _ = open_invoice(world, "start_50")
    second, _ = open_invoice(world, "start_50")
    assert first != second


def test_an_unknown_package_button_does_nothing(world):
    world.user()
    assert world.press("buy:giga_1", message_id=1) == "buy:unknown"
    assert not [e for e in world.chat.events if e.kind in ("invoice", "send")]


# -- pre-checkout validation ---------------------------------------------------------------------------


def test_pre_checkout_refuses_a_payload_we_did_not_sign(world):
    world.user()
    payload, stars = open_invoice(world, "max_8888")
    forged = payload[:-1] + ("0" if payload[-1] != "0" else "1")
    assert world.pre_checkout(forged, stars) == "pre_checkout:refused"
    assert world.pre_checkout("minutes_8888", stars) == "pre_checkout:refused"
    assert pre_checkout_answers(world) == [(False, say("ru", M.payment_invalid))] * 2


def test_pre_checkout_refuses_another_users_invoice_a_wrong_amount_or_currency(world):
    world.user()
    world.user(user_id=888)
    payload, stars = open_invoice(world, "start_50")
    assert world.pre_checkout(payload, stars, user_id=888) == "pre_checkout:refused"
    assert world.pre_checkout(payload, stars - 1) == "pre_checkout:refused"
    assert world.pre_checkout(payload, stars, currency="USD") == "pre_checkout:refused"
    assert world.pre_checkout(payload, stars) == "pre_checkout:ok"


def test_a_first_format_payload_without_a_nonce_is_still_accepted(world):
    world.user()
    legacy = sign_payload(world.payload_secret, "start_50", USER)
    assert legacy.count(":") == 3
    assert world.pre_checkout(legacy, 35) == "pre_checkout:ok"
    assert world.paid(legacy, 35, charge_id="legacy-1") == "payment:credited"
    assert world.balance() == 50


# -- the micro package (3 purchases) -------------------------------------------------------------------


def test_micro_can_be_bought_three_times_then_the_button_refuses(world):
    world.user()
    for i in range(3):
        assert buy(world, "micro_10", f"m{i}") == "payment:credited"
    assert world.users.get(USER).micro_purchases == 3 and world.balance() == 30
    assert world.press("buy:micro_10", message_id=1) == "buy:limit"
    assert world.texts()[-1] == say("ru", M.micro_limit, limit=3)
    world.text("/buy_minutes")
    assert "осталось 0" in world.texts()[-1]


def test_micro_invoices_opened_before_the_limit_are_refused_at_pre_checkout(world):
    world.user()
    invoices = [open_invoice(world, "micro_10") for _ in range(5)]  # all opened while nothing was bought
    routes = [world.pre_checkout(payload, stars) for payload, stars in invoices]
    assert routes == ["pre_checkout:ok"] * 3 + ["pre_checkout:refused"] * 2
    assert pre_checkout_answers(world)[-1] == (False, say("ru", M.micro_limit, limit=3))
    for i, (payload, stars) in enumerate(invoices[:3]):
        world.paid(payload, stars, charge_id=f"c{i}")
    assert world.users.get(USER).micro_purchases == 3 and world.balance() == 30


def test_concurrent_micro_pre_checkouts_pass_at_most_the_remaining_limit(world):
    world.user()
    buy(world, "micro_10", "first")
    buy(world, "micro_10", "second")
    invoices = [open_invoice(world, "micro_10") for _ in range(8)]
    barrier = threading.Barrier(len(invoices))

    def check(invoice) -> str:
        barrier.wait()
        return world.pre_checkout(*invoice)

    with ThreadPoolExecutor(max_workers=len(invoices)) as pool:
        routes = list(pool.map(check, invoices))
    assert routes.count("pre_checkout:ok") == 1
    assert world.users.get(USER).micro_purchases == 3


def test_a_repeated_pre_checkout_of_one_invoice_reserves_once(world):
    world.user()
    payload, stars = open_invoice(world, "micro_10")
    for _ in range(4):
        assert world.pre_checkout(payload, stars) == "pre_checkout:ok"
    assert world.users.get(USER).micro_purchases == 1
    world.paid(payload, stars, charge_id="only")
    assert world.users.get(USER).micro_purchases == 1


# -- successful_payment ------------------------------------------------------------------------------------


def test_a_redelivered_successful_payment_credits_and_tells_once(world):
    world.user()
    payload, stars = open_invoice(world, "start_50")
    world.pre_checkout(payload, stars)
    assert world.paid(payload, stars, charge_id="dup", update_id=5000) == "payment:credited"
    assert world.paid(payload, stars, charge_id="dup", update_id=5000) == "payment:duplicate"
    assert world.paid(payload, stars, charge_id="dup", update_id=5001) == "payment:duplicate"
    assert world.balance() == 50
    assert len(world.logs.payment_rows) == 1
    assert world.texts().count(say("ru", M.payment_ok, minutes=50, balance=50)) == 1
    assert sum("paid 35⭐" in t for t in world.texts(OWNER)) == 1


def test_a_payment_that_matches_no_invoice_is_not_credited_and_a_person_looks_at_it(world):
    world.user(balance=1)
    assert world.paid("pkg:max_8888:777:deadbeefdeadbeef", 4444, charge_id="odd") == "payment:unmatched"
    assert world.paid("pkg:max_8888:777:deadbeefdeadbeef", 4444, charge_id="odd") == "payment:unmatched"
    assert world.balance() == 1 and world.logs.payment_rows == {}
    assert world.texts() == [say("ru", M.payment_review)]
    owner = world.texts(OWNER)
    assert len(owner) == 1 and "charge odd" in owner[0] and "Nothing was credited" in owner[0]


def test_a_micro_payment_past_the_limit_is_refunded_not_credited(world):
    world.user()
    invoices = [open_invoice(world, "micro_10") for _ in range(4)]
    routes = [world.paid(payload, stars, charge_id=f"late-{i}")  # e.g. pre-checkout answered by an older version
              for i, (payload, stars) in enumerate(invoices)]
    assert routes == ["payment:credited"] * 3 + ["payment:refunded"]
    assert world.balance() == 30 and world.users.get(USER).micro_purchases == 3
    assert world.chat.refunded == ["late-3"]
    assert "5⭐" in world.texts()[-1]


def test_without_refunds_a_micro_payment_past_the_limit_is_credited_and_the_owner_alerted(world):
    world.user()
    world.chat.can_refund = False
    invoices = [open_invoice(world, "micro_10") for _ in range(4)]
    routes = [world.paid(payload, stars, charge_id=f"late-{i}") for i, (payload, stars) in enumerate(invoices)]
    assert routes[-1] == "payment:credited_over_limit"
    # The Stars are taken and cannot go back: the user gets the minutes, the counter stays at the limit.
    assert world.balance() == 40 and world.users.get(USER).micro_purchases == 3
    assert any("late-3" in t and "refund by hand" in t.lower() for t in world.texts(OWNER))


def test_payment_messages_are_in_the_users_language(world):
    world.user()
    world.text("/language ui en")
    buy(world, "start_50", "en-1")
    assert world.texts()[-1] == "✅ Payment received! 50 min added. Balance: 50 min."


# -- low balance and empty balance notices (real audio through the whole bot) --------------------------------


@pytest.mark.slow
def test_low_balance_warning_under_five_minutes_and_empty_notice_at_zero(world):
    world.user(balance=5)
    world.media(fixture("hello_en"), unique="a")
    assert world.balance() == 4
    assert world.texts()[-1] == say("ru", M.low_balance, balance=4)
    world.text(f"/credit {USER} -3", user_id=OWNER)
    assert world.balance() == 1
    world.media(fixture("hello_en"), unique="b")
    assert world.balance() == 0
    assert world.texts()[-1] == say("ru", M.empty_balance)
    _, route = world.media(fixture("hello_en"), unique="c")
    assert route == "media:no_minutes" and world.balance() == 0


@pytest.mark.slow
def test_no_notice_while_the_balance_stays_at_five_or_more(world):
    world.user(balance=6)
    world.media(fixture("hello_en"), unique="a")
    assert world.balance() == 5
    assert not any("баланс" in t.lower() for t in world.texts())
