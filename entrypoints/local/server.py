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
"""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from entrypoints.local.bot import LOCAL_GRANT_MINUTES, LocalBot, default_export_dir
from entrypoints.webhook_http import MAX_BODY_BYTES, secret_matches

READ_TIMEOUT_S = 10.0

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
            raw = self.headers.get("Content-Length")
            if raw is None:
                raise _Refused(411, "Content-Length required")
            if not (raw.isascii() and raw.isdigit()):
                raise _Refused(400, "bad Content-Length")
            length = int(raw)
            if length > MAX_BODY_BYTES:
                raise _Refused(413, "body too large")
            deadline = time.monotonic() + read_timeout_s
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

        def _answer(self) -> None:
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
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:  # the chat output is the interesting part
            return

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


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
    bot = LocalBot(media_dir=media_dir, ui=ui, export_dir=export_dir, grant_minutes=minutes,
                   printer=lambda line: print(line, flush=True))
    server = make_server(bot, port, welcome_new_users=True)
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(bot, stop), daemon=True)
    worker.start()
    secret = bot.note("secret_required" if bot.settings.telegram_webhook_secret else "secret_none")
    print(bot.note("serve_banner", port=server.server_port, secret=secret, media=bot.media_dir,
                   minutes=minutes, dir=export_dir), flush=True)
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
