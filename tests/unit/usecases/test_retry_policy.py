"""The one retry policy: a provider's own wait (Telegram's 429 ``retry_after``) is honoured, the
backoff doubles under its cap otherwise, and the attempts and the request budget are limits."""

from __future__ import annotations

import random

import pytest

from adapters.memory.clock import FakeClock
from ports.errors import OutcomeUnknown, TransientFailure
from usecases import budget
from usecases.retrying import MAX_DELAY_S, RetryingPort, with_retries


class FloodControlled:
    """A chat whose first ``refusals`` sends are refused with Telegram's flood control (429)."""

    def __init__(self, refusals: int, retry_after_s: float | None) -> None:
        self.refusals, self.retry_after_s, self.sent = refusals, retry_after_s, []

    def send_text(self, chat_id: int, text: str) -> int:
        if self.refusals:
            self.refusals -= 1
            raise TransientFailure("telegram", "Too Many Requests", code="429", retry_after_s=self.retry_after_s)
        self.sent.append(text)
        return len(self.sent)


class Widest(random.Random):
    """Full jitter at its widest: every wait is the whole backoff window."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_telegrams_retry_after_is_waited_exactly_then_the_send_goes_out() -> None:
    clock = FakeClock()
    chat = FloodControlled(refusals=2, retry_after_s=3.0)
    port = RetryingPort(chat, clock=clock, attempts=4, base_delay_s=0.5)
    assert port.send_text(1, "hello") == 1
    assert clock.slept == [3.0, 3.0] and chat.sent == ["hello"]


def test_a_retry_after_longer_than_the_cap_waits_the_cap() -> None:
    clock = FakeClock()
    chat = FloodControlled(refusals=1, retry_after_s=MAX_DELAY_S + 45)
    with_retries(lambda: chat.send_text(1, "x"), clock=clock, attempts=2, base_delay_s=0.5)
    assert clock.slept == [MAX_DELAY_S]


def test_without_a_hint_the_backoff_doubles_up_to_the_cap() -> None:
    clock = FakeClock()
    chat = FloodControlled(refusals=7, retry_after_s=None)
    with_retries(lambda: chat.send_text(1, "x"), clock=clock, attempts=8, base_delay_s=1.0, rng=Widest())
    assert clock.slept == [1.0, 2.0, 4.0, 8.0, 16.0, MAX_DELAY_S, MAX_DELAY_S]


def test_the_attempts_are_a_limit_and_the_last_failure_is_raised() -> None:
    clock = FakeClock()
    chat = FloodControlled(refusals=3, retry_after_s=1.0)
    with pytest.raises(TransientFailure):
        with_retries(lambda: chat.send_text(1, "x"), clock=clock, attempts=3, base_delay_s=0.5)
    assert chat.refusals == 0 and chat.sent == [] and clock.slept == [1.0, 1.0]


def test_a_send_that_may_have_arrived_is_never_retried() -> None:
    clock = FakeClock()
    calls = []

    def lost_reply() -> None:
        calls.append(1)
        raise OutcomeUnknown("telegram", "read timeout", code="timeout")

    with pytest.raises(OutcomeUnknown):
        with_retries(lost_reply, clock=clock, attempts=4, base_delay_s=0.5)
    assert len(calls) == 1 and clock.slept == []


@pytest.mark.parametrize(("budget_s", "retried"), [(3.0, False), (3.001, True)])
def test_a_wait_that_would_use_up_the_budget_exactly_is_not_started(budget_s, retried) -> None:
    clock = FakeClock()
    chat = FloodControlled(refusals=1, retry_after_s=3.0)
    with budget.within(clock, budget_s):
        if retried:
            with_retries(lambda: chat.send_text(1, "x"), clock=clock, attempts=2, base_delay_s=0.5)
        else:
            with pytest.raises(TransientFailure):
                with_retries(lambda: chat.send_text(1, "x"), clock=clock, attempts=2, base_delay_s=0.5)
    assert chat.sent == (["x"] if retried else []) and clock.slept == ([3.0] if retried else [])
