"""A loopback Telegram Bot API server for contract tests of the real ``TelegramChat`` adapter.

It speaks the Bot API's wire format as python-telegram-bot 22.8 uses it:

- ``POST /bot<token>/<method>`` with an ``application/x-www-form-urlencoded`` body (nested values as
  JSON strings), ``multipart/form-data`` when a file is attached, or an empty body (``getMe``);
- ``GET /file/bot<token>/<file_path>``: PTB quotes the token's ``:`` as ``%3A``, so the path is
  URL-decoded before matching;
- replies ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": ..., "description": ...}``
  (plus ``parameters.retry_after`` for 429), always with ``Content-Type: application/json``.

It keeps a small chat state so edits and deletes behave like Telegram's (message ids, current texts,
"message is not modified", "message to edit/delete not found"), records every call with decoded
parameters, serves files for ``getFile`` and downloads, keeps what ``setWebhook`` set (an https URL,
a secret of the allowed characters) for ``getWebhookInfo`` -- which never returns the secret -- keeps
the command lists ``setMyCommands`` set per scope and language (checked against the BotCommand limits)
for ``getMyCommands``, refunds each Stars charge once (``refundStarPayment``), and lets a test script
errors per method::

    with running_telegram_server(TOKEN) as tg:
        bot = Bot(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url)
        tg.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote

import attrs

from tests.loopback._serving import LoopbackHandler, LoopbackHTTPServer, serve

# Parameters PTB sends as JSON strings inside the form body.
_JSON_PARAMS = frozenset({
    "reply_markup", "reply_parameters", "prices", "allowed_updates", "link_preview_options",
    "entities", "caption_entities", "suggested_tip_amounts", "provider_data", "commands", "scope",
})
# setMyCommands (Bot API, BotCommand and BotCommandScope): a command is 1-32 characters of a-z, 0-9
# and _, its description 1-256 characters, at most 100 commands; the language code is empty or a
# two-letter ISO 639-1 code; the scopes are the seven BotCommandScope types.
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_CODE = re.compile(r"(|[a-z]{2})")
_SCOPES = frozenset({"default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
                     "chat_administrators", "chat_member"})
# setWebhook's secret_token: 1-256 characters, only A-Z, a-z, 0-9, _ and - (Bot API).
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Loopback", "username": "loopback_bot"}
DOWNLOAD_LIMIT = 20_000_000  # the cloud Bot API's getFile cap
NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message")


@attrs.define
class Call:
    """One Bot API request: the method and its decoded parameters (files as dicts)."""

    method: str
    params: dict[str, Any]
    content_type: str = ""


@attrs.define
class StoredFile:
    data: bytes
    file_path: str
    file_unique_id: str
    reported_size: int | None  # what getFile says; None leaves file_size out of the reply


@attrs.define
class _Scripted:
    status: int
    description: str
    retry_after: int | None
    times: int


class _ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


class TelegramLoopback:
    """State and behaviour of the fake Bot API; ``base_url``/``base_file_url`` are PTB-style."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.base_url = ""
        self.base_file_url = ""
        self.calls: list[Call] = []
        self.downloads: list[str] = []  # file paths served
        self.files: dict[str, StoredFile] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self.delays: dict[str, float] = {}
        self.download_limit = DOWNLOAD_LIMIT
        # What setWebhook stored (getWebhookInfo answers it, without the secret), and the updates
        # Telegram would report as waiting.
        self.webhook: dict[str, Any] = {}
        self.refunded_charges: list[str] = []  # refundStarPayment: each charge once
        # setMyCommands: (scope type, language code) -> [{"command", "description"}]
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.pending_updates = 0
        self._scripted: dict[str, list[_Scripted]] = {}
        self._ids = itertools.count(100)
        self._file_ids = itertools.count(1)
        self._lock = threading.RLock()

    # -- scripting -------------------------------------------------------------------------------
    def fail(self, method: str, status: int, description: str, *, retry_after: int | None = None,
             times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer with this error."""
        with self._lock:
            self._scripted.setdefault(method, []).append(_Scripted(status, description, retry_after, times))

    def add_file(self, file_id: str, data: bytes, *, file_path: str | None = None,
                 reported_size: int | None | str = "actual") -> StoredFile:
        """Serve ``data`` for ``file_id``; ``reported_size`` None omits file_size from getFile."""
        size = len(data) if reported_size == "actual" else reported_size
        stored = StoredFile(data, file_path or f"voice/file_{next(self._file_ids)}.oga",
                            f"U{file_id}", size)  # type: ignore[arg-type]
        with self._lock:
            self.files[file_id] = stored
        return stored

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def text_of(self, chat_id: int, message_id: int) -> str | None:
        with self._lock:
            message = self.messages.get((chat_id, message_id))
            return None if message is None else message.get("text")

    # -- dispatch --------------------------------------------------------------------------------
    def handle_api(self, method: str, params: dict[str, Any], content_type: str) -> tuple[int, dict]:
        with self._lock:
            self.calls.append(Call(method, params, content_type))
            scripted = self._scripted.get(method)
            error = None
            if scripted:
                error = scripted[0]
                error.times -= 1
                if error.times <= 0:
                    scripted.pop(0)
        delay = self.delays.get(method, 0.0)
        if delay:
            time.sleep(delay)
        if error is not None:
            return _error_body(error.status, error.description, error.retry_after)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error_body(404, "Not Found")
        try:
            with self._lock:
                return 200, {"ok": True, "result": handler(params)}
        except _ApiError as exc:
            return _error_body(exc.status, exc.description, exc.retry_after)

    def handle_download(self, file_path: str) -> bytes | None:
        with self._lock:
            self.downloads.append(file_path)
            for stored in self.files.values():
                if stored.file_path == file_path:
                    return stored.data
        return None

    # -- helpers -----------------------------------------------------------------------------------
    def _chat_id(self, params: dict[str, Any]) -> int:
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, ValueError):
            raise _ApiError(400, "Bad Request: chat not found") from None
        if chat_id in self.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _new_message(self, chat_id: int, **content: Any) -> dict[str, Any]:
        message = {"message_id": next(self._ids), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                   "from": BOT_USER, **content}
        self.messages[(chat_id, message["message_id"])] = message
        return message

    @staticmethod
    def _check_text(text: Any) -> str:
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        return text

    # -- methods ---------------------------------------------------------------------------------
    def _m_getMe(self, params):
        return BOT_USER

    def _m_sendMessage(self, params):
        chat_id = self._chat_id(params)
        text = self._check_text(params.get("text"))
        content: dict[str, Any] = {"text": text}
        if "reply_markup" in params:
            content["reply_markup"] = params["reply_markup"]
        return self._new_message(chat_id, **content)

    def _m_editMessageText(self, params):
        chat_id = self._chat_id(params)
        key = (chat_id, int(params.get("message_id", 0)))
        text = params.get("text")
        message = self.messages.get(key)
        if message is None or "text" not in message:
            raise _ApiError(400, "Bad Request: message to edit not found")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            # Wording for edits differs from sendMessage's [UNVERIFIED]; the adapter accepts both.
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        if message["text"] == text and message.get("reply_markup") == params.get("reply_markup"):
            raise _ApiError(400, NOT_MODIFIED)
        message["text"] = text
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return {**message, "edit_date": int(time.time())}

    def _m_deleteMessage(self, params):
        chat_id = self._chat_id(params)
        if self.messages.pop((chat_id, int(params.get("message_id", 0))), None) is None:
            raise _ApiError(400, "Bad Request: message to delete not found")
        return True

    def _m_sendChatAction(self, params):
        self._chat_id(params)
        return True

    def _m_sendDocument(self, params):
        chat_id = self._chat_id(params)
        document = params.get("document")
        if not isinstance(document, dict):
            raise _ApiError(400, "Bad Request: there is no document in the request")
        file_id = f"DOC{next(self._file_ids)}"
        stored = self.add_file(file_id, document["data"], file_path=f"documents/{document['filename']}")
        content: dict[str, Any] = {"document": {
            "file_id": file_id, "file_unique_id": stored.file_unique_id, "file_name": document["filename"],
            "mime_type": document.get("content_type", "application/octet-stream"),
            "file_size": len(document["data"])}}
        if params.get("caption"):
            content["caption"] = params["caption"]
        return self._new_message(chat_id, **content)

    def _m_getFile(self, params):
        stored = self.files.get(str(params.get("file_id", "")))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        if len(stored.data) > self.download_limit:
            raise _ApiError(400, "Bad Request: file is too big")
        result: dict[str, Any] = {"file_id": params["file_id"], "file_unique_id": stored.file_unique_id,
                                  "file_path": stored.file_path}
        if stored.reported_size is not None:
            result["file_size"] = stored.reported_size
        return result

    def _m_sendInvoice(self, params):
        chat_id = self._chat_id(params)
        prices = params.get("prices")
        if params.get("currency") == "XTR" and (not isinstance(prices, list) or len(prices) != 1):
            raise _ApiError(400, "Bad Request: STARS_INVOICE_INVALID")
        if params.get("currency") == "XTR" and params.get("provider_token"):
            raise _ApiError(400, "Bad Request: PAYMENT_PROVIDER_INVALID")
        total = sum(int(p["amount"]) for p in prices or [])
        return self._new_message(chat_id, invoice={
            "title": params.get("title"), "description": params.get("description"),
            "start_parameter": "", "currency": params.get("currency"), "total_amount": total})

    def _m_answerCallbackQuery(self, params):
        if not params.get("callback_query_id"):
            raise _ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        return True

    def _m_answerPreCheckoutQuery(self, params):
        if params.get("ok") not in ("true", "True", True) and not params.get("error_message"):
            raise _ApiError(400, "Bad Request: PRECHECKOUT_QUERY_ERROR_MESSAGE_EMPTY")
        return True

    def _m_refundStarPayment(self, params):
        if not params.get("user_id") or not params.get("telegram_payment_charge_id"):
            raise _ApiError(400, "Bad Request: user_id and telegram_payment_charge_id are required")
        charge = str(params["telegram_payment_charge_id"])
        if charge in self.refunded_charges:
            raise _ApiError(400, "Bad Request: CHARGE_ALREADY_REFUNDED")
        self.refunded_charges.append(charge)
        return True

    def _m_setWebhook(self, params):
        url = str(params.get("url") or "")
        if not url:
            raise _ApiError(400, "Bad Request: bad webhook: URL is empty")
        if not url.startswith("https://"):
            raise _ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(str(secret)):
            raise _ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": url, "secret_token": secret, "allowed_updates": params.get("allowed_updates"),
                        "last_error_date": None, "last_error_message": ""}
        return True

    @staticmethod
    def _scope_and_language(params) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
            raise _ApiError(400, "Bad Request: can't parse BotCommandScope")
        language = str(params.get("language_code") or "")
        if not _LANGUAGE_CODE.fullmatch(language):
            raise _ApiError(400, "Bad Request: invalid language code specified")
        kind = scope["type"]
        if kind in ("chat", "chat_administrators", "chat_member"):
            kind = f"{kind}:{scope.get('chat_id')}:{scope.get('user_id', '')}"
        return kind, language

    def _m_setMyCommands(self, params):
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH" if isinstance(commands, list)
                            else "Bad Request: can't parse commands JSON object")
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            description = command.get("description") if isinstance(command, dict) else None
            if not isinstance(name, str) or not _COMMAND.fullmatch(name):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._scope_and_language(params)
        if commands:
            self.commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        else:
            self.commands.pop(key, None)  # an empty list deletes the scope's commands
        return True

    def _m_getMyCommands(self, params):
        # Exactly the list set for this scope and language (empty when none is), not the fallback
        # a user would see.
        return list(self.commands.get(self._scope_and_language(params), []))

    def _m_deleteWebhook(self, params):
        self.webhook = {}
        return True

    def _m_getWebhookInfo(self, params):
        # The secret token is never part of the answer (Bot API, WebhookInfo).
        hook = self.webhook
        info: dict[str, Any] = {"url": hook.get("url", ""), "has_custom_certificate": False,
                                "pending_update_count": self.pending_updates}
        if hook.get("allowed_updates") is not None:
            info["allowed_updates"] = hook["allowed_updates"]
        if hook.get("last_error_message"):
            info["last_error_date"] = hook.get("last_error_date") or int(time.time())
            info["last_error_message"] = hook["last_error_message"]
        return info

    # -- webhook helpers for tests -------------------------------------------------------------------
    def set_webhook_state(self, url: str, *, secret_token: str | None = None,
                          allowed_updates: list[str] | None = None) -> None:
        """What a successful setWebhook leaves (any URL: a test may point it at a loopback server)."""
        with self._lock:
            self.webhook = {"url": url, "secret_token": secret_token, "allowed_updates": allowed_updates,
                            "last_error_date": None, "last_error_message": ""}

    def webhook_error(self, message: str, date: int | None = None) -> None:
        """Telegram's record of its last failed delivery, e.g. "Wrong response from the webhook: 403 Forbidden"."""
        with self._lock:
            self.webhook["last_error_message"] = message
            self.webhook["last_error_date"] = date or int(time.time())


def _error_body(status: int, description: str, retry_after: int | None = None) -> tuple[int, dict]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return status, body


def _decode_form(body: bytes) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
        params[key] = _maybe_json(key, value)
    return params


def _decode_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            params[name] = {"filename": filename, "data": payload, "content_type": part.get_content_type()}
        else:
            params[name] = _maybe_json(name, payload.decode("utf-8"))
    return params


def _maybe_json(key: str, value: str) -> Any:
    if key in _JSON_PARAMS:
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


class _Handler(LoopbackHandler):
    @property
    def loopback(self) -> TelegramLoopback:
        return self.server.backend

    def _json(self, status: int, payload: dict) -> None:
        self.reply(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    def _route(self) -> tuple[str, str] | None:
        path = unquote(self.path.split("?", 1)[0])  # PTB sends the token's ':' as %3A in downloads
        loop = self.loopback
        for prefix, kind in ((f"/file/bot{loop.token}/", "file"), (f"/bot{loop.token}/", "api")):
            if path.startswith(prefix):
                return kind, path[len(prefix):]
        return None

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        body = self.read_body()
        route = self._route()
        if route is None or route[0] != "api":
            self._json(*_error_body(401, "Unauthorized"))
            return
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            params = _decode_multipart(content_type, body)
        else:
            params = _decode_form(body) if body else {}
        status, payload = self.loopback.handle_api(route[1], params, content_type)
        self._json(status, payload)

    def do_GET(self) -> None:  # noqa: N802
        route = self._route()
        if route is None:
            self._json(*_error_body(401, "Unauthorized"))
            return
        kind, rest = route
        if kind == "api":  # Telegram accepts GET for methods too
            query = self.path.split("?", 1)[1] if "?" in self.path else ""
            status, payload = self.loopback.handle_api(rest, _decode_form(query.encode()), "")
            self._json(status, payload)
            return
        data = self.loopback.handle_download(rest)
        if data is None:
            self._json(*_error_body(404, "Not Found"))
        else:
            self.reply(200, data, {"Content-Type": "application/octet-stream"})


@contextlib.contextmanager
def running_telegram_server(token: str) -> Iterator[TelegramLoopback]:
    """Serve the fake Bot API on 127.0.0.1 (a free port) in a thread for the ``with`` block."""
    loopback = TelegramLoopback(token)
    server = LoopbackHTTPServer(_Handler, loopback)
    loopback.base_url = f"{server.url}/bot"
    loopback.base_file_url = f"{server.url}/file/bot"
    with serve(server, "telegram-loopback"):
        yield loopback
