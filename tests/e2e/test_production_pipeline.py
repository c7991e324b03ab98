"""The whole bot in production configuration — every port on its real adapter and SDK — against
loopback servers on 127.0.0.1 that speak each provider's wire format.

From Telegram update JSON to delivered text: a voice note (inline), a chunked long file (queued,
MNS, worker), a dialogue (OSS upload, two async DashScope passes, merge), and a provider outage.
"""

from __future__ import annotations

import contextlib
import json

import pytest

from adapters.alibaba.tablestore import create_tables
from domain.users import User
from entrypoints.container import build_container
from entrypoints.settings import check_settings, load_settings
from entrypoints.webhook_http import handle_webhook
from tests.audio_factory import fixture, make_audio
from tests.loopback.dashscope_server import Reply, asr_body, running_dashscope_server
from tests.loopback.mns_server import running_mns_server
from tests.loopback.oss_server import running_oss_server
from tests.loopback.tablestore_server import running_tablestore_server
from tests.loopback.telegram_server import running_telegram_server
from tests.messages import returns_minutes

pytestmark = pytest.mark.slow

TOKEN = "123456:TEST-production-token-abcdefghijklmnop"
SECRET = "webhook-secret-prod"
AK, SK = "LTAI-test-key-id", "test-secret-key-value"
DASHSCOPE_KEY = "sk-loopbacktestkey0123456789"
USER = 777
QUEUE = "transcribe-jobs"


class Cloud:
    """Every loopback server, the production container built on them, and the driving helpers."""

    def __init__(self, stack: contextlib.ExitStack, **extra_env: str) -> None:
        self.telegram = stack.enter_context(running_telegram_server(TOKEN))
        self.dashscope = stack.enter_context(running_dashscope_server(DASHSCOPE_KEY))
        self.oss = stack.enter_context(running_oss_server(AK, SK, bucket="audio"))
        self.mns = stack.enter_context(running_mns_server(AK, SK, queues=[QUEUE], visibility_s=30))
        self.tablestore = stack.enter_context(running_tablestore_server(AK, SK, instance="bot"))
        # The "provider" downloads the audio from the loopback OSS through the signed URL.
        self.dashscope.loopback_audio_prefixes.append(self.oss.endpoint)
        env = {
            "APP_PROFILE": "production", "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "INVOICE_SECRET": "loopback-invoice-key-" + "x" * 24,
            "TELEGRAM_API_BASE_URL": self.telegram.base_url.removesuffix("/bot"),
            "DASHSCOPE_API_KEY": DASHSCOPE_KEY, "DASHSCOPE_HTTP_BASE_URL": self.dashscope.base_url,
            "ALIBABA_ACCESS_KEY": AK, "ALIBABA_SECRET_KEY": SK,
            "TABLESTORE_ENDPOINT": self.tablestore.endpoint, "TABLESTORE_INSTANCE": "bot",
            "MNS_ENDPOINT": self.mns.endpoint, "MNS_QUEUE_NAME": QUEUE,
            "OSS_ENDPOINT": self.oss.endpoint, "OSS_BUCKET": "audio", "OSS_REGION": "ap-southeast-1",
            "ASYNC_POLL_INTERVAL_S": "0.02", "RETRY_BASE_DELAY_S": "0.01", "OWNER_ID": "42",
            **extra_env,
        }
        self.settings = load_settings(env)
        check_settings(self.settings)
        self.container = build_container(self.settings)
        from adapters.alibaba.tablestore import TablestoreRepositories

        create_tables(TablestoreRepositories(self.tablestore.endpoint, AK, SK, "bot"))
        self._update_ids = iter(range(1, 10_000))

    def user(self, balance: int) -> None:
        users = self.container.users()
        users.create(User(user_id=USER, first_name="Ann"))
        users.apply_balance(USER, "seed", balance)

    def post(self, update: dict) -> int:
        answer = handle_webhook("POST", {"X-Telegram-Bot-Api-Secret-Token": SECRET}, json.dumps(update).encode(),
                                secret=SECRET, accept_update=self.container.accept_update())
        return answer.status

    def voice_update(self, file_id: str, data: bytes, duration: int, kind: str = "voice") -> dict:
        self.telegram.add_file(file_id, data)
        update_id = next(self._update_ids)
        return {"update_id": update_id, "message": {
            "message_id": update_id, "date": 1767225600,
            "from": {"id": USER, "is_bot": False, "first_name": "Ann", "language_code": "en"},
            "chat": {"id": USER, "type": "private", "first_name": "Ann"},
            kind: {"file_id": file_id, "file_unique_id": f"U{file_id}", "duration": duration,
                   "mime_type": "audio/ogg", "file_size": len(data)}}}

    def run_worker(self) -> int:
        """The MNS trigger's work: receive, transcribe, delete; a failure leaves the message."""
        queue = self.container.queue()
        worker = self.container.transcribe_job()
        done = 0
        while (message := queue.receive(0)) is not None:
            worker(message.job_id)
            queue.ack(message.receipt)
            done += 1
        return done

    def chat_texts(self) -> list[str]:
        return [m.get("text", "") for (chat, _), m in sorted(self.telegram.messages.items()) if chat == USER]

    def balance(self) -> int:
        return self.container.users().get(USER).balance_minutes


@pytest.fixture
def cloud():
    with contextlib.ExitStack() as stack:
        c = Cloud(stack)
        # The Telegram adapter owns an event-loop thread for its life: stop it with the test.
        stack.callback(lambda: c.container.chat().close())
        yield c


def test_voice_note_from_update_json_to_delivered_text(cloud):
    cloud.user(balance=50)
    cloud.dashscope.asr_reply = asr_body("Hi! This is a demo voice note.", seconds=7)
    update = cloud.voice_update("VOICE1", fixture("hello_en").read_bytes(), duration=5)
    assert cloud.post(update) == 200
    assert cloud.chat_texts()[-1] == "Hi! This is a demo voice note."
    assert cloud.balance() == 49
    asr = cloud.dashscope.calls("asr")
    assert len(asr) == 1 and asr[0].body["input"]["messages"][1]["content"][0]["audio"].startswith("data:audio/mpeg;base64,")
    assert cloud.telegram.downloads  # the file really went through getFile and the download route
    # The job row really is in Tablestore, completed.
    statuses = [cloud.tablestore.cell("audio_jobs", job.job_id, "status") for job in cloud.container.jobs().scan()]
    assert [s[1] for s in statuses] == ["completed"], statuses


def test_long_file_is_queued_on_mns_and_chunked_by_the_worker(cloud, tmp_path):
    cloud.user(balance=50)
    audio = make_audio(tmp_path, ["hello_en", ("silence", 100.0), "speaker_a", ("silence", 90.0)], fmt="ogg")
    update = cloud.voice_update("LONG1", audio.read_bytes(), duration=198)
    assert cloud.post(update) == 200
    assert cloud.mns.depth(QUEUE) == 1 and cloud.balance() == 46
    assert cloud.run_worker() == 1
    assert len(cloud.dashscope.calls("asr")) == 2
    assert "Hello world. Hello world." == cloud.chat_texts()[-1]
    assert cloud.balance() == 46 and cloud.mns.depth(QUEUE) == 0


def test_dialogue_runs_both_async_passes_on_one_oss_upload(cloud, tmp_path):
    cloud.user(balance=50)
    cloud.post({"update_id": 900, "message": {"message_id": 900, "date": 1, "text": "/dialogue",
                "from": {"id": USER, "is_bot": False, "first_name": "Ann", "language_code": "en"},
                "chat": {"id": USER, "type": "private"}}})
    audio = make_audio(tmp_path, ["speaker_a", "speaker_b"], fmt="ogg")
    update = cloud.voice_update("DIALOG1", audio.read_bytes(), duration=7)
    assert cloud.post(update) == 200
    assert cloud.run_worker() == 1
    submits = cloud.dashscope.calls("submit")
    assert sorted(s.body["model"] for s in submits) == ["fun-asr", "qwen3-asr-flash-filetrans"]
    urls = [s.body["input"].get("file_url") or s.body["input"]["file_urls"][0] for s in submits]
    assert urls[0] == urls[1]  # one upload, both passes
    assert len(cloud.dashscope.fetched_audio) == 2 and cloud.dashscope.fetched_audio[0].startswith((b"ID3", b"\xff"))
    assert not cloud.oss.objects, "the uploaded audio is deleted after the passes"
    text = cloud.chat_texts()[-1]
    assert text.startswith("— ") and "\n— " in text


def test_provider_outage_is_retried_and_then_refunded_when_it_persists(cloud):
    cloud.user(balance=50)
    # A short outage: two 503s, then the real answer — the retry policy rides it out.
    cloud.dashscope.script("asr", Reply(503, {"code": "ServiceUnavailable", "message": "busy", "request_id": "r1"}),
                           Reply(429, {"code": "Throttling.RateQuota", "message": "slow down", "request_id": "r2"}))
    update = cloud.voice_update("VOICE2", fixture("hello_en").read_bytes(), duration=5)
    assert cloud.post(update) == 200
    assert cloud.chat_texts()[-1] == "Hello world." and cloud.balance() == 49
    # A permanent refusal: the user is told in plain words and gets the minute back.
    cloud.dashscope.script("asr", Reply(400, {"code": "InvalidParameter", "message": "bad audio", "request_id": "r3"}))
    update = cloud.voice_update("VOICE3", fixture("privet_ru").read_bytes(), duration=6)
    assert cloud.post(update) == 200
    assert cloud.balance() == 49
    assert returns_minutes(cloud.chat_texts()[-1])


SECRETS = (TOKEN, TOKEN.split(":")[1], SECRET, SK, DASHSCOPE_KEY)


def test_no_secret_reaches_logs_messages_or_errors(cloud, tmp_path, caplog, capsys):
    """Every path above once more, with every logger at DEBUG: no token, key, secret or signature
    appears in a log record, a chat message, stdout/stderr, or an exception text."""
    import logging

    caplog.set_level(logging.DEBUG)
    cloud.user(balance=50)
    cloud.post(cloud.voice_update("S1", fixture("hello_en").read_bytes(), duration=5))
    audio = make_audio(tmp_path, ["speaker_a", ("silence", 160.0), "speaker_b"], fmt="ogg")
    cloud.post(cloud.voice_update("S2", audio.read_bytes(), duration=167))
    cloud.run_worker()
    cloud.dashscope.script("asr", Reply(401, {"code": "InvalidApiKey", "message": "Invalid API-key provided.",
                                              "request_id": "r9"}))
    cloud.post(cloud.voice_update("S3", fixture("privet_ru").read_bytes(), duration=6))
    errors = []
    for call in (lambda: cloud.container.blobs().put("k", b"x", "audio/mpeg"),):
        cloud.oss.fail_next(5)
        try:
            call()
        except Exception as exc:  # the adapter's translated failure
            errors.append(f"{exc!r} {exc}")
    texts = [m.get("text", "") + m.get("caption", "") for m in cloud.telegram.messages.values()]
    out = capsys.readouterr()
    haystacks = {
        "log": "\n".join(f"{r.getMessage()} {r.args} {r.__dict__}" for r in caplog.records),
        "chat": "\n".join(texts), "stdout": out.out, "stderr": out.err, "errors": "\n".join(errors),
    }
    assert caplog.records, "the paths above must have logged something"
    for where, text in haystacks.items():
        for secret in SECRETS:
            assert secret not in text, f"a secret leaked into {where}"
        assert "Signature=" not in text and "x-oss-signature=" not in text.lower(), where
