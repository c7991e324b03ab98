"""The bot's offer of the Mini App: a message with a button that opens the upload page."""

from __future__ import annotations

import attrs

from domain.uploads import DEFAULT_MAX_UPLOAD_BYTES
from ports.chat import Button, Chat
from presentation.catalogue import say
from presentation.keys import Key, M


@attrs.frozen
class UploadOffer:
    """Where the Mini App is (MINIAPP_URL; empty: not offered) and the largest file it takes."""

    miniapp_url: str = ""
    max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES

    @property
    def max_mb(self) -> int:
        return self.max_bytes // (1024 * 1024)

    def send(self, chat: Chat, chat_id: int, lang: str, reason: Key, reply_to: int | None = None) -> bool:
        """Send the ``reason`` message (``M.upload_too_big_offer`` or ``M.upload_offer``, both taking
        ``max_mb``) with the Mini App button.
        False (nothing sent) when no Mini App is configured: the caller says what it said before."""
        if not self.miniapp_url:
            return False
        button = Button(say(lang, M.upload_button), "upload", web_app_url=self.miniapp_url)
        chat.send_text(chat_id, say(lang, reason, max_mb=self.max_mb),
                       keyboard=((button,),), reply_to=reply_to)
        return True


# No Mini App configured: files over the download limit are refused as before.
NO_UPLOAD_OFFER = UploadOffer()
