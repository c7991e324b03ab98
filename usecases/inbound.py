"""What arrives from the chat platform, as plain values the use cases understand.

``adapters/telegram/updates.py`` turns Telegram update JSON into these; the local runner and
the tests build them the same way, so every path enters the bot through one door.
"""

from __future__ import annotations

import attrs

from domain.audio import MediaKind
from domain.users import Sender as Sender  # the sender of an update (re-exported for the parsers)


@attrs.frozen
class MediaRef:
    """An attachment to transcribe; ``duration_s`` is None for documents (Telegram gives none)."""

    kind: MediaKind
    file_id: str
    file_unique_id: str
    duration_s: float | None = None
    file_size: int | None = None
    mime_type: str | None = None
    file_name: str | None = None


@attrs.frozen
class SuccessfulPayment:
    currency: str
    total_amount: int
    invoice_payload: str
    telegram_payment_charge_id: str


@attrs.frozen
class IncomingMessage:
    update_id: int
    sender: Sender
    chat_id: int
    message_id: int
    text: str | None = None
    media: MediaRef | None = None
    payment: SuccessfulPayment | None = None
    chat_type: str = "private"


@attrs.frozen
class IncomingCallback:
    update_id: int
    sender: Sender
    callback_id: str
    data: str
    chat_id: int | None = None
    message_id: int | None = None
    # The type of the chat the button's message is in (None: an inline-mode message, no chat).
    chat_type: str | None = "private"


@attrs.frozen
class IncomingPreCheckout:
    update_id: int
    sender: Sender
    query_id: str
    currency: str
    total_amount: int
    invoice_payload: str


Incoming = IncomingMessage | IncomingCallback | IncomingPreCheckout
