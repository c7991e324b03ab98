"""The timeout proofs at their edges: each call's bound follows its client's rule exactly, and a
configuration that uses a budget up to the last second fits while one a millisecond over is named."""

from __future__ import annotations

import attrs
import pytest

from domain.policy import (
    FFMPEG_RUNS_PER_TRANSCODE,
    PRE_CHECKOUT_LIMIT_S,
    PRE_CHECKOUT_MARGIN_S,
    WEBHOOK_CALLS,
    WEBHOOK_MARGIN_S,
    Policy,
    Timeouts,
    budget_problems,
    call_bounds,
    pre_checkout_worst_case_s,
    webhook_worst_case_s,
)

# Distinct values, so that a bound built from the wrong timeout or the wrong factor shows.
ODD = Timeouts(
    telegram_call_s=11.0, telegram_upload_s=13.0, telegram_download_s=17.0, inline_download_s=19.0,
    api_connect_s=0.5, asr_s=23.0, inline_asr_s=7.0, llm_s=29.0, inline_llm_s=3.0,
    async_submit_s=31.0, async_poll_s=37.0, async_result_s=41.0,
    tablestore_connect_s=0.25, tablestore_read_s=43.0, mns_s=47.0, oss_s=53.0,
    inline_ffmpeg_s=59.0, ffmpeg_per_audio_minute_s=61.0, pre_checkout_answer_s=67.0,
)


def test_each_call_is_bounded_by_its_clients_rule() -> None:
    policy = Policy(timeouts=ODD, sync_threshold_s=30.0)
    t = ODD
    inline_ffmpeg = t.inline_ffmpeg_s + t.ffmpeg_per_audio_minute_s * 30.0 / 60  # per process, per minute
    dashscope = 2 * t.api_connect_s  # the SDK resends once after a dropped pooled connection
    httpx = 3 * t.api_connect_s  # pool + connect + write at the short timeout
    tablestore = 4 * t.tablestore_connect_s + t.tablestore_read_s  # urllib3 reconnects 3 times
    assert call_bounds(policy) == {
        "telegram call": t.telegram_call_s,
        "telegram upload": t.telegram_upload_s,
        "tablestore call": tablestore,
        "tablestore spilled value": tablestore + 2 * t.oss_s,
        "mns publish": 2 * t.mns_s,
        "telegram answerPreCheckoutQuery": t.pre_checkout_answer_s,
        "inline telegram download": t.telegram_call_s + t.inline_download_s,
        "inline transcode": FFMPEG_RUNS_PER_TRANSCODE * inline_ffmpeg,
        "inline asr": dashscope + t.inline_asr_s,
        "inline realtime asr": inline_ffmpeg + t.inline_asr_s + 1.0,
        "inline qwen": dashscope + t.inline_llm_s,
        "telegram download": t.telegram_call_s + t.telegram_download_s,
        "asr": dashscope + t.asr_s,
        "realtime asr": t.asr_s + 1.0,
        "qwen": dashscope + t.llm_s,
        "gemini": httpx + t.llm_s,
        "async submit": 4 * (dashscope + t.async_submit_s) + 3 * 2.0,  # 3 resends, 2 s apart
        "async poll": httpx + t.async_poll_s,
        "async result file": httpx + t.async_result_s,
        "oss call": 2 * t.oss_s,
    }


def test_the_worst_cases_add_the_budget_and_the_last_call() -> None:
    policy = Policy(timeouts=ODD)
    bounds = call_bounds(policy)
    assert webhook_worst_case_s(policy) == ODD.webhook_budget_s + max(bounds[n] for n in WEBHOOK_CALLS)
    assert pre_checkout_worst_case_s(policy) == (ODD.pre_checkout_budget_s + bounds["tablestore call"]
                                                 + ODD.pre_checkout_answer_s)


def fitting(**changes: float) -> Policy:
    """The defaults, with the webhook's and the worker's slack taken out where a test needs it."""
    policy_fields = {k: changes.pop(k) for k in ("inline_step_budget_s", "step_reserve_s", "poll_timeout_s")
                     if k in changes}
    return Policy(timeouts=attrs.evolve(Timeouts(), **changes), **policy_fields)


def longest_webhook_call(policy: Policy) -> float:
    bounds = call_bounds(policy)
    return max(bounds[n] for n in WEBHOOK_CALLS)


@pytest.mark.parametrize("over", [0.0, 0.5])
def test_the_webhook_may_use_its_timeout_up_to_the_margin(over: float) -> None:
    longest = longest_webhook_call(Policy())
    budget = 60.0 - WEBHOOK_MARGIN_S - longest  # worst case exactly at the limit
    policy = fitting(webhook_budget_s=budget + over, inline_step_budget_s=1.0)
    problems = budget_problems(policy)
    assert [p for p in problems if "webhook may need" in p] == ([] if not over else problems)
    assert bool(problems) is bool(over)


@pytest.mark.parametrize(("inline", "named"), [(33.5, False), (34.0, True), (35.0, True)])
def test_the_inline_step_must_end_before_the_webhook_budget(inline: float, named: bool) -> None:
    problems = budget_problems(Policy(inline_step_budget_s=inline))
    assert problems == (["INLINE_STEP_BUDGET_S must be below WEBHOOK_BUDGET_S (the hand-off to the worker "
                         "needs the rest)"] if named else [])


@pytest.mark.parametrize("over", [0.0, 0.25])
def test_the_pre_checkout_answer_may_take_telegrams_limit_less_the_margin(over: float) -> None:
    base = Policy()
    spare = PRE_CHECKOUT_LIMIT_S - PRE_CHECKOUT_MARGIN_S - pre_checkout_worst_case_s(base)
    policy = fitting(pre_checkout_answer_s=base.timeouts.pre_checkout_answer_s + spare + over)
    assert pre_checkout_worst_case_s(policy) == PRE_CHECKOUT_LIMIT_S - PRE_CHECKOUT_MARGIN_S + over
    problems = budget_problems(policy)
    assert problems == ([] if not over else [
        f"the pre-checkout answer may take {9.0 + over:g} s, over Telegram's 10 s less 1: lower "
        "PRE_CHECKOUT_BUDGET_S, PRE_CHECKOUT_ANSWER_TIMEOUT_S or the Tablestore timeouts"])


@pytest.mark.parametrize("over", [0.0, 1.0])
def test_a_worker_call_may_take_the_whole_call_timeout(over: float) -> None:
    # gemini: httpx's 3 short timeouts + the read, set so that it is exactly WORKER_CALL_TIMEOUT_S
    # (qwen, 2 connects + the same read, stays 2 s under it).
    policy = fitting(llm_s=60.0 - 3 * 2.0 + over)
    problems = budget_problems(policy)
    assert problems == ([] if not over else [
        f"a worker gemini may take {60.0 + over:g} s, over WORKER_CALL_TIMEOUT_S 60"])


@pytest.mark.parametrize(("reserve", "named"), [(60.0, False), (59.5, True)])
def test_the_call_timeout_may_fill_the_step_reserve(reserve: float, named: bool) -> None:
    problems = budget_problems(Policy(step_reserve_s=reserve))
    assert problems == (["WORKER_CALL_TIMEOUT_S must fit the worker step's reserve (WORKER_STEP_RESERVE_S)"]
                        if named else [])


@pytest.mark.parametrize(("poll_timeout", "named"), [(4 * 16.0, False), (4 * 16.0 - 1, True)])
def test_one_poll_may_take_a_quarter_of_the_polling_budget(poll_timeout: float, named: bool) -> None:
    # One poll: 3 x 2 s (httpx pool, connect, write) + 10 s read = 16 s.
    problems = budget_problems(Policy(poll_timeout_s=poll_timeout))
    assert problems == (["one task poll (ASYNC_POLL_REQUEST_TIMEOUT_S) must stay well below "
                         "ASYNC_POLL_TIMEOUT_S (a quarter at most)"] if named else [])


def test_a_webhook_over_its_timeout_is_explained_with_its_longest_call() -> None:
    policy = Policy(timeouts=attrs.evolve(Timeouts(), webhook_budget_s=50.0))
    longest = longest_webhook_call(policy)
    assert budget_problems(policy) == [
        f"the webhook may need {50.0 + longest:g} s (WEBHOOK_BUDGET_S 50 + its longest call, inline telegram download, "
        f"{longest:g}) but has 60 - 8 s: lower WEBHOOK_BUDGET_S or that call's timeout"]
