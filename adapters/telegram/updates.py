"""Telegram update JSON → the plain values of ``usecases.inbound``, without importing python-telegram-bot.

The webhook parses one update per invocation; importing PTB for that would cost about 250 ms of
every cold start, so this module reads the few fields the bot needs from the ``dict`` that
``json.loads`` produced (the Bot API's ``Update`` and ``Message`` objects).

The input comes from the internet (the webhook secret keeps strangers out, but never trust a
payload's shape): every field is type-checked, strings and numbers are bounded, and nothing is
traversed beyond the fixed paths below, so deep nesting elsewhere costs nothing.
``parse_update`` returns

- an ``IncomingMessage``, ``IncomingCallback`` or ``IncomingPreCheckout``;
- ``None`` for updates the bot ignores: ``edited_message``, ``channel_post``, ``inline_query``,
  ``my_chat_member`` … and messages with no human sender (no ``from``, a ``sender_chat``, a bot);
- or raises ``MalformedUpdate`` (a ``ValueError``) when a kind the bot handles has the wrong shape.

It raises no other exception, whatever the input.

Media rules: ``voice``, ``audio``, ``video`` and ``video_note`` are always media. A ``document`` is
media when its MIME type is ``audio/*`` or ``video/*`` — or, since Telegram reports many audio
files as ``application/octet-stream`` (ignoring them would drop real audio silently), when the
MIME type is missing, ``application/octet-stream`` or ``application/ogg`` and the file name has an
audio/video extension. Documents have no duration. An ``animation`` (GIF) also carries a
``document`` for backward compatibility; it is not media. A message with neither text, media nor
payment (a photo, a sticker, a PDF) is still returned, with all three ``None``, so the use case can
decide whether to answer with a hint.
"""

from __future__ import annotations

import math
from typing import Any, cast

from domain.audio import MediaKind
from usecases.inbound import (
    IncomingCallback,
    IncomingMessage,
    IncomingPreCheckout,
    MediaRef,
    Sender,
    SuccessfulPayment,
)

__all__ = ["MalformedUpdate", "parse_update", "AUDIO_VIDEO_EXTENSIONS"]

AUDIO_VIDEO_EXTENSIONS = frozenset({
    ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".wav", ".flac", ".aac",
    ".webm", ".mp4", ".mov", ".mkv", ".avi",
})
_GENERIC_MIME = frozenset({"", "application/octet-stream", "application/ogg"})

# Bounds well above anything Telegram sends; beyond them the payload is not from Telegram.
MAX_ID = 2**63 - 1            # chat ids are negative for groups, user ids fit in 52 bits
MAX_TEXT = 16_384             # messages hold ≤ 4096 characters (UTF-16 units)
MAX_NAME = 1_024              # first/last name ≤ 64, username ≤ 32 in practice
MAX_TOKEN = 1_024             # file ids, query ids, charge ids, payloads
MAX_CALLBACK_DATA = 256       # Telegram allows 64 bytes
MAX_DURATION_S = 10**7
MAX_FILE_SIZE = 2**53


class MalformedUpdate(ValueError):
    """The update is of a kind the bot handles, but its shape is not Telegram's."""


def parse_update(data: object) -> IncomingMessage | IncomingCallback | IncomingPreCheckout | None:
    """Parse one update (the ``dict`` from ``json.loads``); see the module docstring for the rules."""
    try:
        return _parse(data)
    except MalformedUpdate:
        raise
    except Exception as exc:  # belt and braces: the promise is "MalformedUpdate or nothing"
        raise MalformedUpdate(f"unparseable update ({type(exc).__name__})") from None


def _parse(data: object) -> IncomingMessage | IncomingCallback | IncomingPreCheckout | None:
    if not isinstance(data, dict):
        raise MalformedUpdate(f"update is {type(data).__name__}, not an object")
    update_id = _int(data, "update_id", "update", minimum=0)
    if "message" in data:
        return _message(update_id, _obj(data, "message", "update"))
    if "callback_query" in data:
        return _callback(update_id, _obj(data, "callback_query", "update"))
    if "pre_checkout_query" in data:
        return _pre_checkout(update_id, _obj(data, "pre_checkout_query", "update"))
    return None  # edited_message, channel_post, inline_query, my_chat_member, … or a future kind


# -- update kinds -----------------------------------------------------------------------------------

def _message(update_id: int, message: dict) -> IncomingMessage | None:
    if message.get("from") is None or message.get("sender_chat") is not None:
        return None  # sent on behalf of a chat (channel, anonymous admin): nobody to bill or answer
    user = _obj(message, "from", "message")
    if user.get("is_bot") is True:
        return None
    sender = _sender(user)
    chat = _obj(message, "chat", "message")
    chat_id = _int(chat, "id", "message.chat")
    chat_type = _str(chat, "type", "message.chat", limit=64)
    message_id = _int(message, "message_id", "message", minimum=0)
    text = _opt_str(message, "text", "message", limit=MAX_TEXT)
    payment = None
    if message.get("successful_payment") is not None:
        payment = _payment(_obj(message, "successful_payment", "message"))
    return IncomingMessage(update_id=update_id, sender=sender, chat_id=chat_id, message_id=message_id,
                           text=text, media=_media(message), payment=payment, chat_type=chat_type)


def _callback(update_id: int, query: dict) -> IncomingCallback:
    sender = _sender(_obj(query, "from", "callback_query"))
    callback_id = _str(query, "id", "callback_query", limit=MAX_TOKEN)
    data = _opt_str(query, "data", "callback_query", limit=MAX_CALLBACK_DATA) or ""
    chat_id = message_id = chat_type = None
    if query.get("message") is not None:  # absent for buttons under inline-mode messages
        message = _obj(query, "message", "callback_query")
        chat = _obj(message, "chat", "callback_query.message")
        chat_id = _int(chat, "id", "callback_query.message.chat")
        # Telegram always sends the type; a payload without one is treated as not private.
        chat_type = _opt_str(chat, "type", "callback_query.message.chat", limit=64) or "unknown"
        message_id = _int(message, "message_id", "callback_query.message", minimum=0)
    return IncomingCallback(update_id=update_id, sender=sender, callback_id=callback_id, data=data,
                            chat_id=chat_id, message_id=message_id, chat_type=chat_type)


def _pre_checkout(update_id: int, query: dict) -> IncomingPreCheckout:
    return IncomingPreCheckout(
        update_id=update_id,
        sender=_sender(_obj(query, "from", "pre_checkout_query")),
        query_id=_str(query, "id", "pre_checkout_query", limit=MAX_TOKEN),
        currency=_str(query, "currency", "pre_checkout_query", limit=16),
        total_amount=_int(query, "total_amount", "pre_checkout_query", minimum=0),
        invoice_payload=_str(query, "invoice_payload", "pre_checkout_query", limit=MAX_TOKEN, empty=True),
    )


def _sender(user: dict) -> Sender:
    return Sender(
        user_id=_int(user, "id", "from"),
        first_name=_opt_str(user, "first_name", "from", limit=MAX_NAME) or "",
        last_name=_opt_str(user, "last_name", "from", limit=MAX_NAME) or "",
        username=_opt_str(user, "username", "from", limit=MAX_NAME) or "",
        language_code=_opt_str(user, "language_code", "from", limit=64) or None,
    )


def _payment(payment: dict) -> SuccessfulPayment:
    return SuccessfulPayment(
        currency=_str(payment, "currency", "successful_payment", limit=16),
        total_amount=_int(payment, "total_amount", "successful_payment", minimum=0),
        invoice_payload=_str(payment, "invoice_payload", "successful_payment", limit=MAX_TOKEN, empty=True),
        telegram_payment_charge_id=_str(payment, "telegram_payment_charge_id", "successful_payment",
                                        limit=MAX_TOKEN),
    )


_ALWAYS_MEDIA = (
    ("voice", MediaKind.VOICE), ("audio", MediaKind.AUDIO), ("video", MediaKind.VIDEO),
    ("video_note", MediaKind.VIDEO_NOTE),
)


def _media(message: dict) -> MediaRef | None:
    for key, kind in _ALWAYS_MEDIA:
        if message.get(key) is not None:
            return _media_ref(_obj(message, key, "message"), kind, key, with_duration=True)
    if message.get("document") is None or message.get("animation") is not None:
        return None
    document = _obj(message, "document", "message")
    ref = _media_ref(document, MediaKind.DOCUMENT, "document", with_duration=False)
    return ref if _is_audio_video_document(ref.mime_type, ref.file_name) else None


def _media_ref(obj: dict, kind: MediaKind, where: str, *, with_duration: bool) -> MediaRef:
    duration = None
    if with_duration and obj.get("duration") is not None:
        duration = _number(obj, "duration", where)
    file_size = None
    if obj.get("file_size") is not None:
        file_size = _int(obj, "file_size", where, minimum=0, maximum=MAX_FILE_SIZE)
    return MediaRef(
        kind=kind,
        file_id=_str(obj, "file_id", where, limit=MAX_TOKEN),
        file_unique_id=_str(obj, "file_unique_id", where, limit=MAX_TOKEN),
        duration_s=duration,
        file_size=file_size,
        mime_type=_opt_str(obj, "mime_type", where, limit=255) or None,
        file_name=_opt_str(obj, "file_name", where, limit=MAX_NAME) or None,
    )


def _is_audio_video_document(mime_type: str | None, file_name: str | None) -> bool:
    mime = (mime_type or "").strip().lower()
    if mime.startswith(("audio/", "video/")):
        return True
    if mime not in _GENERIC_MIME or not file_name:
        return False
    dot = file_name.rfind(".")
    return dot > 0 and file_name[dot:].lower() in AUDIO_VIDEO_EXTENSIONS


# -- typed field readers ------------------------------------------------------------------------------

def _obj(parent: dict, key: str, where: str) -> dict:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise MalformedUpdate(f"{where}.{key}: expected an object, got {_kind(value)}")
    return value


def _int(parent: dict, key: str, where: str, *, minimum: int = -MAX_ID, maximum: int = MAX_ID) -> int:
    value = parent.get(key)
    if type(value) is not int:  # bool is an int subclass; floats are not ids
        raise MalformedUpdate(f"{where}.{key}: expected an integer, got {_kind(value)}")
    if not minimum <= value <= maximum:
        raise MalformedUpdate(f"{where}.{key}: integer out of range")
    return value


def _number(parent: dict, key: str, where: str) -> float:
    value = parent.get(key)
    if type(value) not in (int, float):
        raise MalformedUpdate(f"{where}.{key}: expected a number, got {_kind(value)}")
    if type(value) is int and abs(value) > MAX_DURATION_S:  # before float(): huge ints overflow
        raise MalformedUpdate(f"{where}.{key}: number out of range")
    number = float(cast(float, value))  # the exact type check above admits int and float only
    if not math.isfinite(number) or not 0 <= number <= MAX_DURATION_S:
        raise MalformedUpdate(f"{where}.{key}: number out of range")
    return number


def _str(parent: dict, key: str, where: str, *, limit: int, empty: bool = False) -> str:
    value = parent.get(key)
    if not isinstance(value, str):
        raise MalformedUpdate(f"{where}.{key}: expected a string, got {_kind(value)}")
    if len(value) > limit:
        raise MalformedUpdate(f"{where}.{key}: string longer than {limit}")
    if not value and not empty:
        raise MalformedUpdate(f"{where}.{key}: empty string")
    return value


def _opt_str(parent: dict, key: str, where: str, *, limit: int) -> str | None:
    if parent.get(key) is None:
        return None
    return _str(parent, key, where, limit=limit, empty=True)


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__
