"""The ``Chat`` port on the Telegram Bot API, through python-telegram-bot 22.8's async ``Bot``.

The use cases are synchronous and may call from any thread (the worker's chunk pool, the webhook
handler). PTB's ``Bot`` is async and its httpx client binds to the event loop it first runs on, so
this adapter owns **one private event loop in a daemon thread** for its whole life: every port
method submits a coroutine with ``asyncio.run_coroutine_threadsafe`` and waits with a timeout. A warm
Function Compute instance therefore never meets "Event loop is closed" on its second invocation
(the classic ``asyncio.run(bot.send_message(...))`` bug), and concurrent callers share one
connection pool. ``close()`` stops the loop; the next call starts a fresh one.

PTB (about 250-350 ms) and asyncio (about 50 ms) are imported on first use, not at import time,
so the webhook's cold start pays for them only when it actually talks to Telegram.

Every request has PTB's timeouts (connect/read/write/pool), and every call a cap on the whole of
it: the adapter stops waiting after ``call_timeout_s`` (``upload_timeout_s`` for sendDocument,
``download_timeout_s`` for a file, ``pre_checkout_timeout_s`` for answerPreCheckoutQuery, which
Telegram needs within 10 s) and reports a TransientFailure. The caps are the hard bounds the
webhook's budget is proved with (``domain.policy.Timeouts``).
Vendor errors become port errors:

=======================================  =====================================================
PTB error                                port outcome
=======================================  =====================================================
``RetryAfter``                           ``TransientFailure(retry_after_s=...)``
``TimedOut``, ``NetworkError`` (5xx)     ``TransientFailure`` (``OutcomeUnknown`` for a send, below)
``Forbidden`` (blocked, kicked)          ``ChatBlocked``
``BadRequest`` "message is not modified" ``EditOutcome.NOT_MODIFIED``
"message to edit/delete not found"       ``EditOutcome.MISSING`` / ``False``
"message is too long"                    ``EditOutcome.TOO_LONG`` on edit, ``PermanentFailure`` on send
"file is too big"                        ``FileTooBig``
other ``BadRequest``, ``InvalidToken``   ``PermanentFailure``
=======================================  =====================================================

A send (sendMessage, sendDocument, sendInvoice) is not idempotent: Telegram has no request key, so
a resent request is a second message. PTB raises ``TimedOut`` and ``NetworkError`` both when the
request never left (no connection, pool or write timeout: httpx's ``ConnectTimeout``,
``ConnectError``, ``PoolTimeout``, ``WriteTimeout``, ``WriteError`` as the cause) and when it went out
but the answer never came (``ReadTimeout``, ``ReadError``, ``RemoteProtocolError``, a garbled
answer, or the adapter's own cap). The adapter tells them apart by the httpx exception in the
chain: the first stays a ``TransientFailure`` (safe to retry), the second is ``OutcomeUnknown``
for a send, which the retry policy never resends. A 5xx or 429 answer means Telegram answered
without doing it: transient. Edits, deletes, answers and downloads are idempotent: every
timeout of theirs stays a plain ``TransientFailure``.

Error messages are built from the exception class and Telegram's description with the token
scrubbed, and are raised ``from None`` so no chained PTB/httpx exception (whose text could hold a
URL with the token) reaches a log. httpx logs every request URL at INFO, token included; a filter on
the ``httpx`` and ``telegram.Bot`` loggers redacts it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import warnings
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from ports.chat import Chat, EditOutcome, Keyboard
from ports.errors import (
    ChatBlocked,
    DownloadFailed,
    FileTooBig,
    OutcomeUnknown,
    PermanentFailure,
    PortError,
    TransientFailure,
)

if TYPE_CHECKING:
    import asyncio

    from telegram import Bot
    from telegram.request import HTTPXRequest

__all__ = ["TelegramChat"]

PROVIDER = "telegram"

_log = logging.getLogger(__name__)
T = TypeVar("T")

# Lower-cased fragments of Telegram's error descriptions (PTB strips "Bad Request: ").
_NOT_MODIFIED = ("message is not modified",)
_EDIT_MISSING = ("message to edit not found", "message can't be edited", "message_id_invalid",
                 "message not found", "there is no text in the message to edit")
_DELETE_MISSING = ("message to delete not found", "message can't be deleted", "message_id_invalid",
                   "message not found")
_TOO_LONG = ("message is too long", "message_too_long", "text is too long")
_FILE_TOO_BIG = ("file is too big",)
_STALE_QUERY = ("query is too old", "query id is invalid")
_DEFAULT_REFUSAL = "The payment could not be accepted. Please try again later."


class _RedactSecrets(logging.Filter):
    """Rewrites log records that mention a registered secret (the token in request URLs)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: tuple[str, ...] = ()  # replaced, never mutated: safe to read from any thread

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            try:
                message = record.getMessage()
            except Exception:  # a broken record is the logging module's business
                return True
            # Always freeze the text: PTB logs dicts it mutates afterwards (getFile's file_path
            # gains the token-bearing download URL after the "finished" debug line is logged).
            record.msg, record.args = _scrub(message, self.secrets), None
        return True


_REDACT = _RedactSecrets()
# httpx logs every request URL at INFO; PTB's Bot logs its URLs and getFile results at DEBUG.
_REDACT_LOGGERS = ("httpx", "telegram.Bot")
_redact_installed = False
_redact_lock = threading.Lock()


def _install_redaction(token: str) -> None:
    global _redact_installed
    with _redact_lock:
        known = set(_REDACT.secrets) | _token_forms(token)
        _REDACT.secrets = tuple(sorted(known, key=len, reverse=True))
        if not _redact_installed:
            for name in _REDACT_LOGGERS:
                logging.getLogger(name).addFilter(_REDACT)
            _redact_installed = True


def _token_forms(token: str) -> set[str]:
    return {token, quote(token, safe=""), quote(token)}


def _scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "<token>")
    return text


class TelegramChat(Chat):
    """``Chat`` on the Bot API. ``base_url``/``base_file_url`` are PTB's: the token is appended
    (or substituted for ``{token}``), e.g. ``http://127.0.0.1:8081/bot`` for a loopback server."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str,
        base_file_url: str,
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 5.0,
        write_timeout_s: float = 5.0,
        media_write_timeout_s: float = 15.0,
        download_timeout_s: float = 50.0,
        pool_timeout_s: float = 1.0,
        call_timeout_s: float = 10.0,
        upload_timeout_s: float = 15.0,
        pre_checkout_timeout_s: float = 3.0,
        connection_pool_size: int = 16,
        disable_link_previews: bool = True,
    ) -> None:
        if not isinstance(token, str) or not token.strip():
            raise ValueError("TelegramChat needs a bot token")
        self._token = token
        self._secrets = _token_forms(token)
        self._base_url = base_url
        self._base_file_url = base_file_url
        self._connect = connect_timeout_s
        self._read = read_timeout_s
        self._write = write_timeout_s
        self._media_write = media_write_timeout_s
        self._download = download_timeout_s
        self._pool = pool_timeout_s
        self._call_cap = call_timeout_s
        self._upload_cap = upload_timeout_s
        self._pre_checkout_cap = pre_checkout_timeout_s
        self._pool_size = connection_pool_size
        self._no_previews = disable_link_previews
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._bot: Bot | None = None
        self._requests: tuple[HTTPXRequest, ...] = ()

    def __repr__(self) -> str:  # never the token
        return f"TelegramChat(base_url={self._base_url!r})"

    # -- the loop --------------------------------------------------------------------------------
    def _ensure_started(self) -> tuple[asyncio.AbstractEventLoop, Bot]:
        with self._lock:
            if self._loop is not None and self._bot is not None:
                return self._loop, self._bot
            _install_redaction(self._token)
            import asyncio

            from telegram import Bot
            from telegram.request import HTTPXRequest

            # Both request objects are ours, so close() can shut their httpx clients down without
            # Bot.initialize() (which would cost a getMe round trip per cold start).
            self._requests = (
                HTTPXRequest(connection_pool_size=self._pool_size, connect_timeout=self._connect,
                             read_timeout=self._read, write_timeout=self._write,
                             pool_timeout=self._pool, media_write_timeout=self._media_write),
                HTTPXRequest(connection_pool_size=1, connect_timeout=self._connect,
                             read_timeout=self._read, write_timeout=self._write, pool_timeout=self._pool),
            )
            bot = Bot(self._token, base_url=self._base_url, base_file_url=self._base_file_url,
                      request=self._requests[0], get_updates_request=self._requests[1])
            loop = asyncio.new_event_loop()
            ready = threading.Event()
            thread = threading.Thread(target=_run_loop, args=(loop, ready), name="telegram-chat-loop",
                                      daemon=True)
            thread.start()
            ready.wait()
            self._loop, self._thread, self._bot = loop, thread, bot
            return loop, bot

    def _budget(self, *, media: bool = False) -> float:
        return self._upload_cap if media else self._call_cap

    def _run(self, op: str, call: Callable[[Bot], Awaitable[T]], budget_s: float | None = None) -> T:
        """Run ``call(bot)`` on the adapter's loop and wait; PTB exceptions propagate unchanged."""
        import asyncio
        import concurrent.futures

        loop, bot = self._ensure_started()
        if threading.current_thread() is self._thread:
            raise RuntimeError("TelegramChat must not be called from its own event loop thread")
        budget = budget_s if budget_s is not None else self._budget()
        future = asyncio.run_coroutine_threadsafe(_as_coroutine(call(bot)), loop)
        try:
            return future.result(timeout=budget)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TransientFailure(PROVIDER, f"{op}: no answer within {budget:.0f} s", code="timeout") from None
        except concurrent.futures.CancelledError:
            raise TransientFailure(PROVIDER, f"{op}: cancelled (adapter closing)", code="cancelled") from None

    def close(self) -> None:
        """Close the HTTP client and stop the loop thread; a later call starts them again."""
        import asyncio

        with self._lock:
            loop, thread, requests = self._loop, self._thread, self._requests
            self._loop = self._thread = self._bot = None
            self._requests = ()
        if loop is None:
            return
        for request in requests:
            try:
                asyncio.run_coroutine_threadsafe(request.shutdown(), loop).result(timeout=10)
            except Exception as exc:  # closing is best effort
                _log.debug("telegram: shutdown failed: %s", type(exc).__name__)
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=10)

    # -- error translation -------------------------------------------------------------------------
    def _describe(self, exc: BaseException) -> str:
        text = str(exc) or type(exc).__name__
        return _scrub(text, self._secrets)[:300]

    def _translate(self, exc: BaseException, op: str) -> PortError:
        if isinstance(exc, PortError):
            return exc
        from telegram import error as tg

        name = type(exc).__name__
        message = f"{op}: {name}: {self._describe(exc)}"
        if isinstance(exc, tg.RetryAfter):
            return TransientFailure(PROVIDER, message, code="429", retry_after_s=_retry_after_s(exc))
        if isinstance(exc, tg.TimedOut):
            return TransientFailure(PROVIDER, message, code="timeout")
        if isinstance(exc, tg.Forbidden):
            return ChatBlocked(PROVIDER, message, code="403")
        if isinstance(exc, tg.InvalidToken):
            # 401 (token rejected) or 404 (unknown method, or an expired file path on download)
            return PermanentFailure(PROVIDER, message, code="401/404")
        if isinstance(exc, tg.BadRequest):
            lowered = str(exc).lower()
            if _has(lowered, _FILE_TOO_BIG):
                return FileTooBig(PROVIDER, message, code="400")
            if _has(lowered, _TOO_LONG):
                return PermanentFailure(PROVIDER, message, code="message_too_long")
            return PermanentFailure(PROVIDER, message, code="400")
        if isinstance(exc, tg.ChatMigrated):
            return PermanentFailure(PROVIDER, message, code="chat_migrated")
        if isinstance(exc, tg.Conflict):
            return PermanentFailure(PROVIDER, message, code="409")
        if isinstance(exc, tg.NetworkError):  # 5xx replies and transport errors
            return TransientFailure(PROVIDER, message, code="network")
        if isinstance(exc, tg.TelegramError):  # e.g. "Invalid server response" (garbled body)
            return TransientFailure(PROVIDER, message, code="bad_response")
        return PermanentFailure(PROVIDER, message, code="unexpected")

    @staticmethod
    def _bad_request_text(exc: BaseException) -> str | None:
        from telegram.error import BadRequest

        return str(exc).lower() if isinstance(exc, BadRequest) else None

    def _call(self, op: str, call: Callable[[Bot], Awaitable[T]], budget_s: float | None = None,
              *, idempotent: bool = True) -> T:
        try:
            return self._run(op, call, budget_s)
        except Exception as exc:
            failure = self._translate(exc, op)
            if not idempotent and isinstance(failure, TransientFailure) and _may_have_arrived(exc):
                failure = OutcomeUnknown(PROVIDER, f"{failure} (sent; the answer never came)",
                                         code=failure.code)
            raise failure from None

    # -- markup --------------------------------------------------------------------------------------
    @staticmethod
    def _markup(keyboard: Keyboard | None) -> Any:
        if keyboard is None:
            return None
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup

        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in keyboard]
        )

    def _preview_options(self) -> Any:
        if not self._no_previews:
            return None
        from telegram import LinkPreviewOptions

        return LinkPreviewOptions(is_disabled=True)

    # -- the port ----------------------------------------------------------------------------------
    def send_text(self, chat_id: int, text: str, *, html: bool = False, keyboard: Keyboard | None = None,
                  reply_to: int | None = None) -> int:
        markup = self._markup(keyboard)
        previews = self._preview_options()
        reply = None
        if reply_to is not None:
            from telegram import ReplyParameters

            reply = ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)

        message = self._call("sendMessage", lambda bot: bot.send_message(
            chat_id=chat_id, text=text, parse_mode="HTML" if html else None, reply_markup=markup,
            reply_parameters=reply, link_preview_options=previews,
        ), idempotent=False)
        return int(message.message_id)

    def edit_text(self, chat_id: int, message_id: int, text: str, *, html: bool = False,
                  keyboard: Keyboard | None = None) -> EditOutcome:
        markup = self._markup(keyboard)
        previews = self._preview_options()
        try:
            self._run("editMessageText", lambda bot: bot.edit_message_text(
                text=text, chat_id=chat_id, message_id=message_id, parse_mode="HTML" if html else None,
                reply_markup=markup, link_preview_options=previews,
            ))
        except Exception as exc:
            described = self._bad_request_text(exc)
            if described is not None:
                if _has(described, _NOT_MODIFIED):
                    return EditOutcome.NOT_MODIFIED
                if _has(described, _EDIT_MISSING):
                    return EditOutcome.MISSING
                if _has(described, _TOO_LONG):
                    return EditOutcome.TOO_LONG
            raise self._translate(exc, "editMessageText") from None
        return EditOutcome.EDITED

    def delete(self, chat_id: int, message_id: int) -> bool:
        try:
            return bool(self._run("deleteMessage", lambda bot: bot.delete_message(chat_id, message_id)))
        except Exception as exc:
            described = self._bad_request_text(exc)
            if described is not None and _has(described, _DELETE_MISSING):
                return False
            raise self._translate(exc, "deleteMessage") from None

    def send_document(self, chat_id: int, filename: str, data: bytes, *, caption: str = "",
                      keyboard: Keyboard | None = None) -> int:
        markup = self._markup(keyboard)
        message = self._call("sendDocument", lambda bot: bot.send_document(
            chat_id=chat_id, document=bytes(data), filename=filename, caption=caption or None,
            reply_markup=markup,
        ), self._budget(media=True), idempotent=False)
        return int(message.message_id)

    def typing(self, chat_id: int) -> None:
        try:
            self._run("sendChatAction", lambda bot: bot.send_chat_action(chat_id=chat_id, action="typing"))
        except Exception as exc:  # a missing "typing…" hint must never fail a job
            _log.debug("telegram: typing hint failed: %s", self._describe(exc))

    def send_invoice(self, chat_id: int, *, title: str, description: str, payload: str, stars: int) -> int:
        from telegram import LabeledPrice

        prices = [LabeledPrice(label=title, amount=int(stars))]
        message = self._call("sendInvoice", lambda bot: bot.send_invoice(
            chat_id=chat_id, title=title, description=description, payload=payload, currency="XTR",
            prices=prices,
        ), idempotent=False)
        return int(message.message_id)

    def answer_callback(self, callback_id: str, text: str = "") -> None:
        try:
            self._run("answerCallbackQuery", lambda bot: bot.answer_callback_query(
                callback_query_id=callback_id, text=text or None))
        except Exception as exc:
            described = self._bad_request_text(exc)
            if described is not None and _has(described, _STALE_QUERY):
                _log.debug("telegram: callback %s too old to answer", callback_id[:64])
                return
            raise self._translate(exc, "answerCallbackQuery") from None

    def answer_pre_checkout(self, query_id: str, ok: bool, error: str = "") -> None:
        # Telegram waits 10 s for this answer: the whole call is capped far below (its own cap,
        # and PTB's timeouts within it), whatever the ordinary calls may take.
        cap = self._pre_checkout_cap
        self._call("answerPreCheckoutQuery", lambda bot: bot.answer_pre_checkout_query(
            pre_checkout_query_id=query_id, ok=bool(ok),
            error_message=None if ok else (error or _DEFAULT_REFUSAL),
            connect_timeout=min(self._connect, cap), read_timeout=min(self._read, cap),
            write_timeout=min(self._write, cap), pool_timeout=min(self._pool, cap),
        ), cap)

    def refund_star_payment(self, user_id: int, charge_id: str) -> bool:
        """Bot API ``refundStarPayment``. A charge already refunded counts as refunded: the call is
        retried after an outage, and its first attempt may have gone through."""
        try:
            return bool(self._call("refundStarPayment", lambda bot: bot.refund_star_payment(
                user_id=user_id, telegram_payment_charge_id=charge_id)))
        except PermanentFailure as exc:
            if "charge_already_refunded" in str(exc).lower():
                return True
            raise

    def download(self, file_id: str, max_bytes: int) -> bytes:
        try:
            file = self._call("getFile", lambda bot: bot.get_file(file_id))
            if file.file_size is not None and file.file_size > max_bytes:
                raise FileTooBig(PROVIDER, f"getFile: file of {file.file_size} bytes is over {max_bytes}",
                                 code="too_big")
            if not file.file_path:
                raise DownloadFailed(PROVIDER, "getFile: no file_path in the answer", code="no_path")
            data = self._call("download", lambda bot: file.download_as_bytearray(
                read_timeout=self._read, connect_timeout=self._connect, pool_timeout=self._pool,
            ), self._download)
        except (FileTooBig, ChatBlocked, DownloadFailed):
            raise
        except PermanentFailure as exc:  # an unknown or expired file, a path Telegram no longer serves
            raise DownloadFailed(PROVIDER, str(exc), code=exc.code, request_id=exc.request_id) from exc
        if len(data) > max_bytes:  # file_size was missing or wrong
            raise FileTooBig(PROVIDER, f"download: {len(data)} bytes is over {max_bytes}", code="too_big")
        return bytes(data)

    # -- deployment helpers (not part of the port) ---------------------------------------------------
    def set_webhook(self, url: str, secret_token: str, allowed_updates: Sequence[str], *,
                    drop_pending_updates: bool = False) -> bool:
        """Point Telegram at ``url``; it will send ``secret_token`` in X-Telegram-Bot-Api-Secret-Token."""
        return bool(self._call("setWebhook", lambda bot: bot.set_webhook(
            url=url, secret_token=secret_token, allowed_updates=list(allowed_updates),
            drop_pending_updates=drop_pending_updates,
        )))


    def webhook_info(self) -> dict[str, Any]:
        """``getWebhookInfo`` as a plain dict (url, allowed_updates, pending_update_count,
        last_error_date as epoch seconds or None, last_error_message). Telegram never returns the
        secret token."""
        info = self._call("getWebhookInfo", lambda bot: bot.get_webhook_info())
        error_date = info.last_error_date
        return {
            "url": info.url or "",
            "allowed_updates": list(info.allowed_updates) if info.allowed_updates is not None else None,
            "pending_update_count": int(info.pending_update_count or 0),
            "last_error_date": error_date.timestamp() if error_date is not None else None,
            "last_error_message": info.last_error_message or "",
            "ip_address": info.ip_address or "",
        }

    def bot_username(self) -> str:
        """The bot's @username (``getMe``): proves the token."""
        me = self._call("getMe", lambda bot: bot.get_me())
        return str(me.username or "")

    def set_my_commands(self, commands: Sequence[tuple[str, str]], language_code: str = "") -> bool:
        """``setMyCommands`` for every private chat (``BotCommandScopeAllPrivateChats``: the bot
        answers nowhere else) and one client language ("" is every language without its own list)."""
        from telegram import BotCommand, BotCommandScopeAllPrivateChats

        return bool(self._call("setMyCommands", lambda bot: bot.set_my_commands(
            [BotCommand(name, description) for name, description in commands],
            scope=BotCommandScopeAllPrivateChats(), language_code=language_code or None)))

    def my_commands(self, language_code: str = "") -> list[tuple[str, str]]:
        """``getMyCommands`` for the same scope and language: exactly the list set for them (empty
        when none is)."""
        from telegram import BotCommandScopeAllPrivateChats

        found = self._call("getMyCommands", lambda bot: bot.get_my_commands(
            scope=BotCommandScopeAllPrivateChats(), language_code=language_code or None))
        return [(c.command, c.description) for c in found]


def _run_loop(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
    import asyncio

    asyncio.set_event_loop(loop)
    loop.call_soon(ready.set)
    try:
        loop.run_forever()
    finally:
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable


def _may_have_arrived(exc: BaseException) -> bool:
    """Whether the failed request may have reached Telegram and taken effect (module doc).

    Decided by the first httpx exception in the chain (PTB raises ``from`` it): connect, pool
    and write failures mean the request never arrived whole; read failures mean it did. No
    httpx cause: a ``TimedOut``, a garbled answer or the adapter's own cap may have arrived; a
    ``NetworkError`` built from Telegram's 5xx answer (its cause at most the unreadable body) did nothing.
    """
    import httpx
    from telegram import error as tg

    if isinstance(exc, TransientFailure):  # the adapter's own cap or a cancelled call
        return exc.code in ("timeout", "cancelled")
    if isinstance(exc, tg.RetryAfter):
        return False
    seen: set[int] = set()
    cause: BaseException | None = exc.__cause__ or exc.__context__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, httpx.HTTPError):
            not_sent = (httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout, httpx.ConnectError,
                        httpx.WriteError, httpx.LocalProtocolError, httpx.UnsupportedProtocol, httpx.ProxyError)
            return not isinstance(cause, not_sent)
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, tg.TimedOut):
        return True
    answered = exc.__cause__ is None or isinstance(exc.__cause__, tg.TelegramError)
    return not (isinstance(exc, tg.NetworkError) and answered)


def _has(text: str, fragments: tuple[str, ...]) -> bool:
    return any(fragment in text for fragment in fragments)


def _retry_after_s(exc: Any) -> float | None:
    value = getattr(exc, "_retry_after", None)
    if value is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = getattr(exc, "retry_after", None)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, int | float):
        return float(value)
    return None
