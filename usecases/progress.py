"""The status message a user watches while a file is processed.

Every stage edits one message in place. A failing edit never aborts the job: progress is a
courtesy, the transcript is the product. If the message vanished,
a new one is posted and used from then on.

``progress_text`` turns a stage (a message key ``M.stage_*`` and its parameters) into the text:
an ``eta_s`` parameter (seconds left, estimated by the transcriber on long jobs) selects the
stage's variant with the time left (``presentation.catalogue.STAGE_WITH_ETA``) with the time in words ("about 3 minutes left").
"""

from __future__ import annotations

import logging
import threading

from ports.chat import Chat, EditOutcome
from ports.errors import ChatBlocked, PortError
from presentation.catalogue import STAGE_WITH_ETA, say
from presentation.keys import Key, M

log = logging.getLogger(__name__)


def progress_text(lang: str, key: Key, eta_s: float | None = None, **params: object) -> str:
    """The status text of a stage, in ``lang``; with ``eta_s``, the time left too (whole minutes,
    rounded; under half a minute "less than a minute")."""
    if eta_s is None:
        return say(lang, key, **params)
    minutes = int(eta_s / 60 + 0.5)
    eta = say(lang, M.eta_minutes, minutes=minutes) if minutes >= 1 else say(lang, M.eta_soon)
    return say(lang, STAGE_WITH_ETA[key], eta=eta, **params)


class StatusMessage:
    def __init__(self, chat: Chat, chat_id: int, message_id: int | None) -> None:
        self._chat = chat
        self.chat_id = chat_id
        self.message_id = message_id
        self._lock = threading.Lock()
        self.last_text: str | None = None

    def show(self, text: str) -> None:
        """Edit the status message to ``text`` (post one if there is none). Never raises PortError."""
        with self._lock:
            if text == self.last_text:
                return
            try:
                outcome = EditOutcome.MISSING
                if self.message_id is not None:
                    outcome = self._chat.edit_text(self.chat_id, self.message_id, text)
                if outcome is EditOutcome.MISSING:
                    self.message_id = self._chat.send_text(self.chat_id, text)
                self._chat.typing(self.chat_id)
                self.last_text = text
            except ChatBlocked:
                raise
            except PortError as exc:
                log.warning("progress update skipped", extra={"error": str(exc)})

    def remove(self) -> None:
        """Delete the status message (best effort)."""
        with self._lock:
            if self.message_id is None:
                return
            try:
                self._chat.delete(self.chat_id, self.message_id)
            except ChatBlocked:
                raise
            except PortError as exc:
                log.warning("status message not deleted", extra={"error": str(exc)})
            self.message_id = None
