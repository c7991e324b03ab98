"""A chat that records everything the bot does, in order, and serves files from a folder or dict.

The local runner prints its events as they happen (``listener``); tests read ``events`` and
``messages`` (the current text of every message, as a person would see it now).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from pathlib import Path

import attrs

from ports.chat import Chat, EditOutcome, Keyboard
from ports.errors import ChatBlocked, DownloadFailed, FileTooBig, PermanentFailure


@attrs.frozen
class ChatEvent:
    """One thing the bot did: ``kind`` is send, edit, delete, document, invoice, callback, pre_checkout."""

    kind: str
    chat_id: int
    message_id: int | None = None
    text: str = ""
    html: bool = False
    keyboard: Keyboard | None = None
    filename: str = ""
    data: bytes = b""
    extra: dict = attrs.field(factory=dict)


class RecordingChat(Chat):
    """Records sends, edits, deletes, documents, invoices and answers.

    Script it with ``files`` (file_id → bytes), ``file_dir`` (file_id is a file name inside it),
    ``blocked`` (chat ids that blocked the bot), ``fail_next`` (a Telegram outage) and
    ``can_refund`` (whether Stars refunds are available).
    """

    def __init__(self, *, file_dir: Path | None = None, listener: Callable[[ChatEvent], None] | None = None) -> None:
        self._lock = threading.RLock()
        self._ids = itertools.count(1000)
        self.events: list[ChatEvent] = []
        self.messages: dict[tuple[int, int], str] = {}
        self.files: dict[str, bytes] = {}
        self.file_dir = file_dir
        self.blocked: set[int] = set()
        self.listener = listener
        self._failures = 0
        # Stars refunds (``refund_star_payment``): the charges given back; ``can_refund`` False
        # plays an adapter without the capability.
        self.refunded: list[str] = []
        self.can_refund = True

    # -- scripting -------------------------------------------------------------------------
    def fail_next(self, count: int = 1) -> None:
        self._failures += count

    def _check(self, chat_id: int) -> None:
        from ports.errors import TransientFailure

        if self._failures > 0:
            self._failures -= 1
            raise TransientFailure("telegram", "injected outage", code="502")
        if chat_id in self.blocked:
            raise ChatBlocked("telegram", "bot was blocked by the user", code="403")

    def _record(self, event: ChatEvent) -> None:
        self.events.append(event)
        if self.listener:
            self.listener(event)

    def _local_file(self, file_id: str) -> Path | None:
        """The file ``file_id`` names inside ``file_dir``, or None.

        ``file_id`` comes from an update anyone can post to the local runner: it names a file in
        that folder, never a path out of it (absolute, ``..``, or a symlink leading outside).
        """
        if self.file_dir is None or not file_id or "\x00" in file_id:
            return None
        relative = Path(file_id)
        if relative.is_absolute() or ".." in relative.parts:
            return None
        root = self.file_dir.resolve()
        try:
            path = (root / relative).resolve(strict=True)
        except (OSError, RuntimeError):  # missing, unreadable, or a symlink loop
            return None
        return path if path.is_relative_to(root) and path.is_file() else None

    # -- reading back -------------------------------------------------------------------------
    def texts(self, chat_id: int) -> list[str]:
        """Current text of every visible message in a chat, oldest first."""
        with self._lock:
            return [t for (c, _), t in sorted(self.messages.items(), key=lambda kv: kv[0][1]) if c == chat_id]

    def documents(self, chat_id: int) -> list[ChatEvent]:
        return [e for e in self.events if e.kind == "document" and e.chat_id == chat_id]

    # -- the port ------------------------------------------------------------------------------
    def send_text(self, chat_id, text, *, html=False, keyboard=None, reply_to=None) -> int:
        with self._lock:
            self._check(chat_id)
            if not text or len(text) > 4096:
                raise PermanentFailure("telegram", f"message length {len(text)} outside 1..4096")
            message_id = next(self._ids)
            self.messages[(chat_id, message_id)] = text
            self._record(ChatEvent("send", chat_id, message_id, text, html, keyboard))
            return message_id

    def edit_text(self, chat_id, message_id, text, *, html=False, keyboard=None) -> EditOutcome:
        with self._lock:
            self._check(chat_id)
            if (chat_id, message_id) not in self.messages:
                return EditOutcome.MISSING
            if len(text) > 4096:
                return EditOutcome.TOO_LONG
            if self.messages[(chat_id, message_id)] == text:
                return EditOutcome.NOT_MODIFIED
            self.messages[(chat_id, message_id)] = text
            self._record(ChatEvent("edit", chat_id, message_id, text, html, keyboard))
            return EditOutcome.EDITED

    def delete(self, chat_id, message_id) -> bool:
        with self._lock:
            self._check(chat_id)
            if self.messages.pop((chat_id, message_id), None) is None:
                return False
            self._record(ChatEvent("delete", chat_id, message_id))
            return True

    def send_document(self, chat_id, filename, data, *, caption="", keyboard=None) -> int:
        with self._lock:
            self._check(chat_id)
            message_id = next(self._ids)
            self.messages[(chat_id, message_id)] = f"[{filename}] {caption}".strip()
            self._record(ChatEvent("document", chat_id, message_id, caption, keyboard=keyboard, filename=filename,
                                   data=data))
            return message_id

    def typing(self, chat_id) -> None:
        return None

    def send_invoice(self, chat_id, *, title, description, payload, stars) -> int:
        with self._lock:
            self._check(chat_id)
            message_id = next(self._ids)
            self.messages[(chat_id, message_id)] = f"[invoice] {title}: {stars} XTR"
            self._record(ChatEvent("invoice", chat_id, message_id, title,
                                   extra={"payload": payload, "stars": stars, "description": description}))
            return message_id

    def answer_callback(self, callback_id, text="") -> None:
        with self._lock:
            self._record(ChatEvent("callback", 0, None, text, extra={"callback_id": callback_id}))

    def answer_pre_checkout(self, query_id, ok, error="") -> None:
        with self._lock:
            self._record(ChatEvent("pre_checkout", 0, None, error, extra={"query_id": query_id, "ok": ok}))

    def refund_star_payment(self, user_id, charge_id) -> bool:
        """A charge is refunded once. Telegram answers a second refund with CHARGE_ALREADY_REFUNDED,
        which the real adapter reports as refunded (True): so does this twin."""
        with self._lock:
            if not self.can_refund:
                return False
            self._check(0)  # an outage; a user who blocked the bot can still be refunded
            if charge_id in self.refunded:
                return True
            self.refunded.append(charge_id)
            self._record(ChatEvent("refund", user_id, None, charge_id))
            return True

    def download(self, file_id, max_bytes) -> bytes:
        with self._lock:
            self._check(0)
        path = self._local_file(file_id)
        if file_id in self.files:
            data = self.files[file_id]
        elif path is not None:
            if path.stat().st_size > max_bytes:
                raise FileTooBig("telegram", "file is too big")
            data = path.read_bytes()
        else:
            raise DownloadFailed("telegram", "file not found", code="400")
        if len(data) > max_bytes:
            raise FileTooBig("telegram", "file is too big")
        return data
