"""The owner's ``/refund <charge_id>``: a Stars payment given back, and the minutes it bought taken back.

Exactly once, however often the command is delivered or typed:
1. the payment is looked up by its charge id in the payment log (its user, package, minutes, Stars);
   an unknown charge changes nothing;
2. the Stars go back through ``Chat.refund_star_payment`` (Bot API ``refundStarPayment``). Telegram
   refunds a charge once; the adapters report a repeat as refunded, so a retry after an outage, or
   the command typed twice, is harmless. A refusal (the charge is not refundable) changes nothing
   and is reported; an outage propagates (the webhook answers 503 and the update comes again);
3. the minutes leave the balance under the operation key ``refund-payment:{charge}`` — applied once
   per charge — never below zero: when some were already used, whatever is left is taken (down to
   zero) and both the owner and the user are told how many of the purchase's minutes that was;
4. the user is told once (the balance operation that applied), the owner every time (a repeat says
   it was already refunded).
The Stars go back first: if taking the minutes meets an outage, the redelivered command refunds
again (a no-op) and takes them then; the reverse order could take minutes for a refund that never
happens.
"""

from __future__ import annotations

import logging

from ports.chat import Chat
from ports.errors import PermanentFailure, PortError, TransientFailure
from ports.repositories import Logs, PaymentLog, Users
from presentation.catalogue import owner_say, say
from presentation.keys import OM, M

log = logging.getLogger(__name__)

# A debit that meets a balance changing under it is tried again with what is left (never below zero).
DEBIT_ATTEMPTS = 5


def refund_op_key(charge_id: str) -> str:
    return f"refund-payment:{charge_id}"


class PaymentRefunds:
    def __init__(self, *, users: Users, logs: Logs, chat: Chat) -> None:
        self._users = users
        self._logs = logs
        self._chat = chat

    def find(self, charge_id: str) -> PaymentLog | None:
        return next((p for p in self._logs.payments(0.0) if p.charge_id == charge_id), None)

    def refund(self, charge_id: str) -> str:
        """Refund one payment; returns the owner's report."""
        payment = self.find(charge_id)
        if payment is None:
            return owner_say(OM.refund_unknown, charge=charge_id)
        user = self._users.get(payment.user_id)
        name = user.display_name if user else str(payment.user_id)
        try:
            refunded = self._chat.refund_star_payment(payment.user_id, charge_id)
        except PermanentFailure as exc:
            log.warning("refund refused", extra={"user_id": payment.user_id, "error": str(exc)})
            return owner_say(OM.refund_refused, charge=charge_id, name=name, user_id=payment.user_id,
                                        error=str(exc)[:200])
        if not refunded:
            return owner_say(OM.refund_unavailable)
        key = refund_op_key(charge_id)
        change = self._users.apply_balance(payment.user_id, key, -payment.minutes)
        taken = payment.minutes
        for _ in range(DEBIT_ATTEMPTS):
            if not change.insufficient:
                break
            taken = change.balance  # some were used: take what is left, down to zero
            change = self._users.apply_balance(payment.user_id, key, -taken)
        if change.duplicate:
            return owner_say(OM.refund_repeat, charge=charge_id, name=name, user_id=payment.user_id,
                                       balance=change.balance)
        if change.insufficient:  # the balance kept changing: the redelivered command finishes it
            raise TransientFailure("users", "balance kept changing during a refund", code="busy")
        missing = payment.minutes - taken
        used = owner_say(OM.refund_used, missing=missing) if missing else ""
        report = owner_say(OM.refund_done, stars=payment.stars, name=name, user_id=payment.user_id, charge=charge_id,
                           taken=taken, minutes=payment.minutes, used=used, balance=change.balance)
        lang = user.settings.ui_language if user else "ru"
        text = (say(lang, M.refunded_by_owner_used, stars=payment.stars, minutes=taken, bought=payment.minutes,
                    balance=change.balance) if missing else
                say(lang, M.refunded_by_owner, stars=payment.stars, minutes=taken, balance=change.balance))
        try:
            self._chat.send_text(payment.user_id, text)
        except PortError:
            log.warning("user not told about a refund", extra={"user_id": payment.user_id})
        return report
