"""The chat platform (Telegram) as the use cases see it: send, edit, delete, files, payments."""

from __future__ import annotations

import enum
from abc import abstractmethod
from typing import Protocol

import attrs


@attrs.frozen
class Button:
    """An inline button; ``data`` is the callback payload (at most 64 bytes). With ``web_app_url``
    (HTTPS) the button opens that page as a Telegram Mini App instead (``data`` is then unused)."""

    text: str
    data: str
    web_app_url: str = ""


Keyboard = tuple[tuple[Button, ...], ...]


class EditOutcome(enum.Enum):
    EDITED = "edited"
    NOT_MODIFIED = "not_modified"
    # The message is gone (deleted by the user, too old): send a new one instead.
    MISSING = "missing"
    TOO_LONG = "too_long"


class Chat(Protocol):
    """Every method raises TransientFailure (flood control, 5xx, network) or PermanentFailure.

    ``ChatBlocked`` (a PermanentFailure) means the user blocked the bot: stop talking to them.
    """

    @abstractmethod
    def send_text(
        self, chat_id: int, text: str, *, html: bool = False, keyboard: Keyboard | None = None,
        reply_to: int | None = None,
    ) -> int:
        """Send a message of at most 4096 characters; returns its message id."""

    @abstractmethod
    def edit_text(
        self, chat_id: int, message_id: int, text: str, *, html: bool = False,
        keyboard: Keyboard | None = None,
    ) -> EditOutcome:
        """Replace a message's text; identical text is NOT_MODIFIED, not an error."""

    @abstractmethod
    def delete(self, chat_id: int, message_id: int) -> bool:
        """Delete a message; False when it no longer exists."""

    @abstractmethod
    def send_document(self, chat_id: int, filename: str, data: bytes, *, caption: str = "",
                      keyboard: Keyboard | None = None) -> int:
        """Send a file (with buttons under it if given); returns its message id."""

    @abstractmethod
    def typing(self, chat_id: int) -> None:
        """Show 'typing…' for a few seconds; failures are ignored by the adapter."""

    @abstractmethod
    def send_invoice(
        self, chat_id: int, *, title: str, description: str, payload: str, stars: int
    ) -> int:
        """A Telegram Stars (XTR) invoice with one price; returns its message id."""

    @abstractmethod
    def answer_callback(self, callback_id: str, text: str = "") -> None:
        """Acknowledge a button press."""

    @abstractmethod
    def answer_pre_checkout(self, query_id: str, ok: bool, error: str = "") -> None:
        """Approve or refuse a payment before it is taken."""

    @abstractmethod
    def download(self, file_id: str, max_bytes: int) -> bytes:
        """The file's bytes. Raises FileTooBig above ``max_bytes`` before downloading."""

    def refund_star_payment(self, user_id: int, charge_id: str) -> bool:
        """Give a Telegram Stars payment back (Bot API ``refundStarPayment``); True when refunded.

        Not abstract: an adapter that cannot refund keeps this default, which refunds nothing and
        answers False (the payments use case then credits the purchase and alerts the owner).
        """
        return False

