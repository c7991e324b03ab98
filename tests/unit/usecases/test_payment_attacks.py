"""Payments seen by someone trying to get minutes for less, and by the owner who must check them:
every invoice its own reservation, every message in the payer's language with the numbers the
owner needs, every key of the payment ledger stamped with its time.

Assertions are about money and who is told, so they hold whatever the wording of the messages."""

from __future__ import annotations

from adapters.memory.clock import SequentialIds
from domain.billing import PACKAGES
from domain.users import UserSettings
from ports.errors import PermanentFailure
from presentation.catalogue import CATALOGUES, PACKAGE_NAMES, say
from presentation.keys import M
from tests.world import OWNER, USER
from usecases.inbound import IncomingMessage, IncomingPreCheckout, SuccessfulPayment
from usecases.payments import Payments, sign_payload

OTHER = 888


class RefundRefused:
    """The chat, except that Telegram refuses every Stars refund."""

    def __init__(self, target) -> None:
        self._target = target

    def __getattr__(self, name):
        return getattr(self._target, name)

    def refund_star_payment(self, user_id: int, charge_id: str) -> bool:
        raise PermanentFailure("telegram", "CHARGE_NOT_FOUND", code="400")


def invoice_for(world, package: str, user_id: int = USER):
    world.press(f"buy:{package}", user_id=user_id, message_id=1)
    return [e for e in world.chat.events if e.kind == "invoice" and e.chat_id == user_id][-1]


def payment(world, payload: str, amount: int, charge: str, *, currency: str = "XTR", user_id: int = USER) -> str:
    message = IncomingMessage(9000 + len(world.chat.events), world.sender(user_id), user_id, 1,
                              payment=SuccessfulPayment(currency, amount, payload, charge))
    return world.accept(message)


# -- one invoice, one reservation -----------------------------------------------------------------------


def test_invoices_named_by_ids_with_a_common_prefix_each_reserve_their_own_micro_purchase(world):
    """Ids of any shape (here a long common prefix) still name distinct invoices: two open micro
    invoices are two reservations, so the last free slot is sold once, not twice."""
    world.ids = SequentialIds("invoice")
    world.rebuild()
    world.user(micro_purchases=2)
    first, second = invoice_for(world, "micro_10"), invoice_for(world, "micro_10")
    assert first.extra["payload"] != second.extra["payload"]
    assert world.pre_checkout(first.extra["payload"], 5) == "pre_checkout:ok"
    assert world.pre_checkout(second.extra["payload"], 5) == "pre_checkout:refused"
    assert world.users.get(USER).micro_purchases == 3


# -- what the payer sees ----------------------------------------------------------------------------------


def test_the_limit_refusal_at_the_button_is_in_the_users_language(world):
    world.user(micro_purchases=3, settings=UserSettings(ui_language="en"))
    assert world.press("buy:micro_10", message_id=1) == "buy:limit"
    assert world.texts(USER)[-1] == say("en", M.micro_limit, limit=3)
    assert not [e for e in world.chat.events if e.kind == "invoice"]


def test_the_invoice_describes_its_package_in_the_users_language(world):
    world.user(settings=UserSettings(ui_language="en"))
    for package in PACKAGES:
        invoice = invoice_for(world, package.id)
        title = say("en", PACKAGE_NAMES[package.id])
        assert invoice.extra["description"] == say("en", M.invoice_description, title=title,
                                                   minutes=package.minutes)
        assert title in invoice.extra["description"] and str(package.minutes) in invoice.extra["description"]


def test_every_invoice_text_fits_telegrams_limits_in_every_language(world):
    """sendInvoice takes a title of 1-32 and a description of 1-255 characters."""
    for n, lang in enumerate(sorted(CATALOGUES)):
        user_id = 1000 + n
        world.user(user_id=user_id, settings=UserSettings(ui_language=lang))
        for package in PACKAGES:
            invoice = invoice_for(world, package.id, user_id)
            assert 1 <= len(invoice.text) <= 32
            assert 1 <= len(invoice.extra["description"]) <= 255


def test_the_package_list_of_a_user_without_a_row_shows_nothing_bought_and_no_balance(world):
    """The list read for someone whose row is gone (deleted meanwhile): balance 0, the whole limit left."""
    world.container.payments().packages_message(OTHER, OTHER, "en")
    text = world.texts(OTHER)[-1]
    assert text.startswith(say("en", M.buy_title, balance=0) + "\n")
    assert say("en", M.buy_limit_note, limit=3, left=3) in text
    assert world.users.get(OTHER) is None  # listing packages creates nobody


# -- what the owner needs to act on ----------------------------------------------------------------------


def test_an_unmatched_payment_tells_the_owner_its_currency(world):
    world.user()
    invoice = invoice_for(world, "start_50")
    assert payment(world, invoice.extra["payload"], 35, "odd-cur", currency="EUR") == "payment:unmatched"
    owner = world.texts(OWNER)[-1]
    assert "35 EUR" in owner and "odd-cur" in owner


def test_a_micro_payment_credited_past_the_limit_tells_the_owner_who_how_much_and_which_limit(world):
    world.user(micro_purchases=3)
    world.chat.can_refund = False
    late = sign_payload(world.payload_secret, "micro_10", USER, "opened1")  # opened before the limit
    assert payment(world, late, 5, "over-1") == "payment:credited_over_limit"
    owner = world.texts(OWNER)[-1]
    assert f"Ann ({USER}) paid 5⭐" in owner and "limit of 3" in owner and "over-1" in owner


# -- the ledger's keys carry their time -------------------------------------------------------------------


def test_every_payment_key_is_stamped_with_the_time_it_was_claimed(world):
    """The stored keys keep when they were claimed (a row without a time cannot be written)."""
    world.user(micro_purchases=3)
    world.clock.advance(1234)
    now = world.clock.now()
    assert payment(world, "pkg:max_8888:777:deadbeefdeadbeef", 4444, "odd-t") == "payment:unmatched"
    late = sign_payload(world.payload_secret, "micro_10", USER, "opened1")  # opened before the limit
    assert payment(world, late, 5, "late-t") == "payment:refunded"
    world.chat = RefundRefused(world.chat)
    world.rebuild()
    assert payment(world, late, 5, "late-r") == "payment:refund_failed"
    stamps = {key: world.keys.claimed[key] for key in ("payment-review:odd-t", "refund:late-t", "refund:late-r")}
    assert stamps == dict.fromkeys(stamps, now)


def test_pre_checkout_is_answered_over_a_chat_without_a_retrying_wrapper(world):
    """The use case takes any Chat port: given the adapter itself, it answers through it."""
    world.user()
    payments = Payments(users=world.users, keys=world.keys, logs=world.logs, chat=world.chat, clock=world.clock,
                        ids=world.ids, policy=world.policy, owner_id=OWNER, payload_secret=world.payload_secret)
    payload = sign_payload(world.payload_secret, "start_50", USER, "n1")
    assert payments.pre_checkout(IncomingPreCheckout(1, world.sender(), "pcq9", "XTR", 35, payload)) is True
    answers = [e for e in world.chat.events if e.kind == "pre_checkout"]
    assert [(a.extra["query_id"], a.extra["ok"]) for a in answers] == [("pcq9", True)]
