"""Structured logs: JSON lines, no secret ever written, errors forwarded to the owner once."""

from __future__ import annotations

import io
import json
import logging

import pytest

from adapters.memory.chat import RecordingChat
from adapters.memory.clock import FakeClock
from adapters.memory.repositories import InMemoryBotState
from entrypoints.observability import Redactor, configure_logging, log_context
from entrypoints.settings import load_settings
from usecases.alerts import OwnerAlerts

TOKEN = "123456789:AAHfakeTelegramTokenForTests_abcdefXYZ"
DASHSCOPE = "sk-fakeDashscopeKey0123456789"
AK_SECRET = "fakeAlibabaSecretKey9876"
STS_TOKEN = "CAISfakeStsToken+/=0987654321"
WEBHOOK = "fake-webhook-secret-42"
GOOGLE = "AIzaFakeGoogleKey_000111222"
CONFIGURED = (TOKEN, DASHSCOPE, AK_SECRET, STS_TOKEN, WEBHOOK, GOOGLE)
# Shaped like credentials but configured nowhere: caught by the patterns.
UNCONFIGURED_TOKEN = "987654321:BBHanotherTokenNotConfigured_0123456"
UNCONFIGURED_KEY = "sk-notConfiguredEither0123456789"
OWNER = 42


@pytest.fixture
def logs():
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    settings = load_settings({
        "TELEGRAM_BOT_TOKEN": TOKEN, "DASHSCOPE_API_KEY": DASHSCOPE, "ALIBABA_ACCESS_KEY": "LTAIfakeKeyId",
        "ALIBABA_SECRET_KEY": AK_SECRET, "ALIBABA_SECURITY_TOKEN": STS_TOKEN, "TELEGRAM_WEBHOOK_SECRET": WEBHOOK,
        "GOOGLE_API_KEY": GOOGLE, "OWNER_ID": str(OWNER), "LOG_LEVEL": "DEBUG",
    })
    chat, state, clock = RecordingChat(), InMemoryBotState(), FakeClock()
    alerts = OwnerAlerts(chat, state, clock, OWNER)
    configure_logging(settings, alerts, component="webhook", stream=stream)
    yield stream, chat, clock, settings, alerts
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved_handlers:
        root.addHandler(handler)
    root.setLevel(saved_level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def assert_clean(text: str) -> None:
    for secret in (*CONFIGURED, UNCONFIGURED_TOKEN, UNCONFIGURED_KEY, "123456789%3AAAHfakeTelegramTokenForTests"):
        assert secret not in text, secret


def test_every_line_is_json_with_the_standard_fields_and_extras(logs):
    stream, *_ = logs
    log = logging.getLogger("webhook")
    log.info("update handled", extra={"update_id": 5, "user_id": 777, "stage": "accept", "elapsed_ms": 3.2})
    with log_context(request_id="1-abc", job_id="j1"):
        logging.getLogger("worker").warning("job %s slow", "j1")
    first, second = lines(stream)
    assert {"ts", "level", "logger", "message"} <= set(first)
    assert first["level"] == "INFO" and first["logger"] == "webhook" and first["message"] == "update handled"
    assert (first["update_id"], first["user_id"], first["stage"], first["elapsed_ms"]) == (5, 777, "accept", 3.2)
    assert first["ts"].endswith("+00:00")
    assert second["message"] == "job j1 slow" and second["request_id"] == "1-abc" and second["job_id"] == "j1"


def test_secrets_never_reach_the_output(logs):
    stream, chat, *_ = logs
    log = logging.getLogger("adapters.x")
    log.info("token in message %s", TOKEN)
    log.info("args: %s %s %s", DASHSCOPE, AK_SECRET, {"nested": [STS_TOKEN]})
    log.warning("extras", extra={"url": f"https://api.telegram.org/bot{TOKEN}/getMe",
                                 "encoded": "https://api.telegram.org/file/bot123456789%3AAAHfakeTelegramTokenForTests_abcdefXYZ/v.oga",
                                 "headers": {"Authorization": f"MNS LTAIfakeKeyId:{AK_SECRET}",
                                             "X-Telegram-Bot-Api-Secret-Token": WEBHOOK},
                                 "raw": GOOGLE.encode()})
    log.info("unconfigured %s and %s", UNCONFIGURED_TOKEN, UNCONFIGURED_KEY)
    log.info("signed url https://b.oss-ap-southeast-1.aliyuncs.com/a.ogg?OSSAccessKeyId=LTAIother&Expires=1&Signature=abc%2Fdef")
    log.info("header line Authorization: OSS4-HMAC-SHA256 Credential=LTAIother/20260101, Signature=f00d")
    try:
        raise RuntimeError(f"provider said: bad key {DASHSCOPE} for bot{TOKEN}")
    except RuntimeError:
        log.exception("call failed with %s", WEBHOOK, extra={"job_id": "j1"})
    try:
        try:
            raise KeyError(STS_TOKEN)
        except KeyError as inner:
            raise ValueError("wrapped") from inner
    except ValueError:
        log.error("chained", exc_info=True)
    out = stream.getvalue()
    assert_clean(out)
    assert "LTAIother" not in out and "abc%2Fdef" not in out and "f00d" not in out
    parsed = lines(out_stream := stream)  # every line is still valid JSON
    assert len(parsed) == 8 and out_stream is stream
    failed = parsed[6]
    assert "Traceback" in failed["exception"] and "RuntimeError" in failed["exception"]
    assert failed["job_id"] == "j1" and "[REDACTED]" in failed["exception"]
    assert "KeyError" in parsed[7]["exception"]
    # What the owner was sent is redacted too.
    sent = "\n".join(e.text for e in chat.events)
    assert sent and "🚨" in sent
    assert_clean(sent)


def test_error_records_alert_the_owner_once_per_cooldown(logs):
    stream, chat, clock, *_ = logs
    log = logging.getLogger("worker")
    log.error("first failure")
    log.error("second failure, same minute")
    log.warning("only a warning")
    assert [e.text for e in chat.events] == ["🚨 ERROR [webhook]\nworker: first failure"]
    clock.advance(61)
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("third failure")
    assert len(chat.events) == 2 and chat.events[1].text.endswith("ValueError: boom")


def test_a_failing_alert_path_does_not_recurse(logs):
    stream, chat, clock, settings, _ = logs
    calls = []

    class Noisy:
        def alert(self, text):
            calls.append(text)
            logging.getLogger("telegram").error("sending the alert failed too")
            raise RuntimeError("telegram is down")

    configure_logging(settings, Noisy(), component="webhook", stream=stream)
    logging.getLogger("x").error("original failure")
    assert len(calls) == 1
    assert [line["message"] for line in lines(stream)] == ["original failure", "sending the alert failed too"]


def test_configure_logging_is_idempotent_and_the_alert_target_can_be_lazy(logs):
    stream, chat, clock, settings, alerts = logs
    root = logging.getLogger()

    def ours():
        return [h for h in root.handlers if getattr(h, "_voice_bot_handler", None)]

    before = ours()
    built = []
    configure_logging(settings, lambda: built.append(1) or alerts, component="worker")
    configure_logging(settings, lambda: built.append(1) or alerts, component="worker")
    assert ours() == before and len(before) == 2
    assert built == []  # nothing resolved until an error happens
    logging.getLogger("x").error("now")
    assert built == [1] and "[worker]" in chat.events[-1].text


def test_redactor_replaces_longest_secret_first_and_url_encoded_forms():
    r = Redactor(["abcdef", "abcdefghij", "p@ss:word/1"])
    assert r.text("x abcdefghij y abcdef z") == "x [REDACTED] y [REDACTED] z"
    assert r.text("u=p%40ss%3Aword%2F1") == "u=[REDACTED]"
    assert Redactor(["short"]).text("short") == "short"  # below 6 characters nothing is configured
