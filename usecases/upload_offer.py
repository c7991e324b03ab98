"""The bot's offer of the Mini App: a message with a button that opens the upload page."""

from __future__ import annotations

from ports.chat import Button, Chat
from usecases.upload_texts import upload_text


def offer_upload(chat: Chat, chat_id: int, lang: str, *, miniapp_url: str, max_bytes: int, reason: str,
                 reply_to: int | None = None) -> bool:
    """Send the ``reason`` message ("too_big_offer" or "upload_offer") with the Mini App button.
    False (nothing sent) when no Mini App is configured: the caller says what it said before."""
    if not miniapp_url:
        return False
    button = Button(upload_text(lang, "upload_button"), "upload", web_app_url=miniapp_url)
    chat.send_text(chat_id, upload_text(lang, reason, max_mb=max_bytes // (1024 * 1024)),
                   keyboard=((button,),), reply_to=reply_to)
    return True
