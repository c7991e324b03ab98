"""The local runner's ``serve`` (HTTP webhook + worker thread) and ``chat`` (console) commands."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest

from entrypoints.local.bot import LocalBot
from entrypoints.local.console import run_chat
from entrypoints.local.server import make_server, run_worker
from tests.audio_factory import fixture

pytestmark = pytest.mark.slow
SECRET = "local-serve-secret"


def post(url: str, body: dict, secret: str | None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_serve_accepts_real_update_json_and_the_worker_finishes_queued_jobs(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    (media / "VOICE_LONG").write_bytes(fixture("hello_en").read_bytes())
    lines: list[str] = []
    bot = LocalBot(env={"TELEGRAM_WEBHOOK_SECRET": SECRET}, media_dir=media, printer=lines.append)
    bot.grant()
    server = make_server(bot, 0)
    stop = threading.Event()
    threads = [threading.Thread(target=server.serve_forever, daemon=True),
               threading.Thread(target=run_worker, args=(bot, stop), daemon=True)]
    for t in threads:
        t.start()
    url = f"http://127.0.0.1:{server.server_port}/"
    try:
        with urllib.request.urlopen(url, timeout=10) as health:
            assert json.loads(health.read()) == {"status": "ok"}
        update = {"update_id": 77, "message": {
            "message_id": 5, "date": 1767225600, "from": {"id": 1001, "is_bot": False, "first_name": "Ann"},
            "chat": {"id": 1001, "type": "private"},
            # Telegram says 75 s, so the job is queued and the worker thread picks it up.
            "voice": {"file_id": "VOICE_LONG", "file_unique_id": "UL", "duration": 75, "mime_type": "audio/ogg"}}}
        assert post(url, update, "wrong")[0] == 403
        status, body = post(url, update, SECRET)
        assert (status, body["result"]) == (200, "media:queued")
        for _ in range(200):
            if any("placeholder transcript" in line for line in lines):
                break
            stop.wait(0.05)
        assert any("placeholder transcript" in line for line in lines), lines
        assert post(url, update, SECRET)[1]["result"] == "media:duplicate"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        bot.close()


def test_chat_console_answers_commands_files_and_button_presses():
    script = iter(["/balance", "/settings", "press set:use_code", str(fixture("hello_en")), "/nonsense"])
    printed: list[str] = []

    def fake_input(prompt: str) -> str:
        try:
            return next(script)
        except StopIteration:
            raise EOFError from None

    assert run_chat(input_fn=fake_input, printer=printed.append) == 0
    text = "\n".join(printed)
    assert "600" in text  # the balance the console grants
    assert "(set:use_code)" in text  # buttons are shown with their data
    assert "placeholder transcript" in text  # the file went through the whole pipeline
    assert "/help" in text.split("placeholder transcript")[-1]  # the unknown-command reply
