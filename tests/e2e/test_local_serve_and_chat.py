"""The local runner's ``serve`` (HTTP webhook + worker thread) and ``chat`` (console) commands."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from adapters.memory.chat import ChatEvent
from entrypoints.local.__main__ import main as local_main
from entrypoints.local.bot import LocalBot, describe_event
from entrypoints.local.console import run_chat
from entrypoints.local.server import make_server, run_worker
from tests.audio_factory import fixture

pytestmark = pytest.mark.slow
SECRET = "local-serve-secret"
ROOT = Path(__file__).resolve().parents[2]


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


# -- the runner as a person uses it: ``python -m entrypoints.local chat|serve`` ----------------------

CYRILLIC = re.compile(r"[\u0400-\u04FF]")
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG", "OWNER_ID", "TELEGRAM_WEBHOOK_SECRET")


class Typist:
    """Types lines into ``chat`` (as ``input``); a line may be a function of what was printed so far."""

    def __init__(self, capsys, lines) -> None:
        self.capsys, self.lines, self.seen = capsys, iter(lines), ""

    def __call__(self, prompt: str = "") -> str:
        self.seen += self.capsys.readouterr().out
        try:
            line = next(self.lines)
        except StopIteration:
            raise EOFError from None
        return line(self.seen) if callable(line) else line


def chat(monkeypatch, capsys, lines, *args: str, env: dict[str, str] | None = None) -> str:
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    typist = Typist(capsys, lines)
    monkeypatch.setattr("builtins.input", typist)
    assert local_main(["chat", *args]) == 0
    return typist.seen + capsys.readouterr().out


def button(data_prefix: str):
    """``press`` the latest button whose data starts with ``data_prefix``, as read on the screen."""
    def press(seen: str) -> str:
        return "press " + re.findall(rf"\(({re.escape(data_prefix)}[^)]*)\)", seen)[-1]
    return press


def test_chat_saves_what_an_export_button_gives_into_the_folder_it_names(monkeypatch, capsys, tmp_path):
    export_dir = tmp_path / "exports"
    out = chat(monkeypatch, capsys, [str(fixture("hello_en")), button("export:"), button("export:"),
                                     lambda seen: "press " + re.findall(r"\((export:[^)]*:srt)\)", seen)[-1]],
               "--ui", "en", "--export-dir", str(export_dir))
    assert f"Files the bot sends are saved in {export_dir}" in out
    saved = {p.name for p in export_dir.iterdir()}
    (srt,) = [n for n in saved if n.endswith(".srt")]
    vtt = sorted((n for n in saved if n.endswith(".vtt")), key=len)
    assert len(saved) == 3 and len(vtt) == 2
    assert vtt[1] == vtt[0].replace(".vtt", "-2.vtt")  # a second press of a button overwrites nothing
    for name in saved:
        assert f"saved to {export_dir / name}" in out
        assert (export_dir / name).read_bytes()
    assert (export_dir / srt).read_text(encoding="utf-8").startswith("1\n00:00:00,000 --> ")


def test_chat_speaks_the_shells_language_unless_told(monkeypatch, capsys, tmp_path):
    russian = chat(monkeypatch, capsys, ["/start", "/balance"], "--export-dir", str(tmp_path),
                   env={"LANG": "ru_RU.UTF-8"})
    assert "Я превращаю" in russian and "Ваш баланс: 600 мин." in russian and "Выход — Ctrl-D" in russian
    english = chat(monkeypatch, capsys, ["/start", "/balance"], "--ui", "en", "--export-dir", str(tmp_path),
                   env={"LANG": "ru_RU.UTF-8"})
    assert "Your balance: 600 min." in english and not CYRILLIC.search(english), english
    default = chat(monkeypatch, capsys, ["/balance"], "--minutes", "42", "--export-dir", str(tmp_path))
    assert "Your balance: 42 min." in default  # no locale at all: English


def test_chat_shows_html_as_telegram_would_and_says_what_trial_and_dialogue_need(monkeypatch, capsys, tmp_path):
    out = chat(monkeypatch, capsys, ["/code", str(fixture("hello_en")), "/trial", "/dialogue"],
               "--ui", "en", "--export-dir", str(tmp_path))
    transcript = next(line for line in out.splitlines() if "placeholder transcript" in line)
    assert "<code>" not in transcript and "</code>" not in transcript
    assert "OWNER_ID is not set, so trial requests are not filed" in out
    assert "--speaker-pass FILE --text-pass FILE" in out
    # Multi-line messages keep their lines under the first, not at the left edge.
    settings = chat(monkeypatch, capsys, ["/settings"], "--ui", "en", "--export-dir", str(tmp_path))
    block = settings[settings.index("⚙️ Settings"):].splitlines()
    assert block[1].startswith("        Tap a button") and block[-2].startswith("        [")


def test_chat_with_an_owner_the_trial_card_comes_and_html_reports_are_plain(monkeypatch, capsys, tmp_path):
    out = chat(monkeypatch, capsys, ["/trial", button("trial:approve:"), "/balance", "/user"],
               "--ui", "en", "--export-dir", str(tmp_path), env={"OWNER_ID": "1001"})
    assert "nobody receives" not in out
    assert "Your balance: 615 min." in out
    users = out[out.index("Your balance: 615 min."):]
    assert "Local" in users and "1001" in users and not re.search(r"</?(b|code|i|pre)>", users), users


def test_describe_event_renders_html_entities_and_links_as_text():
    event = ChatEvent("send", 1, 7, '<b>Top</b> &lt;3 &amp; <a href="https://t.me/x">link</a>\n<code>a\nb</code>',
                      html=True)
    assert describe_event(event) == "→ #7 Top <3 & link (https://t.me/x)\n     a\n     b"
    plain = ChatEvent("send", 1, 8, "/language <code>")  # not HTML: shown as it is
    assert describe_event(plain) == "→ #8 /language <code>"
    assert describe_event(ChatEvent("callback", 0, None, "")) == ""


class Served:
    """``python -m entrypoints.local serve --port 0`` in a subprocess, its output read as it comes."""

    def __init__(self, tmp_path, *args: str, env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.local", "serve", "--port", "0", *args], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={"PATH": "/usr/bin:/bin", **(env or {})})
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for("127.0.0.1:")
        self.url = "http://127.0.0.1:" + re.search(r"127\.0\.0\.1:(\d+)/", self.text).group(1) + "/"

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, needle: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while needle not in self.text:
            assert self.process.poll() is None, self.process.stderr.read()
            assert time.monotonic() < deadline, self.text
            time.sleep(0.05)
        return self.text

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        _, err = self.process.communicate(timeout=15)
        return self.process.returncode, err


def update(update_id: int, user_id: int, **message) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1767225600, "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "Ann", "language_code": "de"}, **message}}


def test_serve_gives_a_new_user_minutes_says_what_trial_does_and_saves_exports(tmp_path):
    media, exports = tmp_path / "media", tmp_path / "exports"
    media.mkdir()
    (media / "VOICE_1").write_bytes(fixture("hello_en").read_bytes())
    served = Served(tmp_path, "--media-dir", str(media), "--export-dir", str(exports), "--ui", "en",
                    env={"TELEGRAM_WEBHOOK_SECRET": SECRET})
    try:
        banner = served.text
        assert "secret header: required" in banner and "every user who writes starts with 600 min" in banner
        assert f"saved in {exports}" in banner
        assert post(served.url, update(1, 555, text="/balance"), "wrong")[0] == 403  # no minutes for forgers
        assert "555" not in served.text
        assert post(served.url, update(2, 555, text="/balance"), SECRET)[0] == 200
        out = served.wait_for("Your balance: 600 min.")
        assert "user 555 is new here: starts with 600 min" in out
        post(served.url, update(3, 555, text="/trial"), SECRET)
        served.wait_for("OWNER_ID is not set")
        post(served.url, update(4, 555, voice={"file_id": "VOICE_1", "file_unique_id": "U1", "duration": 3,
                                               "mime_type": "audio/ogg"}), SECRET)
        out = served.wait_for(":vtt)")
        message_id, data = re.findall(r"✎ #(\d+) [^\n]*placeholder[^\n]*\n\s+.*\((export:[^)]*:vtt)\)", out)[-1]
        press = {"update_id": 5, "callback_query": {
            "id": "c5", "data": data, "chat_instance": "x", "from": {"id": 555, "is_bot": False, "first_name": "Ann"},
            "message": {"message_id": int(message_id), "date": 0, "chat": {"id": 555, "type": "private"}}}}
        assert post(served.url, press, SECRET)[0] == 200
        out = served.wait_for("saved to")
        (saved,) = exports.iterdir()
        assert f"saved to {saved}" in out and saved.read_text(encoding="utf-8").startswith("WEBVTT")
        assert not CYRILLIC.search(out), out
    finally:
        code, err = served.stop()
    assert code == 0 and "Traceback" not in err, err
