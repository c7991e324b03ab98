"""A request's time budget (usecases.budget): no call starts after it, no retry waits past it, and
the pre-checkout query is always answered in time."""

from __future__ import annotations

import pytest

from adapters.memory.clock import FakeClock
from ports.errors import PermanentFailure, TransientFailure
from presentation.catalogue import say
from presentation.keys import M
from tests.world import USER
from usecases import budget
from usecases.budget import BudgetedPort, BudgetSpent, InlineAttempt, WithinBudget
from usecases.retrying import RetryingPort, with_retries
from usecases.steps import StepInterrupted


class Slow:
    """A port whose calls take ``cost_s`` on the fake clock; ``fail`` makes them fail transiently."""

    def __init__(self, clock: FakeClock, cost_s: float, fail: bool = False) -> None:
        self.clock, self.cost_s, self.fail = clock, cost_s, fail
        self.started: list[float] = []

    def call(self) -> str:
        self.started.append(self.clock.now())
        self.clock.advance(self.cost_s)
        if self.fail:
            raise TransientFailure("slow", "timed out", code="timeout")
        return "ok"


def test_no_call_starts_after_the_budget_and_a_late_failure_is_not_retried() -> None:
    clock = FakeClock()
    slow = Slow(clock, cost_s=3.0)
    port = RetryingPort(BudgetedPort(slow), clock=clock, attempts=4, base_delay_s=0.5)
    with budget.within(clock, 5.0):
        assert port.call() == "ok" and port.call() == "ok"  # started at 0 s and 3 s (in time)
        with pytest.raises(BudgetSpent):
            port.call()  # 6 s: refused, and not retried
    assert [t - slow.started[0] for t in slow.started] == [0.0, 3.0]
    # A call that started in time and timed out after the deadline is not retried either.
    failing = Slow(clock, cost_s=4.0, fail=True)
    port = RetryingPort(BudgetedPort(failing), clock=clock, attempts=4, base_delay_s=0.5)
    with budget.within(clock, 2.0), pytest.raises(BudgetSpent):
        port.call()
    assert len(failing.started) == 1


def test_without_a_budget_nothing_changes() -> None:
    clock = FakeClock()
    failing = Slow(clock, cost_s=100.0, fail=True)
    port = RetryingPort(BudgetedPort(failing), clock=clock, attempts=3, base_delay_s=0.5)
    with pytest.raises(TransientFailure) as raised:
        port.call()
    assert not isinstance(raised.value, BudgetSpent) and len(failing.started) == 3


def test_a_retry_never_waits_past_the_deadline() -> None:
    clock = FakeClock()
    attempts = []

    def throttled() -> None:
        attempts.append(clock.now())
        raise TransientFailure("telegram", "flood control", code="429", retry_after_s=20.0)

    with budget.within(clock, 10.0), pytest.raises(TransientFailure):
        with_retries(throttled, clock=clock, attempts=4, base_delay_s=0.5)
    assert len(attempts) == 1 and clock.slept == []  # a 20 s wait would end after the deadline


def test_nested_budgets_keep_the_earlier_deadline() -> None:
    clock = FakeClock()
    with budget.within(clock, 5.0):
        with budget.within(clock, 50.0):
            assert budget.remaining() == 5.0
        with budget.within(clock, 1.0):
            assert budget.remaining() == 1.0
        assert budget.remaining() == 5.0
    assert budget.remaining() is None


def test_within_budget_runs_each_call_under_its_own_deadline() -> None:
    clock = FakeClock()
    seen = []
    wrapped = WithinBudget(lambda: seen.append(budget.remaining()), clock, 34.0)
    wrapped()
    clock.advance(100)
    wrapped()
    assert seen == [34.0, 34.0] and budget.remaining() is None


def test_the_inline_formatter_makes_one_attempt_then_leaves_the_text_to_the_worker() -> None:
    class Flaky:
        calls = 0

        def format(self, request):
            Flaky.calls += 1
            raise TransientFailure("qwen-llm", "timeout", code="ReadTimeout")

    with pytest.raises(StepInterrupted):
        InlineAttempt(Flaky()).format(object())
    assert Flaky.calls == 1

    class Refusing:
        def format(self, request):
            raise PermanentFailure("qwen-llm", "rejected")

    with pytest.raises(StepInterrupted):
        InlineAttempt(Refusing()).format(object())


# -- the pre-checkout query: answered within Telegram's 10 s whatever the store does -----------------


class SlowUsers:
    """The users store, each call taking ``cost_s`` on the world's clock (or failing)."""

    def __init__(self, target, clock: FakeClock, cost_s: float, fail: bool = False) -> None:
        self._target, self._clock, self.cost_s, self.fail = target, clock, cost_s, fail
        self.calls: list[str] = []

    def __getattr__(self, name):
        attribute = getattr(self._target, name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        def call(*args, **kwargs):
            self.calls.append(name)
            self._clock.advance(self.cost_s)
            if self.fail:
                raise TransientFailure("tablestore", "get failed: ReadTimeoutError")
            return attribute(*args, **kwargs)

        return call


def budgeted_world(world, *, cost_s: float, fail: bool = False) -> SlowUsers:
    """The world's ports as the container builds them (retried, under BudgetedPort), with a slow store."""
    plain = world.rebuilt_port
    world.rebuilt_port = lambda port: plain(BudgetedPort(port))
    world.rebuild()
    slow = SlowUsers(world.users, world.clock, cost_s, fail)
    real = world.users
    world.users = slow
    world.rebuild()
    world.users = real
    return slow


def answers(world) -> list[tuple[bool, str]]:
    return [(e.extra["ok"], e.text) for e in world.chat.events if e.kind == "pre_checkout"]


def invoice(world, package: str) -> tuple[str, int]:
    world.press(f"buy:{package}", message_id=1)
    event = [e for e in world.chat.events if e.kind == "invoice"][-1]
    return event.extra["payload"], event.extra["stars"]


def test_a_slow_store_refuses_the_limited_package_in_time_instead_of_leaving_the_query_unanswered(world):
    world.user(balance=0)
    payload, stars = invoice(world, "micro_10")
    slow = budgeted_world(world, cost_s=2.0)  # over PRE_CHECKOUT_BUDGET_S (1 s) per call
    started = world.clock.now()
    assert world.pre_checkout(payload, stars) == "pre_checkout:refused"
    assert slow.calls == ["get"]  # the reservation was not even started
    assert answers(world) == [(False, say("ru", M.payment_retry))]
    assert world.clock.now() - started <= world.policy.timeouts.pre_checkout_budget_s + 2.0
    assert world.users.get(USER).micro_purchases == 0


def test_a_failing_store_refuses_with_try_again_and_an_unlimited_package_needs_no_store(world):
    world.user(balance=0)
    micro = invoice(world, "micro_10")
    start = invoice(world, "start_50")
    slow = budgeted_world(world, cost_s=0.0, fail=True)
    assert world.pre_checkout(*micro) == "pre_checkout:refused"
    assert answers(world)[-1] == (False, say("ru", M.payment_retry))
    slow.calls.clear()
    assert world.pre_checkout(*start) == "pre_checkout:ok"
    assert slow.calls == [] and answers(world)[-1] == (True, "")
