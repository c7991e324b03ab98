"""Telegram Stars: the package list, invoices, pre-checkout validation, crediting exactly once.

Payload. An invoice carries ``pkg:<package>:<user>:<nonce>:<mac>``: the nonce names this one
invoice and the MAC (HMAC-SHA256 with the deployment's payload secret, 16 hex digits) proves we
issued it. Pre-checkout refuses a payload we did not sign, another user's invoice, an unknown
package, a wrong currency or amount; it compares against what the payload really carries, so a
real invoice passes (the tests pay one).
Payloads without a nonce (``pkg:<package>:<user>:<mac>``, the first format) are still accepted.

The limited package (``micro_10``, 3 purchases). The limit is checked when the button is
pressed, and enforced at pre-checkout (several invoices can be open
at once, so the button alone cannot hold the limit) with a *reservation*: the purchase counter is
incremented there, conditionally (never beyond the limit) and exactly once per invoice (operation
key ``micro:<nonce>``). Telegram takes the Stars only after our ``ok``, so two invoices paid at
the same moment cannot both pass: the second reservation fails and its pre-checkout is refused.
``successful_payment`` enforces the limit again, per payment (``Users.count_paid_purchase``,
exactly once per ``telegram_payment_charge_id``): the first payment of an invoice takes that
invoice's reservation, and any other payment — the same invoice paid a second time (a forwarded
copy: the reservation key is per invoice, so its pre-checkout passes again), a legacy invoice —
needs a free slot. A payment over the limit has taken Stars for goods the bot will not sell, and
Telegram requires the goods or the money back: it is refunded (``Chat.refund_star_payment``), the
user told, the owner alerted; nothing is credited. Where the chat adapter cannot refund (its port
default), the minutes are credited after all — the user paid — and the owner is alerted to refund
by hand; a refund the platform refuses credits nothing and is left to the owner with the charge id.
(Why refund rather than credit: crediting would make the limit a suggestion, and the attack —
paying one forwarded invoice again and again — would keep working at the promotional price.)
Residual window, accepted: when Telegram fails a payment *after* our ``ok`` (rare; nothing
tells the bot), the reservation stays and the user has one micro purchase fewer. That errs on the
seller's side for a 5⭐ promotional package; the owner can see it in ``/export payments``
(purchases without a payment row). A legacy payload has no nonce: its pre-checkout only checks
the counter and the payment counts it (two such invoices can both pass pre-checkout, and the payment
over the limit is then refunded; that window stays open for those old invoices only).

``successful_payment``: Telegram has taken the Stars, so the minutes are credited (bar a refund
over the limit, above), exactly once per ``telegram_payment_charge_id`` (Telegram may
deliver the same update again), logged (one row per
charge) and reported to the owner. The confirmation goes to the payer's private chat, wherever
the invoice was paid. A payment we cannot match is never credited
blindly: the owner is told to look, the user that a person will.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging

import attrs

from domain.billing import PACKAGES, Package, find_package
from domain.policy import Policy
from domain.users import User
from ports.chat import Button, Chat
from ports.clock import Clock, Ids
from ports.errors import PermanentFailure, PortError
from ports.repositories import IdempotencyKeys, Logs, PaymentLog, Users
from presentation.callbacks import BuyPress, encode
from presentation.catalogue import PACKAGE_NAMES, owner_say, say
from presentation.keys import OM, Key, M
from usecases import budget
from usecases.inbound import IncomingMessage, IncomingPreCheckout, Sender
from usecases.users import ensure_user

log = logging.getLogger(__name__)

@attrs.frozen
class InvoicePayload:
    package: Package
    user_id: int
    nonce: str = ""


def _mac(secret: bytes, body: str) -> str:
    return hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()[:16]


def sign_payload(secret: bytes, package_id: str, user_id: int, nonce: str = "") -> str:
    """The invoice payload; ``nonce`` (letters, digits, ``-``, ``_``) names one invoice."""
    if any(not (c.isalnum() or c in "-_") for c in nonce):
        raise ValueError("nonce must be alphanumeric")
    body = f"pkg:{package_id}:{user_id}" + (f":{nonce}" if nonce else "")
    return f"{body}:{_mac(secret, body)}"


def parse_payload(secret: bytes, payload: str) -> InvoicePayload | None:
    parts = payload.split(":")
    if len(parts) not in (4, 5) or parts[0] != "pkg" or not parts[2].lstrip("-").isdigit():
        return None
    body, mac = ":".join(parts[:-1]), parts[-1]
    if not hmac.compare_digest(_mac(secret, body), mac):
        return None
    package = find_package(parts[1])
    nonce = parts[3] if len(parts) == 5 else ""
    return InvoicePayload(package, int(parts[2]), nonce) if package else None


def package_title(lang: str, package: Package) -> str:
    return say(lang, PACKAGE_NAMES[package.id])


class InvoiceOutcome(enum.StrEnum):
    """What a package button led to (its route's detail)."""

    UNKNOWN = "unknown"  # no such package
    LIMIT = "limit"  # the package's purchase limit is reached
    SENT = "invoice"


class PaymentOutcome(enum.StrEnum):
    """What became of a successful payment (its route's detail)."""

    UNMATCHED = "unmatched"  # not an invoice of ours for this payer: the owner reviews it
    DUPLICATE = "duplicate"  # a redelivery: handled already
    CREDITED = "credited"
    CREDITED_OVER_LIMIT = "credited_over_limit"  # over the limit and not refundable: credited, owner told
    REFUNDED = "refunded"  # over the package's limit: given back
    REFUND_FAILED = "refund_failed"  # over the limit, the refund refused: the owner reviews it


class Payments:
    def __init__(self, *, users: Users, keys: IdempotencyKeys, logs: Logs, chat: Chat, clock: Clock, ids: Ids,
                 policy: Policy, owner_id: int | None, payload_secret: bytes) -> None:
        self._users = users
        self._keys = keys
        self._logs = logs
        self._chat = chat
        self._clock = clock
        self._ids = ids
        self._policy = policy
        self._owner_id = owner_id
        self._payload_secret = payload_secret

    # -- /buy_minutes and the buy:<package> button ---------------------------------------------------
    def packages_message(self, chat_id: int, user_id: int, lang: str) -> None:
        user = self._users.get(user_id)
        bought = user.micro_purchases if user else 0
        lines = [say(lang, M.buy_title, balance=user.balance_minutes if user else 0), ""]
        rows = []
        for p in PACKAGES:
            title = package_title(lang, p)
            line = say(lang, M.buy_line, title=title, minutes=p.minutes, stars=p.stars)
            if p.purchase_limit is not None:
                line += say(lang, M.buy_limit_note, limit=p.purchase_limit, left=max(0, p.purchase_limit - bought))
            lines.append(line)
            rows.append((Button(say(lang, M.buy_button, title=title, minutes=p.minutes, stars=p.stars),
                                encode(BuyPress(p.id))),))
        self._chat.send_text(chat_id, "\n".join(lines), keyboard=tuple(rows))

    def send_invoice(self, chat_id: int, user_id: int, package_id: str, lang: str) -> InvoiceOutcome:
        package = find_package(package_id)
        if package is None:
            return InvoiceOutcome.UNKNOWN
        user = self._users.get(user_id)
        if package.purchase_limit is not None and user and user.micro_purchases >= package.purchase_limit:
            self._chat.send_text(chat_id, say(lang, M.micro_limit, limit=package.purchase_limit))
            return InvoiceOutcome.LIMIT
        nonce = "".join(c for c in self._ids.new_id() if c.isalnum())[:16]
        self._chat.send_invoice(
            chat_id, title=say(lang, M.invoice_title, minutes=package.minutes)[:32],
            description=say(lang, M.invoice_description, title=package_title(lang, package),
                            minutes=package.minutes)[:255],
            payload=sign_payload(self._payload_secret, package.id, user_id, nonce), stars=package.stars,
        )
        return InvoiceOutcome.SENT

    # -- pre_checkout_query ----------------------------------------------------------------------------
    def pre_checkout(self, query: IncomingPreCheckout) -> bool:
        """Approve or refuse, within Telegram's 10 s.

        The checks are pure except for a limited package (one user read, one conditional
        increment); they start no storage call after ``PRE_CHECKOUT_BUDGET_S`` and a storage
        failure refuses with "try again" instead of leaving the query unanswered. The answer
        itself is one attempt capped by the chat adapter (``PRE_CHECKOUT_ANSWER_TIMEOUT_S``);
        ``domain.policy.pre_checkout_worst_case_s`` sums the path.
        """
        users: dict[int, User | None] = {}
        with budget.within(self._clock, self._policy.timeouts.pre_checkout_budget_s):
            try:
                refusal = self._refusal(query.sender, query.invoice_payload, query.currency, query.total_amount,
                                        users)
            except PortError as exc:
                log.warning("pre-checkout not verified; refused", extra={"error": str(exc)})
                refusal = M.payment_retry, {}
            error = ""
            if refusal:
                error = say(self._lang_within_budget(query.sender.user_id, users), refusal[0], **refusal[1])
        # One attempt, not the retried port: a second one could not arrive within Telegram's 10 s.
        chat = getattr(self._chat, "wrapped", self._chat)
        chat.answer_pre_checkout(query.query_id, refusal is None, error)
        return refusal is None

    def _lang_within_budget(self, user_id: int, users: dict[int, User | None]) -> str:
        if user_id not in users:
            try:
                users[user_id] = self._users.get(user_id)
            except PortError:
                users[user_id] = None
        user = users[user_id]
        return user.settings.ui_language if user else "ru"

    def _refusal(self, sender: Sender, payload: str, currency: str, amount: int,
                 users: dict[int, User | None]) -> tuple[Key, dict[str, object]] | None:
        """None when the payment may go ahead, else the message (and params) of the reason."""
        parsed = parse_payload(self._payload_secret, payload)
        if parsed is None or parsed.user_id != sender.user_id:
            return M.payment_invalid, {}
        if currency != "XTR" or amount != parsed.package.stars:
            return M.payment_invalid, {}
        limit = parsed.package.purchase_limit
        if limit is None:
            return None
        user = users[sender.user_id] = self._users.get(sender.user_id)
        if user is None:
            return M.payment_invalid, {}  # invoices are only ever sent to known users
        if not parsed.nonce:
            return None if user.micro_purchases < limit else (M.micro_limit, {"limit": limit})
        # The reservation: counted now, once per invoice, never beyond the limit.
        if not self._users.increment_micro_purchases(user.user_id, f"micro:{parsed.nonce}", limit):
            return M.micro_limit, {"limit": limit}
        return None

    # -- successful_payment ------------------------------------------------------------------------------
    def successful(self, message: IncomingMessage) -> PaymentOutcome:
        payment = message.payment
        assert payment is not None
        user = ensure_user(self._users, message.sender, self._clock)
        lang = user.settings.ui_language
        parsed = parse_payload(self._payload_secret, payment.invoice_payload)
        charge = payment.telegram_payment_charge_id
        if parsed is None or parsed.user_id != message.sender.user_id or payment.currency != "XTR" \
                or payment.total_amount != parsed.package.stars:
            # Telegram took the Stars, so a person must look at it; nothing is credited blindly.
            log.error("payment with an invalid payload", extra={"user_id": user.user_id})
            if self._keys.claim(f"payment-review:{charge}", self._clock.now()):
                self._notify_owner(owner_say(OM.payment_unmatched, user_id=user.user_id, amount=payment.total_amount,
                                             currency=payment.currency, charge=charge))
                self._tell(user.user_id, say(lang, M.payment_review))
            return PaymentOutcome.UNMATCHED
        package = parsed.package
        over_limit = False
        if package.purchase_limit is not None:
            reservation = f"micro:{parsed.nonce}" if parsed.nonce else None
            over_limit = not self._users.count_paid_purchase(
                user.user_id, f"micro-charge:{charge}", reservation, package.purchase_limit)
            if over_limit:
                refunded = self._refund_over_limit(user, package, charge, payment.total_amount)
                if refunded is not None:
                    return refunded
                # No refund available: the user paid, so they get the minutes; the owner decides.
        change = self._users.apply_balance(user.user_id, f"pay:{charge}", package.minutes)
        logged = self._logs.add_payment(PaymentLog(charge, user.user_id, package.id, package.minutes,
                                                     payment.total_amount, self._clock.now()))
        if not (change.applied or logged):
            return PaymentOutcome.DUPLICATE  # a redelivered successful_payment: credited, logged and told already
        balance = change.balance if change.applied else (self._users.get(user.user_id) or user).balance_minutes
        # The payer's private chat (its id is the user's): never an answer into a group.
        self._tell(user.user_id, say(lang, M.payment_ok, minutes=package.minutes, balance=balance))
        self._notify_owner(owner_say(OM.payment_owner, name=user.display_name, user_id=user.user_id,
                                     stars=payment.total_amount, minutes=package.minutes, package=package.id,
                                     balance=balance))
        if over_limit:
            self._notify_owner(owner_say(OM.micro_over_limit_credited, name=user.display_name, user_id=user.user_id,
                                         limit=package.purchase_limit, stars=payment.total_amount, charge=charge))
            return PaymentOutcome.CREDITED_OVER_LIMIT
        return PaymentOutcome.CREDITED

    def _refund_over_limit(self, user: User, package: Package, charge: str, stars: int) -> PaymentOutcome | None:
        """Give back a payment over the package's limit; the route, or None when the chat cannot refund.

        Telegram refunds a charge once (a second ``refundStarPayment`` is refused, which the Chat
        adapters report as refunded), so the refund itself is attempted on every delivery and the
        key ``refund:{charge}``, claimed after it, only keeps the messages to one: an outage propagates (503, the redelivery refunds), and a
        refusal on a redelivery whose key is taken is the earlier delivery's own refund.
        """
        lang = user.settings.ui_language
        try:
            refunded = self._chat.refund_star_payment(user.user_id, charge)
        except PermanentFailure as exc:
            if not self._keys.claim(f"refund:{charge}", self._clock.now()):
                return PaymentOutcome.DUPLICATE  # refunded (or handed to the owner) by an earlier delivery
            log.error("refund over the purchase limit refused", extra={"user_id": user.user_id, "error": str(exc)})
            self._notify_owner(owner_say(OM.micro_refund_failed, name=user.display_name, user_id=user.user_id,
                                         stars=stars, charge=charge, error=str(exc)[:200]))
            self._tell(user.user_id, say(lang, M.payment_review))
            return PaymentOutcome.REFUND_FAILED
        if not refunded:
            return None
        try:
            first = self._keys.claim(f"refund:{charge}", self._clock.now())
        except PortError:
            first = True  # refunded for sure: better a repeated message than none
        if first:
            self._tell(user.user_id, say(lang, M.micro_refunded, limit=package.purchase_limit, stars=stars))
            self._notify_owner(owner_say(OM.micro_refunded_owner, name=user.display_name, user_id=user.user_id,
                                         limit=package.purchase_limit, stars=stars, charge=charge))
            return PaymentOutcome.REFUNDED
        return PaymentOutcome.DUPLICATE  # a redelivery: the charge was given back by the earlier delivery

    # -- helpers ---------------------------------------------------------------------------------------
    def _tell(self, chat_id: int, text: str) -> None:
        try:
            self._chat.send_text(chat_id, text)
        except PortError:
            log.warning("payment message not delivered", extra={"chat_id": chat_id})

    def _notify_owner(self, text: str) -> None:
        if self._owner_id is None:
            return
        try:
            self._chat.send_text(self._owner_id, text)
        except PortError:
            log.warning("owner notification failed")

