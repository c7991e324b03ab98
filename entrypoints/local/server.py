"""``serve``: the webhook on 127.0.0.1 and a worker thread, with the chat printed to the console.

The HTTP layer gives a stranger nothing to hold on to: the secret header is checked before a
byte of the body is read (403, connection closed); ``Content-Length`` must be a plain number up
to the webhook's ``MAX_BODY_BYTES`` (else 400/411/413 without reading); every socket read has a
timeout and the whole body a deadline (408), so a request can pin a thread for seconds, not for
as long as its sender likes. ``file_id``s name files inside the media folder only (the chat
adapter resolves them, ``RecordingChat.download``).

With ``welcome_new_users`` (as ``run_server`` does) a person who writes for the first time starts
with the runner's minutes, as in ``chat`` and ``transcribe``; only requests that passed the secret
check get that far.

The Mini App is served too (``/app``, ``/app/uploads``: ``entrypoints.miniapp_http``), backed by the
in-memory blob store, whose signed upload URLs point here (``/blobs/<key>?...``): a laptop user can
upload a large file from a browser end to end. ``server.drop_part(n)`` makes the next upload of part n
lose its connection (the tests' dropped connection).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from adapters.memory.blob_store import InMemoryBlobStore, UploadRefused
from entrypoints.local.bot import (
    LOCAL_GRANT_MINUTES,
    LOCAL_USER_ID,
    LocalBot,
    default_export_dir,
    signed_init_data,
)
from entrypoints.miniapp_http import MAX_API_BODY_BYTES, handle_miniapp, is_miniapp_path
from entrypoints.webhook_http import MAX_BODY_BYTES, secret_matches

READ_TIMEOUT_S = 10.0
# A part of a direct upload (8 MiB by default; UPLOAD_PART_BYTES) and the time its body may take.
MAX_PART_BYTES = 64 * 1024 * 1024
PART_READ_S = 120.0

log = logging.getLogger("local")


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def make_server(bot: LocalBot, port: int, *, read_timeout_s: float = READ_TIMEOUT_S,
                welcome_new_users: bool = False) -> ThreadingHTTPServer:
    container = bot.container
    secret = bot.settings.telegram_webhook_secret

    class Handler(BaseHTTPRequestHandler):
        timeout = read_timeout_s  # every read of the socket, headers included

        def _body(self) -> bytes:
            if self.command != "POST":
                return b""
            if not secret_matches(dict(self.headers.items()), secret):
                raise _Refused(403, "wrong or missing secret")
            return self._read(MAX_BODY_BYTES, read_timeout_s)

        def _read(self, max_bytes: int, budget_s: float) -> bytes:
            raw = self.headers.get("Content-Length")
            if raw is None:
                raise _Refused(411, "Content-Length required")
            if not (raw.isascii() and raw.isdigit()):
                raise _Refused(400, "bad Content-Length")
            length = int(raw)
            if length > max_bytes:
                raise _Refused(413, "body too large")
            deadline = time.monotonic() + budget_s
            chunks, left = [], length
            while left:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _Refused(408, "body too slow")
                self.connection.settimeout(remaining)
                try:
                    chunk = self.rfile.read1(min(left, 65536))
                except TimeoutError:
                    raise _Refused(408, "body too slow") from None
                if not chunk:
                    raise _Refused(400, "body shorter than its Content-Length")
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks)

        def _miniapp(self) -> None:
            try:
                body = self._read(MAX_API_BODY_BYTES, read_timeout_s) if self.command == "POST" else b""
            except _Refused as refused:
                self.close_connection = True
                self._reply(refused.status, {"ok": False, "error": str(refused)})
                return
            answer = handle_miniapp(self.command, self.path, body, flow=container.direct_uploads)
            self._send(answer.status, answer.body, answer.headers)

        def _blob_put(self) -> None:
            key, _, query = self.path[len("/blobs/"):].partition("?")
            try:
                if not isinstance(blobs, InMemoryBlobStore):
                    raise _Refused(404, "no local blob store")
                body = self._read(MAX_PART_BYTES, PART_READ_S)
                if server.take_part_drop(query):
                    # The connection goes away without an answer, as a phone losing its network would.
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                etag = blobs.accept_put(key, query, body)
            except _Refused as refused:
                self.close_connection = True
                self._reply(refused.status, {"ok": False, "error": str(refused)})
                return
            except UploadRefused as refused:
                self._reply(refused.status, {"ok": False, "error": str(refused)})
                return
            # Same origin as the page here; the header is exposed anyway, as the bucket's CORS rule does.
            self._send(200, b"", {"ETag": etag, "Access-Control-Expose-Headers": "ETag"})

        def _answer(self) -> None:
            if is_miniapp_path(self.path):
                self._miniapp()
                return
            if self.command == "PUT" and self.path.startswith("/blobs/"):
                self._blob_put()
                return
            try:
                body = self._body()
            except _Refused as refused:
                # The unread rest of the request is garbage for this connection: close it.
                self.close_connection = True
                self._reply(refused.status, {"ok": False, "error": str(refused)})
                return
            from entrypoints.webhook_http import handle_webhook

            if welcome_new_users and body:
                bot.welcome(body)
            answer = handle_webhook(self.command, dict(self.headers.items()), body, secret=secret,
                                    accept_update=container.accept_update())
            self._reply(answer.status, answer.body)

        def _reply(self, status: int, body: dict) -> None:
            self._send(status, json.dumps(body).encode(), {"Content-Type": "application/json"})

        def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, *args) -> None:  # the chat output is the interesting part
            return

    server = _LocalServer(("127.0.0.1", port), Handler)
    blobs = container.blobs()
    if isinstance(blobs, InMemoryBlobStore):
        blobs.upload_base_url = f"http://127.0.0.1:{server.server_port}/blobs"
        if not bot.settings.miniapp_url:
            # The bot's upload button opens this server's page (Telegram would insist on HTTPS).
            bot.use_miniapp(f"http://127.0.0.1:{server.server_port}/app")
    return server


class _LocalServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._drops: set[int] = set()
        self._drops_lock = threading.Lock()
        self.dropped: list[int] = []

    def drop_part(self, number: int) -> None:
        """Lose the connection of the next upload of part ``number`` (once)."""
        with self._drops_lock:
            self._drops.add(number)

    def take_part_drop(self, query: str) -> bool:
        number = parse_qs(query).get("partNumber", [""])[0]
        with self._drops_lock:
            if number.isdigit() and int(number) in self._drops:
                self._drops.discard(int(number))
                self.dropped.append(int(number))
                return True
            return False


def run_worker(bot: LocalBot, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            drained = bot.drain()
        except Exception:  # a bug: its traceback once, and the worker goes on with the next job
            log.exception("worker: a job crashed; its message comes back after the visibility timeout")
            drained = 0
        if drained == 0:
            stop.wait(0.2)


def run_server(port: int, media_dir: Path | None, *, ui: str | None = None, export_dir: Path | None = None,
               minutes: int = LOCAL_GRANT_MINUTES) -> int:
    export_dir = (export_dir or default_export_dir()).resolve()
    env = dict(os.environ)
    # initData is signed with the bot token: a run without one gets a token of its own, so the Mini
    # App works from a browser with the link printed below.
    env.setdefault("TELEGRAM_BOT_TOKEN", "local:" + secrets.token_urlsafe(24))
    bot = LocalBot(env, media_dir=media_dir, ui=ui, export_dir=export_dir, grant_minutes=minutes,
                   printer=lambda line: print(line, flush=True))
    server = make_server(bot, port, welcome_new_users=True)
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(bot, stop), daemon=True)
    worker.start()
    secret = bot.note("secret_required" if bot.settings.telegram_webhook_secret else "secret_none")
    print(bot.note("serve_banner", port=server.server_port, secret=secret, media=bot.media_dir,
                   minutes=minutes, dir=export_dir), flush=True)
    hours = bot.settings.miniapp_init_data_max_age_s // 3600
    init_data = signed_init_data(bot.settings.telegram_token, LOCAL_USER_ID, now=time.time(), language=ui or "en")
    print(bot.note("miniapp_link", user=LOCAL_USER_ID, hours=hours,
                   url=f"{bot.settings.miniapp_url}#tgWebAppData={quote(init_data, safe='')}"), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
        time.sleep(0.1)
        bot.close()
    return 0
