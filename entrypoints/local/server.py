"""``serve``: the webhook on 127.0.0.1 and a worker thread, with the chat printed to the console."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from entrypoints.local.bot import LocalBot


def make_server(bot: LocalBot, port: int) -> ThreadingHTTPServer:
    container = bot.container

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = min(int(self.headers.get("Content-Length") or 0), 2_000_000)
            body = self.rfile.read(length) if length else b""
            from entrypoints.webhook_http import handle_webhook

            answer = handle_webhook(self.command, dict(self.headers.items()), body,
                                    secret=bot.settings.telegram_webhook_secret,
                                    accept_update=container.accept_update())
            payload = json.dumps(answer.body).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:  # the chat output is the interesting part
            return

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def run_worker(bot: LocalBot, stop: threading.Event) -> None:
    while not stop.is_set():
        if bot.drain() == 0:
            stop.wait(0.2)


def run_server(port: int, media_dir: Path | None) -> int:
    bot = LocalBot(media_dir=media_dir)
    server = make_server(bot, port)
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(bot, stop), daemon=True)
    worker.start()
    print(f"webhook on http://127.0.0.1:{server.server_port}/ (secret header: "
          f"{'required' if bot.settings.telegram_webhook_secret else 'not configured'}); "
          f"media for file_ids from {bot.media_dir}; Ctrl-C to stop")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
        time.sleep(0.1)
    return 0
