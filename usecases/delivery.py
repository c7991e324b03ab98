"""Delivery of a finished transcript, three ways (reference bot §10, without its defects).

1. Short enough (≤ ``policy.edit_limit`` with any ``<code>`` wrapper): the status message
   becomes the result.
2. ``long_text = file``: a ``.txt`` document; the status message is removed.
3. Otherwise (split): messages of at most ``policy.message_limit`` characters cut at
   paragraph, line or sentence ends; in monospace mode each part is escaped and wrapped on its
   own, so no part ever carries a broken tag or entity (D40).
The status message is removed only after the result is out, so a failed send never leaves the
user with nothing (D39).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from domain.policy import Policy
from domain.splitting import escape_html, split_code_message, split_message
from domain.users import LongTextMode, UserSettings
from ports.chat import Chat, EditOutcome, Keyboard
from usecases.catalogue import say
from usecases.progress import StatusMessage

T = TypeVar("T")


def deliver_text(
    chat: Chat, status: StatusMessage, text: str, settings: UserSettings, policy: Policy,
    *, keyboard: Keyboard | None = None, sent_parts: int = 0,
    on_part_sent: Callable[[int], None] | None = None,
    attempt: Callable[[Callable[[], T]], T] | None = None,
) -> list[int]:
    """Send ``text`` to the status message's chat; returns the ids of the messages it sent now.

    ``sent_parts`` messages went out in an earlier, interrupted run and are not sent again;
    ``on_part_sent(n)`` records each new one (the worker checkpoints it on the job row);
    ``attempt`` wraps every send (the worker retries transient failures there).
    """
    attempt = attempt or (lambda call: call())
    on_part_sent = on_part_sent or (lambda n: None)
    chat_id = status.chat_id
    shown = f"<code>{escape_html(text)}</code>" if settings.use_code else text
    if len(shown) <= policy.edit_limit:
        if status.message_id is not None:
            outcome = attempt(lambda: chat.edit_text(chat_id, status.message_id, shown, html=settings.use_code,
                                                     keyboard=keyboard))
            if outcome in (EditOutcome.EDITED, EditOutcome.NOT_MODIFIED):
                return [status.message_id]
        parts = [shown]
    elif settings.long_text is LongTextMode.FILE:
        caption = say(settings.ui_language, "file_caption", chars=len(text))
        ids = []
        if sent_parts < 1:
            ids.append(attempt(lambda: chat.send_document(chat_id, "transcript.txt", text.encode("utf-8"),
                                                          caption=caption, keyboard=keyboard)))
            on_part_sent(1)
        status.remove()
        return ids
    elif settings.use_code:
        parts = [f"<code>{escape_html(p)}</code>" for p in split_code_message(text, policy.message_limit)]
    else:
        parts = list(split_message(text, policy.message_limit))
    ids = []
    for i, part in enumerate(parts):
        if i < sent_parts:
            continue
        markup = keyboard if i == len(parts) - 1 else None
        ids.append(attempt(lambda part=part, markup=markup: chat.send_text(
            chat_id, part, html=settings.use_code, keyboard=markup)))
        on_part_sent(i + 1)
    status.remove()
    return ids
