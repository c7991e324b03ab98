"""Every timeout sits inside its caller's budget: the webhook's 60 s with its inline
path, Telegram's 10 s for the pre-checkout answer, a worker step's reserve, the passes' polling."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

from domain.policy import (
    FFMPEG_RUNS_PER_TRANSCODE,
    PRE_CHECKOUT_LIMIT_S,
    PRE_CHECKOUT_MARGIN_S,
    WEBHOOK_CALLS,
    WEBHOOK_MARGIN_S,
    WORKER_CALLS,
    Policy,
    Timeouts,
    budget_problems,
    call_bounds,
    pre_checkout_worst_case_s,
    webhook_worst_case_s,
)

ROOT = Path(__file__).resolve().parents[3]


def test_the_defaults_fit_every_budget() -> None:
    assert budget_problems(Policy()) == []


def test_the_webhook_answers_within_its_timeout_whatever_its_calls_take() -> None:
    """No call starts after WEBHOOK_BUDGET_S (usecases.budget), so the worst case is the budget plus
    the longest single call the webhook makes -- with a margin for the cold start before it."""
    policy = Policy()
    t, bounds = policy.timeouts, call_bounds(policy)
    longest = max(bounds[name] for name in WEBHOOK_CALLS)
    assert webhook_worst_case_s(policy) == t.webhook_budget_s + longest
    assert webhook_worst_case_s(policy) <= t.webhook_s - WEBHOOK_MARGIN_S
    # The inline path's own paid work stops well before the request's budget ends, leaving time
    # to hand the job to the worker.
    assert policy.inline_step_budget_s + max(bounds["inline asr"], bounds["inline qwen"]) < t.webhook_budget_s


def test_the_inline_path_s_slow_calls_alone_fit_the_webhook() -> None:
    """Download + transcode + recognition + the one formatting attempt, each at its full bound,
    fit the webhook with its margin: the budget is there for the many small calls around them
    (about a dozen Telegram and fifteen Tablestore calls), whose sum no timeout could bound."""
    policy = Policy()
    t, bounds = policy.timeouts, call_bounds(policy)
    heavy = (bounds["inline telegram download"]  # getFile + the file
             + bounds["inline transcode"]  # probe, encode, probe: ffmpeg killed at its timeout
             + bounds["inline asr"]  # qwen3-asr-flash, connect (twice: the SDK resends once) + reply
             + 1 * bounds["inline qwen"])  # one attempt (InlineAttempt), Qwen only
    assert heavy <= t.webhook_s - WEBHOOK_MARGIN_S
    assert bounds["inline transcode"] == FFMPEG_RUNS_PER_TRANSCODE * (
        t.inline_ffmpeg_s + t.ffmpeg_per_audio_minute_s * policy.sync_threshold_s / 60)
    # The old timeouts: the two LLM timeouts alone were 60 + 90 s.
    assert bounds["inline qwen"] < 15 and "inline gemini" not in bounds


def test_the_pre_checkout_answer_arrives_within_telegram_s_10_seconds() -> None:
    """The checks start no storage call after PRE_CHECKOUT_BUDGET_S; the one in flight ends within
    the Tablestore bound (4 connects -- urllib3 reconnects 3 times -- and a read); then the answer,
    capped by the adapter."""
    policy = Policy()
    t, bounds = policy.timeouts, call_bounds(policy)
    worst = pre_checkout_worst_case_s(policy)
    assert worst == t.pre_checkout_budget_s + bounds["tablestore call"] + t.pre_checkout_answer_s
    assert bounds["tablestore call"] == 4 * t.tablestore_connect_s + t.tablestore_read_s
    assert worst <= PRE_CHECKOUT_LIMIT_S - PRE_CHECKOUT_MARGIN_S


def test_every_worker_call_fits_the_step_reserve_and_polls_stay_well_below_their_budget() -> None:
    policy = Policy()
    t, bounds = policy.timeouts, call_bounds(policy)
    assert all(bounds[name] <= t.worker_call_s for name in WORKER_CALLS), bounds
    assert t.worker_call_s <= policy.step_reserve_s
    # One GET /tasks/{id}: httpx pool + connect + write (short) + read, against 240 s of polling.
    assert bounds["async poll"] <= policy.poll_timeout_s / 4
    # A submit: the SDK resends a timed-out one 3 times, 2 s apart.
    assert bounds["async submit"] == 4 * (2 * t.api_connect_s + t.async_submit_s) + 6.0


@pytest.mark.parametrize(("change", "words"), [
    ({"webhook_budget_s": 50.0}, "the webhook may need"),
    ({"inline_asr_s": 40.0}, "the webhook may need"),
    ({"tablestore_read_s": 8.0}, "pre-checkout answer may take"),
    ({"llm_s": 90.0}, "a worker qwen may take"),
    ({"async_poll_s": 80.0}, "task poll"),
])
def test_a_configuration_that_breaks_a_budget_is_named(change: dict, words: str) -> None:
    policy = Policy(timeouts=attrs.evolve(Timeouts(), **change))
    assert any(words in problem for problem in budget_problems(policy))


def test_the_webhook_timeout_is_the_one_deployed() -> None:
    """``Timeouts.webhook_s`` is what the proofs above use: it must be s.yaml's webhook timeout."""
    text = (ROOT / "s.yaml").read_text(encoding="utf-8")
    block = text[text.index("functionName: transcribe-webhook"):]
    deployed = float(re.search(r"^\s*timeout:\s*(\d+)", block, re.MULTILINE).group(1))
    assert deployed == Timeouts().webhook_s
