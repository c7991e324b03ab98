"""Timeouts and budgets on the production stack (every real adapter against the loopback servers):
a hanging provider costs the webhook its short timeouts, never its 60 s; the pre-checkout answer is
capped far below Telegram's 10 s; and once the request's budget is spent no call starts."""

from __future__ import annotations

import contextlib
import time

import pytest

from domain.job import JobStatus
from tests.audio_factory import fixture
from tests.e2e.test_production_pipeline import USER, Cloud
from tests.loopback.dashscope_server import Reply, asr_body
from usecases.accept_media import job_id_for

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def cloud_with(**env: str):
    with contextlib.ExitStack() as stack:
        c = Cloud(stack, **env)
        stack.callback(lambda: c.container.chat().close())
        stack.callback(lambda: c.container.inline_chat().close())
        yield c


def timed_post(cloud: Cloud, update: dict) -> tuple[int, float]:
    started = time.monotonic()
    status = cloud.post(update)
    return status, time.monotonic() - started


def test_a_hanging_recognizer_costs_the_webhook_its_inline_timeout_and_the_worker_finishes():
    with cloud_with(INLINE_ASR_TIMEOUT_S="0.3", API_CONNECT_TIMEOUT_S="0.5") as cloud:
        cloud.user(balance=10)
        # Every inline attempt (RETRY_ATTEMPTS=4) meets a recognizer that answers after 1 s.
        cloud.dashscope.script("asr", *[Reply(200, asr_body("too late"), delay_s=1.0) for _ in range(4)])
        cloud.dashscope.asr_reply = asr_body("Hello from the worker.", seconds=5)
        update = cloud.voice_update("SLOW1", fixture("hello_en").read_bytes(), duration=5)
        status, elapsed = timed_post(cloud, update)
        assert status == 200 and elapsed < 4.0  # 4 × 0.3 s and the rest, not 4 × 50 s
        assert len(cloud.dashscope.calls("asr")) == 4
        assert cloud.run_worker() == 1  # the worker (ASR_TIMEOUT_S 50) waits for its answer
        assert cloud.chat_texts()[-1] == "Hello from the worker."
        assert cloud.balance() == 9


def test_the_pre_checkout_answer_is_capped_whatever_telegram_takes():
    with cloud_with(PRE_CHECKOUT_ANSWER_TIMEOUT_S="0.4") as cloud:
        cloud.user(balance=0)
        cloud.container.chat().typing(USER)  # a warm instance: PTB imported, its loop running
        cloud.telegram.delays["answerPreCheckoutQuery"] = 2.0
        update = {"update_id": 70, "pre_checkout_query": {
            "id": "pcq-1", "from": {"id": USER, "is_bot": False, "first_name": "Ann"},
            "currency": "XTR", "total_amount": 35, "invoice_payload": "pkg:start_50:777:forged"}}
        status, elapsed = timed_post(cloud, update)
        assert elapsed < 1.2  # the adapter stopped waiting at its 0.4 s cap
        assert status == 503  # a transient failure: nothing was decided, nothing charged
        assert cloud.telegram.calls_of("answerPreCheckoutQuery")


def test_once_the_request_budget_is_spent_no_call_starts_and_the_job_waits_a_minute_not_fifteen():
    with cloud_with(WEBHOOK_BUDGET_S="1.0", INLINE_STEP_BUDGET_S="0.5") as cloud:
        cloud.user(balance=10)
        for method in ("editMessageText", "sendChatAction"):
            cloud.telegram.delays[method] = 0.4  # a slow Telegram: every status update takes 0.8 s
        update = cloud.voice_update("SLOW2", fixture("hello_en").read_bytes(), duration=5)
        status, elapsed = timed_post(cloud, update)
        # The budget plus the calls in flight at its end (each capped), not the whole inline path.
        assert status == 200 and elapsed < 1.0 + 2 * 0.4 + 1.0
        assert not cloud.dashscope.calls("asr")
        job = cloud.container.jobs().get(job_id_for(update["update_id"]))
        assert job.status in (JobStatus.PROCESSING, JobStatus.QUEUED)
        # The inline claim's lease is the webhook's lifetime: the sweeper may take the job a
        # minute later (the worker's 900 s lease would leave the user waiting a quarter of an hour).
        assert job.lease_until <= time.time() + cloud.settings.policy.timeouts.webhook_s
