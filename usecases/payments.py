"""Telegram Stars: invoices, pre-checkout validation and crediting exactly once per charge.

The invoice payload is ``pkg:<package>:<user>:<signature>``, signed with the deployment's
payload secret; pre-checkout refuses an unknown package, a spent purchase limit, a wrong amount
or a payload we did not sign (D13, D14). ``successful_payment`` credits once per
``telegram_payment_charge_id`` (D15), logs it and tells the owner.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

import attrs

from domain.billing import PACKAGES, Package, find_package
from ports.chat import Button
from ports.errors import PortError
from ports.repositories import PaymentLog
from usecases.catalogue import say
from usecases.inbound import IncomingMessage, IncomingPreCheckout, Sender
from usecases.services import BotServices
from usecases.users import ensure_user

log = logging.getLogger(__name__)


@attrs.frozen
class InvoicePayload:
    package: Package
    user_id: int


def sign_payload(secret: bytes, package_id: str, user_id: int) -> str:
    body = f"pkg:{package_id}:{user_id}"
    mac = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()[:16]
    return f"{body}:{mac}"


def parse_payload(secret: bytes, payload: str) -> InvoicePayload | None:
    parts = payload.split(":")
    if len(parts) != 4 or parts[0] != "pkg" or not parts[2].lstrip("-").isdigit():
        return None
    expected = sign_payload(secret, parts[1], int(parts[2]))
    if not hmac.compare_digest(expected, payload):
        return None
    package = find_package(parts[1])
    return InvoicePayload(package, int(parts[2])) if package else None


class Payments:
    def __init__(self, services: BotServices) -> None:
        self._s = services

    def packages_message(self, chat_id: int, lang: str) -> None:
        rows = tuple(
            (Button(say(lang, "buy_button", title=p.title, minutes=p.minutes, stars=p.stars), f"buy:{p.id}"),)
            for p in PACKAGES
        )
        self._s.chat.send_text(chat_id, say(lang, "buy_title"), keyboard=rows)

    def send_invoice(self, chat_id: int, user_id: int, package_id: str, lang: str) -> None:
        package = find_package(package_id)
        if package is None:
            return
        user = self._s.users.get(user_id)
        if package.purchase_limit is not None and user and user.micro_purchases >= package.purchase_limit:
            self._s.chat.send_text(chat_id, say(lang, "micro_limit", limit=package.purchase_limit))
            return
        self._s.chat.send_invoice(
            chat_id, title=say(lang, "invoice_title", minutes=package.minutes)[:32],
            description=say(lang, "invoice_description", title=package.title, minutes=package.minutes)[:255],
            payload=sign_payload(self._s.payload_secret, package.id, user_id), stars=package.stars,
        )

    def pre_checkout(self, query: IncomingPreCheckout) -> None:
        ok, reason = self._validate(query.sender, query.invoice_payload, query.currency, query.total_amount)
        lang = self._lang(query.sender.user_id)
        self._s.chat.answer_pre_checkout(query.query_id, ok, "" if ok else say(lang, reason))

    def _validate(self, sender: Sender, payload: str, currency: str, amount: int) -> tuple[bool, str]:
        parsed = parse_payload(self._s.payload_secret, payload)
        if parsed is None or parsed.user_id != sender.user_id:
            return False, "payment_invalid"
        if currency != "XTR" or amount != parsed.package.stars:
            return False, "payment_invalid"
        limit = parsed.package.purchase_limit
        user = self._s.users.get(sender.user_id)
        if limit is not None and user is not None and user.micro_purchases >= limit:
            return False, "micro_limit"
        return True, ""

    def successful(self, message: IncomingMessage) -> None:
        payment = message.payment
        assert payment is not None
        user = ensure_user(self._s.users, message.sender, self._s.clock)
        lang = user.settings.ui_language
        parsed = parse_payload(self._s.payload_secret, payment.invoice_payload)
        if parsed is None or parsed.user_id != message.sender.user_id or payment.currency != "XTR" \
                or payment.total_amount != parsed.package.stars:
            # Telegram took the Stars, so a person must look at it; nothing is credited blindly.
            log.error("payment with an invalid payload", extra={"user_id": message.sender.user_id})
            self._notify_owner(f"⚠️ Payment with an invalid payload from {message.sender.user_id}: "
                               f"{payment.total_amount} {payment.currency}, charge {payment.telegram_payment_charge_id}")
            return
        charge = payment.telegram_payment_charge_id
        change = self._s.users.apply_balance(user.user_id, f"pay:{charge}", parsed.package.minutes)
        if parsed.package.purchase_limit is not None:
            self._s.users.increment_micro_purchases(user.user_id, f"micro:{charge}", 1_000_000)
        self._s.logs.add_payment(PaymentLog(charge, user.user_id, parsed.package.id, parsed.package.minutes,
                                            payment.total_amount, self._s.clock.now()))
        if not change.applied:
            return  # a redelivered successful_payment: credited already
        self._s.chat.send_text(message.chat_id, say(lang, "payment_ok", minutes=parsed.package.minutes,
                                                     balance=change.balance))
        self._notify_owner(f"💳 {user.display_name} ({user.user_id}) paid {payment.total_amount}⭐ "
                           f"for {parsed.package.minutes} min")

    def _lang(self, user_id: int) -> str:
        user = self._s.users.get(user_id)
        return user.settings.ui_language if user else "ru"

    def _notify_owner(self, text: str) -> None:
        if self._s.owner_id is None:
            return
        try:
            self._s.chat.send_text(self._s.owner_id, text)
        except PortError:
            log.warning("owner notification failed")
