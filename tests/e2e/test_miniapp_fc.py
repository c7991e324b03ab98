"""The Mini App on the webhook function: FC 3.0 HTTP-trigger events for ``/app`` and its upload API,
with a whole upload (start, parts to the in-memory store's signed URLs, complete) and the worker."""

from __future__ import annotations

import json
import time

import pytest

from domain.users import User
from entrypoints.local.bot import signed_init_data
from tests.audio_factory import fixture
from tests.e2e.test_fc_handlers import build_fc, fc_context, http_event

TOKEN = "4242:fc-miniapp-token"
USER = 777


def app_event(path: str, body: dict | None = None, method: str = "POST") -> bytes:
    event = json.loads(http_event(body, method=method, secret=None))
    event["rawPath"] = path
    event["requestContext"]["http"]["path"] = path
    return json.dumps(event).encode()


@pytest.fixture
def fc(monkeypatch, tmp_path):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("MINIAPP_URL", "https://tg-webhook-abc.ap-southeast-1.fcapp.run/app")
    built = build_fc(monkeypatch, tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)  # build_fc clears it
    return built


def call(fc, path: str, body: dict | None = None, method: str = "POST") -> tuple[int, dict | str, dict]:
    answer = fc.webhook.handler(app_event(path, body, method), fc_context())
    text = answer["body"]
    is_json = answer["headers"]["Content-Type"].startswith("application/json")
    return answer["statusCode"], json.loads(text) if is_json else text, answer["headers"]


def test_the_page_is_served_without_a_secret_header_and_is_cacheable(fc):
    status, html, headers = call(fc, "/app", method="GET")
    assert status == 200 and "<title>Upload</title>" in html
    assert headers["Cache-Control"] == "public, max-age=300"
    assert TOKEN.split(":")[1] not in html


def test_forged_init_data_is_401_and_the_telegram_webhook_still_demands_its_secret(fc):
    forged = signed_init_data("1:not-the-bot", USER, now=time.time())
    status, body, _ = call(fc, "/app/uploads", {"init_data": forged, "file_name": "a.mp4", "size": 10,
                                                "content_type": "video/mp4"})
    assert (status, body) == (401, {"error": "unauthorized"})
    # The bot's own webhook path is unchanged: no secret, 403.
    assert fc.webhook.handler(app_event("/", {"update_id": 1}), fc_context())["statusCode"] == 403


def test_a_whole_upload_through_the_function_becomes_a_transcribed_job(fc):
    init_data = signed_init_data(TOKEN, USER, now=time.time())
    call(fc, "/app", method="GET")
    fc.runtime.container(fc_context())
    users = fc.runtime.resolve("users")
    users.create(User(user_id=USER, first_name="Ann"))
    users.apply_balance(USER, "seed", 10)
    data = fixture("clip").read_bytes()
    status, started, _ = call(fc, "/app/uploads", {"init_data": init_data, "file_name": "clip.mp4",
                                                   "size": len(data), "content_type": "video/mp4"})
    assert status == 200, started
    blobs = fc.runtime.resolve("blobs")
    parts, offset = [], 0
    for part in started["parts"]:
        etag = blobs.accept_put_url(part["url"], data[offset:offset + part["size"]])
        offset += part["size"]
        parts.append({"number": part["number"], "etag": etag})
    path = f"/app/uploads/{started['upload_id']}/complete"
    status, done, _ = call(fc, path, {"init_data": init_data, "parts": parts})
    assert status == 200 and done["status"] == "queued"
    assert call(fc, path, {"init_data": init_data, "parts": parts})[1] == done  # idempotent
    other = signed_init_data(TOKEN, USER + 1, now=time.time())
    assert call(fc, path, {"init_data": other, "parts": parts})[0] == 401
    queue = fc.runtime.resolve("queue")
    message = queue.receive()
    assert message.job_id == done["job_id"] and queue.receive() is None
    outcome = fc.runtime.resolve("transcribe_job")(message.job_id)
    assert outcome.status == "completed"
    assert not [key for key in blobs.blobs if key.startswith("uploads/")]
    assert users.get(USER).balance_minutes == 9  # 4.5 s of decoded audio: one minute
