"""The deployed shape end to end: both FC handlers with the python3.12 context, the production
profile on every loopback server, and the function role's credentials only in ``ALIBABA_CLOUD_*``
(as FC hands them; ``ALIBABA_ACCESS_KEY``/``ALIBABA_SECRET_KEY`` are empty as in s.yaml).

A 200 s voice note goes through the webhook (queued: above the inline threshold), MNS, the
worker (two chunks, Qwen formatting) to the chat. OSS and MNS insist on the STS token, so a
request signed without the token from the variables would fail; Tablestore rows hold the job.
"""

from __future__ import annotations

import contextlib
import importlib
import json

import pytest

from adapters.alibaba.tablestore import TablestoreRepositories, create_tables
from tests.audio_factory import make_audio
from tests.e2e.test_fc_handlers import cloud_event, http_event
from tests.fc_events import FunctionMeta, Python312Context, sts_environment
from tests.loopback.dashscope_server import asr_body, running_dashscope_server
from tests.loopback.mns_server import running_mns_server
from tests.loopback.oss_server import running_oss_server
from tests.loopback.tablestore_server import running_tablestore_server
from tests.loopback.telegram_server import running_telegram_server

pytestmark = pytest.mark.slow

TOKEN = "123456:TEST-fc-production-token-abcdefghijk"
SECRET = "wh-secret-0123456789abcdef"
DASHSCOPE_KEY = "sk-loopbacktestkey0123456789"
KEY_ID, KEY_SECRET, STS_TOKEN = "STS.NUloopback0001", "sts-secret-loopback-0001", "CAISloopback-sts-token-0001"
OWNER, USER, QUEUE = 42, 777, "transcribe-jobs"
SPOKEN = "so this is the weekly meeting and we talk about the budget for next year and the new office"

WEBHOOK = Python312Context(function=FunctionMeta(name="transcribe-webhook", timeout=60))
WORKER = Python312Context(function=FunctionMeta(name="transcribe-worker", timeout=300,
                                                handler="entrypoints/fc_worker/handler.handler"))


def message(update_id: int, user_id: int, **fields) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1767258000,
        "from": {"id": user_id, "is_bot": False, "first_name": "Ann", "language_code": "en"},
        "chat": {"id": user_id, "type": "private", "first_name": "Ann"}, **fields}}


@pytest.fixture
def deployed(monkeypatch, restore_logging):
    with contextlib.ExitStack() as stack:
        telegram = stack.enter_context(running_telegram_server(TOKEN))
        dashscope = stack.enter_context(running_dashscope_server(DASHSCOPE_KEY))
        oss = stack.enter_context(running_oss_server(KEY_ID, KEY_SECRET, bucket="audio", security_token=STS_TOKEN))
        mns = stack.enter_context(running_mns_server(KEY_ID, KEY_SECRET, queues=[QUEUE], visibility_s=30,
                                                     security_token=STS_TOKEN))
        tablestore = stack.enter_context(running_tablestore_server(KEY_ID, KEY_SECRET, instance="bot"))
        create_tables(TablestoreRepositories(tablestore.endpoint, KEY_ID, KEY_SECRET, "bot",
                                             security_token=STS_TOKEN))
        dashscope.loopback_audio_prefixes.append(oss.endpoint)
        for name in [n for n in __import__("os").environ if n.endswith("_BACKEND")]:
            monkeypatch.delenv(name)
        env = {
            "APP_PROFILE": "production", "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "INVOICE_SECRET": "loopback-invoice-key-" + "x" * 24,
            "TELEGRAM_API_BASE_URL": telegram.base_url.removesuffix("/bot"), "OWNER_ID": str(OWNER),
            "DASHSCOPE_API_KEY": DASHSCOPE_KEY, "DASHSCOPE_HTTP_BASE_URL": dashscope.base_url,
            "ALIBABA_ACCESS_KEY": "", "ALIBABA_SECRET_KEY": "", "ALIBABA_SECURITY_TOKEN": "",
            "TABLESTORE_ENDPOINT": tablestore.endpoint, "TABLESTORE_INSTANCE": "bot",
            "MNS_ENDPOINT": mns.endpoint, "MNS_QUEUE_NAME": QUEUE,
            "OSS_ENDPOINT": oss.endpoint, "OSS_BUCKET": "audio", "OSS_REGION": "ap-southeast-1",
            "RETRY_BASE_DELAY_S": "0.01", "LOG_LEVEL": "INFO",
            **sts_environment(KEY_ID, KEY_SECRET, STS_TOKEN),
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        import entrypoints.fc_webhook.handler as webhook
        import entrypoints.fc_worker.handler as worker

        webhook, worker = importlib.reload(webhook), importlib.reload(worker)  # fresh instances
        yield webhook, worker, telegram, dashscope, mns
        for handler in (webhook, worker):
            with contextlib.suppress(RuntimeError):
                handler.runtime.resolve("chat").close()


def post(webhook, update: dict) -> int:
    return webhook.handler(http_event(update, secret=SECRET), WEBHOOK)["statusCode"]


def test_a_200_s_voice_note_through_both_handlers_with_credentials_only_from_fc(deployed, tmp_path):
    webhook, worker, telegram, dashscope, mns = deployed
    dashscope.asr_reply = asr_body(SPOKEN, seconds=100)
    dashscope.llm_transform = str.upper  # "formatted": visibly the LLM's answer, every word kept
    assert post(webhook, message(1, USER, text="/start")) == 200
    assert post(webhook, message(2, OWNER, text=f"/credit {USER} 10")) == 200
    audio = make_audio(tmp_path, ["hello_en", ("silence", 100.0), "speaker_a", ("silence", 90.0)], fmt="ogg")
    telegram.add_file("VOICE200", audio.read_bytes())
    assert post(webhook, message(3, USER, voice={"file_id": "VOICE200", "file_unique_id": "U200", "duration": 200,
                                                 "mime_type": "audio/ogg", "file_size": audio.stat().st_size})) == 200
    assert mns.depth(QUEUE) == 1  # queued: 200 s is above the inline threshold
    # The trigger: take the message off the queue and push it to the worker as EventBridge would.
    queue = webhook.runtime.resolve("queue")
    received = queue.receive(0)
    body = json.dumps({"job_id": received.job_id})
    result = worker.handler(json.dumps([cloud_event(body)]).encode(), WORKER)
    queue.ack(received.receipt)
    assert result["outcomes"] == [{"job_id": received.job_id, "status": "completed"}]
    # Two chunks recognised, the stitched text formatted by Qwen, the answer delivered.
    assert len(dashscope.calls("asr")) == 2 and dashscope.calls("llm")
    texts = [m.get("text", "") for (chat, _), m in sorted(telegram.messages.items()) if chat == USER]
    assert texts[-1] == f"{SPOKEN} {SPOKEN}".upper()
    # Billed from the decoded audio: 200 s is 4 minutes (one reserved by Telegram's 200 s claim: all 4).
    users = worker.runtime.resolve("users")
    assert users.get(USER).balance_minutes == 10 - 4
    # Both instances built their adapters from the variables FC sets (no other keys were configured).
    assert worker.runtime.settings.access_key_id == KEY_ID
    assert worker.runtime.settings.security_token == STS_TOKEN
    assert webhook.runtime.settings.access_key_secret == KEY_SECRET
