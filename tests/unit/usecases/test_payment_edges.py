"""Payments at their edges: an invoice that names another user, a payment credited by a delivery
that died before its log row, storage failing at pre-checkout, what a payment message says.

Assertions are about money and who is told (routes, balances, payment rows, message counts), so
they hold whatever the wording of the messages."""

from __future__ import annotations

import pytest

from domain.billing import find_package
from domain.users import UserSettings
from ports.errors import PermanentFailure, TransientFailure
from presentation.catalogue import PACKAGE_NAMES, say
from presentation.keys import M
from tests.world import OWNER, USER
from usecases.inbound import IncomingMessage, SuccessfulPayment
from usecases.payments import parse_payload, sign_payload

OTHER = 888


class WorkerKilled(BaseException):
    """Not an Exception: nothing in the bot may catch it, exactly like a killed process."""


class KillFirst:
    """Wraps a port: the first call of ``method`` kills the process before the call is made."""

    def __init__(self, target, method: str) -> None:
        self._target, self._method, self.fired = target, method, False

    def __getattr__(self, name):
        attribute = getattr(self._target, name)
        if name != self._method:
            return attribute

        def wrapped(*args, **kwargs):
            if not self.fired:
                self.fired = True
                raise WorkerKilled(name)
            return attribute(*args, **kwargs)

        return wrapped


def invoice_for(world, package: str, user_id: int) -> tuple[str, int]:
    world.press(f"buy:{package}", user_id=user_id, message_id=1)
    invoice = [e for e in world.chat.events if e.kind == "invoice" and e.chat_id == user_id][-1]
    return invoice.extra["payload"], invoice.extra["stars"]


def payment(world, payload: str, amount: int, charge: str, *, currency: str = "XTR", user_id: int = USER,
            update_id: int | None = None) -> str:
    message = IncomingMessage(update_id or 9000 + len(world.chat.events), world.sender(user_id), user_id, 1,
                              payment=SuccessfulPayment(currency, amount, payload, charge))
    return world.accept(message)


# -- an invoice that names another user ----------------------------------------------------------------


def test_a_payment_of_another_users_invoice_credits_nobody_and_a_person_looks_at_it(world):
    world.user(balance=1)
    world.user(user_id=OTHER, balance=2)
    payload, stars = invoice_for(world, "start_50", OTHER)
    other_sees = world.texts(OTHER)
    assert parse_payload(world.payload_secret, payload).user_id == OTHER
    assert world.pre_checkout(payload, stars, user_id=USER) == "pre_checkout:refused"
    # Telegram took the Stars anyway (an answer lost, an older version): nothing is credited blindly.
    assert payment(world, payload, stars, "stolen", update_id=7001) == "payment:unmatched"
    assert payment(world, payload, stars, "stolen", update_id=7002) == "payment:unmatched"
    assert (world.balance(USER), world.balance(OTHER)) == (1, 2)
    assert world.logs.payment_rows == {}
    assert len(world.texts(USER)) == 1 and world.texts(OTHER) == other_sees  # told once; the other user nothing
    owner = world.texts(OWNER)
    assert len(owner) == 1 and "stolen" in owner[0] and str(USER) in owner[0]


@pytest.mark.parametrize(("amount_delta", "currency"), [(-1, "XTR"), (1, "XTR"), (0, "USD")])
def test_a_payment_of_the_wrong_amount_or_currency_is_not_credited(world, amount_delta, currency):
    world.user()
    payload, stars = invoice_for(world, "standard_200", USER)
    assert payment(world, payload, stars + amount_delta, "odd", currency=currency) == "payment:unmatched"
    assert world.balance() == 0 and world.logs.payment_rows == {}
    assert len(world.texts(OWNER)) == 1 and "odd" in world.texts(OWNER)[0]


def test_a_payload_we_did_not_sign_or_cannot_read_is_refused() -> None:
    secret = b"s"
    good = sign_payload(secret, "start_50", USER, "n1")
    assert parse_payload(secret, good) == parse_payload(secret, good)
    parsed = parse_payload(secret, good)
    assert (parsed.package, parsed.user_id, parsed.nonce) == (find_package("start_50"), USER, "n1")
    legacy = parse_payload(secret, sign_payload(secret, "start_50", -5))
    assert (legacy.user_id, legacy.nonce) == (-5, "")
    body, mac = good.rsplit(":", 1)
    assert parse_payload(b"other", good) is None
    assert parse_payload(secret, f"{body}:{mac[:-1]}") is None
    assert parse_payload(secret, "pkg:start_50:x1:" + mac) is None
    assert parse_payload(secret, good.replace("pkg:", "pkx:", 1)) is None
    assert parse_payload(secret, f"{body}:extra:{mac}") is None  # six fields
    assert parse_payload(secret, sign_payload(secret, "nope_1", USER, "n")) is None  # signed, no such package
    with pytest.raises(ValueError):
        sign_payload(secret, "start_50", USER, "a:b")
    assert sign_payload(secret, "start_50", USER, "a-b_c").count(":") == 4


# -- a payment half done: credited, then the process died before its log row ----------------------------


def test_a_payment_credited_by_a_delivery_that_died_is_logged_and_told_once_on_redelivery(world):
    world.user(balance=3)
    payload, stars = invoice_for(world, "start_50", USER)
    assert world.pre_checkout(payload, stars) == "pre_checkout:ok"
    logs = world.logs
    world.logs = KillFirst(logs, "add_payment")
    world.rebuild()
    with pytest.raises(WorkerKilled):
        payment(world, payload, stars, "half", update_id=8001)
    assert world.balance() == 53  # credited, the rest never ran
    world.logs = logs
    world.rebuild()
    # Telegram redelivers the update: no second credit, but the log row and the messages follow.
    assert payment(world, payload, stars, "half", update_id=8001) == "payment:credited"
    assert world.balance() == 53 and len(world.logs.payment_rows) == 1
    confirmations = [t for t in world.texts(USER) if "53" in t]
    assert len(confirmations) == 1, world.texts(USER)
    assert len([t for t in world.texts(OWNER) if "35" in t]) == 1
    # And a further redelivery changes nothing.
    assert payment(world, payload, stars, "half", update_id=8001) == "payment:duplicate"
    assert world.balance() == 53 and len(world.texts(OWNER)) == 1


def test_the_confirmation_carries_the_new_balance_and_the_owner_hears_of_each_payment(world):
    world.user(balance=7)
    payload, stars = invoice_for(world, "start_50", USER)
    before = len(world.texts(USER))
    assert payment(world, payload, stars, "c1") == "payment:credited"
    told = world.texts(USER)[before:]
    assert len(told) == 1 and "57" in told[0] and "50" in told[0]
    owner = world.texts(OWNER)
    assert len(owner) == 1 and str(USER) in owner[0] and "start_50" in owner[0] and "57" in owner[0]


def test_without_an_owner_a_payment_is_still_credited_and_confirmed(world):
    world.rebuild(owner_id=None)
    world.user()
    payload, stars = invoice_for(world, "start_50", USER)
    assert payment(world, payload, stars, "c1") == "payment:credited"
    assert world.balance() == 50 and world.texts(OWNER) == []


def test_a_confirmation_the_chat_refuses_does_not_undo_the_payment(world):
    world.user()
    payload, stars = invoice_for(world, "start_50", USER)
    world.chat.fail_next(50)  # every send fails (transiently, past the retries)
    assert payment(world, payload, stars, "c1") == "payment:credited"
    assert world.balance() == 50 and len(world.logs.payment_rows) == 1


# -- pre-checkout against failing storage --------------------------------------------------------------


class FailingGets:
    """Users whose reads fail (transiently, every time): storage is down."""

    def __init__(self, target) -> None:
        self._target = target

    def __getattr__(self, name):
        attribute = getattr(self._target, name)
        if name != "get":
            return attribute

        def get(*args, **kwargs):
            raise TransientFailure("tablestore", "unavailable")

        return get


def test_pre_checkout_of_a_limited_package_with_storage_down_is_refused_and_answered(world):
    world.user()
    payload, stars = invoice_for(world, "micro_10", USER)
    world.users = FailingGets(world.users)
    world.rebuild()
    assert world.pre_checkout(payload, stars) == "pre_checkout:refused"
    answers = [e for e in world.chat.events if e.kind == "pre_checkout"]
    assert len(answers) == 1 and answers[0].extra["ok"] is False and answers[0].text
    # An unlimited package needs no storage: it passes.
    other, other_stars = payload, stars
    world.users = world.users._target
    world.rebuild()
    payload, stars = invoice_for(world, "start_50", USER)
    world.users = FailingGets(world.users)
    world.rebuild()
    assert world.pre_checkout(payload, stars) == "pre_checkout:ok"
    assert world.pre_checkout(other, other_stars, user_id=OTHER) == "pre_checkout:refused"


# -- a payment past the micro package's limit ----------------------------------------------------------


class RefundRefused:
    """The chat, except that Telegram refuses every Stars refund."""

    def __init__(self, target) -> None:
        self._target = target
        self.refund_calls: list[str] = []

    def __getattr__(self, name):
        return getattr(self._target, name)

    def refund_star_payment(self, user_id: int, charge_id: str) -> bool:
        self.refund_calls.append(charge_id)
        raise PermanentFailure("telegram", "CHARGE_NOT_FOUND " + "x" * 300, code="400")


class ClaimsFail:
    """Idempotency keys whose ``claim`` of ``prefix`` keys fails (storage down)."""

    def __init__(self, target, prefix: str) -> None:
        self._target, self._prefix = target, prefix

    def __getattr__(self, name):
        return getattr(self._target, name)

    def claim(self, key: str, now: float) -> bool:
        if key.startswith(self._prefix):
            raise PermanentFailure("tablestore", "unavailable")
        return self._target.claim(key, now)


def use_up_the_micro_limit(world) -> tuple[str, int]:
    """Three micro packages bought; returns a fourth invoice (opened before the limit was reached)."""
    late = invoice_for(world, "micro_10", USER)
    for i in range(3):
        payload, stars = invoice_for(world, "micro_10", USER)
        assert world.pre_checkout(payload, stars) == "pre_checkout:ok"
        assert payment(world, payload, stars, f"m{i}") == "payment:credited"
    return late


def test_a_refund_telegram_refuses_credits_nothing_and_hands_the_charge_to_the_owner_once(world):
    world.user(settings=UserSettings(ui_language="en"))
    late, stars = use_up_the_micro_limit(world)
    chat = RefundRefused(world.chat)
    world.chat = chat
    world.rebuild()
    owner_before, user_before = len(world.texts(OWNER)), len(world.texts(USER))
    assert payment(world, late, stars, "late-1", update_id=9501) == "payment:refund_failed"
    assert world.balance() == 30 and world.users.get(USER).micro_purchases == 3
    assert len(world.logs.payment_rows) == 3
    owner = world.texts(OWNER)[owner_before:]
    assert len(owner) == 1 and "late-1" in owner[0] and "CHARGE_NOT_FOUND" in owner[0]
    assert f"Ann ({USER}) paid 5⭐" in owner[0]  # who, and how much is to be refunded by hand
    error = str(PermanentFailure("telegram", "CHARGE_NOT_FOUND " + "x" * 300))
    assert error[:200] in owner[0] and error[:201] not in owner[0]  # the error, cut at 200 characters
    assert world.texts(USER)[user_before:] == [say("en", M.payment_review)]  # in the user's language
    # Redelivered: the refund is tried again (Telegram refunds a charge once), nobody is told twice.
    assert payment(world, late, stars, "late-1", update_id=9501) == "payment:duplicate"
    assert chat.refund_calls == ["late-1", "late-1"]
    assert len(world.texts(OWNER)) == owner_before + 1 and len(world.texts(USER)) == user_before + 1
    assert world.balance() == 30
    # Another refused charge is its own case for the owner.
    assert payment(world, late, stars, "late-9", update_id=9502) == "payment:refund_failed"
    assert len(world.texts(OWNER)) == owner_before + 2 and "late-9" in world.texts(OWNER)[-1]


def test_a_refund_whose_message_key_cannot_be_stored_still_tells_the_user(world):
    world.user()
    late, stars = use_up_the_micro_limit(world)
    user_before, owner_before = len(world.texts(USER)), len(world.texts(OWNER))
    world.keys = ClaimsFail(world.keys, "refund:")
    world.rebuild()
    assert payment(world, late, stars, "late-2") == "payment:refunded"
    assert world.chat.refunded == ["late-2"] and world.balance() == 30
    told = world.texts(USER)[user_before:]
    assert len(told) == 1 and "5" in told[0]  # the Stars given back
    owner = world.texts(OWNER)[owner_before:]
    assert len(owner) == 1 and "late-2" in owner[0]


def test_a_refunded_payment_redelivered_is_not_refunded_or_told_again(world):
    world.user(settings=UserSettings(ui_language="en"))
    late, stars = use_up_the_micro_limit(world)
    assert payment(world, late, stars, "late-3", update_id=9601) == "payment:refunded"
    assert world.texts(USER)[-1] == say("en", M.micro_refunded, limit=3, stars=5)
    assert (f"Ann ({USER}) paid 5⭐ for the limited package past its limit of 3 (charge late-3)"
            in world.texts(OWNER)[-1])
    told = len(world.texts(USER)), len(world.texts(OWNER))
    assert payment(world, late, stars, "late-3", update_id=9601) == "payment:duplicate"
    assert world.chat.refunded == ["late-3"] and (len(world.texts(USER)), len(world.texts(OWNER))) == told
    assert [e.chat_id for e in world.chat.events if e.kind == "refund"] == [USER]  # the payer's Stars
    assert world.balance() == 30 and world.users.get(USER).micro_purchases == 3


# -- the package list --------------------------------------------------------------------------------


def test_the_package_list_is_in_the_users_language_with_every_title(world):
    world.user(balance=7, settings=UserSettings(ui_language="en"))
    world.text("/buy_minutes")
    event = world.chat.events[-1]
    lines = event.text.split("\n")
    assert event.text.startswith(say("en", M.buy_title, balance=7) + "\n\n")  # the title, then a blank line
    for package_id in ("micro_10", "start_50", "standard_200", "profi_1000", "max_8888"):
        package = find_package(package_id)
        title = say("en", PACKAGE_NAMES[package_id])
        assert any(line.startswith(say("en", M.buy_line, title=title, minutes=package.minutes, stars=package.stars))
                   for line in lines)
    assert not any("а" <= ch <= "я" for ch in event.text.lower())  # nothing left in Russian


def test_a_refused_pre_checkout_is_explained_in_the_users_language(world):
    world.user(settings=UserSettings(ui_language="en"))
    payload, stars = invoice_for(world, "start_50", USER)
    assert world.pre_checkout(payload, stars - 1) == "pre_checkout:refused"
    answer = [e for e in world.chat.events if e.kind == "pre_checkout"][-1]
    assert answer.text == say("en", M.payment_invalid)


def test_the_buttons_name_each_package_in_the_users_language(world):
    world.user(settings=UserSettings(ui_language="en"))
    world.text("/buy_minutes")
    buttons = [b.text for row in world.chat.events[-1].keyboard for b in row]
    expected = []
    for package_id in ("micro_10", "start_50", "standard_200", "profi_1000", "max_8888"):
        package = find_package(package_id)
        expected.append(say("en", M.buy_button, title=say("en", PACKAGE_NAMES[package_id]), minutes=package.minutes,
                            stars=package.stars))
    assert buttons == expected


def test_a_micro_invoice_of_a_user_the_bot_does_not_know_is_refused(world):
    payload = sign_payload(world.payload_secret, "micro_10", OTHER, "n1")
    assert world.pre_checkout(payload, 5, user_id=OTHER) == "pre_checkout:refused"
    answer = [e for e in world.chat.events if e.kind == "pre_checkout"][-1]
    assert answer.text == say("ru", M.payment_invalid)


@pytest.mark.parametrize(("bought", "ok"), [(2, True), (3, False)])
def test_a_first_format_micro_invoice_passes_only_below_the_limit(world, bought, ok):
    world.user(micro_purchases=bought, settings=UserSettings(ui_language="en"))
    legacy = sign_payload(world.payload_secret, "micro_10", USER)
    assert world.pre_checkout(legacy, 5) == ("pre_checkout:ok" if ok else "pre_checkout:refused")
    answer = [e for e in world.chat.events if e.kind == "pre_checkout"][-1]
    assert answer.text == ("" if ok else say("en", M.micro_limit, limit=3))


class AnswerFails:
    """The chat, except that answering a pre-checkout query fails transiently (counted)."""

    def __init__(self, target) -> None:
        self._target, self.answers = target, 0

    def __getattr__(self, name):
        return getattr(self._target, name)

    def answer_pre_checkout(self, query_id, ok, error=""):
        self.answers += 1
        raise TransientFailure("telegram", "timed out", code="timeout")


def test_the_pre_checkout_answer_is_one_attempt_never_retried(world):
    """A second attempt could not arrive within Telegram's 10 s: the answer is made once."""
    world.user()
    payload, stars = invoice_for(world, "start_50", USER)
    chat = AnswerFails(world.chat)
    world.chat = chat
    world.rebuild()
    with pytest.raises(TransientFailure):
        world.pre_checkout(payload, stars)
    assert chat.answers == 1


def test_the_answer_names_the_query(world):
    world.user()
    payload, stars = invoice_for(world, "start_50", USER)
    world.pre_checkout(payload, stars)
    answer = [e for e in world.chat.events if e.kind == "pre_checkout"][-1]
    assert answer.extra["query_id"] == "pcq1" and answer.extra["ok"] is True


def test_an_invoice_signed_by_an_earlier_deployment_is_still_accepted_and_cannot_be_altered() -> None:
    # Signed before this version (HMAC-SHA256, 16 hex digits): invoices stay open across deployments.
    issued = "pkg:start_50:777:abc123:eb27075d8e9e0868"
    parsed = parse_payload(b"invoice-secret", issued)
    assert parsed is not None and (parsed.package.id, parsed.user_id, parsed.nonce) == ("start_50", 777, "abc123")
    assert sign_payload(b"invoice-secret", "start_50", 777, "abc123") == issued
    for altered in (issued.replace(":777:", ":778:"), issued.replace("start_50", "max_8888"),
                    issued.replace("abc123", "abc124")):
        assert parse_payload(b"invoice-secret", altered) is None


def test_the_invoice_is_titled_in_the_users_language(world):
    world.user(settings=UserSettings(ui_language="en"))
    invoice_for(world, "start_50", USER)
    invoice = [e for e in world.chat.events if e.kind == "invoice"][-1]
    assert invoice.text.startswith(say("en", M.invoice_title, minutes=50)[:32])


def test_each_unmatched_payment_is_reported_to_the_owner_with_its_amount(world):
    world.user(settings=UserSettings(ui_language="en"))
    for charge in ("odd-1", "odd-2"):
        assert payment(world, "pkg:max_8888:777:deadbeefdeadbeef", 4444, charge) == "payment:unmatched"
    owner = world.texts(OWNER)
    assert len(owner) == 2 and "odd-1" in owner[0] and "odd-2" in owner[1] and all("4444" in t for t in owner)
    assert world.texts(USER) == [say("en", M.payment_review)] * 2


def test_the_owner_hears_who_paid(world):
    world.user()
    payload, stars = invoice_for(world, "start_50", USER)
    payment(world, payload, stars, "c7")
    assert f"Ann ({USER})" in world.texts(OWNER)[-1]
