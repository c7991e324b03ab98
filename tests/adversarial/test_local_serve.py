"""Hostile requests to the local runner's ``serve``.

Before: ``Content-Length: -1`` made the handler read until the client hung up, before the secret
was even looked at (one such request per thread pinned the server); a body that never came did
the same; and an update's ``file_id`` was joined to the media folder as it was, so
``../../etc/...``, an absolute path or a symlink out of the folder had the bot read (and
transcribe) any file of the machine. Now the secret is checked before the body is read, the
length is checked before anything is read, reads have a deadline, and a ``file_id`` names a file
inside the media folder only.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import types
from collections.abc import Iterator

import pytest

from entrypoints.local.bot import LOCAL_USER_ID, LocalBot
from entrypoints.local.server import make_server
from tests.audio_factory import fixture
from tests.ledger import assert_ledger

pytestmark = pytest.mark.slow
SECRET = "local-serve-secret"
READ_TIMEOUT_S = 0.5
ANSWER_WITHIN_S = 3.0  # far below "until the attacker hangs up"


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[LocalBot, int]]:
    media = tmp_path / "media"
    media.mkdir()
    bot = LocalBot(env={"TELEGRAM_WEBHOOK_SECRET": SECRET}, media_dir=media, printer=None)
    bot.grant()
    server = make_server(bot, 0, read_timeout_s=READ_TIMEOUT_S)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield bot, server.server_port
    finally:
        server.shutdown()
        server.server_close()
        bot.close()


def ledger(bot: LocalBot) -> types.SimpleNamespace:
    c = bot.container
    return types.SimpleNamespace(users=c.users(), jobs=c.jobs(), clock=c.clock(), queue=c.queue())


def raw_request(port: int, head: str, body: bytes = b"", *, hang: bool = True) -> tuple[int | None, float]:
    """Send ``head`` (+ ``body``) and keep the connection open, like an attacker; returns the status
    line's code (None: no answer within ``ANSWER_WITHIN_S``) and the seconds it took."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(ANSWER_WITHIN_S)
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        try:
            answer = sock.recv(200)
        except TimeoutError:
            return None, time.monotonic() - started
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else None
    return status, time.monotonic() - started


def post_head(length: str, *, secret: str | None) -> str:
    lines = ["POST / HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", f"Content-Length: {length}"]
    if secret is not None:
        lines.append(f"X-Telegram-Bot-Api-Secret-Token: {secret}")
    return "\n".join(lines) + "\n"


def update(update_id: int, file_id: str) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1767225600,
        "from": {"id": LOCAL_USER_ID, "is_bot": False, "first_name": "Ann"},
        "chat": {"id": LOCAL_USER_ID, "type": "private"},
        "voice": {"file_id": file_id, "file_unique_id": f"U{update_id}", "duration": 5, "mime_type": "audio/ogg"}}}


def test_a_negative_content_length_is_answered_at_once_and_pins_nothing(served):
    bot, port = served
    assert raw_request(port, post_head("-1", secret=None))[0] == 403  # the secret first
    for attack in ("-1", "1e3", "+5", "0x10", "٣"):
        status, took = raw_request(port, post_head(attack, secret=SECRET))
        assert status == 400 and took < ANSWER_WITHIN_S, attack
    status, _ = raw_request(port, post_head(str(10**12), secret=SECRET))
    assert status == 413  # refused by its length: not a byte of it read


def test_a_body_that_never_comes_is_cut_off_by_the_read_deadline(served):
    bot, port = served
    assert raw_request(port, post_head("1000", secret=None), b"{")[0] == 403  # not even waited for
    status, took = raw_request(port, post_head("1000", secret=SECRET), b'{"update_id": 1')
    assert status == 408 and took < READ_TIMEOUT_S + 2.0
    # Twenty of them at once leave the server free for the next real request.
    with socket.socket() as probe:
        probe.settimeout(5)
        threads = [threading.Thread(target=raw_request, args=(port, post_head("1000", secret=SECRET)))
                   for _ in range(20)]
        for t in threads:
            t.start()
        time.sleep(0.1)
        body = json.dumps(update(9, "missing.ogg")).encode()
        status, took = raw_request(port, post_head(str(len(body)), secret=SECRET), body)
        for t in threads:
            t.join()
    assert status == 200 and took < ANSWER_WITHIN_S
    assert_ledger(ledger(bot))


def test_a_file_id_cannot_name_a_file_outside_the_media_folder(served, tmp_path):
    bot, _ = served
    outside = tmp_path / "outside"
    outside.mkdir()
    secret_audio = outside / "secret.ogg"
    secret_audio.write_bytes(fixture("hello_en").read_bytes())
    (bot.media_dir / "link.ogg").symlink_to(secret_audio)
    (bot.media_dir / "sub").mkdir()
    balance = bot.container.users().get(LOCAL_USER_ID).balance_minutes

    hostile = [str(secret_audio), "../outside/secret.ogg", "sub/../../outside/secret.ogg", "link.ogg",
               "/etc/hostname", "nul\x00.ogg"]
    for n, file_id in enumerate(hostile, start=1):
        answer = bot.post(update(100 + n, file_id))
        assert answer.status == 200, file_id
    assert not [line for line in bot.lines if "placeholder transcript" in line], "an outside file was read"
    assert bot.container.users().get(LOCAL_USER_ID).balance_minutes == balance  # every minute back

    # A file inside the folder (a symlink within it included) is still served.
    (bot.media_dir / "inside.ogg").write_bytes(fixture("hello_en").read_bytes())
    (bot.media_dir / "sub" / "alias.ogg").symlink_to(bot.media_dir / "inside.ogg")
    for n, file_id in enumerate(("inside.ogg", "sub/alias.ogg"), start=200):
        assert bot.post(update(n, file_id)).body.get("result") == "media:inline:completed"
    assert len([line for line in bot.lines if "placeholder transcript" in line]) == 2
    assert_ledger(ledger(bot))
