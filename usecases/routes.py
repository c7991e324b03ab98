"""What handling one update did, as a value: the webhook's answer and the logs' "route".

A ``Route`` names where the update went (``Via``) and what came of it there (``detail``: the
outcome enum of the use case that handled it — ``MediaOutcome``, ``PaymentOutcome``,
``ActionOutcome``… — or a command's name). Only at the edge is it written out, as the short
form ``str(route)`` ("media:queued", "command:help", "act:summary:stored") that the webhook puts
in its JSON answer and its log line; nothing parses that form back.
"""

from __future__ import annotations

import enum

import attrs


class Via(enum.StrEnum):
    """Where an update went."""

    PRE_CHECKOUT = "pre_checkout"  # Telegram asks whether a payment may go ahead
    PAYMENT = "payment"  # a successful payment to credit
    MEDIA = "media"  # a voice message, audio, video or document to transcribe
    COMMAND = "command"  # a user's /command
    OWNER = "owner"  # the owner's command or button
    BUY = "buy"  # a package button: an invoice
    SETTINGS = "settings"  # a settings or language button
    EXPORT = "export"  # a .txt/.srt/.vtt button under a transcript
    ACTION = "act"  # an action button under a transcript, or the answer to its question
    HINT = "hint"  # text that is not a command: what the bot is for
    UNKNOWN = "unknown"  # a command the bot does not have
    DUPLICATE = "duplicate"  # an update handled already
    IGNORED = "ignored"  # not ours, or not for this sender: no reaction


@attrs.frozen
class Route:
    via: Via
    detail: tuple[str, ...] = ()  # str: the handling use case's outcome (a StrEnum) or a command's name

    def __str__(self) -> str:
        return ":".join((self.via.value, *self.detail))


IGNORED = Route(Via.IGNORED)
