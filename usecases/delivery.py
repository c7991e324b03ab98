"""Delivery of a finished transcript, three ways.

1. Short enough (≤ ``policy.edit_limit`` with any ``<code>`` wrapper): the status message
   becomes the result.
2. ``long_text = file``: a ``.txt`` document; the status message is removed. A user who never
   chose (``auto``) gets the same for a text over ``policy.long_text_file_chars``, after a short
   preview message (about ``policy.long_text_preview_chars``, cut at a natural end).
3. Otherwise (split, or auto under that size): messages of at most ``policy.message_limit`` characters cut at
   paragraph, line or sentence ends; in monospace mode each part is escaped and wrapped on its
   own, so no part ever carries a broken tag or entity (Telegram would refuse it).
The status message is removed only after the result is out, so a failed send never leaves the
user with nothing.

A ``note`` the user must read with the transcript (dialogue mode fell back to plain text) becomes
the status message, which then stays above the transcript; the transcript goes out as new messages.

A send whose answer never came (``OutcomeUnknown``: Telegram may or may not show it) is not sent
again: at most once. The part counts as sent (the checkpoint moves on, so a redelivered job does
not resend it either), because a duplicate is certain to be seen while a lost reply almost always
means the message did arrive. What the user could miss is never lost: the status message then
stays, edited into a notice that carries the export buttons (the whole transcript as a file);
edits are idempotent, so that one may be retried.
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Callable

from domain.policy import Policy
from domain.splitting import split_message
from domain.users import LongTextMode, UserSettings
from ports.chat import Chat, EditOutcome, Keyboard
from ports.errors import ChatBlocked, OutcomeUnknown, PortError
from presentation.catalogue import say
from presentation.html import escape, split_code_message, wrap_code
from presentation.keys import M
from usecases.progress import StatusMessage

log = logging.getLogger(__name__)


def deliver_text(
    chat: Chat, status: StatusMessage, text: str, settings: UserSettings, policy: Policy,
    *, keyboard: Keyboard | None = None, sent_parts: int = 0,
    on_part_sent: Callable[[int], None] | None = None, note: str | None = None,
) -> list[int]:
    """Send ``text`` to the status message's chat; returns the ids of the messages it sent now.

    ``sent_parts`` messages went out in an earlier, interrupted run and are not sent again;
    ``on_part_sent(n)`` records each new one (the worker checkpoints it on the job row).
    """
    on_part_sent = on_part_sent or (lambda n: None)
    chat_id = status.chat_id
    unsure: list[int] = []  # parts whose send had no answer

    def send(part: int, call: Callable[[], int]) -> list[int]:
        try:
            return [call()]
        except OutcomeUnknown as exc:
            unsure.append(part)
            log.warning("a transcript part may not have arrived; it is not sent again",
                        extra={"part": part, "error": str(exc)})
            return []
    if note is not None:
        status.show(note)
    shown = _shown(text, settings)
    how = _how(text, settings, policy)
    if how is _Shape.EDIT:
        message_id = status.message_id
        if message_id is not None and note is None:
            outcome = chat.edit_text(chat_id, message_id, shown, html=settings.use_code, keyboard=keyboard)
            if outcome in (EditOutcome.EDITED, EditOutcome.NOT_MODIFIED):
                return [message_id]
        parts = [shown]
    elif how in (_Shape.FILE, _Shape.PREVIEW):
        caption = say(settings.ui_language, M.file_caption, chars=len(text))
        ids = []
        file_part = 1
        if how is _Shape.PREVIEW:
            file_part = 2
            if sent_parts < 1:
                preview = _preview(text, settings, policy)
                ids += send(1, lambda: chat.send_text(chat_id, preview, html=settings.use_code))
                on_part_sent(1)
        if sent_parts < file_part:
            ids += send(file_part, lambda: chat.send_document(chat_id, "transcript.txt", text.encode("utf-8"),
                                                              caption=caption, keyboard=keyboard))
            on_part_sent(file_part)
        _close_status(chat, status, settings, keyboard, unsure, note)
        return ids
    else:
        parts = _split(text, settings, policy)
    ids = []
    for i, part in enumerate(parts):
        if i < sent_parts:
            continue
        markup = keyboard if i == len(parts) - 1 else None
        ids += send(i + 1, functools.partial(chat.send_text, chat_id, part, html=settings.use_code, keyboard=markup))
        on_part_sent(i + 1)
    _close_status(chat, status, settings, keyboard, unsure, note)
    return ids


def _close_status(chat: Chat, status: StatusMessage, settings: UserSettings, keyboard: Keyboard | None,
                  unsure: list[int], note: str | None = None) -> None:
    """Remove the status message (it stays when it carries a ``note``); after a send without
    answer, keep it as the way to the whole text."""
    message_id = status.message_id
    if unsure and keyboard is not None and message_id is not None:
        notice = say(settings.ui_language, M.delivery_unsure)
        if note is not None:
            notice = f"{note}\n\n{notice}"
        try:
            outcome = chat.edit_text(status.chat_id, message_id, notice, keyboard=keyboard)
        except ChatBlocked:
            raise
        except PortError as exc:
            log.warning("delivery notice not shown", extra={"error": str(exc)})
        else:
            if outcome in (EditOutcome.EDITED, EditOutcome.NOT_MODIFIED):
                return
    if note is None:
        status.remove()


def _shown(text: str, settings: UserSettings) -> str:
    return wrap_code(text) if settings.use_code else text


class _Shape(enum.Enum):
    """How a transcript goes out."""

    EDIT = enum.auto()  # into the status message (it fits one message)
    FILE = enum.auto()  # as a .txt file
    PREVIEW = enum.auto()  # a preview in the status message, then the file
    SPLIT = enum.auto()  # as several messages


def _how(text: str, settings: UserSettings, policy: Policy) -> _Shape:
    if len(_shown(text, settings)) <= policy.edit_limit:
        return _Shape.EDIT
    if settings.long_text is LongTextMode.FILE:
        return _Shape.FILE
    if settings.long_text is LongTextMode.AUTO and len(text) > policy.long_text_file_chars:
        return _Shape.PREVIEW
    return _Shape.SPLIT


def _preview(text: str, settings: UserSettings, policy: Policy) -> str:
    """The start of ``text`` cut at a paragraph, line or sentence end, and a line saying the whole
    text is in the file below."""
    limit = max(20, min(policy.long_text_preview_chars, policy.message_limit // 2))
    note = say(settings.ui_language, M.preview_note)
    if settings.use_code:  # cut so that the escaped, wrapped head stays within ``limit``
        return f"{wrap_code(split_code_message(text, limit)[0] + ' …')}\n\n{escape(note)}"
    return f"{split_message(text, limit)[0]} …\n\n{note}"


def _split(text: str, settings: UserSettings, policy: Policy) -> list[str]:
    if settings.use_code:
        return [wrap_code(p) for p in split_code_message(text, policy.message_limit)]
    return list(split_message(text, policy.message_limit))


def planned_parts(text: str, settings: UserSettings, policy: Policy) -> int:
    """How many messages (or files) ``deliver_text`` sends for ``text``: the denominator of a
    delivery that stopped half-way (the worker bills the share that arrived)."""
    how = _how(text, settings, policy)
    if how in (_Shape.EDIT, _Shape.FILE):
        return 1
    if how is _Shape.PREVIEW:
        return 2
    return len(_split(text, settings, policy))
