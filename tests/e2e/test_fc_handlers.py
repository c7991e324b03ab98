"""The three Function Compute handlers fed real FC 3.0 event payloads (bytes), local profile.

Each test reloads the handler modules with its own environment, so it gets a fresh runtime and
container. The worker shares the webhook's runtime (in production they share Tablestore and MNS;
here the in-memory stores must be the same objects), so jobs are created through the webhook.
"""

from __future__ import annotations

import base64
import importlib
import json
import logging
import shutil
from types import SimpleNamespace

import pytest

from tests.audio_factory import fixture
from tests.fc_events import FunctionMeta, Python312Context, sts_environment

SECRET = "wh-secret-0123456789abcdef"
OWNER = 42
USER = 777


# -- real event payloads ------------------------------------------------------------------------


def http_event(body: dict | None, *, method: str = "POST", secret: str | None = SECRET,
               base64_body: bool = True) -> bytes:
    raw = json.dumps(body).encode() if body is not None else b""
    headers = {"Content-Type": "application/json", "User-Agent": "TelegramBot (like TwitterBot)",
               "X-Forwarded-Proto": "https"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    event = {
        "version": "v1", "rawPath": "/", "headers": headers, "queryParameters": {},
        "body": base64.b64encode(raw).decode() if base64_body else raw.decode(),
        "isBase64Encoded": base64_body,
        "requestContext": {
            "accountId": "123456789012****", "domainName": "tg-webhook-abc.ap-southeast-1.fcapp.run",
            "domainPrefix": "tg-webhook-abc",
            "http": {"method": method, "path": "/", "protocol": "HTTP/1.1", "sourceIp": "91.108.6.1",
                     "userAgent": "TelegramBot (like TwitterBot)"},
            "requestId": "1-64f6cd87-15b7d8ae-2a9bcd1e5f0a", "time": "2026-01-01T09:00:00Z",
            "timeEpoch": "1767258000000",
        },
    }
    return json.dumps(event).encode()


def cloud_event(message_body: str, message_id: str = "0FFF111D2A6B444B7FE46AE2AAAA0001") -> dict:
    return {
        "id": message_id, "source": "MNS-transcribe-worker-jobs", "specversion": "1.0",
        "type": "mns:Queue:SendMessage", "datacontenttype": "application/json;charset=utf-8",
        "subject": "acs:mns:ap-southeast-1:123456789012:queues/transcribe-jobs",
        "time": "2026-01-01T09:00:01.525Z", "aliyunaccountid": "123456789012",
        "aliyunpublishtime": "2026-01-01T09:00:02.019Z", "aliyunoriginalaccountid": "123456789012",
        "aliyuneventbusname": "MNS-transcribe-worker-jobs", "aliyunregionid": "ap-southeast-1",
        "aliyunpublishaddr": "10.58.1.1",
        "data": {"requestId": "62D92563354133CA00000001", "messageId": message_id, "messageBody": message_body},
    }


def timer_event(actions: list[str]) -> bytes:
    return json.dumps({"triggerTime": "2026-01-02T09:00:00Z", "triggerName": "daily-report",
                       "payload": json.dumps({"actions": actions})}).encode()


def fc_context(function: str = "transcribe-webhook") -> Python312Context:
    """The context FC hands ``function`` (timeouts as in s.yaml: webhook 60 s, worker 300 s)."""
    timeout = {"transcribe-worker": 300, "transcribe-report": 300}.get(function, 60)
    return Python312Context(function=FunctionMeta(name=function, timeout=timeout))


def update(update_id: int, user_id: int, **message) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1767258000,
        "from": {"id": user_id, "is_bot": False, "first_name": "Ann", "username": "ann", "language_code": "en"},
        "chat": {"id": user_id, "type": "private", "first_name": "Ann"}, **message}}


# -- fixtures ---------------------------------------------------------------------------------------


def build_fc(monkeypatch, tmp_path):
    """Fresh handler modules over one local-profile runtime (the ``fc`` fixture, tests/conftest.py)."""
    media = tmp_path / "media"
    media.mkdir()
    for name in list(__import__("os").environ):
        if name.endswith("_BACKEND") or name in ("APP_PROFILE", "OWNER_ID", "TELEGRAM_BOT_TOKEN"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APP_PROFILE", "local")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("OWNER_ID", str(OWNER))
    monkeypatch.setenv("LOCAL_MEDIA_DIR", str(media))
    monkeypatch.setenv("RETRY_BASE_DELAY_S", "0")
    for name, value in sts_environment().items():
        monkeypatch.setenv(name, value)
    import entrypoints.fc_report.handler as report
    import entrypoints.fc_webhook.handler as webhook
    import entrypoints.fc_worker.handler as worker

    webhook, worker, report = (importlib.reload(m) for m in (webhook, worker, report))
    worker.runtime = webhook.runtime
    report.runtime = webhook.runtime
    return SimpleNamespace(webhook=webhook, worker=worker, report=report, runtime=webhook.runtime, media=media)


def post(fc, body: dict, **kw) -> dict:
    return fc.webhook.handler(http_event(body, **kw), fc_context())


def chat(fc):
    return fc.runtime.resolve("chat")


def funded_user(fc, minutes: int = 30) -> None:
    assert post(fc, update(1, USER, text="/start"))["statusCode"] == 200
    assert post(fc, update(2, OWNER, text=f"/credit {USER} {minutes}"))["statusCode"] == 200


def queued_voice(fc, update_id: int) -> str:
    """A voice note declared 61 s long (above the inline threshold): the webhook queues a job."""
    file_id = f"voice-{update_id}.ogg"
    shutil.copyfile(fixture("hello_en"), fc.media / file_id)
    voice = {"file_id": file_id, "file_unique_id": f"uniq-{update_id}", "duration": 61,
             "mime_type": "audio/ogg", "file_size": (fc.media / file_id).stat().st_size}
    answer = post(fc, update(update_id, USER, voice=voice))
    assert answer["statusCode"] == 200 and json.loads(answer["body"])["result"] == "media:queued"
    from usecases.accept_media import job_id_for

    return job_id_for(update_id)


# -- webhook ----------------------------------------------------------------------------------------


def test_signed_update_with_a_base64_body_is_answered(fc):
    answer = post(fc, update(1, USER, text="/start"))
    assert answer["statusCode"] == 200
    assert answer["headers"] == {"Content-Type": "application/json"} and answer["isBase64Encoded"] is False
    assert json.loads(answer["body"]) == {"ok": True, "result": "command:start"}
    assert chat(fc).texts(USER), "the bot replied"


def test_plain_text_body_and_lower_case_header_names(fc):
    event = json.loads(http_event(update(5, USER, text="/help"), base64_body=False))
    event["headers"] = {k.lower(): v for k, v in event["headers"].items()}
    answer = fc.webhook.handler(json.dumps(event).encode(), fc_context())
    assert answer["statusCode"] == 200 and chat(fc).texts(USER)


def test_without_the_secret_header_nothing_happens(fc):
    for secret in (None, "wrong-secret"):
        answer = post(fc, update(1, USER, text="/start"), secret=secret)
        assert answer["statusCode"] == 403 and json.loads(answer["body"]) == {"ok": False}
    assert chat(fc).events == []
    assert list(fc.runtime.resolve("users").scan()) == []


def test_get_is_a_health_check_that_reveals_nothing(fc):
    answer = fc.webhook.handler(http_event(None, method="GET", secret=None), fc_context())
    assert answer["statusCode"] == 200 and json.loads(answer["body"]) == {"status": "ok"}
    assert SECRET not in answer["body"] and "sts-secret" not in answer["body"]


def test_an_event_that_is_not_an_http_trigger_event_is_refused(fc):
    assert fc.webhook.handler(b"not json", fc_context())["statusCode"] == 400
    assert fc.webhook.handler(json.dumps({"body": "{}"}).encode(), fc_context())["statusCode"] == 400


def test_the_python312_context_has_no_credentials_field():
    with pytest.raises(AttributeError):
        fc_context().credentials  # noqa: B018 - the point is that reading it fails

def test_rotated_sts_credentials_rebuild_only_the_affected_adapters(fc, capsys, monkeypatch):
    funded_user(fc)
    assert fc.runtime.settings.access_key_secret == sts_environment()["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]
    chat_before, users_before = chat(fc), fc.runtime.resolve("users")
    accept_before = fc.runtime.resolve("accept_update")
    rotated = sts_environment(key_id="STS.NUrotated999999", secret="sts-secret-ROTATED-5678", token="CAISrotated-0000")
    for name, value in rotated.items():
        monkeypatch.setenv(name, value)
    fc.webhook.handler(http_event(update(3, USER, text="/balance")), fc_context())
    assert fc.runtime.rotations == 1
    assert fc.runtime.settings.access_key_secret == "sts-secret-ROTATED-5678"
    assert fc.runtime.resolve("accept_update") is not accept_before
    assert chat(fc) is chat_before and fc.runtime.resolve("users") is users_before
    logging.getLogger("test").warning("leak sts-secret-ROTATED-5678 and CAISrotated-0000")
    out = capsys.readouterr().out
    assert "sts-secret-ROTATED-5678" not in out and "CAISrotated-0000" not in out
    assert "[REDACTED]" in out


# -- worker -----------------------------------------------------------------------------------------


@pytest.mark.slow  # real ffmpeg on a recorded voice note
def test_mns_event_with_one_message_runs_the_job(fc):
    funded_user(fc)
    job_id = queued_voice(fc, 10)
    assert fc.runtime.resolve("queue").published == [job_id]
    event = json.dumps(cloud_event(json.dumps({"job_id": job_id}))).encode()
    result = fc.worker.handler(event, fc_context("transcribe-worker"))
    assert result["outcomes"] == [{"job_id": job_id, "status": "completed"}]
    assert fc.runtime.resolve("jobs").get(job_id).status.value == "completed"
    assert any("placeholder transcript" in t for t in chat(fc).texts(USER))
    # Redelivery of the same message is acknowledged and skipped.
    assert fc.worker.handler(event, fc_context("transcribe-worker"))["outcomes"] == [{"job_id": job_id, "status": "skipped"}]


@pytest.mark.slow  # real ffmpeg on a recorded voice note
def test_an_action_button_queues_work_the_worker_function_runs(fc):
    funded_user(fc)
    job_id = queued_voice(fc, 10)
    worker_event = lambda item: json.dumps(cloud_event(json.dumps({"job_id": item}))).encode()  # noqa: E731
    fc.worker.handler(worker_event(job_id), fc_context("transcribe-worker"))
    press = {"update_id": 11, "callback_query": {
        "id": "cb-11", "from": {"id": USER, "is_bot": False, "first_name": "Ann", "language_code": "en"},
        "message": {"message_id": 1, "date": 1767258000, "chat": {"id": USER, "type": "private"}},
        "data": f"act:{job_id}:sum"}}
    answer = post(fc, press)
    assert json.loads(answer["body"])["result"] == "act:sum:queued"
    action = f"act.sum.{job_id}"
    assert fc.runtime.resolve("queue").published[-1] == action
    result = fc.worker.handler(worker_event(action), fc_context("transcribe-worker"))
    assert result["outcomes"] == [{"job_id": action, "status": "completed"}]
    assert chat(fc).texts(USER)[-1].startswith("📝 Summary\n\n[offline sample: no language model connected]")


@pytest.mark.slow  # real ffmpeg on a recorded voice note
def test_mns_batch_of_two_with_a_base64_body(fc):
    funded_user(fc)
    first, second = queued_voice(fc, 10), queued_voice(fc, 11)
    batch = [cloud_event(json.dumps({"job_id": first}), "M1"),
             cloud_event(base64.b64encode(json.dumps({"job_id": second}).encode()).decode(), "M2")]
    result = fc.worker.handler(json.dumps(batch).encode(), fc_context("transcribe-worker"))
    assert [o["status"] for o in result["outcomes"]] == ["completed", "completed"]
    jobs = fc.runtime.resolve("jobs")
    assert {jobs.get(first).status.value, jobs.get(second).status.value} == {"completed"}


@pytest.mark.slow  # real ffmpeg on a recorded voice note
def test_a_transient_failure_propagates_after_the_rest_of_the_batch(fc):
    from ports.errors import TransientFailure

    funded_user(fc)
    first, second = queued_voice(fc, 10), queued_voice(fc, 11)
    # The store is down for the first message's whole retry budget (RetryingPort absorbs less).
    fc.runtime.resolve("jobs").fail_next(fc.runtime.resolve("policy").retry_attempts)
    batch = [cloud_event(json.dumps({"job_id": first}), "M1"), cloud_event(json.dumps({"job_id": second}), "M2")]
    with pytest.raises(TransientFailure):
        fc.worker.handler(json.dumps(batch).encode(), fc_context("transcribe-worker"))
    jobs = fc.runtime.resolve("jobs")
    assert jobs.get(second).status.value == "completed", "the healthy message was processed first"
    assert jobs.get(first).status.value == "queued"
    # The redelivered batch finishes the first job and skips the second.
    result = fc.worker.handler(json.dumps(batch).encode(), fc_context("transcribe-worker"))
    assert [o["status"] for o in result["outcomes"]] == ["completed", "skipped"]


@pytest.mark.slow  # real ffmpeg on a recorded voice note
def test_a_busy_job_is_delivered_again(fc):
    from usecases.errors import JobBusy

    funded_user(fc)
    job_id = queued_voice(fc, 10)
    jobs, clock = fc.runtime.resolve("jobs"), fc.runtime.resolve("clock")
    jobs.save(jobs.get(job_id).claimed(clock.now(), 900))  # another worker holds the lease
    with pytest.raises(JobBusy):
        fc.worker.handler(json.dumps(cloud_event(json.dumps({"job_id": job_id}))).encode(), fc_context("transcribe-worker"))


@pytest.mark.slow  # real ffmpeg on a recorded voice note
def test_malformed_messages_are_dropped_without_a_retry(fc):
    funded_user(fc)
    job_id = queued_voice(fc, 10)
    batch = [cloud_event("not json at all", "M1"), cloud_event(json.dumps({"jobid": "x"}), "M2"),
             cloud_event(json.dumps({"job_id": "../../etc"}), "M3"), cloud_event(json.dumps({"job_id": job_id}), "M4")]
    result = fc.worker.handler(json.dumps(batch).encode(), fc_context("transcribe-worker"))
    assert [o["status"] for o in result["outcomes"]] == ["dropped", "dropped", "dropped", "completed"]
    assert fc.worker.handler(b"\xff garbage", fc_context("transcribe-worker"))["outcomes"] == [{"job_id": "", "status": "dropped"}]


@pytest.mark.slow  # real ffmpeg on a recorded voice note
def test_a_job_past_its_attempts_is_failed_refunded_and_explained(fc):
    funded_user(fc, minutes=30)
    job_id = queued_voice(fc, 10)
    users, jobs = fc.runtime.resolve("users"), fc.runtime.resolve("jobs")
    assert users.get(USER).balance_minutes == 28
    import attrs

    jobs.save(attrs.evolve(jobs.get(job_id), attempts=fc.runtime.settings.policy.max_job_attempts))
    result = fc.worker.handler(json.dumps(cloud_event(json.dumps({"job_id": job_id}))).encode(), fc_context("transcribe-worker"))
    assert result["outcomes"] == [{"job_id": job_id, "status": "failed"}]
    assert users.get(USER).balance_minutes == 30
    assert jobs.get(job_id).error == "too_many_attempts"


# -- timer ------------------------------------------------------------------------------------------


@pytest.mark.slow  # real ffmpeg on a recorded voice note
def test_timer_event_sends_the_daily_report_to_the_owner(fc):
    funded_user(fc)
    job_id = queued_voice(fc, 10)
    fc.worker.handler(json.dumps(cloud_event(json.dumps({"job_id": job_id}))).encode(), fc_context("transcribe-worker"))
    result = fc.report.handler(timer_event(["sweep", "report"]), fc_context("transcribe-report"))
    assert result["report"] == "sent" and result["sweep"] != "failed"
    report = [e for e in chat(fc).events if e.chat_id == OWNER and "Daily report" in e.text]
    assert len(report) == 1 and report[0].html
    assert "Transcriptions: 1" in report[0].text and "Users: 1" in report[0].text


def test_timer_payload_can_ask_for_the_sweep_only(fc):
    result = fc.report.handler(timer_event(["sweep"]), fc_context("transcribe-report"))
    assert result["actions"] == ["sweep"] and "report" not in result
    assert not [e for e in chat(fc).events if e.chat_id == OWNER]
